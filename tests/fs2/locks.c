/* flock and fcntl record locks (POSIX and OFD) inside one process:
 * conflicts between open files, F_GETLK reports, blocking F_SETLKW/flock
 * woken by a release from another thread, interruption by a signal, and
 * close() dropping the process's POSIX locks. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/file.h>

#include "ptest.h"

static struct flock fl(short type, off_t start, off_t len) {
    struct flock l = {0};
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = start;
    l.l_len = len;
    return l;
}

static void unlock_flock(void *arg) {
    flock(*(int *)arg, LOCK_UN);
}

static void unlock_ofd(void *arg) {
    struct flock l = fl(F_UNLCK, 0, 0);
    fcntl(*(int *)arg, F_OFD_SETLK, &l);
}

static void test_flock(void) {
    int a = open("f", O_RDWR | O_CREAT, 0644), b = open("f", O_RDONLY);
    CHECK_OK(flock(a, LOCK_EX));
    CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    int a2 = dup(a);
    CHECK_OK(flock(a2, LOCK_EX | LOCK_NB)); /* same open file: already its lock */
    close(a2);
    CHECK_OK(flock(a, LOCK_SH));
    CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
    CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_OK(flock(b, LOCK_UN));
    CHECK_OK(flock(a, LOCK_EX | LOCK_NB));
    CHECK_ERR(flock(a, 0), EINVAL);
    CHECK_ERR(flock(99, LOCK_SH), EBADF);

    /* Blocking: released by another thread after 100 ms. */
    struct later l;
    long long t0 = now_ms();
    later_start(&l, 100, unlock_flock, &a);
    CHECK_OK(flock(b, LOCK_EX));
    CHECK(now_ms() - t0 >= 80, "flock waited %lld ms", now_ms() - t0);
    later_join(&l);
    /* Closing the last fd of an open file drops its flock. */
    close(b);
    CHECK_OK(flock(a, LOCK_EX | LOCK_NB));
    close(a);
}

static void test_posix_ofd(void) {
    int a = open("g", O_RDWR | O_CREAT, 0644), b = open("g", O_RDWR), c = open("g", O_RDONLY);
    struct flock l = fl(F_WRLCK, 10, 10);
    CHECK_OK(fcntl(a, F_SETLK, &l));
    l = fl(F_WRLCK, 0, 0);
    CHECK_OK(fcntl(b, F_SETLK, &l)); /* POSIX locks of one process never conflict */
    l = fl(F_UNLCK, 0, 0);
    CHECK_OK(fcntl(b, F_SETLK, &l)); /* ...and are one set: this drops all */
    l = fl(F_WRLCK, 10, 10);
    CHECK_OK(fcntl(a, F_SETLK, &l));

    /* OFD locks belong to the open file: they conflict with the POSIX ones. */
    l = fl(F_RDLCK, 15, 1);
    CHECK_ERR(fcntl(b, F_OFD_SETLK, &l), EAGAIN);
    l = fl(F_WRLCK, 0, 100);
    CHECK_OK(fcntl(b, F_OFD_GETLK, &l));
    CHECK(l.l_type == F_WRLCK && l.l_start == 10 && l.l_len == 10 && l.l_pid == getpid(),
          "OFD_GETLK sees the POSIX lock: type %d start %ld len %ld pid %d", l.l_type,
          (long)l.l_start, (long)l.l_len, l.l_pid);
    l = fl(F_RDLCK, 20, 5);
    CHECK_OK(fcntl(b, F_OFD_SETLK, &l));
    l = fl(F_WRLCK, 0, 0);
    CHECK_OK(fcntl(a, F_GETLK, &l));
    CHECK(l.l_type == F_RDLCK && l.l_start == 20 && l.l_len == 5 && l.l_pid == -1,
          "GETLK sees the OFD lock: type %d start %ld len %ld pid %d", l.l_type, (long)l.l_start,
          (long)l.l_len, l.l_pid);
    l = fl(F_RDLCK, 0, 0);
    CHECK_OK(fcntl(c, F_OFD_GETLK, &l));
    CHECK(l.l_type == F_WRLCK && l.l_start == 10, "a read lock conflicts only with the write lock");
    l = fl(F_RDLCK, 21, 2);
    CHECK_OK(fcntl(c, F_OFD_SETLK, &l)); /* shared with b's read lock */
    l = fl(F_RDLCK, 0, 0);
    l.l_pid = 1;
    CHECK_ERR(fcntl(c, F_OFD_SETLK, &l), EINVAL);
    l = fl(F_WRLCK, 0, 1);
    CHECK_ERR(fcntl(c, F_OFD_SETLK, &l), EBADF); /* write lock needs a writable fd */
    l = fl(F_RDLCK, -5, 1);
    CHECK_ERR(fcntl(a, F_SETLK, &l), EINVAL);
    l = fl(F_UNLCK, 0, 0);
    CHECK_ERR(fcntl(a, F_GETLK, &l), EINVAL);
    l = fl(5, 0, 0);
    CHECK_ERR(fcntl(a, F_SETLK, &l), EINVAL);
    /* A negative length locks the bytes before start. */
    l = fl(F_WRLCK, 40, -10);
    CHECK_OK(fcntl(a, F_SETLK, &l));
    l = fl(F_WRLCK, 30, 1);
    CHECK_OK(fcntl(b, F_OFD_GETLK, &l));
    CHECK(l.l_type == F_WRLCK && l.l_start == 30 && l.l_len == 10, "negative length: %ld+%ld",
          (long)l.l_start, (long)l.l_len);

    /* Closing any fd of the file drops the process's POSIX locks. */
    int d = open("g", O_RDONLY);
    close(d);
    l = fl(F_WRLCK, 10, 10);
    CHECK_OK(fcntl(b, F_OFD_GETLK, &l));
    CHECK(l.l_type == F_UNLCK, "close dropped the POSIX locks (type %d)", l.l_type);

    /* F_OFD_SETLKW waits for another open file's release. */
    l = fl(F_WRLCK, 0, 0);
    struct later lt;
    long long t0 = now_ms();
    later_start(&lt, 100, unlock_ofd, &b);
    unlock_ofd(&c);
    CHECK_OK(fcntl(a, F_OFD_SETLKW, &l));
    CHECK(now_ms() - t0 >= 80, "F_OFD_SETLKW waited %lld ms", now_ms() - t0);
    later_join(&lt);

    /* ...and a signal without SA_RESTART interrupts it. */
    g_main_thread = pthread_self();
    catch_usr1(0);
    later_start(&lt, 100, kill_main_usr1, NULL);
    l = fl(F_RDLCK, 0, 1);
    CHECK_ERR(fcntl(b, F_OFD_SETLKW, &l), EINTR);
    CHECK(g_usr1 == 1, "handler ran");
    later_join(&lt);
    close(a);
    l = fl(F_WRLCK, 0, 0);
    CHECK_OK(fcntl(b, F_OFD_SETLK, &l)); /* the last close of a dropped its OFD lock */
    close(b);
    close(c);
}

int main(int argc, char **argv) {
    check_init("locks");
    if (argc < 2 || chdir(argv[1]) != 0) {
        printf("usage: locks WORKDIR\n");
        return 2;
    }
    test_flock();
    test_posix_ofd();
    return check_done();
}
