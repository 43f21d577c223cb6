/* Hosted half of the Linux PAL sandbox: what the kernel must enforce for a
 * manifest. The seccomp allowlist is built here with libseccomp (the PAL is
 * freestanding) and handed to the PAL as BPF; the Landlock ruleset is built
 * here too (it needs host paths opened with O_PATH) and handed over as an
 * fd. pal/linux/sandbox.c installs both just before libos_start, after the
 * PAL's own set-up. The list below is exactly the host syscalls the PAL
 * issues (grep host_syscall in pal/linux): a PAL change that adds one must
 * add it here, or the process stops with a "not on the PAL's allowlist"
 * message that names the syscall number. */
#define _GNU_SOURCE /* memfd_create, O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* ------------------------------------------------------------ seccomp */

/* Host syscalls the Linux PAL issues with any arguments. */
static const int s_plain[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(openat),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(getdents64),
    SCMP_SYS(mkdirat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(renameat),
    SCMP_SYS(linkat),
    SCMP_SYS(symlinkat),
    SCMP_SYS(readlinkat),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchown),
    SCMP_SYS(fchownat), /* PAL_OPTION_LINK handles */
    SCMP_SYS(fchmodat),
    SCMP_SYS(utimensat),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fsync),
    SCMP_SYS(statfs),
    /* Memory: W+X cannot be refused, the app's own JITs ask for it. */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(getrandom),
    SCMP_SYS(sysinfo),
    SCMP_SYS(uname),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(getgid),
    /* Signals to other processes stay inside the Landlock domain (scope). */
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(wait4),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_setaffinity),
    SCMP_SYS(eventfd2),
    SCMP_SYS(pipe2),
    SCMP_SYS(ppoll),
    SCMP_SYS(memfd_create),
    SCMP_SYS(bind),
    SCMP_SYS(connect),
    SCMP_SYS(listen),
    SCMP_SYS(accept4),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(shutdown),
};

struct arg_rule {
    int nr;
    unsigned arg;
    uint64_t value;
};

/* threads.c: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|PARENT_SETTID|CHILD_CLEARTID */
#define CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000)
#define HOST_SIGCHLD 17 /* fork: a plain copy */

/* Host syscalls allowed only with one of these values of one argument. */
static const struct arg_rule s_args[] = {
    {SCMP_SYS(clone), 0, CLONE_THREAD_FLAGS},
    {SCMP_SYS(clone), 0, HOST_SIGCHLD},
    {SCMP_SYS(prctl), 0, 59 /* PR_SET_SYSCALL_USER_DISPATCH (fork child) */},
    {SCMP_SYS(prctl), 0, 21 /* PR_GET_SECCOMP */},
    {SCMP_SYS(arch_prctl), 0, 0x1001 /* ARCH_SET_GS */},
    {SCMP_SYS(arch_prctl), 0, 0x1002 /* ARCH_SET_FS */},
    {SCMP_SYS(arch_prctl), 0, 0x1003 /* ARCH_GET_FS */},
    {SCMP_SYS(arch_prctl), 0, 0x1004 /* ARCH_GET_GS */},
    {SCMP_SYS(ioctl), 1, 0x5401 /* TCGETS */},
    {SCMP_SYS(ioctl), 1, 0x5402 /* TCSETS (never TIOCSTI: no typing into the host's terminal) */},
    {SCMP_SYS(ioctl), 1, 0x5403 /* TCSETSW */},
    {SCMP_SYS(ioctl), 1, 0x5404 /* TCSETSF */},
    {SCMP_SYS(ioctl), 1, 0x5413 /* TIOCGWINSZ */},
    {SCMP_SYS(ioctl), 1, 0x541b /* FIONREAD */},
    {SCMP_SYS(fcntl), 1, 1 /* F_GETFD */},
    {SCMP_SYS(fcntl), 1, 2 /* F_SETFD */},
    {SCMP_SYS(fcntl), 1, 3 /* F_GETFL */},
    {SCMP_SYS(fcntl), 1, 4 /* F_SETFL */},
    {SCMP_SYS(fcntl), 1, 1030 /* F_DUPFD_CLOEXEC */},
    {SCMP_SYS(fcntl), 1, 1034 /* F_GET_SEALS */},
    {SCMP_SYS(socket), 0, 1 /* AF_UNIX */},
    {SCMP_SYS(socket), 0, 2 /* AF_INET */},
    {SCMP_SYS(socket), 0, 10 /* AF_INET6 */},
    {SCMP_SYS(socketpair), 0, 1 /* AF_UNIX */},
    /* A new image (sabot-pal-child) narrows the filters: only more limits. */
    {SCMP_SYS(seccomp), 0, 1 /* SECCOMP_SET_MODE_FILTER */},
};

static int build_seccomp(bool exec_child, void **out, size_t *out_len) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx)
        return -ENOMEM;
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    for (size_t i = 0; !r && i < sizeof(s_plain) / sizeof(s_plain[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s_plain[i], 0);
    for (size_t i = 0; !r && i < sizeof(s_args) / sizeof(s_args[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s_args[i].nr, 1,
                             SCMP_CMP(s_args[i].arg, SCMP_CMP_EQ, s_args[i].value));
    /* execve of sabot-pal-child only: Landlock allows executing no other
     * file (LANDLOCK_ACCESS_FS_EXECUTE is handled, granted on it alone). */
    if (!r && exec_child)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0);
    int fd = -1;
    if (!r) {
        fd = memfd_create("sabot-seccomp", MFD_CLOEXEC);
        r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
    }
    seccomp_release(ctx);
    off_t len = r ? 0 : lseek(fd, 0, SEEK_END);
    void *buf = len > 0 ? malloc((size_t)len) : NULL;
    if (!r && (!buf || pread(fd, buf, (size_t)len, 0) != len))
        r = -EIO;
    if (fd >= 0)
        close(fd);
    if (r) {
        free(buf);
        return r < 0 ? r : -EINVAL;
    }
    *out = buf;
    *out_len = (size_t)len;
    return 0;
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

/* TCP ports granted by rules; false when a rule grants every port (then
 * Landlock does not handle that direction at all). */
static bool ports_of(const struct libos_net_rule *rules, size_t count, uint16_t **out,
                     size_t *n_out) {
    for (size_t i = 0; i < count; i++)
        if (rules[i].port_lo == 0 && rules[i].port_hi == 65535)
            return false;
    /* On the heap, not static: the libos process keeps no dirty page of it
     * (each one would be copied by every fork). */
    uint8_t *seen = calloc(65536, 1);
    if (!seen)
        return false; /* out of memory: leave the direction unhandled */
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        for (uint32_t p = rules[i].port_lo; p <= rules[i].port_hi; p++)
            n += !seen[p], seen[p] = 1;
    uint16_t *ports = malloc((n ? n : 1) * sizeof(*ports));
    if (ports) {
        n = 0;
        for (uint32_t p = 0; p < 65536; p++)
            if (seen[p])
                ports[n++] = (uint16_t)p;
    }
    free(seen);
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
    r = build_seccomp(child_loader != NULL, &sb->seccomp_filter, &sb->seccomp_filter_len);
    if (r < 0) {
        sabot_sandbox_free(sb);
        return fail(err, err_size, -r, "sandbox: cannot build the seccomp filter: %s",
                    strerror(-r));
    }
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
    free(sb->seccomp_filter);
    memset(sb, 0, sizeof(*sb));
}
