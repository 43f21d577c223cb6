/* eventfd: counter semantics, semaphore mode, limits, blocking and poll. */
#include "ptest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

static void write_one(void *arg) {
    uint64_t v = 5;
    write(*(int *)arg, &v, 8);
}
static void read_one(void *arg) {
    uint64_t v;
    read(*(int *)arg, &v, 8);
}

int main(void) {
    check_init("eventfd");
    g_main_thread = pthread_self();
    uint64_t v;
    int fd = CHECK_OK(eventfd(3, 0));
    CHECK(read(fd, &v, 8) == 8 && v == 3, "read gives the initial count: %llu",
          (unsigned long long)v);
    v = 2;
    CHECK(write(fd, &v, 8) == 8, "write 2");
    v = 7;
    CHECK(write(fd, &v, 8) == 8, "write 7");
    CHECK(read(fd, &v, 8) == 8 && v == 9, "read takes the sum: %llu", (unsigned long long)v);
    CHECK_ERR(read(fd, &v, 4), EINVAL);
    CHECK_ERR(write(fd, &v, 7), EINVAL);
    v = UINT64_MAX;
    CHECK_ERR(write(fd, &v, 8), EINVAL);
    char big[16] = {0};
    v = 1;
    memcpy(big, &v, 8);
    CHECK_ERR(write(fd, big, 16), EINVAL); /* Linux 6.x: exactly 8 bytes */
    CHECK(write(fd, big, 8) == 8, "write 1");
    CHECK(read(fd, big, 16) == 8, "a 16-byte read moves 8 bytes");
    close(fd);

    /* Non-blocking: EAGAIN on an empty counter and at the limit. */
    fd = CHECK_OK(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
          "EFD_NONBLOCK and EFD_CLOEXEC show in fcntl");
    CHECK_ERR(read(fd, &v, 8), EAGAIN);
    v = 0xfffffffffffffffeULL;
    CHECK(write(fd, &v, 8) == 8, "write up to the maximum 0xfffffffffffffffe");
    v = 1;
    CHECK_ERR(write(fd, &v, 8), EAGAIN);
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "full counter: POLLIN only (revents %#x)",
          p.revents);
    CHECK(read(fd, &v, 8) == 8 && v == 0xfffffffffffffffeULL, "read the maximum back");
    p.revents = 0;
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "empty counter: POLLOUT only (revents %#x)",
          p.revents);
    v = 0;
    CHECK(write(fd, &v, 8) == 8, "writing 0 is allowed");
    CHECK_ERR(read(fd, &v, 8), EAGAIN);
    close(fd);

    /* Semaphore mode: each read takes 1. */
    fd = CHECK_OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
    int n = 0;
    while (read(fd, &v, 8) == 8 && v == 1)
        n++;
    CHECK(n == 3 && errno == EAGAIN, "semaphore: 3 reads of 1, then EAGAIN (got %d)", n);
    close(fd);
    CHECK_ERR(eventfd(0, 0x40), EINVAL);

    struct stat st;
    fd = CHECK_OK(eventfd(0, 0));
    CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_nlink == 1,
          "fstat: anonymous inode, mode %o", st.st_mode);

    /* Blocking read woken by a write from another thread. */
    struct later l;
    long long t0 = now_ms();
    later_start(&l, 50, write_one, &fd);
    CHECK(read(fd, &v, 8) == 8 && v == 5, "blocking read woken by a write (%llu)",
          (unsigned long long)v);
    CHECK(now_ms() - t0 >= 40, "it really waited (%lld ms)", now_ms() - t0);
    later_join(&l);

    /* Blocking write at the limit woken by a read. */
    v = 0xfffffffffffffffeULL;
    write(fd, &v, 8);
    later_start(&l, 50, read_one, &fd);
    v = 3;
    CHECK(write(fd, &v, 8) == 8, "blocking write woken by a read");
    later_join(&l);
    read(fd, &v, 8);
    CHECK(v == 3, "the counter holds the blocked write: %llu", (unsigned long long)v);

    /* A blocking read interrupted by a handler: EINTR without SA_RESTART,
     * resumed with it. */
    catch_usr1(0);
    later_start(&l, 30, kill_main_usr1, NULL);
    CHECK_ERR(read(fd, &v, 8), EINTR);
    later_join(&l);
    catch_usr1(1);
    struct later l2;
    later_start(&l, 30, kill_main_usr1, NULL);
    later_start(&l2, 120, write_one, &fd);
    CHECK(read(fd, &v, 8) == 8 && v == 5 && g_usr1 == 2,
          "SA_RESTART: the read resumes after the handler (v %llu, handlers %d)",
          (unsigned long long)v, (int)g_usr1);
    later_join(&l);
    later_join(&l2);
    close(fd);
    return check_done();
}
