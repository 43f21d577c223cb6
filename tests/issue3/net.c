/* Sockets. Needs loopback granted (tests/issue3 manifests):
 *   tcp      an echo server and NCONN nonblocking clients in one process,
 *            one epoll loop; exact bytes back on every connection
 *   tcpopts  accept4 flags, names, socket options, MSG_PEEK/MSG_DONTWAIT,
 *            ECONNREFUSED, EPIPE with MSG_NOSIGNAL and SIGPIPE without
 *   udp      datagrams over IPv4 and IPv6: boundaries, sender address,
 *            connected UDP, sendmmsg/recvmmsg
 *   unix     AF_UNIX: fds passed with SCM_RIGHTS over a socketpair and over
 *            a socket bound to a path; abstract names; SOCK_SEQPACKET;
 *            SCM_CREDENTIALS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "i3.h"

#define NCONN 48
#define MSG_BYTES (64 * 1024 + 123) /* per connection, sent in pieces */

static struct sockaddr_in lo4(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int port_of(int fd) {
    struct sockaddr_storage ss;
    socklen_t l = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0)
        return -1;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_listener(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = lo4(0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 128) < 0) {
        CHECK(0, "TCP listener on 127.0.0.1:0: %s", strerror(errno));
        return -1;
    }
    return s;
}

static unsigned char pattern(int conn, size_t i) {
    return (unsigned char)(conn * 31 + i * 7 + (i >> 9));
}

/* ------------------------------------------------------------------- tcp */

/* Both ends of the echo live in one epoll set; data.u64 = kind << 32 | idx */
enum { K_LISTEN = 1, K_SERVER = 2, K_CLIENT = 3 };
struct conn {
    int fd;
    size_t sent, got; /* client: bytes sent / echoed back and verified */
    int connected, done, bad;
};
struct srv {
    int fd;
    unsigned char buf[8192];
    size_t have, off; /* pending echo bytes in buf[off..have) */
    int eof;
};

static int g_ep;
static void ep_set(int op, int fd, uint32_t ev, int kind, int idx) {
    struct epoll_event e = {.events = ev, .data.u64 = ((uint64_t)kind << 32) | (uint32_t)idx};
    if (epoll_ctl(g_ep, op, fd, &e) < 0)
        CHECK(0, "epoll_ctl(%d, fd %d): %s", op, fd, strerror(errno));
}

/* Flush what the server holds; returns 0, or -1 on a hard error. */
static int srv_flush(struct srv *s) {
    while (s->off < s->have) {
        ssize_t w = send(s->fd, s->buf + s->off, s->have - s->off, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        s->off += (size_t)w;
    }
    s->off = s->have = 0;
    return 0;
}

static void srv_event(struct srv *s, int idx, uint32_t ev) {
    for (;;) {
        if (s->have) {
            if (srv_flush(s) < 0) {
                CHECK(0, "server send: %s", strerror(errno));
                return;
            }
            if (s->have) { /* socket full: wait for EPOLLOUT */
                ep_set(EPOLL_CTL_MOD, s->fd, EPOLLOUT, K_SERVER, idx);
                return;
            }
        }
        if (s->eof)
            break;
        ssize_t r = recv(s->fd, s->buf, sizeof(s->buf), 0);
        if (r < 0 && errno == EAGAIN) {
            ep_set(EPOLL_CTL_MOD, s->fd, EPOLLIN | EPOLLRDHUP, K_SERVER, idx);
            return;
        }
        if (r <= 0) {
            if (r < 0)
                CHECK(0, "server recv: %s", strerror(errno));
            s->eof = 1;
            break;
        }
        s->have = (size_t)r;
    }
    /* Client finished sending and everything was echoed: close our side. */
    epoll_ctl(g_ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
}

static void client_event(struct conn *c, int idx, uint32_t ev) {
    if (!c->connected) {
        int err = -1;
        socklen_t l = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err != 0) {
            CHECK(0, "client %d connect finished with SO_ERROR %s", idx, strerror(err));
            c->bad = c->done = 1;
            close(c->fd);
            return;
        }
        c->connected = 1;
    }
    unsigned char buf[4096];
    while (c->sent < MSG_BYTES) { /* send in uneven pieces */
        size_t n = MSG_BYTES - c->sent;
        if (n > 1000 + (size_t)idx * 13)
            n = 1000 + (size_t)idx * 13;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(idx, c->sent + i);
        ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN)
                c->bad = 1;
            break;
        }
        c->sent += (size_t)w;
        if (c->sent == MSG_BYTES)
            shutdown(c->fd, SHUT_WR);
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
        if (r < 0)
            break;
        if (r == 0) { /* server closed after echoing all */
            c->done = 1;
            epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            return;
        }
        for (ssize_t i = 0; i < r; i++)
            c->bad |= buf[i] != pattern(idx, c->got + (size_t)i);
        c->got += (size_t)r;
    }
    ep_set(EPOLL_CTL_MOD, c->fd, c->sent < MSG_BYTES ? EPOLLIN | EPOLLOUT : EPOLLIN, K_CLIENT, idx);
}

