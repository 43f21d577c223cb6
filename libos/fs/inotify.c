/* inotify: watches on file identities (st_dev, st_ino), fed by the VFS
 * and sys/fs.c through libos_fsnotify() for changes made inside this
 * libos instance (not by the host or other sandboxed processes). One lock
 * guards every instance; events queue per instance and wake its waitq. */
#include "libos_fs.h"
#include "libos_poll.h"
#include "libos_syscalls.h"

#define IN_ACCESS 0x1U
#define IN_OPEN 0x20U
#define IN_ALL_EVENTS 0xfffU
#define IN_UNMOUNT 0x2000U
#define IN_Q_OVERFLOW 0x4000U
#define IN_IGNORED 0x8000U
#define IN_ONLYDIR 0x01000000U
#define IN_DONT_FOLLOW 0x02000000U
#define IN_EXCL_UNLINK 0x04000000U
#define IN_MASK_CREATE 0x10000000U
#define IN_MASK_ADD 0x20000000U
#define IN_ONESHOT 0x80000000U
#define IN_CLOEXEC O_CLOEXEC
#define IN_NONBLOCK O_NONBLOCK
#define MAX_QUEUED 16384 /* Linux's max_queued_events */
#define MAX_WATCHES 8192

struct inotify_event_hdr {
    int32_t wd;
    uint32_t mask, cookie, len;
};

struct in_event {
    struct in_event *next;
    struct inotify_event_hdr h;
    char name[]; /* h.len bytes, NUL-padded */
};

struct in_watch {
    struct in_watch *next;
    int wd;
    uint32_t mask;
    uint64_t dev, ino;
};

struct inotify {
    struct inotify *next; /* in g_instances */
    struct in_watch *watches;
    int next_wd;
    struct in_event *head, *tail;
    size_t queued, bytes;
    struct libos_waitq waitq;
};

static struct libos_lock g_in_lock = LIBOS_LOCK_INIT;
static struct inotify *g_instances;
static int g_nwatches; /* all instances; read without the lock */

bool libos_fsnotify_active(void) {
    return __atomic_load_n(&g_nwatches, __ATOMIC_RELAXED) > 0;
}

/* Caller holds g_in_lock. Linux merges an event equal to the last one. */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
                        const char *name) {
    size_t nlen = name ? strlen(name) : 0;
    uint32_t len = nlen ? ALIGN_UP(nlen + 1, sizeof(struct inotify_event_hdr)) : 0;
    struct in_event *t = in->tail;
    if (t && t->h.wd == wd && t->h.mask == mask && t->h.cookie == cookie && t->h.len == len &&
        (!len || !strcmp(t->name, name)))
        return;
    if (in->queued >= MAX_QUEUED) {
        if (t && t->h.mask == IN_Q_OVERFLOW)
            return;
        wd = -1, mask = IN_Q_OVERFLOW, cookie = 0, len = 0;
    }
    struct in_event *e = libos_calloc(1, sizeof(*e) + len);
    if (!e)
        return;
    e->h = (struct inotify_event_hdr){wd, mask, cookie, len};
    if (len)
        memcpy(e->name, name, nlen);
    if (in->tail)
        in->tail->next = e;
    else
        in->head = e;
    in->tail = e;
    in->queued++;
    in->bytes += sizeof(e->h) + len;
}

/* Caller holds g_in_lock. Removes w and reports IN_IGNORED. */
static void drop_watch(struct inotify *in, struct in_watch *w) {
    struct in_watch **pp = &in->watches;
    while (*pp != w)
        pp = &(*pp)->next;
    *pp = w->next;
    queue_event(in, w->wd, IN_IGNORED, 0, NULL);
    libos_free(w);
    __atomic_sub_fetch(&g_nwatches, 1, __ATOMIC_RELAXED);
}

/* What a watch on the object itself sees of an event on it. */
static uint32_t self_mask(uint32_t mask, const struct linux_stat *st) {
    uint32_t ev = mask & IN_ALL_EVENTS;
    if (ev & LIBOS_IN_MOVED_FROM)
        return LIBOS_IN_MOVE_SELF;
    if (ev & LIBOS_IN_DELETE)
        return (S_ISDIR(st->st_mode) || st->st_nlink <= 1) ? LIBOS_IN_DELETE_SELF : LIBOS_IN_ATTRIB;
    if (ev & (LIBOS_IN_CREATE | LIBOS_IN_MOVED_TO))
        return 0;
    return ev;
}

