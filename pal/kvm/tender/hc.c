/* The tender's hypercall service. The guest is untrusted: every request is
 * copied out of guest memory first, then checked (call number, handle ids
 * owned by this guest, offsets and lengths inside the data window, URIs
 * against the manifest's mounts) before the host is touched.
 *
 * Host I/O itself reuses the Linux PAL's stream code (pal/linux/
 * pal_streams.c, linked into the tender as kvm_hostio.o), so errors, flags,
 * attributes and directory records mean exactly what they mean there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "libos_manifest.h"
#include "pal.h"
#include "tender.h"

#define MAX_HANDLES 1024
#define MAX_URI 4096

/* A guest handle id is an index here; path is the host path of a file or
 * dir handle (for the write checks of rename and attribute changes). */
struct slot {
    pal_handle_t *h;
    char *path;
    int plain; /* ring server: 1 a file, directory or memfd, -1 not, 0 not known yet */
};
static struct slot g_handles[MAX_HANDLES];
/* vCPU threads serve requests concurrently: the table's slots change
 * under this lock. (A handle closed by one thread while another blocks
 * in it is not yet reference-counted: docs/kvm.md.) */
static pthread_mutex_t g_handles_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct libos_manifest *g_manifest;
static bool g_manifest_checked; /* mount fds were opened: a missing one denies */
static int g_log_fd = 2, g_trace_fd = -1;

/* ----------------------------------------------------------- policy */
/* A host path is allowed when it is absolute, has no "." or ".."
 * components, lies under a host mount's source, and resolves beneath that
 * mount on the host: every intermediate symlink (and the final one when
 * the call follows it) is resolved by the kernel with openat2
 * RESOLVE_BENEATH from the mount's directory, so a host symlink cannot
 * lead out of it. Writes need a read-write mount. (The host call itself
 * then uses the path again: a host process racing to swap a directory
 * for a symlink in between is not covered; the guest cannot do that
 * except through these same checks.) */
static bool path_clean(const char *p) {
    if (p[0] != '/')
        return false;
    for (const char *c = p; *c;) {
        while (*c == '/')
            c++;
        const char *e = c;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - c);
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c = e;
    }
    return true;
}

static bool under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        return true;
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* O_PATH fds of the host mounts' sources (kvm_hc_init), by mount index. */
#define MAX_MOUNT_FDS 256
static int g_mount_fds[MAX_MOUNT_FDS];

/* 0 if rel (relative to the mount directory mfd) resolves beneath it, or
 * does not exist yet while its deepest existing ancestor does. */
static int beneath(int mfd, const char *rel, bool follow) {
    char buf[MAX_URI];
    size_t n = strlen(rel);
    if (n >= sizeof(buf))
        return -PAL_ERR_TOOLONG;
    memcpy(buf, rel, n + 1);
    for (;;) {
        while (n > 0 && buf[n - 1] == '/')
            buf[--n] = '\0';
        if (n == 0)
            return 0; /* the mount directory itself */
        struct open_how how = {.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
        int fd = (int)syscall(SYS_openat2, mfd, buf, &how, sizeof(how));
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno == EXDEV || errno == ELOOP)
            return -PAL_ERR_DENIED; /* a symlink out of the mount */
        if (errno != ENOENT)
            return 0; /* ENOTDIR, EACCES...: the call itself fails the same way */
        /* Missing: what exists of its parents must still be beneath. */
        while (n > 0 && buf[n - 1] != '/')
            buf[--n] = '\0';
        follow = true;
    }
}

/* 0, or -PAL_ERR_DENIED / -PAL_ERR_READONLY. The deepest mount decides. */
static int path_allowed_f(const char *path, bool write, bool follow) {
    if (!path_clean(path))
        return -PAL_ERR_DENIED;
    const struct libos_mount_spec *best = NULL;
    size_t best_len = 0, best_i = 0;
    for (size_t i = 0; g_manifest && i < g_manifest->mount_count; i++) {
        const struct libos_mount_spec *ms = &g_manifest->mounts[i];
        if (ms->type != LIBOS_MOUNT_HOST || !ms->source || !under(path, ms->source))
            continue;
        size_t l = strlen(ms->source);
        if (!best || l >= best_len)
            best = ms, best_len = l, best_i = i;
    }
    if (!best)
        return -PAL_ERR_DENIED;
    if (write && best->readonly)
        return -PAL_ERR_READONLY;
    int mfd = best_i < MAX_MOUNT_FDS ? g_mount_fds[best_i] : -1;
    if (mfd <= 0)
        return g_manifest_checked ? -PAL_ERR_DENIED : 0;
    const char *rel = path + best_len;
    while (*rel == '/')
        rel++;
    return beneath(mfd, rel, follow);
}

