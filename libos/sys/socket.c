/* Sockets: AF_UNIX, AF_INET and AF_INET6 over host sockets (PAL
 * pal_socket_* calls). Host sockets never block; blocking calls wait in
 * libos_thread_wait, so signals interrupt them and SO_RCVTIMEO/SO_SNDTIMEO
 * bound the wait.
 *
 * Policy: binding and connecting (and sendto) AF_INET/AF_INET6 addresses
 * need a grant in the manifest's [net] table (net.bind, net.connect); a
 * denial logs the key. AF_UNIX needs no grant, but its names are
 * confined:
 *  - a path on a read-write host mount is the host socket file at the
 *    mapped host path;
 *  - any other path (tmpfs, read-only mounts) and every abstract name
 *    becomes a host abstract name "\0sabot-<16 hex>/p<libos path>" or
 *    "\0sabot-<16 hex>/a<name>", where the hex is random per sandbox, so
 *    two sandboxes (or the host) never meet; too long a name is hashed
 *    ("/h<hex>"). getsockname/getpeername return the app's own names. */
#include "libos_checkpoint.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_net.h"
#include "libos_poll.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_NO_CHECK 11
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_TIMESTAMP 29
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_DEFER_ACCEPT 9
#define TCP_QUICKACK 12
#define TCP_USER_TIMEOUT 18
#define TCP_FASTOPEN 23
#define IP_TOS 1
#define IP_TTL 2
#define IP_RECVERR 11
#define IP_MTU_DISCOVER 10
#define IPV6_V6ONLY 26

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_CTRUNC 0x8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_MORE 0x8000
#define MSG_WAITFORONE 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define UIO_MAXIOV 1024
#define MAX_FDS 253
#define ESOCKTNOSUPPORT 94

struct sockaddr_in {
    uint16_t family, port;
    uint8_t addr[4];
    uint8_t zero[8];
};
struct sockaddr_in6 {
    uint16_t family, port;
    uint32_t flowinfo;
    uint8_t addr[16];
    uint32_t scope_id;
};
struct sockaddr_un {
    uint16_t family;
    char path[108];
};
union sockaddr_any {
    uint16_t family;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    struct sockaddr_un un;
    char raw[128];
};
struct cmsghdr {
    size_t len;
    int level, type;
};
struct ucred {
    uint32_t pid, uid, gid;
};
#define CMSG_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define CMSG_SPACE(n) (sizeof(struct cmsghdr) + CMSG_ALIGN(n))
#define CMSG_LEN(n) (sizeof(struct cmsghdr) + (n))

enum { ST_NEW, ST_LISTEN, ST_CONNECTING, ST_CONNECTED };

struct sock {
    int domain, type, protocol;
    int state;
    bool passcred;
    uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: wait forever */
    /* AF_UNIX names as the app gave them (sun_path bytes + length). */
    char name[108], peer[108];
    uint32_t name_len, peer_len;
    bool named, peer_named;
    bool connect_unseen; /* connect() said EINPROGRESS and has not told the outcome */
};

static uint16_t bswap16(uint16_t v) {
    return (uint16_t)((v << 8) | (v >> 8));
}

static struct sock *sock_of(struct libos_file *f) {
    return (struct sock *)f->priv;
}

/* ------------------------------------------------------ AF_UNIX names */

static char g_prefix[24]; /* "sabot-<16 hex>/", made once */
static struct libos_lock g_prefix_lock = LIBOS_LOCK_INIT;

static const char *sandbox_prefix(void) {
    libos_lock(&g_prefix_lock);
    if (!g_prefix[0]) {
        uint8_t r[8];
        if (pal_random(r, sizeof(r)) < 0)
            memset(r, 0x5a, sizeof(r));
        libos_snprintf(g_prefix, sizeof(g_prefix), "sabot-%02x%02x%02x%02x%02x%02x%02x%02x/", r[0],
                       r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    }
    libos_unlock(&g_prefix_lock);
    return g_prefix;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
    return h;
}

/* The host abstract name for a sandbox name: kind 'p' (a path) or 'a'. */
static void abstract_name(char kind, const char *name, size_t len, struct pal_sockaddr *out) {
    const char *pre = sandbox_prefix();
    size_t pl = strlen(pre);
    out->path[0] = '\0';
    memcpy(out->path + 1, pre, pl);
    if (1 + pl + 1 + len <= sizeof(out->path)) {
        out->path[1 + pl] = kind;
        memcpy(out->path + 2 + pl, name, len);
        out->path_len = (uint32_t)(2 + pl + len);
        return;
    }
    uint64_t h1 = fnv1a(0xcbf29ce484222325ULL ^ (uint8_t)kind, name, len);
    uint64_t h2 = fnv1a(h1 ^ 0x9e3779b97f4a7c15ULL, name, len);
    out->path_len =
        (uint32_t)(1 + pl) +
        (uint32_t)libos_snprintf(out->path + 1 + pl, sizeof(out->path) - 1 - pl, "h%016llx%016llx",
                                 (unsigned long long)h1, (unsigned long long)h2);
}

/* Host name for an app sockaddr_un (path or abstract). bind: the name
 * must not exist yet (a path). */
static long unix_host_name(const struct sockaddr_un *un, size_t len, bool bind,
                           struct pal_sockaddr *out) {
    memset(out, 0, sizeof(*out));
    out->family = PAL_NET_UNIX;
    size_t n = len - sizeof(un->family);
    if (n == 0)
        return -EINVAL;
    if (un->path[0] == '\0') {
        abstract_name('a', un->path + 1, n - 1, out);
        return 0;
    }
    char path[109];
    memcpy(path, un->path, n);
    path[n] = '\0';
    if (!path[0])
        return -ENOENT;
    struct libos_lookup lk;
    long r = libos_vfs_lookup(
        AT_FDCWD, path, bind ? LIBOS_LOOKUP_CREATE : LIBOS_LOOKUP_FOLLOW | LIBOS_LOOKUP_CREATE,
        &lk);
    if (r < 0)
        return r;
    struct libos_mount *m = lk.mount;
    /* A shared tmpfs is a host directory: real socket nodes, seen by all. */
    bool host = m->ops == &g_host_fs_ops || libos_mount_is_shared_tmpfs(m);
    if (bind && lk.exists)
        r = -EADDRINUSE;
    else if (!bind && lk.exists && !S_ISLNK(lk.st.st_mode) &&
             (lk.st.st_mode & S_IFMT) != S_IFSOCK && host)
        r = -ECONNREFUSED;
    else if (host && !m->readonly) {
        int k = lk.rel[0] ? libos_snprintf(out->path, sizeof(out->path), "%s/%s", m->source, lk.rel)
                          : -1;
        if (k < 0 || (size_t)k >= sizeof(out->path))
            r = -ENAMETOOLONG;
        else
            out->path_len = (uint32_t)k;
    } else {
        abstract_name('p', lk.path, strlen(lk.path), out);
    }
    libos_lookup_free(&lk);
    return r;
}

/* A bound path on a libos file system (tmpfs) gets a socket node there, as
 * on Linux: the app may stat, chmod and unlink it (python does). */
static void unix_name_node(const struct sockaddr_un *un, size_t len) {
    char path[109];
    size_t n = len - sizeof(un->family);
    memcpy(path, un->path, n);
    path[n] = '\0';
    libos_vfs_mknod(path, S_IFSOCK | (0777 & ~g_process.umask));
}

/* App name for a host name (for accept/recvfrom peers): our abstract
 * names map back; host paths are shown as they are. */
static size_t unix_app_name(const struct pal_sockaddr *a, char *out) {
    const char *pre = sandbox_prefix();
    size_t pl = strlen(pre);
    if (a->path_len == 0)
        return 0;
    if (a->path[0] == '\0' && a->path_len > 2 + pl && !memcmp(a->path + 1, pre, pl)) {
        char kind = a->path[1 + pl];
        size_t n = a->path_len - 2 - pl;
        if (kind == 'a') {
            out[0] = '\0';
            memcpy(out + 1, a->path + 2 + pl, n);
            return n + 1;
        }
        if (kind == 'p') {
            memcpy(out, a->path + 2 + pl, n);
            return n;
        }
        return 0; /* hashed: the name is not recoverable */
    }
    size_t n = libos_tmpfs_app_path(a->path, a->path_len, out, 108);
    if (n)
        return n; /* a socket node in a shared tmpfs */
    memcpy(out, a->path, a->path_len);
    return a->path_len;
}

/* ------------------------------------------------ address conversion */

static long addr_from_user(struct sock *s, const void *uaddr, int len, union sockaddr_any *sa) {
    if (len < 0 || (size_t)len > sizeof(*sa))
        return -EINVAL;
    if (!libos_user_range_ok(uaddr, (size_t)len, false))
        return -EFAULT;
    memset(sa, 0, sizeof(*sa));
    memcpy(sa, uaddr, (size_t)len);
    if ((size_t)len < sizeof(sa->family))
        return -EINVAL;
    return 0;
}

/* INET/INET6 sockaddr -> PAL address. */
static long inet_to_pal(struct sock *s, const union sockaddr_any *sa, int len,
                        struct pal_sockaddr *out) {
    memset(out, 0, sizeof(*out));
    if (sa->family == LINUX_AF_UNSPEC) {
        out->family = PAL_NET_UNSPEC;
        return 0;
    }
    if (sa->family == LINUX_AF_INET) {
        if (s->domain == LINUX_AF_INET6 || len < (int)sizeof(struct sockaddr_in))
            return s->domain == LINUX_AF_INET6 ? -EAFNOSUPPORT : -EINVAL;
        out->family = PAL_NET_INET;
        out->port = bswap16(sa->in.port);
        memcpy(out->addr, sa->in.addr, 4);
        return 0;
    }
    if (sa->family == LINUX_AF_INET6) {
        if (s->domain != LINUX_AF_INET6)
            return -EAFNOSUPPORT;
        if (len < 24) /* sin6_scope_id is optional (RFC 2133 size) */
            return -EINVAL;
        out->family = PAL_NET_INET6;
        out->port = bswap16(sa->in6.port);
        out->flowinfo = sa->in6.flowinfo;
        out->scope_id = len >= (int)sizeof(sa->in6) ? sa->in6.scope_id : 0;
        memcpy(out->addr, sa->in6.addr, 16);
        return 0;
    }
    return -EAFNOSUPPORT;
}

/* Copies an app sockaddr of length len to uaddr/ulen (truncating, and
 * reporting the full length, as Linux does). */
static long addr_to_user(const void *sa, int len, void *uaddr, int *ulen) {
    if (!uaddr)
        return 0;
    if (!libos_user_range_ok(ulen, sizeof(int), true))
        return -EFAULT;
    int cap = *ulen;
    if (cap < 0)
        return -EINVAL;
    int n = MIN(cap, len);
    if (n && !libos_user_range_ok(uaddr, (size_t)n, true))
        return -EFAULT;
    memcpy(uaddr, sa, (size_t)n);
    *ulen = len;
    return 0;
}

/* PAL address -> app sockaddr; returns its length. */
static int pal_to_app(struct sock *s, const struct pal_sockaddr *a, union sockaddr_any *sa) {
    memset(sa, 0, sizeof(*sa));
    switch (a->family) {
    case PAL_NET_INET:
        sa->in.family = LINUX_AF_INET;
        sa->in.port = bswap16(a->port);
        memcpy(sa->in.addr, a->addr, 4);
        return sizeof(sa->in);
    case PAL_NET_INET6:
        sa->in6.family = LINUX_AF_INET6;
        sa->in6.port = bswap16(a->port);
        sa->in6.flowinfo = a->flowinfo;
        sa->in6.scope_id = a->scope_id;
        memcpy(sa->in6.addr, a->addr, 16);
        return sizeof(sa->in6);
    case PAL_NET_UNIX: {
        sa->un.family = LINUX_AF_UNIX;
        size_t n = unix_app_name(a, sa->un.path);
        /* Path names are reported with their NUL, as Linux does. */
        return (int)(sizeof(sa->family) + n + (n && sa->un.path[0] && n < 108 ? 1 : 0));
    }
    }
    sa->family = s->domain;
    return sizeof(sa->family);
}

static void fmt_addr(const struct pal_sockaddr *a, char *buf, size_t size) {
    if (a->family == PAL_NET_INET) {
        libos_snprintf(buf, size, "%u.%u.%u.%u:%u", a->addr[0], a->addr[1], a->addr[2], a->addr[3],
                       a->port);
        return;
    }
    /* IPv6: groups in hex, the longest zero run as "::". */
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !a->addr[2 * j] && !a->addr[2 * j + 1])
            j++;
        if (j - i > bestlen && j - i > 1) {
            best = i;
            bestlen = j - i;
        }
        i = j == i ? i + 1 : j;
    }
    size_t o = 0;
    o += (size_t)libos_snprintf(buf + o, size - o, "[");
    for (int i = 0; i < 8 && o < size; i++) {
        if (i == best) {
            o += (size_t)libos_snprintf(buf + o, size - o, "::");
            i += bestlen - 1;
            continue;
        }
        bool sep = i > 0 && i != best + bestlen;
        o += (size_t)libos_snprintf(buf + o, size - o, "%s%x", sep ? ":" : "",
                                    (a->addr[2 * i] << 8) | a->addr[2 * i + 1]);
    }
    if (o < size)
        libos_snprintf(buf + o, size - o, "]:%u", a->port);
}

