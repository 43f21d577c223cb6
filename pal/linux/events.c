/* Events and waits. An event is a host eventfd (counter > 0 = set), so it
 * can be waited on together with any other host fd in one ppoll. */
#include "pal_linux.h"

#define EFD_NONBLOCK 04000
#define EFD_CLOEXEC 02000000
#define HOST_POLLIN 0x001
#define HOST_POLLOUT 0x004
#define HOST_POLLERR 0x008
#define HOST_POLLHUP 0x010
#define HOST_POLLNVAL 0x020
#define HOST_POLLRDHUP 0x2000

struct host_pollfd {
    int fd;
    short events, revents;
};

PAL_FORK_TEXT int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out) {
    long fd = host_syscall2(__NR_eventfd2, init_signaled ? 1 : 0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (host_is_err(fd))
        return pal_linux_err(fd);
    struct pal_handle *h = pal_linux_handle_new(HANDLE_EVENT, (int)fd);
    if (!h) {
        host_syscall1(__NR_close, fd);
        return -PAL_ERR_NOMEM;
    }
    h->auto_clear = auto_clear;
    *out = h;
    return 0;
}

int pal_event_set(pal_handle_t *ev) {
    if (!ev || ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    uint64_t one = 1;
    long r = host_syscall3(__NR_write, ev->fd, &one, 8);
    /* EAGAIN: the counter is saturated, i.e. already set. */
    return host_is_err(r) && r != -EAGAIN ? pal_linux_err(r) : 0;
}

/* Consume the event; true if it was set. */
static bool event_take(pal_handle_t *ev) {
    uint64_t v;
    return !host_is_err(host_syscall3(__NR_read, ev->fd, &v, 8));
}

int pal_event_clear(pal_handle_t *ev) {
    if (!ev || ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    event_take(ev);
    return 0;
}

static uint64_t now_ns(void) {
    struct host_timespec ts;
    host_syscall2(__NR_clock_gettime, HOST_CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static short host_events(uint32_t ev) {
    return ((ev & PAL_WAIT_READ) ? HOST_POLLIN : 0) | ((ev & PAL_WAIT_WRITE) ? HOST_POLLOUT : 0) |
           ((ev & PAL_WAIT_PEER_CLOSED) ? HOST_POLLRDHUP : 0);
}

static uint32_t pal_events(short rev) {
    return ((rev & HOST_POLLIN) ? PAL_WAIT_READ : 0) | ((rev & HOST_POLLOUT) ? PAL_WAIT_WRITE : 0) |
           ((rev & (HOST_POLLERR | HOST_POLLNVAL)) ? PAL_WAIT_ERROR : 0) |
           ((rev & HOST_POLLHUP) ? PAL_WAIT_HANGUP : 0) |
           ((rev & HOST_POLLRDHUP) ? PAL_WAIT_PEER_CLOSED : 0);
}

#define WAIT_MAX 1024

int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us) {
    if (count > WAIT_MAX)
        return -PAL_ERR_INVAL;
    /* Most waits are a handle or two plus the wake event: no heap then. */
    struct host_pollfd local[16];
    struct host_pollfd *fds = count <= 16 ? local : pal_linux_malloc(count * sizeof(*fds));
    if (!fds)
        return -PAL_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        fds[i].fd = handles[i] ? handles[i]->fd : -1; /* -1: ignored by ppoll */
        fds[i].events = host_events(events[i]);
        fds[i].revents = 0;
        ret_events[i] = 0;
    }
    uint64_t deadline = timeout_us ? now_ns() + *timeout_us * 1000 : 0;
    int ret;
    for (;;) {
        struct host_timespec ts, *tsp = 0;
        if (timeout_us) {
            uint64_t now = now_ns();
            uint64_t left = now < deadline ? deadline - now : 0;
            ts.tv_sec = left / 1000000000ULL;
            ts.tv_nsec = left % 1000000000ULL;
            tsp = &ts;
        }
        /* Asynchronous host signals (SIGINT, SIGTERM, the PAL's wake-up)
         * are blocked while the libos runs; let them in only while waiting,
         * where the thread holds no libos lock, so they end the wait. */
        uint64_t mask = 1ULL << (HOST_SIGSYS - 1);
        long r = pal_host_ppoll(fds, count, tsp, &mask);
        if (host_is_err(r)) {
            ret = r == -EINTR ? -PAL_ERR_INTERRUPTED : pal_linux_err(r);
            break;
        }
        int ready = 0;
        for (size_t i = 0; i < count; i++) {
            uint32_t e = pal_events(fds[i].revents);
            /* Auto-clear events are consumed by the waiter that sees them;
             * if another waiter got there first, this one was not woken. */
            if (e && handles[i]->kind == HANDLE_EVENT && handles[i]->auto_clear &&
                !event_take(handles[i]))
                e = 0;
            ret_events[i] = e;
            ready += e != 0;
        }
        if (ready) {
            ret = ready;
            break;
        }
        if (r == 0 || (timeout_us && now_ns() >= deadline)) {
            ret = -PAL_ERR_TIMEOUT;
            break;
        }
    }
    if (timeout_us) {
        uint64_t now = now_ns();
        *timeout_us = now < deadline ? (deadline - now) / 1000 : 0;
    }
    if (fds != local)
        pal_linux_free(fds);
    return ret;
}

int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us) {
    if (ev && ev->kind != HANDLE_EVENT)
        return -PAL_ERR_BADHANDLE;
    uint32_t want = PAL_WAIT_READ, got;
    int r = pal_wait_handles(ev ? 1 : 0, &ev, &want, &got, timeout_us);
    if (r > 0 && ev && !ev->auto_clear)
        return 0;
    return r > 0 ? 0 : r;
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
