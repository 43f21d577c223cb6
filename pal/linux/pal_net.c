/* Linux PAL pipes and sockets on host fds.
 *
 * Every host pipe/socket is non-blocking and close-on-exec: the PAL never
 * sleeps in a socket call, the libos waits with pal_wait_handles so that
 * signals can interrupt it. Sends use MSG_NOSIGNAL (and host SIGPIPE is
 * ignored at boot), so a broken pipe is PAL_ERR_PIPE, never a host signal.
 * PAL-neutral values (families, types, options, message flags) become
 * host values here and nowhere else. */
#include "pal_net.h"

#define HOST_AF_UNSPEC 0
#define HOST_AF_UNIX 1
#define HOST_AF_INET 2
#define HOST_AF_INET6 10
#define HOST_SOCK_STREAM 1
#define HOST_SOCK_DGRAM 2
#define HOST_SOCK_SEQPACKET 5
#define HOST_SOCK_NONBLOCK 04000
#define HOST_SOCK_CLOEXEC 02000000

#define HOST_SOL_IP 0
#define HOST_SOL_SOCKET 1
#define HOST_SOL_TCP 6
#define HOST_SOL_IPV6 41
#define HOST_SO_REUSEADDR 2
#define HOST_SO_TYPE 3
#define HOST_SO_ERROR 4
#define HOST_SO_BROADCAST 6
#define HOST_SO_SNDBUF 7
#define HOST_SO_RCVBUF 8
#define HOST_SO_KEEPALIVE 9
#define HOST_SO_OOBINLINE 10
#define HOST_SO_LINGER 13
#define HOST_SO_REUSEPORT 15
#define HOST_SO_RCVLOWAT 18
#define HOST_TCP_NODELAY 1
#define HOST_TCP_MAXSEG 2
#define HOST_TCP_CORK 3
#define HOST_TCP_KEEPIDLE 4
#define HOST_TCP_KEEPINTVL 5
#define HOST_TCP_KEEPCNT 6
#define HOST_TCP_QUICKACK 12
#define HOST_IP_TOS 1
#define HOST_IP_TTL 2
#define HOST_IPV6_V6ONLY 26

#define HOST_MSG_OOB 0x1
#define HOST_MSG_PEEK 0x2
#define HOST_MSG_CTRUNC 0x8
#define HOST_MSG_TRUNC 0x20
#define HOST_MSG_DONTWAIT 0x40
#define HOST_MSG_EOR 0x80
#define HOST_MSG_NOSIGNAL 0x4000
#define HOST_MSG_MORE 0x8000
#define HOST_MSG_CMSG_CLOEXEC 0x40000000
#define HOST_SCM_RIGHTS 1
#define HOST_FIONREAD 0x541B
#define HOST_SHUT_RD 0
#define HOST_SHUT_WR 1
#define HOST_SHUT_RDWR 2

#define MAX_IO 0x7ffff000UL
#define MAX_IOV 1024
#define MAX_HANDLES 253 /* Linux's SCM_MAX_FD */

struct host_sockaddr_in {
    uint16_t family;
    uint16_t port; /* network order */
    uint8_t addr[4];
    uint8_t zero[8];
};
struct host_sockaddr_in6 {
    uint16_t family;
    uint16_t port;
    uint32_t flowinfo;
    uint8_t addr[16];
    uint32_t scope_id;
};
struct host_sockaddr_un {
    uint16_t family;
    char path[108];
};
union host_sockaddr {
    uint16_t family;
    struct host_sockaddr_in in;
    struct host_sockaddr_in6 in6;
    struct host_sockaddr_un un;
    char storage[128];
};
struct host_iovec {
    void *base;
    size_t len;
};
struct host_msghdr {
    void *name;
    int namelen;
    struct host_iovec *iov;
    size_t iovlen;
    void *control;
    size_t controllen;
    int flags;
};
struct host_cmsghdr {
    size_t len;
    int level;
    int type;
};
struct host_linger {
    int onoff;
    int linger;
};

#define CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define CMSG_SPACE(n) (sizeof(struct host_cmsghdr) + CMSG_ALIGN(n))
#define CMSG_LEN(n) (sizeof(struct host_cmsghdr) + (n))

