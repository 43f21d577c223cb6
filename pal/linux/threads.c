/* Threads and processes. Multithreading (clone in the syscall region with
 * a fresh PAL TCB per thread) and host fork arrive with their issues; the
 * calls exist now so the ABI is complete. */
#include "pal_linux.h"

int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

void pal_thread_exit(uint32_t *clear_tid) {
    if (clear_tid) {
        __atomic_store_n(clear_tid, 0, __ATOMIC_RELEASE);
        host_syscall3(__NR_futex, clear_tid, HOST_FUTEX_WAKE, 1);
    }
    for (;;)
        host_syscall1(__NR_exit, 0);
}

void pal_thread_yield(void) {
    host_syscall0(__NR_sched_yield);
}

int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size) {
    if (h)
        return -PAL_ERR_NOTIMPLEMENTED;
    return pal_linux_err(host_syscall3(__NR_sched_setaffinity, 0, size, mask));
}

int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size) {
    if (h)
        return -PAL_ERR_NOTIMPLEMENTED;
    long r = host_syscall3(__NR_sched_getaffinity, 0, size, mask);
    return host_is_err(r) ? pal_linux_err(r) : 0;
}

int pal_process_create(const char *const *args, pal_handle_t **stream) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_process_fork(pal_handle_t **stream) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

void pal_process_exit(int status) {
    for (;;)
        host_syscall1(__NR_exit_group, status);
}