static int path_allowed(const char *path, bool write) {
    return path_allowed_f(path, write, false);
}

/* file:/dir: URIs under the policy, console:0-2 and memfd: as they are;
 * everything else (network, pipes) is not offered yet. */
static int uri_allowed_f(const char *uri, bool write, bool follow) {
    static const char *const later[] = {"tcp:",      "tcp.srv:", "udp:",      "udp.srv:", "unix:",
                                        "unix.srv:", "pipe:",    "pipe.srv:", "eventfd:"};
    const char *path = !strncmp(uri, "file:", 5) ? uri + 5 : !strncmp(uri, "dir:", 4) ? uri + 4 : 0;
    if (path)
        return path[0] ? path_allowed_f(path, write, follow) : -PAL_ERR_INVAL;
    if (!strncmp(uri, "console:", 8) || !strncmp(uri, "memfd:", 6))
        return 0;
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++)
        if (!strncmp(uri, later[i], strlen(later[i])))
            return -PAL_ERR_NOTSUPPORTED;
    return -PAL_ERR_INVAL;
}

static int uri_allowed(const char *uri, bool write) {
    return uri_allowed_f(uri, write, false);
}

/* ----------------------------------------------------------- checks */
struct req {
    uint8_t *data; /* the data window, host address */
};

static bool data_ok(uint64_t off, uint64_t len) {
    return off <= KVM_DATA_SIZE && len <= KVM_DATA_SIZE - off;
}

/* Copies a URI out of the data window into buf (NUL-terminated). */
static int get_uri(const struct req *q, uint64_t off, uint64_t len, char *buf) {
    if (!data_ok(off, len) || len == 0 || len >= MAX_URI)
        return -PAL_ERR_INVAL;
    memcpy(buf, q->data + off, len);
    buf[len] = '\0';
    if (strlen(buf) != len)
        return -PAL_ERR_INVAL; /* embedded NUL */
    return 0;
}

static pal_handle_t *get_handle(uint64_t id) {
    return id < MAX_HANDLES ? g_handles[id].h : NULL;
}

static const char *uri_host_path(const char *uri) {
    if (!strncmp(uri, "file:", 5))
        return uri + 5;
    if (!strncmp(uri, "dir:", 4))
        return uri + 4;
    return NULL;
}

static int64_t new_handle(pal_handle_t *h, const char *uri) {
    const char *path = uri_host_path(uri);
    pthread_mutex_lock(&g_handles_lock);
    for (int i = 0; i < MAX_HANDLES; i++)
        if (!g_handles[i].h) {
            g_handles[i].path = path ? strdup(path) : NULL;
            if (path && !g_handles[i].path)
                break;
            g_handles[i].h = h;
            g_handles[i].plain = 0;
            pthread_mutex_unlock(&g_handles_lock);
            return i;
        }
    pthread_mutex_unlock(&g_handles_lock);
    pal_stream_close(h);
    return -PAL_ERR_NOSPACE;
}

static void drop_handle(int i) {
    pthread_mutex_lock(&g_handles_lock);
    pal_handle_t *h = g_handles[i].h;
    char *path = g_handles[i].path;
    g_handles[i].h = NULL;
    g_handles[i].path = NULL;
    pthread_mutex_unlock(&g_handles_lock);
    if (h)
        pal_stream_close(h);
    free(path);
}

/* ----------------------------------------------------------- calls */
static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int64_t hc_open(const struct req *q, const uint64_t *a) {
    char uri[MAX_URI];
    int r = get_uri(q, a[0], a[1], uri);
    if (r < 0)
        return r;
    uint32_t access = (uint32_t)a[2], create = (uint32_t)a[4], options = (uint32_t)a[5];
    bool write = (access & PAL_ACCESS_MASK) != PAL_ACCESS_RDONLY || create != PAL_CREATE_NEVER ||
                 (options & PAL_OPTION_TRUNCATE);
    if ((r = uri_allowed_f(uri, write, !(options & PAL_OPTION_NOFOLLOW))) < 0)
        return r;
    pal_handle_t *h;
    if ((r = pal_stream_open(uri, access, (uint32_t)a[3], create, options, &h)) < 0)
        return r;
    return new_handle(h, uri);
}

