/* The native end of the busybox network tests (built for the host, run
 * outside sabot). It sends a file and receives into another at the same
 * time, and closes only after the other side's EOF, so a peer that exits
 * on EOF (busybox nc) always gets everything first.
 *   peer freeport                         print a free 127.0.0.1 TCP port
 *   peer serve PORTFILE SEND RECV         listen on a free port (written to
 *                                         PORTFILE), serve one connection
 *   peer connect PORT SEND RECV           connect (retrying up to 20 s) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in lo(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int listener(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo(0);
    socklen_t l = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0 ||
        getsockname(s, (struct sockaddr *)&a, &l) < 0)
        die("listen");
    *port = ntohs(a.sin_port);
    return s;
}

/* Send all of `in`, read into `out` until EOF, then close. */
static void exchange(int s, int in, int out) {
    char buf[16384];
    size_t have = 0, off = 0;
    int in_eof = 0, sock_eof = 0;
    long sent = 0, got = 0;
    while (!sock_eof || !in_eof || off < have) {
        if (off == have && !in_eof) {
            ssize_t r = read(in, buf, sizeof(buf));
            if (r < 0)
                die("read input");
            if (r == 0)
                in_eof = 1;
            have = (size_t)r;
            off = 0;
        }
        struct pollfd p = {s, (short)((off < have ? POLLOUT : 0) | (sock_eof ? 0 : POLLIN)), 0};
        if (!p.events)
            break;
        if (poll(&p, 1, 30000) <= 0) {
            fprintf(stderr, "peer: stuck (sent %ld, got %ld)\n", sent, got);
            exit(1);
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char rb[16384];
            ssize_t r = recv(s, rb, sizeof(rb), MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN))
                sock_eof = 1;
            else if (r > 0 && write(out, rb, (size_t)r) != r)
                die("write output");
            got += r > 0 ? r : 0;
        }
        if (off < have && (p.revents & POLLOUT)) {
            ssize_t w = send(s, buf + off, have - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w < 0 && errno != EAGAIN)
                die("send");
            off += w > 0 ? (size_t)w : 0;
            sent += w > 0 ? w : 0;
        }
    }
    close(s);
    fprintf(stderr, "peer: sent %ld, received %ld bytes\n", sent, got);
}

static int open_or_die(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0)
        die(path);
    return fd;
}

int main(int argc, char **argv) {
    alarm(60);
    if (argc == 2 && !strcmp(argv[1], "freeport")) {
        int port;
        close(listener(&port));
        printf("%d\n", port);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "serve")) {
        int port, l = listener(&port);
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, argv[2]) < 0)
            die("port file");
        int s = accept(l, NULL, NULL);
        if (s < 0)
            die("accept");
        exchange(s, open_or_die(argv[3], O_RDONLY),
                 open_or_die(argv[4], O_WRONLY | O_CREAT | O_TRUNC));
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "connect")) {
        struct sockaddr_in a = lo(atoi(argv[2]));
        for (int i = 0;; i++) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
                exchange(s, open_or_die(argv[3], O_RDONLY),
                         open_or_die(argv[4], O_WRONLY | O_CREAT | O_TRUNC));
                return 0;
            }
            close(s);
            if (i == 200)
                die("connect");
            usleep(100000);
        }
    }
    fprintf(stderr, "usage: peer freeport | serve PORTFILE SEND RECV | connect PORT SEND RECV\n");
    return 2;
}
