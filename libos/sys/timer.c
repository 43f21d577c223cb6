/* Timers: POSIX timers, itimers and alarm, and the expiry side of timerfd.
 * One libos service thread sleeps until the nearest deadline (or until the
 * vDSO's next re-alignment), fires what expired, and is woken through its
 * wake_event whenever a timer changes. Signals go out through the signal
 * core with the siginfo Linux gives: SI_TIMER with si_timerid/si_overrun
 * for POSIX timers, SI_KERNEL for itimers and alarm. */
#include "libos_signal.h"
#include "libos_syscalls.h"
#include "libos_time.h"

#define MAX_POSIX_TIMERS 4096
#define CPU_POLL_MIN_NS 1000000ULL /* CPU-time deadlines: re-check at least this often */

/* What a fork resets is LIBOS_FORK_HOT (one page to copy, not several). */
LIBOS_FORK_HOT struct libos_lock g_timer_lock = LIBOS_LOCK_INIT;
static LIBOS_FORK_HOT struct libos_timer *g_timers; /* every live timer */
static struct libos_timer *g_posix[MAX_POSIX_TIMERS];
/* Slots below g_posix_used were ever taken (fork clears only those). */
static LIBOS_FORK_HOT int g_posix_used;
static LIBOS_FORK_HOT struct libos_timer g_itimers[3];     /* ITIMER_REAL, _VIRTUAL, _PROF */
static LIBOS_FORK_HOT struct libos_thread *g_timer_thread; /* the service thread, once running */
static LIBOS_FORK_HOT int g_timer_thread_state; /* 0 none, 1 starting/running, -1 failed */

static const int g_itimer_clock[3] = {CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                      CLOCK_PROCESS_CPUTIME_ID};
static const int g_itimer_signal[3] = {SIGALRM, SIGVTALRM, SIGPROF};

static uint32_t ncpu(void) {
    return g_boot && g_boot->host.cpu_count ? g_boot->host.cpu_count : 1;
}

/* ------------------------------------------------------------ expiry */

/* Is sig still pending where the timer sent it (g_process.lock held)? */
static struct linux_siginfo_timer *pending_info(struct libos_timer *t, struct libos_thread *th) {
    uint64_t bit = 1ULL << (t->signo - 1);
    if (th && (th->sigpending & bit))
        return (struct linux_siginfo_timer *)&th->siginfo[t->signo - 1];
    if (!th && (g_process.sigpending & bit))
        return (struct linux_siginfo_timer *)&g_process.siginfo[t->signo - 1];
    return NULL;
}

/* Send t's signal for n expirations. While an earlier one is still pending
 * Linux queues no second one but counts overruns into the pending siginfo. */
static void fire_signal(struct libos_timer *t, uint64_t n) {
    struct libos_thread *th = NULL;
    if (t->notify == SIGEV_THREAD_ID && !(th = libos_thread_find(t->tid)))
        return; /* the target thread is gone */
    struct linux_siginfo_timer si = {.si_signo = t->signo, .si_code = t->code};
    if (t->code == SI_TIMER) {
        si.si_tid = t->id;
        si.si_sigval = t->sigval;
        libos_lock(&g_process.lock);
        struct linux_siginfo_timer *p = pending_info(t, th);
        if (p && p->si_code == SI_TIMER && p->si_tid == t->id) {
            t->overrun += n;
            p->si_overrun = (int)MIN(t->overrun, 0x7fffffff);
            libos_unlock(&g_process.lock);
            goto out;
        }
        libos_unlock(&g_process.lock);
        /* The previous signal was delivered carrying t->overrun. */
        t->overrun_last = t->overrun;
        t->overrun = n - 1;
        si.si_overrun = (int)MIN(t->overrun, 0x7fffffff);
    }
    if (th)
        libos_signal_send_thread(th, (const struct linux_siginfo *)&si);
    else
        libos_signal_send_process((const struct linux_siginfo *)&si);
out:
    if (th)
        libos_thread_put(th);
}

static void fire(struct libos_timer *t, uint64_t n) {
    if (t->kind == LIBOS_TIMER_FD) {
        t->ticks += n;
        libos_waitq_wake_all(&t->waitq);
    } else if (t->notify != SIGEV_NONE) {
        fire_signal(t, n);
    }
}

