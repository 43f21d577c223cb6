/* Hosted half of the Linux PAL sandbox: what the kernel must enforce for a
 * manifest. The seccomp allowlist (seccomp_rules.c) was compiled to BPF at
 * build time and is handed to the PAL as it is (the PAL is freestanding);
 * the Landlock ruleset is built here (it needs host paths opened with
 * O_PATH) and handed over as an fd. pal/linux/sandbox.c installs both just
 * before libos_start, after the PAL's own set-up. */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h> /* MAX */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libos_manifest.h"
#include "sabot_sandbox.h"

/* Landlock UAPI (Debian's <linux/landlock.h> predates ABI 4). */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)     /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

/* The ABI that gives everything the sandbox wants: fs (1), REFER (2),
 * TRUNCATE (3), TCP ports (4), device ioctls (5), abstract unix socket and
 * signal scopes (6). */
#define LL_ABI_FULL 6

static const uint64_t LL_READ = LL_FS_READ_FILE | LL_FS_READ_DIR;
static const uint64_t LL_WRITE = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
                                 LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK |
                                 LL_FS_MAKE_FIFO | LL_FS_MAKE_SYM | LL_FS_REFER | LL_FS_TRUNCATE |
                                 LL_FS_IOCTL_DEV;
/* Rights that make sense on a file (not a directory) as a rule's target. */
static const uint64_t LL_FILE_RIGHTS =
    LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;

static uint64_t ll_fs_rights(int abi) {
    uint64_t all = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1 */
    if (abi >= 2)
        all |= LL_FS_REFER;
    if (abi >= 3)
        all |= LL_FS_TRUNCATE;
    if (abi >= 5)
        all |= LL_FS_IOCTL_DEV;
    return all;
}

int sabot_landlock_abi(void) {
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0)
        abi = 0;
    const char *test = getenv("SABOT_TEST_LANDLOCK_ABI"); /* test-only */
    if (test && *test) {
        long t = strtol(test, NULL, 10);
        if (t >= 0 && t < abi)
            abi = t;
    }
    return (int)abi;
}

static int fail(char *err, size_t err_size, int e, const char *fmt, const char *arg) {
    if (err && err_size)
        snprintf(err, err_size, fmt, arg);
    return -e;
}

/* ------------------------------------------------------------ Landlock plan */

static int add_path(struct sabot_sandbox *sb, const char *host_path, uint64_t access) {
    struct sabot_sandbox_path *p = realloc(sb->paths, (sb->path_count + 1) * sizeof(*sb->paths));
    if (!p)
        return -ENOMEM;
    sb->paths = p;
    p[sb->path_count].host_path = strdup(host_path);
    p[sb->path_count].access = access;
    if (!p[sb->path_count].host_path)
        return -ENOMEM;
    sb->path_count++;
    return 0;
}

static int by_first_port(const void *a, const void *b) {
    const struct libos_net_rule *x = a, *y = b;
    return (int)x->port_lo - (int)y->port_lo;
}

/* Ports of ranges sorted by their first port, each once, into ports (or
 * only counted when ports is NULL). */
static size_t list_ports(const struct libos_net_rule *r, size_t count, uint16_t *ports) {
    size_t n = 0;
    uint32_t next = 0; /* lowest port not listed yet */
    for (size_t i = 0; i < count; i++) {
        for (uint32_t p = MAX(r[i].port_lo, next); p <= r[i].port_hi; p++)
            if (ports)
                ports[n++] = (uint16_t)p;
            else
                n++;
        next = MAX(next, (uint32_t)r[i].port_hi + 1);
    }
    return n;
}

/* TCP ports granted by rules; false when a rule grants every port (then
 * Landlock does not handle that direction at all). */
static bool ports_of(const struct libos_net_rule *rules, size_t count, uint16_t **out,
                     size_t *n_out) {
    for (size_t i = 0; i < count; i++)
        if (rules[i].port_lo == 0 && rules[i].port_hi == 65535)
            return false;
    struct libos_net_rule *sorted = malloc((count ? count : 1) * sizeof(*sorted));
    if (!sorted)
        return false; /* out of memory: leave the direction unhandled */
    if (count)
        memcpy(sorted, rules, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), by_first_port);
    size_t n = list_ports(sorted, count, NULL);
    uint16_t *ports = malloc((n ? n : 1) * sizeof(*ports));
    if (ports)
        list_ports(sorted, count, ports);
    free(sorted);
    if (!ports)
        return false;
    *out = ports;
    *n_out = n;
    return true;
}

static void warn(const char *what) {
    fprintf(stderr, "sabot: warning: %s\n", what);
}

