/* /dev (always mounted), the console files behind fds 0-2, and the
 * synthetic file system for directories that exist only because a mount
 * point lies below them.
 *
 * /dev/stdin, /dev/stdout and /dev/stderr are character-device aliases of
 * fds 0-2 (they predate /proc; /dev/fd is a real link to /proc/self/fd).
 * Opening one opens what the fd refers to again, like Linux's
 * /proc/self/fd/N: the same console, or the same path with a new file
 * position. */
#include "libos_fs.h"
#include "libos_proc.h"

enum dev_kind {
    DEV_NULL,
    DEV_ZERO,
    DEV_FULL,
    DEV_RANDOM,
    DEV_URANDOM,
    DEV_TTY,
    DEV_STDIN,
    DEV_STDOUT,
    DEV_STDERR
};

static const struct dev_node {
    const char *name;
    uint32_t major, minor;
} g_dev_nodes[] = {
    [DEV_NULL] = {"null", 1, 3},       [DEV_ZERO] = {"zero", 1, 5},
    [DEV_FULL] = {"full", 1, 7},       [DEV_RANDOM] = {"random", 1, 8},
    [DEV_URANDOM] = {"urandom", 1, 9}, [DEV_TTY] = {"tty", 5, 0},
    [DEV_STDIN] = {"stdin", 0, 0},     [DEV_STDOUT] = {"stdout", 0, 0},
    [DEV_STDERR] = {"stderr", 0, 0},
};

static int dev_find(const char *rel) {
    for (size_t i = 0; i < ARRAY_SIZE(g_dev_nodes); i++)
        if (!strcmp(g_dev_nodes[i].name, rel))
            return i;
    return -1;
}

static int64_t g_dev_time;

/* /dev's times: when the libos first looked, like a devtmpfs made at boot. */
static void dev_times(struct linux_stat *st) {
    if (!g_dev_time)
        g_dev_time = libos_now_ns();
    st->st_atim = (struct linux_timespec){g_dev_time / 1000000000, g_dev_time % 1000000000};
    st->st_mtim = st->st_ctim = st->st_atim;
}

static void dev_stat_kind(struct libos_mount *m, int kind, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    dev_times(st);
    st->st_dev = m ? m->dev : 0x20;
    st->st_ino = 100 + kind;
    st->st_nlink = 1;
    st->st_mode = S_IFCHR | 0666;
    st->st_rdev = libos_makedev(g_dev_nodes[kind].major, g_dev_nodes[kind].minor);
    st->st_blksize = 4096;
}

/* ------------------------------------------------------ device files */

static int64_t dv_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    switch ((enum dev_kind)(uintptr_t)f->priv) {
    case DEV_NULL:
        return 0;
    case DEV_ZERO:
    case DEV_FULL:
        memset(buf, 0, n);
        return n;
    default: {
        n = MIN(n, 1 << 20);
        int r = pal_random(buf, n);
        return r < 0 ? libos_errno_from_pal(r) : (int64_t)n;
    }
    }
}

static int64_t dv_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    return (uintptr_t)f->priv == DEV_FULL ? -ENOSPC : (int64_t)n;
}

static int64_t dv_seek(struct libos_file *f, int64_t off, int whence) {
    f->pos = 0; /* Linux: always succeeds and stays at 0 */
    return 0;
}

static int dv_stat(struct libos_file *f, struct linux_stat *st) {
    dev_stat_kind(f->mount, (int)(uintptr_t)f->priv, st);
    return 0;
}

static int dv_mmap(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                   uint64_t off) {
    if ((uintptr_t)f->priv != DEV_ZERO || (flags & MAP_TYPE) != MAP_PRIVATE)
        return -ENODEV;
    void *a = *addr;
    int r = pal_mem_alloc(&a, ALIGN_UP(len, LIBOS_PAGE_SIZE), libos_pal_prot(prot),
                          libos_pal_placement(flags, *addr));
    if (r < 0)
        return libos_errno_from_pal(r);
    *addr = a; /* already zero: no copy needed */
    return 0;
}

