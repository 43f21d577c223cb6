/* File and directory system calls. Linux is the spec: the checks below are
 * ordered so the first error Linux would report is the one returned. */
#include "libos_fs.h"
#include "libos_syscalls.h"

#define IOV_MAX 1024

long libos_copy_user_path(const char *user, char **out) {
    char *buf = libos_malloc(LIBOS_PATH_MAX);
    if (!buf)
        return -ENOMEM;
    long r = libos_copy_user_string(buf, LIBOS_PATH_MAX, user);
    if (r < 0) {
        libos_free(buf);
        return r;
    }
    *out = buf;
    return 0;
}

/* Resolve an app path; the lookup owns its memory afterwards. */
long libos_lookup_user(int dirfd, const char *upath, int flags, struct libos_lookup *lk) {
    char *path;
    long r = libos_copy_user_path(upath, &path);
    if (r)
        return r;
    r = libos_vfs_lookup(dirfd, path, flags, lk);
    libos_free(path);
    return r;
}

static bool is_seekable(struct libos_file *f) {
    return f->ops && f->ops->seek;
}

/* ------------------------------------------------------------ read/write */

/* read and write share every check; off -1 means "at the file position". */
static long do_rw(int fd, void *buf, size_t count, int64_t off, bool write) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    libos_file_note_io(f);
    long r;
    if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
        r = -EBADF; /* O_PATH files may have no ops at all */
    else if (!(write ? (void *)f->ops->write : (void *)f->ops->read))
        r = !write && libos_file_is_dir(f) ? -EISDIR : -EINVAL;
    else if (off != -1 && !is_seekable(f))
        r = -ESPIPE;
    else if (off < -1)
        r = -EINVAL;
    else if (count && !libos_user_range_ok(buf, MIN(count, RW_MAX), !write))
        r = -EFAULT;
    else {
        /* Only seekable files share a position, and only without off. */
        bool shared = off < 0 && is_seekable(f);
        uint64_t local = off >= 0 ? (uint64_t)off : 0;
        uint64_t *pos = shared ? &f->pos : &local;
        if (shared)
            libos_lock(&f->lock);
        r = write ? f->ops->write(f, buf, MIN(count, RW_MAX), pos)
                  : f->ops->read(f, buf, MIN(count, RW_MAX), pos);
        if (shared)
            libos_unlock(&f->lock);
        if (write && r > 0 && f->path && libos_fsnotify)
            libos_fsnotify(f->path, NULL, LIBOS_IN_MODIFY, 0);
    }
    libos_file_put(f);
    return r;
}

static long do_read(int fd, void *buf, size_t count, int64_t off) {
    return do_rw(fd, buf, count, off, false);
}

static long do_write(int fd, const void *buf, size_t count, int64_t off) {
    return do_rw(fd, (void *)buf, count, off, true);
}

long libos_sys_read(int fd, void *buf, size_t count) {
    return do_read(fd, buf, count, -1);
}

long libos_sys_write(int fd, const void *buf, size_t count) {
    return do_write(fd, buf, count, -1);
}

long libos_sys_pread64(int fd, void *buf, size_t count, int64_t off) {
    return off < 0 ? (libos_fd_get_cloexec(fd) < 0 ? -EBADF : -EINVAL)
                   : do_read(fd, buf, count, off);
}

long libos_sys_pwrite64(int fd, const void *buf, size_t count, int64_t off) {
    return off < 0 ? (libos_fd_get_cloexec(fd) < 0 ? -EBADF : -EINVAL)
                   : do_write(fd, buf, count, off);
}

static long do_rwv(int fd, const struct linux_iovec *iov, int iovcnt, bool write) {
    if (libos_fd_get_cloexec(fd) < 0)
        return -EBADF;
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    if (!libos_user_range_ok(iov, iovcnt * sizeof(*iov), false))
        return -EFAULT;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > (size_t)INT64_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    struct libos_file *f = libos_fd_get(fd);
    if (f)
        libos_file_note_io(f);
    if (f && (write ? f->ops->writev : f->ops->readv) && !(f->flags & O_PATH) &&
        (f->flags & O_ACCMODE) != (write ? O_RDONLY : O_WRONLY)) {
        long r = write ? f->ops->writev(f, iov, iovcnt) : f->ops->readv(f, iov, iovcnt);
        libos_file_put(f);
        return r;
    }
    libos_file_put(f);
    long done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        long r = write ? do_write(fd, iov[i].iov_base, iov[i].iov_len, -1)
                       : do_read(fd, iov[i].iov_base, iov[i].iov_len, -1);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return done;
}

