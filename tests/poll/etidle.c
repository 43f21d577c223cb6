/* An edge-triggered epoll item that stays ready (an idle writable socket)
 * must not make epoll_wait spin: the wait sleeps until the timeout or a
 * new edge, burning no CPU; EPOLLRDHUP arrives when the peer shuts down. */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "ptest.h"

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    check_init("etidle");
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int ep = CHECK_OK(epoll_create1(0));
    struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = 7};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e));
    struct epoll_event out[2];
    int n = epoll_wait(ep, out, 2, 0);
    CHECK(n == 1 && out[0].events == EPOLLOUT, "first look: EPOLLOUT once (n=%d ev=%#x)", n,
          n > 0 ? out[0].events : 0);
    double c0 = cpu_seconds();
    long long t0 = now_ms();
    n = epoll_wait(ep, out, 2, 300);
    long long ms = now_ms() - t0;
    double cpu = cpu_seconds() - c0;
    CHECK(n == 0 && ms >= 290, "no new edge: timeout after %lld ms (n=%d)", ms, n);
    CHECK(cpu < 0.1, "waiting used %.3f s of CPU (no spinning)", cpu);
    CHECK(write(sv[1], "x", 1) == 1, "peer writes");
    n = epoll_wait(ep, out, 2, 1000);
    CHECK(n == 1 && (out[0].events & EPOLLIN), "new data is an edge (ev=%#x)",
          n > 0 ? out[0].events : 0);
    /* Read exactly what came (no EAGAIN seen), then more arrives: Linux
     * reports a new edge, as servers reading one request at a time need. */
    char buf[8];
    CHECK(read(sv[0], buf, 1) == 1, "read the byte, not until EAGAIN");
    CHECK(write(sv[1], "y", 1) == 1, "peer writes again");
    n = epoll_wait(ep, out, 2, 1000);
    CHECK(n == 1 && (out[0].events & EPOLLIN), "new data after a partial drain is an edge (ev=%#x)",
          n > 0 ? out[0].events : 0);
    CHECK(read(sv[0], buf, 1) == 1, "read it");
    CHECK_OK(shutdown(sv[1], SHUT_WR));
    n = epoll_wait(ep, out, 2, 1000);
    CHECK(n == 1 && (out[0].events & EPOLLRDHUP), "peer shutdown: EPOLLRDHUP (ev=%#x)",
          n > 0 ? out[0].events : 0);
    return check_done();
}