/* Fire what expired; returns ns of wall time until the next check. */
static uint64_t run_timers(void) {
    uint64_t next = UINT64_MAX;
    libos_lock(&g_timer_lock);
    for (struct libos_timer *t = g_timers; t; t = t->next) {
        uint64_t now;
        if (!t->expire || libos_time_now(t->clock, &now) < 0)
            continue;
        if (now >= t->expire) {
            uint64_t n = 1;
            if (t->interval) {
                n += (now - t->expire) / t->interval;
                t->expire += n * t->interval;
            } else {
                t->expire = 0;
            }
            fire(t, n);
            if (!t->expire)
                continue;
        }
        uint64_t left = t->expire - now;
        /* Process CPU time runs at most ncpu times as fast as wall time. */
        if (libos_clock_is_cputime(t->clock))
            left = MAX(left / ncpu(), CPU_POLL_MIN_NS);
        next = MIN(next, left);
    }
    libos_unlock(&g_timer_lock);
    return next;
}

static int timer_thread(void *arg) {
    g_timer_thread = libos_current_thread();
    for (;;) {
        uint64_t sleep = MIN(run_timers(), libos_vdso_maybe_sync());
        libos_thread_wait(0, NULL, NULL, NULL, sleep == UINT64_MAX ? NULL : &sleep);
    }
    return 0;
}