/* Manifest check for an INET address; -EACCES (or deny_err) if denied. */
static long net_allowed(bool bind, const struct pal_sockaddr *a, long deny_err, const char *what) {
    if (a->family != PAL_NET_INET && a->family != PAL_NET_INET6)
        return 0;
    const struct libos_manifest *m = g_manifest;
    int fam = a->family == PAL_NET_INET ? 4 : 6;
    bool ok =
        m &&
        (bind ? libos_net_rules_allow(m->net_bind, m->net_bind_count, fam, a->addr, a->port)
              : libos_net_rules_allow(m->net_connect, m->net_connect_count, fam, a->addr, a->port));
    if (ok)
        return 0;
    char buf[64];
    fmt_addr(a, buf, sizeof(buf));
    log_denied(bind ? "net.bind" : "net.connect", "%s %s", what, buf);
    return deny_err;
}

/* ----------------------------------------------------- in-flight fds */

/* SCM_RIGHTS inside one sandbox: the host carries a handle per file (the
 * file's own, or a token pipe for files with none), and this table maps
 * the handle's identity back to the very libos file, so the receiver
 * shares the sender's open file as on Linux. */
struct inflight {
    uint64_t dev, ino;
    struct libos_file *f;
    struct inflight *next;
};
static struct inflight *g_inflight;
static struct libos_lock g_inflight_lock = LIBOS_LOCK_INIT;

static bool handle_id(pal_handle_t *h, uint64_t *dev, uint64_t *ino) {
    struct pal_stream_attr a;
    if (pal_stream_attr_query_handle(h, &a) < 0 || (!a.dev && !a.inode))
        return false;
    *dev = a.dev;
    *ino = a.inode;
    return true;
}

static void inflight_add(uint64_t dev, uint64_t ino, struct libos_file *f) {
    struct inflight *e = libos_malloc(sizeof(*e));
    if (!e)
        return;
    libos_file_get(f);
    e->dev = dev;
    e->ino = ino;
    e->f = f;
    libos_lock(&g_inflight_lock);
    e->next = g_inflight;
    g_inflight = e;
    libos_unlock(&g_inflight_lock);
}

/* Takes the entry's reference. */
static struct libos_file *inflight_take(uint64_t dev, uint64_t ino) {
    libos_lock(&g_inflight_lock);
    struct inflight **pp = &g_inflight, *e;
    while ((e = *pp) && !(e->dev == dev && e->ino == ino))
        pp = &e->next;
    if (e)
        *pp = e->next;
    libos_unlock(&g_inflight_lock);
    if (!e)
        return NULL;
    struct libos_file *f = e->f;
    libos_free(e);
    return f;
}

/* A file for a handle received from outside the sandbox. */
struct libos_file *libos_file_from_handle(pal_handle_t *h) {
    struct pal_stream_attr a;
    struct libos_file *f = NULL;
    if (pal_stream_attr_query_handle(h, &a) < 0) {
        pal_stream_close(h);
        return NULL;
    }
    if (a.type == PAL_TYPE_SOCKET) {
        struct pal_sockaddr sa;
        uint64_t type = PAL_SOCK_STREAM;
        pal_socket_option(h, PAL_SO_TYPE, false, &type);
        int dom = pal_socket_name(h, false, &sa) < 0 ? LINUX_AF_UNIX
                  : sa.family == PAL_NET_INET        ? LINUX_AF_INET
                  : sa.family == PAL_NET_INET6       ? LINUX_AF_INET6
                                                     : LINUX_AF_UNIX;
        int t = type == PAL_SOCK_DGRAM       ? LINUX_SOCK_DGRAM
                : type == PAL_SOCK_SEQPACKET ? LINUX_SOCK_SEQPACKET
                                             : LINUX_SOCK_STREAM;
        if (libos_socket_file_new(h, dom, t, true, O_RDWR, &f) < 0)
            return NULL;
        return f;
    }
    if (a.type == PAL_TYPE_FIFO) {
        if (libos_pipe_file_new(h, O_RDWR, &f) < 0)
            return NULL;
        return f;
    }
    pal_stream_close(h); /* other kinds of host files are not offered to the app */
    return NULL;
}

