/* Signals with threads:
 *   thread    pthread_kill reaches exactly the target (handler sees its tid)
 *   route     a process signal goes to the one thread not blocking it
 *   altstack  SA_ONSTACK handlers run on the sigaltstack (per thread)
 *   overflow  stack overflow in a thread handled on the alternate stack
 *   restart   read on an empty pipe + SIGALRM: EINTR without SA_RESTART,
 *             continues with it; nanosleep is EINTR either way
 *   suspend   sigpending, rt_sigsuspend, mask restored afterwards
 *   wait      sigtimedwait (timeout, sigqueue si_value, RT queueing order,
 *             standard signals coalesce), sigwaitinfo from another thread
 *   flags     SA_RESETHAND, SA_NODEFER, sa_mask, SIG_IGN, ignored defaults
 *   segv      SIGSEGV (MAPERR/ACCERR, si_addr) recovered with siglongjmp,
 *             in main and in a thread
 *   faults    SIGFPE, SIGILL, SIGBUS, SIGTRAP with their si_code
 *   term      raise(SIGTERM) with the default action: killed (status 143)
 *   hostsig   prints "ready" then waits; a SIGTERM, SIGINT or SIGHUP from
 *             outside must run the handler, which exits 0 (hostsig.sh) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "i3.h"

static pid_t my_tid(void) {
    return (pid_t)syscall(SYS_gettid);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
    struct sigaction sa = {0};
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

static int is_blocked(int sig) {
    sigset_t s;
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

/* ---------------------------------------------------------------- thread */

#define NT 4

struct tinfo {
    pthread_t th;
    _Atomic pid_t tid;
    _Atomic int got;
    _Atomic int stop;
};

static _Atomic pid_t g_handler_tid;
static void on_usr1_tid(int sig, siginfo_t *si, void *uc) {
    atomic_store(&g_handler_tid, my_tid());
}

static void *idle_thread(void *arg) {
    struct tinfo *t = arg;
    atomic_store(&t->tid, my_tid());
    while (!atomic_load(&t->stop))
        ms_sleep(1);
    return NULL;
}

static void start_idle(struct tinfo *t, int n) {
    for (int i = 0; i < n; i++) {
        atomic_store(&t[i].tid, 0);
        atomic_store(&t[i].stop, 0);
        pthread_create(&t[i].th, NULL, idle_thread, &t[i]);
    }
    for (int i = 0; i < n; i++)
        while (!atomic_load(&t[i].tid))
            ms_sleep(1);
}

static void stop_idle(struct tinfo *t, int n) {
    for (int i = 0; i < n; i++)
        atomic_store(&t[i].stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(t[i].th, NULL);
}

static int wait_flag(_Atomic pid_t *v) {
    for (int i = 0; i < 2000 && !atomic_load(v); i++)
        ms_sleep(1);
    return atomic_load(v) != 0;
}

static void test_thread(void) {
    struct tinfo t[NT];
    set_handler(SIGUSR1, on_usr1_tid, 0);
    start_idle(t, NT);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NT; i++) {
            atomic_store(&g_handler_tid, 0);
            int r = pthread_kill(t[i].th, SIGUSR1);
            int came = wait_flag(&g_handler_tid);
            CHECK(r == 0 && came && g_handler_tid == t[i].tid,
                  "pthread_kill to thread %d (tid %d): handler ran in tid %d", i, (int)t[i].tid,
                  (int)g_handler_tid);
        }
    }
    /* tgkill to ourselves runs the handler before the call returns. */
    atomic_store(&g_handler_tid, 0);
    syscall(SYS_tgkill, getpid(), my_tid(), SIGUSR1);
    CHECK(g_handler_tid == my_tid(), "tgkill to self: handler ran synchronously in main");
    errno = 0;
    CHECK(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1) == -1 && errno == ESRCH,
          "tgkill to a tid that does not exist -> ESRCH (%s)", errstr(errno));
    errno = 0;
    CHECK(syscall(SYS_tgkill, getpid(), t[0].tid, 0) == 0, "tgkill with signal 0 probes a thread");
    stop_idle(t, NT);
    signal(SIGUSR1, SIG_DFL);
}