static void test_tcp(void) {
    static struct conn cl[NCONN];
    static struct srv sv[NCONN];
    int ls = tcp_listener();
    if (ls < 0)
        return;
    int port = port_of(ls);
    g_ep = epoll_create1(0);
    ep_set(EPOLL_CTL_ADD, ls, EPOLLIN, K_LISTEN, 0);
    int inprogress = 0, nserv = 0;
    for (int i = 0; i < NCONN; i++) {
        cl[i] = (struct conn){.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
        struct sockaddr_in a = lo4(port);
        int r = connect(cl[i].fd, (struct sockaddr *)&a, sizeof(a));
        if (r < 0 && errno != EINPROGRESS)
            CHECK(0, "client %d connect: %s", i, strerror(errno));
        inprogress += r < 0 && errno == EINPROGRESS;
        ep_set(EPOLL_CTL_ADD, cl[i].fd, EPOLLOUT | EPOLLIN, K_CLIENT, i);
    }
    CHECK(inprogress > 0, "nonblocking connect: %d of %d gave EINPROGRESS", inprogress, NCONN);
    int done = 0, idle = 0;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    while (done < NCONN && idle < 20) {
        struct epoll_event ev[32];
        int n = epoll_wait(g_ep, ev, 32, 250);
        idle = n == 0 ? idle + 1 : 0;
        for (int i = 0; i < n; i++) {
            int kind = (int)(ev[i].data.u64 >> 32), idx = (int)(uint32_t)ev[i].data.u64;
            if (kind == K_LISTEN) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (nserv == NCONN) {
                        CHECK(0, "more connections accepted than made");
                        close(fd);
                        continue;
                    }
                    sv[nserv] = (struct srv){.fd = fd};
                    ep_set(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, K_SERVER, nserv);
                    nserv++;
                }
            } else if (kind == K_SERVER) {
                srv_event(&sv[idx], idx, ev[i].events);
            } else if (!cl[idx].done) {
                client_event(&cl[idx], idx, ev[i].events);
                done += cl[idx].done;
            }
        }
    }
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    int good = 0, open_srv = 0;
    size_t total = 0;
    for (int i = 0; i < NCONN; i++) {
        good += cl[i].done && !cl[i].bad && cl[i].got == MSG_BYTES;
        total += cl[i].got;
        open_srv += i < nserv && sv[i].fd >= 0;
        if (!cl[i].done)
            printf("info client %d: sent %zu got %zu connected %d\n", i, cl[i].sent, cl[i].got,
                   cl[i].connected);
    }
    CHECK(nserv == NCONN, "server accepted %d of %d connections", nserv, NCONN);
    CHECK(good == NCONN, "%d of %d connections echoed all %d bytes intact", good, NCONN, MSG_BYTES);
    CHECK(total == (size_t)NCONN * MSG_BYTES, "total echoed %zu bytes, want %zu", total,
          (size_t)NCONN * MSG_BYTES);
    CHECK(open_srv == 0, "server closed every connection (%d open)", open_srv);
    printf("info tcp: %d connections, %zu bytes echoed in %ld ms\n", NCONN, total, ms);
    close(ls);
    close(g_ep);
}

