/* Futexes, implemented in the libos (sys/futex.c) so every PAL gets the
 * same semantics; waits go through libos_thread_wait. */
#ifndef SABOT_LIBOS_FUTEX_H
#define SABOT_LIBOS_FUTEX_H

#include "libos.h"

/* Wake up to n waiters on addr whose bitset intersects bitset. */
long libos_futex_wake(uint32_t *addr, int n, uint32_t bitset);

/* Threads (thread.c). */
long libos_thread_init(struct libos_thread *t);
void libos_thread_register(struct libos_thread *t);
void libos_thread_for_each(void (*fn)(struct libos_thread *t, void *arg), void *arg);
__attribute__((noreturn)) void libos_thread_exit(int status);

#endif
