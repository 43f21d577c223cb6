/* Escape attempts that are not file operations: memory calls aimed at the
 * libos and PAL, raw syscalls from JIT code, ptrace, personality, and the
 * manifest's limits. Usage: attack CASE [ARGS...]; see run_security.sh.
 * Cases that need the host's view of the process (mem_*, proc_mem, forkbomb)
 * hand-shake with the script through files in the current directory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sec.h"

/* ------------------------------------------------------------ hand-shake */

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Creates NAME.ready, then waits (up to 60 s) for the script's NAME.go. */
static int handshake(const char *name) {
    char p[64];
    snprintf(p, sizeof(p), "%s.ready", name);
    close(open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    snprintf(p, sizeof(p), "%s.go", name);
    for (int i = 0; i < 6000; i++) {
        if (access(p, F_OK) == 0)
            return 0;
        sleep_ms(10);
    }
    CHECK(0, "the script never answered %s", p);
    return -1;
}

/* ------------------------------------------------------- memory targets */

struct range {
    uint64_t start, end;
    char line[160];
};
static struct range g_app[512], g_target[256];
static int g_napp, g_ntarget;

static int read_maps(const char *path, struct range *out, int max) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    char line[512];
    while (n < max && fgets(line, sizeof(line), f)) {
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx", &s, &e) != 2)
            continue;
        out[n].start = s;
        out[n].end = e;
        line[strcspn(line, "\n")] = '\0';
        snprintf(out[n].line, sizeof(out[n].line), "%s", line);
        n++;
    }
    fclose(f);
    return n;
}

/* Host mappings (hostmaps, written by the script from /proc/PID/maps of the
 * sabot process) that no app mapping overlaps: the libos, the PAL, the
 * runtime, their heaps and stacks. */
static int find_targets(void) {
    static struct range host[1024];
    int nh = read_maps("hostmaps", host, 1024);
    g_napp = read_maps("/proc/self/maps", g_app, 512);
    CHECK(nh > 0 && g_napp > 0, "host maps: %d lines, app maps: %d lines", nh, g_napp);
    for (int i = 0; i < nh && g_ntarget < 256; i++) {
        /* [vsyscall], and page 0 (the syscall-rewrite trampoline): an
         * address of 0 means NULL to many calls, and Linux refuses app
         * mappings below mmap_min_addr anyway. */
        if (host[i].start >= 0xffffffffff600000UL || host[i].start < 0x10000)
            continue;
        /* Small anonymous read-write chunks are the libos heap's, which it
         * maps and unmaps as it runs (reading this very file does): one
         * freed before the attack is free memory, fairly claimed. The
         * stable ones (PAL stacks, the heap arenas) stay targets. */
        char perms[8] = "", dev[16] = "", path[2] = "";
        unsigned long off, inode = 1;
        int nf = sscanf(host[i].line, "%*x-%*x %7s %lx %15s %lu %1s", perms, &off, dev, &inode,
                        path);
        if (nf == 4 && !strcmp(perms, "rw-p") && inode == 0 &&
            host[i].end - host[i].start < 256 * 1024)
            continue;
        int overlap = 0;
        for (int j = 0; j < g_napp; j++)
            if (host[i].start < g_app[j].end && g_app[j].start < host[i].end)
                overlap = 1;
        if (!overlap)
            g_target[g_ntarget++] = host[i];
    }
    CHECK(g_ntarget >= 3, "%d host mappings are not the program's (libos, PAL, runtime)",
          g_ntarget);
    /* The script checks afterwards that each of them is still there. */
    FILE *f = fopen("targets", "w");
    for (int i = 0; f && i < g_ntarget; i++)
        fprintf(f, "%s\n", g_target[i].line);
    if (f)
        fclose(f);
    return g_ntarget;
}