static void deliver(bool have_self, const struct linux_stat *self, bool have_dir,
                    const struct linux_stat *dir, const char *name, uint32_t mask,
                    uint32_t cookie) {
    uint32_t isdir = (have_self && S_ISDIR(self->st_mode)) ? LIBOS_IN_ISDIR : 0;
    isdir |= mask & LIBOS_IN_ISDIR;
    uint32_t smask = have_self ? self_mask(mask, self) : 0;
    libos_lock(&g_in_lock);
    for (struct inotify *in = g_instances; in; in = in->next) {
        bool woke = false;
        for (struct in_watch *w = in->watches, *next; w; w = next) {
            next = w->next;
            uint32_t ev = 0;
            if (have_dir && w->dev == dir->st_dev && w->ino == dir->st_ino &&
                (w->mask & mask & IN_ALL_EVENTS)) {
                queue_event(in, w->wd, (mask & IN_ALL_EVENTS) | isdir, cookie, name);
                ev = 1;
            }
            if (have_self && w->dev == self->st_dev && w->ino == self->st_ino && smask) {
                uint32_t m = smask & w->mask;
                if (m)
                    queue_event(in, w->wd, m | (m & LIBOS_IN_DELETE_SELF ? 0 : isdir), 0, NULL);
                if (smask & LIBOS_IN_DELETE_SELF) {
                    drop_watch(in, w); /* the object is gone */
                    woke = true;
                    continue;
                }
                ev |= m != 0;
            }
            if (ev && (w->mask & IN_ONESHOT))
                drop_watch(in, w);
            woke |= ev != 0;
        }
        if (woke)
            libos_waitq_wake_all(&in->waitq);
    }
    libos_unlock(&g_in_lock);
}

void libos_fsnotify(const char *abs, const struct linux_stat *st, uint32_t mask, uint32_t cookie) {
    if (!libos_fsnotify_active() || !abs || abs[0] != '/')
        return;
    struct linux_stat self, dir;
    bool have_self = st ? (self = *st, true) : !libos_vfs_stat_abs(abs, &self);
    const char *slash = strrchr(abs, '/');
    bool have_dir = false;
    if (abs[1]) {
        char *parent = libos_strndup(abs, slash == abs ? 1 : (size_t)(slash - abs));
        have_dir = parent && !libos_vfs_stat_abs(parent, &dir);
        libos_free(parent);
    }
    deliver(have_self, &self, have_dir, &dir, slash + 1, mask, cookie);
}

/* A file's last reference went: IN_CLOSE_WRITE or IN_CLOSE_NOWRITE. */
void libos_inotify_file_closed(struct libos_file *f) {
    if (!libos_fsnotify_active() || !f->path || !f->mount || (f->flags & O_PATH))
        return;
    bool wrote = (f->flags & O_ACCMODE) != O_RDONLY;
    libos_fsnotify(f->path, NULL, wrote ? LIBOS_IN_CLOSE_WRITE : LIBOS_IN_CLOSE_NOWRITE, 0);
}

/* ------------------------------------------------------------ the file */

static bool take_events(struct inotify *in, char *buf, size_t n, int64_t *out) {
    libos_lock(&g_in_lock);
    size_t used = 0;
    while (in->head) {
        struct in_event *e = in->head;
        size_t sz = sizeof(e->h) + e->h.len;
        if (used + sz > n)
            break;
        memcpy(buf + used, &e->h, sizeof(e->h));
        memcpy(buf + used + sizeof(e->h), e->name, e->h.len);
        used += sz;
        in->head = e->next;
        if (!in->head)
            in->tail = NULL;
        in->queued--;
        in->bytes -= sz;
        libos_free(e);
    }
    bool any = in->head || used;
    *out = used ? (int64_t)used : -EINVAL; /* first event does not fit */
    libos_unlock(&g_in_lock);
    return any;
}

static int64_t in_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct inotify *in = f->priv;
    for (;;) {
        struct libos_waiter w;
        libos_waitq_add(&in->waitq, &w);
        int64_t r;
        bool any = take_events(in, buf, n, &r);
        long wr = 0;
        if (!any && !(f->flags & O_NONBLOCK))
            wr = libos_thread_wait(0, NULL, NULL, NULL, NULL);
        libos_waitq_remove(&in->waitq, &w);
        if (any)
            return r;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (wr == -EINTR)
            return -ERESTARTSYS;
    }
}

static uint32_t in_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    struct inotify *in = f->priv;
    pi->waitq = &in->waitq;
    libos_lock(&g_in_lock);
    bool ready = in->head != NULL;
    libos_unlock(&g_in_lock);
    return ready ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
}

static long in_ioctl(struct libos_file *f, unsigned int cmd, uint64_t arg) {
    struct inotify *in = f->priv;
    if (cmd != FIONREAD)
        return -EINVAL;
    if (!libos_user_range_ok((void *)arg, sizeof(int), true))
        return -EFAULT;
    libos_lock(&g_in_lock);
    *(int *)arg = (int)in->bytes;
    libos_unlock(&g_in_lock);
    return 0;
}