long libos_sys_readv(int fd, const struct linux_iovec *iov, int iovcnt) {
    return do_rwv(fd, iov, iovcnt, false);
}

long libos_sys_writev(int fd, const struct linux_iovec *iov, int iovcnt) {
    return do_rwv(fd, iov, iovcnt, true);
}

/* ------------------------------------------------------- open and close */

long libos_sys_openat(int dirfd, const char *upath, int flags, uint32_t mode) {
    char *path;
    long r = libos_copy_user_path(upath, &path);
    if (r)
        return r;
    struct libos_file *f;
    r = libos_vfs_open(dirfd, path, flags, mode, &f);
    libos_free(path);
    if (r)
        return r;
    r = libos_fd_install(f, 0, flags & O_CLOEXEC);
    libos_file_put(f);
    return r;
}

long libos_sys_open(const char *path, int flags, uint32_t mode) {
    return libos_sys_openat(AT_FDCWD, path, flags, mode);
}

long libos_sys_creat(const char *path, uint32_t mode) {
    return libos_sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long libos_sys_close(int fd) {
    struct libos_file *f = libos_fs2_fd_close ? libos_fd_get(fd) : NULL;
    if (f) {
        libos_fs2_fd_close(f); /* the process's record locks on the file go */
        libos_file_put(f);
    }
    return libos_fd_close(fd);
}

#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4

long libos_sys_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last)
        return -EINVAL;
    /* One fd table per process here, so UNSHARE has nothing to do. */
    uint64_t end = MIN((uint64_t)last, libos_fd_limit() - 1);
    for (uint64_t fd = first; fd <= end; fd++) {
        if (flags & CLOSE_RANGE_CLOEXEC)
            libos_fd_set_cloexec((int)fd, true);
        else
            libos_sys_close((int)fd);
    }
    return 0;
}

long libos_sys_lseek(int fd, int64_t off, int whence) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    if (!is_seekable(f))
        r = (f->flags & O_PATH) ? -EBADF : -ESPIPE;
    else if (whence < SEEK_SET || whence > SEEK_HOLE)
        r = -EINVAL;
    else {
        libos_lock(&f->lock);
        r = f->ops->seek(f, off, whence);
        libos_unlock(&f->lock);
    }
    libos_file_put(f);
    return r;
}

/* ------------------------------------------------------------------ stat */

long libos_sys_fstat(int fd, struct linux_stat *st) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct linux_stat s;
    long r = libos_file_stat(f, &s);
    libos_file_put(f);
    if (r)
        return r;
    if (!libos_user_range_ok(st, sizeof(*st), true))
        return -EFAULT;
    memcpy(st, &s, sizeof(s));
    return 0;
}

/* Stat for the *at calls; an empty path with AT_EMPTY_PATH means dirfd. */
static long stat_at(int dirfd, const char *upath, int flags, struct linux_stat *out) {
    char *path;
    long r = libos_copy_user_path(upath, &path);
    if (r)
        return r;
    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        libos_free(path);
        if (dirfd == AT_FDCWD)
            return libos_vfs_stat_abs(libos_vfs_cwd(), out);
        struct libos_file *f = libos_fd_get(dirfd);
        if (!f)
            return -EBADF;
        r = libos_file_stat(f, out);
        libos_file_put(f);
        return r;
    }
    struct libos_lookup lk;
    r = libos_vfs_lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LIBOS_LOOKUP_FOLLOW, &lk);
    libos_free(path);
    if (r)
        return r;
    *out = lk.st;
    libos_lookup_free(&lk);
    return 0;
}

long libos_sys_newfstatat(int dirfd, const char *path, struct linux_stat *st, int flags) {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct linux_stat s;
    long r = stat_at(dirfd, path, flags, &s);
    if (r)
        return r;
    if (!libos_user_range_ok(st, sizeof(*st), true))
        return -EFAULT;
    memcpy(st, &s, sizeof(s));
    return 0;
}

long libos_sys_stat(const char *path, struct linux_stat *st) {
    return libos_sys_newfstatat(AT_FDCWD, path, st, 0);
}