/* ------------------------------------------------------------ waiting */

/* Wait for h; tmo: the socket's timeout (0 = forever), *left tracks it. */
static long sock_wait(pal_handle_t *h, uint32_t ev, uint64_t tmo, uint64_t *left) {
    if (!tmo)
        return libos_net_wait(h, ev, NULL);
    if (*left == 0)
        *left = tmo;
    long r = libos_net_wait(h, ev, left);
    if (r == 0 && *left == 0)
        *left = 1; /* keep "unset" distinct from "used up" */
    return r;
}

static bool nonblocking(struct libos_file *f, int flags) {
    return (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
}

/* ------------------------------------------------------- send / recv */

/* Copy of iovecs (an array the caller has checked) whose buffers are
 * checked here; total length in *total. */
static long iov_from_user(const struct linux_iovec *uiov, size_t n, bool write,
                          struct pal_iovec *out, size_t *total) {
    if (n > UIO_MAXIOV)
        return -EMSGSIZE;
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        if (uiov[i].iov_len > 0x7ffff000UL - *total)
            return -EINVAL;
        if (uiov[i].iov_len && !libos_user_range_ok(uiov[i].iov_base, uiov[i].iov_len, write))
            return -EFAULT;
        out[i].base = uiov[i].iov_base;
        out[i].len = uiov[i].iov_len;
        *total += uiov[i].iov_len;
    }
    return 0;
}

/* Handles for SCM_RIGHTS fds; registers them in flight. *tokens gets
 * temporary handles to close after the send. */
static long rights_to_handles(const int *fds, size_t n, pal_handle_t **hs, pal_handle_t **tokens) {
    for (size_t i = 0; i < n; i++) {
        tokens[i] = NULL;
        struct libos_file *f = libos_fd_get(fds[i]);
        if (!f) {
            for (size_t j = 0; j < i; j++)
                if (tokens[j])
                    pal_stream_close(tokens[j]);
            return -EBADF;
        }
        uint64_t dev, ino;
        pal_handle_t *h = f->handle;
        if (!h || !handle_id(h, &dev, &ino)) {
            pal_handle_t *w;
            int r = pal_stream_pair(PAL_SOCK_PIPE, PAL_OPTION_NONBLOCK, &tokens[i], &w);
            if (r < 0 || !handle_id(tokens[i], &dev, &ino)) {
                if (r == 0) {
                    pal_stream_close(w);
                    pal_stream_close(tokens[i]);
                }
                tokens[i] = NULL;
                libos_file_put(f);
                for (size_t j = 0; j < i; j++)
                    if (tokens[j])
                        pal_stream_close(tokens[j]);
                return r < 0 ? libos_errno_from_pal(r) : -ENOMEM;
            }
            pal_stream_close(w);
            h = tokens[i];
        }
        inflight_add(dev, ino, f);
        libos_file_put(f);
        hs[i] = h;
    }
    return 0;
}

/* Parses the app's control messages for sendmsg. */
static long parse_control(struct sock *s, const struct linux_msghdr *msg, int *fds, size_t *nfds) {
    *nfds = 0;
    if (!msg->msg_control || msg->msg_controllen == 0)
        return 0;
    if (!libos_user_range_ok(msg->msg_control, msg->msg_controllen, false))
        return -EFAULT;
    const char *p = msg->msg_control, *end = p + msg->msg_controllen;
    while (p + sizeof(struct cmsghdr) <= end) {
        const struct cmsghdr *c = (const void *)p;
        if (c->len < sizeof(*c) || c->len > (size_t)(end - p))
            return -EINVAL;
        size_t dlen = c->len - sizeof(*c);
        if (c->level == SOL_SOCKET && c->type == SCM_RIGHTS) {
            if (s->domain != LINUX_AF_UNIX)
                return -EINVAL;
            size_t n = dlen / sizeof(int);
            if (*nfds + n > MAX_FDS)
                return -EINVAL;
            memcpy(fds + *nfds, c + 1, n * sizeof(int));
            *nfds += n;
        } else if (c->level == SOL_SOCKET && c->type == SCM_CREDENTIALS) {
            if (s->domain != LINUX_AF_UNIX || dlen < sizeof(struct ucred))
                return -EINVAL;
            struct ucred uc;
            memcpy(&uc, c + 1, sizeof(uc));
            /* Only one's own identity may be claimed (no privileges here). */
            if (uc.pid != g_process.pid)
                return -EPERM;
            if (uc.uid != g_process.uid && uc.uid != g_process.euid && uc.uid != g_process.suid)
                return -EPERM;
            if (uc.gid != g_process.gid && uc.gid != g_process.egid && uc.gid != g_process.sgid)
                return -EPERM;
        } else {
            return -EINVAL;
        }
        p += CMSG_ALIGN(c->len);
    }
    return 0;
}

/* Drop the first n bytes from pm's vector (it is the libos's own copy). */
static void iov_advance(struct pal_msg *pm, size_t n) {
    while (pm->iov_count && n >= pm->iov->len) {
        n -= pm->iov->len;
        pm->iov++;
        pm->iov_count--;
    }
    if (n) {
        struct pal_iovec *first = (struct pal_iovec *)pm->iov;
        first->base = (char *)first->base + n;
        first->len -= n;
    }
}

static long do_sendmsg(struct libos_file *f, const struct linux_msghdr *msg, int flags) {
    libos_file_note_io(f);
    struct sock *s = sock_of(f);
    struct pal_iovec iov_stack[8], *iov = iov_stack;
    size_t total;
    long r;
    if (msg->msg_iovlen > ARRAY_SIZE(iov_stack)) {
        if (msg->msg_iovlen > UIO_MAXIOV)
            return -EMSGSIZE;
        iov = libos_malloc(msg->msg_iovlen * sizeof(*iov));
        if (!iov)
            return -ENOMEM;
    }
    int fds[MAX_FDS];
    pal_handle_t *hs[MAX_FDS], *tokens[MAX_FDS];
    size_t nfds = 0;
    struct pal_sockaddr to, *top = NULL;
    r = iov_from_user(msg->msg_iov, msg->msg_iovlen, false, iov, &total);
    if (r == 0)
        r = parse_control(s, msg, fds, &nfds);
    if (r == 0 && msg->msg_name && msg->msg_namelen &&
        (s->type == LINUX_SOCK_DGRAM || s->state != ST_CONNECTED)) {
        union sockaddr_any sa;
        r = addr_from_user(s, msg->msg_name, msg->msg_namelen, &sa);
        if (r == 0 && s->type != LINUX_SOCK_DGRAM && s->domain != LINUX_AF_UNIX) {
            /* TCP ignores the address; unconnected it fails below. */
        } else if (r == 0 && s->domain == LINUX_AF_UNIX) {
            r = sa.family != LINUX_AF_UNIX ? -EINVAL
                                           : unix_host_name(&sa.un, msg->msg_namelen, false, &to);
            if (r == -ECONNREFUSED)
                r = -ENOENT;
            top = &to;
        } else if (r == 0) {
            r = inet_to_pal(s, &sa, msg->msg_namelen, &to);
            if (r == 0)
                r = net_allowed(false, &to, -EACCES, "send to");
            top = &to;
        }
    }
    if (r == 0 && nfds)
        r = rights_to_handles(fds, nfds, hs, tokens);
    if (r < 0) {
        if (iov != iov_stack)
            libos_free(iov);
        return r;
    }
    struct pal_msg pm = {.iov = iov,
                         .iov_count = msg->msg_iovlen,
                         .addr = top,
                         .handles = nfds ? hs : NULL,
                         .handle_count = nfds,
                         .flags = ((flags & MSG_OOB) ? PAL_MSG_OOB : 0) |
                                  ((flags & MSG_MORE) ? PAL_MSG_MORE : 0)};
    size_t done = 0;
    uint64_t left = 0;
    bool stream = s->type == LINUX_SOCK_STREAM;
    for (;;) {
        int64_t n = pal_socket_send(f->handle, &pm);
        if (n >= 0) {
            done += (size_t)n;
            pm.handles = NULL; /* the handles went with the first bytes */
            pm.handle_count = 0;
            if (!stream || done >= total || nonblocking(f, flags))
                break;
            /* A blocking stream send moves everything: skip what went. */
            iov_advance(&pm, (size_t)n);
            continue;
        }
        if (n == -PAL_ERR_PIPE) {
            if (!(flags & MSG_NOSIGNAL))
                libos_net_sigpipe();
            r = -EPIPE;
        } else if (n == -PAL_ERR_AGAIN && !nonblocking(f, flags)) {
            r = sock_wait(f->handle, PAL_WAIT_WRITE, s->sndtimeo_ns, &left);
            if (r == 0)
                continue;
        } else {
            r = libos_errno_from_pal((int)n);
            if (n == -PAL_ERR_NOTCONN)
                r = s->type == LINUX_SOCK_DGRAM ? -EDESTADDRREQ : -ENOTCONN;
        }
        break;
    }
    for (size_t i = 0; i < nfds; i++)
        if (tokens[i])
            pal_stream_close(tokens[i]);
    if (iov != iov_stack)
        libos_free(iov);
    return done ? (long)done : r;
}