static const struct libos_file_ops g_dev_file_ops = {
    .ckpt_kind = LIBOS_CKPT_PATH_ONLY,
    .read = dv_read,
    .write = dv_write,
    .seek = dv_seek,
    .stat = dv_stat,
    .mmap = dv_mmap,
};

/* ------------------------------------------------------------ consoles */

struct console {
    bool owned; /* boot stdio handles belong to the PAL: never closed */
    int index;
};

static int64_t con_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    if (libos_proc_tty_background() && libos_file_is_tty(f)) {
        long bg = libos_proc_tty_read_check(); /* job control: SIGTTIN */
        if (bg < 0)
            return bg;
    }
    int64_t r = pal_stream_read(f->handle, PAL_OFFSET_NONE, buf, n);
    return r < 0 ? libos_errno_from_pal((int)r) : r;
}

static int64_t con_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    int64_t r = pal_stream_write(f->handle, PAL_OFFSET_NONE, buf, n);
    return r < 0 ? libos_errno_from_pal((int)r) : r;
}

static int con_stat(struct libos_file *f, struct linux_stat *st) {
    struct pal_stream_attr a;
    int r = pal_stream_attr_query_handle(f->handle, &a);
    if (r < 0)
        return libos_errno_from_pal(r);
    libos_stat_from_pal(&a, st);
    return 0;
}

bool libos_file_is_tty(struct libos_file *f) {
    struct pal_stream_attr a;
    return f->handle && !pal_stream_attr_query_handle(f->handle, &a) && a.type == PAL_TYPE_CONSOLE;
}

_Static_assert(sizeof(struct linux_termios) == sizeof(struct pal_term_mode), "termios");

/* tcgetattr/tcsetattr act on the host terminal: the PAL's mode is Linux's
 * struct termios. A background group changing it gets SIGTTOU. */
static long term_mode(struct libos_file *f, unsigned int cmd, uint64_t arg) {
    bool set = cmd != TCGETS;
    if (!libos_user_range_ok((void *)arg, sizeof(struct linux_termios), !set))
        return -EFAULT;
    if (set) {
        long r = libos_proc_tty_change_check();
        if (r < 0)
            return r;
        return libos_errno_from_pal(pal_console_set_mode(f->handle, (int)(cmd - TCSETS),
                                                         (const struct pal_term_mode *)arg));
    }
    return libos_errno_from_pal(pal_console_get_mode(f->handle, (struct pal_term_mode *)arg));
}

static long con_ioctl(struct libos_file *f, unsigned int cmd, uint64_t arg) {
    bool tty = libos_file_is_tty(f);
    switch (cmd) {
    case TCGETS:
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return tty ? term_mode(f, cmd, arg) : -ENOTTY;
    case TIOCSWINSZ: { /* the host terminal's size is its user's, not ours */
        static bool warned;
        if (tty && !warned)
            log_warn("ioctl TIOCSWINSZ: the sandbox does not resize the host terminal (EPERM)");
        warned = true;
        return tty ? -EPERM : -ENOTTY;
    }
    case TIOCSPGRP:
    case TIOCGPGRP:
    case TIOCSCTTY:
    case TIOCNOTTY:
    case TIOCGSID:
        return tty ? libos_proc_tty_ioctl(cmd, arg) : -ENOTTY; /* libos/sys/proc.c */
    case TIOCGWINSZ: {
        struct pal_stream_attr a;
        if (!tty || pal_stream_attr_query_handle(f->handle, &a))
            return -ENOTTY;
        if (!libos_user_range_ok((void *)arg, sizeof(struct linux_winsize), true))
            return -EFAULT;
        *(struct linux_winsize *)arg =
            (struct linux_winsize){.ws_row = a.term_rows, .ws_col = a.term_cols};
        return 0;
    }
    case FIONREAD: {
        struct pal_stream_attr a;
        if (!libos_user_range_ok((void *)arg, sizeof(int), true))
            return -EFAULT;
        *(int *)arg = pal_stream_attr_query_handle(f->handle, &a) ? 0 : (int)a.size;
        return 0;
    }
    default:
        return -ENOTTY;
    }
}

