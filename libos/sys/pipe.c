/* Pipes: a host pipe per pipe(2), both ends non-blocking on the host.
 * Blocking reads and writes wait in libos_thread_wait, so a signal
 * interrupts them (-ERESTARTSYS: the dispatcher restarts or says EINTR). */
#include "libos_fs.h"
#include "libos_net.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define PIPE_BUF 4096

long libos_net_wait(pal_handle_t *h, uint32_t ev, uint64_t *timeout_ns) {
    uint32_t rev = 0;
    long r = libos_thread_wait(1, &h, &ev, &rev, timeout_ns);
    if (r == -ETIMEDOUT)
        return -EAGAIN;
    if (r == -EINTR)
        return timeout_ns ? -EINTR : -ERESTARTSYS;
    return r < 0 ? r : 0;
}

void libos_net_sigpipe(void) {
    struct linux_siginfo si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGPIPE;
    si.si_code = SI_USER;
    si.kill.pid = (int)g_process.pid;
    si.kill.uid = g_process.uid;
    libos_signal_send_thread(libos_current_thread(), &si);
}

static int64_t pipe_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    if (n == 0)
        return 0;
    for (;;) {
        int64_t r = pal_stream_read(f->handle, PAL_OFFSET_NONE, buf, n);
        if (r != -PAL_ERR_AGAIN)
            return r < 0 ? libos_errno_from_pal((int)r) : r;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        long w = libos_net_wait(f->handle, PAL_WAIT_READ, NULL);
        if (w < 0)
            return w;
    }
}

/* Blocking writes move everything (as Linux does), returning what was
 * written if a signal or error stops them part way. */
static int64_t pipe_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    size_t done = 0;
    if (n == 0)
        return 0;
    while (done < n) {
        int64_t r =
            pal_stream_write(f->handle, PAL_OFFSET_NONE, (const char *)buf + done, n - done);
        if (r >= 0) {
            done += (size_t)r;
            if (f->flags & O_NONBLOCK)
                break;
            continue;
        }
        if (r == -PAL_ERR_PIPE) {
            libos_net_sigpipe();
            return done ? (int64_t)done : -EPIPE;
        }
        if (r != -PAL_ERR_AGAIN)
            return done ? (int64_t)done : libos_errno_from_pal((int)r);
        if (f->flags & O_NONBLOCK)
            return done ? (int64_t)done : -EAGAIN;
        long w = libos_net_wait(f->handle, PAL_WAIT_WRITE, NULL);
        if (w < 0)
            return done ? (int64_t)done : w;
    }
    return (int64_t)done;
}

/* readv blocks at most once: later elements take only what is there. */
static int64_t pipe_readv(struct libos_file *f, const struct linux_iovec *iov, int iovcnt) {
    int64_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        if (!libos_user_range_ok(iov[i].iov_base, iov[i].iov_len, true))
            return done ? done : -EFAULT;
        int64_t r;
        if (done == 0) {
            r = pipe_read(f, iov[i].iov_base, iov[i].iov_len, NULL);
        } else {
            r = pal_stream_read(f->handle, PAL_OFFSET_NONE, iov[i].iov_base, iov[i].iov_len);
            if (r < 0)
                break;
        }
        if (r < 0)
            return r;
        done += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return done;
}

static int64_t pipe_writev(struct libos_file *f, const struct linux_iovec *iov, int iovcnt) {
    int64_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        if (!libos_user_range_ok(iov[i].iov_base, iov[i].iov_len, false))
            return done ? done : -EFAULT;
        int64_t r = pipe_write(f, iov[i].iov_base, iov[i].iov_len, NULL);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return done;
}

static uint32_t pipe_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    pi->handle = f->handle;
    pi->pal_events = (f->flags & O_ACCMODE) == O_RDONLY ? PAL_WAIT_READ : PAL_WAIT_WRITE;
    return 0;
}

static long stream_fionread(struct libos_file *f, uint64_t arg) {
    struct pal_stream_attr a;
    if (!libos_user_range_ok((void *)arg, sizeof(int), true))
        return -EFAULT;
    int r = pal_stream_attr_query_handle(f->handle, &a);
    if (r < 0)
        return libos_errno_from_pal(r);
    *(int *)arg = a.size > 0x7fffffff ? 0x7fffffff : (int)a.size;
    return 0;
}