static int plan_landlock(const struct libos_manifest *m, const char *child_loader, int abi,
                         bool weak, struct sabot_sandbox *sb, char *err, size_t err_size) {
    if (abi < LL_ABI_FULL) {
        char what[160];
        snprintf(what, sizeof(what),
                 abi == 0  ? "the kernel has no Landlock (or it is off): host files and TCP ports "
                             "cannot be confined"
                 : abi < 4 ? "Landlock ABI %d < 4: host TCP ports cannot be confined"
                           : "Landlock ABI %d < 6: abstract unix sockets and signals to host "
                             "processes cannot be confined",
                 abi);
        if (!weak)
            return fail(err, err_size, ENOSYS,
                        "sandbox: %s; refusing to start (to accept it: "
                        "sys.insecure__weak_landlock = true)",
                        what);
        warn(what);
    }
    sb->landlock_abi = abi;
    if (abi == 0)
        return 0;
    sb->handled_fs = ll_fs_rights(abi);
    int r = 0;
    for (size_t i = 0; !r && i < m->mount_count; i++) {
        const struct libos_mount_spec *ms = &m->mounts[i];
        if (ms->type == LIBOS_MOUNT_HOST && ms->source)
            r = add_path(sb, ms->source, ms->readonly ? LL_READ : LL_READ | LL_WRITE);
    }
    if (!r && child_loader)
        r = add_path(sb, child_loader, LL_FS_EXECUTE | LL_FS_READ_FILE);
    if (r)
        return fail(err, err_size, -r, "sandbox: %s", strerror(-r));
    if (abi >= 4) {
        if (ports_of(m->net_bind, m->net_bind_count, &sb->bind_ports, &sb->bind_count))
            sb->handled_net |= LL_NET_BIND_TCP;
        if (ports_of(m->net_connect, m->net_connect_count, &sb->connect_ports, &sb->connect_count))
            sb->handled_net |= LL_NET_CONNECT_TCP;
    }
    if (abi >= 6)
        sb->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
    return 0;
}

int sabot_sandbox_add_rw(struct sabot_sandbox *sb, const char *host_path) {
    return sb->landlock_abi ? add_path(sb, host_path, LL_READ | LL_WRITE) : 0;
}

int sabot_sandbox_prepare(const struct libos_manifest *m, const char *child_loader,
                          struct sabot_sandbox *sb, char *err, size_t err_size) {
    memset(sb, 0, sizeof(*sb));
    /* The runtime prints the insecure__ options' own warnings. */
    int r = 0;
    if (!m->insecure_no_landlock)
        r = plan_landlock(m, child_loader, sabot_landlock_abi(), m->insecure_weak_landlock, sb, err,
                          err_size);
    if (r < 0) {
        sabot_sandbox_free(sb);
        return r;
    }
    if (m->insecure_no_seccomp)
        return 0;
    sb->seccomp_filter = child_loader ? sabot_seccomp_pal_exec : sabot_seccomp_pal;
    sb->seccomp_filter_len = child_loader ? sabot_seccomp_pal_exec_len : sabot_seccomp_pal_len;
    return 0;
}

/* ------------------------------------------------------------ Landlock fd */

static int add_port_rules(int fd, uint64_t access, const uint16_t *ports, size_t count) {
    for (size_t i = 0; i < count; i++) {
        struct ll_net_port_attr a = {.allowed_access = access, .port = ports[i]};
        if (syscall(SYS_landlock_add_rule, fd, LL_RULE_NET_PORT, &a, 0) < 0)
            return -errno;
    }
    return 0;
}

int sabot_sandbox_landlock_fd(const struct sabot_sandbox *sb, char *err, size_t err_size) {
    if (sb->landlock_abi == 0)
        return -1;
    struct ll_ruleset_attr attr = {sb->handled_fs, sb->handled_net, sb->scoped};
    size_t size = sb->landlock_abi >= 6   ? sizeof(attr)
                  : sb->landlock_abi >= 4 ? 2 * sizeof(uint64_t)
                                          : sizeof(uint64_t);
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0)
        return fail(err, err_size, errno, "sandbox: landlock_create_ruleset: %s", strerror(errno));
    for (size_t i = 0; i < sb->path_count; i++) {
        const struct sabot_sandbox_path *p = &sb->paths[i];
        int pfd = open(p->host_path, O_PATH | O_CLOEXEC);
        struct stat st;
        if (pfd < 0 || fstat(pfd, &st) < 0) {
            int e = errno;
            if (pfd >= 0)
                close(pfd);
            close(fd);
            return fail(err, err_size, e, "sandbox: cannot open '%s' for Landlock", p->host_path);
        }
        uint64_t access = p->access & sb->handled_fs;
        if (!S_ISDIR(st.st_mode))
            access &= LL_FILE_RIGHTS;
        struct ll_path_beneath_attr a = {.allowed_access = access, .parent_fd = pfd};
        long r = syscall(SYS_landlock_add_rule, fd, LL_RULE_PATH_BENEATH, &a, 0);
        int e = errno;
        close(pfd);
        if (r < 0) {
            close(fd);
            return fail(err, err_size, e, "sandbox: Landlock rule for '%s' refused", p->host_path);
        }
    }
    int r = 0;
    if (sb->handled_net & LL_NET_BIND_TCP)
        r = add_port_rules(fd, LL_NET_BIND_TCP, sb->bind_ports, sb->bind_count);
    if (!r && (sb->handled_net & LL_NET_CONNECT_TCP))
        r = add_port_rules(fd, LL_NET_CONNECT_TCP, sb->connect_ports, sb->connect_count);
    if (r < 0) {
        close(fd);
        return fail(err, err_size, -r, "sandbox: Landlock port rule refused: %s", strerror(-r));
    }
    /* The PAL's fds are numbers > 2 by convention (0-2 are stdio). */
    if (fd <= 2) {
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        fd = moved;
    }
    return fd;
}

void sabot_sandbox_free(struct sabot_sandbox *sb) {
    for (size_t i = 0; i < sb->path_count; i++)
        free(sb->paths[i].host_path);
    free(sb->paths);
    free(sb->bind_ports);
    free(sb->connect_ports);
    memset(sb, 0, sizeof(*sb));
}