/* Writes received fds and credentials as control messages. */
static void put_control(struct sock *s, struct linux_msghdr *msg, pal_handle_t **hs, size_t nh,
                        int flags) {
    size_t used = 0, cap = msg->msg_control ? msg->msg_controllen : 0;
    char *base = msg->msg_control;
    if (s->passcred && cap >= used + CMSG_SPACE(sizeof(struct ucred))) {
        struct cmsghdr c = {CMSG_LEN(sizeof(struct ucred)), SOL_SOCKET, SCM_CREDENTIALS};
        struct ucred uc = {g_process.pid, g_process.uid, g_process.gid};
        memcpy(base + used, &c, sizeof(c));
        memcpy(base + used + sizeof(c), &uc, sizeof(uc));
        used += CMSG_SPACE(sizeof(uc));
    } else if (s->passcred) {
        msg->msg_flags |= MSG_CTRUNC;
    }
    if (nh) {
        size_t room = cap > used + sizeof(struct cmsghdr)
                          ? (cap - used - sizeof(struct cmsghdr)) / sizeof(int)
                          : 0;
        size_t k = 0;
        int *fds = (int *)(base + used + sizeof(struct cmsghdr));
        for (size_t i = 0; i < nh; i++) {
            uint64_t dev, ino;
            struct libos_file *f = handle_id(hs[i], &dev, &ino) ? inflight_take(dev, ino) : NULL;
            if (f)
                pal_stream_close(hs[i]);
            else
                f = libos_file_from_handle(hs[i]);
            if (!f || k >= room) {
                msg->msg_flags |= MSG_CTRUNC;
                libos_file_put(f);
                continue;
            }
            long fd = libos_fd_install(f, 0, flags & MSG_CMSG_CLOEXEC);
            libos_file_put(f);
            if (fd < 0) {
                msg->msg_flags |= MSG_CTRUNC;
                continue;
            }
            fds[k++] = (int)fd;
        }
        if (k) {
            struct cmsghdr c = {CMSG_LEN(k * sizeof(int)), SOL_SOCKET, SCM_RIGHTS};
            memcpy(base + used, &c, sizeof(c));
            used += CMSG_SPACE(k * sizeof(int));
            if (used > cap)
                used = cap;
        }
    }
    msg->msg_controllen = used;
}

static long do_recvmsg(struct libos_file *f, struct linux_msghdr *msg, int flags) {
    libos_file_note_io(f);
    struct sock *s = sock_of(f);
    struct pal_iovec iov_stack[8], *iov = iov_stack;
    size_t total;
    long r;
    if (msg->msg_iovlen > ARRAY_SIZE(iov_stack)) {
        if (msg->msg_iovlen > UIO_MAXIOV)
            return -EMSGSIZE;
        iov = libos_malloc(msg->msg_iovlen * sizeof(*iov));
        if (!iov)
            return -ENOMEM;
    }
    r = iov_from_user(msg->msg_iov, msg->msg_iovlen, true, iov, &total);
    if (r == 0 && msg->msg_control && msg->msg_controllen &&
        !libos_user_range_ok(msg->msg_control, msg->msg_controllen, true))
        r = -EFAULT;
    if (r == 0 && msg->msg_name && msg->msg_namelen < 0)
        r = -EINVAL;
    if (r == 0 && s->state == ST_LISTEN)
        r = -ENOTCONN;
    if (r < 0) {
        if (iov != iov_stack)
            libos_free(iov);
        return r;
    }
    pal_handle_t *hs[MAX_FDS];
    size_t cap_fds = 0;
    if (s->domain == LINUX_AF_UNIX && msg->msg_control &&
        msg->msg_controllen > sizeof(struct cmsghdr))
        cap_fds = MIN((msg->msg_controllen - sizeof(struct cmsghdr)) / sizeof(int), MAX_FDS);
    /* With SCM_RIGHTS possible, take every handle the host has so none is
     * lost; put_control drops what does not fit (MSG_CTRUNC). */
    if (cap_fds)
        cap_fds = MAX_FDS;
    struct pal_sockaddr from;
    memset(&from, 0, sizeof(from));
    struct pal_msg pm = {.iov = iov,
                         .iov_count = msg->msg_iovlen,
                         .addr = msg->msg_name ? &from : NULL,
                         .handles = hs};
    bool waitall = (flags & MSG_WAITALL) && s->type == LINUX_SOCK_STREAM && !(flags & MSG_PEEK);
    size_t done = 0, nh = 0;
    uint64_t left = 0;
    uint32_t out_flags = 0;
    for (;;) {
        pm.handle_count = cap_fds - nh;
        pm.handles = hs + nh;
        pm.flags = ((flags & MSG_PEEK) ? PAL_MSG_PEEK : 0) | ((flags & MSG_OOB) ? PAL_MSG_OOB : 0) |
                   ((flags & MSG_TRUNC) ? PAL_MSG_TRUNC : 0);
        int64_t n = pal_socket_recv(f->handle, &pm);
        if (n >= 0) {
            nh += pm.handle_count;
            out_flags |= pm.flags;
            done += (size_t)n;
            if (!waitall || n == 0 || done >= total || nh)
                break;
            iov_advance(&pm, (size_t)n);
            continue;
        }
        if (n == -PAL_ERR_AGAIN && !nonblocking(f, flags)) {
            r = sock_wait(f->handle, PAL_WAIT_READ, s->rcvtimeo_ns, &left);
            if (r == 0)
                continue;
        } else {
            r = libos_errno_from_pal((int)n);
            if (n == -PAL_ERR_NOTCONN && s->type == LINUX_SOCK_STREAM)
                r = -ENOTCONN;
        }
        break;
    }
    if (iov != iov_stack)
        libos_free(iov);
    if (done == 0 && r < 0)
        return r;
    msg->msg_flags = ((out_flags & PAL_MSG_TRUNC) ? MSG_TRUNC : 0) |
                     ((out_flags & PAL_MSG_CTRUNC) ? MSG_CTRUNC : 0) |
                     ((out_flags & PAL_MSG_EOR) ? MSG_EOR : 0);
    if (msg->msg_name) {
        union sockaddr_any sa;
        int len = from.family != PAL_NET_UNSPEC ? pal_to_app(s, &from, &sa) : 0;
        int n = MIN(len, msg->msg_namelen);
        if (n && !libos_user_range_ok(msg->msg_name, (size_t)n, true))
            n = 0;
        memcpy(msg->msg_name, &sa, (size_t)n);
        msg->msg_namelen = len;
    }
    if (msg->msg_control || nh)
        put_control(s, msg, hs, nh, flags);
    else
        msg->msg_controllen = 0;
    return (long)done;
}

/* ----------------------------------------------------------- file ops */

static int64_t sock_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct linux_iovec iov = {buf, n};
    struct linux_msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return do_recvmsg(f, &m, 0);
}

static int64_t sock_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    struct linux_iovec iov = {(void *)buf, n};
    struct linux_msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return do_sendmsg(f, &m, 0);
}

