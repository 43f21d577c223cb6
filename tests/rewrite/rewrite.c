/* The hard cases of the lazy syscall rewrite (pal/linux/rewrite.c). Each
 * subtest also runs natively: the results must be the same; only the bytes
 * of a site differ (`syscall` natively, `call *%rax` once sabot rewrote it),
 * printed as "site: rewritten" or "site: syscall" for the runner to check.
 * usage: rewrite threads|signals|remap|fork|exec|nullcall */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_fail;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL: " __VA_ARGS__);                                                          \
            printf("\n");                                                                          \
            g_fail++;                                                                              \
        }                                                                                          \
    } while (0)

/* One syscall site for everything below, at a known address. */
extern const unsigned char site_insn[];
__attribute__((noinline)) static long site3(long nr, long a, long b, long c) {
    long r;
    register long rdi __asm__("rdi") = a, rsi __asm__("rsi") = b, rdx __asm__("rdx") = c;
    __asm__ volatile(".globl site_insn\nsite_insn: syscall"
                     : "=a"(r)
                     : "a"(nr), "r"(rdi), "r"(rsi), "r"(rdx)
                     : "rcx", "r11", "memory");
    return r;
}

static const char *site_state(const unsigned char *p) {
    return p[0] == 0x0f && p[1] == 0x05   ? "syscall"
           : p[0] == 0xff && p[1] == 0xd0 ? "rewritten"
                                          : "??";
}

/* ---- threads: 8 threads hammer the site while it gets rewritten */
#define THREADS 8
#define CALLS 20000
static pthread_barrier_t g_bar;
static void *hammer(void *arg) {
    long id = (long)arg;
    char path[64];
    snprintf(path, sizeof(path), "hammer.%ld", id);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    long bad = 0, pid = getpid();
    pthread_barrier_wait(&g_bar); /* all start at once: the first calls race the rewrite */
    for (long i = 0; i < CALLS; i++) {
        bad += site3(SYS_lseek, fd, i * 3 + id, SEEK_SET) != i * 3 + id;
        bad += site3(SYS_getpid, 0, 0, 0) != pid;
    }
    close(fd);
    unlink(path);
    return (void *)bad;
}
static void t_threads(void) {
    pthread_t t[THREADS];
    pthread_barrier_init(&g_bar, NULL, THREADS);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, (void *)i);
    long bad = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "threads: %ld wrong results of %d", bad, THREADS * CALLS * 2);
    printf("threads: %d calls exact\n", THREADS * CALLS * 2);
}

/* ---- threads run code in a page while other sites of that page are being
 * rewritten (the page is briefly not executable then) */
#define STUBS 400
static volatile int g_stop;
static long (*g_stub0)(void);
static void *spin_stub0(void *arg) {
    long bad = 0, pid = getpid();
    while (!g_stop)
        bad += g_stub0() != pid;
    return (void *)bad;
}
static void t_samepage(void) {
    unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < STUBS; i++) /* mov $39, %eax; syscall; ret (8 bytes each) */
        memcpy(p + 8 * i, (const unsigned char[]){0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3}, 8);
    mprotect(p, 4096, PROT_READ | PROT_EXEC);
    g_stub0 = (long (*)(void))p;
    g_stub0();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, spin_stub0, NULL);
    long bad = 0, pid = getpid();
    for (int i = 1; i < STUBS; i++) {
        bad += ((long (*)(void))(p + 8 * i))() != pid;
        usleep(100);
    }
    g_stop = 1;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "samepage: %ld wrong results", bad);
    printf("samepage: %d sites rewritten under running threads\n", STUBS);
    printf("last stub site: %s\n", site_state(p + 8 * (STUBS - 1) + 5));
    munmap(p, 4096);
}

/* ---- straddle: an instruction that crosses into a page being rewritten
 * faults with the fetch address on that page, past rip; it must be retried
 * like any other fetch from the page (it was a SIGSEGV once). */
static long (*g_straddle)(long);
static void *spin_straddle(void *arg) {
    long bad = 0;
    while (!g_stop)
        bad += g_straddle(1000) != 42;
    return (void *)bad;
}
static void t_straddle(void) {
    unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* mov %edi,%ecx; 1: movabs $42,%rax (bytes 4088..4097); dec %ecx; jnz 1b; ret */
    static const unsigned char loop[] = {0x89, 0xf9, 0x48, 0xb8, 42, 0, 0,    0,    0,
                                         0,    0,    0,    0xff, 0xc9, 0x75, 0xf2, 0xc3};
    memcpy(p + 4086, loop, sizeof(loop));
    unsigned char *stubs = p + 4096 + 64;
    for (int i = 0; i < STUBS; i++)
        memcpy(stubs + 8 * i, (const unsigned char[]){0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3}, 8);
    mprotect(p, 8192, PROT_READ | PROT_EXEC);
    g_straddle = (long (*)(long))(p + 4086);
    g_stop = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, spin_straddle, NULL);
    long bad = 0, pid = getpid();
    for (int i = 0; i < STUBS; i++) {
        bad += ((long (*)(void))(stubs + 8 * i))() != pid;
        usleep(100);
    }
    g_stop = 1;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    CHECK(bad == 0, "straddle: %ld wrong results", bad);
    printf("straddle: %d sites rewritten next to a page-crossing loop\n", STUBS);
    munmap(p, 8192);
}

