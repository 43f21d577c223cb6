/* Spin-then-yield lock. Usable inside PAL event handlers, where a sleeping
 * lock could deadlock against the interrupted holder on the same thread. */
#include "libos.h"

LIBOS_FORK_TEXT void libos_lock(struct libos_lock *l) {
    int spins = 0;
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            if (++spins > 1000) {
                pal_thread_yield();
                spins = 0;
            } else {
                __builtin_ia32_pause();
            }
        }
    }
}

LIBOS_FORK_TEXT void libos_unlock(struct libos_lock *l) {
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
