/* signalfd: reading queued signals with their siginfo, blocking reads,
 * poll readiness, mask updates through signalfd4 on an existing fd. */
#include "ptest.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

static void send_usr2(void *arg) {
    kill(getpid(), SIGUSR2);
}

int main(void) {
    check_init("signalfd");
    sigset_t m, none;
    sigemptyset(&m);
    sigemptyset(&none);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    CHECK_ERR(signalfd(-1, &m, 0x1), EINVAL);
    CHECK_ERR(syscall(SYS_signalfd4, -1, &m, 4, 0), EINVAL);
    int sfd = CHECK_OK(signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC));
    CHECK((fcntl(sfd, F_GETFL) & O_NONBLOCK) && (fcntl(sfd, F_GETFD) & FD_CLOEXEC), "flags");
    struct signalfd_siginfo si[4];
    CHECK_ERR(read(sfd, si, sizeof(si)), EAGAIN);
    CHECK_ERR(read(sfd, si, 100), EINVAL);
    struct pollfd p = {sfd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0, "nothing pending: not readable");

    kill(getpid(), SIGUSR1);
    union sigval sv = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR2, sv);
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "pending: POLLIN");
    ssize_t n = read(sfd, si, sizeof(si));
    CHECK(n == 2 * (ssize_t)sizeof(si[0]), "one read takes both (%zd bytes)", n);
    CHECK(si[0].ssi_signo == SIGUSR1 && si[0].ssi_code == SI_USER &&
              si[0].ssi_pid == (uint32_t)getpid() && si[0].ssi_uid == getuid(),
          "SIGUSR1 from kill: code %d pid %u", si[0].ssi_code, si[0].ssi_pid);
    CHECK(si[1].ssi_signo == SIGUSR2 && si[1].ssi_code == SI_QUEUE && si[1].ssi_int == 4242,
          "SIGUSR2 from sigqueue: code %d int %d", si[1].ssi_code, si[1].ssi_int);
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "dequeued");

    /* Update the mask: SIGUSR1 only. */
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    CHECK(signalfd(sfd, &only1, 0) == sfd, "signalfd on an existing fd returns it");
    kill(getpid(), SIGUSR2);
    CHECK_ERR(read(sfd, si, sizeof(si)), EAGAIN);
    int other = CHECK_OK(dup(1));
    CHECK_ERR(signalfd(other, &only1, 0), EINVAL);
    close(other);
    CHECK_ERR(signalfd(999, &only1, 0), EBADF);
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR2), "SIGUSR2 stays pending");
    sigwaitinfo(&m, NULL);

    /* A blocking read waits for a signal sent by another thread. */
    int bfd = CHECK_OK(signalfd(-1, &m, 0));
    struct later l;
    later_start(&l, 50, send_usr2, NULL);
    n = read(bfd, si, sizeof(si));
    CHECK(n == sizeof(si[0]) && si[0].ssi_signo == SIGUSR2, "blocking read got SIGUSR2 (%zd)", n);
    later_join(&l);
    close(bfd);
    close(sfd);
    sigprocmask(SIG_SETMASK, &none, NULL);
    return check_done();
}
