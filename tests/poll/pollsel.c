/* poll, ppoll, select, pselect6 over eventfd, pipes, regular files and
 * /dev/null: readiness, POLLNVAL/EBADF, timeouts (and their write-back),
 * wake-ups from other threads, EINTR and temporary signal masks. */
#include "ptest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>

static void efd_write(void *arg) {
    uint64_t v = 1;
    write(*(int *)arg, &v, 8);
}
static void pipe_write(void *arg) {
    write(*(int *)arg, "x", 1);
}

static void test_poll(const char *dir) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/file", dir);
    int file = CHECK_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
    int null = CHECK_OK(open("/dev/null", O_RDWR));
    int efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    int closed = dup(null);
    close(closed);
    struct pollfd p[5] = {
        {file, POLLIN | POLLOUT, 0}, {null, POLLIN | POLLOUT | POLLRDNORM, 0},
        {efd, POLLIN | POLLOUT, 0},  {closed, POLLIN, 0},
        {-1, POLLIN, 0x7f},
    };
    CHECK(poll(p, 5, 0) == 4, "poll counts ready and POLLNVAL entries");
    CHECK(p[0].revents == (POLLIN | POLLOUT), "regular file: POLLIN|POLLOUT (%#x)", p[0].revents);
    CHECK(p[1].revents == (POLLIN | POLLOUT | POLLRDNORM), "/dev/null: IN|OUT|RDNORM (%#x)",
          p[1].revents);
    CHECK(p[2].revents == POLLOUT, "empty eventfd: POLLOUT (%#x)", p[2].revents);
    CHECK(p[3].revents == POLLNVAL, "closed fd: POLLNVAL (%#x)", p[3].revents);
    CHECK(p[4].revents == 0, "negative fd: revents cleared (%#x)", p[4].revents);

    /* Timeouts. */
    struct pollfd q = {efd, POLLIN, 0};
    long long t0 = now_ms();
    CHECK(poll(&q, 1, 100) == 0, "poll on an empty eventfd times out");
    long long dt = now_ms() - t0;
    CHECK(dt >= 95 && dt < 1000, "after ~100 ms (%lld)", dt);
    t0 = now_ms();
    CHECK(poll(NULL, 0, 50) == 0, "poll(NULL, 0, 50) sleeps");
    CHECK(now_ms() - t0 >= 45, "for ~50 ms (%lld)", now_ms() - t0);

    /* Woken by another thread. */
    struct later l;
    later_start(&l, 50, efd_write, &efd);
    q.revents = 0;
    t0 = now_ms();
    CHECK(poll(&q, 1, 5000) == 1 && q.revents == POLLIN, "poll woken by an eventfd write");
    CHECK(now_ms() - t0 < 4000, "promptly (%lld ms)", now_ms() - t0);
    later_join(&l);

    int pfd[2];
    CHECK_OK(pipe(pfd));
    struct pollfd pp[2] = {{pfd[0], POLLIN, 0}, {pfd[1], POLLOUT, 0}};
    CHECK(poll(pp, 2, 0) == 1 && pp[0].revents == 0 && pp[1].revents == POLLOUT,
          "empty pipe: write end writable only (%#x %#x)", pp[0].revents, pp[1].revents);
    later_start(&l, 50, pipe_write, &pfd[1]);
    CHECK(poll(pp, 1, 5000) == 1 && pp[0].revents == POLLIN, "poll woken by a pipe write (%#x)",
          pp[0].revents);
    later_join(&l);
    close(pfd[1]);
    CHECK(poll(pp, 1, 0) == 1 && pp[0].revents == (POLLIN | POLLHUP),
          "writer gone, data left: POLLIN|POLLHUP (%#x)", pp[0].revents);
    char c;
    read(pfd[0], &c, 1);
    CHECK(poll(pp, 1, 0) == 1 && pp[0].revents == POLLHUP, "drained: POLLHUP (%#x)", pp[0].revents);
    close(pfd[0]);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK_ERR(poll(p, rl.rlim_cur + 1, 0), EINVAL);
    struct pollfd *volatile bad = (struct pollfd *)8;
    CHECK_ERR(poll(bad, 1, 0), EFAULT);
    close(file);
    close(null);
    close(efd);
}