static int64_t sock_readv(struct libos_file *f, const struct linux_iovec *iov, int iovcnt) {
    struct linux_msghdr m = {.msg_iov = (struct linux_iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    return do_recvmsg(f, &m, 0);
}

static int64_t sock_writev(struct libos_file *f, const struct linux_iovec *iov, int iovcnt) {
    struct linux_msghdr m = {.msg_iov = (struct linux_iovec *)iov, .msg_iovlen = (size_t)iovcnt};
    return do_sendmsg(f, &m, 0);
}

static uint32_t sock_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    pi->handle = f->handle;
    pi->pal_events = libos_poll_to_pal_wait(want);
    return 0;
}

static long sock_ioctl(struct libos_file *f, unsigned int cmd, uint64_t arg) {
    if (cmd != FIONREAD)
        return -ENOTTY;
    if (sock_of(f)->state == ST_LISTEN)
        return -EINVAL;
    struct pal_stream_attr a;
    if (!libos_user_range_ok((void *)arg, sizeof(int), true))
        return -EFAULT;
    int r = pal_stream_attr_query_handle(f->handle, &a);
    if (r < 0)
        return libos_errno_from_pal(r);
    *(int *)arg = a.size > 0x7fffffff ? 0x7fffffff : (int)a.size;
    return 0;
}

static int sock_stat(struct libos_file *f, struct linux_stat *st) {
    struct pal_stream_attr a;
    int r = pal_stream_attr_query_handle(f->handle, &a);
    if (r < 0)
        return (int)libos_errno_from_pal(r);
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFSOCK | 0777;
    st->st_ino = a.inode;
    st->st_dev = libos_makedev(0, 8); /* sockfs */
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = 4096;
    return 0;
}

static void sock_release(struct libos_file *f) {
    if (f->handle)
        pal_stream_close(f->handle);
    f->handle = NULL;
    libos_free(f->priv);
    f->priv = NULL;
}

static const struct libos_file_ops g_sock_ops = {
    .ckpt_kind = LIBOS_CKPT_STREAM,
    .read = sock_read,
    .write = sock_write,
    .readv = sock_readv,
    .writev = sock_writev,
    .poll = sock_poll,
    .ioctl = sock_ioctl,
    .stat = sock_stat,
    .release = sock_release,
};

bool libos_file_is_socket(struct libos_file *f) {
    return f->ops == &g_sock_ops;
}

long libos_socket_file_new(pal_handle_t *h, int domain, int type, bool connected, int flags,
                           struct libos_file **out) {
    struct pal_stream_attr a;
    char name[40];
    if (pal_stream_attr_query_handle(h, &a) < 0)
        a.inode = 0;
    libos_snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)a.inode);
    struct sock *s = libos_calloc(1, sizeof(*s));
    struct libos_file *f = s ? libos_file_new(NULL, name, O_RDWR | (flags & O_NONBLOCK)) : NULL;
    if (!f) {
        libos_free(s);
        pal_stream_close(h);
        return -ENOMEM;
    }
    s->domain = domain;
    s->type = type;
    s->state = connected ? ST_CONNECTED : ST_NEW;
    f->ops = &g_sock_ops;
    f->handle = h;
    f->priv = s;
    *out = f;
    return 0;
}

/* The checkpoint fork: a socket's libos state (listening, names, options
 * the host does not keep) travels as bytes next to its handle. */
size_t libos_socket_ckpt_state(struct libos_file *f, void *buf, size_t size) {
    if (f->ops != &g_sock_ops || size < sizeof(struct sock))
        return 0;
    memcpy(buf, f->priv, sizeof(struct sock));
    return sizeof(struct sock);
}

long libos_socket_ckpt_restore(pal_handle_t *h, const void *state, size_t len, int flags,
                               struct libos_file **out) {
    if (len != sizeof(struct sock)) {
        pal_stream_close(h);
        return -EINVAL;
    }
    const struct sock *s = state;
    long r = libos_socket_file_new(h, s->domain, s->type, false, flags, out);
    if (r == 0)
        memcpy((*out)->priv, state, len);
    return r;
}

