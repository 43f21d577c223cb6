/* poll, ppoll, select, pselect6, and the scan-and-sleep machinery epoll
 * shares (libos_poll.h). */
#include "libos_fs.h"
#include "libos_poll.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define SIGBIT(s) (1ULL << ((s)-1))
#define NS_PER_SEC 1000000000ULL
/* What select counts as readable, writable and exceptional (Linux). */
#define POLLIN_SET                                                                                 \
    (LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)
#define POLLOUT_SET (LINUX_POLLWRBAND | LINUX_POLLWRNORM | LINUX_POLLOUT | LINUX_POLLERR)
#define POLLEX_SET LINUX_POLLPRI
/* Handles per pal_wait_handles call of a readiness query. */
#define QUERY_CHUNK 1000

/* What fstat says of an anonymous-inode file (eventfd, epoll...). */
int libos_anon_stat(struct libos_file *f, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = LIBOS_PAGE_SIZE;
    st->st_dev = libos_makedev(0, 16);
    st->st_ino = 1;
    return 0;
}

uint64_t libos_monotonic_ns(void) {
    uint64_t ns = 0;
    pal_time_get(PAL_CLOCK_MONOTONIC, &ns);
    return ns;
}

/* ------------------------------------------------------------ pollsets */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *n = libos_realloc(*p, cap2 * elem);
    if (!n)
        return false;
    *p = n;
    *cap = cap2;
    return true;
}

void libos_pollset_reset(struct libos_pollset *ps) {
    ps->nh = 0;
    ps->nq = 0;
    ps->oom = false;
}

void libos_pollset_free(struct libos_pollset *ps) {
    libos_pollset_unregister(ps);
    libos_free(ps->h);
    libos_free(ps->ev);
    libos_free(ps->rev);
    libos_free(ps->q);
    memset(ps, 0, sizeof(*ps));
}

static int add_handle(struct libos_pollset *ps, pal_handle_t *h, uint32_t ev) {
    size_t cap = ps->caph;
    if (ps->nh == cap) {
        size_t c1 = cap, c2 = cap, c3 = cap;
        if (!grow((void **)&ps->h, &c1, ps->nh + 1, sizeof(*ps->h)) ||
            !grow((void **)&ps->ev, &c2, ps->nh + 1, sizeof(*ps->ev)) ||
            !grow((void **)&ps->rev, &c3, ps->nh + 1, sizeof(*ps->rev))) {
            ps->oom = true;
            return -1;
        }
        ps->caph = MIN(c1, MIN(c2, c3));
    }
    ps->h[ps->nh] = h;
    ps->ev[ps->nh] = ev;
    ps->rev[ps->nh] = 0;
    return (int)ps->nh++;
}

void libos_pollset_add_queue(struct libos_pollset *ps, struct libos_waitq *q) {
    if (!grow((void **)&ps->q, &ps->capq, ps->nq + 1, sizeof(*ps->q))) {
        ps->oom = true;
        return;
    }
    ps->q[ps->nq++] = q;
}

/* Linux's pollers see IN with RDNORM and OUT with WRNORM. */
static uint32_t normalise(uint32_t m) {
    if (m & LINUX_POLLIN)
        m |= LINUX_POLLRDNORM;
    if (m & LINUX_POLLOUT)
        m |= LINUX_POLLWRNORM;
    return m;
}

uint32_t libos_poll_to_pal_wait(uint32_t want) {
    uint32_t e = 0;
    if (want & (LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLPRI))
        e |= PAL_WAIT_READ;
    if (want & (LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND))
        e |= PAL_WAIT_WRITE;
    if (want & LINUX_POLLRDHUP)
        e |= PAL_WAIT_PEER_CLOSED;
    return e;
}

uint32_t libos_pollset_add_file(struct libos_pollset *ps, struct libos_file *f, uint32_t want,
                                int *hidx) {
    *hidx = -1;
    if (libos_file_is_epoll(f))
        return libos_epoll_poll_nested(f, ps, ps->depth + 1);
    if (!f->ops || !f->ops->poll)
        return LIBOS_POLL_DEFAULT;
    struct libos_poll_info pi = {0};
    uint32_t m = f->ops->poll(f, want, &pi);
    if (pi.handle)
        *hidx =
            add_handle(ps, pi.handle, pi.pal_events ? pi.pal_events : libos_poll_to_pal_wait(want));
    if (pi.waitq)
        libos_pollset_add_queue(ps, pi.waitq);
    return normalise(m);
}

