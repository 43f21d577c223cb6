/* Blocking inside the libos: every wait of a thread goes through
 * libos_thread_wait(), so signals and libos objects can wake it. */
#ifndef SABOT_LIBOS_WAIT_H
#define SABOT_LIBOS_WAIT_H

#include "libos.h"

/* A list of threads sleeping on a libos-internal object (eventfd, timerfd,
 * signalfd, pipe buffers...). Waking sets each waiter's wake_event. */
struct libos_waiter {
    struct libos_thread *thread;
    struct libos_waiter *next;
};
struct libos_waitq {
    struct libos_lock lock;
    struct libos_waiter *head;
    uint64_t seq; /* stamped by every wake (epoll edge detection) */
};
#define LIBOS_WAITQ_INIT {LIBOS_LOCK_INIT, NULL, 0}
/* Register the current thread on q (w lives on the caller's stack). */
void libos_waitq_add(struct libos_waitq *q, struct libos_waiter *w);
void libos_waitq_remove(struct libos_waitq *q, struct libos_waiter *w);
/* Wake every thread registered on q (they re-check their condition) and
 * stamp q with a new sequence number, so epoll sees a fresh edge. */
void libos_waitq_wake_all(struct libos_waitq *q);

/* Sleep until one of: a PAL handle in handles[] is ready for events[i]
 * (PAL_WAIT_*; what happened goes to revents[i]), the thread's wake_event
 * is set (libos_thread_wake, a waitq), a signal becomes deliverable, or the
 * timeout passes. timeout_ns: NULL = forever, else in/out relative time left.
 * Returns the number of ready handles (>= 0; 0 = woken), -ETIMEDOUT, or
 * -EINTR when an unblocked signal is pending (callers turn that into
 * -ERESTARTSYS / -EINTR / -ERESTARTNOHAND as Linux does for that call). */
long libos_thread_wait(size_t n, pal_handle_t *const *handles, const uint32_t *events,
                       uint32_t *revents, uint64_t *timeout_ns);
/* The mailbox poll libos_thread_wait makes, for a waiter between its waits:
 * a wake it gives the calling thread itself is only noted (no event set, which
 * would end its next wait at once). True if it woke the caller. */
bool libos_thread_poll_mailbox(void);
/* Wake t from libos_thread_wait (and interrupt it if it runs app code, so
 * pending signals get delivered). */
void libos_thread_wake(struct libos_thread *t);

/* Threads (libos/thread.c). */
struct libos_thread *libos_thread_find(uint32_t tid); /* takes a ref; NULL if none */
void libos_thread_put(struct libos_thread *t);
/* Live app threads of the process. */
int libos_thread_count_app(void);
/* Start a libos service thread (timers...): fn runs with its own
 * libos_thread marked internal; it never runs app code. */
long libos_thread_create_internal(int (*fn)(void *), void *arg);

#endif
