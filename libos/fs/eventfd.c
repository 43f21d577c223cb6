/* eventfd: a 64-bit counter file (Linux semantics: reads take the whole
 * count, or 1 with EFD_SEMAPHORE; writes add; both block or EAGAIN at the
 * limits). Every change stamps and wakes the wait queue (libos_poll.h). */
#include "libos_fs.h"
#include "libos_poll.h"
#include "libos_syscalls.h"

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK
#define EFD_MAX 0xfffffffffffffffeULL

struct eventfd {
    struct libos_lock lock;
    uint64_t count;
    bool semaphore;
    struct libos_waitq waitq;
};

/* Take from (read) or add v to (write) the counter if possible now. */
static bool try_read(struct eventfd *e, uint64_t *v) {
    libos_lock(&e->lock);
    bool ok = e->count > 0;
    if (ok) {
        *v = e->semaphore ? 1 : e->count;
        e->count -= *v;
    }
    libos_unlock(&e->lock);
    return ok;
}

static bool try_write(struct eventfd *e, uint64_t v) {
    libos_lock(&e->lock);
    bool ok = EFD_MAX - e->count >= v;
    if (ok)
        e->count += v;
    libos_unlock(&e->lock);
    return ok;
}

/* Sleep until the counter changes; -ERESTARTSYS if a signal came. The
 * waiter is registered before the last check, so no change is missed. */
static long wait_change(struct eventfd *e, bool reading, uint64_t v) {
    struct libos_waiter w;
    libos_waitq_add(&e->waitq, &w);
    libos_lock(&e->lock);
    bool can = reading ? e->count > 0 : EFD_MAX - e->count >= v;
    libos_unlock(&e->lock);
    long r = can ? 0 : libos_thread_wait(0, NULL, NULL, NULL, NULL);
    libos_waitq_remove(&e->waitq, &w);
    return r == -EINTR ? -ERESTARTSYS : 0;
}

static int64_t efd_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct eventfd *e = f->priv;
    if (n < sizeof(uint64_t))
        return -EINVAL;
    uint64_t v;
    while (!try_read(e, &v)) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        long r = wait_change(e, true, 0);
        if (r < 0)
            return r;
    }
    libos_waitq_wake_all(&e->waitq); /* writers may go on */
    memcpy(buf, &v, sizeof(v));
    return sizeof(v);
}

static int64_t efd_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    struct eventfd *e = f->priv;
    if (n != sizeof(uint64_t))
        return -EINVAL; /* current Linux takes exactly 8 bytes (reads: at least 8) */
    uint64_t v;
    memcpy(&v, buf, sizeof(v));
    if (v == UINT64_MAX)
        return -EINVAL;
    while (!try_write(e, v)) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        long r = wait_change(e, false, v);
        if (r < 0)
            return r;
    }
    libos_waitq_wake_all(&e->waitq);
    return sizeof(v);
}

static uint32_t efd_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    struct eventfd *e = f->priv;
    libos_lock(&e->lock);
    uint64_t c = e->count;
    libos_unlock(&e->lock);
    pi->waitq = &e->waitq;
    return (c > 0 ? LINUX_POLLIN : 0) | (c < EFD_MAX ? LINUX_POLLOUT : 0) |
           (c == UINT64_MAX ? LINUX_POLLERR : 0);
}

static void efd_release(struct libos_file *f) {
    libos_free(f->priv);
}

static const struct libos_file_ops g_eventfd_ops = {
    .read = efd_read,
    .write = efd_write,
    .stat = libos_anon_stat,
    .poll = efd_poll,
    .release = efd_release,
};

long libos_sys_eventfd2(unsigned int initval, int flags) {
    if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
        return -EINVAL;
    struct eventfd *e = libos_calloc(1, sizeof(*e));
    struct libos_file *f =
        e ? libos_file_new(NULL, "anon_inode:[eventfd]", O_RDWR | (flags & EFD_NONBLOCK)) : NULL;
    if (!f) {
        libos_free(e);
        return -ENOMEM;
    }
    e->count = initval;
    e->semaphore = flags & EFD_SEMAPHORE;
    f->ops = &g_eventfd_ops;
    f->priv = e;
    long fd = libos_fd_install(f, 0, flags & EFD_CLOEXEC);
    libos_file_put(f);
    return fd;
}

long libos_sys_eventfd(unsigned int initval) {
    return libos_sys_eventfd2(initval, 0);
}