void libos_pollset_add_sources(struct libos_pollset *ps, const struct libos_pollset *from) {
    for (size_t i = 0; i < from->nh; i++)
        add_handle(ps, from->h[i], from->ev[i]);
    for (size_t i = 0; i < from->nq; i++)
        libos_pollset_add_queue(ps, from->q[i]);
    ps->oom |= from->oom;
}

void libos_pollset_query(struct libos_pollset *ps) {
    for (size_t i = 0; i < ps->nh; i += QUERY_CHUNK) {
        size_t n = MIN(ps->nh - i, (size_t)QUERY_CHUNK);
        uint64_t zero = 0;
        int r = pal_wait_handles(n, ps->h + i, ps->ev + i, ps->rev + i, &zero);
        if (r < 0)
            memset(ps->rev + i, 0, n * sizeof(*ps->rev)); /* timeout: nothing ready */
    }
}

uint32_t libos_pollset_handle_bits(const struct libos_pollset *ps, int hidx) {
    if (hidx < 0 || (size_t)hidx >= ps->nh)
        return 0;
    uint32_t e = ps->rev[hidx];
    return ((e & PAL_WAIT_READ) ? LINUX_POLLIN | LINUX_POLLRDNORM : 0) |
           ((e & PAL_WAIT_WRITE) ? LINUX_POLLOUT | LINUX_POLLWRNORM : 0) |
           ((e & PAL_WAIT_ERROR) ? LINUX_POLLERR : 0) |
           ((e & PAL_WAIT_HANGUP) ? LINUX_POLLHUP : 0) |
           ((e & PAL_WAIT_PEER_CLOSED) ? LINUX_POLLRDHUP : 0);
}

void libos_pollset_register(struct libos_pollset *ps) {
    libos_pollset_unregister(ps);
    if (!ps->nq)
        return;
    ps->w = libos_calloc(ps->nq, sizeof(*ps->w));
    ps->wq = libos_malloc(ps->nq * sizeof(*ps->wq));
    if (!ps->w || !ps->wq) {
        libos_free(ps->w);
        libos_free(ps->wq);
        ps->w = NULL;
        ps->wq = NULL;
        ps->oom = true;
        return;
    }
    for (size_t i = 0; i < ps->nq; i++) {
        ps->wq[i] = ps->q[i];
        libos_waitq_add(ps->q[i], &ps->w[i]);
    }
    ps->nw = ps->nq;
}

void libos_pollset_unregister(struct libos_pollset *ps) {
    for (size_t i = 0; i < ps->nw; i++)
        libos_waitq_remove(ps->wq[i], &ps->w[i]);
    libos_free(ps->w);
    libos_free(ps->wq);
    ps->w = NULL;
    ps->wq = NULL;
    ps->nw = 0;
}

/* The waiters registered are exactly on this scan's queues. */
static bool registered_for_scan(const struct libos_pollset *ps) {
    if (ps->nw != ps->nq)
        return false;
    for (size_t i = 0; i < ps->nq; i++)
        if (ps->wq[i] != ps->q[i])
            return false;
    return true;
}

long libos_pollset_sleep(struct libos_pollset *ps, uint64_t deadline) {
    uint64_t left, *tp = NULL;
    if (deadline != LIBOS_NO_DEADLINE) {
        uint64_t now = libos_monotonic_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        left = deadline - now;
        tp = &left;
    }
    return libos_thread_wait(ps->nh, ps->h, ps->ev, ps->rev, tp);
}

long libos_poll_loop(struct libos_pollset *ps, libos_scan_fn scan, void *ctx, uint64_t deadline) {
    long r;
    for (;;) {
        libos_pollset_reset(ps);
        r = scan(ctx, ps);
        if (r == 0 && ps->oom)
            r = -ENOMEM;
        if (r != 0 || deadline == 0)
            break;
        if (!registered_for_scan(ps)) {
            /* Register, then look again: a wake before the registration
             * would otherwise be lost. */
            libos_pollset_register(ps);
            continue;
        }
        long w = libos_pollset_sleep(ps, deadline);
        if (w == -EINTR) {
            r = -EINTR;
            break;
        }
        if (w == -ETIMEDOUT)
            deadline = 0; /* one last look, as Linux does */
        else if (w < 0) {
            r = w;
            break;
        }
    }
    libos_pollset_unregister(ps);
    return r;
}

