/* alarm, itimers, POSIX timers (SIGEV_SIGNAL/NONE/THREAD_ID) with their
 * siginfo and overrun counts, nanosleep/clock_nanosleep (abstime, EINTR with
 * the time left), clock_getres, times and getrusage. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile sig_atomic_t g_count;
static volatile int g_code, g_signo, g_timerid, g_overrun, g_tid;
static void *volatile g_ptr;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    g_count++;
    g_signo = sig;
    g_code = si->si_code;
    if (si->si_code == SI_TIMER) {
        g_timerid = si->si_timerid;
        g_overrun = si->si_overrun;
        g_ptr = si->si_value.sival_ptr;
    }
    g_tid = syscall(SYS_gettid);
}

static void handle(int sig, int flags) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* Wait (sigsuspend) until g_count reaches n or ms pass. */
static void wait_count(int n, int ms) {
    int64_t end = now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
    sigset_t none;
    sigemptyset(&none);
    while (g_count < n && now_ns(CLOCK_MONOTONIC) < end) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}

static void test_alarm(void) {
    handle(SIGALRM, 0);
    CHECK(alarm(10) == 0, "alarm(10) with none pending returns 0");
    unsigned left = alarm(0);
    CHECK(left == 10, "alarm(0) returns the 10 s left (got %u)", left);
    g_count = 0;
    alarm(1);
    wait_count(1, 3000);
    CHECK(g_count == 1 && g_signo == SIGALRM && g_code == SI_KERNEL,
          "alarm(1): SIGALRM with SI_KERNEL (count %d code %d)", (int)g_count, g_code);
}

static void test_itimer_real(void) {
    handle(SIGALRM, SA_RESTART);
    struct itimerval it = {{0, 20000}, {0, 20000}}, cur, old;
    g_count = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer(ITIMER_REAL, 20 ms periodic)");
    CHECK(getitimer(ITIMER_REAL, &cur) == 0 && cur.it_interval.tv_usec == 20000 &&
              cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000,
          "getitimer: interval 20000 us, value %ld us", (long)cur.it_value.tv_usec);
    wait_count(5, 3000);
    struct itimerval zero = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &zero, &old) == 0 && old.it_interval.tv_usec == 20000,
          "disarm returns the old interval");
    CHECK(g_count >= 5 && g_code == SI_KERNEL, "5 periodic SIGALRMs (got %d, code %d)",
          (int)g_count, g_code);
    int seen = g_count;
    struct timespec ts = {0, 60000000};
    nanosleep(&ts, NULL);
    CHECK(g_count == seen, "no SIGALRM after disarming");
    it.it_value.tv_usec = 1000000;
    CHECK_ERR(setitimer(ITIMER_REAL, &it, NULL), EINVAL);
    CHECK_ERR(setitimer(7, &zero, NULL), EINVAL);
}

static void burn_until(volatile sig_atomic_t *flag, int ms) {
    int64_t end = now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
    volatile uint64_t x = 0;
    while (!*flag && now_ns(CLOCK_MONOTONIC) < end)
        for (int i = 0; i < 10000; i++)
            x += i;
}

static void test_itimer_cpu(int which, int sig, const char *name) {
    handle(sig, 0);
    g_count = 0;
    struct itimerval it = {{0, 0}, {0, 50000}};
    int64_t c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    CHECK(setitimer(which, &it, NULL) == 0, "setitimer(%s, 50 ms of CPU)", name);
    burn_until(&g_count, 5000);
    int64_t used = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    CHECK(g_count == 1 && g_signo == sig && g_code == SI_KERNEL,
          "%s fired once with SI_KERNEL (count %d code %d)", name, (int)g_count, g_code);
    CHECK(used >= 30000000 && used < 1000000000,
          "after %lld ms of CPU (want ~50; Linux accounts by tick)", (long long)(used / 1000000));
}