static int con_fsync(struct libos_file *f) {
    return -EINVAL; /* as for a terminal or pipe on Linux */
}

static void con_release(struct libos_file *f) {
    struct console *c = f->priv;
    if (c && c->owned && f->handle)
        pal_stream_close(f->handle);
    libos_free(c);
}

/* Readiness comes from the host stream (pollers wait on the handle). */
static uint32_t con_poll(struct libos_file *f, uint32_t want, struct libos_poll_info *pi) {
    pi->handle = f->handle;
    pi->pal_events = ((want & (LINUX_POLLIN | LINUX_POLLRDNORM)) ? PAL_WAIT_READ : 0) |
                     ((want & (LINUX_POLLOUT | LINUX_POLLWRNORM)) ? PAL_WAIT_WRITE : 0);
    return 0;
}

static const struct libos_file_ops g_console_ops = {
    .ckpt_kind = LIBOS_CKPT_CONSOLE,
    .poll = con_poll,
    .read = con_read,
    .write = con_write,
    .stat = con_stat,
    .ioctl = con_ioctl,
    .fsync = con_fsync,
    .release = con_release,
};

static long console_fill(struct libos_file *f, int index, pal_handle_t *h, bool owned) {
    struct console *c = libos_calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->owned = owned;
    c->index = index;
    f->priv = c;
    f->handle = h;
    f->ops = &g_console_ops;
    return 0;
}

long libos_console_file_new(int fd, pal_handle_t *h, struct libos_file **out) {
    static const char *names[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
    struct libos_file *f =
        libos_file_new(libos_mount_find("/dev"), names[fd], fd == 0 ? O_RDONLY : O_WRONLY);
    if (!f)
        return -ENOMEM;
    long r = console_fill(f, fd, h, false);
    if (r) {
        libos_file_put(f);
        return r;
    }
    *out = f;
    return 0;
}

/* /dev/tty: the first of the boot consoles that is a terminal. */
static long open_tty(struct libos_file *f) {
    for (int i = 0; i < 3 && g_boot; i++) {
        struct pal_stream_attr a;
        pal_handle_t *h = g_boot->stdio[i];
        if (!h || pal_stream_attr_query_handle(h, &a) || a.type != PAL_TYPE_CONSOLE)
            continue;
        char uri[16];
        libos_snprintf(uri, sizeof(uri), "console:%d", i);
        int r = pal_stream_open(uri, PAL_ACCESS_RDWR, 0, PAL_CREATE_NEVER, 0, &h);
        if (r < 0)
            return libos_errno_from_pal(r);
        long lr = console_fill(f, i, h, true);
        if (lr)
            pal_stream_close(h);
        return lr;
    }
    return -ENXIO; /* no controlling terminal */
}

/* /dev/stdin & co.: open again what fd N refers to, into f. */
static long open_alias(int fd, int flags, struct libos_file *f) {
    struct libos_file *t = libos_fd_get(fd);
    if (!t)
        return -ENOENT;
    long r;
    if (t->ops == &g_console_ops) {
        r = console_fill(f, fd, t->handle, false);
    } else if (t->path && !(t->flags & O_PATH)) {
        struct libos_file *g;
        r = libos_vfs_open(AT_FDCWD, t->path, flags & ~(O_CREAT | O_EXCL), 0, &g);
        if (!r) {
            /* Move the new file's state into f, which the caller installs. */
            char *p = f->path;
            f->path = g->path;
            g->path = p;
            f->ops = g->ops;
            f->handle = g->handle;
            f->priv = g->priv;
            f->mount = g->mount;
            g->ops = NULL;
            g->handle = NULL;
            g->priv = NULL;
            libos_file_put(g);
        }
    } else {
        r = -ENXIO;
    }
    libos_file_put(t);
    return r;
}

/* -------------------------------------------------------------- dev fs */

/* /dev/fd -> /proc/self/fd, as on Linux (bash process substitution). */
#define DEV_FD_LINK "/proc/self/fd"

static long devfs_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    if (!strcmp(rel, "fd")) {
        memset(st, 0, sizeof(*st));
        st->st_dev = m->dev;
        st->st_ino = 98;
        st->st_nlink = 1;
        st->st_mode = S_IFLNK | 0777;
        st->st_size = sizeof(DEV_FD_LINK) - 1;
        dev_times(st);
        return 0;
    }
    if (!rel[0]) {
        memset(st, 0, sizeof(*st));
        st->st_dev = m->dev;
        st->st_ino = 99;
        st->st_nlink = 2;
        st->st_mode = S_IFDIR | 0755;
        st->st_blksize = 4096;
        st->st_size = 4096;
        dev_times(st);
        return 0;
    }
    int k = dev_find(rel);
    if (k < 0)
        return -ENOENT;
    if (k >= DEV_STDIN) {
        struct libos_file *t = libos_fd_get(k - DEV_STDIN);
        if (!t)
            return -ENOENT;
        long r = libos_file_stat(t, st);
        libos_file_put(t);
        return r;
    }
    dev_stat_kind(m, k, st);
    return 0;
}

