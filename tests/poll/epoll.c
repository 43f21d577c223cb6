/* epoll: ctl errors as Linux, level/edge/one-shot over eventfd and pipes,
 * nested and pollable epoll fds, the file-not-fd rule on close, rotation
 * of level-triggered items, timeouts and EINTR, and an event loop mixing
 * eventfd and signalfd. */
#include "ptest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

static int add(int ep, int fd, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.u64 = 1000 + fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}
static void efd_add(int fd, uint64_t v) {
    write(fd, &v, 8);
}
static void efd_write(void *arg) {
    efd_add(*(int *)arg, 1);
}
static int wait0(int ep, struct epoll_event *ev, int max) {
    return epoll_wait(ep, ev, max, 0);
}

static void test_ctl(const char *dir) {
    int ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
    CHECK(fcntl(ep, F_GETFD) & FD_CLOEXEC, "EPOLL_CLOEXEC");
    CHECK_ERR(epoll_create1(1), EINVAL);
    CHECK_ERR(syscall(SYS_epoll_create, 0), EINVAL); /* musl maps epoll_create to create1 */
    int efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    struct epoll_event e = {.events = EPOLLIN};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e), EEXIST);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), EINVAL);
    CHECK_ERR(epoll_ctl(efd, EPOLL_CTL_ADD, efd, &e), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e), EBADF);
    CHECK_ERR(epoll_ctl(999, EPOLL_CTL_ADD, efd, &e), EBADF);
    CHECK_ERR(epoll_ctl(ep, 42, efd, &e), EINVAL);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &e), ENOENT);
    e.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &e), EINVAL);
    e.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    int efd2 = eventfd(0, 0);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd2, &e), EINVAL);

    /* Regular files and /dev/null cannot be watched. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/epfile", dir);
    int file = CHECK_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
    int null = CHECK_OK(open("/dev/null", O_RDWR));
    e.events = EPOLLIN;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, file, &e), EPERM);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, null, &e), EPERM);
    CHECK_ERR(epoll_ctl(file, EPOLL_CTL_ADD, efd, &e), EINVAL);

    /* Loops between epoll files. */
    int ep2 = CHECK_OK(epoll_create1(0));
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &e));
    CHECK_ERR(epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &e), ELOOP);

    struct epoll_event out[4];
    CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL);
    CHECK_ERR(epoll_wait(efd, out, 4, 0), EINVAL);
    CHECK_ERR(epoll_wait(999, out, 4, 0), EBADF);
    struct epoll_event *volatile bad = (struct epoll_event *)0xffff800000000000UL; /* kernel half */
    CHECK_ERR(epoll_wait(ep, bad, 4, 0), EFAULT);
    close(file);
    close(null);
    close(efd);
    close(efd2);
    close(ep2);
    close(ep);
}

static void test_modes(void) {
    int ep = epoll_create1(0);
    int lt = eventfd(0, EFD_NONBLOCK), et = eventfd(0, EFD_NONBLOCK), os = eventfd(0, EFD_NONBLOCK);
    add(ep, lt, EPOLLIN);
    add(ep, et, EPOLLIN | EPOLLET);
    add(ep, os, EPOLLIN | EPOLLONESHOT);
    struct epoll_event ev[8];
    CHECK(wait0(ep, ev, 8) == 0, "nothing ready");
    efd_add(lt, 1);
    efd_add(et, 1);
    efd_add(os, 1);
    int n = wait0(ep, ev, 8);
    CHECK(n == 3, "all three ready (%d)", n);
    CHECK(n == 3 && ev[0].data.u64 == 1000u + lt && ev[1].data.u64 == 1000u + et &&
              ev[2].data.u64 == 1000u + os && ev[0].events == EPOLLIN,
          "in the order they became ready, events EPOLLIN");
    n = wait0(ep, ev, 8);
    CHECK(n == 1 && ev[0].data.u64 == 1000u + lt, "again: only the level-triggered one (%d)", n);
    efd_add(et, 1);
    n = wait0(ep, ev, 8);
    CHECK(n == 2 && ev[1].data.u64 == 1000u + et, "a new write is a new edge (%d)", n);
    efd_add(os, 1);
    n = wait0(ep, ev, 8);
    CHECK(n == 1, "one-shot stays disabled after new data (%d)", n);
    struct epoll_event e = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 7};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, os, &e));
    n = wait0(ep, ev, 8);
    CHECK(n == 2 && ev[1].data.u64 == 7, "re-armed by EPOLL_CTL_MOD with new data (%d)", n);

    /* Level-triggered items rotate when maxevents is small. */
    uint64_t v;
    read(et, &v, 8);
    read(os, &v, 8);
    add(ep, et + 100 > 0 ? dup(et) : 0, EPOLLIN); /* a second lt item on the et file */
    efd_add(et, 1);
    int seen_a = 0, seen_b = 0;
    for (int i = 0; i < 4; i++) {
        n = wait0(ep, ev, 1);
        if (n == 1 && ev[0].data.u64 == 1000u + lt)
            seen_a++;
        else if (n == 1)
            seen_b++;
    }
    CHECK(seen_a >= 1 && seen_b >= 1, "maxevents 1: ready items take turns (%d/%d)", seen_a,
          seen_b);
    close(lt);
    close(et);
    close(os);
    close(ep);
}

/* Interest is in the file: closing one of two fds keeps the item; closing
 * the last one removes it, without EPOLL_CTL_DEL. */
