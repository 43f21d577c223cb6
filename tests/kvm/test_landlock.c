/* The KVM tender's Landlock (pal/kvm/tender/confine.c): with the ruleset
 * the runtime plans from a manifest (runtime/sandbox.c), the tender process
 * cannot open host files outside the manifest's mounts, write under a
 * read-only mount, or bind/connect TCP ports the manifest does not grant,
 * even when its own request checks let a request through: the hypercall
 * service is set up with a forged, wider policy (a mount of the whole
 * scratch directory) and still gets nothing outside the real mounts. Each
 * check is first shown to succeed without Landlock.
 *   kvm_landlock SCRATCH_DIR      (exit 77: the kernel has no Landlock) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "libos_manifest.h"
#include "pal.h"
#include "sabot_sandbox.h"
#include "tender.h"

static int g_fail;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok: " __VA_ARGS__);                                                            \
        } else {                                                                                   \
            printf("not ok: %s:%d: ", __FILE__, __LINE__);                                         \
            printf(__VA_ARGS__);                                                                   \
            g_fail = 1;                                                                            \
        }                                                                                          \
        printf("\n");                                                                              \
    } while (0)

static char g_dir[512];
static uint8_t *g_mem;

static const char *path(const char *rel) {
    static char p[4][640];
    static int n;
    char *r = p[n++ % 4];
    snprintf(r, sizeof(p[0]), "%s/%s", g_dir, rel);
    return r;
}

static int try_open(const char *rel, int flags) {
    int fd = open(path(rel), flags | O_CLOEXEC, 0644);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0)
        close(fd);
    return e;
}

static int tcp(uint16_t port, bool do_bind) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int r = do_bind ? bind(s, (void *)&a, sizeof(a)) : connect(s, (void *)&a, sizeof(a));
    int e = r < 0 ? errno : 0;
    if (do_bind && r == 0)
        return listen(s, 1) == 0 ? -s - 1 : (close(s), errno); /* keep it listening */
    close(s);
    return e;
}

/* The forged policy's OPEN of uri through the tender's hypercall service:
 * the handle id, or -PAL_ERR_*. */
static int64_t hc_open(const char *rel, uint32_t access) {
    char uri[700];
    snprintf(uri, sizeof(uri), "file:%s", path(rel)); /* the tender sees host paths */
    struct kvm_hc *hc = (struct kvm_hc *)(g_mem + KVM_GPA_HC);
    memcpy(g_mem + KVM_GPA_DATA, uri, strlen(uri));
    *hc = (struct kvm_hc){.nr = KVM_HC_OPEN, .a = {0, strlen(uri), access, 0, 0, 0}};
    int status = -1;
    if (kvm_hc_serve(g_mem, KVM_GPA_DATA + KVM_DATA_SIZE, hc, &status))
        return -1000;
    return hc->ret;
}

