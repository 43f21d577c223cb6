/* Pipes and sockets, checked against Linux: pipes, socketpairs, TCP and
 * UDP over IPv4/IPv6 loopback, AF_UNIX path/abstract names, fd passing,
 * credentials, options, SIGPIPE. With "--policy" (under sabot, with the
 * manifest tests/net/run_net.sh writes) it also checks that addresses the
 * manifest does not grant are refused.
 * usage: net_basic WORKDIR [--policy] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failures;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL %s:%d: %s (errno %d %s)\n", __FILE__, __LINE__, #c, errno,                \
                   strerror(errno));                                                               \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)
#define CHECK_ERR(expr, e)                                                                         \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(expr);                                                                    \
        if (r_ != -1 || errno != (e)) {                                                            \
            printf("FAIL %s:%d: %s = %ld errno %d (%s), want %s\n", __FILE__, __LINE__, #expr, r_, \
                   errno, strerror(errno), #e);                                                    \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

static volatile int g_sigpipes;
static void on_sigpipe(int sig) {
    g_sigpipes++;
}

static void test_pipe(void) {
    int p[2];
    char buf[64];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "hello", 5) == 5);
    int n = -1;
    CHECK(ioctl(p[0], FIONREAD, &n) == 0 && n == 5);
    CHECK(read(p[0], buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
    struct stat st;
    CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_ERR(write(p[0], "x", 1), EBADF);
    close(p[1]);
    CHECK(read(p[0], buf, sizeof(buf)) == 0); /* EOF */
    close(p[0]);

    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC);
    CHECK((fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
    CHECK_ERR(read(p[0], buf, 1), EAGAIN);
    /* Fill it: a non-blocking write then says EAGAIN. */
    static char big[1 << 16];
    long total = 0, r;
    while ((r = write(p[1], big, sizeof(big))) > 0)
        total += r;
    CHECK(r == -1 && errno == EAGAIN && total >= 4096);
    CHECK_ERR(pipe2(p, 0x1234), EINVAL);
    /* readv blocks at most once (musl's stdio reads this way). */
    int q[2];
    CHECK(pipe(q) == 0);
    CHECK(write(q[1], "abc", 3) == 3);
    char a[3], b[16];
    struct iovec iov[2] = {{a, 3}, {b, sizeof(b)}};
    CHECK(readv(q[0], iov, 2) == 3);
    close(q[0]);
    close(q[1]);
    close(p[0]);

    /* SIGPIPE and EPIPE on a pipe with no reader. */
    signal(SIGPIPE, on_sigpipe);
    CHECK(pipe(q) == 0);
    close(q[0]);
    g_sigpipes = 0;
    CHECK_ERR(write(q[1], "x", 1), EPIPE);
    CHECK(g_sigpipes == 1);
    close(q[1]);
    close(p[1]);
    printf("pipe ok\n");
}

static void test_socketpair(void) {
    int sv[2];
    char buf[64];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "ping", 4) == 4);
    CHECK(recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 4);
    CHECK(recv(sv[1], buf, 2, 0) == 2 && !memcmp(buf, "pi", 2));
    CHECK(recv(sv[1], buf, sizeof(buf), 0) == 2 && !memcmp(buf, "ng", 2));
    CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
    int type = 0, dom = 0;
    socklen_t len = sizeof(type);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    len = sizeof(dom);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_UNIX);
    struct ucred uc;
    len = sizeof(uc);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && uc.pid == getpid());
    /* SIGPIPE on a socket, and MSG_NOSIGNAL. */
    CHECK(shutdown(sv[1], SHUT_RD) == 0);
    close(sv[1]);
    g_sigpipes = 0;
    CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK(g_sigpipes == 0);
    CHECK_ERR(write(sv[0], "x", 1), EPIPE);
    CHECK(g_sigpipes == 1);
    close(sv[0]);

    /* Datagram and seqpacket pairs keep message boundaries. */
    int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int i = 0; i < 2; i++) {
        CHECK(socketpair(AF_UNIX, types[i] | SOCK_CLOEXEC, 0, sv) == 0);
        CHECK(send(sv[0], "one", 3, 0) == 3);
        CHECK(send(sv[0], "two!", 4, 0) == 4);
        CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3);
        struct msghdr mh = {0};
        struct iovec iov = {buf, 2};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        CHECK(recvmsg(sv[1], &mh, 0) == 2 && (mh.msg_flags & MSG_TRUNC));
        /* writev of two pieces is one message. */
        struct iovec w[2] = {{"ab", 2}, {"cd", 2}};
        CHECK(writev(sv[0], w, 2) == 4);
        CHECK(recv(sv[1], buf, sizeof(buf), 0) == 4 && !memcmp(buf, "abcd", 4));
        close(sv[0]);
        close(sv[1]);
    }
    CHECK_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    printf("socketpair ok\n");
}