long libos_sys_lstat(const char *path, struct linux_stat *st) {
    return libos_sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

static uint32_t dev_major(uint64_t d) {
    return ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffU);
}
static uint32_t dev_minor(uint64_t d) {
    return (d & 0xff) | ((d >> 12) & ~0xffU);
}

long libos_sys_statx(int dirfd, const char *path, int flags, unsigned int mask,
                     struct linux_statx *stx) {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & 0x80000000U))
        return -EINVAL;
    struct linux_stat s;
    long r = stat_at(dirfd, path, flags, &s);
    if (r)
        return r;
    if (!libos_user_range_ok(stx, sizeof(*stx), true))
        return -EFAULT;
    struct linux_statx x = {
        .stx_mask = STATX_BASIC_STATS,
        .stx_blksize = s.st_blksize,
        .stx_nlink = s.st_nlink,
        .stx_uid = s.st_uid,
        .stx_gid = s.st_gid,
        .stx_mode = s.st_mode,
        .stx_ino = s.st_ino,
        .stx_size = s.st_size,
        .stx_blocks = s.st_blocks,
        .stx_atime = {s.st_atim.tv_sec, s.st_atim.tv_nsec, 0},
        .stx_ctime = {s.st_ctim.tv_sec, s.st_ctim.tv_nsec, 0},
        .stx_mtime = {s.st_mtim.tv_sec, s.st_mtim.tv_nsec, 0},
        .stx_rdev_major = dev_major(s.st_rdev),
        .stx_rdev_minor = dev_minor(s.st_rdev),
        .stx_dev_major = dev_major(s.st_dev),
        .stx_dev_minor = dev_minor(s.st_dev),
    };
    memcpy(stx, &x, sizeof(x));
    return 0;
}

/* ----------------------------------------------------------- directories */

long libos_sys_getdents64(int fd, void *buf, size_t size) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->flags & O_PATH)
        r = -EBADF;
    else if (!f->ops->getdents64)
        r = -ENOTDIR;
    else if (!libos_user_range_ok(buf, size, true))
        r = -EFAULT;
    else {
        libos_lock(&f->lock);
        r = f->ops->getdents64(f, buf, size);
        libos_unlock(&f->lock);
    }
    libos_file_put(f);
    return r;
}