/* ------------------------------------------------------- signal masks */

long libos_sigmask_swap(const uint64_t *user_mask, size_t size, uint64_t *old, bool *swapped) {
    *swapped = false;
    if (!user_mask)
        return 0;
    if (size != sizeof(uint64_t))
        return -EINVAL;
    if (!libos_user_range_ok(user_mask, sizeof(uint64_t), false))
        return -EFAULT;
    struct libos_thread *t = libos_current_thread();
    *old = t->sigmask;
    t->sigmask = *user_mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    *swapped = true;
    return 0;
}

void libos_sigmask_finish(bool swapped, uint64_t old, bool interrupted) {
    if (!swapped)
        return;
    struct libos_thread *t = libos_current_thread();
    if (interrupted) {
        /* The handler runs with the temporary mask; the dispatcher puts
         * the old one into its frame (or back, if none runs). */
        t->saved_sigmask = old;
        t->restore_sigmask = true;
    } else {
        t->sigmask = old;
    }
}

/* ------------------------------------------------------ poll and select */

struct poll_req {
    int fd;
    uint32_t filter; /* bits that count; the op is asked for these */
    uint32_t rev;    /* result: filter & readiness, or POLLNVAL */
    int hidx;
    struct libos_file *file;
};
struct poll_scan {
    struct poll_req *r;
    size_t n;
};

static long poll_scan(void *ctx, struct libos_pollset *ps) {
    struct poll_scan *s = ctx;
    long count = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct poll_req *r = &s->r[i];
        r->hidx = -1;
        r->rev = 0;
        if (r->fd < 0)
            continue;
        if (!r->file) {
            r->rev = LINUX_POLLNVAL;
            continue;
        }
        r->rev = libos_pollset_add_file(ps, r->file, r->filter, &r->hidx);
    }
    libos_pollset_query(ps);
    for (size_t i = 0; i < s->n; i++) {
        struct poll_req *r = &s->r[i];
        if (r->rev != LINUX_POLLNVAL)
            r->rev = (r->rev | libos_pollset_handle_bits(ps, r->hidx)) & r->filter;
        count += r->rev != 0;
    }
    return count;
}

/* The open file behind fd for polling: O_PATH files count as closed. */
static struct libos_file *poll_file(int fd) {
    struct libos_file *f = libos_fd_get(fd);
    if (f && (f->flags & O_PATH)) {
        libos_file_put(f);
        f = NULL;
    }
    return f;
}

/* Runs the scan loop over reqs; -ERESTARTNOHAND when a signal came. */
static long poll_reqs(struct poll_req *reqs, size_t n, uint64_t deadline) {
    for (size_t i = 0; i < n; i++)
        reqs[i].file = reqs[i].fd >= 0 ? poll_file(reqs[i].fd) : NULL;
    struct poll_scan s = {reqs, n};
    struct libos_pollset ps = {0};
    long r = libos_poll_loop(&ps, poll_scan, &s, deadline);
    libos_pollset_free(&ps);
    for (size_t i = 0; i < n; i++)
        libos_file_put(reqs[i].file);
    return r == -EINTR ? -ERESTARTNOHAND : r;
}

static uint64_t deadline_after(uint64_t ns) {
    if (ns == 0)
        return 0;
    uint64_t now = libos_monotonic_ns();
    return ns > UINT64_MAX - 1 - now ? LIBOS_NO_DEADLINE : now + ns;
}

/* Linux's timespec64_valid; *ns gets the relative time. */
static long timespec_arg(const struct linux_timespec *uts, uint64_t *ns) {
    if (!libos_user_range_ok(uts, sizeof(*uts), false))
        return -EFAULT;
    struct linux_timespec ts = *uts;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || (uint64_t)ts.tv_nsec >= NS_PER_SEC)
        return -EINVAL;
    *ns = (uint64_t)ts.tv_sec > UINT64_MAX / NS_PER_SEC - 1 ? UINT64_MAX - 1
                                                            : ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
    return 0;
}

