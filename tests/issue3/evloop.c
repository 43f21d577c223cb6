/* timerfd, signalfd and eventfd in one epoll loop:
 *   basic    each fd alone wakes epoll_wait with its own tag and payload
 *   order    all three ready before the wait: returned in the order they
 *            became ready (Linux's ready list is FIFO)
 *   loop     a thread feeds eventfd writes and queued RT signals while a
 *            periodic timerfd runs: exact eventfd sum, every signal with
 *            its value in order, timer expirations ~ elapsed / period
 *   modes    EPOLLET, EPOLLONESHOT, EFD_SEMAPHORE, timerfd overruns,
 *            TFD_TIMER_ABSTIME, timerfd_gettime, poll() and select()
 *   pwait    epoll_pwait's signal mask lets a blocked signal interrupt it */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "i3.h"

enum { TAG_EV = 1, TAG_TIMER = 2, TAG_SIG = 3 };
static int g_ep, g_ev, g_tfd, g_sfd;

static void add(int fd, uint32_t events, uint32_t tag) {
    struct epoll_event e = {.events = events, .data.u32 = tag};
    CHECK(epoll_ctl(g_ep, EPOLL_CTL_ADD, fd, &e) == 0, "epoll_ctl ADD tag %u", tag);
}

/* epoll_wait; tags of what came back in tags[], count returned. */
static int wait_tags(int timeout_ms, uint32_t *tags, int max) {
    struct epoll_event ev[8];
    int n = epoll_wait(g_ep, ev, max < 8 ? max : 8, timeout_ms);
    for (int i = 0; i < n; i++)
        tags[i] = ev[i].data.u32;
    return n;
}

static void arm(int fd, long first_ms, long period_ms, int flags) {
    struct itimerspec it = {{period_ms / 1000, (period_ms % 1000) * 1000000},
                            {first_ms / 1000, (first_ms % 1000) * 1000000}};
    CHECK(timerfd_settime(fd, flags, &it, NULL) == 0, "timerfd_settime %ld/%ld ms", first_ms,
          period_ms);
}

static void setup(void) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &s, NULL);
    g_ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
    g_ev = CHECK_OK(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    g_tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    g_sfd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC));
    add(g_ev, EPOLLIN, TAG_EV);
    add(g_tfd, EPOLLIN, TAG_TIMER);
    add(g_sfd, EPOLLIN, TAG_SIG);
}

static void teardown(void) {
    close(g_sfd);
    close(g_tfd);
    close(g_ev);
    close(g_ep);
}

static uint64_t read_u64(int fd) {
    uint64_t v = 0;
    ssize_t r = read(fd, &v, 8);
    return r == 8 ? v : (uint64_t)-1;
}

static int read_sig(struct signalfd_siginfo *si) {
    ssize_t r = read(g_sfd, si, sizeof(*si));
    return r == sizeof(*si) ? (int)si->ssi_signo : -1;
}

/* ----------------------------------------------------------------- basic */

static void test_basic(void) {
    setup();
    uint32_t t[8];
    int n = wait_tags(0, t, 8);
    CHECK(n == 0, "nothing ready at start (%d)", n);
    uint64_t v;
    errno = 0;
    CHECK(read(g_ev, &v, 8) == -1 && errno == EAGAIN, "empty eventfd read -> EAGAIN");

    uint64_t three = 3;
    CHECK(write(g_ev, &three, 8) == 8, "eventfd write 3");
    CHECK(write(g_ev, &three, 8) == 8, "eventfd write 3 again");
    n = wait_tags(1000, t, 8);
    CHECK(n == 1 && t[0] == TAG_EV, "eventfd wakes epoll: n=%d tag %u", n, n > 0 ? t[0] : 0);
    CHECK(read_u64(g_ev) == 6, "eventfd read gives the sum 6 and resets");
    CHECK(wait_tags(0, t, 8) == 0, "eventfd no longer ready");

    /* t0 before arming: a delay between the two must not look like an
     * early expiry. */
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    arm(g_tfd, 60, 0, 0);
    n = wait_tags(2000, t, 8);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(n == 1 && t[0] == TAG_TIMER && ms >= 59 &&
                  ms<1000, "timerfd (60 ms one-shot) wakes epoll after %ld ms: n=%d tag %u", ms, n,
                     n> 0
              ? t[0]
              : 0);
    CHECK(read_u64(g_tfd) == 1, "one expiration");
    errno = 0;
    CHECK(read(g_tfd, &v, 8) == -1 && errno == EAGAIN, "disarmed timerfd read -> EAGAIN");

    raise(SIGUSR1);
    n = wait_tags(1000, t, 8);
    CHECK(n == 1 && t[0] == TAG_SIG, "signalfd wakes epoll: n=%d tag %u", n, n > 0 ? t[0] : 0);
    struct signalfd_siginfo si;
    CHECK(read_sig(&si) == SIGUSR1 && (int)si.ssi_pid == getpid() && si.ssi_code == SI_TKILL,
          "signalfd read: signo %u pid %u code %d", si.ssi_signo, si.ssi_pid, si.ssi_code);
    sigset_t p;
    sigpending(&p);
    CHECK(!sigismember(&p, SIGUSR1), "reading signalfd consumed the pending signal");
    CHECK(wait_tags(0, t, 8) == 0, "nothing ready at the end");
    teardown();
}