static void echo_once(int c, int s) {
    char buf[256];
    CHECK(send(c, "hello tcp", 9, 0) == 9);
    CHECK(recv(s, buf, 9, MSG_WAITALL) == 9 && !memcmp(buf, "hello tcp", 9));
    CHECK(send(s, buf, 9, 0) == 9);
    CHECK(recv(c, buf, sizeof(buf), 0) == 9 && !memcmp(buf, "hello tcp", 9));
}

static void test_tcp(int family) {
    const char *what = family == AF_INET ? "tcp4" : "tcp6";
    int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(l >= 0);
    int one = 1;
    CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (void *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (void *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        len = sizeof(*in6);
        CHECK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0);
    }
    CHECK(bind(l, (void *)&ss, len) == 0);
    int v = 0;
    socklen_t vl = sizeof(v);
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 0);
    CHECK(listen(l, 16) == 0);
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v == 1);
    socklen_t blen = sizeof(ss);
    CHECK(getsockname(l, (void *)&ss, &blen) == 0 && blen == len);
    uint16_t port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                      : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    CHECK(port != 0);

    /* Blocking connect, accept4 with flags, echo. */
    int c = socket(family, SOCK_STREAM, 0);
    CHECK(connect(c, (void *)&ss, len) == 0);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    int s = accept4(l, (void *)&peer, &plen, SOCK_CLOEXEC);
    CHECK(s >= 0 && plen == len && peer.ss_family == family);
    CHECK(fcntl(s, F_GETFD) == FD_CLOEXEC);
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
    vl = sizeof(v);
    CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);
    echo_once(c, s);
    struct sockaddr_storage me;
    socklen_t mlen = sizeof(me);
    CHECK(getpeername(c, (void *)&me, &mlen) == 0 && mlen == len &&
          !memcmp(&me, &ss, len)); /* the client's peer is the listener's address */
    /* FIONREAD, shutdown and EOF. */
    CHECK(send(s, "xyz", 3, 0) == 3);
    usleep(10000);
    int n = -1;
    CHECK(ioctl(c, FIONREAD, &n) == 0 && n == 3);
    CHECK(shutdown(s, SHUT_WR) == 0);
    char buf[16];
    CHECK(recv(c, buf, sizeof(buf), MSG_WAITALL) == 3);
    CHECK(recv(c, buf, sizeof(buf), 0) == 0);
    struct linger lg = {1, 0};
    CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
    struct linger lg2;
    vl = sizeof(lg2);
    CHECK(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &vl) == 0 && lg2.l_onoff == 1);
    close(s);
    close(c);

    /* Non-blocking connect: EINPROGRESS (or at once), then SO_ERROR 0. */
    c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (void *)&ss, len);
    CHECK(r == 0 || errno == EINPROGRESS);
    usleep(20000);
    int err = -1;
    vl = sizeof(err);
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &vl) == 0 && err == 0);
    /* connect() again once it completed: 0 (hiredis's test that the
     * connection is up; redis-cli failed with EALREADY), then EISCONN. */
    if (r < 0)
        CHECK(connect(c, (void *)&ss, len) == 0);
    CHECK_ERR(connect(c, (void *)&ss, len), EISCONN);
    s = accept(l, NULL, NULL);
    CHECK(s >= 0);
    CHECK(send(c, "nb", 2, 0) == 2);
    CHECK(recv(s, buf, 2, MSG_WAITALL) == 2);
    CHECK_ERR(recv(c, buf, 1, 0), EAGAIN);
    CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0);
    CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
    /* SO_RCVTIMEO bounds a blocking receive. */
    struct timeval tv = {0, 100000};
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERR(recv(s, buf, 1, 0), EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 90 && ms < 2000);
    close(c);
    close(s);

    /* Refused connection to a closed port. */
    c = socket(family, SOCK_STREAM, 0);
    close(l);
    CHECK_ERR(connect(c, (void *)&ss, len), ECONNREFUSED);
    close(c);
    printf("%s ok\n", what);
}