static uint16_t bswap16(uint16_t v) {
    return (uint16_t)((v << 8) | (v >> 8));
}

/* Network errors pal_linux_err() does not know. */
static int net_err(long r) {
    switch (-r) {
    case EMSGSIZE:
        return -PAL_ERR_MSGSIZE;
    case ENETUNREACH:
    case ENETDOWN:
        return -PAL_ERR_NETUNREACH;
    case EHOSTUNREACH:
        return -PAL_ERR_HOSTUNREACH;
    case ECONNABORTED:
        return -PAL_ERR_CONNABORTED;
    case EISCONN:
        return -PAL_ERR_ISCONN;
    case EALREADY:
        return -PAL_ERR_ALREADY;
    case ENOTCONN:
    case EDESTADDRREQ:
        return -PAL_ERR_NOTCONN;
    case ENOBUFS:
        return -PAL_ERR_NOMEM;
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
    case EPROTOTYPE:
    case ESOCKTNOSUPPORT:
    case ENOPROTOOPT:
        return -PAL_ERR_NOTSUPPORTED;
    case ENOTSOCK:
        return -PAL_ERR_BADHANDLE;
    case EWOULDBLOCK: /* == EAGAIN */
        return -PAL_ERR_AGAIN;
    default:
        return pal_linux_err(r);
    }
}

static int host_type(uint32_t type) {
    switch (type) {
    case PAL_SOCK_STREAM:
        return HOST_SOCK_STREAM;
    case PAL_SOCK_DGRAM:
        return HOST_SOCK_DGRAM;
    case PAL_SOCK_SEQPACKET:
        return HOST_SOCK_SEQPACKET;
    default:
        return -1;
    }
}

static int host_family(uint32_t family) {
    switch (family) {
    case PAL_NET_INET:
        return HOST_AF_INET;
    case PAL_NET_INET6:
        return HOST_AF_INET6;
    case PAL_NET_UNIX:
        return HOST_AF_UNIX;
    default:
        return -1;
    }
}

/* PAL address -> host sockaddr; returns its length or -PAL_ERR_INVAL. */
static int to_host_addr(const struct pal_sockaddr *a, union host_sockaddr *h) {
    pal_memset(h, 0, sizeof(*h));
    switch (a->family) {
    case PAL_NET_UNSPEC:
        h->family = HOST_AF_UNSPEC;
        return sizeof(h->family);
    case PAL_NET_INET:
        h->in.family = HOST_AF_INET;
        h->in.port = bswap16(a->port);
        pal_memcpy(h->in.addr, a->addr, 4);
        return sizeof(h->in);
    case PAL_NET_INET6:
        h->in6.family = HOST_AF_INET6;
        h->in6.port = bswap16(a->port);
        h->in6.flowinfo = a->flowinfo;
        h->in6.scope_id = a->scope_id;
        pal_memcpy(h->in6.addr, a->addr, 16);
        return sizeof(h->in6);
    case PAL_NET_UNIX:
        if (a->path_len > sizeof(h->un.path))
            return -PAL_ERR_TOOLONG;
        h->un.family = HOST_AF_UNIX;
        pal_memcpy(h->un.path, a->path, a->path_len);
        return (int)(sizeof(h->family) + a->path_len);
    }
    return -PAL_ERR_INVAL;
}

static void from_host_addr(const union host_sockaddr *h, int len, struct pal_sockaddr *a) {
    pal_memset(a, 0, sizeof(*a));
    if (len < (int)sizeof(h->family))
        return;
    switch (h->family) {
    case HOST_AF_INET:
        a->family = PAL_NET_INET;
        a->port = bswap16(h->in.port);
        pal_memcpy(a->addr, h->in.addr, 4);
        break;
    case HOST_AF_INET6:
        a->family = PAL_NET_INET6;
        a->port = bswap16(h->in6.port);
        a->flowinfo = h->in6.flowinfo;
        a->scope_id = h->in6.scope_id;
        pal_memcpy(a->addr, h->in6.addr, 16);
        break;
    case HOST_AF_UNIX: {
        a->family = PAL_NET_UNIX;
        size_t n = (size_t)len - sizeof(h->family);
        if (n > sizeof(a->path))
            n = sizeof(a->path);
        /* A path name's length stops at its NUL; an abstract one has none. */
        if (n && h->un.path[0]) {
            size_t k = 0;
            while (k < n && h->un.path[k])
                k++;
            n = k;
        }
        pal_memcpy(a->path, h->un.path, n);
        a->path_len = (uint32_t)n;
        break;
    }
    default:
        a->family = PAL_NET_UNSPEC;
    }
}