/* ----------------------------------------------------------------- order */

static const char *tagname(uint32_t t) {
    return t == TAG_EV ? "eventfd" : t == TAG_TIMER ? "timerfd" : t == TAG_SIG ? "signalfd" : "?";
}

static void expect_order(const char *what, const uint32_t *want) {
    uint32_t t[8] = {0};
    int n = wait_tags(1000, t, 8);
    CHECK(n == 3 && t[0] == want[0] && t[1] == want[1] && t[2] == want[2],
          "%s: %d ready: %s %s %s, want %s %s %s", what, n, tagname(t[0]), tagname(t[1]),
          tagname(t[2]), tagname(want[0]), tagname(want[1]), tagname(want[2]));
}

static void test_order(void) {
    setup();
    uint64_t one = 1;
    write(g_ev, &one, 8);
    union sigval sv = {.sival_int = 55};
    sigqueue(getpid(), SIGRTMIN, sv);
    arm(g_tfd, 1, 0, 0);
    ms_sleep(30);
    expect_order("ev, sig, timer", (uint32_t[]){TAG_EV, TAG_SIG, TAG_TIMER});
    /* Level-triggered and unread: all three again, same order. */
    expect_order("again, unread", (uint32_t[]){TAG_EV, TAG_SIG, TAG_TIMER});
    read_u64(g_ev);
    read_u64(g_tfd);
    struct signalfd_siginfo si;
    CHECK(read_sig(&si) == SIGRTMIN && si.ssi_int == 55 && si.ssi_code == SI_QUEUE,
          "queued RT signal via signalfd: value %d code %d", si.ssi_int, si.ssi_code);
    uint32_t t[8];
    CHECK(wait_tags(0, t, 8) == 0, "nothing ready once all three were read");
    /* The other way round (the empty wait above emptied the ready list). */
    arm(g_tfd, 1, 0, 0);
    ms_sleep(30);
    raise(SIGUSR1);
    write(g_ev, &one, 8);
    expect_order("timer, sig, ev", (uint32_t[]){TAG_TIMER, TAG_SIG, TAG_EV});
    read_u64(g_ev);
    read_u64(g_tfd);
    read_sig(&si);
    teardown();
}

/* ------------------------------------------------------------------ loop */

#define FEED_N 40
static void *feeder(void *arg) {
    for (int i = 1; i <= FEED_N; i++) {
        uint64_t v = (uint64_t)i;
        ssize_t w = write(g_ev, &v, 8);
        (void)w;
        union sigval sv = {.sival_int = i};
        sigqueue(getpid(), SIGRTMIN, sv);
        ms_sleep(7);
    }
    return NULL;
}

