/* Scheduling: affinity from the PAL; policies and priorities as an
 * unprivileged process on a default Linux system sees them. */
#include "libos_syscalls.h"
#include "libos_time.h"
#include "libos_wait.h"

#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_RESET_ON_FORK 0x40000000
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define CPUMASK_BYTES 8 /* what Linux reports for up to 64 CPUs */

/* The PAL thread of tid (0 = caller); NULL with *err set if none. */
static pal_handle_t *thread_of(int pid, struct libos_thread **ref, long *err) {
    *ref = NULL;
    if (pid < 0) {
        *err = -EINVAL;
        return NULL;
    }
    if (pid == 0 || (uint32_t)pid == libos_current_thread()->tid)
        return NULL; /* NULL handle = the calling thread for the PAL */
    *ref = libos_thread_find((uint32_t)pid);
    if (!*ref) {
        *err = -ESRCH;
        return NULL;
    }
    return (*ref)->pal_thread;
}

long libos_sys_sched_getaffinity(int pid, size_t size, void *mask) {
    if (size < CPUMASK_BYTES || (size & 7))
        return -EINVAL;
    if (!libos_user_range_ok(mask, size, true))
        return -EFAULT;
    struct libos_thread *ref;
    long err = 0;
    pal_handle_t *h = thread_of(pid, &ref, &err);
    if (err)
        return err;
    memset(mask, 0, size);
    long r = libos_errno_from_pal(pal_thread_get_affinity(h, mask, CPUMASK_BYTES));
    if (ref)
        libos_thread_put(ref);
    return r < 0 ? r : CPUMASK_BYTES;
}

long libos_sys_sched_setaffinity(int pid, size_t size, const void *mask) {
    if (!libos_user_range_ok(mask, size, false))
        return -EFAULT;
    uint64_t m = 0;
    memcpy(&m, mask, MIN(size, sizeof(m)));
    if (!m)
        return -EINVAL;
    struct libos_thread *ref;
    long err = 0;
    pal_handle_t *h = thread_of(pid, &ref, &err);
    if (err)
        return err;
    long r = libos_errno_from_pal(pal_thread_set_affinity(h, &m, sizeof(m)));
    if (ref)
        libos_thread_put(ref);
    return r == -EINVAL ? -EINVAL : r;
}

static long check_target(int pid) {
    if (pid < 0)
        return -EINVAL;
    if (pid == 0)
        return 0;
    struct libos_thread *t = libos_thread_find((uint32_t)pid);
    if (!t)
        return -ESRCH;
    libos_thread_put(t);
    return 0;
}

long libos_sys_sched_getscheduler(int pid) {
    long r = check_target(pid);
    return r < 0 ? r : SCHED_OTHER;
}

long libos_sys_sched_getparam(int pid, void *param) {
    long r = check_target(pid);
    if (r < 0)
        return r;
    if (!libos_user_range_ok(param, sizeof(int), true))
        return -EFAULT;
    *(int *)param = 0;
    return 0;
}

static long set_policy(int policy, const void *param) {
    if (!libos_user_range_ok(param, sizeof(int), false))
        return -EFAULT;
    int prio = *(const int *)param;
    switch (policy & ~SCHED_RESET_ON_FORK) {
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return prio == 0 ? 0 : -EINVAL;
    case SCHED_FIFO:
    case SCHED_RR:
        if (prio < 1 || prio > 99)
            return -EINVAL;
        return -EPERM; /* real-time scheduling is not granted inside sabot */
    default:
        return -EINVAL;
    }
}

long libos_sys_sched_setscheduler(int pid, int policy, const void *param) {
    long r = check_target(pid);
    return r < 0 ? r : set_policy(policy, param);
}

long libos_sys_sched_setparam(int pid, const void *param) {
    long r = check_target(pid);
    return r < 0 ? r : set_policy(SCHED_OTHER, param);
}

long libos_sys_sched_get_priority_max(int policy) {
    switch (policy) {
    case SCHED_FIFO:
    case SCHED_RR:
        return 99;
    case SCHED_OTHER:
    case SCHED_BATCH:
    case SCHED_IDLE:
        return 0;
    default:
        return -EINVAL;
    }
}

long libos_sys_sched_get_priority_min(int policy) {
    long r = libos_sys_sched_get_priority_max(policy);
    return r > 0 ? 1 : r;
}

static int g_nice; /* one value for the process */

long libos_sys_getpriority(int which, int who) {
    if (which < PRIO_PROCESS || which > PRIO_USER)
        return -EINVAL;
    return 20 - g_nice; /* the raw syscall returns 20 - nice */
}

long libos_sys_setpriority(int which, int who, int prio) {
    if (which < PRIO_PROCESS || which > PRIO_USER)
        return -EINVAL;
    prio = prio < -20 ? -20 : prio > 19 ? 19 : prio;
    if (prio < g_nice && g_process.euid != 0)
        return -EACCES; /* raising priority needs privilege */
    g_nice = prio;
    return 0;
}

long libos_sys_getcpu(unsigned *cpu, unsigned *node, void *cache) {
    if ((cpu && !libos_user_range_ok(cpu, 4, true)) ||
        (node && !libos_user_range_ok(node, 4, true)))
        return -EFAULT;
    unsigned c, n;
    libos_vdso_getcpu(&c, &n); /* the same answer the vDSO gives */
    if (cpu)
        *cpu = c;
    if (node)
        *node = n;
    return 0;
}