/* Wraps a fresh host fd, in a fork-hot handle if hot; closes it on failure. */
static int wrap_as(bool hot, uint32_t kind, long fd, pal_handle_t **out) {
    struct pal_handle *h =
        hot ? pal_linux_handle_new_hot(kind, (int)fd) : pal_linux_handle_new(kind, (int)fd);
    if (!h) {
        host_syscall1(__NR_close, fd);
        return -PAL_ERR_NOMEM;
    }
    h->access = PAL_ACCESS_RDWR;
    h->options = PAL_OPTION_NONBLOCK;
    *out = h;
    return 0;
}

static int wrap(uint32_t kind, long fd, pal_handle_t **out) {
    return wrap_as(false, kind, fd, out);
}

static bool is_socket(pal_handle_t *h) {
    return h && h->kind == HANDLE_SOCKET && h->fd >= 0;
}

/* ---------------------------------------------------------------- pairs */

static int stream_pair(uint32_t type, bool hot, pal_handle_t **a, pal_handle_t **b) {
    int fds[2];
    long r;
    if (!a || !b)
        return -PAL_ERR_INVAL;
    uint32_t kind = HANDLE_SOCKET;
    if (type == PAL_SOCK_PIPE) {
        kind = HANDLE_PIPE;
        r = host_syscall2(__NR_pipe2, fds, O_NONBLOCK | O_CLOEXEC);
    } else {
        int t = host_type(type);
        if (t < 0)
            return -PAL_ERR_INVAL;
        r = host_syscall4(__NR_socketpair, HOST_AF_UNIX, t | HOST_SOCK_NONBLOCK | HOST_SOCK_CLOEXEC,
                          0, fds);
    }
    if (host_is_err(r))
        return net_err(r);
    int rc = wrap_as(hot, kind, fds[0], a);
    if (rc < 0) {
        host_syscall1(__NR_close, fds[1]);
        return rc;
    }
    rc = wrap_as(hot, kind, fds[1], b);
    if (rc < 0) {
        pal_stream_close(*a);
        return rc;
    }
    if (type == PAL_SOCK_PIPE) {
        (*a)->access = PAL_ACCESS_RDONLY;
        (*b)->access = PAL_ACCESS_WRONLY;
    }
    return 0;
}

int pal_stream_pair(uint32_t type, uint32_t options, pal_handle_t **a, pal_handle_t **b) {
    (void)options;
    return stream_pair(type, false, a, b);
}

int pal_linux_fork_link(pal_handle_t **mine, pal_handle_t **theirs) {
    return stream_pair(PAL_SOCK_PIPE, true, mine, theirs);
}

/* -------------------------------------------------------------- sockets */

int pal_socket_create(uint32_t family, uint32_t type, uint32_t options, pal_handle_t **out) {
    int f = host_family(family), t = host_type(type);
    if (f < 0 || t < 0 || !out)
        return -PAL_ERR_INVAL;
    long fd = host_syscall3(__NR_socket, f, t | HOST_SOCK_NONBLOCK | HOST_SOCK_CLOEXEC, 0);
    if (host_is_err(fd))
        return net_err(fd);
    return wrap(HANDLE_SOCKET, fd, out);
}

int pal_socket_bind(pal_handle_t *h, const struct pal_sockaddr *addr) {
    union host_sockaddr sa;
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!addr)
        return -PAL_ERR_INVAL;
    int len = to_host_addr(addr, &sa);
    if (len < 0)
        return len;
    long r = host_syscall3(__NR_bind, h->fd, &sa, len);
    return host_is_err(r) ? net_err(r) : 0;
}

int pal_socket_listen(pal_handle_t *h, int backlog) {
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    long r = host_syscall2(__NR_listen, h->fd, backlog);
    return host_is_err(r) ? net_err(r) : 0;
}