static long pipe_ioctl(struct libos_file *f, unsigned int cmd, uint64_t arg) {
    if (cmd == FIONREAD)
        return stream_fionread(f, arg);
    return -ENOTTY;
}

static int pipe_stat(struct libos_file *f, struct linux_stat *st) {
    struct pal_stream_attr a;
    int r = pal_stream_attr_query_handle(f->handle, &a);
    if (r < 0)
        return (int)libos_errno_from_pal(r);
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFIFO | 0600;
    st->st_ino = a.inode;
    st->st_dev = libos_makedev(0, 14); /* pipefs, like Linux's anonymous device */
    st->st_nlink = 1;
    st->st_uid = g_process.euid;
    st->st_gid = g_process.egid;
    st->st_blksize = PIPE_BUF;
    st->st_atim.tv_sec = a.atime_ns / 1000000000;
    st->st_atim.tv_nsec = a.atime_ns % 1000000000;
    st->st_mtim.tv_sec = a.mtime_ns / 1000000000;
    st->st_mtim.tv_nsec = a.mtime_ns % 1000000000;
    st->st_ctim.tv_sec = a.ctime_ns / 1000000000;
    st->st_ctim.tv_nsec = a.ctime_ns % 1000000000;
    return 0;
}

static void pipe_release(struct libos_file *f) {
    if (f->handle)
        pal_stream_close(f->handle);
    f->handle = NULL;
}

static const struct libos_file_ops g_pipe_ops = {
    .ckpt_kind = LIBOS_CKPT_STREAM,
    .read = pipe_read,
    .write = pipe_write,
    .readv = pipe_readv,
    .writev = pipe_writev,
    .poll = pipe_poll,
    .ioctl = pipe_ioctl,
    .stat = pipe_stat,
    .release = pipe_release,
};

bool libos_file_is_pipe(struct libos_file *f) {
    return f->ops == &g_pipe_ops;
}

long libos_pipe_file_new(pal_handle_t *h, int flags, struct libos_file **out) {
    struct pal_stream_attr a;
    char name[40];
    if (pal_stream_attr_query_handle(h, &a) < 0)
        a.inode = 0;
    libos_snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)a.inode);
    struct libos_file *f = libos_file_new(NULL, name, flags & (O_ACCMODE | O_NONBLOCK));
    if (!f) {
        pal_stream_close(h);
        return -ENOMEM;
    }
    f->ops = &g_pipe_ops;
    f->handle = h;
    *out = f;
    return 0;
}

long libos_sys_pipe2(int *fds, int flags) {
    if (flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT))
        return -EINVAL;
    if (!libos_user_range_ok(fds, 2 * sizeof(int), true))
        return -EFAULT;
    pal_handle_t *rd, *wr;
    int pr = pal_stream_pair(PAL_SOCK_PIPE, PAL_OPTION_NONBLOCK, &rd, &wr);
    if (pr < 0)
        return libos_errno_from_pal(pr);
    struct libos_file *fr, *fw;
    long r = libos_pipe_file_new(rd, O_RDONLY | (flags & O_NONBLOCK), &fr);
    if (r < 0) {
        pal_stream_close(wr);
        return r;
    }
    r = libos_pipe_file_new(wr, O_WRONLY | (flags & O_NONBLOCK), &fw);
    if (r < 0) {
        libos_file_put(fr);
        return r;
    }
    long a = libos_fd_install(fr, 0, flags & O_CLOEXEC);
    long b = a < 0 ? a : libos_fd_install(fw, 0, flags & O_CLOEXEC);
    libos_file_put(fr);
    libos_file_put(fw);
    if (b < 0) {
        if (a >= 0)
            libos_fd_close((int)a);
        return b;
    }
    fds[0] = (int)a;
    fds[1] = (int)b;
    return 0;
}

long libos_sys_pipe(int *fds) {
    return libos_sys_pipe2(fds, 0);
}