static int64_t hc_rw(const struct req *q, const uint64_t *a, bool write) {
    pal_handle_t *h = get_handle(a[0]);
    if (!h)
        return -PAL_ERR_BADHANDLE;
    if (!data_ok(a[2], a[3]))
        return -PAL_ERR_INVAL;
    return write ? pal_stream_write(h, a[1], q->data + a[2], a[3])
                 : pal_stream_read(h, a[1], q->data + a[2], a[3]);
}

static int64_t hc_path_call(const struct req *q, uint32_t nr, const uint64_t *a) {
    char uri[MAX_URI];
    int r = get_uri(q, a[0], a[1], uri);
    if (r < 0)
        return r;
    bool write = nr == KVM_HC_DELETE;
    bool follow = (nr == KVM_HC_ATTR && !a[2]) || nr == KVM_HC_FS_INFO;
    if ((r = uri_allowed_f(uri, write, follow)) < 0)
        return r;
    switch (nr) {
    case KVM_HC_ATTR:
        if (!data_ok(a[3], sizeof(struct pal_stream_attr)))
            return -PAL_ERR_INVAL;
        struct pal_stream_attr attr;
        r = pal_stream_attr_query(uri, a[2] != 0, &attr);
        if (r == 0)
            memcpy(q->data + a[3], &attr, sizeof(attr));
        return r;
    case KVM_HC_READLINK: {
        if (!data_ok(a[2], a[3]))
            return -PAL_ERR_INVAL;
        return pal_stream_readlink(uri, (char *)q->data + a[2], a[3]);
    }
    case KVM_HC_DELETE:
        return pal_stream_delete(uri);
    case KVM_HC_FS_INFO: {
        if (!data_ok(a[2], sizeof(struct pal_fs_info)))
            return -PAL_ERR_INVAL;
        struct pal_fs_info fi;
        r = pal_fs_info(uri, &fi);
        if (r == 0)
            memcpy(q->data + a[2], &fi, sizeof(fi));
        return r;
    }
    }
    return -PAL_ERR_INVAL;
}

static int64_t hc_link(const struct req *q, const uint64_t *a) {
    char target[MAX_URI], uri[MAX_URI];
    int r = get_uri(q, a[0], a[1], target);
    if (r == 0)
        r = get_uri(q, a[2], a[3], uri);
    if (r < 0)
        return r;
    if ((r = uri_allowed(uri, true)) < 0)
        return r;
    /* A hard link's target is an object too: it must be visible. */
    if (!a[4] && (r = uri_allowed(target, false)) < 0)
        return r;
    return pal_stream_link(target, uri, a[4] != 0);
}

static int64_t hc_rename(const struct req *q, const uint64_t *a) {
    pal_handle_t *h = get_handle(a[0]);
    char uri[MAX_URI];
    if (!h)
        return -PAL_ERR_BADHANDLE;
    int r = get_uri(q, a[1], a[2], uri);
    if (r < 0 || (r = uri_allowed(uri, true)) < 0)
        return r;
    /* The source must be writable too: rename removes its old name. The
     * PAL handle keeps the host path it was opened with. */
    const char *old = g_handles[a[0]].path;
    if (!old)
        return -PAL_ERR_BADHANDLE;
    if ((r = path_allowed(old, true)) < 0)
        return r;
    r = pal_stream_rename(h, uri);
    if (r == 0) {
        char *p = strdup(uri_host_path(uri) ? uri_host_path(uri) : "");
        if (p) {
            free(g_handles[a[0]].path);
            g_handles[a[0]].path = p;
        }
    }
    return r;
}