/* ----------------------------------------------------------------- route */

static void *route_thread(void *arg) {
    struct tinfo *t = arg;
    atomic_store(&t->tid, my_tid());
    if (atomic_load(&t->got)) /* the chosen one */
        block(SIGUSR2, SIG_UNBLOCK);
    while (!atomic_load(&t->stop))
        ms_sleep(1);
    return NULL;
}

static void test_route(void) {
    struct tinfo t[NT];
    set_handler(SIGUSR2, on_usr1_tid, 0);
    block(SIGUSR2, SIG_BLOCK); /* inherited by every thread */
    for (int chosen = 0; chosen < NT; chosen++) {
        for (int i = 0; i < NT; i++) {
            t[i].tid = 0;
            t[i].stop = 0;
            t[i].got = i == chosen;
            pthread_create(&t[i].th, NULL, route_thread, &t[i]);
        }
        for (int i = 0; i < NT; i++)
            while (!atomic_load(&t[i].tid))
                ms_sleep(1);
        ms_sleep(20); /* the chosen one has unblocked */
        atomic_store(&g_handler_tid, 0);
        kill(getpid(), SIGUSR2);
        int came = wait_flag(&g_handler_tid);
        CHECK(came && g_handler_tid == t[chosen].tid,
              "kill(getpid()) with only thread %d (tid %d) unblocked: handler ran in tid %d",
              chosen, (int)t[chosen].tid, (int)g_handler_tid);
        stop_idle(t, NT);
    }
    /* Nobody unblocked: the signal stays pending for the process, then runs
     * in main when main unblocks it. */
    atomic_store(&g_handler_tid, 0);
    kill(getpid(), SIGUSR2);
    ms_sleep(20);
    sigset_t p;
    sigpending(&p);
    CHECK(g_handler_tid == 0 && sigismember(&p, SIGUSR2),
          "all blocked: SIGUSR2 pending, not delivered");
    block(SIGUSR2, SIG_UNBLOCK);
    CHECK(g_handler_tid == my_tid(), "delivered to main on unblock (tid %d)", (int)g_handler_tid);
    signal(SIGUSR2, SIG_DFL);
}

/* -------------------------------------------------------------- altstack */

static char *volatile g_alt_lo, *volatile g_alt_hi;
static volatile int g_on_alt, g_ss_flags;
static void on_alt(int sig, siginfo_t *si, void *uc) {
    char local;
    g_on_alt = &local >= g_alt_lo && &local < g_alt_hi;
    stack_t cur;
    sigaltstack(NULL, &cur);
    g_ss_flags = cur.ss_flags;
}

/* In the calling thread: install an alt stack, check SA_ONSTACK use. */
static int altstack_check(const char *who) {
    size_t sz = 64 * 1024;
    char *mem = malloc(sz);
    stack_t ss = {.ss_sp = mem, .ss_size = sz, .ss_flags = 0}, old;
    int fails = g_failures;
    CHECK(sigaltstack(&ss, &old) == 0, "%s: sigaltstack set", who);
    CHECK(old.ss_flags == SS_DISABLE, "%s: no alt stack before (flags %d)", who, old.ss_flags);
    g_alt_lo = mem;
    g_alt_hi = mem + sz;
    set_handler(SIGUSR1, on_alt, SA_ONSTACK);
    g_on_alt = -1;
    raise(SIGUSR1);
    CHECK(g_on_alt == 1, "%s: SA_ONSTACK handler's local lies in the alt stack", who);
    CHECK(g_ss_flags == SS_ONSTACK, "%s: sigaltstack in the handler says SS_ONSTACK (%d)", who,
          g_ss_flags);
    set_handler(SIGUSR1, on_alt, 0);
    g_on_alt = -1;
    raise(SIGUSR1);
    CHECK(g_on_alt == 0, "%s: without SA_ONSTACK the handler runs on the normal stack", who);
    stack_t now;
    sigaltstack(NULL, &now);
    CHECK(now.ss_sp == mem && now.ss_size == sz && now.ss_flags == 0,
          "%s: sigaltstack query returns what was set", who);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    signal(SIGUSR1, SIG_DFL);
    free(mem);
    return g_failures == fails;
}