/* ---- registers: everything but rax (and rcx/r11) survives a rewritten call */
extern const unsigned char regs_site[];
uint64_t g_regs_out[12];
__asm__(".text\n.globl regs_site\nregs_site: syscall\n ret\n");
static void t_regs(void) {
    long bad = 0;
    for (int i = 0; i < 1000; i++) {
        __asm__ volatile(
            "push %%rbx; push %%rbp; push %%r12; push %%r13; push %%r14; push %%r15\n"
            "mov $0x1111, %%rbx; mov $0x2222, %%rbp; mov $0x3333, %%r12; mov $0x4444, %%r13\n"
            "mov $0x5555, %%r14; mov $0x6666, %%r15; mov $0x7777, %%rdx; mov $0x8888, %%rsi\n"
            "mov $0x9999, %%rdi; mov $0xaaaa, %%r8; mov $0xbbbb, %%r9; mov $0xcccc, %%r10\n"
            "mov $39, %%eax\n"
            "call regs_site\n"
            "mov %%rbx, g_regs_out(%%rip); mov %%rbp, g_regs_out+8(%%rip)\n"
            "mov %%r12, g_regs_out+16(%%rip); mov %%r13, g_regs_out+24(%%rip)\n"
            "mov %%r14, g_regs_out+32(%%rip); mov %%r15, g_regs_out+40(%%rip)\n"
            "mov %%rdx, g_regs_out+48(%%rip); mov %%rsi, g_regs_out+56(%%rip)\n"
            "mov %%rdi, g_regs_out+64(%%rip); mov %%r8, g_regs_out+72(%%rip)\n"
            "mov %%r9, g_regs_out+80(%%rip); mov %%r10, g_regs_out+88(%%rip)\n"
            "pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx\n"
            :
            :
            : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
        static const uint64_t want[12] = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666,
                                          0x7777, 0x8888, 0x9999, 0xaaaa, 0xbbbb, 0xcccc};
        bad += memcmp(g_regs_out, want, sizeof(want)) != 0;
    }
    CHECK(bad == 0, "regs: %ld calls changed a register", bad);
    printf("regs site: %s\n", site_state(regs_site));
}

/* ---- signals: a fast timer whose handler makes syscalls through the site */
static volatile long g_sig_calls, g_sig_bad;
static void on_alarm(int sig) {
    int e = errno;
    g_sig_bad += site3(SYS_getpid, 0, 0, 0) != getpid();
    g_sig_bad += site3(SYS_getppid, 0, 0, 0) != getppid();
    g_sig_calls++;
    errno = e;
}
static void t_signals(void) {
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, NULL);
    long pid = getpid(), bad = 0, n = 0;
    double x = 1.5; /* FPU state must survive the handlers too */
    while (g_sig_calls < 2000) {
        bad += site3(SYS_getpid, 0, 0, 0) != pid;
        x = x * 1.0000001;
        n++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    CHECK(bad == 0, "signals: %ld wrong results in the loop", bad);
    CHECK(g_sig_bad == 0, "signals: %ld wrong results in the handler", g_sig_bad);
    CHECK(x > 1.5, "signals: FPU value lost");
    printf("signals: %ld handler runs, loop of %s calls exact\n", g_sig_calls >= 2000 ? 2000L : -1L,
           n > 2000 ? "many" : "few");
}

/* ---- remap: code unmapped and mapped again at the same address with
 * other bytes; and W+X (JIT) memory */