int pal_socket_connect(pal_handle_t *h, const struct pal_sockaddr *addr) {
    union host_sockaddr sa;
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!addr)
        return -PAL_ERR_INVAL;
    int len = to_host_addr(addr, &sa);
    if (len < 0)
        return len;
    long r;
    do {
        r = host_syscall3(__NR_connect, h->fd, &sa, len);
    } while (r == -EINTR);
    return host_is_err(r) ? net_err(r) : 0;
}

int pal_socket_name(pal_handle_t *h, bool peer, struct pal_sockaddr *addr) {
    union host_sockaddr sa;
    int len = sizeof(sa);
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!addr)
        return -PAL_ERR_INVAL;
    long r = host_syscall3(peer ? __NR_getpeername : __NR_getsockname, h->fd, &sa, &len);
    if (host_is_err(r))
        return net_err(r);
    from_host_addr(&sa, len, addr);
    return 0;
}

int pal_net_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client) {
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!client)
        return -PAL_ERR_INVAL;
    long fd;
    do {
        fd = host_syscall4(__NR_accept4, h->fd, 0, 0, HOST_SOCK_NONBLOCK | HOST_SOCK_CLOEXEC);
    } while (fd == -EINTR);
    if (host_is_err(fd))
        return net_err(fd);
    return wrap(HANDLE_SOCKET, fd, client);
}

static int host_msg_flags(uint32_t f) {
    return ((f & PAL_MSG_PEEK) ? HOST_MSG_PEEK : 0) | ((f & PAL_MSG_OOB) ? HOST_MSG_OOB : 0) |
           ((f & PAL_MSG_TRUNC) ? HOST_MSG_TRUNC : 0) | ((f & PAL_MSG_MORE) ? HOST_MSG_MORE : 0);
}

int64_t pal_socket_send(pal_handle_t *h, struct pal_msg *msg) {
    union host_sockaddr sa;
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!msg || msg->iov_count > MAX_IOV || msg->handle_count > MAX_HANDLES)
        return -PAL_ERR_INVAL;
    struct host_msghdr mh = {0};
    if (msg->addr) {
        int len = to_host_addr(msg->addr, &sa);
        if (len < 0)
            return len;
        mh.name = &sa;
        mh.namelen = len;
    }
    /* struct pal_iovec has the host's layout: pass it as is. */
    mh.iov = (struct host_iovec *)msg->iov;
    mh.iovlen = msg->iov_count;
    char cbuf[CMSG_SPACE(MAX_HANDLES * sizeof(int))];
    if (msg->handle_count) {
        struct host_cmsghdr *c = (void *)cbuf;
        c->len = CMSG_LEN(msg->handle_count * sizeof(int));
        c->level = HOST_SOL_SOCKET;
        c->type = HOST_SCM_RIGHTS;
        int *fds = (int *)(c + 1);
        for (size_t i = 0; i < msg->handle_count; i++) {
            if (!msg->handles[i] || msg->handles[i]->fd < 0)
                return -PAL_ERR_BADHANDLE;
            fds[i] = msg->handles[i]->fd;
        }
        mh.control = cbuf;
        mh.controllen = CMSG_SPACE(msg->handle_count * sizeof(int));
    }
    long r;
    do {
        r = host_syscall3(__NR_sendmsg, h->fd, &mh,
                          host_msg_flags(msg->flags) | HOST_MSG_NOSIGNAL | HOST_MSG_DONTWAIT);
    } while (r == -EINTR);
    return host_is_err(r) ? net_err(r) : r;
}

/* A handle for a host fd received over a socket. It may be blocking (the
 * sender may be outside the PAL): pipes and sockets are made non-blocking. */