static void *altstack_thread(void *arg) {
    stack_t cur;
    sigaltstack(NULL, &cur);
    CHECK(cur.ss_flags == SS_DISABLE, "new thread starts without an alt stack");
    altstack_check("thread");
    return NULL;
}

static void test_altstack(void) {
    altstack_check("main");
    pthread_t th;
    pthread_create(&th, NULL, altstack_thread, NULL);
    pthread_join(th, NULL);
    stack_t ss = {.ss_sp = malloc(1024), .ss_size = 1024};
    errno = 0;
    CHECK(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM, "alt stack below MINSIGSTKSZ -> ENOMEM");
    free(ss.ss_sp);
}

/* -------------------------------------------------------------- overflow */

static sigjmp_buf g_ovf_jmp;
static volatile int g_ovf_sig, g_ovf_onalt;
static void on_ovf(int sig, siginfo_t *si, void *uc) {
    char local;
    g_ovf_sig = sig;
    g_ovf_onalt = &local >= g_alt_lo && &local < g_alt_hi;
    siglongjmp(g_ovf_jmp, 1);
}
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(volatile char *prev, int depth) {
    volatile char buf[1024];
    buf[0] = (char)depth;
    buf[1023] = prev ? prev[0] : 0;
    return recurse(buf, depth + 1) + buf[1023];
}
static void *overflow_thread(void *arg) {
    size_t sz = 64 * 1024;
    char *mem = malloc(sz);
    stack_t ss = {.ss_sp = mem, .ss_size = sz};
    sigaltstack(&ss, NULL);
    g_alt_lo = mem;
    g_alt_hi = mem + sz;
    set_handler(SIGSEGV, on_ovf, SA_ONSTACK);
    if (sigsetjmp(g_ovf_jmp, 1) == 0)
        recurse(NULL, 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    return NULL;
}
static void test_overflow(void) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    pthread_t th;
    pthread_create(&th, &at, overflow_thread, NULL);
    pthread_join(th, NULL);
    CHECK(g_ovf_sig == SIGSEGV && g_ovf_onalt,
          "thread stack overflow: SIGSEGV (%d) handled on the alt stack (%d)", g_ovf_sig,
          g_ovf_onalt);
    signal(SIGSEGV, SIG_DFL);
}

/* --------------------------------------------------------------- restart */

static volatile int g_alarms;
static void on_alarm(int sig, siginfo_t *si, void *uc) {
    g_alarms++;
}

struct delayed_write {
    int fd, ms;
};
static void *writer(void *arg) {
    struct delayed_write *d = arg;
    ms_sleep(d->ms);
    ssize_t w = write(d->fd, "late", 4);
    (void)w;
    return NULL;
}