/* Time left until deadline, for the timeouts Linux writes back. */
static uint64_t left_ns(uint64_t deadline) {
    uint64_t now = libos_monotonic_ns();
    return deadline == LIBOS_NO_DEADLINE ? 0 : deadline > now ? deadline - now : 0;
}

/* Write the time left into a user timespec/timeval as poll_select_finish
 * does: not for a zero timeout; an unwritable one turns a restart into
 * EINTR. */
static long finish_timeout(void *ut, bool timeval, uint64_t timeout_ns, uint64_t deadline,
                           long ret) {
    if (!ut || timeout_ns == 0)
        return ret;
    uint64_t left = left_ns(deadline);
    size_t sz = timeval ? sizeof(struct linux_timeval) : sizeof(struct linux_timespec);
    if (!libos_user_range_ok(ut, sz, true))
        return ret == -ERESTARTNOHAND ? -EINTR : ret;
    if (timeval)
        *(struct linux_timeval *)ut =
            (struct linux_timeval){left / NS_PER_SEC, (left % NS_PER_SEC) / 1000};
    else
        *(struct linux_timespec *)ut =
            (struct linux_timespec){left / NS_PER_SEC, left % NS_PER_SEC};
    return ret;
}

static uint64_t nofile_limit(void) {
    uint64_t lim = g_process.rlimits[RLIMIT_NOFILE].rlim_cur;
    return lim ? lim : libos_fd_limit();
}

static long do_poll(struct linux_pollfd *ufds, uint64_t nfds, uint64_t deadline) {
    if (nfds > nofile_limit())
        return -EINVAL;
    if (nfds && !libos_user_range_ok(ufds, nfds * sizeof(*ufds), true))
        return -EFAULT;
    struct poll_req *reqs = nfds ? libos_calloc(nfds, sizeof(*reqs)) : NULL;
    if (nfds && !reqs)
        return -ENOMEM;
    for (uint64_t i = 0; i < nfds; i++) {
        reqs[i].fd = ufds[i].fd;
        reqs[i].filter = (uint16_t)ufds[i].events | LINUX_POLLERR | LINUX_POLLHUP;
    }
    long r = poll_reqs(reqs, nfds, deadline);
    if (r >= 0)
        for (uint64_t i = 0; i < nfds; i++)
            ufds[i].revents = (int16_t)reqs[i].rev;
    libos_free(reqs);
    return r;
}

long libos_sys_poll(struct linux_pollfd *ufds, uint64_t nfds, int timeout_ms) {
    uint64_t deadline =
        timeout_ms < 0 ? LIBOS_NO_DEADLINE : deadline_after((uint64_t)timeout_ms * 1000000);
    /* Linux restarts poll with the time left through restart_block; here a
     * restart begins with the full timeout again. */
    return do_poll(ufds, nfds, deadline);
}

long libos_sys_ppoll(struct linux_pollfd *ufds, uint64_t nfds, struct linux_timespec *uts,
                     const uint64_t *sigmask, size_t sigsetsize) {
    uint64_t ns = 0, deadline = LIBOS_NO_DEADLINE, old = 0;
    bool swapped;
    long r;
    if (uts) {
        if ((r = timespec_arg(uts, &ns)) < 0)
            return r;
        deadline = deadline_after(ns);
    }
    if ((r = libos_sigmask_swap(sigmask, sigsetsize, &old, &swapped)) < 0)
        return r;
    r = do_poll(ufds, nfds, deadline);
    libos_sigmask_finish(swapped, old, r == -ERESTARTNOHAND);
    return finish_timeout(uts, false, ns, deadline, r);
}

#define FDS_WORDS(n) (((uint64_t)(n) + 63) / 64)