static void test_loop(void) {
    setup();
    const long period = 25;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    arm(g_tfd, period, period, 0);
    pthread_t th;
    pthread_create(&th, NULL, feeder, NULL);
    uint64_t sum = 0, want_sum = FEED_N * (FEED_N + 1) / 2, ticks = 0;
    int sigs = 0, in_order = 1, wakeups = 0, timeouts = 0;
    while ((sum < want_sum || sigs < FEED_N) && timeouts < 10) {
        struct epoll_event ev[4];
        int n = epoll_wait(g_ep, ev, 4, 500);
        if (n == 0)
            timeouts++;
        wakeups += n > 0;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u32 == TAG_EV) {
                sum += read_u64(g_ev);
            } else if (ev[i].data.u32 == TAG_TIMER) {
                ticks += read_u64(g_tfd);
            } else {
                struct signalfd_siginfo si[8];
                ssize_t r = read(g_sfd, si, sizeof(si));
                for (int k = 0; r > 0 && k < r / (ssize_t)sizeof(si[0]); k++) {
                    sigs++;
                    in_order &= si[k].ssi_signo == (uint32_t)SIGRTMIN && si[k].ssi_int == sigs;
                }
            }
        }
    }
    pthread_join(th, NULL);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(sum == want_sum, "eventfd sum %llu, want %llu", (unsigned long long)sum,
          (unsigned long long)want_sum);
    CHECK(sigs == FEED_N && in_order, "%d of %d queued signals via signalfd, in order: %d", sigs,
          FEED_N, in_order);
    CHECK(ticks >= (uint64_t)(ms / period) - 2 && ticks <= (uint64_t)(ms / period) + 1,
          "timer ticks %llu over %ld ms at %ld ms period (want ~%ld)", (unsigned long long)ticks,
          ms, period, ms / period);
    printf("info loop: %d wake-ups in %ld ms\n", wakeups, ms);
    teardown();
}

/* ----------------------------------------------------------------- modes */

static void test_modes(void) {
    g_ep = CHECK_OK(epoll_create1(0));
    int ev = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.u32 = TAG_EV}, out[2];
    CHECK_OK(epoll_ctl(g_ep, EPOLL_CTL_ADD, ev, &e));
    uint64_t one = 1;
    write(ev, &one, 8);
    CHECK(epoll_wait(g_ep, out, 2, 100) == 1, "EPOLLET: first write reported");
    CHECK(epoll_wait(g_ep, out, 2, 0) == 0, "EPOLLET: not reported again while unread");
    write(ev, &one, 8);
    CHECK(epoll_wait(g_ep, out, 2, 100) == 1, "EPOLLET: a new write reports again");
    CHECK(read_u64(ev) == 2, "eventfd holds 2");

    e.events = EPOLLIN | EPOLLONESHOT;
    CHECK_OK(epoll_ctl(g_ep, EPOLL_CTL_MOD, ev, &e));
    write(ev, &one, 8);
    CHECK(epoll_wait(g_ep, out, 2, 100) == 1, "EPOLLONESHOT: reported once");
    write(ev, &one, 8);
    CHECK(epoll_wait(g_ep, out, 2, 50) == 0, "EPOLLONESHOT: disabled afterwards");
    CHECK_OK(epoll_ctl(g_ep, EPOLL_CTL_MOD, ev, &e));
    CHECK(epoll_wait(g_ep, out, 2, 100) == 1, "EPOLLONESHOT: re-armed by EPOLL_CTL_MOD");
    errno = 0;
    CHECK(epoll_ctl(g_ep, EPOLL_CTL_ADD, ev, &e) == -1 && errno == EEXIST, "ADD twice -> EEXIST");
    CHECK_OK(epoll_ctl(g_ep, EPOLL_CTL_DEL, ev, NULL));
    errno = 0;
    CHECK(epoll_ctl(g_ep, EPOLL_CTL_DEL, ev, NULL) == -1 && errno == ENOENT, "DEL twice -> ENOENT");
    close(ev);

    /* Semaphore mode: each read takes 1. */
    int sem = CHECK_OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
    int ones = 0;
    for (int i = 0; i < 3; i++)
        ones += read_u64(sem) == 1;
    uint64_t v;
    errno = 0;
    CHECK(ones == 3 && read(sem, &v, 8) == -1 && errno == EAGAIN,
          "EFD_SEMAPHORE: three reads of 1 then EAGAIN");
    close(sem);

    /* Overruns, gettime, absolute realtime timer. */
    int tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    struct itimerspec it = {{0, 20000000}, {0, 20000000}}, cur;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    timerfd_settime(tfd, 0, &it, NULL);
    ms_sleep(110);
    uint64_t n = read_u64(tfd);
    /* A loaded machine may oversleep: bound by the time that really passed. */
    int64_t periods = (now_ns(CLOCK_MONOTONIC) - t0) / 20000000;
    CHECK(n >= 5 && (int64_t)n <= periods, "periodic 20 ms timer after %lld periods: %llu "
          "expirations (want 5..%lld)", (long long)periods, (unsigned long long)n,
          (long long)periods);
    CHECK_OK(timerfd_gettime(tfd, &cur));
    CHECK(cur.it_interval.tv_nsec == 20000000 && cur.it_value.tv_sec == 0 &&
              cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000,
          "timerfd_gettime: interval 20 ms, next in %ld ns", cur.it_value.tv_nsec);
    close(tfd);
    int rt = CHECK_OK(timerfd_create(CLOCK_REALTIME, 0));
    t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec when = ts_from_ns(now_ns(CLOCK_REALTIME) + 80000000LL);
    struct itimerspec abs = {{0, 0}, when};
    CHECK_OK(timerfd_settime(rt, TFD_TIMER_ABSTIME, &abs, NULL));
    n = read_u64(rt); /* blocking read */
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(n == 1 && ms >= 70 && ms < 1000,
          "absolute CLOCK_REALTIME timerfd: blocking read "
          "returned %llu after %ld ms (want 1 after ~80)",
          (unsigned long long)n, ms);

    /* poll() and select() over the same kinds of fds. */
    int ev2 = CHECK_OK(eventfd(0, 0));
    arm(rt, 30, 0, 0);
    struct pollfd pf[2] = {{ev2, POLLIN, 0}, {rt, POLLIN, 0}};
    int pr = poll(pf, 2, 1000);
    CHECK(pr == 1 && pf[1].revents == POLLIN && pf[0].revents == 0,
          "poll: only the timerfd ready (%d, revents %#x %#x)", pr, pf[0].revents, pf[1].revents);
    read_u64(rt);
    write(ev2, &one, 8);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(ev2, &rd);
    FD_SET(rt, &rd);
    struct timeval tv = {1, 0};
    int sr = select((ev2 > rt ? ev2 : rt) + 1, &rd, NULL, NULL, &tv);
    CHECK(sr == 1 && FD_ISSET(ev2, &rd) && !FD_ISSET(rt, &rd), "select: only the eventfd (%d)", sr);
    pf[0].events = POLLOUT;
    CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLOUT, "eventfd writable");
    close(ev2);
    close(rt);
    close(g_ep);
}

