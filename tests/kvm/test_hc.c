/* The tender's hypercall service against garbage and against requests the
 * manifest does not allow (no VM: kvm_hc_serve on a fake guest memory).
 * Every request must get an error back and leave the tender running;
 * nothing outside the manifest's mounts may be opened.
 *   kvm_hc_robust SCRATCH_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "libos_manifest.h"
#include "pal.h"
#include "tender.h"

static uint8_t *g_mem;
static int g_fail;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond);                              \
            g_fail = 1;                                                                            \
        }                                                                                          \
    } while (0)

static int64_t call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5) {
    struct kvm_hc *hc = (struct kvm_hc *)(g_mem + KVM_GPA_HC);
    *hc = (struct kvm_hc){.nr = nr, .a = {a0, a1, a2, a3, a4, a5}};
    int status = -1;
    int exit = kvm_hc_serve(g_mem, KVM_GPA_DATA + KVM_DATA_SIZE, hc, &status);
    return exit ? 1000 + status : hc->ret;
}

static uint64_t put(uint64_t off, const char *s) {
    memcpy(g_mem + KVM_GPA_DATA + off, s, strlen(s));
    return strlen(s);
}

int main(int argc, char **argv) {
    const char *scratch = argc > 1 ? argv[1] : "/tmp";
    char text[4096], err[256];
    snprintf(text, sizeof(text),
             "[[fs.mounts]]\npath = \"/etc\"\ntype = \"host\"\nsource = \"/etc\"\n"
             "readonly = true\n[[fs.mounts]]\npath = \"/w\"\ntype = \"host\"\nsource = \"%s\"\n"
             "readonly = false\n",
             scratch);
    struct libos_manifest *m;
    if (libos_manifest_parse(text, strlen(text), "t.toml", &m, err, sizeof(err)) < 0) {
        printf("not ok: manifest: %s\n", err);
        return 1;
    }
    g_mem = mmap(NULL, KVM_GPA_DATA + KVM_DATA_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct kvm_tender_config cfg = {.log_fd = 2, .trace_fd = -1};
    kvm_hc_init(&cfg, m);

    /* unknown call numbers */
    CHECK(call(0, 0, 0, 0, 0, 0, 0) == -PAL_ERR_NOTIMPLEMENTED);
    CHECK(call(KVM_HC__COUNT, 0, 0, 0, 0, 0, 0) == -PAL_ERR_NOTIMPLEMENTED);
    CHECK(call(0xffffffff, 1, 2, 3, 4, 5, 6) == -PAL_ERR_NOTIMPLEMENTED);
    /* lengths and offsets outside the data window */
    CHECK(call(KVM_HC_LOG, KVM_DATA_SIZE, 1, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_LOG, 1, UINT64_MAX, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_OPEN, UINT64_MAX - 2, 10, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_OPEN, 0, 0, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_OPEN, 0, KVM_DATA_SIZE, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_RANDOM, KVM_DATA_SIZE - 4, 8, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    /* handles the guest does not own */
    CHECK(call(KVM_HC_READ, 77, 0, 0, 16, 0, 0) == -PAL_ERR_BADHANDLE);
    CHECK(call(KVM_HC_READ, UINT64_MAX, 0, 0, 16, 0, 0) == -PAL_ERR_BADHANDLE);
    CHECK(call(KVM_HC_CLOSE, 1 << 20, 0, 0, 0, 0, 0) == -PAL_ERR_BADHANDLE);
    CHECK(call(KVM_HC_TIME, 99, 0, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    /* paths outside the mounts, ".." and embedded NULs */
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:/root/x"), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:/etc/../root/x"), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:etc/passwd"), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:/etcx/passwd"), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_ATTR, 0, put(0, "file:/proc/self/mem"), 0, 64, 0, 0) == -PAL_ERR_DENIED);
    memcpy(g_mem + KVM_GPA_DATA, "file:/etc/passwd\0/../../x", 25);
    CHECK(call(KVM_HC_OPEN, 0, 25, 0, 0, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_OPEN, 0, put(0, "tcp:127.0.0.1:22"), 0, 0, 0, 0) == -PAL_ERR_NOTSUPPORTED);
    /* read-only mount: no write, create, truncate or delete */
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:/etc/passwd"), PAL_ACCESS_RDWR, 0, 0, 0) ==
          -PAL_ERR_READONLY);
    CHECK(call(KVM_HC_OPEN, 0, put(0, "file:/etc/new"), 0, 0644, PAL_CREATE_TRY, 0) ==
          -PAL_ERR_READONLY);
    CHECK(call(KVM_HC_DELETE, 0, put(0, "file:/etc/passwd"), 0, 0, 0, 0) == -PAL_ERR_READONLY);
    /* allowed: read /etc/passwd; the handle works, then is gone after close */
    int64_t h = call(KVM_HC_OPEN, 0, put(0, "file:/etc/passwd"), 0, 0, 0, 0);
    CHECK(h >= 0);
    CHECK(call(KVM_HC_READ, h, 0, 8192, 4, 0, 0) == 4);
    CHECK(call(KVM_HC_READ, h, 0, KVM_DATA_SIZE - 2, 4, 0, 0) == -PAL_ERR_INVAL);
    CHECK(call(KVM_HC_CLOSE, h, 0, 0, 0, 0, 0) == 0);
    CHECK(call(KVM_HC_READ, h, 0, 8192, 4, 0, 0) == -PAL_ERR_BADHANDLE);
    /* rename out of a read-write mount into a read-only one */
    char path[4200];
    snprintf(path, sizeof(path), "file:%s/kvm_hc_robust.tmp", scratch);
    h = call(KVM_HC_OPEN, 0, put(0, path), PAL_ACCESS_RDWR, 0600, PAL_CREATE_TRY, 0);
    CHECK(h >= 0);
    CHECK(call(KVM_HC_RENAME, h, 0, put(0, "file:/etc/kvm_hc_robust"), 0, 0, 0) ==
          -PAL_ERR_READONLY);
    CHECK(call(KVM_HC_DELETE, 0, put(0, path), 0, 0, 0, 0) == 0);
    /* Host symlinks under a mount that lead out of it: resolved by the
     * kernel beneath the mount (openat2 RESOLVE_BENEATH), not followed. */
    char lnk[4200], uri[4300];
    snprintf(lnk, sizeof(lnk), "%s/kvm_hc_esc", scratch);
    unlink(lnk);
    CHECK(symlink("/usr/bin", lnk) == 0);
    snprintf(uri, sizeof(uri), "file:%s/env", lnk); /* an intermediate symlink */
    CHECK(call(KVM_HC_OPEN, 0, put(0, uri), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_ATTR, 0, put(0, uri), 0, 64, 0, 0) == -PAL_ERR_DENIED);
    snprintf(uri, sizeof(uri), "file:%s", lnk); /* the final one, followed */
    CHECK(call(KVM_HC_OPEN, 0, put(0, uri), 0, 0, 0, 0) == -PAL_ERR_DENIED);
    CHECK(call(KVM_HC_ATTR, 0, put(0, uri), 0, 64, 0, 0) == -PAL_ERR_DENIED);
    /* ... but the symlink itself may be looked at and removed */
    CHECK(call(KVM_HC_ATTR, 0, put(0, uri), 1, 64, 0, 0) == 0);
    CHECK(call(KVM_HC_READLINK, 0, put(0, uri), 8192, 64, 0, 0) == 8);
    CHECK(call(KVM_HC_DELETE, 0, put(0, uri), 0, 0, 0, 0) == 0);
    /* a symlink that stays inside the mount works */
    char inner[4200];
    snprintf(inner, sizeof(inner), "%s/kvm_hc_in", scratch);
    unlink(inner);
    CHECK(symlink(".", inner) == 0);
    snprintf(uri, sizeof(uri), "file:%s/kvm_hc_in/kvm_hc_robust.tmp2", scratch);
    h = call(KVM_HC_OPEN, 0, put(0, uri), PAL_ACCESS_RDWR, 0600, PAL_CREATE_TRY, 0);
    CHECK(h >= 0);
    CHECK(call(KVM_HC_CLOSE, h, 0, 0, 0, 0, 0) == 0);
    CHECK(call(KVM_HC_DELETE, 0, put(0, uri), 0, 0, 0, 0) == 0);
    unlink(inner);
    CHECK(call(KVM_HC_EXIT, 3, 0, 0, 0, 0, 0) == 1003);

    /* random garbage: the tender answers every request */
    srand(1);
    for (int i = 0; i < 200000; i++) {
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 10) ^ (uint64_t)rand();
        if (i & 1)
            for (int k = 0; k < 6; k++)
                a[k] %= (i & 2) ? 64 : KVM_DATA_SIZE + 16;
        uint32_t nr = (uint32_t)(rand() % (KVM_HC__COUNT + 2));
        if (nr == KVM_HC_EXIT || nr == KVM_HC_SLEEP || nr == KVM_HC_LOG)
            continue;
        for (int k = 0; k < 64; k++)
            g_mem[KVM_GPA_DATA + k] = (uint8_t)rand();
        call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    kvm_hc_fini();
    libos_manifest_free(m);
    printf(g_fail ? "FAILED\n" : "ok: all requests checked\n");
    return g_fail;
}