long libos_sys_mkdirat(int dirfd, const char *path, uint32_t mode) {
    struct libos_lookup lk;
    long r = libos_lookup_user(dirfd, path, LIBOS_LOOKUP_CREATE, &lk);
    if (r)
        return r;
    struct libos_mount *m = lk.mount;
    if (lk.exists)
        r = -EEXIST;
    else if (!(r = libos_vfs_check_writable(m, lk.path, "mkdir")))
        r = m->ops->mkdir ? m->ops->mkdir(m, lk.rel, mode & ~g_process.umask & 07777) : -EPERM;
    if (!r && libos_fsnotify)
        libos_fsnotify(lk.path, NULL, LIBOS_IN_CREATE | LIBOS_IN_ISDIR, 0);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_mkdir(const char *path, uint32_t mode) {
    return libos_sys_mkdirat(AT_FDCWD, path, mode);
}

static long do_rmdir(int dirfd, const char *path) {
    struct libos_lookup lk;
    long r = libos_lookup_user(dirfd, path, 0, &lk);
    if (r)
        return r;
    struct libos_mount *m = lk.mount;
    if (lk.last_dot == 1)
        r = -EINVAL;
    else if (lk.last_dot == 2)
        r = -ENOTEMPTY;
    else if (!S_ISDIR(lk.st.st_mode))
        r = -ENOTDIR;
    else if (!lk.rel[0] || libos_path_is_mount_ancestor(lk.path))
        r = -EBUSY; /* a mount point, or holds one */
    else if (!(r = libos_vfs_check_writable(m, lk.path, "rmdir")))
        r = m->ops->unlink ? m->ops->unlink(m, lk.rel, true) : -EPERM;
    if (!r && libos_fsnotify)
        libos_fsnotify(lk.path, &lk.st, LIBOS_IN_DELETE | LIBOS_IN_ISDIR, 0);
    libos_lookup_free(&lk);
    return r;
}

static long do_unlink(int dirfd, const char *path) {
    struct libos_lookup lk;
    long r = libos_lookup_user(dirfd, path, 0, &lk);
    if (r)
        return r;
    struct libos_mount *m = lk.mount;
    if (S_ISDIR(lk.st.st_mode))
        r = -EISDIR;
    else if (!(r = libos_vfs_check_writable(m, lk.path, "unlink")))
        r = m->ops->unlink ? m->ops->unlink(m, lk.rel, false) : -EPERM;
    if (!r && libos_fsnotify)
        libos_fsnotify(lk.path, &lk.st, LIBOS_IN_DELETE, 0);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_rmdir(const char *path) {
    return do_rmdir(AT_FDCWD, path);
}

long libos_sys_unlink(const char *path) {
    return do_unlink(AT_FDCWD, path);
}

long libos_sys_unlinkat(int dirfd, const char *path, int flags) {
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return (flags & AT_REMOVEDIR) ? do_rmdir(dirfd, path) : do_unlink(dirfd, path);
}

static long rename_checks(struct libos_lookup *o, struct libos_lookup *n, unsigned int flags) {
    bool odir = S_ISDIR(o->st.st_mode);
    /* Linux's order: mounts, dots, read-only, then the old name. */
    if (o->exists && (!o->rel[0] || libos_path_is_mount_point(o->path)))
        return -EBUSY; /* a mount point (its own mount here, its parent's for Linux) */
    if (o->mount != n->mount)
        return -EXDEV;
    if (o->last_dot || n->last_dot)
        return -EBUSY;
    long r = libos_vfs_check_writable(o->mount, o->path, "rename");
    if (r)
        return r;
    if (!o->exists)
        return -ENOENT;
    if (libos_path_is_mount_point(n->path))
        return -EBUSY;
    size_t olen = strlen(o->path);
    if (!strncmp(n->path, o->path, olen) && n->path[olen] == '/')
        return -EINVAL; /* into its own subtree */
    if (!n->exists)
        return (n->trailing_slash && !odir) ? -ENOTDIR : 0;
    if (flags & RENAME_NOREPLACE)
        return -EEXIST;
    if (odir && !S_ISDIR(n->st.st_mode))
        return -ENOTDIR;
    if (!odir && S_ISDIR(n->st.st_mode))
        return -EISDIR;
    if (S_ISDIR(n->st.st_mode) && libos_path_is_mount_ancestor(n->path))
        return -EBUSY;
    return 0;
}

long libos_sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                         unsigned int flags) {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL; /* not supported by these file systems */
    struct libos_lookup o, n;
    long r = libos_lookup_user(olddirfd, oldpath, LIBOS_LOOKUP_CREATE, &o);
    if (r)
        return r;
    r = libos_lookup_user(newdirfd, newpath, LIBOS_LOOKUP_CREATE, &n);
    if (r) {
        libos_lookup_free(&o);
        return r;
    }
    bool same =
        n.exists && o.st.st_dev == n.st.st_dev && o.st.st_ino == n.st.st_ino && o.mount == n.mount;
    r = rename_checks(&o, &n, flags);
    if (!r && !same)
        r = o.mount->ops->rename ? o.mount->ops->rename(o.mount, o.rel, n.rel) : -EPERM;
    if (!r && !same && libos_fsnotify) {
        uint32_t cookie = (uint32_t)(uintptr_t)&o; /* pairs the two events */
        libos_fsnotify(o.path, &o.st, LIBOS_IN_MOVED_FROM, cookie);
        libos_fsnotify(n.path, &o.st, LIBOS_IN_MOVED_TO, cookie);
    }
    libos_lookup_free(&o);
    libos_lookup_free(&n);
    return r;
}

long libos_sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) {
    return libos_sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long libos_sys_rename(const char *oldpath, const char *newpath) {
    return libos_sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long libos_sys_symlinkat(const char *utarget, int dirfd, const char *linkpath) {
    char *target;
    long r = libos_copy_user_path(utarget, &target);
    if (r)
        return r;
    struct libos_lookup lk;
    r = target[0] ? libos_lookup_user(dirfd, linkpath, LIBOS_LOOKUP_CREATE, &lk) : -ENOENT;
    if (!r) {
        struct libos_mount *m = lk.mount;
        if (lk.exists)
            r = -EEXIST;
        else if (!(r = libos_vfs_check_writable(m, lk.path, "symlink")))
            r = m->ops->symlink ? m->ops->symlink(m, lk.rel, target) : -EPERM;
        if (!r && libos_fsnotify)
            libos_fsnotify(lk.path, NULL, LIBOS_IN_CREATE, 0);
        libos_lookup_free(&lk);
    }
    libos_free(target);
    return r;
}

long libos_sys_symlink(const char *target, const char *linkpath) {
    return libos_sys_symlinkat(target, AT_FDCWD, linkpath);
}

long libos_sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                      int flags) {
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct libos_lookup o, n;
    long r = libos_lookup_user(olddirfd, oldpath,
                               (flags & AT_SYMLINK_FOLLOW) ? LIBOS_LOOKUP_FOLLOW : 0, &o);
    if (r)
        return r;
    r = libos_lookup_user(newdirfd, newpath, LIBOS_LOOKUP_CREATE, &n);
    if (r) {
        libos_lookup_free(&o);
        return r;
    }
    /* Linux's order: the new name's mount is checked for writing before
     * the two mounts are compared. */
    if (!o.exists)
        r = -ENOENT;
    else if (n.exists)
        r = -EEXIST;
    else if ((r = libos_vfs_check_writable(n.mount, n.path, "link")))
        ;
    else if (o.mount != n.mount)
        r = -EXDEV;
    else if (S_ISDIR(o.st.st_mode))
        r = -EPERM;
    else
        r = n.mount->ops->link ? n.mount->ops->link(n.mount, o.rel, n.rel) : -EPERM;
    if (!r && libos_fsnotify) {
        libos_fsnotify(o.path, &o.st, LIBOS_IN_ATTRIB, 0);
        libos_fsnotify(n.path, NULL, LIBOS_IN_CREATE, 0);
    }
    libos_lookup_free(&o);
    libos_lookup_free(&n);
    return r;
}

long libos_sys_link(const char *oldpath, const char *newpath) {
    return libos_sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

/* ------------------------------------------------------------ fd control */

long libos_sys_dup(int fd) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r = libos_fd_install(f, 0, false);
    libos_file_put(f);
    return r;
}

long libos_sys_dup3(int oldfd, int newfd, int flags) {
    if (oldfd == newfd || (flags & ~O_CLOEXEC))
        return -EINVAL;
    struct libos_file *f = libos_fd_get(oldfd);
    if (!f)
        return -EBADF;
    long r = libos_fd_install_at(newfd, f, flags & O_CLOEXEC);
    libos_file_put(f);
    return r;
}

long libos_sys_dup2(int oldfd, int newfd) {
    if (oldfd == newfd)
        return libos_fd_get_cloexec(oldfd) < 0 ? -EBADF : newfd;
    return libos_sys_dup3(oldfd, newfd, 0);
}

static void set_nonblock(struct libos_file *f, bool on) {
    if (on)
        f->flags |= O_NONBLOCK;
    else
        f->flags &= ~O_NONBLOCK;
    if (f->handle) {
        struct pal_stream_attr a = {.nonblocking = on};
        pal_stream_attr_set_handle(f->handle, PAL_ATTR_NONBLOCK, &a); /* files: no effect */
    }
}

struct linux_flock {
    int16_t l_type, l_whence;
    int64_t l_start, l_len;
    int32_t l_pid;
};
#define F_UNLCK 2

long libos_sys_fcntl(int fd, int cmd, uint64_t arg) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r = 0;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= libos_fd_limit())
            r = -EINVAL;
        else
            r = libos_fd_install(f, (int)arg, cmd == F_DUPFD_CLOEXEC);
        break;
    case F_GETFD:
        r = libos_fd_get_cloexec(fd) > 0 ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        r = libos_fd_set_cloexec(fd, arg & FD_CLOEXEC);
        break;
    case F_GETFL:
        r = f->flags;
        break;
    case F_SETFL: {
        const uint32_t settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
        if (f->flags & O_PATH) {
            r = -EBADF;
            break;
        }
        bool nb = arg & O_NONBLOCK;
        if (nb != !!(f->flags & O_NONBLOCK))
            set_nonblock(f, nb);
        f->flags = (f->flags & ~settable) | (arg & settable);
        break;
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW: {
        if (libos_fs2_fcntl) {
            r = libos_fs2_fcntl(f, cmd, arg);
            break;
        }
        /* Without sys/fs2.c (unit tests): record locks always succeed. */
        struct linux_flock *fl = (void *)arg;
        if (!libos_user_range_ok(fl, sizeof(*fl), cmd == F_GETLK))
            r = -EFAULT;
        else if (cmd == F_GETLK)
            fl->l_type = F_UNLCK;
        break;
    }
    case 36: /* F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW */
    case 37:
    case 38:
    case F_ADD_SEALS:
    case F_GET_SEALS:
        r = libos_fs2_fcntl ? libos_fs2_fcntl(f, cmd, arg) : -EINVAL;
        break;
    case F_SETOWN:
        f->owner = (int)arg;
        r = 0;
        break;
    case F_GETOWN:
        r = f->owner;
        break;
    default:
        r = -EINVAL;
    }
    libos_file_put(f);
    return r;
}