static void test_select(void) {
    int efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    int null = CHECK_OK(open("/dev/null", O_RDONLY));
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(efd, &r);
    FD_SET(efd, &w);
    FD_SET(efd, &e);
    FD_SET(null, &r);
    struct timeval tv = {0, 0};
    int n = select(efd > null ? efd + 1 : null + 1, &r, &w, &e, &tv);
    CHECK(n == 2 && !FD_ISSET(efd, &r) && FD_ISSET(efd, &w) && !FD_ISSET(efd, &e) &&
              FD_ISSET(null, &r),
          "select: eventfd writable, /dev/null readable (n %d)", n);

    int closed = dup(null);
    close(closed);
    FD_ZERO(&r);
    FD_SET(closed, &r);
    CHECK_ERR(select(closed + 1, &r, NULL, NULL, &tv), EBADF);
    CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL);
    tv.tv_usec = -1;
    CHECK_ERR(select(0, NULL, NULL, NULL, &tv), EINVAL);

    /* The raw syscall writes the time left back. */
    FD_ZERO(&r);
    FD_SET(efd, &r);
    tv = (struct timeval){0, 60000};
    long long t0 = now_ms();
    long rc = syscall(SYS_select, efd + 1, &r, NULL, NULL, &tv);
    CHECK(rc == 0 && tv.tv_sec == 0 && tv.tv_usec == 0 && !FD_ISSET(efd, &r),
          "select times out, timeval becomes 0 (%ld %ld.%06ld)", rc, (long)tv.tv_sec,
          (long)tv.tv_usec);
    CHECK(now_ms() - t0 >= 55, "after ~60 ms (%lld)", now_ms() - t0);
    struct later l;
    later_start(&l, 50, efd_write, &efd);
    FD_SET(efd, &r);
    tv = (struct timeval){5, 0};
    rc = syscall(SYS_select, efd + 1, &r, NULL, NULL, &tv);
    CHECK(rc == 1 && FD_ISSET(efd, &r) && tv.tv_sec == 4 && tv.tv_usec > 0,
          "select woken early; time left written back (%ld.%06ld)", (long)tv.tv_sec,
          (long)tv.tv_usec);
    later_join(&l);
    /* tv_usec >= 1e6 is folded into seconds, not rejected. */
    uint64_t v;
    read(efd, &v, 8);
    FD_SET(efd, &r);
    tv = (struct timeval){0, 1020000};
    t0 = now_ms();
    CHECK(select(efd + 1, &r, NULL, NULL, &tv) == 0, "tv_usec 1020000 is 1.02 s, not EINVAL");
    CHECK(now_ms() - t0 >= 1000, "waited %lld ms", now_ms() - t0);
    close(efd);
    close(null);
}

/* ppoll/pselect6 swap the mask for the wait: SIGUSR1, blocked around the
 * call, interrupts it, the handler runs, and the old mask is back. */
static void test_masks(void) {
    catch_usr1(1);
    sigset_t block, empty, cur;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    int efd = CHECK_OK(eventfd(0, 0));
    struct later l;

    g_usr1 = 0;
    later_start(&l, 40, kill_main_usr1, NULL);
    struct pollfd q = {efd, POLLIN, 0};
    struct timespec ts = {5, 0};
    CHECK_ERR(ppoll(&q, 1, &ts, &empty), EINTR);
    later_join(&l);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(g_usr1 == 1 && sigismember(&cur, SIGUSR1), "ppoll: handler ran once (%d), mask restored",
          (int)g_usr1);

    later_start(&l, 40, kill_main_usr1, NULL);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(efd, &r);
    CHECK_ERR(pselect(efd + 1, &r, NULL, NULL, &ts, &empty), EINTR);
    later_join(&l);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(g_usr1 == 2 && sigismember(&cur, SIGUSR1),
          "pselect: handler ran once more (%d), mask restored", (int)g_usr1);

    /* Blocked by the temporary mask too: the signal stays pending. */
    later_start(&l, 20, kill_main_usr1, NULL);
    CHECK(ppoll(&q, 1, &(struct timespec){0, 100000000}, &block) == 0,
          "ppoll with SIGUSR1 blocked just times out");
    later_join(&l);
    sigpending(&cur);
    CHECK(g_usr1 == 2 && sigismember(&cur, SIGUSR1), "SIGUSR1 left pending");
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    CHECK(g_usr1 == 3, "delivered once unblocked (%d)", (int)g_usr1);

    /* poll is not restarted even with SA_RESTART (ERESTARTNOHAND). */
    later_start(&l, 40, kill_main_usr1, NULL);
    CHECK_ERR(poll(&q, 1, 5000), EINTR);
    later_join(&l);
    later_start(&l, 40, kill_main_usr1, NULL);
    FD_SET(efd, &r);
    CHECK_ERR(select(efd + 1, &r, NULL, NULL, NULL), EINTR);
    later_join(&l);
    CHECK(g_usr1 == 5, "two more handlers (%d)", (int)g_usr1);
    CHECK_ERR(syscall(SYS_ppoll, &q, 1, &ts, &empty, 4), EINVAL);
    close(efd);
}

int main(int argc, char **argv) {
    check_init("pollsel");
    g_main_thread = pthread_self();
    test_poll(argc > 1 ? argv[1] : ".");
    test_select();
    test_masks();
    return check_done();
}
