/* epoll: interest lists over any pollable file, level- and edge-triggered,
 * one-shot; epoll files are pollable and nestable.
 *
 * An item names (fd, file) and holds the file weakly, as Linux does: the
 * file's last close (release_hook) removes it from every interest list.
 * epoll_wait scans the interest list with the same machinery as poll
 * (libos_poll_loop) and keeps a ready list in the order items became
 * ready, so level-triggered items rotate like Linux's.
 *
 * Edges (EPOLLET) without wake-up callbacks: an item triggers when a bit it
 * waits for is ready now and was not ready at the previous look, or, for
 * libos objects, when its wait queue was stamped (libos_waitq_wake_all) since
 * the previous look, i.e. on every write/new event as Linux. Host-backed
 * files (pipes, sockets, consoles) have no stamp: new data arriving while
 * the item stays ready between two looks is not an edge here, so a reader
 * that did not drain to EAGAIN before the data came may miss it. */
#include "libos_fs.h"
#include "libos_poll.h"
#include "libos_syscalls.h"

#define EP_PRIVATE_BITS                                                                            \
    (LINUX_EPOLLWAKEUP | LINUX_EPOLLONESHOT | LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK_BITS                                                                       \
    (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLERR | LINUX_POLLHUP | LINUX_EPOLLWAKEUP |            \
     LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct linux_epoll_event))
#define EPOLL_CLOEXEC O_CLOEXEC

struct epoll;
struct epitem {
    struct epoll *ep;
    struct libos_file *file; /* weak: see release_hook */
    int fd;
    uint32_t events; /* requested, with ERR|HUP and the private bits */
    uint64_t data;
    uint32_t seen;         /* bits ready at the previous look (edges) */
    uint64_t io_seen;      /* file->io_seq at the previous look */
    uint64_t seq;          /* stamp of q at the previous look */
    struct libos_waitq *q; /* the file's queue, learnt from its poll */
    uint32_t cur;          /* readiness found by the scan in progress */
    uint64_t cur_seq;
    unsigned scan_id; /* which scan cur belongs to */
    int refs;         /* the lists + scans in progress */
    bool dead, on_rd;
    struct epitem *next;   /* interest list */
    struct epitem *fnext;  /* items on the same file (file->hook_data) */
    struct epitem *rdnext; /* ready list */
};
struct epoll {
    struct epitem *items, *items_tail;
    struct epitem *rd_head, *rd_tail;
    struct libos_waitq waitq; /* woken by changes: pollers of the epoll fd */
    unsigned scan_id;
};

/* One lock for every interest list and file item list: held only for list
 * work, never while a file is polled or released. */
static struct libos_lock g_ep_lock = LIBOS_LOCK_INIT;

static const struct libos_file_ops g_epoll_ops;

bool libos_file_is_epoll(struct libos_file *f) {
    return f && f->ops == &g_epoll_ops;
}

static uint32_t poll_bits(uint32_t events) {
    return events & ~EP_PRIVATE_BITS;
}