/* Counts results per target so one line sums up all targets. */
#define EACH_TARGET(desc, want_r, want_e, expr)                                                    \
    do {                                                                                           \
        int bad_ = 0;                                                                              \
        for (int i = 0; i < g_ntarget; i++) {                                                      \
            uint64_t s = g_target[i].start, e = g_target[i].end;                                   \
            (void)e;                                                                               \
            errno = 0;                                                                             \
            long r_ = (long)(expr);                                                                \
            if (r_ != (want_r) || (r_ == -1 && errno != (want_e))) {                               \
                printf("     %s on %s -> %ld %s\n", desc, g_target[i].line, r_, errname(errno));   \
                bad_++;                                                                            \
            }                                                                                      \
        }                                                                                          \
        CHECK(bad_ == 0, "%s on %d libos/PAL mappings -> %s", desc, g_ntarget,                     \
              (want_r) == -1 ? errname(want_e) : "0");                                             \
    } while (0)

/* The libos still answers correctly after an attack. */
static void still_works(void) {
    char buf[64] = {0};
    int fd = open("/etc/passwd", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "JAIL-PASSWD", 11),
          "the libos still works: /etc/passwd reads '%.11s'", buf);
    close(fd);
    void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED, "and mmap still works");
    if (p != MAP_FAILED) {
        memset(p, 0x5a, 1 << 20);
        munmap(p, 1 << 20);
    }
}