/* --------------------------------------------------------------- tcpopts */

static volatile int g_sigpipe;
static void on_pipe(int sig) {
    g_sigpipe++;
}

static void test_tcpopts(void) {
    int ls = tcp_listener();
    if (ls < 0)
        return;
    int port = port_of(ls);
    int c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = lo4(port);
    CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a))); /* blocking connect */
    struct pollfd pf = {ls, POLLIN, 0};
    CHECK(poll(&pf, 1, 2000) == 1, "listener readable with a pending connection");
    struct sockaddr_in peer;
    socklen_t pl = sizeof(peer);
    int s = CHECK_OK(accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC));
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "accept4 SOCK_NONBLOCK sets O_NONBLOCK");
    CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC, "accept4 SOCK_CLOEXEC sets FD_CLOEXEC");
    CHECK(pl == sizeof(peer) && peer.sin_family == AF_INET &&
              peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(peer.sin_port) == port_of(c),
          "accept's address is the client's (port %d vs %d)", ntohs(peer.sin_port), port_of(c));
    struct sockaddr_in pn;
    pl = sizeof(pn);
    CHECK(getpeername(c, (struct sockaddr *)&pn, &pl) == 0 && ntohs(pn.sin_port) == port,
          "client getpeername is the server port %d", port);

    int one = 1, v = 0;
    socklen_t vl = sizeof(v);
    CHECK_OK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
    CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v != 0, "TCP_NODELAY on");
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
    vl = sizeof(v);
    CHECK(getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &vl) == 0 && v != 0, "SO_KEEPALIVE on");
    vl = sizeof(v);
    CHECK(getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM, "SO_TYPE");
    int rcv = 65536;
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
    vl = sizeof(v);
    CHECK(getsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v >= rcv,
          "SO_RCVBUF %d (Linux doubles it)", v);
    struct linger lg = {1, 0};
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));

    char buf[64];
    errno = 0;
    CHECK(recv(c, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN,
          "MSG_DONTWAIT on an empty socket -> EAGAIN");
    CHECK(send(s, "peekaboo", 8, 0) == 8, "server sends 8 bytes");
    pf = (struct pollfd){c, POLLIN, 0};
    poll(&pf, 1, 2000);
    CHECK(recv(c, buf, 4, MSG_PEEK) == 4 && !memcmp(buf, "peek", 4), "MSG_PEEK sees 'peek'");
    CHECK(recv(c, buf, sizeof(buf), 0) == 8 && !memcmp(buf, "peekaboo", 8), "then recv gets all 8");

    /* Peer gone: EPIPE, with SIGPIPE unless MSG_NOSIGNAL. */
    signal(SIGPIPE, on_pipe);
    close(s);
    ms_sleep(50);
    ssize_t w1 = send(c, "x", 1, MSG_NOSIGNAL); /* may succeed: RST comes back */
    ms_sleep(50);
    errno = 0;
    ssize_t w2 = send(c, "y", 1, MSG_NOSIGNAL);
    int e2 = errno;
    CHECK(w2 == -1 && (e2 == EPIPE || e2 == ECONNRESET) && g_sigpipe == 0,
          "send after the peer closed, MSG_NOSIGNAL: %zd %zd %s, no SIGPIPE (%d)", w1, w2,
          strerror(e2), g_sigpipe);
    errno = 0;
    ssize_t w3 = write(c, "z", 1);
    CHECK(w3 == -1 && errno == EPIPE && g_sigpipe == 1, "write: EPIPE (%s) and SIGPIPE (%d)",
          strerror(errno), g_sigpipe);
    signal(SIGPIPE, SIG_DFL);
    close(c);

    /* Nobody listening. */
    int dead = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in da = lo4(0);
    bind(dead, (struct sockaddr *)&da, sizeof(da));
    int dport = port_of(dead);
    close(dead);
    c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ca = lo4(dport);
    errno = 0;
    CHECK(connect(c, (struct sockaddr *)&ca, sizeof(ca)) == -1 && errno == ECONNREFUSED,
          "connect to a closed port -> ECONNREFUSED (%s)", errstr(errno));
    close(c);
    /* Nonblocking connect to a closed port: SO_ERROR says so. */
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&ca, sizeof(ca));
    int e = errno;
    pf = (struct pollfd){c, POLLOUT, 0};
    poll(&pf, 1, 2000);
    int soerr = 0;
    vl = sizeof(soerr);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &vl);
    CHECK((r == -1 && e == ECONNREFUSED) ||
              (e == EINPROGRESS && soerr == ECONNREFUSED && (pf.revents & (POLLERR | POLLHUP))),
          "nonblocking connect to a closed port: %s then SO_ERROR %s, revents %#x", errstr(e),
          errstr(soerr), pf.revents);
    close(c);

    /* Address in use without SO_REUSEADDR on a listening port. */
    int b = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in ba = lo4(port);
    errno = 0;
    CHECK(bind(b, (struct sockaddr *)&ba, sizeof(ba)) == -1 && errno == EADDRINUSE,
          "bind to a listening port -> EADDRINUSE (%s)", strerror(errno));
    close(b);
    close(ls);
}