static void test_close(void) {
    int ep = epoll_create1(0);
    int a = eventfd(1, 0);
    int b = dup(a);
    add(ep, a, EPOLLIN);
    close(a);
    struct epoll_event ev[2];
    CHECK(wait0(ep, ev, 2) == 1 && ev[0].data.u64 == 1000u + a,
          "closed fd, file still open through a dup: still reported");
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL), EBADF);
    close(b);
    CHECK(wait0(ep, ev, 2) == 0, "last fd closed: the item is gone");
    int c = eventfd(1, 0);
    CHECK(c == a && add(ep, c, EPOLLIN) == 0, "the fd number can be added again");
    close(c);
    close(ep);
}

static void test_nested_and_wait(void) {
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int efd = eventfd(0, EFD_NONBLOCK);
    add(inner, efd, EPOLLIN);
    add(outer, inner, EPOLLIN);
    struct epoll_event ev[2];
    struct pollfd p = {inner, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0 && wait0(outer, ev, 2) == 0, "nothing ready in either");
    struct later l;
    later_start(&l, 50, efd_write, &efd);
    int n = epoll_wait(outer, ev, 2, 5000);
    CHECK(n == 1 && ev[0].data.u64 == 1000u + inner && ev[0].events == EPOLLIN,
          "outer epoll woken through the inner one (%d)", n);
    later_join(&l);
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "an epoll fd polls readable");

    uint64_t v;
    read(efd, &v, 8);
    long long t0 = now_ms();
    CHECK(epoll_wait(inner, ev, 2, 80) == 0, "epoll_wait times out");
    CHECK(now_ms() - t0 >= 75, "after ~80 ms (%lld)", now_ms() - t0);
    struct timespec ts = {0, 50000000};
    t0 = now_ms();
    long r = syscall(SYS_epoll_pwait2, inner, ev, 2, &ts, NULL, 8);
    CHECK(r == 0 && now_ms() - t0 >= 45, "epoll_pwait2 times out after ~50 ms (%ld)", r);

    /* EINTR even with SA_RESTART; epoll_pwait swaps the mask. */
    catch_usr1(1);
    g_usr1 = 0;
    later_start(&l, 40, kill_main_usr1, NULL);
    CHECK_ERR(epoll_wait(inner, ev, 2, 5000), EINTR);
    later_join(&l);
    sigset_t block, empty, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    later_start(&l, 40, kill_main_usr1, NULL);
    CHECK_ERR(epoll_pwait(inner, ev, 2, 5000, &empty), EINTR);
    later_join(&l);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(g_usr1 == 2 && sigismember(&cur, SIGUSR1), "handlers ran (%d), mask restored",
          (int)g_usr1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    /* Pipes: level and edge. */
    int pfd[2];
    pipe(pfd);
    int ep = epoll_create1(0);
    add(ep, pfd[0], EPOLLIN | EPOLLET);
    add(ep, pfd[1], EPOLLOUT);
    n = wait0(ep, ev, 2);
    CHECK(n == 1 && ev[0].data.u64 == 1000u + pfd[1] && ev[0].events == EPOLLOUT,
          "pipe: write end writable (%d)", n);
    write(pfd[1], "ab", 2);
    n = wait0(ep, ev, 2);
    CHECK(n == 2 && ev[0].data.u64 == 1000u + pfd[1] && ev[1].data.u64 == 1000u + pfd[0],
          "pipe: read end reported (%d)", n);
    n = wait0(ep, ev, 2);
    CHECK(n == 1, "edge-triggered read end not reported again (%d)", n);
    close(pfd[1]);
    n = wait0(ep, ev, 2);
    CHECK(n == 1 && ev[0].events == (EPOLLIN | EPOLLHUP),
          "writer closed: EPOLLIN|EPOLLHUP (%d %#x)", n, n > 0 ? ev[0].events : 0);
    close(pfd[0]);
    close(ep);
    close(efd);
    close(inner);
    close(outer);
}

/* One loop over an eventfd and a signalfd, as an event-driven program
 * would run it. */
static void test_loop(void) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = CHECK_OK(signalfd(-1, &m, SFD_NONBLOCK));
    int efd = eventfd(0, EFD_NONBLOCK);
    int ep = epoll_create1(0);
    add(ep, efd, EPOLLIN | EPOLLET);
    add(ep, sfd, EPOLLIN);
    efd_add(efd, 2);
    kill(getpid(), SIGUSR2);
    int events = 0, signals = 0, rounds = 0;
    uint64_t total = 0;
    while (rounds++ < 10 && (signals < 3 || total < 6)) {
        struct epoll_event ev[4];
        int n = epoll_wait(ep, ev, 4, 1000);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == 1000u + efd) {
                uint64_t v;
                while (read(efd, &v, 8) == 8)
                    total += v;
                events++;
                if (signals < 3)
                    kill(getpid(), SIGUSR2);
            } else {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof(si)) == sizeof(si))
                    if (si.ssi_signo == SIGUSR2 && si.ssi_pid == (uint32_t)getpid())
                        signals++;
                if (total < 6)
                    efd_add(efd, 2);
            }
        }
    }
    CHECK(signals == 3 && total == 6, "loop: 3 signals and a count of 6 (%d, %llu, %d rounds)",
          signals, (unsigned long long)total, rounds);
    close(ep);
    close(efd);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

int main(int argc, char **argv) {
    check_init("epoll");
    g_main_thread = pthread_self();
    test_ctl(argc > 1 ? argv[1] : ".");
    test_modes();
    test_close();
    test_nested_and_wait();
    test_loop();
    return check_done();
}