static void arm_ms(long ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void pipe_read_case(int restart) {
    const char *kind = restart ? "SA_RESTART" : "no SA_RESTART";
    int p[2];
    CHECK_OK(pipe(p));
    set_handler(SIGALRM, on_alarm, restart ? SA_RESTART : 0);
    g_alarms = 0;
    /* The writer blocks SIGALRM, so the alarm interrupts our read. */
    pthread_t th;
    struct delayed_write d = {p[1], 400};
    block(SIGALRM, SIG_BLOCK);
    pthread_create(&th, NULL, writer, &d);
    block(SIGALRM, SIG_UNBLOCK);
    char buf[16] = {0};
    int64_t t0 = now_ns(CLOCK_MONOTONIC); /* before arming: delays only add */
    arm_ms(100);
    errno = 0;
    ssize_t r = read(p[0], buf, sizeof(buf));
    int e = errno;
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    if (restart) {
        CHECK(r == 4 && !memcmp(buf, "late", 4) && g_alarms == 1,
              "%s: read on an empty pipe survives SIGALRM and returns the data (r=%zd %s, "
              "alarms %d, %ld ms)",
              kind, r, errstr(e), g_alarms, ms);
        CHECK(ms >= 350, "%s: read returned after %ld ms, when the data came (~400)", kind, ms);
    } else {
        CHECK(r == -1 && e == EINTR && g_alarms == 1,
              "%s: read on an empty pipe -> %zd %s with 1 alarm (%d), want -1 EINTR", kind, r,
              errstr(e), g_alarms);
        CHECK(ms >= 90 && ms < 350, "%s: EINTR after %ld ms, at the alarm (~100)", kind, ms);
    }
    pthread_join(th, NULL);
    if (!restart)
        CHECK(read(p[0], buf, sizeof(buf)) == 4, "the late data is still in the pipe");
    close(p[0]);
    close(p[1]);
}

static void test_restart(void) {
    pipe_read_case(0);
    pipe_read_case(1);
    /* nanosleep is never restarted: EINTR and the time left. */
    set_handler(SIGALRM, on_alarm, SA_RESTART);
    g_alarms = 0;
    arm_ms(100);
    struct timespec req = {2, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&req, &rem);
    int e = errno;
    CHECK(r == -1 && e == EINTR && g_alarms == 1, "nanosleep 2 s with SA_RESTART alarm: %d %s", r,
          errstr(e));
    long rem_ms = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
    /* Arming came first, so a delay before the sleep only leaves more. */
    CHECK(rem_ms > 1500 && rem_ms < 2000, "nanosleep left %ld ms (want ~1900)", rem_ms);
    signal(SIGALRM, SIG_DFL);
}

/* --------------------------------------------------------------- suspend */

/* Sends SIGUSR1 to thread tid after ms. */
struct killer {
    pid_t tid;
    int ms;
};
static void *kill_later(void *arg) {
    struct killer *k = arg;
    ms_sleep(k->ms);
    syscall(SYS_tgkill, getpid(), k->tid, SIGUSR1);
    return NULL;
}

static volatile int g_usr1;
static volatile int g_usr1_blocked_inside;
static void on_usr1_count(int sig, siginfo_t *si, void *uc) {
    g_usr1++;
    g_usr1_blocked_inside = is_blocked(SIGUSR1);
}

static void test_suspend(void) {
    set_handler(SIGUSR1, on_usr1_count, 0);
    block(SIGUSR1, SIG_BLOCK);
    g_usr1 = 0;
    raise(SIGUSR1);
    raise(SIGUSR1); /* standard signals do not queue */
    sigset_t p;
    sigemptyset(&p);
    CHECK(sigpending(&p) == 0 && sigismember(&p, SIGUSR1) && !sigismember(&p, SIGUSR2),
          "sigpending shows SIGUSR1 only");
    CHECK(g_usr1 == 0, "blocked: handler not run yet");
    sigset_t empty;
    sigemptyset(&empty);
    errno = 0;
    int r = sigsuspend(&empty);
    CHECK(r == -1 && errno == EINTR, "sigsuspend -> %d %s, want -1 EINTR", r, errstr(errno));
    CHECK(g_usr1 == 1, "handler ran once for two raises (%d)", g_usr1);
    CHECK(g_usr1_blocked_inside, "signal blocked inside its own handler");
    CHECK(is_blocked(SIGUSR1), "sigsuspend restored the mask (SIGUSR1 blocked again)");
    sigpending(&p);
    CHECK(!sigismember(&p, SIGUSR1), "nothing pending afterwards");

    /* sigsuspend waiting for a signal sent by another thread later. */
    pthread_t th;
    struct tinfo t = {0};
    start_idle(&t, 1);
    g_usr1 = 0;
    struct killer k = {my_tid(), 100};
    pthread_create(&th, NULL, kill_later, &k);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    r = sigsuspend(&empty);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(r == -1 && g_usr1 == 1 && ms >= 90,
          "sigsuspend woken by tgkill from a thread after %ld ms (handler ran %d)", ms, g_usr1);
    pthread_join(th, NULL);
    stop_idle(&t, 1);
    block(SIGUSR1, SIG_UNBLOCK);
    signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------------ wait */

static volatile int g_info_val, g_info_code, g_info_pid;
static void on_info(int sig, siginfo_t *si, void *uc) {
    g_info_val = si->si_value.sival_int;
    g_info_code = si->si_code;
    g_info_pid = si->si_pid;
}

static void test_wait(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGRTMIN);
    sigaddset(&s, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);

    siginfo_t si;
    struct timespec to = {0, 100 * 1000000};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    int r = sigtimedwait(&s, &si, &to);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(r == -1 && errno == EAGAIN && ms >= 99 && ms < 1000,
          "sigtimedwait with nothing pending: %d %s after %ld ms, want EAGAIN after ~100", r,
          errstr(errno), ms);
    struct timespec zero = {0, 0};
    errno = 0;
    CHECK(sigtimedwait(&s, &si, &zero) == -1 && errno == EAGAIN, "sigtimedwait poll -> EAGAIN");

    union sigval v = {.sival_int = 1234};
    CHECK_OK(sigqueue(getpid(), SIGUSR2, v));
    memset(&si, 0, sizeof(si));
    r = sigtimedwait(&s, &si, &to);
    CHECK(r == SIGUSR2 && si.si_signo == SIGUSR2 && si.si_code == SI_QUEUE &&
              si.si_value.sival_int == 1234 && si.si_pid == getpid() && si.si_uid == getuid(),
          "sigqueue -> sigtimedwait: sig %d code %d value %d pid %d", r, si.si_code,
          si.si_value.sival_int, si.si_pid);

    /* Real-time signals queue, in order; lower numbers first. */
    for (int i = 1; i <= 3; i++) {
        v.sival_int = 100 + i;
        sigqueue(getpid(), SIGRTMIN + 1, v);
    }
    v.sival_int = 7;
    sigqueue(getpid(), SIGRTMIN, v);
    int got[4], vals[4];
    for (int i = 0; i < 4; i++) {
        got[i] = sigtimedwait(&s, &si, &to);
        vals[i] = si.si_value.sival_int;
    }
    CHECK(got[0] == SIGRTMIN && vals[0] == 7, "SIGRTMIN first (%d value %d)", got[0], vals[0]);
    CHECK(got[1] == SIGRTMIN + 1 && got[2] == SIGRTMIN + 1 && got[3] == SIGRTMIN + 1 &&
              vals[1] == 101 && vals[2] == 102 && vals[3] == 103,
          "three queued SIGRTMIN+1 in order: values %d %d %d", vals[1], vals[2], vals[3]);
    errno = 0;
    CHECK(sigtimedwait(&s, &si, &zero) == -1 && errno == EAGAIN, "queue empty afterwards");

    /* Standard signals coalesce. */
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);
    r = sigtimedwait(&s, &si, &to);
    CHECK(r == SIGUSR2 && si.si_code == SI_USER, "kill -> SI_USER (%d)", si.si_code);
    CHECK(sigtimedwait(&s, &si, &zero) == -1, "two kills of SIGUSR2 gave one signal");

    /* sigwaitinfo woken by a signal sent by another thread. */
    pthread_t th;
    struct killer k = {my_tid(), 100};
    sigset_t u1;
    sigemptyset(&u1);
    sigaddset(&u1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &u1, NULL);
    pthread_create(&th, NULL, kill_later, &k);
    /* Raw call: glibc's wrapper rewrites SI_TKILL to SI_USER. */
    r = (int)syscall(SYS_rt_sigtimedwait, &u1, &si, NULL, 8);
    CHECK(r == SIGUSR1 && si.si_code == SI_TKILL && si.si_pid == getpid(),
          "sigwaitinfo gets tgkill from a thread: %d code %d (SI_TKILL %d)", r, si.si_code,
          SI_TKILL);
    pthread_join(th, NULL);
    pthread_sigmask(SIG_UNBLOCK, &u1, NULL);

    /* sigqueue to a SA_SIGINFO handler: it sees si_value. */
    set_handler(SIGRTMIN + 2, on_info, 0);
    v.sival_int = 4321;
    sigqueue(getpid(), SIGRTMIN + 2, v);
    CHECK(g_info_val == 4321 && g_info_code == SI_QUEUE && g_info_pid == getpid(),
          "handler sees si_value %d si_code %d", g_info_val, g_info_code);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    signal(SIGRTMIN + 2, SIG_DFL);
}