static void test_udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(b, (void *)&in, sizeof(in)) == 0);
    socklen_t len = sizeof(in);
    CHECK(getsockname(b, (void *)&in, &len) == 0 && in.sin_port != 0);
    CHECK(sendto(a, "dgram", 5, 0, (void *)&in, sizeof(in)) == 5);
    char buf[32];
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    CHECK(recvfrom(b, buf, sizeof(buf), 0, (void *)&from, &flen) == 5 && flen == sizeof(from) &&
          from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    /* Reply to the sender's address; connect() then plain send. */
    CHECK(sendto(b, "back", 4, 0, (void *)&from, flen) == 4);
    CHECK(recv(a, buf, sizeof(buf), 0) == 4);
    CHECK(connect(a, (void *)&in, sizeof(in)) == 0);
    CHECK(send(a, "c", 1, 0) == 1);
    CHECK(recv(b, buf, sizeof(buf), 0) == 1);
    /* sendmmsg/recvmmsg. */
    struct mmsghdr mm[3];
    struct iovec iov[3];
    char bufs[3][8];
    memset(mm, 0, sizeof(mm));
    for (int i = 0; i < 3; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = 8;
        snprintf(bufs[i], 8, "m%d", i);
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    for (int i = 0; i < 3; i++)
        iov[i].iov_len = 3;
    CHECK(sendmmsg(a, mm, 3, 0) == 3);
    for (int i = 0; i < 3; i++) {
        iov[i].iov_len = 8;
        memset(bufs[i], 0, 8);
    }
    usleep(10000);
    CHECK(recvmmsg(b, mm, 3, MSG_WAITFORONE, NULL) == 3 && mm[2].msg_len == 3 &&
          !strcmp(bufs[2], "m2"));
    close(a);
    close(b);
    printf("udp ok\n");
}

static void send_fd(int sock, int fd, const char *data) {
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    CHECK(sendmsg(sock, &mh, 0) == (ssize_t)strlen(data));
}

static int recv_fd(int sock, char *data, size_t size) {
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {data, size};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    CHECK(n > 0);
    if (n > 0)
        data[n] = 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (!c || c->cmsg_type != SCM_RIGHTS) {
        printf("FAIL no SCM_RIGHTS\n");
        g_failures++;
        return -1;
    }
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

static void unix_stream(const char *path, bool abstract, const char *what) {
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    socklen_t len;
    if (abstract) {
        memcpy(un.sun_path + 1, path, strlen(path));
        len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
    } else {
        strcpy(un.sun_path, path);
        unlink(path);
        len = sizeof(un);
    }
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (void *)&un, len) == 0);
    CHECK_ERR(bind(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&un, len), EADDRINUSE);
    CHECK(listen(l, 4) == 0);
    struct sockaddr_un got;
    socklen_t glen = sizeof(got);
    CHECK(getsockname(l, (void *)&got, &glen) == 0);
    if (abstract)
        CHECK(glen == len && !memcmp(&got, &un, len));
    else
        CHECK(glen == offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1 &&
              !strcmp(got.sun_path, path));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (void *)&un, len) == 0);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0);
    glen = sizeof(got);
    CHECK(getpeername(c, (void *)&got, &glen) == 0 &&
          (abstract ? !memcmp(got.sun_path, un.sun_path, len - 2) : !strcmp(got.sun_path, path)));
    /* Pass a pipe's read end and a file opened from /tmp. */
    int p[2];
    CHECK(pipe(p) == 0);
    send_fd(c, p[0], "pipe");
    char data[16];
    int fd = recv_fd(s, data, sizeof(data) - 1);
    CHECK(fd >= 0 && fd != p[0] && !strcmp(data, "pipe"));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK(write(p[1], "via fd", 6) == 6);
    char buf[16] = {0};
    CHECK(read(fd, buf, sizeof(buf)) == 6 && !strcmp(buf, "via fd"));
    close(fd);
    close(p[0]);
    close(p[1]);
    int tf = open("/tmp/net_basic.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(tf >= 0 && write(tf, "0123456789", 10) == 10);
    send_fd(c, tf, "file");
    fd = recv_fd(s, data, sizeof(data) - 1);
    CHECK(fd >= 0);
    /* The same open file: the offset is shared. */
    CHECK(lseek(fd, 0, SEEK_CUR) == 10);
    CHECK(lseek(fd, 2, SEEK_SET) == 2 && lseek(tf, 0, SEEK_CUR) == 2);
    close(fd);
    close(tf);
    unlink("/tmp/net_basic.txt");
    /* SCM_CREDENTIALS with SO_PASSCRED. */
    int one = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0);
    CHECK(send(c, "cred", 4, 0) == 4);
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    CHECK(recvmsg(s, &mh, 0) == 4);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    CHECK(cm && cm->cmsg_type == SCM_CREDENTIALS);
    if (cm) {
        struct ucred uc;
        memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
        CHECK(uc.pid == getpid() && uc.uid == getuid());
    }
    close(c);
    close(s);
    close(l);
    if (!abstract) {
        struct stat st;
        CHECK(unlink(path) == 0 || errno == ENOENT);
        CHECK(stat(path, &st) == -1);
    }
    printf("unix %s ok\n", what);
}

