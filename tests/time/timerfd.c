/* timerfd: expiration counts, EAGAIN, abstime, gettime, poll, errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void) {
    check_init("timerfd");
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) && (fcntl(fd, F_GETFL) & O_NONBLOCK),
          "TFD_CLOEXEC and TFD_NONBLOCK set");
    uint64_t n = 0;
    CHECK_ERR(read(fd, &n, sizeof(n)), EAGAIN);
    struct itimerspec its = {{0, 10000000}, {0, 10000000}}, cur;
    int64_t t0 = now_ns();
    CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
    CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_interval.tv_nsec == 10000000 &&
              cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000,
          "gettime: interval 10 ms, %ld ns left", (long)cur.it_value.tv_nsec);
    msleep(55);
    CHECK(read(fd, &n, sizeof(n)) == 8, "read returns 8 bytes");
    int64_t el = (now_ns() - t0) / 10000000;
    CHECK(n >= 4 && (int64_t)n <= el, "expirations counted: %llu after %lld periods",
          (unsigned long long)n, (long long)el);
    CHECK_ERR(read(fd, &n, 4), EINVAL);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLIN), "poll: POLLIN after the next tick");
    CHECK(read(fd, &n, sizeof(n)) == 8 && n >= 1, "read after poll: %llu", (unsigned long long)n);
    struct itimerspec zero = {{0, 0}, {0, 0}};
    CHECK_OK(timerfd_settime(fd, 0, &zero, &cur));
    CHECK(cur.it_interval.tv_nsec == 10000000, "settime returns the old setting");
    CHECK(timerfd_gettime(fd, &cur) == 0 && !cur.it_value.tv_sec && !cur.it_value.tv_nsec,
          "disarmed: gettime 0");
    p.revents = 0;
    CHECK(poll(&p, 1, 30) == 0, "disarmed: poll times out");
    close(fd);

    /* Blocking read with an absolute deadline. */
    fd = CHECK_OK(timerfd_create(CLOCK_REALTIME, 0));
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    its.it_interval.tv_nsec = 0;
    its.it_value = rt;
    its.it_value.tv_nsec += 40000000;
    if (its.it_value.tv_nsec >= 1000000000) {
        its.it_value.tv_sec++;
        its.it_value.tv_nsec -= 1000000000;
    }
    CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
    n = 0;
    CHECK(read(fd, &n, sizeof(n)) == 8 && n == 1, "blocking read: 1 expiration");
    struct timespec after;
    clock_gettime(CLOCK_REALTIME, &after);
    CHECK(after.tv_sec > its.it_value.tv_sec ||
              (after.tv_sec == its.it_value.tv_sec && after.tv_nsec >= its.it_value.tv_nsec),
          "not before the absolute time");
    close(fd);

    CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL);
    CHECK_ERR(timerfd_settime(0, 0, &its, NULL), EINVAL);
    CHECK_ERR(timerfd_gettime(999, &cur), EBADF);
    its.it_value.tv_nsec = 1000000000;
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
    return check_done();
}