/* ----------------------------------------------------------------- flags */

static volatile int g_depth, g_max_depth, g_runs, g_mask_has_usr2;
/* Raises its own signal until it ran 3 times: nested only with NODEFER. */
static void on_nested(int sig, siginfo_t *si, void *uc) {
    g_depth++;
    g_runs++;
    if (g_depth > g_max_depth)
        g_max_depth = g_depth;
    g_mask_has_usr2 = is_blocked(SIGUSR2);
    if (g_runs < 3)
        raise(sig);
    g_depth--;
}

static void test_flags(void) {
    /* SA_RESETHAND: one run, then back to SIG_DFL. */
    set_handler(SIGUSR1, on_usr1_count, SA_RESETHAND);
    g_usr1 = 0;
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    CHECK(g_usr1 == 1 && now.sa_handler == SIG_DFL, "SA_RESETHAND: ran once, now SIG_DFL");

    /* Without SA_NODEFER a raise inside the handler waits until it returns. */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_nested;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    g_depth = g_max_depth = g_runs = 0;
    raise(SIGUSR1);
    CHECK(g_max_depth == 1 && g_runs == 3,
          "without SA_NODEFER: 3 runs (%d), never nested (max depth %d)", g_runs, g_max_depth);
    CHECK(g_mask_has_usr2, "sa_mask (SIGUSR2) blocked inside the handler");
    CHECK(!is_blocked(SIGUSR2), "and unblocked after it");
    sa.sa_flags |= SA_NODEFER;
    sigaction(SIGUSR1, &sa, NULL);
    g_depth = g_max_depth = g_runs = 0;
    raise(SIGUSR1);
    CHECK(g_max_depth == 3 && g_runs == 3, "SA_NODEFER: nested 3 deep (%d)", g_max_depth);

    /* Ignored: explicitly and by default. */
    signal(SIGUSR1, SIG_IGN);
    CHECK(raise(SIGUSR1) == 0, "SIG_IGN SIGUSR1: still alive");
    CHECK(raise(SIGCHLD) == 0 && raise(SIGURG) == 0 && raise(SIGWINCH) == 0,
          "SIGCHLD, SIGURG, SIGWINCH ignored by default");
    /* Pending ignored signals are discarded on SIG_IGN. */
    block(SIGUSR2, SIG_BLOCK);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigset_t p;
    sigpending(&p);
    CHECK(!sigismember(&p, SIGUSR2), "setting SIG_IGN discards a pending SIGUSR2");
    block(SIGUSR2, SIG_UNBLOCK);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    errno = 0;
    CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "sigaction(SIGKILL) -> EINVAL");
}