static void test_unix(const char *work) {
    char path[256];
    snprintf(path, sizeof(path), "%s/sock", work);
    unix_stream(path, false, "host path");
    unix_stream("/tmp/sock", false, "tmp path");
    unix_stream("sabot-net-test", true, "abstract");
    /* Connecting to a name nobody bound. */
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, "/tmp/nobody-here");
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR(connect(c, (void *)&un, sizeof(un)), ENOENT);
    close(c);
    /* Datagrams between two named sockets. */
    struct sockaddr_un a = {.sun_family = AF_UNIX}, b = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "/tmp/dg-a");
    strcpy(b.sun_path, "/tmp/dg-b");
    int sa = socket(AF_UNIX, SOCK_DGRAM, 0), sb = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(sa, (void *)&a, sizeof(a)) == 0);
    CHECK(bind(sb, (void *)&b, sizeof(b)) == 0);
    CHECK(sendto(sa, "d1", 2, 0, (void *)&b, sizeof(b)) == 2);
    struct sockaddr_un from;
    socklen_t flen = sizeof(from);
    char buf[8];
    CHECK(recvfrom(sb, buf, sizeof(buf), 0, (void *)&from, &flen) == 2);
    CHECK(!strcmp(from.sun_path, "/tmp/dg-a"));
    close(sa);
    close(sb);
    unlink("/tmp/dg-a");
    unlink("/tmp/dg-b");
}

static void test_policy(void) {
    /* Not granted by the test manifest: 127.0.0.2 and port 1 anywhere. */
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "127.0.0.2", &in.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR(connect(s, (void *)&in, sizeof(in)), ECONNREFUSED);
    close(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_ERR(sendto(s, "x", 1, 0, (void *)&in, sizeof(in)), EACCES);
    inet_pton(AF_INET, "127.0.0.3", &in.sin_addr);
    in.sin_port = 0;
    CHECK_ERR(bind(s, (void *)&in, sizeof(in)), EACCES);
    close(s);
    printf("policy ok\n");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) {
        printf("usage: net_basic WORKDIR [--policy]\n");
        return 2;
    }
    test_pipe();
    test_socketpair();
    test_tcp(AF_INET);
    test_tcp(AF_INET6);
    test_udp();
    test_unix(argv[1]);
    if (argc > 2 && !strcmp(argv[2], "--policy"))
        test_policy();
    if (g_failures) {
        printf("net_basic: %d FAILED\n", g_failures);
        return 1;
    }
    printf("net_basic: ALL OK\n");
    return 0;
}
