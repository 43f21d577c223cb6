/* signalfd: reading dequeues pending signals of a mask as struct
 * signalfd_siginfo records; readable while one is pending for the reading
 * thread or its process. */
#include "libos_fs.h"
#include "libos_poll.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define SFD_CLOEXEC O_CLOEXEC
#define SFD_NONBLOCK O_NONBLOCK
#define SIGBIT(s) (1ULL << ((s)-1))
#define SI_TIMER (-2)
#define SI_SIGIO (-5)

struct linux_signalfd_siginfo {
    uint32_t ssi_signo;
    int32_t ssi_errno, ssi_code;
    uint32_t ssi_pid, ssi_uid;
    int32_t ssi_fd;
    uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno;
    int32_t ssi_status, ssi_int;
    uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;
    uint16_t ssi_addr_lsb, pad2;
    int32_t ssi_syscall;
    uint64_t ssi_call_addr;
    uint32_t ssi_arch;
    uint8_t pad[28];
};
_Static_assert(sizeof(struct linux_signalfd_siginfo) == 128, "signalfd_siginfo is 128 bytes");

struct signalfd {
    uint64_t mask; /* signals this fd reads (never SIGKILL/SIGSTOP) */
};

/* Fields of siginfo's union as signalfd_copyinfo picks them by layout. */
static void fill(struct linux_signalfd_siginfo *o, const struct linux_siginfo *si) {
    const uint8_t *u = (const uint8_t *)si->_pad; /* the union, at offset 16 */
    uint32_t w0, w1;
    uint64_t q8, q16, q24;
    memcpy(&w0, u, 4);
    memcpy(&w1, u + 4, 4);
    memcpy(&q8, u + 8, 8);
    memcpy(&q16, u + 16, 8);
    memcpy(&q24, u + 24, 8);
    memset(o, 0, sizeof(*o));
    o->ssi_signo = si->si_signo;
    o->ssi_errno = si->si_errno;
    o->ssi_code = si->si_code;
    int sig = si->si_signo, code = si->si_code;
    if (code > 0 && code < SI_KERNEL) {
        if (sig == SIGILL || sig == SIGFPE || sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP) {
            o->ssi_addr = w0 | (uint64_t)w1 << 32;
        } else if (sig == SIGCHLD) {
            o->ssi_pid = w0;
            o->ssi_uid = w1;
            o->ssi_status = (int32_t)q8;
            o->ssi_utime = q16;
            o->ssi_stime = q24;
        } else {
            o->ssi_band = (uint32_t)(w0 | (uint64_t)w1 << 32);
            o->ssi_fd = (int32_t)q8;
        }
    } else if (code == SI_TIMER) {
        o->ssi_tid = w0;
        o->ssi_overrun = w1;
        o->ssi_ptr = q8;
        o->ssi_int = (int32_t)q8;
    } else if (code == SI_SIGIO) {
        o->ssi_band = (uint32_t)(w0 | (uint64_t)w1 << 32);
        o->ssi_fd = (int32_t)q8;
    } else {
        o->ssi_pid = w0;
        o->ssi_uid = w1;
        if (code < 0) { /* sigqueue, tkill...: the value rides along */
            o->ssi_ptr = q8;
            o->ssi_int = (int32_t)q8;
        }
    }
}

static bool readable(struct signalfd *s) {
    return (libos_signal_pending_set() & s->mask) != 0;
}

static int64_t sfd_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct signalfd *s = f->priv;
    size_t max = n / sizeof(struct linux_signalfd_siginfo), got = 0;
    if (!max)
        return -EINVAL;
    struct linux_signalfd_siginfo *out = buf;
    while (got < max) {
        struct linux_siginfo si;
        if (libos_signal_dequeue(s->mask, &si) == 0) {
            struct linux_signalfd_siginfo rec;
            fill(&rec, &si);
            memcpy(&out[got++], &rec, sizeof(rec));
            continue;
        }
        if (got)
            break;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        struct libos_waiter w;
        libos_waitq_add(&g_signal_waitq, &w);
        long r = readable(s) ? 0 : libos_thread_wait(0, NULL, NULL, NULL, NULL);
        libos_waitq_remove(&g_signal_waitq, &w);
        if (r == -EINTR)
            return -ERESTARTSYS;
    }
    return got * sizeof(struct linux_signalfd_siginfo);
}

static uint32_t sfd_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    pi->waitq = &g_signal_waitq;
    return readable(f->priv) ? LINUX_POLLIN : 0;
}

static void sfd_release(struct libos_file *f) {
    libos_free(f->priv);
}

static const struct libos_file_ops g_signalfd_ops = {
    .read = sfd_read,
    .stat = libos_anon_stat,
    .poll = sfd_poll,
    .release = sfd_release,
};

long libos_sys_signalfd4(int fd, const uint64_t *umask, size_t sizemask, int flags) {
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    if (sizemask != sizeof(uint64_t))
        return -EINVAL;
    if (!libos_user_range_ok(umask, sizeof(uint64_t), false))
        return -EFAULT;
    uint64_t mask = *umask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    if (fd != -1) {
        struct libos_file *f = libos_fd_get(fd);
        if (!f)
            return -EBADF;
        long r = f->ops == &g_signalfd_ops ? fd : -EINVAL;
        if (r >= 0) {
            __atomic_store_n(&((struct signalfd *)f->priv)->mask, mask, __ATOMIC_RELEASE);
            libos_waitq_wake_all(&g_signal_waitq); /* readers re-check the new mask */
        }
        libos_file_put(f);
        return r;
    }
    struct signalfd *s = libos_calloc(1, sizeof(*s));
    struct libos_file *f =
        s ? libos_file_new(NULL, "anon_inode:[signalfd]", O_RDWR | (flags & SFD_NONBLOCK)) : NULL;
    if (!f) {
        libos_free(s);
        return -ENOMEM;
    }
    s->mask = mask;
    f->ops = &g_signalfd_ops;
    f->priv = s;
    long r = libos_fd_install(f, 0, flags & SFD_CLOEXEC);
    libos_file_put(f);
    return r;
}

long libos_sys_signalfd(int fd, const uint64_t *umask, size_t sizemask) {
    return libos_sys_signalfd4(fd, umask, sizemask, 0);
}