static int64_t hc_handle_call(const struct req *q, uint32_t nr, const uint64_t *a) {
    pal_handle_t *h = get_handle(a[0]);
    if (!h)
        return -PAL_ERR_BADHANDLE;
    switch (nr) {
    case KVM_HC_CLOSE:
        drop_handle((int)a[0]);
        return 0;
    case KVM_HC_SEEK:
        return pal_stream_seek(h, (int64_t)a[1], (uint32_t)a[2]);
    case KVM_HC_ATTR_HANDLE: {
        if (!data_ok(a[1], sizeof(struct pal_stream_attr)))
            return -PAL_ERR_INVAL;
        struct pal_stream_attr attr;
        int r = pal_stream_attr_query_handle(h, &attr);
        if (r == 0)
            memcpy(q->data + a[1], &attr, sizeof(attr));
        return r;
    }
    case KVM_HC_ATTR_SET: {
        if (!data_ok(a[2], sizeof(struct pal_stream_attr)))
            return -PAL_ERR_INVAL;
        struct pal_stream_attr attr;
        memcpy(&attr, q->data + a[2], sizeof(attr));
        attr.nonblocking = attr.nonblocking != 0; /* a bool must be 0 or 1 */
        const char *path = g_handles[a[0]].path;
        if (path && (a[1] & (PAL_ATTR_MODE | PAL_ATTR_TIMES | PAL_ATTR_OWNER))) {
            int r = path_allowed(path, true);
            if (r < 0)
                return r;
        }
        return pal_stream_attr_set_handle(h, (uint32_t)a[1], &attr);
    }
    case KVM_HC_READDIR:
        if (!data_ok(a[1], a[2]))
            return -PAL_ERR_INVAL;
        return pal_stream_readdir(h, q->data + a[1], a[2]);
    case KVM_HC_SET_LENGTH:
        return pal_stream_set_length(h, a[1]);
    case KVM_HC_FLUSH:
        return pal_stream_flush(h);
    case KVM_HC_TERM: {
        struct pal_term_mode m;
        if (!data_ok(a[2], sizeof(m)) || a[1] > 1 + PAL_TERM_FLUSH)
            return -PAL_ERR_INVAL;
        if (a[1] == 0) {
            int r = pal_console_get_mode(h, &m);
            if (r == 0)
                memcpy(q->data + a[2], &m, sizeof(m));
            return r;
        }
        memcpy(&m, q->data + a[2], sizeof(m));
        return pal_console_set_mode(h, (int)a[1] - 1, &m);
    }
    case KVM_HC_REOPEN: { /* the Linux PAL's reopen: memfds only */
        pal_handle_t *h2;
        int r = pal_stream_reopen(h, &h2);
        return r < 0 ? r : new_handle(h2, "");
    }
    }
    return -PAL_ERR_INVAL;
}

static int64_t hc_log(const struct req *q, const uint64_t *a) {
    if (!data_ok(a[0], a[1]))
        return -PAL_ERR_INVAL;
    int fd = a[2] == 1 ? g_trace_fd : g_log_fd;
    if (fd < 0)
        return -PAL_ERR_BADHANDLE;
    const uint8_t *p = q->data + a[0];
    size_t n = a[1];
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -PAL_ERR_IO;
        p += w, n -= (size_t)w;
    }
    return (int64_t)a[1];
}

static int64_t hc_time(uint64_t *a) {
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                    CLOCK_THREAD_CPUTIME_ID};
    if (a[0] >= sizeof(ids) / sizeof(ids[0]))
        return -PAL_ERR_INVAL;
    a[1] = now_ns(ids[a[0]]);
    return 0;
}

