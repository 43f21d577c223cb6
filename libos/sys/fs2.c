/* More file system calls (issue 4): statfs, fallocate, syncs, old utime
 * calls, the chown family, in-libos copies (sendfile, copy_file_range,
 * splice, vmsplice), flock and fcntl record locks, and the small process
 * queries programs make at start-up (personality, membarrier, capget). */
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_net.h"
#include "libos_syscalls.h"
#include "libos_wait.h"

static void notify(const char *abs, const struct linux_stat *st, uint32_t mask) {
    if (abs && libos_fsnotify)
        libos_fsnotify(abs, st, mask, 0);
}

/* ---------------------------------------------------------------- statfs */

struct linux_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
#define TMPFS_MAGIC 0x01021994
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534f434b
#define ANON_INODE_FS_MAGIC 0x09041934
#define EXT4_SUPER_MAGIC 0xef53
#define ST_RDONLY 1
#define ST_NOSUID 2
#define ST_NODEV 4
#define ST_VALID 0x20

/* A libos-owned file system: sizes from the memory the app may use. */
static void statfs_mem(struct linux_statfs *s, int64_t type) {
    struct pal_mem_info mi = {0};
    pal_mem_query(&mi);
    uint64_t total = g_manifest && g_manifest->limit_memory ? g_manifest->limit_memory : mi.total;
    uint64_t avail = MIN(mi.available, total);
    s->f_type = type;
    s->f_bsize = s->f_frsize = LIBOS_PAGE_SIZE;
    s->f_blocks = total / LIBOS_PAGE_SIZE;
    s->f_bfree = s->f_bavail = avail / LIBOS_PAGE_SIZE;
    s->f_files = s->f_blocks / 2; /* Linux tmpfs: nr_inodes = half the pages */
    s->f_ffree = s->f_files ? s->f_files - 1 : 0;
    s->f_namelen = LIBOS_NAME_MAX;
    s->f_flags = ST_VALID | ST_NOSUID | ST_NODEV;
}

static long statfs_mount(struct libos_mount *m, const char *abs, struct linux_statfs *s) {
    memset(s, 0, sizeof(*s));
    const char *name = m->ops->name ? m->ops->name : "";
    if (m->ops == &g_host_fs_ops) {
        char *uri = libos_host_uri(m, libos_mount_rel(m, abs), false);
        if (!uri)
            return -ENOMEM;
        struct pal_fs_info fi;
        int r = pal_fs_info(uri, &fi);
        libos_free(uri);
        if (r < 0)
            return libos_errno_from_pal(r);
        s->f_type = fi.type ? (int64_t)fi.type : EXT4_SUPER_MAGIC;
        s->f_bsize = s->f_frsize = fi.block_size;
        s->f_blocks = fi.blocks;
        s->f_bfree = fi.blocks_free;
        s->f_bavail = fi.blocks_avail;
        s->f_files = fi.files;
        s->f_ffree = fi.files_free;
        s->f_namelen = fi.name_max;
        s->f_flags = ST_VALID | (fi.readonly ? ST_RDONLY : 0);
    } else if (!strcmp(name, "proc")) {
        s->f_type = PROC_SUPER_MAGIC;
        s->f_bsize = s->f_frsize = LIBOS_PAGE_SIZE;
        s->f_namelen = LIBOS_NAME_MAX;
        s->f_flags = ST_VALID | ST_NOSUID | ST_NODEV | 8 /* ST_NOEXEC */;
    } else if (!strcmp(name, "sys") || !strcmp(name, "sysfs")) {
        s->f_type = SYSFS_MAGIC;
        s->f_bsize = s->f_frsize = LIBOS_PAGE_SIZE;
        s->f_namelen = LIBOS_NAME_MAX;
        s->f_flags = ST_VALID | ST_NOSUID | ST_NODEV | 8;
    } else {
        statfs_mem(s, TMPFS_MAGIC); /* tmpfs, /dev (devtmpfs), mount-point dirs */
        if (m->ops == &g_dev_fs_ops)
            s->f_flags &= ~ST_NODEV;
    }
    if (m->readonly)
        s->f_flags |= ST_RDONLY;
    s->f_fsid[0] = (int32_t)m->dev;
    s->f_fsid[1] = (int32_t)(m->dev >> 32);
    return 0;
}

static long put_statfs(struct linux_statfs *u, const struct linux_statfs *s) {
    if (!libos_user_range_ok(u, sizeof(*u), true))
        return -EFAULT;
    memcpy(u, s, sizeof(*s));
    return 0;
}

long libos_sys_statfs(const char *path, struct linux_statfs *buf) {
    struct libos_lookup lk;
    long r = libos_lookup_user(AT_FDCWD, path, LIBOS_LOOKUP_FOLLOW, &lk);
    if (r)
        return r;
    struct linux_statfs s;
    r = statfs_mount(lk.mount, lk.path, &s);
    libos_lookup_free(&lk);
    return r ? r : put_statfs(buf, &s);
}

