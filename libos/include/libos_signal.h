/* Signal routing (libos/sys/signal.c), for other parts of the libos. */
#ifndef SABOT_LIBOS_SIGNAL_H
#define SABOT_LIBOS_SIGNAL_H

#include "libos_wait.h"

/* Process-directed signal (kill, timers, SIGCHLD...): pending on the
 * process, delivered to a thread that does not block it (that thread is
 * woken). si->si_signo must be set. */
void libos_signal_send_process(const struct linux_siginfo *si);
/* Thread-directed signal (tgkill, SIGPIPE, faults). */
void libos_signal_send_thread(struct libos_thread *t, const struct linux_siginfo *si);
/* True if the current thread has an unblocked pending signal. */
bool libos_signal_pending(void);
/* Take one pending signal in mask (thread-directed first, lowest number
 * first); 0 or -EAGAIN. Used by signalfd and rt_sigtimedwait. */
long libos_signal_dequeue(uint64_t mask, struct linux_siginfo *out);
/* Pending signals of the current thread and its process, any mask. */
uint64_t libos_signal_pending_set(void);
/* Free what an exiting thread still has queued. */
void libos_signal_thread_exit(struct libos_thread *t);
/* Woken whenever a signal becomes pending anywhere (signalfd pollers). */
extern struct libos_waitq g_signal_waitq;

#endif
