/* Clocks and sleeping. */
#include "libos_syscalls.h"

static long clock_to_pal(int clock, enum pal_clock *out) {
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
    case CLOCK_REALTIME_ALARM:
        *out = PAL_CLOCK_REALTIME;
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
        *out = PAL_CLOCK_MONOTONIC;
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
        *out = PAL_CLOCK_PROCESS_CPU;
        return 0;
    case CLOCK_THREAD_CPUTIME_ID:
        *out = PAL_CLOCK_THREAD_CPU;
        return 0;
    default:
        return -EINVAL;
    }
}

static long now_ns(int clock, uint64_t *ns) {
    enum pal_clock pc;
    long r = clock_to_pal(clock, &pc);
    if (r < 0)
        return r;
    return libos_errno_from_pal(pal_time_get(pc, ns));
}

long libos_sys_clock_gettime(int clock, struct linux_timespec *tp) {
    uint64_t ns;
    long r = now_ns(clock, &ns);
    if (r < 0)
        return r;
    if (!libos_user_range_ok(tp, sizeof(*tp), true))
        return -EFAULT;
    tp->tv_sec = ns / 1000000000ULL;
    tp->tv_nsec = ns % 1000000000ULL;
    return 0;
}

long libos_sys_clock_getres(int clock, struct linux_timespec *tp) {
    enum pal_clock pc;
    long r = clock_to_pal(clock, &pc);
    if (r < 0)
        return r;
    if (!tp)
        return 0;
    if (!libos_user_range_ok(tp, sizeof(*tp), true))
        return -EFAULT;
    bool coarse = clock == CLOCK_REALTIME_COARSE || clock == CLOCK_MONOTONIC_COARSE;
    tp->tv_sec = 0;
    tp->tv_nsec = coarse ? 4000000 : 1;
    return 0;
}

long libos_sys_gettimeofday(struct linux_timeval *tv, struct linux_timezone *tz) {
    if (tv) {
        uint64_t ns;
        long r = libos_errno_from_pal(pal_time_get(PAL_CLOCK_REALTIME, &ns));
        if (r < 0)
            return r;
        if (!libos_user_range_ok(tv, sizeof(*tv), true))
            return -EFAULT;
        tv->tv_sec = ns / 1000000000ULL;
        tv->tv_usec = (ns % 1000000000ULL) / 1000;
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
    long r = libos_errno_from_pal(pal_time_get(PAL_CLOCK_REALTIME, &ns));
    if (r < 0)
        return r;
    int64_t s = ns / 1000000000ULL;
    if (t) {
        if (!libos_user_range_ok(t, sizeof(*t), true))
            return -EFAULT;
        *t = s;
    }
    return s;
}

/* Sleep for ns nanoseconds; on interruption store what is left. */
static long sleep_ns(uint64_t ns, struct linux_timespec *rem) {
    uint64_t us = (ns + 999) / 1000;
    while (us) {
        int r = pal_event_wait(NULL, &us);
        if (r == -PAL_ERR_TIMEOUT || r == 0)
            break;
        if (r == -PAL_ERR_INTERRUPTED) {
            if (rem && libos_user_range_ok(rem, sizeof(*rem), true)) {
                rem->tv_sec = us / 1000000;
                rem->tv_nsec = (us % 1000000) * 1000;
            }
            return -EINTR;
        }
        return libos_errno_from_pal(r);
    }
    return 0;
}

static long read_timespec(const struct linux_timespec *ts, uint64_t *ns) {
    if (!libos_user_range_ok(ts, sizeof(*ts), false))
        return -EFAULT;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -EINVAL;
    *ns = (uint64_t)ts->tv_sec * 1000000000ULL + ts->tv_nsec;
    return 0;
}

long libos_sys_nanosleep(const struct linux_timespec *req, struct linux_timespec *rem) {
    uint64_t ns;
    long r = read_timespec(req, &ns);
    return r < 0 ? r : sleep_ns(ns, rem);
}

long libos_sys_clock_nanosleep(int clock, int flags, const struct linux_timespec *req,
                               struct linux_timespec *rem) {
    if (clock == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    uint64_t ns, now;
    long r = now_ns(clock, &now);
    if (r < 0)
        return r;
    r = read_timespec(req, &ns);
    if (r < 0)
        return r;
    if (flags & TIMER_ABSTIME) {
        ns = ns > now ? ns - now : 0;
        rem = NULL; /* absolute sleeps do not report a remainder */
    }
    return sleep_ns(ns, rem);
}