long libos_sys_fstatfs(int fd, struct linux_statfs *buf) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct linux_statfs s;
    struct linux_stat st;
    long r = 0;
    if (f->mount && f->path) {
        r = statfs_mount(f->mount, f->path, &s);
    } else if (!(r = libos_file_stat(f, &st))) {
        /* Anonymous files: memfd is tmpfs; pipes, sockets and the rest
         * live on the kernel's internal file systems. */
        memset(&s, 0, sizeof(s));
        if (S_ISREG(st.st_mode))
            statfs_mem(&s, TMPFS_MAGIC);
        s.f_type = S_ISREG(st.st_mode)                 ? TMPFS_MAGIC
                   : (st.st_mode & S_IFMT) == S_IFIFO  ? PIPEFS_MAGIC
                   : (st.st_mode & S_IFMT) == S_IFSOCK ? SOCKFS_MAGIC
                                                       : ANON_INODE_FS_MAGIC;
        s.f_bsize = s.f_frsize = LIBOS_PAGE_SIZE;
        s.f_namelen = LIBOS_NAME_MAX;
        s.f_flags = ST_VALID;
    }
    libos_file_put(f);
    return r ? r : put_statfs(buf, &s);
}

/* ------------------------------------------------------ space and syncs */

#define FALLOC_FL_KEEP_SIZE 1
#define FALLOC_FL_PUNCH_HOLE 2
#define FALLOC_FL_ALL 0x7f

long libos_sys_fallocate(int fd, int mode, int64_t off, int64_t len) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct linux_stat st;
    long r;
    /* The order of Linux's vfs_fallocate checks. */
    if (off < 0 || len <= 0)
        r = -EINVAL;
    else if (mode & ~FALLOC_FL_ALL)
        r = -EOPNOTSUPP;
    else if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
        r = -EOPNOTSUPP;
    else if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
        r = -EBADF;
    else if ((r = libos_file_stat(f, &st))) {
    } else if ((st.st_mode & S_IFMT) == S_IFIFO)
        r = -ESPIPE;
    else if (S_ISDIR(st.st_mode))
        r = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        r = -ENODEV;
    else if (off > INT64_MAX - len)
        r = -EFBIG;
    else if (mode & ~FALLOC_FL_KEEP_SIZE)
        r = -EOPNOTSUPP; /* only plain allocation is supported */
    else if (mode || off + len <= st.st_size)
        r = 0; /* the space is there (no file system here reserves blocks) */
    else if (!f->ops->truncate)
        r = -EOPNOTSUPP;
    else if (!(r = f->ops->truncate(f, off + len)))
        notify(f->path, NULL, LIBOS_IN_MODIFY);
    libos_file_put(f);
    return r;
}

long libos_sys_sync(void) {
    return 0; /* writes reach the host as they are made */
}

long libos_sys_syncfs(int fd) {
    return libos_fd_get_cloexec(fd) < 0 ? -EBADF : 0;
}

#define SYNC_FILE_RANGE_ALL 7

long libos_sys_sync_file_range(int fd, int64_t off, int64_t nbytes, unsigned int flags) {
    if (flags & ~SYNC_FILE_RANGE_ALL)
        return -EINVAL;
    if (off < 0 || nbytes < 0 || off > INT64_MAX - nbytes)
        return -EINVAL;
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct linux_stat st;
    long r = (f->flags & O_PATH) ? -EBADF : libos_file_stat(f, &st);
    uint32_t t = st.st_mode & S_IFMT;
    if (!r && t != S_IFREG && t != S_IFDIR && t != S_IFLNK && t != S_IFBLK)
        r = -ESPIPE;
    else if (!r && (flags & 2 /* SYNC_FILE_RANGE_WRITE */) && f->ops->fsync)
        r = f->ops->fsync(f);
    libos_file_put(f);
    return r;
}

/* ------------------------------------------------------------ old utimes */

/* Set times (ns since the epoch, -1 keeps) of a path, following links. */
static long set_times(int dirfd, const char *upath, int64_t at, int64_t mt) {
    struct libos_lookup lk;
    long r = libos_lookup_user(dirfd, upath, LIBOS_LOOKUP_FOLLOW, &lk);
    if (r)
        return r;
    struct libos_mount *m = lk.mount;
    if (!(r = libos_vfs_check_writable(m, lk.path, "set times of")))
        r = m->ops->utimes ? m->ops->utimes(m, lk.rel, at, mt) : -EPERM;
    if (!r)
        notify(lk.path, &lk.st, LIBOS_IN_ATTRIB);
    libos_lookup_free(&lk);
    return r;
}

struct linux_utimbuf {
    int64_t actime, modtime;
};

long libos_sys_utime(const char *path, const struct linux_utimbuf *times) {
    int64_t now = libos_now_ns(), at = now, mt = now;
    if (times) {
        if (!libos_user_range_ok(times, sizeof(*times), false))
            return -EFAULT;
        at = times->actime * 1000000000;
        mt = times->modtime * 1000000000;
    }
    return set_times(AT_FDCWD, path, at, mt);
}