/* ---------------------------------------------------------------- faults */

static sigjmp_buf g_jmp;
static volatile int g_f_sig, g_f_code;
static void *volatile g_f_addr;
static void on_fault(int sig, siginfo_t *si, void *uc) {
    g_f_sig = sig;
    g_f_code = si->si_code;
    g_f_addr = si->si_addr;
    siglongjmp(g_jmp, 1);
}

/* Run fn; it must raise sig with code, at addr (if addr != NULL). */
#define EXPECT_FAULT(what, want_sig, want_code, want_addr, stmt)                                   \
    do {                                                                                           \
        g_f_sig = 0;                                                                               \
        if (sigsetjmp(g_jmp, 1) == 0) {                                                            \
            stmt;                                                                                  \
            CHECK(0, "%s: no signal", what);                                                       \
        } else {                                                                                   \
            CHECK(g_f_sig == (want_sig) && g_f_code == (want_code) &&                              \
                      (!(want_addr) || g_f_addr == (void *)(want_addr)),                           \
                  "%s: signal %d code %d addr %p (want %d code %d addr %p)", what, g_f_sig,        \
                  g_f_code, g_f_addr, want_sig, want_code, (void *)(want_addr));                   \
        }                                                                                          \
    } while (0)

static volatile int g_zero = 0;
/* SIGSEGV recovered with siglongjmp, many times over. */
static void segv_suite(const char *who) {
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile int bad = 0;
    for (volatile int i = 0; i < 50; i++) { /* siglongjmp restores the mask each time */
        g_f_sig = 0;
        if (sigsetjmp(g_jmp, 1) == 0)
            *(volatile int *)8 = 1;
        bad += g_f_sig != SIGSEGV || g_f_code != SEGV_MAPERR || g_f_addr != (void *)8;
    }
    CHECK(bad == 0, "%s: 50 null writes, each SIGSEGV MAPERR at 0x8 and siglongjmp (%d bad)", who,
          bad);
    EXPECT_FAULT("write to PROT_READ page", SIGSEGV, SEGV_ACCERR, ro + 64,
                 *(volatile char *)(ro + 64) = 1);
    CHECK(!is_blocked(SIGSEGV), "%s: SIGSEGV not blocked after siglongjmp", who);
    munmap(ro, 4096);
}