/* How many mappings the program has (its own /proc/self/maps). */
static int count_maps(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

static int mem_case(const char *what) {
    if (handshake("maps") < 0 || find_targets() < 3)
        return check_done();
    char *app = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!strcmp(what, "mprotect")) {
        EACH_TARGET("mprotect(RWX) of the first page", -1, ENOMEM,
                    mprotect((void *)s, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
        EACH_TARGET("mprotect(NONE) of the whole mapping", -1, ENOMEM,
                    mprotect((void *)s, e - s, PROT_NONE));
        EACH_TARGET("mprotect(READ) from an app page across it", -1, ENOMEM,
                    mprotect((void *)((s > 0x10000) ? s - 4096 : s), 8192, PROT_READ));
        EACH_TARGET("pkey_mprotect(NONE)", -1, ENOSYS,
                    syscall(SYS_pkey_mprotect, s, 4096, PROT_NONE, 0));
    } else if (!strcmp(what, "mmap")) {
        EACH_TARGET("mmap(MAP_FIXED) over it", -1, ENOMEM,
                    mmap((void *)s, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        /* The page below may be free: a failed MAP_FIXED must not keep it. */
        int before = count_maps();
        EACH_TARGET("mmap(MAP_FIXED) from the page below across it", -1, ENOMEM,
                    mmap((void *)((s > 0x10000) ? s - 4096 : s), 8192, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
        int after = count_maps();
        CHECK(after == before, "failed MAP_FIXED calls left no mapping behind (%d -> %d)", before,
              after);
        EACH_TARGET("mmap(MAP_FIXED_NOREPLACE) over it", -1, EEXIST,
                    mmap((void *)s, 4096, PROT_READ,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
        int fd = open("/etc/passwd", O_RDONLY);
        EACH_TARGET("mmap(file, MAP_FIXED) over it", -1, ENOMEM,
                    mmap((void *)s, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0));
        close(fd);
        /* A hint is only a hint: the kernel must put the mapping elsewhere. */
        EACH_TARGET("mmap(hint) lands outside it", 1, 0, ({
                        char *m = mmap((void *)s, 4096, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        long ok = m != MAP_FAILED && ((uint64_t)m + 4096 <= s || (uint64_t)m >= e);
                        if (m != MAP_FAILED)
                            munmap(m, 4096);
                        ok;
                    }));
    } else if (!strcmp(what, "munmap")) {
        /* Linux: unmapping a range with nothing (of ours) in it succeeds. */
        EACH_TARGET("munmap of the whole mapping", 0, 0, munmap((void *)s, e - s));
        EACH_TARGET("madvise(DONTNEED)", -1, ENOMEM, madvise((void *)s, e - s, MADV_DONTNEED));
        EACH_TARGET("madvise(FREE)", -1, ENOMEM, madvise((void *)s, 4096, MADV_FREE));
        EACH_TARGET("msync", -1, ENOMEM, msync((void *)s, 4096, MS_SYNC));
        EACH_TARGET("munlock", -1, ENOMEM, munlock((void *)s, 4096));
    } else if (!strcmp(what, "mremap")) {
        EACH_TARGET("mremap(grow, MAYMOVE) of it", -1, EFAULT,
                    mremap((void *)s, 4096, 8192, MREMAP_MAYMOVE));
        EACH_TARGET("mremap(shrink) of it", -1, EFAULT, mremap((void *)s, e - s, 4096, 0));
        EACH_TARGET("mremap(app page, FIXED) onto it", -1, ENOMEM,
                    mremap(app, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)s));
    } else if (!strcmp(what, "args")) {
        /* Pointers into the libos as syscall buffers: the libos must not
         * read from or write to them on the program's behalf. */
        int p[2];
        pipe(p);
        write(p[1], "XXXXXXXX", 8);
        int fd = open("/etc/passwd", O_RDONLY);
        /* Raw syscalls: libc wrappers may copy in user space. */
        EACH_TARGET("pread(file) into it", -1, EFAULT, syscall(SYS_pread64, fd, s, 8, 0));
        EACH_TARGET("read(pipe) into it", -1, EFAULT, syscall(SYS_read, p[0], s, 1));
        EACH_TARGET("write(pipe) from it", -1, EFAULT, syscall(SYS_write, p[1], s, 8));
        EACH_TARGET("readv into it", -1, EFAULT, ({
                        struct iovec v = {(void *)s, 8};
                        syscall(SYS_readv, fd, &v, 1);
                    }));
        EACH_TARGET("readv with the iovec in it", -1, EFAULT, syscall(SYS_readv, fd, s, 1));
        EACH_TARGET("stat into it", -1, EFAULT, syscall(SYS_stat, "/etc/passwd", s));
        EACH_TARGET("fstat into it", -1, EFAULT, syscall(SYS_fstat, fd, s));
        EACH_TARGET("getcwd into it", -1, EFAULT, syscall(SYS_getcwd, (char *)s, 64));
        EACH_TARGET("open(path in it)", -1, EFAULT, syscall(SYS_open, s + 1, O_RDONLY));
        EACH_TARGET("recvfrom into it", -1, EFAULT, ({
                        int sp[2];
                        socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
                        send(sp[0], "X", 1, 0);
                        long r = syscall(SYS_recvfrom, sp[1], s, 1, 0, NULL, NULL);
                        int e = errno;
                        close(sp[0]);
                        close(sp[1]);
                        errno = e;
                        r;
                    }));
        EACH_TARGET("clock_gettime syscall into it", -1, EFAULT,
                    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)s));
        EACH_TARGET("rt_sigaction old into it", -1, EFAULT,
                    syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)s, 8));
        EACH_TARGET("getrandom into it", -1, EFAULT, syscall(SYS_getrandom, (void *)s, 8, 0));
        close(fd);
    } else if (!strcmp(what, "procmem")) {
        /* /proc/self/mem: the libos does not offer it (ENOENT); if it
         * ever does, libos memory must read as unmapped (EIO). */
        int fd = open("/proc/self/mem", O_RDWR);
        if (fd < 0) {
            CHECK(errno == ENOENT, "open /proc/self/mem -> %s (not offered)", errname(errno));
            CHECK_ERR(open("/proc/1/mem", O_RDWR), ENOENT);
            CHECK_ERR(open("/proc/self/task/1/mem", O_RDWR), ENOENT);
        } else {
            EACH_TARGET("pwrite(/proc/self/mem) into it", -1, EIO, pwrite(fd, "ESCAPED!", 8, s));
            EACH_TARGET("pread(/proc/self/mem) from it", -1, EIO, ({
                            char b[8];
                            pread(fd, b, 8, s);
                        }));
            close(fd);
        }
    } else {
        CHECK(0, "unknown mem case %s", what);
    }
    still_works();
    handshake("after"); /* the script compares the host maps again */
    return check_done();
}

/* ---------------------------------------------------------------- JIT */

/* long stub(nr, a1, a2, a3): mov %rdi,%rax; mov %rsi,%rdi; mov %rdx,%rsi;
 * mov %rcx,%rdx; syscall; ret */
static const unsigned char g_stub[] = {0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89,
                                       0xd6, 0x48, 0x89, 0xca, 0x0f, 0x05, 0xc3};
typedef long (*stub_fn)(long, long, long, long);

static void jit_calls(stub_fn fn, const char *hidden) {
    long r = fn(SYS_openat, AT_FDCWD, (long)hidden, O_RDONLY);
    CHECK(r == -ENOENT, "raw openat(%s) from JIT code -> %ld (want -ENOENT)", hidden, r);
    r = fn(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY);
    char buf[32] = {0};
    if (r >= 0) {
        fn(SYS_read, r, (long)buf, sizeof(buf) - 1);
        fn(SYS_close, r, 0, 0);
    }
    CHECK(r >= 0 && !strncmp(buf, "JAIL-PASSWD", 11),
          "raw openat(/etc/passwd) from JIT code reads the jail's file: '%.11s'", buf);
    r = fn(SYS_getpid, 0, 0, 0);
    CHECK(r == getpid(), "raw getpid from JIT code -> %ld, libc getpid %d", r, getpid());
    struct stat a, b;
    r = fn(SYS_stat, (long)"/etc/passwd", (long)&a, 0);
    CHECK(r == 0 && stat("/etc/passwd", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev,
          "raw stat from JIT code sees the same file as libc");
    r = fn(SYS_mkdir, (long)"/ro/jitdir", 0755, 0);
    CHECK(r == -EROFS, "raw mkdir on the read-only mount from JIT code -> %ld (want -EROFS)", r);
}

static int jit_case(const char *how, const char *hidden) {
    stub_fn fn = NULL;
    if (!strcmp(how, "rwx")) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        CHECK(p != MAP_FAILED, "mmap RWX");
        memcpy(p, g_stub, sizeof(g_stub));
        fn = (stub_fn)p;
    } else if (!strcmp(how, "wx")) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        memcpy(p, g_stub, sizeof(g_stub));
        CHECK_OK(mprotect(p, 4096, PROT_READ | PROT_EXEC));
        fn = (stub_fn)p;
    } else if (!strcmp(how, "alias")) {
        /* Two views of one memfd: written through one, run through the other. */
        int fd = memfd_create("jit", 0);
        CHECK_OK(ftruncate(fd, 4096));
        unsigned char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        CHECK(w != MAP_FAILED && x != MAP_FAILED, "memfd mapped twice (RW and RX)");
        memcpy(w, g_stub, sizeof(g_stub));
        fn = (stub_fn)x;
    } else if (!strcmp(how, "stack")) {
        /* Code on the stack, made executable with mprotect. */
        static unsigned char *page;
        unsigned char buf[3 * 4096];
        page = (unsigned char *)(((uintptr_t)buf + 4095) & ~4095UL);
        memcpy(page, g_stub, sizeof(g_stub));
        CHECK_OK(mprotect(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
        jit_calls((stub_fn)page, hidden);
        return check_done();
    }
    if (fn)
        jit_calls(fn, hidden);
    return check_done();
}

/* ---------------------------------------------------- ptrace and friends */

static int ptrace_case(void) {
    /* The libos has no ptrace: ENOSYS for every request, so nothing can
     * trace, peek or poke another process or the libos. */
    CHECK_ERR(ptrace(PTRACE_TRACEME, 0, 0, 0), ENOSYS);
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char b;
        read(p[0], &b, 1); /* until killed */
        _exit(0);
    }
    CHECK_ERR(ptrace(PTRACE_ATTACH, c, 0, 0), ENOSYS);
    CHECK_ERR(ptrace(PTRACE_SEIZE, c, 0, 0), ENOSYS);
    CHECK_ERR(ptrace(PTRACE_PEEKDATA, c, (void *)&c, 0), ENOSYS);
    CHECK_ERR(ptrace(PTRACE_POKEDATA, getppid(), (void *)&c, 0), ENOSYS);
    kill(c, SIGKILL);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st), "the child was not stopped by a tracer");
    return check_done();
}

static int process_vm_case(void) {
    long secret = 0x5ec7e7;
    pid_t c = fork();
    if (c == 0) {
        sleep_ms(300);
        _exit(secret == 0x5ec7e7 ? 0 : 1); /* 1: the parent wrote into us */
    }
    long val = 0x666;
    struct iovec l = {&val, sizeof(val)}, r = {&secret, sizeof(secret)};
    CHECK_ERR(process_vm_writev(c, &l, 1, &r, 1, 0), ENOSYS);
    CHECK_ERR(process_vm_readv(c, &l, 1, &r, 1, 0), ENOSYS);
    CHECK_ERR(process_vm_writev(getpid(), &l, 1, &r, 1, 0), ENOSYS);
    CHECK_ERR(process_vm_readv(1, &l, 1, &r, 1, 0), ENOSYS);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the child's memory is unchanged (status %#x)", st);
    /* kcmp and pidfd_getfd: other ways into another process. */
    CHECK_ERR(syscall(SYS_kcmp, getpid(), c, 0, 0, 0), ENOSYS);
    CHECK_ERR(syscall(SYS_pidfd_open, c, 0), ENOSYS);
    return check_done();
}

static int personality_case(const char *hidden) {
    int old = personality(0xffffffff);
    CHECK(old == 0, "personality query -> %#x (PER_LINUX)", old);
    int flags = READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE;
    int r = personality(flags);
    CHECK(r == 0, "personality(READ_IMPLIES_EXEC|ADDR_NO_RANDOMIZE) -> %d %s (the old persona)", r,
          r < 0 ? errname(errno) : "");
    int now = personality(0xffffffff);
    CHECK(now == flags, "personality query -> %#x", now);
    /* Nothing is weaker afterwards: raw syscalls still enter the libos. */
    void *p =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(p, g_stub, sizeof(g_stub));
    jit_calls((stub_fn)p, hidden);
    CHECK_ERR(open(hidden, O_RDONLY), ENOENT);
    CHECK_ERR(mprotect((void *)0x10000, 4096, PROT_READ), ENOMEM);
    pid_t c = fork(); /* the persona is inherited; the child is as confined */
    if (c == 0)
        _exit(personality(0xffffffff) == flags && open(hidden, O_RDONLY) < 0 && errno == ENOENT
                  ? 0
                  : 1);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "a forked child keeps the persona and sees no more (status %#x)", st);
    CHECK(personality(PER_LINUX) == flags && personality(0xffffffff) == 0, "and back to PER_LINUX");
    return check_done();
}

/* -------------------------------------------------------------- limits */

/* Forks until EAGAIN; children wait on a pipe. Expect WANT children. */
static int forkbomb_case(int want) {
    int p[2];
    pipe(p);
    int n = 0, e = 0;
    while (n < 256) {
        pid_t c = fork();
        if (c < 0) {
            e = errno;
            break;
        }
        if (c == 0) {
            char b;
            close(p[1]);
            read(p[0], &b, 1); /* until the parent closes the pipe */
            _exit(0);
        }
        n++;
    }
    CHECK(n == want && e == EAGAIN, "%d forks, then %s (want %d, EAGAIN)", n, errname(e), want);
    CHECK_ERR(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0), EAGAIN);
    pid_t v = vfork();
    if (v == 0)
        _exit(0);
    CHECK(v < 0 && errno == EAGAIN, "vfork -> %d %s (want EAGAIN)", v, errname(errno));
    /* Raising RLIMIT_NPROC does not lift the manifest's limit. */
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    int sr = setrlimit(RLIMIT_NPROC, &rl);
    printf("     setrlimit(RLIMIT_NPROC, infinity) -> %d %s\n", sr, sr ? errname(errno) : "");
    CHECK_ERR(fork(), EAGAIN);
    handshake("peak"); /* the script counts host processes now */
    close(p[1]);
    int reaped = 0, st;
    while (wait(&st) > 0)
        reaped++;
    CHECK(reaped == n, "reaped %d children", reaped);
    pid_t c = fork();
    if (c == 0)
        _exit(7);
    CHECK(c > 0 && waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 7,
          "after reaping, fork works again");
    return check_done();
}