static int64_t hc_random(const struct req *q, const uint64_t *a) {
    if (!data_ok(a[0], a[1]))
        return -PAL_ERR_INVAL;
    size_t done = 0;
    while (done < a[1]) {
        ssize_t r = getrandom(q->data + a[0] + done, a[1] - done, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -PAL_ERR_IO;
        done += (size_t)r;
    }
    return 0;
}

static int64_t hc_sleep(const uint64_t *a) {
    uint64_t ns = a[0] > 60ULL * 1000000000ULL ? 60ULL * 1000000000ULL : a[0];
    struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
    nanosleep(&ts, NULL);
    return 0;
}

/* ----------------------------------------------------------- sockets */
/* The manifest's [net] grants, checked again here (the libos checks them
 * first, with messages): INET addresses against net.bind / net.connect,
 * named AF_UNIX sockets as host paths under the mounts (bind creates a
 * node: it needs a writable mount). Abstract names are the sandbox's. */
static int addr_allowed(const struct pal_sockaddr *a, bool bind) {
    if (a->family == PAL_NET_INET || a->family == PAL_NET_INET6) {
        int fam = a->family == PAL_NET_INET ? 4 : 6;
        bool ok =
            g_manifest &&
            (bind ? libos_net_rules_allow(g_manifest->net_bind, g_manifest->net_bind_count, fam,
                                          a->addr, a->port)
                  : libos_net_rules_allow(g_manifest->net_connect, g_manifest->net_connect_count,
                                          fam, a->addr, a->port));
        return ok ? 0 : -PAL_ERR_DENIED;
    }
    if (a->family == PAL_NET_UNIX) {
        if (a->path_len > sizeof(a->path))
            return -PAL_ERR_INVAL;
        if (a->path_len == 0 || a->path[0] == '\0')
            return 0;
        char p[sizeof(a->path) + 1];
        memcpy(p, a->path, a->path_len);
        p[a->path_len] = '\0';
        return path_allowed(p, bind);
    }
    return a->family == PAL_NET_UNSPEC ? 0 : -PAL_ERR_INVAL;
}

/* The address at data[KVM_DATA_ADDR], copied once. */
static void get_addr(const struct req *q, struct pal_sockaddr *a) {
    memcpy(a, q->data + KVM_DATA_ADDR, sizeof(*a));
}

static int64_t hc_socket_call(const struct req *q, uint32_t nr, uint64_t *a) {
    pal_handle_t *h = NULL, *h2 = NULL;
    struct pal_sockaddr addr;
    int r;
    switch (nr) {
    case KVM_HC_PAIR: {
        if ((r = pal_stream_pair((uint32_t)a[0], (uint32_t)a[1], &h, &h2)) < 0)
            return r;
        /* new_handle closes the PAL handle it cannot place */
        int64_t ia = new_handle(h, "");
        if (ia < 0) {
            pal_stream_close(h2);
            return ia;
        }
        int64_t ib = new_handle(h2, "");
        if (ib < 0) {
            drop_handle((int)ia);
            return ib;
        }
        a[1] = (uint64_t)ib;
        return ia;
    }
    case KVM_HC_SOCKET:
        if ((r = pal_socket_create((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], &h)) < 0)
            return r;
        return new_handle(h, "");
    }
    if (!(h = get_handle(a[0])))
        return -PAL_ERR_BADHANDLE;
    switch (nr) {
    case KVM_HC_BIND:
    case KVM_HC_CONNECT:
        get_addr(q, &addr);
        if ((r = addr_allowed(&addr, nr == KVM_HC_BIND)) < 0)
            return r;
        return nr == KVM_HC_BIND ? pal_socket_bind(h, &addr) : pal_socket_connect(h, &addr);
    case KVM_HC_LISTEN:
        return pal_socket_listen(h, (int)a[1]);
    case KVM_HC_NAME:
        memset(&addr, 0, sizeof(addr));
        if ((r = pal_socket_name(h, a[1] != 0, &addr)) == 0)
            memcpy(q->data + KVM_DATA_ADDR, &addr, sizeof(addr));
        return r;
    case KVM_HC_ACCEPT:
        if ((r = pal_stream_accept(h, (uint32_t)a[1], &h2)) < 0)
            return r;
        return new_handle(h2, "");
    case KVM_HC_SEND:
    case KVM_HC_RECV: {
        if (a[1] > KVM_DATA_SIZE - KVM_DATA_MSG)
            return -PAL_ERR_INVAL;
        struct pal_iovec iov = {q->data + KVM_DATA_MSG, a[1]};
        struct pal_msg msg = {.iov = &iov, .iov_count = 1, .flags = (uint32_t)a[2]};
        /* Handles ride along as the tender's own (host fds over the host
         * socket); the receiver gets new ids for them. */
        pal_handle_t *cargo[KVM_MSG_HANDLES_MAX];
        uint64_t ids[KVM_MSG_HANDLES_MAX];
        if (a[4] > KVM_MSG_HANDLES_MAX)
            return -PAL_ERR_INVAL;
        if (a[4]) {
            memcpy(ids, q->data + KVM_DATA_HANDLES, a[4] * sizeof(ids[0]));
            for (uint64_t i = 0; i < a[4] && nr == KVM_HC_SEND; i++)
                if (!(cargo[i] = get_handle(ids[i])))
                    return -PAL_ERR_BADHANDLE;
            msg.handles = cargo;
            msg.handle_count = a[4];
        }
        if (a[3]) {
            if (nr == KVM_HC_SEND) {
                get_addr(q, &addr);
                if ((r = addr_allowed(&addr, false)) < 0)
                    return r;
            } else {
                memset(&addr, 0, sizeof(addr));
            }
            msg.addr = &addr;
        }
        int64_t n = nr == KVM_HC_SEND ? pal_socket_send(h, &msg) : pal_socket_recv(h, &msg);
        if (nr == KVM_HC_RECV && n >= 0) {
            uint64_t got = 0;
            for (size_t i = 0; msg.handles && i < msg.handle_count; i++) {
                int64_t id = new_handle(cargo[i], "");
                if (id >= 0)
                    ids[got++] = (uint64_t)id;
                else
                    msg.flags |= PAL_MSG_CTRUNC;
            }
            memcpy(q->data + KVM_DATA_HANDLES, ids, got * sizeof(ids[0]));
            a[4] = got;
            a[2] = msg.flags;
            if (a[3])
                memcpy(q->data + KVM_DATA_ADDR, &addr, sizeof(addr));
        }
        return n;
    }
    case KVM_HC_SOCKOPT: {
        uint64_t v = a[3];
        r = pal_socket_option(h, (uint32_t)a[1], a[2] != 0, &v);
        a[3] = v;
        return r;
    }
    case KVM_HC_SHUTDOWN:
        return pal_stream_shutdown(h, (uint32_t)a[1]);
    }
    return -PAL_ERR_INVAL;
}

int kvm_hostio_fd(const pal_handle_t *h);

int kvm_hc_new_pair(int64_t *a, int64_t *b) {
    uint64_t args[6] = {PAL_SOCK_STREAM, 0, 0, 0, 0, 0};
    int64_t r = hc_socket_call(NULL, KVM_HC_PAIR, args);
    if (r < 0)
        return (int)r;
    *a = r;
    *b = (int64_t)args[1];
    return 0;
}

void kvm_hc_close_id(int64_t id) {
    if (id >= 0 && id < MAX_HANDLES && g_handles[id].h)
        drop_handle((int)id);
}

int kvm_hc_handle_fd(uint64_t id) {
    pal_handle_t *h = get_handle(id);
    return h ? kvm_hostio_fd(h) : -1;
}

/* A handle's host fd for a shared mapping; *writable: the fd is open for
 * writing and, when the host path is known, its mount is read-write (a
 * read-only mount never yields a writable fd, checked again anyway). */
int kvm_hc_map_fd(uint64_t id, bool *writable) {
    int fd = kvm_hc_handle_fd(id);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    *writable = fl >= 0 && (fl & O_ACCMODE) == O_RDWR;
    pthread_mutex_lock(&g_handles_lock);
    char *path = g_handles[id].path ? strdup(g_handles[id].path) : NULL;
    pthread_mutex_unlock(&g_handles_lock);
    if (path && path_allowed(path, true) < 0)
        *writable = false;
    free(path);
    return fd;
}

/* In the child tender of a PROCESS_CREATE (only the calling thread runs):
 * a fresh instance starts with the consoles and its stream only. */
void kvm_hc_keep_only(int64_t keep) {
    pthread_mutex_init(&g_handles_lock, NULL); /* another thread may have held it */
    for (int i = 3; i < MAX_HANDLES; i++)
        if (i != keep && g_handles[i].h)
            drop_handle(i);
}

/* ------------------------------------------------ request rings */
/* Whether the host object behind handle id cannot block a call: a regular
 * file (memfds too) or a directory. Consoles, pipes, sockets, FIFOs and
 * devices go to the vCPU's own thread. Cached per handle id. */
static bool plain_handle(uint64_t id) {
    if (id >= MAX_HANDLES || !g_handles[id].h)
        return true; /* fails at once (BADHANDLE) */
    int p = __atomic_load_n(&g_handles[id].plain, __ATOMIC_RELAXED);
    if (!p) {
        struct stat st;
        int fd = kvm_hc_handle_fd(id);
        p = fd >= 0 && fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) ? 1 : -1;
        __atomic_store_n(&g_handles[id].plain, p, __ATOMIC_RELAXED);
    }
    return p > 0;
}