static void test_posix_signal(void) {
    int sig = SIGRTMIN + 1;
    handle(sig, 0);
    static int cookie;
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_ptr = &cookie;
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create(MONOTONIC, SIGEV_SIGNAL)");
    struct itimerspec its = {{0, 0}, {0, 30000000}}, cur;
    g_count = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    CHECK(timer_settime(t, 0, &its, NULL) == 0, "timer_settime 30 ms one-shot");
    CHECK(timer_gettime(t, &cur) == 0 && cur.it_value.tv_nsec > 0 &&
              cur.it_value.tv_nsec <= 30000000,
          "timer_gettime: %ld ns left", (long)cur.it_value.tv_nsec);
    wait_count(1, 3000);
    int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
    CHECK(g_count == 1 && g_code == SI_TIMER && g_ptr == &cookie && g_overrun == 0,
          "signal with SI_TIMER, sigval and overrun 0 (code %d overrun %d)", g_code, g_overrun);
    CHECK(g_timerid >= 0, "si_timerid %d", g_timerid);
    CHECK(el >= 30000000, "not before 30 ms (%lld ms)", (long long)(el / 1000000));
    CHECK(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
          "expired one-shot reads 0");

    /* Absolute expiry on CLOCK_REALTIME. */
    timer_t rt;
    CHECK(timer_create(CLOCK_REALTIME, &ev, &rt) == 0, "timer_create(REALTIME)");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    its.it_value = now;
    its.it_value.tv_nsec += 40000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    g_count = 0;
    CHECK(timer_settime(rt, TIMER_ABSTIME, &its, NULL) == 0, "timer_settime(TIMER_ABSTIME +40 ms)");
    wait_count(1, 3000);
    struct timespec after;
    clock_gettime(CLOCK_REALTIME, &after);
    CHECK(g_count == 1 &&
              (after.tv_sec > its.it_value.tv_sec ||
               (after.tv_sec == its.it_value.tv_sec && after.tv_nsec >= its.it_value.tv_nsec)),
          "absolute timer fired at or after its time");
    CHECK(timer_delete(rt) == 0, "timer_delete");

    /* Overruns: the signal stays blocked while the timer keeps expiring. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, &old);
    struct itimerspec fast = {{0, 2000000}, {0, 2000000}};
    timer_settime(t, 0, &fast, NULL);
    struct timespec ts = {0, 150000000};
    nanosleep(&ts, NULL);
    siginfo_t si;
    struct timespec zero = {0, 0};
    int got = sigtimedwait(&set, &si, &zero);
    int ov = timer_getoverrun(t);
    CHECK(got == sig && si.si_code == SI_TIMER && si.si_overrun >= 30 && si.si_overrun <= 80,
          "blocked 150 ms at 2 ms: one signal, si_overrun %d (want ~74)", si.si_overrun);
    CHECK(ov == si.si_overrun, "timer_getoverrun %d == si_overrun %d", ov, si.si_overrun);
    struct itimerspec off = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &off, NULL);
    while (sigtimedwait(&set, &si, &zero) > 0)
        ;
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(timer_delete(t) == 0, "timer_delete");
    CHECK_ERR(syscall(SYS_timer_delete, t), EINVAL);
    CHECK_ERR(syscall(SYS_timer_settime, 12345, 0, &its, NULL), EINVAL);
}

static void test_posix_none(void) {
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create(SIGEV_NONE)");
    struct itimerspec its = {{0, 100000000}, {0, 20000000}}, cur;
    timer_settime(t, 0, &its, NULL);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    CHECK(timer_gettime(t, &cur) == 0 && cur.it_interval.tv_nsec == 100000000 &&
              cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
              cur.it_value.tv_nsec <= 100000000,
          "SIGEV_NONE: rearmed, %ld ns to the next expiry", (long)cur.it_value.tv_nsec);
    timer_delete(t);
    /* CPU-time clock. */
    CHECK(timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) == 0, "timer_create(PROCESS_CPUTIME_ID)");
    timer_delete(t);
    CHECK_ERR(timer_create(99, &ev, &t), EINVAL);
}

static pid_t g_target_tid;
static volatile int g_stop;
static void *target_main(void *arg) {
    g_target_tid = syscall(SYS_gettid);
    while (!g_stop) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void test_thread_id(void) {
    int sig = SIGRTMIN + 2;
    handle(sig, 0);
    pthread_t th;
    pthread_create(&th, NULL, target_main, NULL);
    while (!__atomic_load_n(&g_target_tid, __ATOMIC_ACQUIRE))
        sched_yield();
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
#ifdef sigev_notify_thread_id
    ev.sigev_notify_thread_id = g_target_tid;
#else
    ev._sigev_un._tid = g_target_tid;
#endif
    timer_t t;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create(SIGEV_THREAD_ID)");
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    g_count = 0;
    g_tid = 0;
    timer_settime(t, 0, &its, NULL);
    wait_count(1, 3000);
    CHECK(g_count == 1 && g_tid == g_target_tid && g_code == SI_TIMER,
          "delivered to the target thread (tid %d, want %d)", g_tid, (int)g_target_tid);
    timer_delete(t);
    g_stop = 1;
    pthread_join(th, NULL);
}

static void test_sleeps(void) {
    handle(SIGALRM, SA_RESTART); /* nanosleep is EINTR even with SA_RESTART */
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec req = {2, 0}, rem = {0, 0};
    g_count = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    int r = nanosleep(&req, &rem);
    int e = errno;
    int64_t el = now_ns(CLOCK_MONOTONIC) - t0;
    int64_t left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
    CHECK(r == -1 && e == EINTR && g_count == 1, "nanosleep(2 s) interrupted: EINTR (r %d %s)", r,
          errname(e));
    CHECK(el >= 90000000 && el < 1000000000, "after ~100 ms (%lld ms)", (long long)(el / 1000000));
    CHECK(left > 1500000000 && left < 1950000000, "rem %lld ms (want ~1900)",
          (long long)(left / 1000000));

    /* clock_nanosleep: absolute deadline, relative, errors. */
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_nsec += 50000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == 0,
          "clock_nanosleep(TIMER_ABSTIME +50 ms)");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    CHECK(now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec),
          "woke at or after the deadline");
    struct timespec past = {0, 1};
    CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL) == 0,
          "absolute deadline in the past returns at once");
    t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec rel = {0, 30000000};
    CHECK(clock_nanosleep(CLOCK_BOOTTIME, 0, &rel, NULL) == 0, "clock_nanosleep(BOOTTIME, 30 ms)");
    CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 30000000, "slept at least 30 ms");
    struct timespec bad = {0, 1000000000};
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL) == EINVAL, "tv_nsec 1e9: EINVAL");
    CHECK(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL) == EINVAL,
          "THREAD_CPUTIME_ID: EINVAL");
    CHECK(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &rel, NULL) == ENOTSUP, "MONOTONIC_RAW: ENOTSUP");
    CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
}