/* Opens until EMFILE: WANT descriptors in all (0-2 included). */
static int fds_case(int want) {
    int n = 3, e = 0;
    for (;;) {
        int fd = open("/etc/passwd", O_RDONLY);
        if (fd < 0) {
            e = errno;
            break;
        }
        n++;
        if (n > 100000)
            break;
    }
    CHECK(n == want && e == EMFILE, "%d descriptors, then %s (want %d, EMFILE)", n, errname(e),
          want);
    int p[2];
    CHECK_ERR(pipe(p), EMFILE);
    CHECK_ERR(dup(0), EMFILE);
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 0), EMFILE);
    CHECK_ERR(fcntl(0, F_DUPFD, 0), EMFILE);
    CHECK_ERR(syscall(SYS_memfd_create, "x", 0), EMFILE);
    CHECK_ERR(syscall(SYS_eventfd2, 0, 0), EMFILE);
    CHECK_ERR(dup2(0, want + 10), EBADF);
    /* The manifest's limit is a ceiling: raising it fails. */
    struct rlimit rl = {(rlim_t)want * 4, (rlim_t)want * 4};
    CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EPERM);
    CHECK_ERR(open("/etc/passwd", O_RDONLY), EMFILE);
    close(3);
    CHECK(open("/etc/passwd", O_RDONLY) == 3, "after a close, open works again");
    return check_done();
}

