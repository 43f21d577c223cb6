/* Clocks, sleeping, and CPU-time accounting (times, getrusage). */
#include "libos_syscalls.h"
#include "libos_time.h"

enum clock_kind { KIND_REAL = 1, KIND_MONO, KIND_PROCESS_CPU, KIND_THREAD_CPU };

/* CPU-time clock ids of a pid/tid, as clock_getcpuclockid and
 * pthread_getcpuclockid make them: (~id << 3) | type, bit 2 = per-thread. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_FD 3

static int cpuclock_kind(int clock) {
    if ((clock & 3) == CPUCLOCK_FD)
        return -EINVAL;
    uint32_t id = ~(uint32_t)(clock >> 3);
    if (clock & CPUCLOCK_PERTHREAD) {
        /* Only the calling thread's CPU time is known to the PAL. */
        if (id == 0 || id == libos_current_thread()->tid)
            return KIND_THREAD_CPU;
        return -EINVAL;
    }
    return id == 0 || id == g_process.pid ? KIND_PROCESS_CPU : -EINVAL;
}

static int clock_kind(int clock) {
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
    case CLOCK_REALTIME_ALARM:
        return KIND_REAL;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
        return KIND_MONO;
    case CLOCK_PROCESS_CPUTIME_ID:
        return KIND_PROCESS_CPU;
    case CLOCK_THREAD_CPUTIME_ID:
        return KIND_THREAD_CPU;
    default:
        return clock < 0 ? cpuclock_kind(clock) : -EINVAL;
    }
}

bool libos_clock_is_cputime(int clock) {
    int k = clock_kind(clock);
    return k == KIND_PROCESS_CPU || k == KIND_THREAD_CPU;
}

long libos_time_now(int clock, uint64_t *ns) {
    static const enum pal_clock pal_clock[] = {
        [KIND_REAL] = PAL_CLOCK_REALTIME,
        [KIND_MONO] = PAL_CLOCK_MONOTONIC,
        [KIND_PROCESS_CPU] = PAL_CLOCK_PROCESS_CPU,
        [KIND_THREAD_CPU] = PAL_CLOCK_THREAD_CPU,
    };
    int k = clock_kind(clock);
    if (k < 0)
        return k;
    if (k == KIND_REAL || k == KIND_MONO) {
        uint64_t mono;
        int64_t off;
        libos_vdso_maybe_sync();
        if (libos_vdso_clock(&mono, &off)) {
            *ns = k == KIND_REAL ? mono + off : mono;
            return 0;
        }
    }
    return libos_errno_from_pal(pal_time_get(pal_clock[k], ns));
}

long libos_sys_clock_gettime(int clock, struct linux_timespec *tp) {
    uint64_t ns;
    long r = libos_time_now(clock, &ns);
    if (r < 0)
        return r;
    if (!libos_user_range_ok(tp, sizeof(*tp), true))
        return -EFAULT;
    libos_ns_to_ts(ns, tp);
    return 0;
}

long libos_sys_clock_getres(int clock, struct linux_timespec *tp) {
    long r = clock_kind(clock);
    if (r < 0)
        return r;
    if (!tp)
        return 0;
    if (!libos_user_range_ok(tp, sizeof(*tp), true))
        return -EFAULT;
    bool coarse = clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE;
    tp->tv_sec = 0;
    tp->tv_nsec = coarse ? LIBOS_COARSE_RES_NS : 1;
    return 0;
}