static long devfs_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                       int flags, uint32_t mode, struct libos_file *f) {
    int k = dev_find(rel);
    if (k < 0)
        return st ? -ENOENT : -EACCES; /* no new files in /dev */
    if (k == DEV_TTY)
        return open_tty(f);
    if (k >= DEV_STDIN)
        return open_alias(k - DEV_STDIN, flags, f);
    f->ops = &g_dev_file_ops;
    f->priv = (void *)(uintptr_t)k;
    return 0;
}

static long devfs_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size) {
    if (strcmp(rel, "fd"))
        return -EINVAL;
    size_t n = MIN(size, sizeof(DEV_FD_LINK) - 1);
    memcpy(buf, DEV_FD_LINK, n);
    return (long)n;
}

static long devfs_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    if (rel[0])
        return -ENOTDIR;
    long lr = libos_dirlist_add(l, "fd", 98, DT_LNK);
    if (lr)
        return lr;
    for (size_t i = 0; i < ARRAY_SIZE(g_dev_nodes); i++) {
        long r = libos_dirlist_add(l, g_dev_nodes[i].name, 100 + i, DT_CHR);
        if (r)
            return r;
    }
    return 0;
}

static long devfs_denied(void) {
    return -EACCES; /* /dev's contents are fixed */
}
static long devfs_mkdir(struct libos_mount *m, const char *rel, uint32_t mode) {
    return devfs_denied();
}
static long devfs_symlink(struct libos_mount *m, const char *rel, const char *t) {
    return devfs_denied();
}
static long devfs_unlink(struct libos_mount *m, const char *rel, bool dir) {
    return devfs_denied();
}
static long devfs_rename(struct libos_mount *m, const char *a, const char *b) {
    return devfs_denied();
}
static long devfs_chmod(struct libos_mount *m, const char *rel, uint32_t mode) {
    return devfs_denied();
}
static long devfs_utimes(struct libos_mount *m, const char *rel, int64_t a, int64_t b) {
    return 0; /* accepted, not kept */
}

const struct libos_fs_ops g_dev_fs_ops = {
    .name = "dev",
    .lookup = devfs_lookup,
    .readlink = devfs_readlink,
    .open = devfs_open,
    .mkdir = devfs_mkdir,
    .symlink = devfs_symlink,
    .unlink = devfs_unlink,
    .rename = devfs_rename,
    .chmod = devfs_chmod,
    .utimes = devfs_utimes,
    .list = devfs_list,
};

/* --------------------------------------------------------- synthetic fs */
/* Everything here is a directory made up by libos_vfs_stat_abs (mount
 * ancestors); the mount is read-only, so only lookups reach these. */

static long synth_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    return -ENOENT;
}
static long synth_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    return -ENOENT;
}
static long synth_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                       int flags, uint32_t mode, struct libos_file *f) {
    return -ENOENT;
}

const struct libos_fs_ops g_synth_fs_ops = {
    .name = "none",
    .lookup = synth_lookup,
    .open = synth_open,
    .list = synth_list,
};