static int wrap_received(int fd, pal_handle_t **out) {
    struct stat st;
    uint32_t kind = HANDLE_FILE;
    if (!host_is_err(host_syscall2(__NR_fstat, fd, &st))) {
        uint32_t fmt = st.st_mode & 0170000;
        if (fmt == 0140000)
            kind = HANDLE_SOCKET;
        else if (fmt == 0010000)
            kind = HANDLE_PIPE;
        else if (fmt == 0040000)
            kind = HANDLE_DIR;
    }
    if (kind == HANDLE_SOCKET || kind == HANDLE_PIPE) {
        long fl = host_syscall2(__NR_fcntl, fd, F_GETFL);
        if (!host_is_err(fl) && !(fl & O_NONBLOCK))
            host_syscall3(__NR_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
    }
    int rc = wrap(kind, fd, out);
    if (rc == 0 && kind != HANDLE_SOCKET && kind != HANDLE_PIPE)
        (*out)->options = 0;
    return rc;
}

int64_t pal_socket_recv(pal_handle_t *h, struct pal_msg *msg) {
    union host_sockaddr sa;
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (!msg || msg->iov_count > MAX_IOV)
        return -PAL_ERR_INVAL;
    size_t want = msg->handle_count < MAX_HANDLES ? msg->handle_count : MAX_HANDLES;
    struct host_msghdr mh = {0};
    if (msg->addr) {
        pal_memset(&sa, 0, sizeof(sa));
        mh.name = &sa;
        mh.namelen = sizeof(sa);
    }
    mh.iov = (struct host_iovec *)msg->iov;
    mh.iovlen = msg->iov_count;
    char cbuf[CMSG_SPACE(MAX_HANDLES * sizeof(int))];
    if (want) {
        mh.control = cbuf;
        mh.controllen = CMSG_SPACE(want * sizeof(int));
    }
    long r;
    do {
        r = host_syscall3(__NR_recvmsg, h->fd, &mh,
                          host_msg_flags(msg->flags) | HOST_MSG_DONTWAIT | HOST_MSG_CMSG_CLOEXEC);
    } while (r == -EINTR);
    if (host_is_err(r))
        return net_err(r);
    if (msg->addr)
        from_host_addr(&sa, mh.namelen, msg->addr);
    msg->flags = ((mh.flags & HOST_MSG_TRUNC) ? PAL_MSG_TRUNC : 0) |
                 ((mh.flags & HOST_MSG_CTRUNC) ? PAL_MSG_CTRUNC : 0) |
                 ((mh.flags & HOST_MSG_EOR) ? PAL_MSG_EOR : 0);
    size_t got = 0;
    for (char *p = cbuf; want && p + sizeof(struct host_cmsghdr) <= cbuf + mh.controllen;) {
        struct host_cmsghdr *c = (void *)p;
        if (c->len < sizeof(*c) || p + c->len > cbuf + mh.controllen)
            break;
        if (c->level == HOST_SOL_SOCKET && c->type == HOST_SCM_RIGHTS) {
            int *fds = (int *)(c + 1);
            size_t n = (c->len - sizeof(*c)) / sizeof(int);
            for (size_t i = 0; i < n; i++) {
                if (got < want && wrap_received(fds[i], &msg->handles[got]) == 0)
                    got++;
                else
                    msg->flags |= PAL_MSG_CTRUNC; /* wrap_received closed it on failure */
            }
        }
        p += CMSG_ALIGN(c->len);
    }
    msg->handle_count = got;
    return r;
}

/* ------------------------------------------------------------- options */

enum { OPT_BOOL, OPT_INT, OPT_LINGER, OPT_ERROR, OPT_TYPE };
static const struct {
    int level, name, how;
} g_opts[PAL_SO__COUNT] = {
    [PAL_SO_ERROR] = {HOST_SOL_SOCKET, HOST_SO_ERROR, OPT_ERROR},
    [PAL_SO_REUSEADDR] = {HOST_SOL_SOCKET, HOST_SO_REUSEADDR, OPT_BOOL},
    [PAL_SO_REUSEPORT] = {HOST_SOL_SOCKET, HOST_SO_REUSEPORT, OPT_BOOL},
    [PAL_SO_KEEPALIVE] = {HOST_SOL_SOCKET, HOST_SO_KEEPALIVE, OPT_BOOL},
    [PAL_SO_RCVBUF] = {HOST_SOL_SOCKET, HOST_SO_RCVBUF, OPT_INT},
    [PAL_SO_SNDBUF] = {HOST_SOL_SOCKET, HOST_SO_SNDBUF, OPT_INT},
    [PAL_SO_LINGER] = {HOST_SOL_SOCKET, HOST_SO_LINGER, OPT_LINGER},
    [PAL_SO_BROADCAST] = {HOST_SOL_SOCKET, HOST_SO_BROADCAST, OPT_BOOL},
    [PAL_SO_OOBINLINE] = {HOST_SOL_SOCKET, HOST_SO_OOBINLINE, OPT_BOOL},
    [PAL_SO_RCVLOWAT] = {HOST_SOL_SOCKET, HOST_SO_RCVLOWAT, OPT_INT},
    [PAL_TCP_NODELAY] = {HOST_SOL_TCP, HOST_TCP_NODELAY, OPT_BOOL},
    [PAL_TCP_CORK] = {HOST_SOL_TCP, HOST_TCP_CORK, OPT_BOOL},
    [PAL_TCP_KEEPIDLE] = {HOST_SOL_TCP, HOST_TCP_KEEPIDLE, OPT_INT},
    [PAL_TCP_KEEPINTVL] = {HOST_SOL_TCP, HOST_TCP_KEEPINTVL, OPT_INT},
    [PAL_TCP_KEEPCNT] = {HOST_SOL_TCP, HOST_TCP_KEEPCNT, OPT_INT},
    [PAL_TCP_QUICKACK] = {HOST_SOL_TCP, HOST_TCP_QUICKACK, OPT_BOOL},
    [PAL_TCP_MAXSEG] = {HOST_SOL_TCP, HOST_TCP_MAXSEG, OPT_INT},
    [PAL_IPV6_V6ONLY] = {HOST_SOL_IPV6, HOST_IPV6_V6ONLY, OPT_BOOL},
    [PAL_IP_TTL] = {HOST_SOL_IP, HOST_IP_TTL, OPT_INT},
    [PAL_IP_TOS] = {HOST_SOL_IP, HOST_IP_TOS, OPT_INT},
    [PAL_SO_TYPE] = {HOST_SOL_SOCKET, HOST_SO_TYPE, OPT_TYPE},
};

int pal_socket_option(pal_handle_t *h, uint32_t opt, bool set, uint64_t *val) {
    if (!is_socket(h))
        return -PAL_ERR_BADHANDLE;
    if (opt == 0 || opt >= PAL_SO__COUNT || !val || !g_opts[opt].name)
        return -PAL_ERR_INVAL;
    int how = g_opts[opt].how;
    if (set && (how == OPT_ERROR || how == OPT_TYPE))
        return -PAL_ERR_INVAL;
    union {
        int i;
        struct host_linger l;
    } v = {0};
    int len = how == OPT_LINGER ? (int)sizeof(v.l) : (int)sizeof(int);
    long r;
    if (set) {
        if (how == OPT_LINGER) {
            v.l.onoff = *val != UINT64_MAX;
            v.l.linger = v.l.onoff ? (int)(*val > 0x7fffffff ? 0x7fffffff : *val) : 0;
        } else {
            v.i = how == OPT_BOOL ? (*val != 0) : (int)(*val > 0x7fffffff ? 0x7fffffff : *val);
        }
        r = host_syscall5(__NR_setsockopt, h->fd, g_opts[opt].level, g_opts[opt].name, &v, len);
        return host_is_err(r) ? net_err(r) : 0;
    }
    r = host_syscall5(__NR_getsockopt, h->fd, g_opts[opt].level, g_opts[opt].name, &v, &len);
    if (host_is_err(r))
        return net_err(r);
    switch (how) {
    case OPT_LINGER:
        *val = v.l.onoff ? (uint64_t)v.l.linger : UINT64_MAX;
        break;
    case OPT_ERROR:
        *val = v.i ? (uint64_t)-net_err(-v.i) : 0;
        break;
    case OPT_TYPE:
        *val = v.i == HOST_SOCK_STREAM      ? PAL_SOCK_STREAM
               : v.i == HOST_SOCK_DGRAM     ? PAL_SOCK_DGRAM
               : v.i == HOST_SOCK_SEQPACKET ? PAL_SOCK_SEQPACKET
                                            : 0;
        break;
    default:
        *val = (uint64_t)(int64_t)v.i;
    }
    return 0;
}

/* ------------------------------------------- generic stream operations */

int64_t pal_net_read(pal_handle_t *h, void *buf, size_t size) {
    if (size > MAX_IO)
        size = MAX_IO;
    long r;
    do {
        r = host_syscall3(__NR_read, h->fd, buf, size);
    } while (r == -EINTR);
    return host_is_err(r) ? net_err(r) : r;
}

int64_t pal_net_write(pal_handle_t *h, const void *buf, size_t size) {
    if (size > MAX_IO)
        size = MAX_IO;
    long r;
    do {
        if (h->kind == HANDLE_SOCKET)
            r = host_syscall6(__NR_sendto, h->fd, buf, size, HOST_MSG_NOSIGNAL, 0, 0);
        else
            r = host_syscall3(__NR_write, h->fd, buf, size);
    } while (r == -EINTR);
    return host_is_err(r) ? net_err(r) : r;
}

int pal_net_shutdown(pal_handle_t *h, uint32_t how) {
    if (h->kind != HANDLE_SOCKET)
        return -PAL_ERR_NOTSUPPORTED;
    int hh = how == PAL_SHUT_RD     ? HOST_SHUT_RD
             : how == PAL_SHUT_WR   ? HOST_SHUT_WR
             : how == PAL_SHUT_RDWR ? HOST_SHUT_RDWR
                                    : -1;
    if (hh < 0)
        return -PAL_ERR_INVAL;
    long r = host_syscall2(__NR_shutdown, h->fd, hh);
    return host_is_err(r) ? net_err(r) : 0;
}

int pal_net_attr(pal_handle_t *h, struct pal_stream_attr *attr) {
    struct stat st;
    long r = host_syscall2(__NR_fstat, h->fd, &st);
    if (host_is_err(r))
        return net_err(r);
    pal_memset(attr, 0, sizeof(*attr));
    attr->type = h->kind == HANDLE_SOCKET ? PAL_TYPE_SOCKET : PAL_TYPE_FIFO;
    attr->mode = st.st_mode & 07777;
    attr->inode = st.st_ino;
    attr->dev = st.st_dev;
    attr->nlink = st.st_nlink;
    attr->uid = st.st_uid;
    attr->gid = st.st_gid;
    attr->blksize = st.st_blksize;
    attr->atime_ns = (int64_t)st.st_atime * 1000000000 + (int64_t)st.st_atime_nsec;
    attr->mtime_ns = (int64_t)st.st_mtime * 1000000000 + (int64_t)st.st_mtime_nsec;
    attr->ctime_ns = (int64_t)st.st_ctime * 1000000000 + (int64_t)st.st_ctime_nsec;
    int n = 0;
    if (!host_is_err(host_syscall3(__NR_ioctl, h->fd, HOST_FIONREAD, &n)) && n > 0)
        attr->size = (uint64_t)n;
    attr->nonblocking = true;
    return 0;
}

/* One byte carries each handle, so a stream stays in step. */
int pal_net_send_handle(pal_handle_t *h, pal_handle_t *cargo) {
    char byte = 'H';
    struct pal_iovec iov = {&byte, 1};
    struct pal_msg m = {.iov = &iov, .iov_count = 1, .handles = &cargo, .handle_count = 1};
    int64_t r = pal_socket_send(h, &m);
    return r < 0 ? (int)r : 0;
}

int pal_net_recv_handle(pal_handle_t *h, pal_handle_t **cargo) {
    char byte;
    struct pal_iovec iov = {&byte, 1};
    struct pal_msg m = {.iov = &iov, .iov_count = 1, .handles = cargo, .handle_count = 1};
    int64_t r = pal_socket_recv(h, &m);
    if (r < 0)
        return (int)r;
    if (r == 0 || m.handle_count != 1)
        return r == 0 ? -PAL_ERR_PIPE : -PAL_ERR_INVAL;
    return 0;
}

/* ----------------------------------------------------------------- URIs */

static int parse_uint(const char **s, uint32_t max, uint32_t *out, int base) {
    uint32_t v = 0;
    int n = 0;
    for (;; n++) {
        char c = **s;
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
        if (d < 0)
            break;
        v = v * base + d;
        if (v > max || n > 8)
            return -1;
        (*s)++;
    }
    *out = v;
    return n ? 0 : -1;
}

static int parse_ipv4(const char **s, uint8_t out[4]) {
    for (int i = 0; i < 4; i++) {
        uint32_t v;
        if (i && *(*s)++ != '.')
            return -1;
        if (parse_uint(s, 255, &v, 10) < 0)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* "a:b::c" up to ']' (not consumed); no embedded IPv4. */
static int parse_ipv6(const char **s, uint8_t out[16]) {
    uint16_t w[8] = {0};
    int n = 0, gap = -1;
    if ((*s)[0] == ':' && (*s)[1] == ':') {
        gap = 0;
        *s += 2;
    }
    while (**s && **s != ']' && n < 8) {
        uint32_t v;
        if (parse_uint(s, 0xffff, &v, 16) < 0)
            return -1;
        w[n++] = (uint16_t)v;
        if (**s == ':') {
            (*s)++;
            if (**s == ':') {
                if (gap >= 0)
                    return -1;
                gap = n;
                (*s)++;
            }
        }
    }
    if (gap < 0 && n != 8)
        return -1;
    uint16_t full[8] = {0};
    int tail = gap < 0 ? 0 : n - gap;
    for (int i = 0; i < (gap < 0 ? n : gap); i++)
        full[i] = w[i];
    for (int i = 0; i < tail; i++)
        full[8 - tail + i] = w[gap + i];
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(full[i] >> 8);
        out[2 * i + 1] = (uint8_t)full[i];
    }
    return 0;
}

/* "1.2.3.4:80" or "[::1]:80". */
static int parse_inet(const char *s, struct pal_sockaddr *a) {
    pal_memset(a, 0, sizeof(*a));
    if (*s == '[') {
        s++;
        a->family = PAL_NET_INET6;
        if (parse_ipv6(&s, a->addr) < 0 || *s++ != ']')
            return -PAL_ERR_INVAL;
    } else {
        a->family = PAL_NET_INET;
        if (parse_ipv4(&s, a->addr) < 0)
            return -PAL_ERR_INVAL;
    }
    uint32_t port;
    if (*s++ != ':' || parse_uint(&s, 65535, &port, 10) < 0 || *s)
        return -PAL_ERR_INVAL;
    a->port = (uint16_t)port;
    return 0;
}

int pal_net_open(const char *scheme, const char *rest, uint32_t options, pal_handle_t **out) {
    struct pal_sockaddr a;
    uint32_t type = PAL_SOCK_STREAM;
    bool srv = false;
    size_t n = pal_strlen(scheme);
    if (n > 4 && pal_strncmp(scheme + n - 4, ".srv", 4) == 0)
        srv = true;
    if (pal_strncmp(scheme, "unix", 4) == 0) {
        pal_memset(&a, 0, sizeof(a));
        a.family = PAL_NET_UNIX;
        size_t len = pal_strlen(rest);
        if (len == 0 || len >= sizeof(a.path))
            return -PAL_ERR_INVAL;
        pal_memcpy(a.path, rest, len);
        if (rest[0] == '@')
            a.path[0] = '\0';
        a.path_len = (uint32_t)len;
    } else {
        if (pal_strncmp(scheme, "udp", 3) == 0)
            type = PAL_SOCK_DGRAM;
        else if (pal_strncmp(scheme, "tcp", 3) != 0)
            return -PAL_ERR_NOTSUPPORTED;
        int rc = parse_inet(rest, &a);
        if (rc < 0)
            return rc;
    }
    pal_handle_t *h;
    int rc = pal_socket_create(a.family, type, options, &h);
    if (rc < 0)
        return rc;
    if (srv) {
        uint64_t one = 1;
        if (a.family != PAL_NET_UNIX)
            pal_socket_option(h, PAL_SO_REUSEADDR, true, &one);
        rc = pal_socket_bind(h, &a);
        if (rc == 0 && type != PAL_SOCK_DGRAM)
            rc = pal_socket_listen(h, 128);
    } else {
        rc = pal_socket_connect(h, &a);
        if (rc == -PAL_ERR_INPROGRESS || rc == -PAL_ERR_AGAIN)
            rc = 0;
    }
    if (rc < 0) {
        pal_stream_close(h);
        return rc;
    }
    *out = h;
    return 0;
}