/* The socket behind fd (a new file reference) or -EBADF/-ENOTSOCK. */
static long get_sock(int fd, struct libos_file **out) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    if (f->ops != &g_sock_ops) {
        libos_file_put(f);
        return -ENOTSOCK;
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------ syscalls */

static uint32_t pal_family(int domain) {
    return domain == LINUX_AF_INET    ? PAL_NET_INET
           : domain == LINUX_AF_INET6 ? PAL_NET_INET6
                                      : PAL_NET_UNIX;
}

static uint32_t pal_type(int type) {
    return type == LINUX_SOCK_DGRAM       ? PAL_SOCK_DGRAM
           : type == LINUX_SOCK_SEQPACKET ? PAL_SOCK_SEQPACKET
                                          : PAL_SOCK_STREAM;
}

static long check_socket_args(int domain, int type, int protocol) {
    if (domain != LINUX_AF_UNIX && domain != LINUX_AF_INET && domain != LINUX_AF_INET6)
        return -EAFNOSUPPORT;
    if (type == LINUX_SOCK_RAW)
        return domain == LINUX_AF_UNIX ? -ESOCKTNOSUPPORT : -EPERM;
    if (type != LINUX_SOCK_STREAM && type != LINUX_SOCK_DGRAM && type != LINUX_SOCK_SEQPACKET)
        return -EINVAL;
    if (domain != LINUX_AF_UNIX && type == LINUX_SOCK_SEQPACKET)
        return -ESOCKTNOSUPPORT;
    if (protocol != 0 && domain == LINUX_AF_UNIX)
        return -EPROTONOSUPPORT;
    if (protocol != 0 && !(type == LINUX_SOCK_STREAM && protocol == IPPROTO_TCP) &&
        !(type == LINUX_SOCK_DGRAM && protocol == IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    return 0;
}

long libos_sys_socket(int domain, int type, int protocol) {
    int flags = type & (LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC);
    type &= ~(LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC);
    long r = check_socket_args(domain, type, protocol);
    if (r < 0)
        return r;
    pal_handle_t *h;
    int pr = pal_socket_create(pal_family(domain), pal_type(type), PAL_OPTION_NONBLOCK, &h);
    if (pr < 0)
        return libos_errno_from_pal(pr);
    struct libos_file *f;
    r = libos_socket_file_new(h, domain, type, false, flags, &f);
    if (r < 0)
        return r;
    sock_of(f)->protocol =
        protocol
            ? protocol
            : (domain == LINUX_AF_UNIX ? 0
                                       : (type == LINUX_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP));
    r = libos_fd_install(f, 0, flags & LINUX_SOCK_CLOEXEC);
    libos_file_put(f);
    return r;
}

long libos_sys_socketpair(int domain, int type, int protocol, int *sv) {
    int flags = type & (LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC);
    type &= ~(LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC);
    long r = check_socket_args(domain, type, protocol);
    if (r < 0)
        return r;
    if (domain != LINUX_AF_UNIX)
        return -EOPNOTSUPP;
    if (!libos_user_range_ok(sv, 2 * sizeof(int), true))
        return -EFAULT;
    pal_handle_t *a, *b;
    int pr = pal_stream_pair(pal_type(type), PAL_OPTION_NONBLOCK, &a, &b);
    if (pr < 0)
        return libos_errno_from_pal(pr);
    struct libos_file *fa, *fb;
    r = libos_socket_file_new(a, domain, type, true, flags, &fa);
    if (r < 0) {
        pal_stream_close(b);
        return r;
    }
    r = libos_socket_file_new(b, domain, type, true, flags, &fb);
    if (r < 0) {
        libos_file_put(fa);
        return r;
    }
    long x = libos_fd_install(fa, 0, flags & LINUX_SOCK_CLOEXEC);
    long y = x < 0 ? x : libos_fd_install(fb, 0, flags & LINUX_SOCK_CLOEXEC);
    libos_file_put(fa);
    libos_file_put(fb);
    if (y < 0) {
        if (x >= 0)
            libos_fd_close((int)x);
        return y;
    }
    sv[0] = (int)x;
    sv[1] = (int)y;
    return 0;
}

/* Autobind of AF_UNIX (bind with only a family): a fresh abstract name. */
static long unix_autobind(struct sock *s, struct sockaddr_un *un, size_t *len) {
    uint8_t r[3];
    pal_random(r, sizeof(r));
    un->path[0] = '\0';
    libos_snprintf(un->path + 1, 6, "%05x", ((r[0] << 16) | (r[1] << 8) | r[2]) & 0xfffff);
    *len = sizeof(un->family) + 6;
    return 0;
}

long libos_sys_bind(int fd, const void *uaddr, int addrlen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    union sockaddr_any sa;
    struct pal_sockaddr pa;
    r = addr_from_user(s, uaddr, addrlen, &sa);
    if (r == 0 && s->domain == LINUX_AF_UNIX) {
        size_t len = (size_t)addrlen;
        if (sa.family != LINUX_AF_UNIX)
            r = -EINVAL;
        else if (s->named)
            r = -EINVAL;
        else if (len == sizeof(sa.family))
            r = unix_autobind(s, &sa.un, &len);
        if (r == 0 && sa.un.path[0]) /* a path ends at its first NUL */
            len = sizeof(sa.family) + strnlen(sa.un.path, len - sizeof(sa.family));
        if (r == 0)
            r = unix_host_name(&sa.un, len, true, &pa);
        if (r == 0) {
            int pr = pal_socket_bind(f->handle, &pa);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
            if (pr == -PAL_ERR_NOTFOUND || pr == -PAL_ERR_DENIED)
                r = pr == -PAL_ERR_NOTFOUND ? -ENOENT : -EACCES;
        }
        if (r == 0) {
            s->named = true;
            s->name_len = (uint32_t)(len - sizeof(sa.family));
            memcpy(s->name, sa.un.path, s->name_len);
        }
        if (r == 0 && sa.un.path[0] && pa.path[0] == '\0')
            unix_name_node(&sa.un, len); /* a path the host knows by an abstract name */
    } else if (r == 0) {
        r = inet_to_pal(s, &sa, addrlen, &pa);
        if (r == 0 && pa.family == PAL_NET_UNSPEC) {
            /* Linux treats AF_UNSPEC with INADDR_ANY as AF_INET for AF_INET sockets. */
            r = s->domain == LINUX_AF_INET ? 0 : -EAFNOSUPPORT;
            pa.family = PAL_NET_INET;
            pa.port = bswap16(sa.in.port);
        }
        if (r == 0)
            r = net_allowed(true, &pa, -EACCES, "bind");
        if (r == 0) {
            int pr = pal_socket_bind(f->handle, &pa);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
        }
    }
    libos_file_put(f);
    return r;
}

long libos_sys_listen(int fd, int backlog) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    if (s->type == LINUX_SOCK_DGRAM) {
        r = -EOPNOTSUPP;
    } else if (s->state == ST_CONNECTED || s->state == ST_CONNECTING) {
        r = -EINVAL;
    } else {
        struct pal_sockaddr pa;
        /* An unbound socket gets a port (or name) now, as Linux gives it. */
        if (s->domain != LINUX_AF_UNIX && pal_socket_name(f->handle, false, &pa) == 0 &&
            pa.port == 0)
            r = net_allowed(true, &pa, -EACCES, "listen on");
        if (r == 0 && s->domain == LINUX_AF_UNIX && !s->named) {
            union sockaddr_any sa = {.family = LINUX_AF_UNIX};
            size_t len;
            unix_autobind(s, &sa.un, &len);
            r = unix_host_name(&sa.un, len, true, &pa);
            if (r == 0 && pal_socket_bind(f->handle, &pa) == 0) {
                s->named = true;
                s->name_len = (uint32_t)(len - sizeof(sa.family));
                memcpy(s->name, sa.un.path, s->name_len);
            }
        }
        if (r == 0) {
            int pr = pal_socket_listen(f->handle, backlog < 0 ? 0 : MIN(backlog, 4096));
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
        }
        if (r == 0)
            s->state = ST_LISTEN;
    }
    libos_file_put(f);
    return r;
}

long libos_sys_accept4(int fd, void *uaddr, int *ulen, int flags) {
    if (flags & ~(LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC))
        return -EINVAL;
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    pal_handle_t *c = NULL;
    if (uaddr && !libos_user_range_ok(ulen, sizeof(int), true))
        r = -EFAULT;
    else if (s->type == LINUX_SOCK_DGRAM)
        r = -EOPNOTSUPP;
    else if (s->state != ST_LISTEN)
        r = -EINVAL;
    uint64_t left = 0;
    while (r == 0) {
        int pr = pal_stream_accept(f->handle, PAL_OPTION_NONBLOCK, &c);
        if (pr == 0)
            break;
        if (pr != -PAL_ERR_AGAIN)
            r = libos_errno_from_pal(pr);
        else if (f->flags & O_NONBLOCK)
            r = -EAGAIN;
        else
            r = sock_wait(f->handle, PAL_WAIT_READ, s->rcvtimeo_ns, &left);
    }
    struct libos_file *nf = NULL;
    if (r == 0)
        r = libos_socket_file_new(c, s->domain, s->type, true, flags, &nf);
    if (r == 0) {
        sock_of(nf)->protocol = s->protocol;
        sock_of(nf)->passcred = s->passcred;
        if (s->domain == LINUX_AF_UNIX && s->named) {
            /* The accepted socket carries the listener's name. */
            sock_of(nf)->named = true;
            sock_of(nf)->name_len = s->name_len;
            memcpy(sock_of(nf)->name, s->name, s->name_len);
        }
        struct pal_sockaddr pa;
        union sockaddr_any sa;
        int len = sizeof(sa.family);
        memset(&sa, 0, sizeof(sa));
        sa.family = (uint16_t)s->domain;
        if (pal_socket_name(nf->handle, true, &pa) == 0)
            len = pal_to_app(s, &pa, &sa);
        r = addr_to_user(&sa, len, uaddr, ulen);
        if (r == 0)
            r = libos_fd_install(nf, 0, flags & LINUX_SOCK_CLOEXEC);
        libos_file_put(nf);
    }
    libos_file_put(f);
    return r;
}

long libos_sys_accept(int fd, void *uaddr, int *ulen) {
    return libos_sys_accept4(fd, uaddr, ulen, 0);
}

/* Where a connect in progress stands, without waiting: 0 connected,
 * -EALREADY still in progress, or its error. */
static long connect_state(struct libos_file *f, struct sock *s) {
    uint64_t err = 0;
    int pr = pal_socket_option(f->handle, PAL_SO_ERROR, false, &err);
    if (pr < 0)
        return libos_errno_from_pal(pr);
    if (err) {
        s->state = ST_NEW;
        return libos_errno_from_pal((int)err);
    }
    struct pal_sockaddr pa;
    if (pal_socket_name(f->handle, true, &pa) < 0)
        return -EALREADY;
    s->state = ST_CONNECTED;
    return 0;
}

/* Waits for a connect in progress; 0 when connected. */
static long finish_connect(struct libos_file *f, struct sock *s) {
    uint64_t left = 0;
    for (;;) {
        long r = sock_wait(f->handle, PAL_WAIT_WRITE, s->sndtimeo_ns, &left);
        if (r == -EAGAIN)
            return -EINPROGRESS;
        if (r < 0)
            return r;
        r = connect_state(f, s);
        if (r != -EALREADY)
            return r;
    }
}

long libos_sys_connect(int fd, const void *uaddr, int addrlen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    union sockaddr_any sa;
    struct pal_sockaddr pa;
    bool stream = s->type != LINUX_SOCK_DGRAM;
    r = addr_from_user(s, uaddr, addrlen, &sa);
    if (r == 0 && stream && s->state == ST_CONNECTED && s->connect_unseen) {
        /* As on Linux, the first connect() after one in progress completed
         * (seen by SO_ERROR or not) returns 0: hiredis tests that. */
        s->connect_unseen = false;
        libos_file_put(f);
        return 0;
    } else if (r == 0 && stream && s->state == ST_CONNECTED)
        r = -EISCONN;
    else if (r == 0 && stream && s->state == ST_LISTEN)
        r = -EINVAL;
    else if (r == 0 && s->state == ST_CONNECTING) {
        r = (f->flags & O_NONBLOCK) ? connect_state(f, s) : finish_connect(f, s);
        s->connect_unseen = r == -EALREADY || r == -EINPROGRESS;
        libos_file_put(f);
        return r;
    }
    if (r == 0 && s->domain == LINUX_AF_UNIX) {
        if (sa.family == LINUX_AF_UNSPEC && !stream) {
            pa.family = PAL_NET_UNSPEC;
        } else if (sa.family != LINUX_AF_UNIX) {
            r = -EINVAL;
        } else {
            size_t len = (size_t)addrlen;
            if (sa.un.path[0])
                len = sizeof(sa.family) + strnlen(sa.un.path, len - sizeof(sa.family));
            r = unix_host_name(&sa.un, len, false, &pa);
            if (r == 0) {
                s->peer_len = (uint32_t)(len - sizeof(sa.family));
                memcpy(s->peer, sa.un.path, s->peer_len);
            }
        }
    } else if (r == 0) {
        r = inet_to_pal(s, &sa, addrlen, &pa);
        if (r == 0)
            r = net_allowed(false, &pa, stream ? -ECONNREFUSED : -EACCES, "connect to");
    }
    if (r < 0) {
        libos_file_put(f);
        return r;
    }
    uint64_t left = 0;
    for (;;) {
        int pr = pal_socket_connect(f->handle, &pa);
        if (pr == 0) {
            s->state = pa.family == PAL_NET_UNSPEC ? ST_NEW : ST_CONNECTED;
            s->peer_named = pa.family == PAL_NET_UNIX;
            s->connect_unseen = false;
            r = 0;
        } else if (pr == -PAL_ERR_INPROGRESS) {
            s->state = ST_CONNECTING;
            r = (f->flags & O_NONBLOCK) ? -EINPROGRESS : finish_connect(f, s);
            s->connect_unseen = r == -EINPROGRESS;
        } else if (pr == -PAL_ERR_AGAIN && s->domain == LINUX_AF_UNIX) {
            /* The listener's backlog is full. */
            if (f->flags & O_NONBLOCK)
                r = -EAGAIN;
            else if ((r = sock_wait(f->handle, PAL_WAIT_WRITE, s->sndtimeo_ns, &left)) == 0)
                continue;
        } else {
            r = libos_errno_from_pal(pr);
            /* A sandbox-only name that nobody bound does not exist. */
            if (pr == -PAL_ERR_CONNREFUSED && s->domain == LINUX_AF_UNIX && pa.path[0] == '\0' &&
                sa.un.path[0] != '\0')
                r = -ENOENT;
            if (pr == -PAL_ERR_NOTFOUND)
                r = -ENOENT;
        }
        break;
    }
    if (r == 0 && s->state == ST_CONNECTED && s->domain == LINUX_AF_UNIX)
        s->peer_named = true;
    libos_file_put(f);
    return r;
}

static long do_name(int fd, bool peer, void *uaddr, int *ulen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    union sockaddr_any sa;
    memset(&sa, 0, sizeof(sa));
    int len = sizeof(sa.family);
    sa.family = (uint16_t)s->domain;
    if (!uaddr || !libos_user_range_ok(ulen, sizeof(int), true)) {
        r = -EFAULT;
    } else if (s->domain == LINUX_AF_UNIX) {
        if (peer) {
            struct pal_sockaddr pa;
            if (pal_socket_name(f->handle, true, &pa) < 0)
                r = -ENOTCONN;
            else if (s->peer_named && s->peer_len)
                memcpy(sa.un.path, s->peer, s->peer_len), len += (int)s->peer_len;
            else
                len = pal_to_app(s, &pa, &sa);
        } else if (s->named) {
            memcpy(sa.un.path, s->name, s->name_len);
            len += (int)s->name_len;
        }
        /* Path names come back with their terminating NUL, as on Linux. */
        if (r == 0 && len > (int)sizeof(sa.family) && sa.un.path[0] && len < (int)sizeof(sa.un))
            len++;
    } else {
        struct pal_sockaddr pa;
        int pr = pal_socket_name(f->handle, peer, &pa);
        if (pr < 0)
            r = libos_errno_from_pal(pr);
        else
            len = pal_to_app(s, &pa, &sa);
    }
    if (r == 0)
        r = addr_to_user(&sa, len, uaddr, ulen);
    libos_file_put(f);
    return r;
}

long libos_sys_getsockname(int fd, void *uaddr, int *ulen) {
    return do_name(fd, false, uaddr, ulen);
}

long libos_sys_getpeername(int fd, void *uaddr, int *ulen) {
    return do_name(fd, true, uaddr, ulen);
}

long libos_sys_shutdown(int fd, int how) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    uint32_t ph = how == SHUT_RD ? PAL_SHUT_RD : how == SHUT_WR ? PAL_SHUT_WR : PAL_SHUT_RDWR;
    if (how < SHUT_RD || how > SHUT_RDWR) {
        r = -EINVAL;
    } else {
        int pr = pal_stream_shutdown(f->handle, ph);
        r = pr < 0 ? libos_errno_from_pal(pr) : 0;
    }
    libos_file_put(f);
    return r;
}

/* ----------------------------------------------------------- messages */

static long copy_msghdr(const struct linux_msghdr *umsg, struct linux_msghdr *m, bool write) {
    if (!libos_user_range_ok(umsg, sizeof(*umsg), write))
        return -EFAULT;
    *m = *umsg;
    if (m->msg_name && m->msg_namelen < 0)
        return -EINVAL;
    if (!m->msg_name)
        m->msg_namelen = 0;
    if (m->msg_iovlen > UIO_MAXIOV)
        return -EMSGSIZE;
    if (m->msg_iovlen &&
        !libos_user_range_ok(m->msg_iov, m->msg_iovlen * sizeof(*m->msg_iov), false))
        return -EFAULT;
    return 0;
}

long libos_sys_sendmsg(int fd, const struct linux_msghdr *umsg, int flags) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct linux_msghdr m;
    r = copy_msghdr(umsg, &m, false);
    if (r == 0)
        r = do_sendmsg(f, &m, flags);
    libos_file_put(f);
    return r;
}

