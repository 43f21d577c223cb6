/* Events and waits on host futexes. An event is a 32-bit word: 1 set, 0
 * clear. */
#include "pal_linux.h"

static struct host_timespec *us_to_ts(struct host_timespec *ts, const uint64_t *us) {
    if (!us)
        return 0;
    ts->tv_sec = *us / 1000000;
    ts->tv_nsec = (*us % 1000000) * 1000;
    return ts;
}

static uint64_t now_us(void) {
    struct host_timespec ts;
    host_syscall2(__NR_clock_gettime, HOST_CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out) {
    struct pal_handle *h = pal_linux_handle_new(HANDLE_EVENT, -1);
    if (!h)
        return -PAL_ERR_NOMEM;
    h->event_word = init_signaled;
    h->auto_clear = auto_clear;
    *out = h;
    return 0;
}

int pal_event_set(pal_handle_t *ev) {
    if (!ev || ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    __atomic_store_n(&ev->event_word, 1, __ATOMIC_RELEASE);
    host_syscall3(__NR_futex, &ev->event_word, HOST_FUTEX_WAKE, ev->auto_clear ? 1 : 0x7fffffff);
    return 0;
}

int pal_event_clear(pal_handle_t *ev) {
    if (!ev || ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    __atomic_store_n(&ev->event_word, 0, __ATOMIC_RELEASE);
    return 0;
}

int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us) {
    uint64_t deadline = timeout_us ? now_us() + *timeout_us : 0;
    if (!ev) {
        if (!timeout_us)
            return -PAL_ERR_INVAL;
        struct host_timespec ts;
        long r = host_syscall2(__NR_nanosleep, us_to_ts(&ts, timeout_us), 0);
        uint64_t now = now_us();
        *timeout_us = now < deadline ? deadline - now : 0;
        return host_is_err(r) ? pal_linux_err(r) : -PAL_ERR_TIMEOUT;
    }
    if (ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    for (;;) {
        if (ev->auto_clear) {
            if (__atomic_exchange_n(&ev->event_word, 0, __ATOMIC_ACQUIRE))
                break;
        } else if (__atomic_load_n(&ev->event_word, __ATOMIC_ACQUIRE)) {
            break;
        }
        struct host_timespec ts, *tsp = 0;
        uint64_t left = 0;
        if (timeout_us) {
            uint64_t now = now_us();
            if (now >= deadline) {
                *timeout_us = 0;
                return -PAL_ERR_TIMEOUT;
            }
            left = deadline - now;
            tsp = us_to_ts(&ts, &left);
        }
        long r = host_syscall4(__NR_futex, &ev->event_word, HOST_FUTEX_WAIT, 0, tsp);
        if (r == -EINTR)
            return -PAL_ERR_INTERRUPTED;
    }
    if (timeout_us) {
        uint64_t now = now_us();
        *timeout_us = now < deadline ? deadline - now : 0;
    }
    return 0;
}

int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us) {
    /* poll(2) over host fds arrives with the pipes/sockets issue. */
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_addr_wait(uint32_t *addr, uint32_t expected, uint64_t *timeout_ns) {
    struct host_timespec ts, *tsp = 0;
    if (timeout_ns) {
        ts.tv_sec = *timeout_ns / 1000000000ULL;
        ts.tv_nsec = *timeout_ns % 1000000000ULL;
        tsp = &ts;
    }
    long r = host_syscall4(__NR_futex, addr, HOST_FUTEX_WAIT, expected, tsp);
    if (r == -ETIMEDOUT)
        return -PAL_ERR_TIMEOUT;
    if (r == -EAGAIN)
        return -PAL_ERR_AGAIN;
    return pal_linux_err(r);
}

int pal_addr_wake(uint32_t *addr, uint32_t count) {
    long r = host_syscall3(__NR_futex, addr, HOST_FUTEX_WAKE, count);
    return host_is_err(r) ? pal_linux_err(r) : (int)r;
}