#define LINUX_FIOASYNC 0x5452

/* O_ASYNC is recorded (F_GETFL shows it) but SIGIO is not generated yet:
 * say so once rather than pretend. */
static void set_async(struct libos_file *f, bool on) {
    static bool warned;
    if (on && !warned) {
        warned = true;
        log_warn("O_ASYNC/FIOASYNC: recorded, but SIGIO is not delivered by sabot yet");
    }
    libos_lock(&f->lock);
    f->flags = on ? f->flags | O_ASYNC : f->flags & ~(uint32_t)O_ASYNC;
    libos_unlock(&f->lock);
}

long libos_sys_ioctl(int fd, unsigned int cmd, uint64_t arg) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    struct linux_stat st;
    if (f->flags & O_PATH) {
        r = -EBADF;
    } else if (cmd == FIOCLEX || cmd == FIONCLEX) {
        r = libos_fd_set_cloexec(fd, cmd == FIOCLEX);
    } else if (cmd == LINUX_FIOASYNC) {
        if (!libos_user_range_ok((void *)arg, sizeof(int), false)) {
            r = -EFAULT;
        } else {
            set_async(f, *(int *)arg != 0);
            r = 0;
        }
    } else if (cmd == FIONBIO) {
        if (!libos_user_range_ok((void *)arg, sizeof(int), false)) {
            r = -EFAULT;
        } else {
            set_nonblock(f, *(int *)arg != 0);
            r = 0;
        }
    } else if (f->ops->ioctl) {
        r = f->ops->ioctl(f, cmd, arg);
    } else if (cmd == FIONREAD && is_seekable(f) && !libos_file_stat(f, &st) &&
               S_ISREG(st.st_mode)) {
        if (!libos_user_range_ok((void *)arg, sizeof(int), true)) {
            r = -EFAULT;
        } else {
            *(int *)arg = st.st_size > (int64_t)f->pos ? (int)(st.st_size - f->pos) : 0;
            r = 0;
        }
    } else {
        r = -ENOTTY;
    }
    libos_file_put(f);
    return r;
}