long libos_sys_recvmsg(int fd, struct linux_msghdr *umsg, int flags) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct linux_msghdr m;
    r = copy_msghdr(umsg, &m, true);
    if (r == 0)
        r = do_recvmsg(f, &m, flags);
    if (r >= 0) {
        umsg->msg_namelen = m.msg_namelen;
        umsg->msg_controllen = m.msg_controllen;
        umsg->msg_flags = m.msg_flags;
    }
    libos_file_put(f);
    return r;
}

long libos_sys_sendto(int fd, const void *buf, size_t len, int flags, const void *uaddr,
                      int addrlen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct linux_iovec iov = {(void *)buf, len};
    struct linux_msghdr m = {.msg_name = (void *)uaddr,
                             .msg_namelen = uaddr ? addrlen : 0,
                             .msg_iov = &iov,
                             .msg_iovlen = 1};
    r = do_sendmsg(f, &m, flags);
    libos_file_put(f);
    return r;
}

long libos_sys_recvfrom(int fd, void *buf, size_t len, int flags, void *uaddr, int *ulen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct linux_iovec iov = {buf, len};
    struct linux_msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (uaddr) {
        if (!libos_user_range_ok(ulen, sizeof(int), true)) {
            libos_file_put(f);
            return -EFAULT;
        }
        m.msg_name = uaddr;
        m.msg_namelen = *ulen;
    }
    r = do_recvmsg(f, &m, flags);
    if (r >= 0 && uaddr)
        *ulen = m.msg_namelen;
    libos_file_put(f);
    return r;
}

long libos_sys_sendmmsg(int fd, struct linux_mmsghdr *vec, unsigned int vlen, int flags) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    if (vlen > UIO_MAXIOV)
        vlen = UIO_MAXIOV;
    if (!libos_user_range_ok(vec, vlen * sizeof(*vec), true)) {
        libos_file_put(f);
        return -EFAULT;
    }
    unsigned int i;
    for (i = 0; i < vlen; i++) {
        struct linux_msghdr m;
        r = copy_msghdr(&vec[i].msg_hdr, &m, false);
        if (r == 0)
            r = do_sendmsg(f, &m, flags);
        if (r < 0)
            break;
        vec[i].msg_len = (unsigned int)r;
    }
    libos_file_put(f);
    return i ? (long)i : r;
}

long libos_sys_recvmmsg(int fd, struct linux_mmsghdr *vec, unsigned int vlen, int flags,
                        struct linux_timespec *timeout) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    if (vlen > UIO_MAXIOV)
        vlen = UIO_MAXIOV;
    if (!libos_user_range_ok(vec, vlen * sizeof(*vec), true) ||
        (timeout && !libos_user_range_ok(timeout, sizeof(*timeout), true))) {
        libos_file_put(f);
        return -EFAULT;
    }
    /* The timeout is checked after each datagram, as Linux does. */
    int64_t deadline = 0;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000) {
            libos_file_put(f);
            return -EINVAL;
        }
        deadline = libos_now_ns() + timeout->tv_sec * 1000000000LL + timeout->tv_nsec;
    }
    unsigned int i;
    for (i = 0; i < vlen; i++) {
        struct linux_msghdr m;
        r = copy_msghdr(&vec[i].msg_hdr, &m, true);
        if (r == 0)
            r = do_recvmsg(f, &m, flags);
        if (r < 0)
            break;
        vec[i].msg_len = (unsigned int)r;
        vec[i].msg_hdr.msg_namelen = m.msg_namelen;
        vec[i].msg_hdr.msg_controllen = m.msg_controllen;
        vec[i].msg_hdr.msg_flags = m.msg_flags;
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
        if (timeout && libos_now_ns() >= deadline) {
            i++;
            break;
        }
    }
    libos_file_put(f);
    return i ? (long)i : r;
}

/* ------------------------------------------------------------ options */

