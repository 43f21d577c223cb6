/* timerfd: a file whose reads return the number of expirations of a libos
 * timer (sys/timer.c fires it and wakes the readers). */
#include "libos_fs.h"
#include "libos_syscalls.h"
#include "libos_time.h"

#define TIMERFD_DEV 0xd /* anon_inode file system */

static const struct libos_file_ops g_timerfd_ops;

static struct libos_timer *timer_of(struct libos_file *f) {
    return f->ops == &g_timerfd_ops ? f->priv : NULL;
}

/* Take the expirations, or 0 if there are none yet. */
static uint64_t take_ticks(struct libos_timer *t) {
    libos_lock(&g_timer_lock);
    uint64_t n = t->ticks;
    t->ticks = 0;
    libos_unlock(&g_timer_lock);
    return n;
}

static int64_t timerfd_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct libos_timer *t = f->priv;
    if (n < sizeof(uint64_t))
        return -EINVAL;
    for (;;) {
        struct libos_waiter w;
        libos_waitq_add(&t->waitq, &w);
        uint64_t ticks = take_ticks(t);
        long r = 0;
        if (!ticks && !(f->flags & O_NONBLOCK))
            r = libos_thread_wait(0, NULL, NULL, NULL, NULL);
        libos_waitq_remove(&t->waitq, &w);
        if (ticks) {
            memcpy(buf, &ticks, sizeof(ticks));
            return sizeof(ticks);
        }
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (r == -EINTR)
            return -ERESTARTSYS;
        if (r < 0)
            return r;
    }
}

static uint32_t timerfd_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    struct libos_timer *t = f->priv;
    pi->waitq = &t->waitq;
    return __atomic_load_n(&t->ticks, __ATOMIC_RELAXED) ? LINUX_POLLIN | LINUX_POLLRDNORM : 0;
}

static int timerfd_stat(struct libos_file *f, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = TIMERFD_DEV;
    st->st_ino = (uint64_t)(uintptr_t)f->priv >> 4;
    st->st_mode = 0600; /* anonymous inode: no file type bits, as Linux */
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = LIBOS_PAGE_SIZE;
    return 0;
}

static void timerfd_release(struct libos_file *f) {
    struct libos_timer *t = f->priv;
    libos_timer_remove(t);
    libos_free(t);
}

static const struct libos_file_ops g_timerfd_ops = {
    .read = timerfd_read,
    .stat = timerfd_stat,
    .poll = timerfd_poll,
    .release = timerfd_release,
};

long libos_sys_timerfd_create(int clock, int flags) {
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
        break;
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
        return -EPERM; /* needs CAP_WAKE_ALARM */
    default:
        return -EINVAL;
    }
    if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
        return -EINVAL;
    struct libos_timer *t = libos_calloc(1, sizeof(*t));
    struct libos_file *f =
        libos_file_new(NULL, "anon_inode:[timerfd]", O_RDWR | (flags & TFD_NONBLOCK));
    if (!t || !f) {
        libos_free(t);
        libos_file_put(f);
        return -ENOMEM;
    }
    t->kind = LIBOS_TIMER_FD;
    t->clock = clock;
    libos_timer_add(t);
    f->ops = &g_timerfd_ops;
    f->priv = t;
    long r = libos_fd_install(f, 0, flags & TFD_CLOEXEC);
    libos_file_put(f);
    return r;
}

long libos_sys_timerfd_settime(int fd, int flags, const struct linux_itimerspec *val,
                               struct linux_itimerspec *old) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct libos_timer *t = timer_of(f);
    long r = -EINVAL;
    /* CANCEL_ON_SET is accepted: the libos's realtime is never set. */
    if (t && !(flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)))
        r = libos_itimerspec_set(t, flags & TFD_TIMER_ABSTIME ? TIMER_ABSTIME : 0, val, old);
    libos_file_put(f);
    return r;
}

long libos_sys_timerfd_gettime(int fd, struct linux_itimerspec *cur) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct libos_timer *t = timer_of(f);
    long r = t ? libos_itimerspec_get(t, cur) : -EINVAL;
    libos_file_put(f);
    return r;
}