/* --------------------------------------------------------- cwd and access */

long libos_sys_getcwd(char *buf, size_t size) {
    char *tmp = libos_malloc(LIBOS_PATH_MAX);
    if (!tmp)
        return -ENOMEM;
    long r = libos_vfs_get_cwd(tmp, LIBOS_PATH_MAX);
    if (r >= 0 && (size_t)r + 1 > size)
        r = -ERANGE;
    else if (r >= 0 && !libos_user_range_ok(buf, r + 1, true))
        r = -EFAULT;
    else if (r >= 0) {
        memcpy(buf, tmp, r + 1);
        r++; /* the syscall returns the length including the NUL */
    }
    libos_free(tmp);
    return r;
}

/* Permission check for access() and chdir(): the mode bits against the
 * caller's ids (supplementary groups are not modelled yet). */
static long check_perm(const struct linux_stat *st, int mode, bool effective) {
    uint32_t uid = effective ? g_process.euid : g_process.uid;
    uint32_t gid = effective ? g_process.egid : g_process.gid;
    if (uid == 0) {
        bool xok = S_ISDIR(st->st_mode) || (st->st_mode & 0111);
        return ((mode & X_OK) && !xok) ? -EACCES : 0;
    }
    uint32_t bits = st->st_uid == uid   ? (st->st_mode >> 6)
                    : st->st_gid == gid ? (st->st_mode >> 3)
                                        : st->st_mode;
    return (mode & ~bits & 7) ? -EACCES : 0;
}