/* ----------------------------------------------------------------- pwait */

static volatile int g_usr2;
static void on_usr2(int sig) {
    g_usr2++;
}
struct killer {
    pid_t tid;
};
static void *usr2_later(void *arg) {
    struct killer *k = arg;
    ms_sleep(80);
    syscall(SYS_tgkill, getpid(), k->tid, SIGUSR2);
    return NULL;
}

static void test_pwait(void) {
    g_ep = CHECK_OK(epoll_create1(0));
    int ev = CHECK_OK(eventfd(0, 0));
    struct epoll_event e = {.events = EPOLLIN}, out[1];
    epoll_ctl(g_ep, EPOLL_CTL_ADD, ev, &e);
    signal(SIGUSR2, on_usr2);
    sigset_t s, unblock;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    sigemptyset(&unblock);
    /* Blocked signal: epoll_wait sleeps through it. */
    struct killer k = {(pid_t)syscall(SYS_gettid)};
    pthread_t th;
    pthread_create(&th, NULL, usr2_later, &k);
    int r = epoll_wait(g_ep, out, 1, 250);
    CHECK(r == 0 && g_usr2 == 0, "epoll_wait with SIGUSR2 blocked: times out (%d)", r);
    pthread_join(th, NULL);
    /* epoll_pwait with an empty mask: the pending one interrupts at once. */
    errno = 0;
    r = epoll_pwait(g_ep, out, 1, 1000, &unblock);
    CHECK(r == -1 && errno == EINTR && g_usr2 == 1,
          "epoll_pwait(empty mask) with SIGUSR2 pending: %d %s, handler %d", r, errstr(errno),
          g_usr2);
    pthread_create(&th, NULL, usr2_later, &k);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    r = epoll_pwait(g_ep, out, 1, 2000, &unblock);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(r == -1 && errno == EINTR && g_usr2 == 2 && ms >= 70 && ms < 1500,
          "epoll_pwait interrupted by SIGUSR2 from a thread after %ld ms: %d %s", ms, r,
          errstr(errno));
    pthread_join(th, NULL);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK(sigismember(&now, SIGUSR2), "mask restored after epoll_pwait");
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    close(ev);
    close(g_ep);
}

int main(int argc, char **argv) {
    check_init("evloop");
    watchdog(60);
    SUBTEST(argc, argv, "basic", test_basic());
    SUBTEST(argc, argv, "order", test_order());
    SUBTEST(argc, argv, "loop", test_loop());
    SUBTEST(argc, argv, "modes", test_modes());
    SUBTEST(argc, argv, "pwait", test_pwait());
    return check_done();
}