static uint16_t free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof(a);
    bind(s, (void *)&a, sizeof(a));
    getsockname(s, (void *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

int main(int argc, char **argv) {
    if (sabot_landlock_abi() == 0) {
        printf("SKIP: the kernel has no Landlock\n");
        return 77;
    }
    snprintf(g_dir, sizeof(g_dir), "%s/kvm_landlock_scratch", argc > 1 ? argv[1] : "/tmp");
    mkdir(argv[1], 0755);
    mkdir(g_dir, 0755);
    mkdir(path("ro"), 0755);
    mkdir(path("rw"), 0755);
    mkdir(path("outside"), 0755);
    unlink(path("rw/new"));
    unlink(path("rw/new2"));
    for (const char *f = "ro/file\0outside/secret\0"; *f; f += strlen(f) + 1) {
        int fd = open(path(f), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "x", 1) != 1) {
            printf("not ok: cannot make %s\n", path(f));
            return 1;
        }
        close(fd);
    }
    uint16_t granted = free_port(), other = granted == 65535 ? granted - 1 : granted + 1;

    /* Without Landlock every one of these works: the test can fail. */
    CHECK(try_open("outside/secret", O_RDONLY) == 0, "before: outside/secret opens");
    CHECK(try_open("ro/file", O_WRONLY) == 0, "before: ro/file opens for writing");

    char text[2048], err[512];
    snprintf(text, sizeof(text),
             "[[fs.mounts]]\npath = \"/ro\"\ntype = \"host\"\nsource = \"%s\"\nreadonly = true\n"
             "[[fs.mounts]]\npath = \"/rw\"\ntype = \"host\"\nsource = \"%s\"\nreadonly = false\n"
             "[net]\nbind = [\"127.0.0.1:%u\"]\nconnect = [\"127.0.0.1:%u\"]\n"
             "[sys]\ninsecure__weak_landlock = true\n",
             path("ro"), path("rw"), granted, granted);
    struct libos_manifest *m;
    if (libos_manifest_parse(text, strlen(text), "t.toml", &m, err, sizeof(err)) < 0) {
        printf("not ok: manifest: %s\n", err);
        return 1;
    }
    struct sabot_sandbox sb;
    if (sabot_sandbox_prepare(m, NULL, &sb, err, sizeof(err)) < 0) {
        printf("not ok: sandbox plan: %s\n", err);
        return 1;
    }
    int fd = sabot_sandbox_landlock_fd(&sb, err, sizeof(err));
    CHECK(fd > 2, "Landlock ruleset fd %d", fd);

    /* The forged policy: the whole scratch directory, read-write. */
    char forged[1024];
    snprintf(forged, sizeof(forged),
             "[[fs.mounts]]\npath = \"/s\"\ntype = \"host\"\nsource = \"%s\"\nreadonly = false\n",
             g_dir);
    struct libos_manifest *fm;
    if (libos_manifest_parse(forged, strlen(forged), "f.toml", &fm, err, sizeof(err)) < 0) {
        printf("not ok: forged manifest: %s\n", err);
        return 1;
    }
    g_mem = mmap(NULL, KVM_GPA_DATA + KVM_DATA_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct kvm_tender_config cfg = {.log_fd = 2, .trace_fd = -1};
    kvm_hc_init(&cfg, fm);
    int64_t h = hc_open("outside/secret", PAL_ACCESS_RDONLY);
    CHECK(h >= 0, "before: the forged policy opens outside/secret (%lld)", (long long)h);

    CHECK(kvm_tender_landlock(fd) == 0, "the tender restricted itself");

    CHECK(try_open("outside/secret", O_RDONLY) == EACCES, "outside/secret: EACCES");
    CHECK(try_open("ro/file", O_RDONLY) == 0, "ro/file opens for reading");
    CHECK(try_open("ro/file", O_WRONLY) == EACCES, "ro/file for writing: EACCES");
    CHECK(try_open("ro/new", O_WRONLY | O_CREAT) == EACCES, "creating under ro: EACCES");
    CHECK(try_open("rw/new", O_WRONLY | O_CREAT) == 0, "creating under rw works");
    h = hc_open("outside/secret", PAL_ACCESS_RDONLY);
    CHECK(h == -PAL_ERR_DENIED, "forged request for outside/secret: denied (%lld)", (long long)h);
    h = hc_open("ro/file", PAL_ACCESS_RDWR);
    CHECK(h < 0, "forged request writing ro/file: refused (%lld)", (long long)h);
    h = hc_open("rw/new", PAL_ACCESS_RDWR);
    CHECK(h >= 0, "forged request inside a real mount still works (%lld)", (long long)h);

    if (sabot_landlock_abi() >= 4) {
        CHECK(tcp(other, true) == EACCES, "bind to port %u (not granted): EACCES", other);
        int l = tcp(granted, true);
        CHECK(l < 0, "bind to port %u (granted) works (%d)", granted, l);
        CHECK(tcp(other, false) == EACCES, "connect to port %u (not granted): EACCES", other);
        CHECK(tcp(granted, false) == 0, "connect to port %u (granted) works", granted);
        if (l < 0)
            close(-l - 1);
    } else {
        printf("ok: # Landlock ABI < 4: TCP ports are not confined (warned at start)\n");
    }
    printf(g_fail ? "kvm_landlock: FAILED\n" : "kvm_landlock: ALL OK\n");
    return g_fail;
}