long libos_sys_chdir(const char *path) {
    struct libos_lookup lk;
    long r = libos_lookup_user(AT_FDCWD, path, LIBOS_LOOKUP_FOLLOW, &lk);
    if (r)
        return r;
    if (!S_ISDIR(lk.st.st_mode))
        r = -ENOTDIR;
    else if (!(r = check_perm(&lk.st, X_OK, true)))
        r = libos_vfs_set_cwd(lk.path);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_fchdir(int fd) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r = libos_file_is_dir(f) && f->path ? libos_vfs_set_cwd(f->path) : -ENOTDIR;
    libos_file_put(f);
    return r;
}

long libos_sys_faccessat2(int dirfd, const char *path, int mode, int flags) {
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct linux_stat st;
    long r = stat_at(dirfd, path, flags, &st);
    if (r || mode == F_OK)
        return r;
    if (mode & W_OK) {
        /* Linux reports EROFS for files, dirs and links on a read-only mount. */
        struct libos_lookup lk;
        uint32_t t = st.st_mode & S_IFMT;
        if ((t == S_IFREG || t == S_IFDIR || t == S_IFLNK) &&
            !libos_lookup_user(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LIBOS_LOOKUP_FOLLOW,
                               &lk)) {
            r = lk.mount->readonly ? -EROFS : 0;
            libos_lookup_free(&lk);
            if (r)
                return r;
        }
    }
    return check_perm(&st, mode, flags & AT_EACCESS);
}

long libos_sys_faccessat(int dirfd, const char *path, int mode) {
    return libos_sys_faccessat2(dirfd, path, mode, 0);
}

long libos_sys_access(const char *path, int mode) {
    return libos_sys_faccessat2(AT_FDCWD, path, mode, 0);
}

long libos_sys_readlinkat(int dirfd, const char *upath, char *buf, size_t size) {
    if ((int)size <= 0)
        return -EINVAL;
    char *path;
    long r = libos_copy_user_path(upath, &path);
    if (r)
        return r;
    struct libos_lookup lk = {0};
    if (!path[0]) {
        /* Linux: an O_PATH fd on a symlink reads that link. */
        struct libos_file *f = dirfd == AT_FDCWD ? NULL : libos_fd_get(dirfd);
        r = -ENOENT;
        if (f && f->path && (f->flags & O_PATH))
            r = libos_vfs_lookup(AT_FDCWD, f->path, 0, &lk);
        libos_file_put(f);
    } else {
        r = libos_vfs_lookup(dirfd, path, 0, &lk);
    }
    libos_free(path);
    if (r)
        return r;
    struct libos_mount *m = lk.mount;
    char *tmp = libos_malloc(LIBOS_PATH_MAX);
    if (!tmp)
        r = -ENOMEM;
    else if (!S_ISLNK(lk.st.st_mode) || !m->ops->readlink)
        r = -EINVAL;
    else
        r = m->ops->readlink(m, lk.rel, tmp, LIBOS_PATH_MAX);
    if (r >= 0) {
        r = MIN((size_t)r, size);
        if (!libos_user_range_ok(buf, r, true))
            r = -EFAULT;
        else
            memcpy(buf, tmp, r);
    }
    libos_free(tmp);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_readlink(const char *path, char *buf, size_t size) {
    return libos_sys_readlinkat(AT_FDCWD, path, buf, size);
}

/* ------------------------------------------------- size, sync and modes */

long libos_sys_ftruncate(int fd, int64_t length) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->flags & O_PATH)
        r = -EBADF;
    else if (length < 0 || (f->flags & O_ACCMODE) == O_RDONLY || !f->ops->truncate)
        r = -EINVAL;
    else
        r = f->ops->truncate(f, length);
    if (!r && f->path && libos_fsnotify)
        libos_fsnotify(f->path, NULL, LIBOS_IN_MODIFY, 0);
    libos_file_put(f);
    return r;
}

long libos_sys_truncate(const char *path, int64_t length) {
    if (length < 0)
        return -EINVAL;
    struct libos_lookup lk;
    long r = libos_lookup_user(AT_FDCWD, path, LIBOS_LOOKUP_FOLLOW, &lk);
    if (r)
        return r;
    struct libos_file *f = NULL;
    if (S_ISDIR(lk.st.st_mode))
        r = -EISDIR;
    else if (!S_ISREG(lk.st.st_mode))
        r = -EINVAL;
    else if (!(r = libos_vfs_check_writable(lk.mount, lk.path, "truncate")))
        r = libos_vfs_open_lookup(&lk, O_WRONLY, 0, &f);
    if (!r)
        r = f->ops->truncate ? f->ops->truncate(f, length) : -EINVAL;
    if (!r && libos_fsnotify)
        libos_fsnotify(lk.path, NULL, LIBOS_IN_MODIFY, 0);
    libos_file_put(f);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_fsync(int fd) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r = (f->flags & O_PATH) ? -EBADF : f->ops->fsync ? f->ops->fsync(f) : -EINVAL;
    libos_file_put(f);
    return r;
}