static bool fdset_has(const uint64_t *set, int fd) {
    return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static long do_select(int n, uint64_t *in, uint64_t *out, uint64_t *ex, uint64_t deadline) {
    if (n < 0)
        return -EINVAL;
    if ((uint64_t)n > libos_fd_limit())
        n = (int)libos_fd_limit(); /* Linux caps n at the fd table's size */
    size_t bytes = FDS_WORDS(n) * sizeof(uint64_t);
    uint64_t *sets[3] = {in, out, ex};
    for (int k = 0; k < 3; k++)
        if (sets[k] && bytes && !libos_user_range_ok(sets[k], bytes, true))
            return -EFAULT;
    size_t count = 0;
    for (int fd = 0; fd < n; fd++)
        count += fdset_has(in, fd) || fdset_has(out, fd) || fdset_has(ex, fd);
    struct poll_req *reqs = count ? libos_calloc(count, sizeof(*reqs)) : NULL;
    if (count && !reqs)
        return -ENOMEM;
    long r = 0;
    size_t i = 0;
    for (int fd = 0; fd < n && i < count; fd++) {
        uint32_t filter = (fdset_has(in, fd) ? POLLIN_SET : 0) |
                          (fdset_has(out, fd) ? POLLOUT_SET : 0) |
                          (fdset_has(ex, fd) ? POLLEX_SET : 0);
        if (!filter)
            continue;
        if (libos_fd_get_cloexec(fd) < 0) {
            r = -EBADF;
            break;
        }
        reqs[i++] = (struct poll_req){.fd = fd, .filter = filter};
    }
    if (!r)
        r = poll_reqs(reqs, count, deadline);
    if (r == 0 && libos_signal_pending())
        r = -ERESTARTNOHAND; /* as core_sys_select: nothing ready and a signal */
    if (r >= 0) {
        for (int k = 0; k < 3; k++)
            if (sets[k])
                memset(sets[k], 0, bytes);
        r = 0;
        for (size_t j = 0; j < count; j++) {
            int fd = reqs[j].fd;
            uint32_t m = reqs[j].rev == LINUX_POLLNVAL ? 0 : reqs[j].rev;
            static const uint32_t masks[3] = {POLLIN_SET, POLLOUT_SET, POLLEX_SET};
            for (int k = 0; k < 3; k++)
                if (sets[k] && (reqs[j].filter & masks[k] & m)) {
                    sets[k][fd / 64] |= 1ULL << (fd % 64);
                    r++;
                }
        }
    }
    libos_free(reqs);
    return r;
}

long libos_sys_select(int n, uint64_t *in, uint64_t *out, uint64_t *ex, struct linux_timeval *utv) {
    uint64_t ns = 0, deadline = LIBOS_NO_DEADLINE;
    if (utv) {
        if (!libos_user_range_ok(utv, sizeof(*utv), false))
            return -EFAULT;
        struct linux_timeval tv = *utv;
        /* Linux folds whole seconds of tv_usec into tv_sec first. */
        int64_t sec = tv.tv_sec + tv.tv_usec / 1000000, nsec = (tv.tv_usec % 1000000) * 1000;
        if (sec < 0 || nsec < 0)
            return -EINVAL;
        ns = (uint64_t)sec > UINT64_MAX / NS_PER_SEC - 1 ? UINT64_MAX - 1 : sec * NS_PER_SEC + nsec;
        deadline = deadline_after(ns);
    }
    long r = do_select(n, in, out, ex, deadline);
    return finish_timeout(utv, true, ns, deadline, r);
}

struct pselect_sigarg {
    const uint64_t *ss;
    size_t ss_len;
};

long libos_sys_pselect6(int n, uint64_t *in, uint64_t *out, uint64_t *ex,
                        struct linux_timespec *uts, const struct pselect_sigarg *usig) {
    uint64_t ns = 0, deadline = LIBOS_NO_DEADLINE, old = 0;
    bool swapped = false;
    long r;
    if (uts) {
        if ((r = timespec_arg(uts, &ns)) < 0)
            return r;
        deadline = deadline_after(ns);
    }
    if (usig) {
        if (!libos_user_range_ok(usig, sizeof(*usig), false))
            return -EFAULT;
        struct pselect_sigarg sa = *usig;
        if ((r = libos_sigmask_swap(sa.ss, sa.ss_len, &old, &swapped)) < 0)
            return r;
    }
    r = do_select(n, in, out, ex, deadline);
    libos_sigmask_finish(swapped, old, r == -ERESTARTNOHAND);
    return finish_timeout(uts, false, ns, deadline, r);
}