static void test_getres(void) {
    static const clockid_t fine[] = {CLOCK_REALTIME,
                                     CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID,
                                     CLOCK_MONOTONIC_RAW,
                                     CLOCK_BOOTTIME,
                                     CLOCK_TAI};
    for (unsigned i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        struct timespec r = {9, 9};
        CHECK(clock_getres(fine[i], &r) == 0 && r.tv_sec == 0 && r.tv_nsec == 1,
              "clock_getres(%d) = 1 ns", (int)fine[i]);
        struct timespec a, b;
        clock_gettime(fine[i], &a);
        clock_gettime(fine[i], &b);
        CHECK(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec),
              "clock %d does not go back", (int)fine[i]);
    }
    struct timespec r;
    CHECK(clock_getres(CLOCK_REALTIME_COARSE, &r) == 0 && r.tv_sec == 0 && r.tv_nsec >= 1000000 &&
              r.tv_nsec <= 10000000,
          "REALTIME_COARSE: one tick (%ld ns)", (long)r.tv_nsec);
    CHECK(clock_getres(CLOCK_MONOTONIC_COARSE, &r) == 0 && r.tv_nsec >= 1000000,
          "MONOTONIC_COARSE: one tick");
    CHECK(clock_getres(CLOCK_MONOTONIC, NULL) == 0, "clock_getres(MONOTONIC, NULL)");
    CHECK_ERR(clock_getres(10, &r), EINVAL);
    CHECK_ERR(clock_gettime(10, &r), EINVAL);
    clockid_t cpu;
    CHECK(clock_getcpuclockid(0, &cpu) == 0 && clock_gettime(cpu, &r) == 0,
          "clock_getcpuclockid(0) clock readable");
}

static void test_usage(void) {
    struct tms t0, t1;
    clock_t w0 = times(&t0);
    int64_t m0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    volatile uint64_t x = 0;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0 < 300000000 &&
           now_ns(CLOCK_MONOTONIC) - m0 < 5000000000LL)
        for (int i = 0; i < 10000; i++)
            x += i;
    clock_t w1 = times(&t1);
    int64_t wall = now_ns(CLOCK_MONOTONIC) - m0;
    long tick = sysconf(_SC_CLK_TCK);
    long cpu_ticks = (t1.tms_utime + t1.tms_stime) - (t0.tms_utime + t0.tms_stime);
    CHECK(tick == 100, "CLK_TCK %ld", tick);
    CHECK(w1 - w0 >= 25 && w1 - w0 <= wall / 10000000 + 2,
          "times() advanced %ld ticks over %lld ms", (long)(w1 - w0), (long long)(wall / 1000000));
    CHECK(cpu_ticks >= 20 && cpu_ticks <= wall / 10000000 + 2,
          "tms_utime+tms_stime grew %ld ticks while burning", cpu_ticks);
    struct rusage ru, rt, rc;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage(SELF)");
    int64_t self = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec +
                   ru.ru_stime.tv_usec;
    int64_t cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) / 1000;
    CHECK(self >= 250000 && self <= cpu + 20000, "SELF %lld us of CPU (clock says %lld)",
          (long long)self, (long long)cpu);
    CHECK(getrusage(RUSAGE_THREAD, &rt) == 0 &&
              rt.ru_utime.tv_sec * 1000000LL + rt.ru_utime.tv_usec + rt.ru_stime.tv_usec >= 200000,
          "getrusage(THREAD) counts this thread's CPU");
    CHECK(getrusage(RUSAGE_CHILDREN, &rc) == 0 && rc.ru_utime.tv_sec == 0 &&
              rc.ru_utime.tv_usec == 0,
          "getrusage(CHILDREN): none");
    CHECK_ERR(getrusage(5, &ru), EINVAL);
}

int main(void) {
    check_init("timers");
    test_getres();
    test_alarm();
    test_itimer_real();
    test_itimer_cpu(ITIMER_VIRTUAL, SIGVTALRM, "ITIMER_VIRTUAL");
    test_itimer_cpu(ITIMER_PROF, SIGPROF, "ITIMER_PROF");
    test_posix_signal();
    test_posix_none();
    test_thread_id();
    test_sleeps();
    test_usage();
    return check_done();
}