static void in_release(struct libos_file *f) {
    struct inotify *in = f->priv;
    libos_lock(&g_in_lock);
    for (struct inotify **pp = &g_instances; *pp; pp = &(*pp)->next)
        if (*pp == in) {
            *pp = in->next;
            break;
        }
    while (in->watches) {
        struct in_watch *w = in->watches;
        in->watches = w->next;
        libos_free(w);
        __atomic_sub_fetch(&g_nwatches, 1, __ATOMIC_RELAXED);
    }
    while (in->head) {
        struct in_event *e = in->head;
        in->head = e->next;
        libos_free(e);
    }
    libos_unlock(&g_in_lock);
    libos_free(in);
}

static const struct libos_file_ops g_inotify_ops = {
    .read = in_read,
    .stat = libos_anon_stat,
    .poll = in_poll,
    .ioctl = in_ioctl,
    .release = in_release,
};

long libos_sys_inotify_init1(int flags) {
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
        return -EINVAL;
    struct inotify *in = libos_calloc(1, sizeof(*in));
    struct libos_file *f = in ? libos_file_new(NULL, NULL, O_RDONLY | (flags & IN_NONBLOCK)) : NULL;
    if (!f) {
        libos_free(in);
        return -ENOMEM;
    }
    in->waitq = (struct libos_waitq)LIBOS_WAITQ_INIT;
    in->next_wd = 1;
    f->ops = &g_inotify_ops;
    f->priv = in;
    libos_lock(&g_in_lock);
    in->next = g_instances;
    g_instances = in;
    libos_unlock(&g_in_lock);
    long fd = libos_fd_install(f, 0, flags & IN_CLOEXEC);
    libos_file_put(f);
    return fd;
}

long libos_sys_inotify_init(void) {
    return libos_sys_inotify_init1(0);
}

/* The instance behind fd, with a reference on its file in *fp. */
static long get_instance(int fd, struct libos_file **fp, struct inotify **in) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    if (f->ops != &g_inotify_ops) {
        libos_file_put(f);
        return -EINVAL;
    }
    *fp = f;
    *in = f->priv;
    return 0;
}

long libos_sys_inotify_add_watch(int fd, const char *upath, uint32_t mask) {
    struct libos_file *f;
    struct inotify *in;
    long r = get_instance(fd, &f, &in);
    if (r)
        return r;
    char *path = libos_malloc(LIBOS_PATH_MAX);
    struct libos_lookup lk;
    bool looked = false;
    if (!path)
        r = -ENOMEM;
    else if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
        r = -EINVAL;
    else if (!(mask & IN_ALL_EVENTS))
        r = -EINVAL;
    else if ((r = libos_copy_user_string(path, LIBOS_PATH_MAX, upath)) >= 0)
        r = libos_vfs_lookup(AT_FDCWD, path, (mask & IN_DONT_FOLLOW) ? 0 : LIBOS_LOOKUP_FOLLOW,
                             &lk);
    looked = path && r == 0;
    if (looked && (mask & IN_ONLYDIR) && !S_ISDIR(lk.st.st_mode))
        r = -ENOTDIR;
    if (!r) {
        uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK | IN_ONLYDIR);
        libos_lock(&g_in_lock);
        struct in_watch *w = in->watches;
        while (w && !(w->dev == lk.st.st_dev && w->ino == lk.st.st_ino))
            w = w->next;
        if (w && (mask & IN_MASK_CREATE)) {
            r = -EEXIST;
        } else if (w) {
            w->mask = (mask & IN_MASK_ADD) ? (w->mask | keep) : keep;
            r = w->wd;
        } else if (__atomic_load_n(&g_nwatches, __ATOMIC_RELAXED) >= MAX_WATCHES) {
            r = -ENOSPC;
        } else if (!(w = libos_calloc(1, sizeof(*w)))) {
            r = -ENOMEM;
        } else {
            *w = (struct in_watch){in->watches, in->next_wd++, keep, lk.st.st_dev, lk.st.st_ino};
            in->watches = w;
            __atomic_add_fetch(&g_nwatches, 1, __ATOMIC_RELAXED);
            r = w->wd;
        }
        libos_unlock(&g_in_lock);
    }
    if (looked)
        libos_lookup_free(&lk);
    libos_free(path);
    libos_file_put(f);
    return r;
}

long libos_sys_inotify_rm_watch(int fd, int wd) {
    struct libos_file *f;
    struct inotify *in;
    long r = get_instance(fd, &f, &in);
    if (r)
        return r;
    libos_lock(&g_in_lock);
    struct in_watch *w = in->watches;
    while (w && w->wd != wd)
        w = w->next;
    if (w)
        drop_watch(in, w);
    libos_unlock(&g_in_lock);
    if (w)
        libos_waitq_wake_all(&in->waitq);
    libos_file_put(f);
    return w ? 0 : -EINVAL;
}
