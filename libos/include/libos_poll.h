/* Readiness and waiting for poll, select and epoll (libos/sys/poll.c,
 * libos/sys/epoll.c), and the anonymous files they serve (eventfd,
 * signalfd in libos/fs/).
 *
 * A scan asks every file of interest for its readiness (f->ops->poll) and
 * collects what a sleep must watch: PAL handles of host-backed files and
 * wait queues of libos objects. Host handles learn their readiness from
 * one pal_wait_handles(timeout 0) per scan. When nothing is ready, the
 * caller registers on the wait queues, scans once more (so a wake between
 * the first scan and the registration is not lost) and sleeps in
 * libos_thread_wait on the handles. */
#ifndef SABOT_LIBOS_POLL_H
#define SABOT_LIBOS_POLL_H

#include "libos_vfs.h"
#include "libos_wait.h"

/* What Linux's DEFAULT_POLLMASK says for files without a poll op. */
#define LIBOS_POLL_DEFAULT (LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLRDNORM | LINUX_POLLWRNORM)

struct libos_pollset {
    /* Host handles of this scan; rev[] is filled by libos_pollset_query. */
    size_t nh, caph;
    pal_handle_t **h;
    uint32_t *ev, *rev;
    /* Wait queues of this scan. */
    size_t nq, capq;
    struct libos_waitq **q;
    /* Waiters registered by libos_pollset_register (one per queue). */
    size_t nw;
    struct libos_waiter *w;
    struct libos_waitq **wq;
    bool oom;  /* an allocation failed: callers return -ENOMEM */
    int depth; /* nesting of epoll files being scanned */
};

struct linux_pollfd {
    int fd;
    int16_t events, revents;
};

void libos_pollset_reset(struct libos_pollset *ps); /* forget the scan, keep buffers */
void libos_pollset_free(struct libos_pollset *ps);
/* Readiness of f (Linux POLL* bits, as Linux's vfs_poll gives them) and the
 * sources to sleep on, added to ps. *hidx gets the index of f's host
 * handle in ps (or -1): its bits are known after libos_pollset_query. */
uint32_t libos_pollset_add_file(struct libos_pollset *ps, struct libos_file *f, uint32_t want,
                                int *hidx);
void libos_pollset_add_queue(struct libos_pollset *ps, struct libos_waitq *q);
/* Append the handles and queues of another scan (nested epoll). */
void libos_pollset_add_sources(struct libos_pollset *ps, const struct libos_pollset *from);
/* Ask the PAL which host handles of the scan are ready now. */
void libos_pollset_query(struct libos_pollset *ps);
/* POLL* bits of host handle hidx after libos_pollset_query (0 for -1). */
uint32_t libos_pollset_handle_bits(const struct libos_pollset *ps, int hidx);
/* Register the current thread on every queue of the scan. */
void libos_pollset_register(struct libos_pollset *ps);
void libos_pollset_unregister(struct libos_pollset *ps);

/* Monotonic deadlines: LIBOS_NO_DEADLINE waits forever. */
#define LIBOS_NO_DEADLINE UINT64_MAX
uint64_t libos_monotonic_ns(void);
/* Sleep on the scan's handles (after libos_pollset_register) until the
 * deadline: 0 or > 0 woken, -ETIMEDOUT, -EINTR (a signal is pending). */
long libos_pollset_sleep(struct libos_pollset *ps, uint64_t deadline);

/* One look at everything of interest: reset by the loop, fills ps,
 * returns how many results it reports (> 0 ends the loop) or -errno. */
typedef long (*libos_scan_fn)(void *ctx, struct libos_pollset *ps);
/* scan, then sleep on its sources, until the scan reports, the deadline
 * (0: do not sleep) passes (returns 0) or a signal is pending (-EINTR). */
long libos_poll_loop(struct libos_pollset *ps, libos_scan_fn scan, void *ctx, uint64_t deadline);

/* PAL_WAIT_* events that cover the Linux POLL* bits in want. */
uint32_t libos_poll_to_pal_wait(uint32_t want);

/* Temporary signal masks of ppoll/pselect6/epoll_pwait: *old gets the
 * mask to restore. user_mask NULL: nothing changes. */
long libos_sigmask_swap(const uint64_t *user_mask, size_t size, uint64_t *old, bool *swapped);
/* Undo libos_sigmask_swap: directly, or, when the call was interrupted
 * (a handler is about to run), through the dispatcher after delivery. */
void libos_sigmask_finish(bool swapped, uint64_t old, bool interrupted);

/* fstat of anonymous-inode files (eventfd, signalfd, epoll). */
int libos_anon_stat(struct libos_file *f, struct linux_stat *st);

/* epoll (sys/epoll.c). */
bool libos_file_is_epoll(struct libos_file *f);
/* Readiness of an epoll file without consuming events; adds the sources
 * of its interest list to ps (nested epoll and poll() on an epoll fd). */
uint32_t libos_epoll_poll_nested(struct libos_file *f, struct libos_pollset *ps, int depth);

struct linux_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));
#define LINUX_EPOLL_CTL_ADD 1
#define LINUX_EPOLL_CTL_DEL 2
#define LINUX_EPOLL_CTL_MOD 3
#define LINUX_EPOLLEXCLUSIVE (1U << 28)
#define LINUX_EPOLLWAKEUP (1U << 29)
#define LINUX_EPOLLONESHOT (1U << 30)
#define LINUX_EPOLLET (1U << 31)

#endif