/* An open of a file that exists as a regular file or directory (or does
 * not exist: it is created or fails), a dir: or a memfd:. The URI is read
 * again by the call itself: a guest that swaps it meanwhile for a FIFO
 * only stalls the ring server, which then serves nobody but itself. */
static bool plain_open(const struct kvm_hc *hc, const uint8_t *data) {
    char uri[MAX_URI];
    struct req q = {.data = (uint8_t *)data};
    if (get_uri(&q, hc->a[0], hc->a[1], uri) < 0)
        return true; /* fails at once */
    if (!strncmp(uri, "dir:", 4) || !strncmp(uri, "memfd:", 6))
        return true;
    if (strncmp(uri, "file:", 5))
        return false;
    struct stat st;
    if (stat(uri + 5, &st) < 0)
        return errno == ENOENT;
    return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

bool kvm_hc_ring_offthread(const struct kvm_hc *hc, const uint8_t *data) {
    switch (hc->nr) {
    case KVM_HC_NOP:
    case KVM_HC_RANDOM:
    case KVM_HC_ATTR:
    case KVM_HC_READLINK:
    case KVM_HC_DELETE:
    case KVM_HC_FS_INFO:
    case KVM_HC_LINK:
        return true;
    case KVM_HC_OPEN:
        return plain_open(hc, data);
    case KVM_HC_CLOSE:
    case KVM_HC_READ:
    case KVM_HC_WRITE:
    case KVM_HC_SEEK:
    case KVM_HC_ATTR_HANDLE:
    case KVM_HC_ATTR_SET:
    case KVM_HC_READDIR:
    case KVM_HC_SET_LENGTH:
    case KVM_HC_FLUSH:
    case KVM_HC_RENAME:
        return plain_handle(hc->a[0]);
    }
    return false; /* TIME (thread clocks), and anything else */
}

int kvm_hc_serve(uint8_t *mem, uint64_t mem_size, struct kvm_hc *shared, int *status) {
    (void)mem_size;
    return kvm_hc_serve_vcpu(NULL, NULL, shared, mem + KVM_GPA_DATA, status);
}

int kvm_hc_serve_vcpu(struct kvm_vm *vm, struct kvm_vcpu *v, struct kvm_hc *shared, uint8_t *data,
                      int *status) {
    struct kvm_hc hc;
    memcpy(&hc, shared, sizeof(hc)); /* read the request once */
    struct req q = {.data = data};
    int64_t r;
    int action = 0;
    switch (hc.nr) {
    case KVM_HC_EXIT:
        *status = (int)(hc.a[0] & 0xff);
        return 1;
    case KVM_HC_LOG:
        r = hc_log(&q, hc.a);
        break;
    case KVM_HC_OPEN:
        r = hc_open(&q, hc.a);
        break;
    case KVM_HC_READ:
    case KVM_HC_WRITE:
        r = hc_rw(&q, hc.a, hc.nr == KVM_HC_WRITE);
        break;
    case KVM_HC_CLOSE:
    case KVM_HC_SEEK:
    case KVM_HC_ATTR_HANDLE:
    case KVM_HC_ATTR_SET:
    case KVM_HC_READDIR:
    case KVM_HC_SET_LENGTH:
    case KVM_HC_FLUSH:
    case KVM_HC_REOPEN:
    case KVM_HC_TERM:
        r = hc_handle_call(&q, hc.nr, hc.a);
        break;
    case KVM_HC_ATTR:
    case KVM_HC_READLINK:
    case KVM_HC_DELETE:
    case KVM_HC_FS_INFO:
        r = hc_path_call(&q, hc.nr, hc.a);
        break;
    case KVM_HC_LINK:
        r = hc_link(&q, hc.a);
        break;
    case KVM_HC_RENAME:
        r = hc_rename(&q, hc.a);
        break;
    case KVM_HC_TIME:
        r = hc_time(hc.a);
        shared->a[1] = hc.a[1];
        break;
    case KVM_HC_RANDOM:
        r = hc_random(&q, hc.a);
        break;
    case KVM_HC_SLEEP:
        r = hc_sleep(hc.a);
        break;
    case KVM_HC_NOP:
        r = 0;
        break;
    case KVM_HC_PAIR:
    case KVM_HC_SOCKET:
    case KVM_HC_BIND:
    case KVM_HC_LISTEN:
    case KVM_HC_CONNECT:
    case KVM_HC_NAME:
    case KVM_HC_ACCEPT:
    case KVM_HC_SEND:
    case KVM_HC_RECV:
    case KVM_HC_SOCKOPT:
    case KVM_HC_SHUTDOWN:
        r = hc_socket_call(&q, hc.nr, hc.a);
        shared->a[1] = hc.a[1]; /* results some calls return there */
        shared->a[2] = hc.a[2];
        shared->a[3] = hc.a[3];
        shared->a[4] = hc.a[4];
        break;
    case KVM_HC_RING_WAIT:
        r = vm && v ? kvm_ring_wait(vm, v, hc.a[0], hc.a[1] != 0) : -PAL_ERR_NOTIMPLEMENTED;
        break;
    case KVM_HC_SHMAP:
    case KVM_HC_FORK:
    case KVM_HC_PROCESS_CREATE:
    case KVM_HC_SHUNMAP:
        r = vm && v ? kvm_vcpu_call(vm, v, hc.nr, hc.a, data, &action) : -PAL_ERR_NOTIMPLEMENTED;
        shared->a[1] = hc.a[1];
        break;
    case KVM_HC_THREAD_NEW:
    case KVM_HC_THREAD_START:
    case KVM_HC_THREAD_EXIT:
    case KVM_HC_THREAD_INTERRUPT:
    case KVM_HC_WAIT:
    case KVM_HC_WAKE:
    case KVM_HC_TLB_SHOOTDOWN:
    case KVM_HC_YIELD:
        r = vm && v ? kvm_vcpu_call(vm, v, hc.nr, hc.a, data, &action) : -PAL_ERR_NOTIMPLEMENTED;
        if (action == 1)
            *status = (int)(hc.a[0] & 0xff);
        if (action)
            return action;
        break;
    default:
        r = -PAL_ERR_NOTIMPLEMENTED;
        break;
    }
    shared->ret = r;
    return 0;
}

int kvm_hc_init(const struct kvm_tender_config *cfg, const struct libos_manifest *m) {
    g_manifest = m;
    for (size_t i = 0; m && i < m->mount_count && i < MAX_MOUNT_FDS; i++) {
        const struct libos_mount_spec *ms = &m->mounts[i];
        g_mount_fds[i] = ms->type == LIBOS_MOUNT_HOST && ms->source
                             ? open(ms->source, O_PATH | O_DIRECTORY | O_CLOEXEC)
                             : -1;
    }
    g_manifest_checked = true;
    /* Pipes and sockets report a gone reader as PAL_ERR_PIPE; a host
     * SIGPIPE must not kill the tender. */
    signal(SIGPIPE, SIG_IGN);
    /* Forked tenders (fork of the guest) report to the libos, not to a
     * host wait: let the kernel reap them. */
    signal(SIGCHLD, SIG_IGN);
    g_log_fd = cfg->log_fd >= 0 ? cfg->log_fd : 2;
    g_trace_fd = cfg->trace_fd;
    static const char *const consoles[] = {"console:0", "console:1", "console:2"};
    for (int i = 0; i < 3; i++) {
        uint32_t access = i == 0 ? PAL_ACCESS_RDONLY : PAL_ACCESS_WRONLY;
        int r = pal_stream_open(consoles[i], access, 0, PAL_CREATE_NEVER, 0, &g_handles[i].h);
        if (r < 0)
            g_handles[i].h = NULL; /* a closed host stdio stays closed */
    }
    return 0;
}

void kvm_hc_fini(void) {
    for (int i = 0; i < MAX_HANDLES; i++)
        if (g_handles[i].h)
            drop_handle(i);
    for (size_t i = 0; g_manifest && i < g_manifest->mount_count && i < MAX_MOUNT_FDS; i++)
        if (g_mount_fds[i] > 0)
            close(g_mount_fds[i]);
    g_manifest_checked = false;
    g_manifest = NULL;
}