long libos_sys_fdatasync(int fd) {
    return libos_sys_fsync(fd);
}

long libos_sys_umask(uint32_t mask) {
    uint32_t old = __atomic_exchange_n(&g_process.umask, mask & 0777, __ATOMIC_ACQ_REL);
    return old;
}

static long chmod_path(struct libos_mount *m, const char *abs, uint32_t mode) {
    long r = libos_vfs_check_writable(m, abs, "chmod");
    if (!r)
        r = m->ops->chmod ? m->ops->chmod(m, libos_mount_rel(m, abs), mode & 07777) : -EPERM;
    if (!r && libos_fsnotify)
        libos_fsnotify(abs, NULL, LIBOS_IN_ATTRIB, 0);
    return r;
}

long libos_sys_fchmodat(int dirfd, const char *path, uint32_t mode) {
    struct libos_lookup lk;
    long r = libos_lookup_user(dirfd, path, LIBOS_LOOKUP_FOLLOW, &lk);
    if (r)
        return r;
    r = chmod_path(lk.mount, lk.path, mode);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_chmod(const char *path, uint32_t mode) {
    return libos_sys_fchmodat(AT_FDCWD, path, mode);
}

#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)

/* One timespec of utimensat: ns since the epoch, -1 to keep, or -EINVAL. */
static int64_t utime_ns(const struct linux_timespec *t, int64_t now) {
    if (!t || t->tv_nsec == UTIME_NOW)
        return now;
    if (t->tv_nsec == UTIME_OMIT)
        return -1;
    if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000 || t->tv_sec < 0)
        return -EINVAL;
    return t->tv_sec * 1000000000 + t->tv_nsec;
}

long libos_sys_utimensat(int dirfd, const char *upath, const struct linux_timespec *times,
                         int flags) {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (times && !libos_user_range_ok(times, 2 * sizeof(*times), false))
        return -EFAULT;
    int64_t now = libos_now_ns();
    int64_t at = utime_ns(times ? &times[0] : NULL, now);
    int64_t mt = utime_ns(times ? &times[1] : NULL, now);
    if (at < -1 || mt < -1)
        return -EINVAL;
    char *abs = NULL;
    long r = 0;
    if (!upath) {
        /* Linux: a NULL path acts on dirfd itself (futimens). */
        struct libos_file *f = dirfd == AT_FDCWD ? NULL : libos_fd_get(dirfd);
        if (!f)
            return -EBADF;
        abs = f->path ? libos_strdup(f->path) : NULL;
        r = abs ? 0 : -EBADF;
        libos_file_put(f);
    } else {
        struct libos_lookup lk;
        r = libos_lookup_user(dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LIBOS_LOOKUP_FOLLOW,
                              &lk);
        abs = r ? NULL : lk.path; /* keep the path, drop the rest */
    }
    if (r)
        return r;
    if (at == -1 && mt == -1) {
        libos_free(abs);
        return 0;
    }
    struct libos_mount *m = libos_mount_find(abs);
    if (!(r = libos_vfs_check_writable(m, abs, "set times of")))
        r = m->ops->utimes ? m->ops->utimes(m, libos_mount_rel(m, abs), at, mt) : -EPERM;
    if (!r && libos_fsnotify)
        libos_fsnotify(abs, NULL, LIBOS_IN_ATTRIB, 0);
    libos_free(abs);
    return r;
}

long libos_sys_fchmod(int fd, uint32_t mode) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->flags & O_PATH) {
        r = -EBADF;
    } else if (f->path && f->mount && f->mount->ops != &g_dev_fs_ops) {
        r = chmod_path(f->mount, f->path, mode);
    } else if (f->handle) {
        struct pal_stream_attr a = {.mode = mode & 07777};
        r = pal_stream_attr_set_handle(f->handle, PAL_ATTR_MODE, &a);
        r = r < 0 ? libos_errno_from_pal((int)r) : 0;
    } else {
        r = -EPERM;
    }
    libos_file_put(f);
    return r;
}