/* mmap and brk past the memory limit of LIMIT bytes. */
static int memory_case(long limit) {
    void *big = mmap(NULL, limit * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(big == MAP_FAILED && errno == ENOMEM, "mmap of twice the limit -> %s",
          big == MAP_FAILED ? errname(errno) : "mapped");
    long total = 0;
    for (;;) {
        void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            break;
        memset(p, 1, 1 << 20); /* really use it */
        total += 1 << 20;
        if (total > 4 * limit)
            break;
    }
    CHECK(errno == ENOMEM && total <= limit && total >= limit / 2,
          "1 MiB mmaps stop with %s after %ld MiB (limit %ld MiB)", errname(errno), total >> 20,
          limit >> 20);
    void *cur = sbrk(0);
    CHECK(sbrk(limit) == (void *)-1 && errno == ENOMEM, "sbrk past the limit -> ENOMEM");
    CHECK(sbrk(0) == cur, "the break did not move");
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    int sr = setrlimit(RLIMIT_AS, &rl);
    printf("     setrlimit(RLIMIT_AS, infinity) -> %d %s\n", sr, sr ? errname(errno) : "");
    void *again = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(again == MAP_FAILED && errno == ENOMEM, "still ENOMEM after setrlimit");
    return check_done();
}

int main(int argc, char **argv) {
    check_init("attack");
    if (argc < 2)
        return 2;
    const char *c = argv[1], *a = argc > 2 ? argv[2] : "";
    chdir("/data"); /* the hand-shake files live there */
    if (!strncmp(c, "mem_", 4))
        return mem_case(c + 4);
    if (!strcmp(c, "jit"))
        return jit_case(a, argc > 3 ? argv[3] : "/nonexistent");
    if (!strcmp(c, "ptrace"))
        return ptrace_case();
    if (!strcmp(c, "process_vm"))
        return process_vm_case();
    if (!strcmp(c, "personality"))
        return personality_case(a);
    if (!strcmp(c, "forkbomb"))
        return forkbomb_case(atoi(a));
    if (!strcmp(c, "fds"))
        return fds_case(atoi(a));
    if (!strcmp(c, "memory"))
        return memory_case(atol(a));
    CHECK(0, "unknown case %s", c);
    return check_done();
}