long libos_sys_futimesat(int dirfd, const char *path, const struct linux_timeval *tv) {
    int64_t now = libos_now_ns(), at = now, mt = now;
    if (tv) {
        if (!libos_user_range_ok(tv, 2 * sizeof(*tv), false))
            return -EFAULT;
        for (int i = 0; i < 2; i++)
            if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
                return -EINVAL;
        at = tv[0].tv_sec * 1000000000 + tv[0].tv_usec * 1000;
        mt = tv[1].tv_sec * 1000000000 + tv[1].tv_usec * 1000;
    }
    if (!path)
        return -EFAULT; /* futimes() is utimensat(fd, NULL) in libcs */
    return set_times(dirfd, path, at, mt);
}

long libos_sys_utimes(const char *path, const struct linux_timeval *tv) {
    return libos_sys_futimesat(AT_FDCWD, path, tv);
}

/* ------------------------------------------------------------------ chown */

/* May the caller change st's owner to uid/gid? (Linux chown_ok/chgrp_ok;
 * supplementary groups are not modelled, so only the egid counts.) */
static long chown_allowed(const struct linux_stat *st, uint32_t uid, uint32_t gid) {
    if (g_process.euid == 0)
        return 0;
    if (uid != UINT32_MAX && (uid != st->st_uid || st->st_uid != g_process.euid))
        return -EPERM;
    if (gid != UINT32_MAX && gid != st->st_gid &&
        (st->st_uid != g_process.euid || gid != g_process.egid))
        return -EPERM;
    return 0;
}

static long chown_lookup(struct libos_lookup *lk, uint32_t uid, uint32_t gid) {
    struct libos_mount *m = lk->mount;
    long r = libos_vfs_check_writable(m, lk->path, "chown");
    if (!r)
        r = chown_allowed(&lk->st, uid, gid);
    if (!r)
        r = m->ops->chown ? m->ops->chown(m, lk->rel, uid, gid) : -EPERM;
    if (!r)
        notify(lk->path, &lk->st, LIBOS_IN_ATTRIB);
    return r;
}

long libos_sys_fchownat(int dirfd, const char *upath, uint32_t uid, uint32_t gid, int flags) {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char *path;
    long r = libos_copy_user_path(upath, &path);
    if (r)
        return r;
    struct libos_lookup lk;
    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        libos_free(path);
        return dirfd == AT_FDCWD ? libos_sys_fchownat(AT_FDCWD, ".", uid, gid, 0)
                                 : libos_sys_fchown(dirfd, uid, gid);
    }
    r = libos_vfs_lookup(dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LIBOS_LOOKUP_FOLLOW, &lk);
    libos_free(path);
    if (r)
        return r;
    r = chown_lookup(&lk, uid, gid);
    libos_lookup_free(&lk);
    return r;
}

