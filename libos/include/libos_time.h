/* Time inside the libos: clocks (sys/time.c), the vDSO and its data page
 * (vdso/vdso_map.c), timers and their service thread (sys/timer.c),
 * timerfd (sys/timerfd.c). */
#ifndef SABOT_LIBOS_TIME_H
#define SABOT_LIBOS_TIME_H

#include "libos_wait.h"

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_USEC 1000ULL
#define LIBOS_COARSE_RES_NS 4000000ULL /* COARSE clocks: one 250 Hz tick */

/* Linux structures and constants of this family. */
struct linux_itimerspec {
    struct linux_timespec it_interval, it_value;
};
struct linux_itimerval {
    struct linux_timeval it_interval, it_value;
};
struct linux_sigevent {
    uint64_t sigev_value;
    int sigev_signo;
    int sigev_notify;
    union {
        int tid;
        int pad[12];
    };
};
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define SI_TIMER (-2)
/* The timer part of struct linux_siginfo (after si_signo/errno/code). */
struct linux_siginfo_timer {
    int si_signo, si_errno, si_code, pad0;
    int si_tid, si_overrun;
    uint64_t si_sigval;
};
#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_NONBLOCK O_NONBLOCK
#define TFD_CLOEXEC O_CLOEXEC
struct linux_tms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};
struct linux_rusage {
    struct linux_timeval ru_utime, ru_stime;
    int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap, ru_inblock,
        ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

/* Now on a Linux clock id (including CPU-time clock ids of this process),
 * in ns. Realtime and monotonic clocks use the vDSO's conversion when it is
 * active, so the app and the libos see the same time. -EINVAL if unknown. */
long libos_time_now(int clock, uint64_t *ns);
/* True for process/thread CPU-time clocks (which advance with CPU use). */
bool libos_clock_is_cputime(int clock);

/* vDSO (vdso/vdso_map.c). */
/* Map the vDSO and its data page for a new program; returns its address
 * (AT_SYSINFO_EHDR) or 0 if there is none. */
uint64_t libos_vdso_map(void);
/* Start the TSC calibration (first sample) early in start-up. */
void libos_vdso_calibrate_begin(void);
/* CLOCK_MONOTONIC and REALTIME - MONOTONIC from the TSC conversion; false
 * when the TSC is not in use (then callers ask the PAL). */
bool libos_vdso_clock(uint64_t *mono, int64_t *real_offset);
/* Re-align the conversion with the PAL's clocks if a sync is due; returns
 * ns until the next one is due (UINT64_MAX: never). */
uint64_t libos_vdso_maybe_sync(void);
/* In a fork child: drops the parent's other threads' claim on the sync. */
void libos_vdso_after_fork(void);
/* getcpu as the vDSO answers it. */
void libos_vdso_getcpu(unsigned *cpu, unsigned *node);

/* Timers (sys/timer.c). Every armed timer is served by one libos thread
 * that sleeps until the nearest deadline. */
enum { LIBOS_TIMER_POSIX = 1, LIBOS_TIMER_ITIMER, LIBOS_TIMER_FD };
struct libos_timer {
    struct libos_timer *next; /* in the list of live timers */
    int kind;                 /* LIBOS_TIMER_* */
    int clock;                /* Linux clock id */
    uint64_t expire;          /* absolute ns on clock; 0 = disarmed */
    uint64_t interval;        /* ns; 0 = one shot */
    /* Signal notification (POSIX timers, itimers). */
    int id;     /* POSIX timer id */
    int notify; /* SIGEV_* */
    int signo;
    uint32_t tid; /* SIGEV_THREAD_ID target */
    uint64_t sigval;
    int code;             /* si_code: SI_TIMER or SI_KERNEL */
    int64_t overrun;      /* expirations while the last signal was pending */
    int64_t overrun_last; /* what the last delivered signal carried */
    /* timerfd: expirations not yet read, and its readers. */
    uint64_t ticks;
    struct libos_waitq waitq;
};
/* Register t (zeroed by the caller except kind/clock) as a live timer. */
long libos_timer_add(struct libos_timer *t);
void libos_timer_remove(struct libos_timer *t);
/* Arm (value_ns > 0) or disarm t; value_ns is absolute on t->clock if abs.
 * Returns the previous setting in old_value and old_interval (remaining ns). */
long libos_timer_set(struct libos_timer *t, uint64_t value_ns, uint64_t interval_ns, bool abs,
                     uint64_t *old_value, uint64_t *old_interval);
/* timer_settime/timerfd_settime and _gettime on app itimerspecs. */
long libos_itimerspec_set(struct libos_timer *t, int flags, const struct linux_itimerspec *val,
                          struct linux_itimerspec *old);
long libos_itimerspec_get(struct libos_timer *t, struct linux_itimerspec *cur);
/* Start the timer service thread (it also keeps the vDSO aligned). */
void libos_timer_service_start(void);
/* Remaining ns and interval of t. */
void libos_timer_get(struct libos_timer *t, uint64_t *value, uint64_t *interval);
/* The lock guarding every timer's fields. */
extern struct libos_lock g_timer_lock;

/* Syscalls of this family beyond libos_syscalls.h. */
long libos_sys_alarm(unsigned int seconds);
long libos_sys_getitimer(int which, struct linux_itimerval *cur);
long libos_sys_setitimer(int which, const struct linux_itimerval *val, struct linux_itimerval *old);
long libos_sys_timer_create(int clock, const struct linux_sigevent *sev, int *id);
long libos_sys_timer_settime(int id, int flags, const struct linux_itimerspec *val,
                             struct linux_itimerspec *old);
long libos_sys_timer_gettime(int id, struct linux_itimerspec *cur);
long libos_sys_timer_getoverrun(int id);
long libos_sys_timer_delete(int id);
long libos_sys_timerfd_create(int clock, int flags);
long libos_sys_timerfd_settime(int fd, int flags, const struct linux_itimerspec *val,
                               struct linux_itimerspec *old);
long libos_sys_timerfd_gettime(int fd, struct linux_itimerspec *cur);
long libos_sys_times(struct linux_tms *buf);
long libos_sys_getrusage(int who, struct linux_rusage *ru);

/* timespec <-> ns helpers (no range check beyond Linux's). */
static inline uint64_t libos_ts_to_ns(const struct linux_timespec *ts) {
    return (uint64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}
static inline void libos_ns_to_ts(uint64_t ns, struct linux_timespec *ts) {
    ts->tv_sec = ns / NSEC_PER_SEC;
    ts->tv_nsec = ns % NSEC_PER_SEC;
}
static inline bool libos_ts_valid(const struct linux_timespec *ts) {
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (int64_t)NSEC_PER_SEC;
}

#endif