static const unsigned char code_getpid[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};   /* getpid */
static const unsigned char code_getppid[] = {0xb8, 110, 0, 0, 0, 0x0f, 0x05, 0xc3}; /* getppid */
static void *map_code(void *at, const unsigned char *code, size_t n, int prot_final) {
    void *p = mmap(at, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memcpy((char *)p + 100, code, n);
    mprotect(p, 4096, prot_final);
    return p;
}
static void t_remap(void) {
    char *p = map_code(NULL, code_getpid, sizeof(code_getpid), PROT_READ | PROT_EXEC);
    long (*fn)(void) = (long (*)(void))(p + 100);
    long a = fn(), b = fn();
    CHECK(a == getpid() && b == getpid(), "remap: first code: %ld %ld", a, b);
    printf("first code site: %s\n", site_state((unsigned char *)p + 105));
    munmap(p, 4096);
    char *q = map_code(p, code_getppid, sizeof(code_getppid), PROT_READ | PROT_EXEC);
    CHECK(q == p, "remap: not at the same address");
    a = fn(), b = fn();
    CHECK(a == getppid() && b == getppid(), "remap: second code gives %ld %ld, want getppid %d", a,
          b, (int)getppid());
    printf("second code site: %s\n", site_state((unsigned char *)q + 105));
    munmap(q, 4096);
    /* W+X memory written in place (the JIT case) */
    char *w = map_code(NULL, code_getpid, sizeof(code_getpid), PROT_READ | PROT_WRITE | PROT_EXEC);
    fn = (long (*)(void))(w + 100);
    a = fn(), b = fn();
    CHECK(a == getpid() && b == getpid(), "remap: W+X code: %ld %ld", a, b);
    printf("jit site: %s\n", site_state((unsigned char *)w + 105));
    memcpy(w + 100, code_getppid, sizeof(code_getppid)); /* the app rewrites its code */
    a = fn();
    CHECK(a == getppid(), "remap: rewritten JIT code gives %ld", a);
    munmap(w, 4096);
}

/* ---- fork and exec after the rewrite */
static void t_fork(void) {
    site3(SYS_getpid, 0, 0, 0);
    site3(SYS_getpid, 0, 0, 0);
    long bad = 0;
    for (int i = 0; i < 50; i++) {
        pid_t c = fork();
        if (c == 0) {
            long me = site3(SYS_getpid, 0, 0, 0);
            _exit(me == getpid() && site3(SYS_getppid, 0, 0, 0) == getppid() ? 7 : 1);
        }
        int st;
        bad += waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 7;
    }
    CHECK(bad == 0, "fork: %ld children saw wrong results", bad);
    printf("fork: 50 children exact\n");
}
static void t_exec(char *self) {
    site3(SYS_getpid, 0, 0, 0);
    printf("before exec site: %s\n", site_state(site_insn));
    fflush(stdout);
    char *argv[] = {self, "exec-child", NULL};
    site3(SYS_execve, (long)self, (long)argv, (long)environ);
    printf("FAIL: execve: %s\n", strerror(errno));
}
static void t_exec_child(void) {
    /* A fresh image: its site is a plain syscall again until it runs. */
    CHECK(site_insn[0] == 0x0f && site_insn[1] == 0x05, "exec child: the new image's site is %s",
          site_state(site_insn));
    long a = site3(SYS_getpid, 0, 0, 0);
    CHECK(a == getpid(), "exec child: getpid %ld", a);
}

/* ---- a call through a null pointer that is not `call *%rax` still faults */
static sigjmp_buf g_jmp;
static volatile void *g_addr;
static void on_segv(int sig, siginfo_t *si, void *uc) {
    g_addr = si->si_addr;
    siglongjmp(g_jmp, 1);
}
static void t_nullcall(void) {
    site3(SYS_getpid, 0, 0, 0);
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    int caught = 0;
    for (int i = 0; i < 3; i++) {
        g_addr = (void *)1;
        if (sigsetjmp(g_jmp, 1) == 0)
            __asm__ volatile("call *%%rdx" ::"d"(0L) : "memory"); /* not call *%rax */
        else
            caught += g_addr == NULL;
    }
    CHECK(caught == 3, "nullcall: %d of 3 calls to NULL raised SIGSEGV at 0 (last at %p)", caught,
          g_addr);
    printf("nullcall: SIGSEGV at 0\n");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *t = argc > 1 ? argv[1] : "";
    if (!strcmp(t, "threads")) {
        t_threads();
        t_regs();
        t_samepage();
        t_straddle();
    } else if (!strcmp(t, "signals"))
        t_signals();
    else if (!strcmp(t, "remap"))
        t_remap();
    else if (!strcmp(t, "fork"))
        t_fork();
    else if (!strcmp(t, "exec"))
        t_exec(argv[0]);
    else if (!strcmp(t, "exec-child"))
        t_exec_child();
    else if (!strcmp(t, "nullcall"))
        t_nullcall();
    else {
        printf("FAIL: unknown subtest %s\n", t);
        return 2;
    }
    if (strcmp(t, "remap") && strcmp(t, "exec"))
        printf("site: %s\n", site_state(site_insn));
    printf("rewrite: %s\n", g_fail ? "FAILED" : "ALL OK");
    return g_fail != 0;
}