/* A reference unless the file is already on its way out. */
static bool file_tryget(struct libos_file *f) {
    int c = __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE);
    while (c > 0)
        if (__atomic_compare_exchange_n(&f->refcount, &c, c + 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return true;
    return false;
}

/* ------------------------------------------------------ list helpers */

static void rd_append(struct epoll *ep, struct epitem *it) {
    it->rdnext = NULL;
    if (ep->rd_tail)
        ep->rd_tail->rdnext = it;
    else
        ep->rd_head = it;
    ep->rd_tail = it;
    it->on_rd = true;
}

static void rd_unlink(struct epoll *ep, struct epitem *it) {
    if (!it->on_rd)
        return;
    struct epitem *prev = NULL;
    for (struct epitem *p = ep->rd_head; p; prev = p, p = p->rdnext)
        if (p == it) {
            if (prev)
                prev->rdnext = it->rdnext;
            else
                ep->rd_head = it->rdnext;
            if (ep->rd_tail == it)
                ep->rd_tail = prev;
            break;
        }
    it->on_rd = false;
}

static void item_unref_locked(struct epitem *it) {
    if (--it->refs == 0)
        libos_free(it);
}

/* Unlink it from its epoll, ready list and file; caller holds g_ep_lock. */
static void item_remove_locked(struct epitem *it) {
    struct epoll *ep = it->ep;
    struct epitem **pp;
    for (pp = &ep->items; *pp; pp = &(*pp)->next)
        if (*pp == it) {
            *pp = it->next;
            break;
        }
    if (ep->items_tail == it) {
        ep->items_tail = NULL;
        for (struct epitem *p = ep->items; p; p = p->next)
            ep->items_tail = p;
    }
    rd_unlink(ep, it);
    for (pp = (struct epitem **)&it->file->hook_data; *pp; pp = &(*pp)->fnext)
        if (*pp == it) {
            *pp = it->fnext;
            break;
        }
    it->dead = true;
    item_unref_locked(it);
}

/* The file's last reference is gone: it leaves every interest list. */
static void file_released(struct libos_file *f) {
    libos_lock(&g_ep_lock);
    while (f->hook_data)
        item_remove_locked(f->hook_data);
    libos_unlock(&g_ep_lock);
}

static struct epitem *item_find_locked(struct epoll *ep, struct libos_file *f, int fd) {
    for (struct epitem *it = ep->items; it; it = it->next)
        if (it->file == f && it->fd == fd)
            return it;
    return NULL;
}

/* --------------------------------------------------------------- scan */

struct ep_ent {
    struct epitem *it;
    struct libos_file *file;
    uint32_t m;
    int hidx;
    uint64_t seq;
    struct libos_waitq *q;
};

struct ep_scan {
    struct epoll *ep;
    struct linux_epoll_event *out; /* NULL: only tell whether events wait */
    int max;
    struct ep_ent *ents;
    size_t n, cap;
};

/* Snapshot the enabled items with a reference on each and its file. */
static long snapshot(struct ep_scan *s) {
    struct epoll *ep = s->ep;
    s->n = 0;
    libos_lock(&g_ep_lock);
    size_t want = 0;
    for (struct epitem *it = ep->items; it; it = it->next)
        want++;
    if (want > s->cap) {
        libos_unlock(&g_ep_lock);
        struct ep_ent *e = libos_realloc(s->ents, want * 2 * sizeof(*e));
        if (!e)
            return -ENOMEM;
        s->ents = e;
        s->cap = want * 2;
        return snapshot(s); /* the list may have changed meanwhile */
    }
    for (struct epitem *it = ep->items; it; it = it->next) {
        if (!poll_bits(it->events) || !file_tryget(it->file))
            continue; /* disabled one-shot, or a file being released */
        it->refs++;
        struct libos_waitq *q = it->q;
        s->ents[s->n++] =
            (struct ep_ent){.it = it,
                            .file = it->file,
                            .q = q,
                            .seq = q ? __atomic_load_n(&q->seq, __ATOMIC_ACQUIRE) : 0};
    }
    libos_unlock(&g_ep_lock);
    return 0;
}

static void drop_snapshot(struct ep_scan *s) {
    libos_lock(&g_ep_lock);
    for (size_t i = 0; i < s->n; i++)
        item_unref_locked(s->ents[i].it);
    libos_unlock(&g_ep_lock);
    for (size_t i = 0; i < s->n; i++)
        libos_file_put(s->ents[i].file);
    s->n = 0;
}

/* An edge: a bit became ready, the object's queue was woken, or the app
 * did I/O on the file since the last look (a host socket that stays
 * readable may have received more: reporting again is harmless, missing
 * new data is not). */
static bool triggered(const struct epitem *it, const struct ep_ent *e, uint32_t ready) {
    if (!ready)
        return false;
    if (!(it->events & LINUX_EPOLLET))
        return true;
    return (ready & ~it->seen) || (it->q && e->seq != it->seq) ||
           __atomic_load_n(&e->file->io_seq, __ATOMIC_RELAXED) != it->io_seen;
}

/* Move items that triggered in this scan onto the ready list, oldest
 * stamp first (host-backed items, without stamps, before them). */
static void add_triggered_locked(struct ep_scan *s) {
    struct epoll *ep = s->ep;
    for (;;) {
        struct ep_ent *best = NULL;
        for (size_t i = 0; i < s->n; i++) {
            struct ep_ent *e = &s->ents[i];
            struct epitem *it = e->it;
            if (it->dead || it->on_rd || !triggered(it, e, it->cur))
                continue;
            if (!best || e->seq < best->seq)
                best = e;
        }
        if (!best)
            break;
        rd_append(ep, best->it);
    }
    for (size_t i = 0; i < s->n; i++) {
        struct epitem *it = s->ents[i].it;
        if (!it->dead && (it->events & LINUX_EPOLLET)) {
            it->seen = it->cur;
            it->seq = s->ents[i].seq;
            it->io_seen = __atomic_load_n(&s->ents[i].file->io_seq, __ATOMIC_RELAXED);
        }
    }
}

/* Report from the ready list, as ep_send_events: an item no longer ready
 * is dropped, a one-shot one disabled, a level-triggered one requeued. */
static long send_events_locked(struct ep_scan *s) {
    struct epoll *ep = s->ep;
    struct epitem *requeue = NULL, **rq_tail = &requeue;
    long n = 0;
    while (ep->rd_head && n < s->max) {
        struct epitem *it = ep->rd_head;
        ep->rd_head = it->rdnext;
        if (!ep->rd_head)
            ep->rd_tail = NULL;
        it->on_rd = false;
        uint32_t rev = it->scan_id == ep->scan_id ? it->cur & poll_bits(it->events) : 0;
        if (!rev)
            continue;
        s->out[n].events = rev;
        s->out[n].data = it->data;
        n++;
        if (it->events & LINUX_EPOLLONESHOT) {
            it->events &= EP_PRIVATE_BITS;
        } else if (!(it->events & LINUX_EPOLLET)) {
            it->rdnext = NULL;
            *rq_tail = it;
            rq_tail = &it->rdnext;
        }
    }
    for (struct epitem *it = requeue, *nx; it; it = nx) {
        nx = it->rdnext;
        rd_append(ep, it);
    }
    return n;
}

/* Would a consuming scan report something? (without changing state) */
static bool any_ready_locked(struct ep_scan *s) {
    for (struct epitem *it = s->ep->rd_head; it; it = it->rdnext)
        if (it->scan_id == s->ep->scan_id && (it->cur & poll_bits(it->events)))
            return true;
    for (size_t i = 0; i < s->n; i++) {
        struct epitem *it = s->ents[i].it;
        if (!it->dead && triggered(it, &s->ents[i], it->cur))
            return true;
    }
    return false;
}

/* An edge-triggered item whose host handle is still ready with what was
 * already reported must not end the next sleep (ppoll is level-triggered):
 * wait only for what is not ready yet, or not at all. */
static void narrow_edges_locked(struct ep_scan *s, struct libos_pollset *ps) {
    for (size_t i = 0; i < s->n; i++) {
        struct ep_ent *e = &s->ents[i];
        struct epitem *it = e->it;
        if (it->dead || !(it->events & LINUX_EPOLLET) || e->hidx < 0)
            continue;
        ps->ev[e->hidx] &= ~libos_poll_to_pal_wait(it->seen);
        if (!ps->ev[e->hidx])
            ps->h[e->hidx] = NULL; /* ignored by the wait */
    }
}

static long ep_scan(void *ctx, struct libos_pollset *ps) {
    struct ep_scan *s = ctx;
    long r = snapshot(s);
    if (r < 0)
        return r;
    for (size_t i = 0; i < s->n; i++) {
        struct ep_ent *e = &s->ents[i];
        size_t nq = ps->nq;
        e->m = libos_pollset_add_file(ps, e->file, poll_bits(e->it->events), &e->hidx);
        e->q = ps->nq == nq + 1 ? ps->q[nq] : NULL;
    }
    libos_pollset_add_queue(ps, &s->ep->waitq); /* ctl wakes epoll_wait */
    libos_pollset_query(ps);
    libos_lock(&g_ep_lock);
    unsigned id = ++s->ep->scan_id;
    for (size_t i = 0; i < s->n; i++) {
        struct ep_ent *e = &s->ents[i];
        struct epitem *it = e->it;
        it->cur = (e->m | libos_pollset_handle_bits(ps, e->hidx)) & poll_bits(it->events);
        it->scan_id = id;
        if (it->q != e->q && s->out) {
            it->q = e->q; /* first look at its queue: its stamp counts from now */
            it->seq = e->seq = e->q ? __atomic_load_n(&e->q->seq, __ATOMIC_ACQUIRE) : 0;
        }
    }
    if (s->out) {
        add_triggered_locked(s);
        r = send_events_locked(s);
        narrow_edges_locked(s, ps);
    } else {
        r = any_ready_locked(s);
    }
    libos_unlock(&g_ep_lock);
    drop_snapshot(s);
    return r;
}

uint32_t libos_epoll_poll_nested(struct libos_file *f, struct libos_pollset *ps, int depth) {
    if (depth > EP_MAX_NESTS + 1)
        return 0;
    struct ep_scan s = {.ep = f->priv};
    struct libos_pollset inner = {.depth = depth};
    long r = ep_scan(&s, &inner);
    libos_pollset_add_sources(ps, &inner);
    libos_pollset_free(&inner);
    libos_free(s.ents);
    return r > 0 ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
}

/* ------------------------------------------------------------ the file */

static uint32_t ep_poll_op(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    struct libos_pollset ps = {0};
    uint32_t m = libos_epoll_poll_nested(f, &ps, 1);
    libos_pollset_free(&ps);
    pi->waitq = &((struct epoll *)f->priv)->waitq;
    return m;
}

static void ep_release(struct libos_file *f) {
    struct epoll *ep = f->priv;
    if (!ep)
        return;
    libos_lock(&g_ep_lock);
    while (ep->items)
        item_remove_locked(ep->items);
    libos_unlock(&g_ep_lock);
    libos_free(ep);
}

static const struct libos_file_ops g_epoll_ops = {
    .stat = libos_anon_stat,
    .poll = ep_poll_op,
    .release = ep_release,
};

long libos_sys_epoll_create1(int flags) {
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = libos_calloc(1, sizeof(*ep));
    struct libos_file *f = ep ? libos_file_new(NULL, "anon_inode:[eventpoll]", O_RDWR) : NULL;
    if (!f) {
        libos_free(ep);
        return -ENOMEM;
    }
    f->ops = &g_epoll_ops;
    f->priv = ep;
    long fd = libos_fd_install(f, 0, flags & EPOLL_CLOEXEC);
    libos_file_put(f);
    return fd;
}

long libos_sys_epoll_create(int size) {
    return size <= 0 ? -EINVAL : libos_sys_epoll_create1(0);
}

/* ------------------------------------------------------------------ ctl */

/* Would watching target from ep close a loop or nest too deep? */
static bool loop_check_locked(struct epoll *ep, struct epoll *target, int depth) {
    if (target == ep || depth > EP_MAX_NESTS)
        return true;
    for (struct epitem *it = target->items; it; it = it->next)
        if (libos_file_is_epoll(it->file) && loop_check_locked(ep, it->file->priv, depth + 1))
            return true;
    return false;
}

static long ctl_locked(struct epoll *ep, int op, int fd, struct libos_file *tf,
                       struct linux_epoll_event *ev) {
    struct epitem *it = item_find_locked(ep, tf, fd);
    switch (op) {
    case LINUX_EPOLL_CTL_ADD: {
        if (it)
            return -EEXIST;
        if (libos_file_is_epoll(tf) && loop_check_locked(ep, tf->priv, 1))
            return -ELOOP;
        it = libos_calloc(1, sizeof(*it));
        if (!it)
            return -ENOMEM;
        *it = (struct epitem){.ep = ep, .file = tf, .fd = fd, .refs = 1};
        it->events = ev->events | LINUX_POLLERR | LINUX_POLLHUP;
        it->data = ev->data;
        if (ep->items_tail)
            ep->items_tail->next = it;
        else
            ep->items = it;
        ep->items_tail = it;
        it->fnext = tf->hook_data;
        tf->hook_data = it;
        tf->release_hook = file_released;
        return 0;
    }
    case LINUX_EPOLL_CTL_DEL:
        if (!it)
            return -ENOENT;
        item_remove_locked(it);
        return 0;
    case LINUX_EPOLL_CTL_MOD:
        if (!it)
            return -ENOENT;
        if (it->events & LINUX_EPOLLEXCLUSIVE)
            return -EINVAL;
        it->events = ev->events | LINUX_POLLERR | LINUX_POLLHUP;
        it->data = ev->data;
        it->seen = 0; /* re-armed: what is ready now is reported again */
        it->q = NULL;
        return 0;
    default:
        return -EINVAL;
    }
}

long libos_sys_epoll_ctl(int epfd, int op, int fd, struct linux_epoll_event *uev) {
    struct linux_epoll_event ev = {0};
    if (op != LINUX_EPOLL_CTL_DEL) {
        if (!libos_user_range_ok(uev, sizeof(ev), false))
            return -EFAULT;
        ev = *uev;
    }
    struct libos_file *f = libos_fd_get(epfd);
    if (!f)
        return -EBADF;
    struct libos_file *tf = libos_fd_get(fd);
    long r;
    if (!tf || (tf->flags & O_PATH) || (f->flags & O_PATH))
        r = -EBADF;
    else if (!tf->ops || !tf->ops->poll)
        r = -EPERM; /* regular files, /dev/null: as Linux */
    else if (f == tf || !libos_file_is_epoll(f))
        r = -EINVAL;
    else if (op != LINUX_EPOLL_CTL_DEL && (ev.events & LINUX_EPOLLEXCLUSIVE) &&
             (op == LINUX_EPOLL_CTL_MOD ||
              (op == LINUX_EPOLL_CTL_ADD &&
               (libos_file_is_epoll(tf) || (ev.events & ~EP_EXCLUSIVE_OK_BITS)))))
        r = -EINVAL;
    else {
        struct epoll *ep = f->priv;
        libos_lock(&g_ep_lock);
        r = ctl_locked(ep, op, fd, tf, &ev);
        libos_unlock(&g_ep_lock);
        if (!r)
            libos_waitq_wake_all(&ep->waitq);
    }
    libos_file_put(tf);
    libos_file_put(f);
    return r;
}

/* ----------------------------------------------------------------- wait */

static long do_epoll_wait(int epfd, struct linux_epoll_event *events, int maxevents,
                          uint64_t deadline) {
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return -EINVAL;
    if (!libos_user_range_ok(events, (size_t)maxevents * sizeof(*events), true))
        return -EFAULT;
    struct libos_file *f = libos_fd_get(epfd);
    if (!f)
        return -EBADF;
    long r;
    if (!libos_file_is_epoll(f)) {
        r = -EINVAL;
    } else {
        struct ep_scan s = {.ep = f->priv, .out = events, .max = maxevents};
        struct libos_pollset ps = {0};
        r = libos_poll_loop(&ps, ep_scan, &s, deadline);
        libos_pollset_free(&ps);
        libos_free(s.ents);
    }
    libos_file_put(f);
    return r;
}

static uint64_t deadline_ms(int timeout) {
    if (timeout < 0)
        return LIBOS_NO_DEADLINE;
    return timeout ? libos_monotonic_ns() + (uint64_t)timeout * 1000000 : 0;
}

long libos_sys_epoll_wait(int epfd, struct linux_epoll_event *events, int maxevents, int timeout) {
    return do_epoll_wait(epfd, events, maxevents, deadline_ms(timeout));
}

static long pwait(int epfd, struct linux_epoll_event *events, int maxevents, uint64_t deadline,
                  const uint64_t *sigmask, size_t sigsetsize) {
    uint64_t old = 0;
    bool swapped;
    long r = libos_sigmask_swap(sigmask, sigsetsize, &old, &swapped);
    if (r < 0)
        return r;
    r = do_epoll_wait(epfd, events, maxevents, deadline);
    libos_sigmask_finish(swapped, old, r == -EINTR);
    return r;
}

long libos_sys_epoll_pwait(int epfd, struct linux_epoll_event *events, int maxevents, int timeout,
                           const uint64_t *sigmask, size_t sigsetsize) {
    return pwait(epfd, events, maxevents, deadline_ms(timeout), sigmask, sigsetsize);
}

long libos_sys_epoll_pwait2(int epfd, struct linux_epoll_event *events, int maxevents,
                            const struct linux_timespec *uts, const uint64_t *sigmask,
                            size_t sigsetsize) {
    uint64_t deadline = LIBOS_NO_DEADLINE;
    if (uts) {
        if (!libos_user_range_ok(uts, sizeof(*uts), false))
            return -EFAULT;
        struct linux_timespec ts = *uts;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return -EINVAL;
        uint64_t ns = (uint64_t)ts.tv_sec >= UINT64_MAX / 1000000000 / 2
                          ? UINT64_MAX / 2
                          : ts.tv_sec * 1000000000ULL + ts.tv_nsec;
        deadline = ns ? libos_monotonic_ns() + ns : 0;
    }
    return pwait(epfd, events, maxevents, deadline, sigmask, sigsetsize);
}