long libos_sys_gettimeofday(struct linux_timeval *tv, struct linux_timezone *tz) {
    if (tv) {
        uint64_t ns;
        long r = libos_time_now(CLOCK_REALTIME, &ns);
        if (r < 0)
            return r;
        if (!libos_user_range_ok(tv, sizeof(*tv), true))
            return -EFAULT;
        tv->tv_sec = ns / NSEC_PER_SEC;
        tv->tv_usec = (ns % NSEC_PER_SEC) / NSEC_PER_USEC;
    }
    if (tz) {
        if (!libos_user_range_ok(tz, sizeof(*tz), true))
            return -EFAULT;
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

long libos_sys_time(int64_t *t) {
    uint64_t ns;
    long r = libos_time_now(CLOCK_REALTIME, &ns);
    if (r < 0)
        return r;
    int64_t s = ns / NSEC_PER_SEC;
    if (t) {
        if (!libos_user_range_ok(t, sizeof(*t), true))
            return -EFAULT;
        *t = s;
    }
    return s;
}

/* ------------------------------------------------------------ sleeping */

/* Sleep until clock reaches deadline, or a signal interrupts (-EINTR). */
static long sleep_until(int clock, uint64_t deadline) {
    bool cpu = libos_clock_is_cputime(clock);
    uint32_t ncpu = g_boot->host.cpu_count ? g_boot->host.cpu_count : 1;
    for (;;) {
        uint64_t now;
        long r = libos_time_now(clock, &now);
        if (r < 0)
            return r;
        if (now >= deadline)
            return 0;
        /* Process CPU time runs at most ncpu times as fast as wall time. */
        uint64_t left = cpu ? (deadline - now) / ncpu + 1000 : deadline - now;
        r = libos_thread_wait(0, NULL, NULL, NULL, &left);
        if (r < 0 && r != -ETIMEDOUT)
            return r;
    }
}

static long read_timespec(const struct linux_timespec *ts, uint64_t *ns) {
    if (!libos_user_range_ok(ts, sizeof(*ts), false))
        return -EFAULT;
    if (!libos_ts_valid(ts))
        return -EINVAL;
    *ns = libos_ts_to_ns(ts);
    return 0;
}

/* Interrupted: store what is left of a relative sleep, then let the
 * dispatcher restart the call if no handler runs (Linux restarts it with
 * restart_syscall; a handler makes it EINTR). */
static long interrupted(int clock, uint64_t deadline, struct linux_timespec *rem) {
    if (rem) {
        uint64_t now = deadline;
        libos_time_now(clock, &now);
        if (!libos_user_range_ok(rem, sizeof(*rem), true))
            return -EFAULT;
        libos_ns_to_ts(deadline > now ? deadline - now : 0, rem);
    }
    return -ERESTARTNOHAND;
}

static long do_sleep(int clock, int flags, uint64_t ns, struct linux_timespec *rem) {
    uint64_t now;
    long r = libos_time_now(clock, &now);
    if (r < 0)
        return r;
    uint64_t deadline = (flags & TIMER_ABSTIME) ? ns : now + ns;
    r = sleep_until(clock, deadline);
    if (r == -EINTR)
        return interrupted(clock, deadline, (flags & TIMER_ABSTIME) ? NULL : rem);
    return r;
}

long libos_sys_nanosleep(const struct linux_timespec *req, struct linux_timespec *rem) {
    uint64_t ns;
    long r = read_timespec(req, &ns);
    return r < 0 ? r : do_sleep(CLOCK_MONOTONIC, 0, ns, rem);
}

long libos_sys_clock_nanosleep(int clock, int flags, const struct linux_timespec *req,
                               struct linux_timespec *rem) {
    switch (clock) {
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
        return -EOPNOTSUPP; /* Linux cannot sleep on these */
    }
    if (clock_kind(clock) < 0)
        return -EINVAL;
    uint64_t ns;
    long r = read_timespec(req, &ns);
    if (r < 0)
        return r;
    if (clock_kind(clock) == KIND_THREAD_CPU)
        return -EINVAL;
    return do_sleep(clock, flags, ns, rem);
}

/* ------------------------------------------------------- CPU accounting */

#define USER_HZ 100
#define NSEC_PER_TICK (NSEC_PER_SEC / USER_HZ)

/* The PAL reports one CPU time; the libos runs in the app's process, so
 * all of it is "user" time (stime stays 0). */
long libos_sys_times(struct linux_tms *buf) {
    uint64_t cpu = 0, mono = 0;
    pal_time_get(PAL_CLOCK_PROCESS_CPU, &cpu);
    long r = libos_time_now(CLOCK_MONOTONIC, &mono);
    if (r < 0)
        return r;
    if (buf) {
        if (!libos_user_range_ok(buf, sizeof(*buf), true))
            return -EFAULT;
        buf->tms_utime = cpu / NSEC_PER_TICK;
        buf->tms_stime = 0;
        buf->tms_cutime = buf->tms_cstime = 0;
    }
    return mono / NSEC_PER_TICK;
}

long libos_sys_getrusage(int who, struct linux_rusage *ru) {
    if (who != RUSAGE_SELF && who != RUSAGE_THREAD && who != RUSAGE_CHILDREN)
        return -EINVAL;
    if (!libos_user_range_ok(ru, sizeof(*ru), true))
        return -EFAULT;
    uint64_t cpu = 0; /* children: none waited for yet */
    if (who != RUSAGE_CHILDREN) {
        enum pal_clock c = who == RUSAGE_SELF ? PAL_CLOCK_PROCESS_CPU : PAL_CLOCK_THREAD_CPU;
        long r = libos_errno_from_pal(pal_time_get(c, &cpu));
        if (r < 0)
            return r;
    }
    memset(ru, 0, sizeof(*ru));
    ru->ru_utime.tv_sec = cpu / NSEC_PER_SEC;
    ru->ru_utime.tv_usec = cpu % NSEC_PER_SEC / NSEC_PER_USEC;
    return 0;
}