static void *segv_thread(void *arg) {
    segv_suite("thread");
    return NULL;
}

static void test_segv(void) {
    set_handler(SIGSEGV, on_fault, 0);
    segv_suite("main");
    pthread_t th;
    pthread_create(&th, NULL, segv_thread, NULL);
    pthread_join(th, NULL);
    signal(SIGSEGV, SIG_DFL);
}

/* The other synchronous signals; SIGTRAP last (a debugger-ish one). */
static void test_faults(void) {
    int sigs[] = {SIGFPE, SIGILL, SIGTRAP, SIGBUS};
    for (int i = 0; i < 4; i++)
        set_handler(sigs[i], on_fault, 0);
    EXPECT_FAULT("integer divide by zero", SIGFPE, FPE_INTDIV, 0,
                 g_f_addr = (void *)(long)(100 / g_zero));
    EXPECT_FAULT("ud2", SIGILL, ILL_ILLOPN, 0, __asm__ volatile("ud2"));
    /* SIGBUS: a shared file mapping past the end of the file. */
    int fd = CHECK_OK(open("sigbus.dat", O_CREAT | O_TRUNC | O_RDWR, 0600));
    CHECK_OK(ftruncate(fd, 100));
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "map 3 pages of a 100-byte file");
    if (m != MAP_FAILED) {
        m[50] = 1;
        EXPECT_FAULT("access past EOF", SIGBUS, BUS_ADRERR, m + 4096 + 8,
                     (void)*(volatile char *)(m + 4096 + 8));
        munmap(m, 3 * 4096);
    }
    close(fd);
    unlink("sigbus.dat");
    EXPECT_FAULT("int3", SIGTRAP, SI_KERNEL, 0, __asm__ volatile("int3"));
    for (int i = 0; i < 4; i++)
        signal(sigs[i], SIG_DFL);
}

/* ------------------------------------------------------------- term/host */

static void on_host(int sig, siginfo_t *si, void *uc) {
    say_raw(sig == SIGTERM ? "got SIGTERM" : sig == SIGINT ? "got SIGINT" : "got SIGHUP");
    say_raw(si->si_code == SI_USER ? " from outside\n" : " with a wrong si_code\n");
    _exit(0);
}

/* Handlers for the host's SIGTERM, SIGINT, SIGHUP; "ready" once set. */
static void host_sig(void) {
    set_handler(SIGTERM, on_host, 0);
    set_handler(SIGINT, on_host, 0);
    set_handler(SIGHUP, on_host, 0);
    printf("ready\n");
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    check_init("signals");
    watchdog(60);
    if (argc > 1 && !strcmp(argv[1], "term")) {
        printf("raising SIGTERM\n");
        raise(SIGTERM);
        printf("FAIL still alive after SIGTERM\n");
        return 1;
    }
    if (argc > 1 && !strcmp(argv[1], "hostsig"))
        host_sig();
    SUBTEST(argc, argv, "thread", test_thread());
    SUBTEST(argc, argv, "route", test_route());
    SUBTEST(argc, argv, "altstack", test_altstack());
    SUBTEST(argc, argv, "overflow", test_overflow());
    SUBTEST(argc, argv, "restart", test_restart());
    SUBTEST(argc, argv, "suspend", test_suspend());
    SUBTEST(argc, argv, "wait", test_wait());
    SUBTEST(argc, argv, "flags", test_flags());
    SUBTEST(argc, argv, "segv", test_segv());
    SUBTEST(argc, argv, "faults", test_faults());
    return check_done();
}