long libos_sys_chown(const char *path, uint32_t uid, uint32_t gid) {
    return libos_sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long libos_sys_lchown(const char *path, uint32_t uid, uint32_t gid) {
    return libos_sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long libos_sys_fchown(int fd, uint32_t uid, uint32_t gid) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r;
    struct libos_lookup lk;
    struct linux_stat st;
    if (f->flags & O_PATH) {
        r = -EBADF;
    } else if (f->path && f->mount && f->mount->ops != &g_dev_fs_ops) {
        r = libos_vfs_lookup(AT_FDCWD, f->path, 0, &lk);
        if (!r) {
            r = chown_lookup(&lk, uid, gid);
            libos_lookup_free(&lk);
        }
    } else if ((r = libos_file_stat(f, &st))) {
        ;
    } else if ((r = chown_allowed(&st, uid, gid))) {
        ;
    } else if (f->handle && S_ISREG(st.st_mode)) {
        struct pal_stream_attr a = {.uid = uid, .gid = gid};
        r = pal_stream_attr_set_handle(f->handle, PAL_ATTR_OWNER, &a);
        r = r < 0 ? libos_errno_from_pal((int)r) : 0;
        r = r == -EACCES ? -EPERM : r;
    } else {
        r = 0; /* pipes, sockets, anonymous files: nothing to record */
    }
    libos_file_put(f);
    return r;
}

/* ---------------------------------------------------------------- copies */

#define COPY_CHUNK 65536

static bool file_readable(struct libos_file *f) {
    return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_WRONLY && f->ops->read;
}

static bool file_writable(struct libos_file *f) {
    return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_RDONLY && f->ops->write;
}

static bool seekable(struct libos_file *f) {
    return f->ops->seek != NULL;
}

/* One read or write at *off (an explicit offset) or at the file position. */
static int64_t file_io(struct libos_file *f, void *buf, size_t n, int64_t *off, bool write) {
    int64_t r;
    uint64_t pos;
    if (off) {
        pos = *off;
        r = write ? f->ops->write(f, buf, n, &pos) : f->ops->read(f, buf, n, &pos);
        if (r > 0)
            *off += r;
    } else if (seekable(f)) {
        libos_lock(&f->lock);
        r = write ? f->ops->write(f, buf, n, &f->pos) : f->ops->read(f, buf, n, &f->pos);
        libos_unlock(&f->lock);
    } else {
        pos = 0;
        r = write ? f->ops->write(f, buf, n, &pos) : f->ops->read(f, buf, n, &pos);
    }
    return r;
}

/* The file position goes through the seek op: for host files it lives in
 * the PAL handle (shared with forked children), not in f->pos. */
static int64_t file_tell(struct libos_file *f) {
    return f->ops->seek ? f->ops->seek(f, 0, SEEK_CUR) : (int64_t)f->pos;
}

static void file_seek_to(struct libos_file *f, int64_t pos) {
    if (f->ops->seek)
        f->ops->seek(f, pos, SEEK_SET);
    else
        f->pos = (uint64_t)pos;
}

/* Copy up to count bytes from in to out through a buffer. A seekable input
 * is re-read at the position of the first byte not written, so a short
 * write loses nothing; a stream input (pipe) is read once and all of it is
 * written. Returns bytes copied, or -errno if nothing was. */
static long xfer(struct libos_file *in, int64_t *inoff, struct libos_file *out, int64_t *outoff,
                 size_t count) {
    count = MIN(count, RW_MAX);
    /* The buffer is app memory (a private mapping): sockets and pipes
     * check that what they are given is. */
    char *buf = (char *)libos_sys_mmap(NULL, COPY_CHUNK, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ((long)buf < 0 && (long)buf > -4096)
        return (long)buf;
    bool stream = !seekable(in);
    int64_t pos = inoff ? *inoff : file_tell(in);
    long done = 0, r = 0;
    while ((size_t)done < count) {
        size_t want = MIN(count - done, COPY_CHUNK);
        int64_t p = pos;
        int64_t got = file_io(in, buf, want, stream ? NULL : &p, false);
        if (got <= 0) {
            r = got;
            break;
        }
        int64_t put = 0;
        while (put < got) {
            int64_t w = file_io(out, buf + put, got - put, outoff, true);
            if (w <= 0) {
                r = w ? w : -EIO;
                break;
            }
            put += w;
            if (!stream)
                break; /* a short write: re-read from where it stopped */
        }
        pos += put;
        done += put;
        if (r < 0 || stream)
            break;
        if (put < got)
            continue;
    }
    if (!stream) {
        if (inoff)
            *inoff = pos;
        else
            file_seek_to(in, pos); /* sendfile without an offset moves in's position */
    }
    libos_sys_munmap(buf, COPY_CHUNK);
    if (r == -ERESTARTSYS && done)
        r = 0;
    return done ? done : r;
}

static long get_off(const int64_t *uoff, int64_t *off) {
    if (!libos_user_range_ok(uoff, sizeof(*uoff), true))
        return -EFAULT;
    *off = *uoff;
    return *off < 0 ? -EINVAL : 0;
}

long libos_sys_sendfile(int out_fd, int in_fd, int64_t *uoff, size_t count) {
    struct libos_file *in = libos_fd_get(in_fd);
    struct libos_file *out = libos_fd_get(out_fd);
    int64_t off = 0;
    long r = 0;
    if (!in || !out || !file_readable(in) || !file_writable(out))
        r = -EBADF;
    else if (out->flags & O_APPEND)
        r = -EINVAL;
    else if (uoff && !seekable(in))
        r = -ESPIPE;
    else if (uoff)
        r = get_off(uoff, &off);
    if (!r && count)
        r = xfer(in, uoff ? &off : NULL, out, NULL, count);
    if (r >= 0 && uoff)
        *uoff = off;
    libos_file_put(in);
    libos_file_put(out);
    return r;
}

/* Regular files only, as Linux's generic_copy_file_checks. */
static long cfr_check(struct libos_file *f, bool write, struct linux_stat *st) {
    if (write ? !file_writable(f) : !file_readable(f))
        return -EBADF;
    long r = libos_file_stat(f, st);
    if (r)
        return r;
    if (S_ISDIR(st->st_mode))
        return -EISDIR;
    return S_ISREG(st->st_mode) ? 0 : -EINVAL;
}

long libos_sys_copy_file_range(int fd_in, int64_t *uoff_in, int fd_out, int64_t *uoff_out,
                               size_t len, unsigned int flags) {
    if (flags)
        return -EINVAL;
    struct libos_file *in = libos_fd_get(fd_in);
    struct libos_file *out = libos_fd_get(fd_out);
    struct linux_stat si, so;
    int64_t oin = 0, oout = 0;
    long r = 0;
    if (!in || !out)
        r = -EBADF;
    else if ((r = cfr_check(in, false, &si)) || (r = cfr_check(out, true, &so))) {
    } else if (out->flags & O_APPEND)
        r = -EBADF;
    else if ((uoff_in && (r = get_off(uoff_in, &oin))) ||
             (uoff_out && (r = get_off(uoff_out, &oout)))) {
    }
    if (!r) {
        int64_t a = uoff_in ? oin : file_tell(in);
        int64_t b = uoff_out ? oout : file_tell(out);
        size_t n = MIN(len, RW_MAX);
        if (si.st_dev == so.st_dev && si.st_ino == so.st_ino && a < b + (int64_t)n &&
            b < a + (int64_t)n)
            r = -EINVAL; /* overlapping ranges of one file */
    }
    if (!r && len) {
        r = xfer(in, uoff_in ? &oin : NULL, out, uoff_out ? &oout : NULL, len);
        if (r > 0)
            notify(out->path, NULL, LIBOS_IN_MODIFY);
    }
    if (r >= 0 && uoff_in)
        *uoff_in = oin;
    if (r >= 0 && uoff_out)
        *uoff_out = oout;
    libos_file_put(in);
    libos_file_put(out);
    return r;
}

#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_ALL 0xf

long libos_sys_splice(int fd_in, int64_t *uoff_in, int fd_out, int64_t *uoff_out, size_t len,
                      unsigned int flags) {
    struct libos_file *in = libos_fd_get(fd_in);
    struct libos_file *out = libos_fd_get(fd_out);
    int64_t oin = 0, oout = 0;
    long r = 0;
    bool pin = in && libos_file_is_pipe(in), pout = out && libos_file_is_pipe(out);
    if (!in || !out || !file_readable(in) || !file_writable(out))
        r = -EBADF;
    else if (flags & ~SPLICE_F_ALL)
        r = -EINVAL;
    else if (!pin && !pout)
        r = -EINVAL; /* one end must be a pipe */
    else if ((pin && uoff_in) || (pout && uoff_out))
        r = -ESPIPE;
    else if ((uoff_in && (r = get_off(uoff_in, &oin))) ||
             (uoff_out && (r = get_off(uoff_out, &oout)))) {
    } else if (out->flags & O_APPEND)
        r = -EINVAL;
    if (!r && len) {
        /* SPLICE_F_NONBLOCK makes the pipe end non-blocking for this call. */
        struct libos_file *p = pin ? in : out;
        bool was_nb = p->flags & O_NONBLOCK;
        if (flags & SPLICE_F_NONBLOCK)
            p->flags |= O_NONBLOCK;
        r = xfer(in, uoff_in ? &oin : NULL, out, uoff_out ? &oout : NULL, len);
        if ((flags & SPLICE_F_NONBLOCK) && !was_nb)
            p->flags &= ~O_NONBLOCK;
    }
    if (r >= 0 && uoff_in)
        *uoff_in = oin;
    if (r >= 0 && uoff_out)
        *uoff_out = oout;
    libos_file_put(in);
    libos_file_put(out);
    return r;
}

/* tee duplicates pipe contents without consuming them: the PAL has no
 * way to peek at a host pipe, so only the argument checks are Linux's. */
long libos_sys_tee(int fd_in, int fd_out, size_t len, unsigned int flags) {
    struct libos_file *in = libos_fd_get(fd_in);
    struct libos_file *out = libos_fd_get(fd_out);
    long r;
    if (!in || !out || !file_readable(in) || !file_writable(out))
        r = -EBADF;
    else if (flags & ~SPLICE_F_ALL)
        r = -EINVAL;
    else if (!libos_file_is_pipe(in) || !libos_file_is_pipe(out) || in == out)
        r = -EINVAL;
    else
        r = len ? -ENOSYS : 0;
    libos_file_put(in);
    libos_file_put(out);
    return r;
}

long libos_sys_vmsplice(int fd, const struct linux_iovec *iov, unsigned long nr,
                        unsigned int flags) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    bool pipe = libos_file_is_pipe(f);
    bool wr = (f->flags & O_ACCMODE) != O_RDONLY;
    libos_file_put(f);
    if (!pipe)
        return -EBADF;
    if (flags & ~SPLICE_F_ALL)
        return -EINVAL;
    if (nr > 1024)
        return -EINVAL;
    /* Writing end: the pages' contents go into the pipe; reading end:
     * the pipe is read into them (Linux's vmsplice_to_user). */
    return wr ? libos_sys_writev(fd, iov, (int)nr) : libos_sys_readv(fd, iov, (int)nr);
}

/* ------------------------------------------------------------ file locks */

/* One lock table for flock and fcntl locks, keyed by file identity
 * (st_dev, st_ino). POSIX record locks belong to the process (this libos
 * instance: locks do not reach other sandboxed processes or the host);
 * OFD locks and flock locks belong to an open file. flock and fcntl locks
 * are separate, as on Linux. */
enum { LK_POSIX, LK_OFD, LK_FLOCK };
#define LK_RD 0 /* F_RDLCK */
#define LK_WR 1 /* F_WRLCK */
#define LK_UN 2 /* F_UNLCK */
#define LK_EOF UINT64_MAX

struct flock_rec {
    struct flock_rec *next;
    uint64_t dev, ino;
    const void *owner;
    int kind, type;
    uint64_t start, end; /* inclusive */
};

static struct libos_lock g_lk_lock = LIBOS_LOCK_INIT;
static struct flock_rec *g_locks;
static struct libos_waitq g_lk_waitq = LIBOS_WAITQ_INIT;
#define POSIX_OWNER ((const void *)&g_process)

static bool same_domain(int a, int b) {
    return (a == LK_FLOCK) == (b == LK_FLOCK);
}

/* Caller holds g_lk_lock. The first lock of another owner that blocks
 * (type over [start, end]). */
static struct flock_rec *lk_conflict(uint64_t dev, uint64_t ino, const void *owner, int kind,
                                     int type, uint64_t start, uint64_t end) {
    for (struct flock_rec *l = g_locks; l; l = l->next)
        if (l->dev == dev && l->ino == ino && l->owner != owner && same_domain(l->kind, kind) &&
            l->start <= end && start <= l->end && (type == LK_WR || l->type == LK_WR))
            return l;
    return NULL;
}

/* Caller holds g_lk_lock. Applies type (LK_UN removes) over [start, end]
 * for owner: merges with touching locks of the same type, splits others. */
static long lk_apply(uint64_t dev, uint64_t ino, const void *owner, int kind, int type,
                     uint64_t start, uint64_t end) {
    struct flock_rec *n = NULL;
    if (type != LK_UN) {
        if (!(n = libos_calloc(1, sizeof(*n))))
            return -ENOLCK;
    }
    struct flock_rec *spare = libos_calloc(1, sizeof(*spare)); /* for a split */
    if (!spare) {
        libos_free(n);
        return -ENOLCK;
    }
    for (struct flock_rec **pp = &g_locks; *pp;) {
        struct flock_rec *l = *pp;
        bool mine = l->dev == dev && l->ino == ino && l->owner == owner && l->kind == kind;
        bool touch = mine && l->start <= (end == LK_EOF ? end : end + 1) &&
                     start <= (l->end == LK_EOF ? l->end : l->end + 1);
        if (!touch) {
            pp = &l->next;
            continue;
        }
        bool overlap = l->start <= end && start <= l->end;
        if (l->type == type) { /* same type: absorb into the new range */
            start = MIN(start, l->start);
            end = MAX(end, l->end);
        } else if (overlap) {
            if (l->start < start && l->end > end && spare) { /* split in two */
                *spare = *l;
                spare->start = end + 1;
                l->end = start - 1;
                spare->next = l->next;
                l->next = spare;
                spare = NULL;
                pp = &l->next->next;
                continue;
            }
            if (l->start < start) {
                l->end = start - 1;
                pp = &l->next;
                continue;
            }
            if (l->end > end) {
                l->start = end + 1;
                pp = &l->next;
                continue;
            }
        } else {
            pp = &l->next; /* adjacent with another type: untouched */
            continue;
        }
        *pp = l->next; /* covered: goes */
        libos_free(l);
    }
    libos_free(spare);
    if (n) {
        *n = (struct flock_rec){g_locks, dev, ino, owner, kind, type, start, end};
        g_locks = n;
    }
    return 0;
}

/* Take (or drop) a lock, waiting while another owner holds a conflicting
 * one if wait is set. */
static long lk_set(uint64_t dev, uint64_t ino, const void *owner, int kind, int type,
                   uint64_t start, uint64_t end, bool wait) {
    for (;;) {
        struct libos_waiter w;
        libos_waitq_add(&g_lk_waitq, &w);
        libos_lock(&g_lk_lock);
        long r = 0;
        bool busy = type != LK_UN && lk_conflict(dev, ino, owner, kind, type, start, end);
        if (!busy)
            r = lk_apply(dev, ino, owner, kind, type, start, end);
        libos_unlock(&g_lk_lock);
        if (!busy) {
            libos_waitq_remove(&g_lk_waitq, &w);
            if (type == LK_UN || kind == LK_FLOCK)
                libos_waitq_wake_all(&g_lk_waitq); /* released ranges */
            return r;
        }
        if (!wait) {
            libos_waitq_remove(&g_lk_waitq, &w);
            return -EAGAIN;
        }
        r = libos_thread_wait(0, NULL, NULL, NULL, NULL);
        libos_waitq_remove(&g_lk_waitq, &w);
        if (r == -EINTR)
            return -ERESTARTSYS;
    }
}

/* Drop every lock matching owner (and the file identity, if ino). */
static void lk_drop(const void *owner, bool only_posix, uint64_t dev, uint64_t ino) {
    bool any = false;
    libos_lock(&g_lk_lock);
    for (struct flock_rec **pp = &g_locks; *pp;) {
        struct flock_rec *l = *pp;
        if (l->owner == owner &&
            (!only_posix || (l->kind == LK_POSIX && l->dev == dev && l->ino == ino))) {
            *pp = l->next;
            libos_free(l);
            any = true;
        } else {
            pp = &l->next;
        }
    }
    libos_unlock(&g_lk_lock);
    if (any)
        libos_waitq_wake_all(&g_lk_waitq);
}

static bool lk_owned_by(const void *owner) {
    libos_lock(&g_lk_lock);
    struct flock_rec *l = g_locks;
    while (l && l->owner != owner)
        l = l->next;
    libos_unlock(&g_lk_lock);
    return l != NULL;
}

void libos_fs2_fd_close(struct libos_file *f) {
    struct linux_stat st;
    if (lk_owned_by(POSIX_OWNER) && !libos_file_stat(f, &st))
        lk_drop(POSIX_OWNER, true, st.st_dev, st.st_ino);
}

void libos_inotify_file_closed(struct libos_file *f) __attribute__((weak));

void libos_fs2_file_release(struct libos_file *f) {
    if (lk_owned_by(f))
        lk_drop(f, false, 0, 0);
    if (libos_inotify_file_closed)
        libos_inotify_file_closed(f);
}

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

long libos_sys_flock(int fd, int op) {
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    struct linux_stat st;
    int how = op & ~LOCK_NB;
    long r = 0;
    if (f->flags & O_PATH)
        r = -EBADF;
    else if (how != LOCK_SH && how != LOCK_EX && how != LOCK_UN)
        r = -EINVAL;
    else if (!(r = libos_file_stat(f, &st))) {
        int type = how == LOCK_SH ? LK_RD : how == LOCK_EX ? LK_WR : LK_UN;
        /* Linux converts a held lock by dropping it first (not atomic). */
        if (type != LK_UN)
            lk_set(st.st_dev, st.st_ino, f, LK_FLOCK, LK_UN, 0, LK_EOF, false);
        r = lk_set(st.st_dev, st.st_ino, f, LK_FLOCK, type, 0, LK_EOF, !(op & LOCK_NB));
    }
    libos_file_put(f);
    return r;
}

struct linux_flock {
    int16_t l_type, l_whence;
    int64_t l_start, l_len;
    int32_t l_pid;
};
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38

/* The byte range of fl, as Linux's flock_to_posix_lock. */
static long lk_range(struct libos_file *f, const struct linux_flock *fl, uint64_t *s, uint64_t *e) {
    int64_t base;
    struct linux_stat st;
    switch (fl->l_whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = file_tell(f);
        break;
    case SEEK_END: {
        long r = libos_file_stat(f, &st);
        if (r)
            return r;
        base = st.st_size;
        break;
    }
    default:
        return -EINVAL;
    }
    if (fl->l_start > 0 && base > INT64_MAX - fl->l_start)
        return -EOVERFLOW;
    int64_t start = base + fl->l_start;
    if (start < 0)
        return -EINVAL;
    int64_t len = fl->l_len;
    if (len > 0) {
        if (len - 1 > INT64_MAX - start)
            return -EOVERFLOW;
        *s = start;
        *e = start + len - 1;
    } else if (len < 0) {
        if (start + len < 0)
            return -EINVAL;
        *s = start + len;
        *e = start - 1;
    } else {
        *s = start;
        *e = LK_EOF;
    }
    return 0;
}

static long fcntl_lock(struct libos_file *f, int cmd, struct linux_flock *ufl) {
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    if (!libos_user_range_ok(ufl, sizeof(*ufl), get))
        return -EFAULT;
    struct linux_flock fl = *ufl;
    if (fl.l_type != LK_RD && fl.l_type != LK_WR && fl.l_type != LK_UN)
        return -EINVAL;
    if (ofd && fl.l_pid != 0)
        return -EINVAL;
    if (f->flags & O_PATH)
        return -EBADF;
    uint64_t s, e;
    long r = lk_range(f, &fl, &s, &e);
    if (r)
        return r;
    struct linux_stat st;
    if ((r = libos_file_stat(f, &st)))
        return r;
    const void *owner = ofd ? (const void *)f : POSIX_OWNER;
    int kind = ofd ? LK_OFD : LK_POSIX;
    if (get) {
        if (fl.l_type == LK_UN)
            return -EINVAL;
        libos_lock(&g_lk_lock);
        struct flock_rec *l = lk_conflict(st.st_dev, st.st_ino, owner, kind, fl.l_type, s, e);
        if (l) {
            fl.l_type = l->type;
            fl.l_whence = SEEK_SET;
            fl.l_start = l->start;
            fl.l_len = l->end == LK_EOF ? 0 : (int64_t)(l->end - l->start + 1);
            fl.l_pid = l->kind == LK_OFD ? -1 : (int32_t)g_process.pid;
        } else {
            fl.l_type = LK_UN;
        }
        libos_unlock(&g_lk_lock);
        *ufl = fl;
        return 0;
    }
    int acc = f->flags & O_ACCMODE;
    if ((fl.l_type == LK_RD && acc == O_WRONLY) || (fl.l_type == LK_WR && acc == O_RDONLY))
        return -EBADF;
    bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
    return lk_set(st.st_dev, st.st_ino, owner, kind, fl.l_type, s, e, wait);
}

long libos_memfd_seals(struct libos_file *f, bool add, uint32_t seals) __attribute__((weak));

long libos_fs2_fcntl(struct libos_file *f, int cmd, uint64_t arg) {
    switch (cmd) {
    case F_ADD_SEALS:
    case F_GET_SEALS:
        return libos_memfd_seals ? libos_memfd_seals(f, cmd == F_ADD_SEALS, (uint32_t)arg)
                                 : -EINVAL;
    default:
        return fcntl_lock(f, cmd, (struct linux_flock *)arg);
    }
}

/* --------------------------------------------------------- process bits */

#define PER_LINUX 0
#define PER_QUERY 0xffffffffU

#define PER_MASK 0xffU
#define PER_FLAGS 0x0fffff00U /* UNAME26, ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC... */

/* The persona is recorded and reported as Linux does; only PER_LINUX exists.
 * Its flags change nothing the libos enforces (ADDR_NO_RANDOMIZE and
 * READ_IMPLIES_EXEC are not applied: the host picks addresses and
 * protections). */
static unsigned int g_personality;

long libos_sys_personality(unsigned int persona) {
    unsigned int old = __atomic_load_n(&g_personality, __ATOMIC_RELAXED);
    if (persona == PER_QUERY)
        return old;
    if ((persona & PER_MASK) != PER_LINUX || (persona & ~(PER_MASK | PER_FLAGS)))
        return -EINVAL;
    __atomic_store_n(&g_personality, persona, __ATOMIC_RELAXED);
    return old;
}

#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED 2
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED 4
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE 32
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE 64
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ 128
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ 256
#define MEMBARRIER_SUPPORTED                                                                       \
    (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                                     \
     MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |                 \
     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |      \
     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)

static uint32_t g_membarrier_registered;

/* Every thread of the app is a host thread of this process: a full
 * barrier here orders memory as the host's membarrier would for the
 * threads that run libos code; app threads running user code are
 * covered by the host scheduler's own barriers at the next switch. */
long libos_sys_membarrier(int cmd, unsigned int flags, int cpu_id) {
    if (cmd == MEMBARRIER_CMD_QUERY)
        return flags ? -EINVAL : MEMBARRIER_SUPPORTED;
    if (flags || !(cmd & MEMBARRIER_SUPPORTED) || (cmd & (cmd - 1)))
        return -EINVAL;
    switch (cmd) {
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
        __atomic_or_fetch(&g_membarrier_registered, (uint32_t)cmd, __ATOMIC_SEQ_CST);
        return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
        /* Linux: EPERM unless the process registered for the command. */
        if (!(__atomic_load_n(&g_membarrier_registered, __ATOMIC_SEQ_CST) & (cmd << 1)))
            return -EPERM;
        break;
    default:
        break;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return 0;
}

/* Capabilities: the sandbox grants none. A process that is root inside
 * the libos (uid 0) still sees empty sets, like root in an unprivileged
 * container whose bounding set is empty. capset may only keep them empty. */
struct cap_header {
    uint32_t version;
    int pid;
};
struct cap_data {
    uint32_t effective, permitted, inheritable;
};
#define CAP_V1 0x19980330
#define CAP_V2 0x20071026
#define CAP_V3 0x20080522

static long cap_words(struct cap_header *h, bool write, int *words) {
    if (!libos_user_range_ok(h, sizeof(*h), true))
        return -EFAULT;
    if (h->version != CAP_V1 && h->version != CAP_V2 && h->version != CAP_V3) {
        h->version = CAP_V3; /* Linux reports the preferred version */
        return -EINVAL;
    }
    if (h->pid < 0)
        return -EINVAL;
    if (h->pid && (uint32_t)h->pid != g_process.pid) {
        struct libos_thread *t = libos_thread_find(h->pid);
        if (!t)
            return -ESRCH;
        libos_thread_put(t);
        if (write)
            return -EPERM;
    }
    *words = h->version == CAP_V1 ? 1 : 2;
    return 0;
}

long libos_sys_capget(struct cap_header *h, struct cap_data *d) {
    int words;
    long r = cap_words(h, false, &words);
    if (!d && r == -EINVAL)
        return 0; /* a version probe: the header now holds the version */
    if (r || !d)
        return r;
    if (!libos_user_range_ok(d, words * sizeof(*d), true))
        return -EFAULT;
    memset(d, 0, words * sizeof(*d));
    return 0;
}

long libos_sys_capset(struct cap_header *h, const struct cap_data *d) {
    int words;
    long r = cap_words(h, true, &words);
    if (r)
        return r;
    if (!libos_user_range_ok(d, words * sizeof(*d), false))
        return -EFAULT;
    for (int i = 0; i < words; i++)
        if (d[i].effective || d[i].permitted || d[i].inheritable)
            return -EPERM; /* no capability can be gained */
    return 0;
}
