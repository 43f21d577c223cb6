/* mini-httpd: a tiny static HTTP/1.1 server for bench/run's server rows.
 * Debian's redis and nginx are glibc programs; this one builds with musl-gcc
 * and with runtime/sabot-cc alike, so the sabot-cc column has a server row.
 * One thread, epoll, keep-alive; every GET of /NAME (NAME the file's base
 * name) answers the file (read once at start), anything else a 404.
 *
 * usage: httpd PORT FILE   (binds 127.0.0.1:PORT, runs until killed) */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FDS 65536
#define IN_SIZE 8192

struct conn {
    size_t in_len;   /* bytes of request data buffered */
    const char *out; /* pending answer (static), or NULL */
    size_t out_len, out_off;
    char in[IN_SIZE];
};

static struct conn *g_conns[MAX_FDS];
static char *g_ok, *g_path;
static size_t g_ok_len;
static const char g_404[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* load: the whole 200 answer (headers and body) in one buffer. */
static void load(const char *file) {
    int fd = open(file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        die(file);
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\nServer: mini-httpd\r\nContent-Type: text/html\r\n"
                      "Content-Length: %lld\r\n\r\n",
                      (long long)st.st_size);
    g_ok_len = hl + (size_t)st.st_size;
    g_ok = malloc(g_ok_len);
    if (!g_ok)
        die("malloc");
    memcpy(g_ok, head, hl);
    for (size_t got = 0; got < (size_t)st.st_size;) {
        ssize_t n = read(fd, g_ok + hl + got, st.st_size - got);
        if (n <= 0)
            die("read");
        got += n;
    }
    close(fd);
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    g_path = malloc(strlen(base) + 2);
    sprintf(g_path, "/%s", base);
}

static void drop(int ep, int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(g_conns[fd]);
    g_conns[fd] = NULL;
}

/* flush: writes what is pending; 1 when all of it went, 0 when the socket
 * is full, -1 on error. */
static int flush(struct conn *c, int fd) {
    while (c->out && c->out_off < c->out_len) {
        ssize_t n = write(fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        c->out_off += n;
    }
    c->out = NULL;
    return 1;
}

/* answer: the answer to the request at req (one line "GET /path HTTP/1.1"). */
static void answer(struct conn *c, const char *req) {
    size_t pl = strlen(g_path);
    int ok = !strncmp(req, "GET ", 4) && !strncmp(req + 4, g_path, pl) && req[4 + pl] == ' ';
    c->out = ok ? g_ok : g_404;
    c->out_len = ok ? g_ok_len : sizeof g_404 - 1;
    c->out_off = 0;
}

/* serve: reads requests and answers them one at a time (a client that
 * pipelines waits until the previous answer went out). -1: close. */
static int serve(int ep, int fd) {
    struct conn *c = g_conns[fd];
    for (;;) {
        int f = flush(c, fd);
        if (f < 0)
            return -1;
        if (f == 0) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            return 0;
        }
        c->in[c->in_len] = 0;
        char *end = strstr(c->in, "\r\n\r\n");
        if (end) {
            answer(c, c->in);
            size_t used = end + 4 - c->in;
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            continue;
        }
        if (c->in_len == IN_SIZE - 1)
            return -1; /* a header larger than the buffer */
        ssize_t n = read(fd, c->in + c->in_len, IN_SIZE - 1 - c->in_len);
        if (n == 0 || (n < 0 && errno != EAGAIN))
            return -1;
        if (n < 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            return 0;
        }
        c->in_len += n;
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT FILE\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    load(argv[2]);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    if (ls < 0)
        die("socket");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 512) < 0)
        die("bind/listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
        die("epoll");
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd != ls) {
                if (serve(ep, fd) < 0)
                    drop(ep, fd);
                continue;
            }
            int cs;
            while ((cs = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                if (cs >= MAX_FDS || !(g_conns[cs] = calloc(1, sizeof(struct conn)))) {
                    close(cs);
                    continue;
                }
                setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = cs};
                epoll_ctl(ep, EPOLL_CTL_ADD, cs, &cev);
            }
        }
    }
}