static const struct {
    int level, name;
    uint32_t pal;
} g_sockopts[] = {
    {SOL_SOCKET, SO_REUSEADDR, PAL_SO_REUSEADDR},
    {SOL_SOCKET, SO_REUSEPORT, PAL_SO_REUSEPORT},
    {SOL_SOCKET, SO_KEEPALIVE, PAL_SO_KEEPALIVE},
    {SOL_SOCKET, SO_RCVBUF, PAL_SO_RCVBUF},
    {SOL_SOCKET, SO_SNDBUF, PAL_SO_SNDBUF},
    {SOL_SOCKET, SO_RCVBUFFORCE, PAL_SO_RCVBUF},
    {SOL_SOCKET, SO_SNDBUFFORCE, PAL_SO_SNDBUF},
    {SOL_SOCKET, SO_BROADCAST, PAL_SO_BROADCAST},
    {SOL_SOCKET, SO_OOBINLINE, PAL_SO_OOBINLINE},
    {SOL_SOCKET, SO_RCVLOWAT, PAL_SO_RCVLOWAT},
    {IPPROTO_TCP, TCP_NODELAY, PAL_TCP_NODELAY},
    {IPPROTO_TCP, TCP_CORK, PAL_TCP_CORK},
    {IPPROTO_TCP, TCP_KEEPIDLE, PAL_TCP_KEEPIDLE},
    {IPPROTO_TCP, TCP_KEEPINTVL, PAL_TCP_KEEPINTVL},
    {IPPROTO_TCP, TCP_KEEPCNT, PAL_TCP_KEEPCNT},
    {IPPROTO_TCP, TCP_QUICKACK, PAL_TCP_QUICKACK},
    {IPPROTO_TCP, TCP_MAXSEG, PAL_TCP_MAXSEG},
    {IPPROTO_IPV6, IPV6_V6ONLY, PAL_IPV6_V6ONLY},
    {IPPROTO_IP, IP_TTL, PAL_IP_TTL},
    {IPPROTO_IP, IP_TOS, PAL_IP_TOS},
};

/* Options accepted and ignored (they tune what the host already does). */
static bool ignored_option(int level, int name) {
    if (level == SOL_SOCKET)
        return name == SO_DEBUG || name == SO_DONTROUTE || name == SO_NO_CHECK ||
               name == SO_PRIORITY || name == SO_SNDLOWAT || name == SO_TIMESTAMP;
    if (level == IPPROTO_TCP)
        return name == TCP_DEFER_ACCEPT || name == TCP_USER_TIMEOUT || name == TCP_FASTOPEN;
    if (level == IPPROTO_IP)
        return name == IP_RECVERR || name == IP_MTU_DISCOVER;
    return false;
}

static long pal_opt_for(struct sock *s, int level, int name, uint32_t *opt) {
    for (size_t i = 0; i < ARRAY_SIZE(g_sockopts); i++) {
        if (g_sockopts[i].level == level && g_sockopts[i].name == name) {
            bool inet = s->domain != LINUX_AF_UNIX;
            if (level != SOL_SOCKET && !inet)
                return -EOPNOTSUPP;
            if (level == IPPROTO_TCP && s->type != LINUX_SOCK_STREAM)
                return -ENOPROTOOPT;
            if (level == IPPROTO_IPV6 && s->domain != LINUX_AF_INET6)
                return -ENOPROTOOPT;
            *opt = g_sockopts[i].pal;
            return 0;
        }
    }
    return -ENOPROTOOPT;
}

struct linux_linger {
    int onoff, linger;
};

long libos_sys_setsockopt(int fd, int level, int name, const void *val, int len) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    uint32_t opt;
    int iv = 0;
    if (len < 0 || (len && !libos_user_range_ok(val, (size_t)len, false))) {
        r = -EFAULT;
    } else if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        const struct linux_timeval *tv = val;
        if (len < (int)sizeof(*tv))
            r = -EINVAL;
        else if (tv->tv_usec < 0 || tv->tv_usec >= 1000000)
            r = -EDOM;
        else {
            uint64_t ns = tv->tv_sec < 0 ? 0
                                         : (uint64_t)tv->tv_sec * 1000000000ULL +
                                               (uint64_t)tv->tv_usec * 1000ULL;
            if (name == SO_RCVTIMEO)
                s->rcvtimeo_ns = ns;
            else
                s->sndtimeo_ns = ns;
        }
    } else if (level == SOL_SOCKET && name == SO_LINGER) {
        const struct linux_linger *l = val;
        if (len < (int)sizeof(*l)) {
            r = -EINVAL;
        } else {
            uint64_t v = l->onoff ? (uint64_t)(l->linger < 0 ? 0 : l->linger) : UINT64_MAX;
            int pr = pal_socket_option(f->handle, PAL_SO_LINGER, true, &v);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
        }
    } else if (len < (int)sizeof(int)) {
        r = -EINVAL;
    } else if ((iv = *(const int *)val), level == SOL_SOCKET && name == SO_PASSCRED) {
        s->passcred = iv != 0;
    } else if (ignored_option(level, name)) {
        r = 0;
    } else if ((r = pal_opt_for(s, level, name, &opt)) == 0) {
        uint64_t v = (uint64_t)(int64_t)iv;
        if (iv < 0 && (opt == PAL_SO_RCVBUF || opt == PAL_SO_SNDBUF))
            v = 0;
        int pr = pal_socket_option(f->handle, opt, true, &v);
        r = pr < 0 ? libos_errno_from_pal(pr) : 0;
    }
    libos_file_put(f);
    return r;
}

long libos_sys_getsockopt(int fd, int level, int name, void *val, int *ulen) {
    struct libos_file *f;
    long r = get_sock(fd, &f);
    if (r < 0)
        return r;
    struct sock *s = sock_of(f);
    union {
        int i;
        struct linux_timeval tv;
        struct linux_linger l;
        struct ucred uc;
    } out;
    memset(&out, 0, sizeof(out));
    int olen = sizeof(int);
    uint32_t opt;
    uint64_t v = 0;
    if (!libos_user_range_ok(ulen, sizeof(int), true) || *ulen < 0) {
        r = !libos_user_range_ok(ulen, sizeof(int), true) ? -EFAULT : -EINVAL;
    } else if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE:
            out.i = s->type;
            break;
        case SO_DOMAIN:
            out.i = s->domain;
            break;
        case SO_PROTOCOL:
            out.i = s->protocol;
            break;
        case SO_ACCEPTCONN:
            out.i = s->state == ST_LISTEN;
            break;
        case SO_PASSCRED:
            out.i = s->passcred;
            break;
        case SO_PEERCRED:
            /* Peers inside this sandbox are this process. */
            out.uc = (struct ucred){g_process.pid, g_process.euid, g_process.egid};
            olen = sizeof(out.uc);
            if (s->domain != LINUX_AF_UNIX)
                r = -ENOPROTOOPT;
            break;
        case SO_RCVTIMEO:
        case SO_SNDTIMEO:
            v = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
            out.tv.tv_sec = (int64_t)(v / 1000000000ULL);
            out.tv.tv_usec = (int64_t)(v % 1000000000ULL / 1000);
            olen = sizeof(out.tv);
            break;
        case SO_LINGER: {
            int pr = pal_socket_option(f->handle, PAL_SO_LINGER, false, &v);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
            out.l.onoff = v != UINT64_MAX;
            out.l.linger = v == UINT64_MAX ? 0 : (int)v;
            olen = sizeof(out.l);
            break;
        }
        case SO_ERROR: {
            int pr = pal_socket_option(f->handle, PAL_SO_ERROR, false, &v);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
            out.i = v ? (int)-libos_errno_from_pal((int)v) : 0;
            if (s->state == ST_CONNECTING) {
                struct pal_sockaddr pa;
                if (v)
                    s->state = ST_NEW;
                else if (pal_socket_name(f->handle, true, &pa) == 0)
                    s->state = ST_CONNECTED;
            }
            break;
        }
        default:
            goto generic;
        }
    } else {
    generic:
        if (ignored_option(level, name)) {
            out.i = 0;
        } else if ((r = pal_opt_for(s, level, name, &opt)) == 0) {
            int pr = pal_socket_option(f->handle, opt, false, &v);
            r = pr < 0 ? libos_errno_from_pal(pr) : 0;
            out.i = (int)v;
        }
    }
    if (r == 0) {
        int n = MIN(*ulen, olen);
        if (n && !libos_user_range_ok(val, (size_t)n, true))
            r = -EFAULT;
        else {
            memcpy(val, &out, (size_t)n);
            *ulen = n;
        }
    }
    libos_file_put(f);
    return r;
}