/* Start the service thread once; later calls just wake it. */
static void kick_timer_thread(void) {
    if (__atomic_load_n(&g_timer_thread_state, __ATOMIC_ACQUIRE) == 0) {
        int expected = 0;
        if (__atomic_compare_exchange_n(&g_timer_thread_state, &expected, 1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            long r = libos_thread_create_internal(timer_thread, NULL);
            if (r < 0) {
                log_error("cannot start the timer thread (%ld): timers will not fire", r);
                __atomic_store_n(&g_timer_thread_state, -1, __ATOMIC_RELEASE);
            }
            return;
        }
    }
    struct libos_thread *t = __atomic_load_n(&g_timer_thread, __ATOMIC_ACQUIRE);
    if (t)
        libos_thread_wake(t);
}

void libos_timer_service_start(void) {
    kick_timer_thread();
}

/* ------------------------------------------------------------ generic */

long libos_timer_add(struct libos_timer *t) {
    libos_lock(&g_timer_lock);
    t->next = g_timers;
    g_timers = t;
    libos_unlock(&g_timer_lock);
    return 0;
}

void libos_timer_remove(struct libos_timer *t) {
    libos_lock(&g_timer_lock);
    for (struct libos_timer **pp = &g_timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    libos_unlock(&g_timer_lock);
}

/* Remaining time of t (g_timer_lock held). Linux never reports an armed
 * timer as 0: an overdue one shows 1 ns left. */
static void get_locked(struct libos_timer *t, uint64_t *value, uint64_t *interval) {
    uint64_t now = 0;
    *interval = t->interval;
    *value = 0;
    if (t->expire && libos_time_now(t->clock, &now) == 0)
        *value = t->expire > now ? t->expire - now : 1;
}

void libos_timer_get(struct libos_timer *t, uint64_t *value, uint64_t *interval) {
    libos_lock(&g_timer_lock);
    get_locked(t, value, interval);
    libos_unlock(&g_timer_lock);
}

long libos_timer_set(struct libos_timer *t, uint64_t value_ns, uint64_t interval_ns, bool abs,
                     uint64_t *old_value, uint64_t *old_interval) {
    uint64_t now;
    long r = libos_time_now(t->clock, &now);
    if (r < 0)
        return r;
    libos_lock(&g_timer_lock);
    uint64_t ov, oi;
    get_locked(t, &ov, &oi);
    if (old_value)
        *old_value = ov;
    if (old_interval)
        *old_interval = oi;
    t->interval = value_ns ? interval_ns : 0;
    t->ticks = 0; /* timerfd: re-arming discards unread expirations */
    if (!value_ns)
        t->expire = 0;
    else if (abs)
        t->expire = value_ns;
    else
        t->expire = now + value_ns;
    if (t->expire == 0 && value_ns)
        t->expire = 1; /* absolute time 0 is in the past: fire now */
    libos_unlock(&g_timer_lock);
    if (value_ns)
        kick_timer_thread();
    return 0;
}

/* ------------------------------------------------------- itimers, alarm */

static struct libos_timer *itimer(int which) {
    struct libos_timer *t = &g_itimers[which];
    if (!t->kind) {
        libos_lock(&g_timer_lock);
        if (!t->kind) {
            t->clock = g_itimer_clock[which];
            t->signo = g_itimer_signal[which];
            t->notify = SIGEV_SIGNAL;
            t->code = SI_KERNEL;
            t->next = g_timers;
            g_timers = t;
            __atomic_store_n(&t->kind, LIBOS_TIMER_ITIMER, __ATOMIC_RELEASE);
        }
        libos_unlock(&g_timer_lock);
    }
    return t;
}

static void ns_to_tv(uint64_t ns, struct linux_timeval *tv) {
    tv->tv_sec = ns / NSEC_PER_SEC;
    tv->tv_usec = ns % NSEC_PER_SEC / NSEC_PER_USEC;
}

static bool tv_valid(const struct linux_timeval *tv) {
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

long libos_sys_getitimer(int which, struct linux_itimerval *cur) {
    if (which < 0 || which > ITIMER_PROF)
        return -EINVAL;
    if (!libos_user_range_ok(cur, sizeof(*cur), true))
        return -EFAULT;
    uint64_t v, i;
    libos_timer_get(itimer(which), &v, &i);
    ns_to_tv(v, &cur->it_value);
    ns_to_tv(i, &cur->it_interval);
    return 0;
}

long libos_sys_setitimer(int which, const struct linux_itimerval *val,
                         struct linux_itimerval *old) {
    if (which < 0 || which > ITIMER_PROF)
        return -EINVAL;
    struct linux_itimerval nv = {0};
    if (val) { /* NULL disarms, an old misfeature Linux keeps */
        if (!libos_user_range_ok(val, sizeof(*val), false))
            return -EFAULT;
        nv = *val;
        if (!tv_valid(&nv.it_value) || !tv_valid(&nv.it_interval))
            return -EINVAL;
    }
    if (old && !libos_user_range_ok(old, sizeof(*old), true))
        return -EFAULT;
    uint64_t v = nv.it_value.tv_sec * NSEC_PER_SEC + nv.it_value.tv_usec * NSEC_PER_USEC;
    uint64_t i = nv.it_interval.tv_sec * NSEC_PER_SEC + nv.it_interval.tv_usec * NSEC_PER_USEC;
    uint64_t ov, oi;
    long r = libos_timer_set(itimer(which), v, i, false, &ov, &oi);
    if (r == 0 && old) {
        ns_to_tv(ov, &old->it_value);
        ns_to_tv(oi, &old->it_interval);
    }
    return r;
}

long libos_sys_alarm(unsigned int seconds) {
    uint64_t ov = 0, oi = 0; /* libos_timer_set leaves them on failure */
    libos_timer_set(itimer(ITIMER_REAL), seconds * NSEC_PER_SEC, 0, false, &ov, &oi);
    /* As Linux: round to the nearest second, and never report a pending
     * alarm as 0. */
    uint64_t s = ov / NSEC_PER_SEC, us = ov % NSEC_PER_SEC / NSEC_PER_USEC;
    if ((!s && us) || us >= 500000)
        s++;
    return s;
}

/* ------------------------------------------------------- POSIX timers */

static bool timer_clock_ok(int clock) {
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_TAI:
        return true;
    default:
        /* CPU clock ids of this process (clock_getcpuclockid). */
        return clock < 0 && libos_clock_is_cputime(clock) && clock != CLOCK_THREAD_CPUTIME_ID &&
               !(clock & 4);
    }
}

long libos_sys_timer_create(int clock, const struct linux_sigevent *sev, int *id) {
    if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
        return -EPERM; /* needs CAP_WAKE_ALARM */
    if (!timer_clock_ok(clock))
        return -EINVAL;
    struct linux_sigevent ev = {.sigev_signo = SIGALRM, .sigev_notify = SIGEV_SIGNAL};
    if (sev) {
        if (!libos_user_range_ok(sev, sizeof(*sev), false))
            return -EFAULT;
        ev = *sev;
        if (ev.sigev_notify != SIGEV_NONE && ev.sigev_notify != SIGEV_SIGNAL &&
            ev.sigev_notify != SIGEV_THREAD_ID)
            return -EINVAL; /* SIGEV_THREAD is the C library's business */
        if (ev.sigev_notify != SIGEV_NONE && (ev.sigev_signo < 1 || ev.sigev_signo > LINUX_NSIG))
            return -EINVAL;
        if (ev.sigev_notify == SIGEV_THREAD_ID) {
            struct libos_thread *th = libos_thread_find(ev.tid);
            if (!th)
                return -EINVAL;
            libos_thread_put(th);
        }
    }
    if (!libos_user_range_ok(id, sizeof(*id), true))
        return -EFAULT;
    struct libos_timer *t = libos_calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->kind = LIBOS_TIMER_POSIX;
    t->clock = clock;
    t->notify = ev.sigev_notify;
    t->signo = ev.sigev_signo;
    t->tid = ev.tid;
    t->code = SI_TIMER;
    libos_lock(&g_timer_lock);
    int n = 0;
    while (n < MAX_POSIX_TIMERS && g_posix[n])
        n++;
    if (n == MAX_POSIX_TIMERS) {
        libos_unlock(&g_timer_lock);
        libos_free(t);
        return -EAGAIN;
    }
    t->id = n;
    t->sigval = sev ? ev.sigev_value : (uint64_t)n; /* default: the timer id */
    g_posix[n] = t;
    g_posix_used = MAX(g_posix_used, n + 1);
    t->next = g_timers;
    g_timers = t;
    libos_unlock(&g_timer_lock);
    *id = n;
    return 0;
}

/* The POSIX timer with this id (g_timer_lock not held: timers are freed
 * only by timer_delete, which the app must not race with its own use). */
static struct libos_timer *posix_timer(int id) {
    if (id < 0 || id >= MAX_POSIX_TIMERS)
        return NULL;
    libos_lock(&g_timer_lock);
    struct libos_timer *t = g_posix[id];
    libos_unlock(&g_timer_lock);
    return t;
}

long libos_itimerspec_set(struct libos_timer *t, int flags, const struct linux_itimerspec *val,
                          struct linux_itimerspec *old) {
    if (!libos_user_range_ok(val, sizeof(*val), false))
        return -EFAULT;
    struct linux_itimerspec nv = *val;
    if (!libos_ts_valid(&nv.it_value) || !libos_ts_valid(&nv.it_interval))
        return -EINVAL;
    if (old && !libos_user_range_ok(old, sizeof(*old), true))
        return -EFAULT;
    uint64_t ov, oi;
    long r = libos_timer_set(t, libos_ts_to_ns(&nv.it_value), libos_ts_to_ns(&nv.it_interval),
                             flags & TIMER_ABSTIME, &ov, &oi);
    if (r == 0 && old) {
        libos_ns_to_ts(ov, &old->it_value);
        libos_ns_to_ts(oi, &old->it_interval);
    }
    return r;
}

long libos_itimerspec_get(struct libos_timer *t, struct linux_itimerspec *cur) {
    if (!libos_user_range_ok(cur, sizeof(*cur), true))
        return -EFAULT;
    uint64_t v, i;
    libos_timer_get(t, &v, &i);
    libos_ns_to_ts(v, &cur->it_value);
    libos_ns_to_ts(i, &cur->it_interval);
    return 0;
}

long libos_sys_timer_settime(int id, int flags, const struct linux_itimerspec *val,
                             struct linux_itimerspec *old) {
    struct libos_timer *t = posix_timer(id);
    if (!t)
        return -EINVAL;
    if (!val)
        return -EINVAL;
    long r = libos_itimerspec_set(t, flags, val, old);
    if (r == 0) {
        libos_lock(&g_timer_lock);
        t->overrun = t->overrun_last = 0;
        libos_unlock(&g_timer_lock);
    }
    return r;
}

long libos_sys_timer_gettime(int id, struct linux_itimerspec *cur) {
    struct libos_timer *t = posix_timer(id);
    return t ? libos_itimerspec_get(t, cur) : -EINVAL;
}

long libos_sys_timer_getoverrun(int id) {
    struct libos_timer *t = posix_timer(id);
    if (!t)
        return -EINVAL;
    /* The count the last delivered signal carried: while a newer one is
     * still pending that is overrun_last, otherwise the current count. */
    struct libos_thread *th = NULL;
    if (t->notify == SIGEV_THREAD_ID)
        th = libos_thread_find(t->tid);
    libos_lock(&g_timer_lock);
    libos_lock(&g_process.lock);
    bool pending = t->notify != SIGEV_NONE && (t->notify != SIGEV_THREAD_ID || th) &&
                   pending_info(t, th) != NULL;
    libos_unlock(&g_process.lock);
    int64_t v = pending ? t->overrun_last : t->overrun;
    libos_unlock(&g_timer_lock);
    if (th)
        libos_thread_put(th);
    return MIN(v, 0x7fffffff);
}

long libos_sys_timer_delete(int id) {
    struct libos_timer *t = posix_timer(id);
    if (!t)
        return -EINVAL;
    libos_lock(&g_timer_lock);
    g_posix[id] = NULL;
    for (struct libos_timer **pp = &g_timers; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    libos_unlock(&g_timer_lock);
    libos_free(t);
    return 0;
}

/* In a forked child: POSIX timers, itimers and alarm are not inherited
 * (timerfds are, with their files); the service thread did not survive. */
LIBOS_FORK_TEXT void libos_timer_after_fork(void) {
    g_timer_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    for (struct libos_timer **pp = &g_timers; *pp;) {
        struct libos_timer *t = *pp;
        if (t->kind != LIBOS_TIMER_FD) {
            t->expire = 0;
            *pp = t->next;
        } else {
            pp = &t->next;
        }
    }
    /* Only the slots ever used: each page touched after fork is a fault. */
    for (int i = 0; i < g_posix_used; i++)
        g_posix[i] = NULL; /* the copies are leaked: they were the parent's */
    g_posix_used = 0;
    for (int i = 0; i < 3; i++)
        g_itimers[i].expire = 0;
    g_timer_thread = NULL;
    g_timer_thread_state = 0;
    if (g_timers)
        kick_timer_thread();
}