/* ------------------------------------------------------------------- udp */

static void udp_family(int fam) {
    const char *fn = fam == AF_INET ? "udp4" : "udp6";
    struct sockaddr_storage sa = {0};
    socklen_t sl;
    if (fam == AF_INET) {
        *(struct sockaddr_in *)&sa = lo4(0);
        sl = sizeof(struct sockaddr_in);
    } else {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sa;
        a6->sin6_family = AF_INET6;
        a6->sin6_addr = in6addr_loopback;
        sl = sizeof(*a6);
    }
    int x = socket(fam, SOCK_DGRAM, 0), y = socket(fam, SOCK_DGRAM, 0);
    struct sockaddr_storage ax = sa, ay = sa;
    if (bind(x, (struct sockaddr *)&ax, sl) < 0 || bind(y, (struct sockaddr *)&ay, sl) < 0) {
        CHECK(0, "%s: bind on loopback: %s", fn, strerror(errno));
        return;
    }
    socklen_t l = sl;
    getsockname(x, (struct sockaddr *)&ax, &l);
    l = sl;
    getsockname(y, (struct sockaddr *)&ay, &l);
    /* Three datagrams of different sizes keep their boundaries. */
    size_t sizes[3] = {1, 1400, 9000};
    char out[9000], in[10000];
    for (int i = 0; i < 3; i++) {
        memset(out, 'a' + i, sizes[i]);
        ssize_t w = sendto(x, out, sizes[i], 0, (struct sockaddr *)&ay, sl);
        CHECK(w == (ssize_t)sizes[i], "%s: sendto %zu bytes -> %zd", fn, sizes[i], w);
    }
    for (int i = 0; i < 3; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        if (i == 1) {
            ssize_t p = recv(y, in, sizeof(in), MSG_PEEK);
            CHECK(p == (ssize_t)sizes[1], "%s: MSG_PEEK sees the whole datagram (%zd)", fn, p);
        }
        ssize_t r = recvfrom(y, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
        int same = r == (ssize_t)sizes[i];
        for (ssize_t k = 0; same && k < r; k++)
            same = in[k] == 'a' + i;
        CHECK(same, "%s: datagram %d arrives whole: %zd bytes, want %zu", fn, i, r, sizes[i]);
        CHECK(fl == sl &&
                  port_of(x) == ntohs(fam == AF_INET ? ((struct sockaddr_in *)&from)->sin_port
                                                     : ((struct sockaddr_in6 *)&from)->sin6_port),
              "%s: recvfrom names the sender", fn);
    }
    /* Truncation: a short buffer drops the rest of the datagram. */
    sendto(x, "0123456789", 10, 0, (struct sockaddr *)&ay, sl);
    sendto(x, "next", 4, 0, (struct sockaddr *)&ay, sl);
    CHECK(recv(y, in, 4, 0) == 4 && recv(y, in, sizeof(in), 0) == 4 && !memcmp(in, "next", 4),
          "%s: the rest of a truncated datagram is dropped", fn);
    errno = 0;
    CHECK(recv(y, in, sizeof(in), MSG_DONTWAIT) == -1 && errno == EAGAIN, "%s: empty -> EAGAIN",
          fn);
    /* Connected UDP: send/recv without addresses. */
    CHECK_OK(connect(x, (struct sockaddr *)&ay, sl));
    CHECK(send(x, "conn", 4, 0) == 4, "%s: send on a connected socket", fn);
    struct pollfd pf = {y, POLLIN, 0};
    CHECK(poll(&pf, 1, 2000) == 1 && recv(y, in, sizeof(in), 0) == 4, "%s: received", fn);
    /* sendmmsg/recvmmsg: several datagrams per call. */
    struct mmsghdr mm[4];
    struct iovec iov[4];
    char bufs[4][16];
    for (int i = 0; i < 4; i++) {
        snprintf(bufs[i], sizeof(bufs[i]), "mmsg-%d", i);
        iov[i] = (struct iovec){bufs[i], strlen(bufs[i])};
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(x, mm, 4, 0);
    CHECK(sent == 4, "%s: sendmmsg sent %d of 4", fn, sent);
    ms_sleep(20);
    char rb[4][16];
    for (int i = 0; i < 4; i++) {
        iov[i] = (struct iovec){rb[i], sizeof(rb[i])};
        memset(&mm[i], 0, sizeof(mm[i]));
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(y, mm, 4, MSG_DONTWAIT, NULL);
    int ok = got == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = mm[i].msg_len == 6 && !memcmp(rb[i], "mmsg-", 5) && rb[i][5] == '0' + i;
    CHECK(ok, "%s: recvmmsg got %d datagrams in order", fn, got);
    close(x);
    close(y);
}

static void test_udp(void) {
    udp_family(AF_INET);
    udp_family(AF_INET6);
}

/* ------------------------------------------------------------------ unix */

/* Send fds over sock with one byte of data. */
static int send_fds(int sock, const int *fds, int n, const char *tag) {
    char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = {(void *)tag, strlen(tag)};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cbuf,
                       .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    return (int)sendmsg(sock, &m, 0);
}

/* Receive up to 4 fds; returns how many, data into buf. */
static int recv_fds(int sock, int *fds, char *buf, size_t len) {
    char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    struct iovec iov = {buf, len - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    if (r < 0)
        return -1;
    buf[r] = 0;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
        }
    return n;
}

/* A passed file shares its offset with the original (one open file). */
static void check_passed_file(const char *how, int sock_tx, int sock_rx) {
    int f = CHECK_OK(open("passed.txt", O_CREAT | O_TRUNC | O_RDWR, 0600));
    write(f, "hello, fd passing", 17);
    lseek(f, 7, SEEK_SET);
    int p[2];
    pipe(p);
    int fds[2] = {f, p[1]};
    CHECK(send_fds(sock_tx, fds, 2, "FD") == 2, "%s: sendmsg with 2 fds", how);
    close(p[1]); /* the receiver now holds the only other write end */
    int got[4] = {-1, -1, -1, -1};
    char data[16];
    int n = recv_fds(sock_rx, got, data, sizeof(data));
    CHECK(n == 2 && !strcmp(data, "FD"), "%s: recvmsg got %d fds with data '%s'", how, n, data);
    if (n != 2)
        return;
    CHECK(got[0] != f && got[1] != p[1], "%s: new descriptor numbers", how);
    CHECK(fcntl(got[0], F_GETFD) & FD_CLOEXEC, "%s: MSG_CMSG_CLOEXEC honoured", how);
    char buf[32] = {0};
    CHECK(read(got[0], buf, 10) == 10 && !strcmp(buf, "fd passing"),
          "%s: read through the passed fd continues at the shared offset: '%s'", how, buf);
    CHECK(lseek(f, 0, SEEK_CUR) == 17, "%s: the original's offset moved too", how);
    struct stat a, b;
    fstat(f, &a);
    fstat(got[0], &b);
    CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "%s: same file (inode)", how);
    CHECK(write(got[1], "via pipe", 8) == 8, "%s: write to the passed pipe end", how);
    close(got[1]);
    memset(buf, 0, sizeof(buf));
    CHECK(read(p[0], buf, sizeof(buf)) == 8 && !strcmp(buf, "via pipe") &&
              read(p[0], buf, sizeof(buf)) == 0,
          "%s: the pipe carried it, then EOF once the passed end closed", how);
    close(got[0]);
    close(p[0]);
    close(f);
    unlink("passed.txt");
}

static void test_unix(void) {
    int sp[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
    check_passed_file("socketpair", sp[0], sp[1]);
    close(sp[0]);
    close(sp[1]);

    /* A listening socket bound to a path in the working directory. */
    unlink("test.sock");
    int ls = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, "test.sock");
    socklen_t ul = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
    CHECK_OK(bind(ls, (struct sockaddr *)&un, ul));
    struct stat st;
    CHECK(stat("test.sock", &st) == 0 && S_ISSOCK(st.st_mode), "bound path is a socket file");
    CHECK_OK(listen(ls, 4));
    int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&un, ul));
    int s = CHECK_OK(accept(ls, NULL, NULL));
    struct sockaddr_un got;
    socklen_t gl = sizeof(got);
    CHECK(getpeername(c, (struct sockaddr *)&got, &gl) == 0 && !strcmp(got.sun_path, "test.sock"),
          "getpeername: '%s'", got.sun_path);
    check_passed_file("bound path", c, s);
    check_passed_file("bound path, other way", s, c);
    /* SCM_CREDENTIALS with SO_PASSCRED. */
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    send(c, "cred", 4, 0);
    char cbuf[CMSG_SPACE(sizeof(struct ucred))], data[8];
    struct iovec iov = {data, sizeof(data)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t r = recvmsg(s, &m, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    struct ucred uc = {0};
    if (cm && cm->cmsg_type == SCM_CREDENTIALS)
        memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
    CHECK(r == 4 && uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid(),
          "SCM_CREDENTIALS: pid %d uid %d gid %d", (int)uc.pid, (int)uc.uid, (int)uc.gid);
    close(c);
    close(s);
    close(ls);
    errno = 0;
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&un, ul) == -1 && errno == ECONNREFUSED,
          "connect to a path nobody listens on -> ECONNREFUSED (%s)", errstr(errno));
    close(c);
    unlink("test.sock");

    /* Abstract name + SOCK_SEQPACKET keeps message boundaries. */
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    int n = snprintf(ab.sun_path + 1, sizeof(ab.sun_path) - 1, "sabot-i3-%d", getpid());
    socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    ls = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
    CHECK_OK(bind(ls, (struct sockaddr *)&ab, al));
    CHECK_OK(listen(ls, 1));
    c = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&ab, al));
    s = CHECK_OK(accept(ls, NULL, NULL));
    send(c, "one", 3, 0);
    send(c, "two!", 4, 0);
    char b1[16], b2[16];
    ssize_t r1 = recv(s, b1, sizeof(b1), 0), r2 = recv(s, b2, sizeof(b2), 0);
    CHECK(r1 == 3 && r2 == 4 && !memcmp(b2, "two!", 4), "SEQPACKET boundaries: %zd %zd", r1, r2);
    close(c);
    CHECK(recv(s, b1, sizeof(b1), 0) == 0, "SEQPACKET EOF after the peer closed");
    close(s);
    close(ls);

    /* Datagram socketpair: fds travel with a datagram. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp));
    check_passed_file("dgram socketpair", sp[1], sp[0]);
    close(sp[0]);
    close(sp[1]);
}

int main(int argc, char **argv) {
    check_init("net");
    watchdog(100);
    SUBTEST(argc, argv, "tcp", test_tcp());
    SUBTEST(argc, argv, "tcpopts", test_tcpopts());
    SUBTEST(argc, argv, "udp", test_udp());
    SUBTEST(argc, argv, "unix", test_unix());
    return check_done();
}
