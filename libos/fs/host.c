/* Host mounts: a host directory seen through pal.h streams. URIs are built
 * only here, from a mount's source and a canonical relative path the VFS
 * has already resolved, so nothing outside the source is ever named. */
#include "libos_fs.h"

static char *host_uri(const struct libos_mount *m, const char *rel, bool dir) {
    const char *scheme = dir ? "dir:" : "file:";
    size_t size = strlen(scheme) + strlen(m->source) + strlen(rel) + 3;
    char *u = libos_malloc(size);
    if (!u)
        return NULL;
    if (rel[0])
        libos_snprintf(u, size, "%s%s/%s", scheme, m->source, rel);
    else
        libos_snprintf(u, size, "%s%s", scheme, m->source[0] ? m->source : "/");
    return u;
}

char *libos_host_uri(const struct libos_mount *m, const char *rel, bool dir) {
    return host_uri(m, rel, dir);
}

static long pal_ret(long r) {
    return r < 0 ? libos_errno_from_pal((int)r) : r;
}

static long host_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    char *uri = host_uri(m, rel, false);
    if (!uri)
        return -ENOMEM;
    struct pal_stream_attr a;
    long r = pal_ret(pal_stream_attr_query(uri, true, &a));
    libos_free(uri);
    if (!r)
        libos_stat_from_pal(&a, st);
    return r;
}

static long host_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size) {
    char *uri = host_uri(m, rel, false);
    if (!uri)
        return -ENOMEM;
    long r = pal_ret(pal_stream_readlink(uri, buf, size));
    libos_free(uri);
    return r;
}

/* Opens rel for a short metadata operation (chmod, rename). */
static long open_meta(struct libos_mount *m, const char *rel, bool dir, pal_handle_t **h) {
    char *uri = host_uri(m, rel, dir);
    if (!uri)
        return -ENOMEM;
    uint32_t opt = PAL_OPTION_NOFOLLOW | PAL_OPTION_NONBLOCK | (dir ? PAL_OPTION_DIRECTORY : 0);
    long r = pal_ret(pal_stream_open(uri, PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER, opt, h));
    libos_free(uri);
    return r;
}

/* ------------------------------------------------------------ file ops */

/* Reads and writes at the file position use the PAL handle's own position:
 * like a Linux open file description it is shared with forked children
 * (a shell's `{ a; b; } > out` relies on it). f->pos follows it. */
static bool at_file_position(struct libos_file *f, const uint64_t *pos) {
    return pos == &f->pos;
}

static int64_t hf_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    int64_t r =
        pal_stream_read(f->handle, at_file_position(f, pos) ? PAL_OFFSET_NONE : *pos, buf, n);
    if (r < 0)
        return libos_errno_from_pal((int)r);
    *pos += r;
    return r;
}

static int hf_stat(struct libos_file *f, struct linux_stat *st) {
    struct pal_stream_attr a;
    long r = pal_ret(pal_stream_attr_query_handle(f->handle, &a));
    if (!r)
        libos_stat_from_pal(&a, st);
    return r;
}

/* f->priv is non-NULL when the PAL handle itself appends (opened with
 * O_APPEND): the host then places every write atomically at the end.
 * O_APPEND added later by F_SETFL writes at the size we see instead;
 * clearing it with F_SETFL cannot stop the host from appending. */
#define HOST_APPEND_HANDLE ((void *)1)

static int64_t hf_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    bool shared = at_file_position(f, pos);
    uint64_t at = shared ? PAL_OFFSET_NONE : *pos;
    struct linux_stat st;
    int r;
    if (f->priv == HOST_APPEND_HANDLE) {
        at = PAL_OFFSET_NONE;
    } else if (f->flags & O_APPEND) {
        if ((r = hf_stat(f, &st)))
            return r;
        at = st.st_size;
    }
    int64_t w = pal_stream_write(f->handle, at, buf, n);
    if (w < 0)
        return libos_errno_from_pal((int)w);
    if (at != PAL_OFFSET_NONE) {
        *pos = at + w;
        if (shared) /* appending by hand: the shared position follows */
            pal_stream_seek(f->handle, (int64_t)*pos, PAL_SEEK_SET);
    } else if (f->priv == HOST_APPEND_HANDLE && !(r = hf_stat(f, &st)))
        *pos = st.st_size;
    else
        *pos += w;
    return w;
}

static int64_t hf_seek(struct libos_file *f, int64_t off, int whence) {
    struct linux_stat st;
    int64_t base;
    switch (whence) {
    case SEEK_SET:
    case SEEK_CUR: {
        /* The handle's position is the shared one (see at_file_position). */
        int64_t cur = pal_stream_seek(f->handle, 0, PAL_SEEK_CUR);
        if (cur < 0)
            return libos_errno_from_pal((int)cur);
        base = whence == SEEK_SET ? 0 : cur;
        break;
    }
    case SEEK_END:
    case SEEK_DATA:
    case SEEK_HOLE: {
        int r = hf_stat(f, &st);
        if (r)
            return r;
        base = st.st_size;
        if (whence == SEEK_END)
            break;
        /* No holes are known: data everywhere before EOF. */
        if (off < 0 || off >= st.st_size)
            return -ENXIO;
        off = whence == SEEK_DATA ? off : st.st_size;
        base = 0;
        break;
    }
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    int64_t at = pal_stream_seek(f->handle, base + off, PAL_SEEK_SET);
    if (at < 0)
        return libos_errno_from_pal((int)at);
    f->pos = (uint64_t)at;
    return at;
}

static int hf_mmap(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                   uint64_t off) {
    int acc = f->flags & O_ACCMODE;
    bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (acc == O_WRONLY || (shared && (prot & PROT_WRITE) && acc != O_RDWR))
        return -EACCES;
    uint32_t pf = (shared ? PAL_MAP_SHARED : PAL_MAP_PRIVATE) | libos_pal_placement(flags, *addr);
    void *a = *addr;
    int r = pal_stream_map(f->handle, &a, libos_pal_prot(prot), pf, off, len);
    if (r < 0)
        return libos_errno_from_pal(r);
    *addr = a;
    return 0;
}

static int hf_truncate(struct libos_file *f, uint64_t len) {
    return pal_ret(pal_stream_set_length(f->handle, len));
}

static int hf_fsync(struct libos_file *f) {
    return pal_ret(pal_stream_flush(f->handle));
}

static void hf_release(struct libos_file *f) {
    if (f->handle)
        pal_stream_close(f->handle);
    f->handle = NULL;
}

static const struct libos_file_ops g_host_file_ops = {
    .ckpt_kind = LIBOS_CKPT_PATH,
    .read = hf_read,
    .write = hf_write,
    .seek = hf_seek,
    .stat = hf_stat,
    .mmap = hf_mmap,
    .truncate = hf_truncate,
    .fsync = hf_fsync,
    .release = hf_release,
};

/* FIFOs, sockets and devices on a host mount have no position. */
static const struct libos_file_ops g_host_stream_ops = {
    .ckpt_kind = LIBOS_CKPT_PATH,
    .read = hf_read,
    .write = hf_write,
    .stat = hf_stat,
    .fsync = hf_fsync,
    .release = hf_release,
};

/* -------------------------------------------------------------- fs ops */

static long host_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                      int flags, uint32_t mode, struct libos_file *f) {
    static const uint32_t acc_map[4] = {PAL_ACCESS_RDONLY, PAL_ACCESS_WRONLY, PAL_ACCESS_RDWR,
                                        PAL_ACCESS_RDWR};
    uint32_t access = acc_map[flags & O_ACCMODE] | ((flags & O_APPEND) ? PAL_ACCESS_APPEND : 0);
    uint32_t create = st ? PAL_CREATE_NEVER : (flags & O_EXCL) ? PAL_CREATE_ALWAYS : PAL_CREATE_TRY;
    uint32_t opt = PAL_OPTION_NOFOLLOW | ((flags & O_TRUNC) ? PAL_OPTION_TRUNCATE : 0) |
                   ((flags & O_NONBLOCK) ? PAL_OPTION_NONBLOCK : 0);
    char *uri = host_uri(m, rel, false);
    if (!uri)
        return -ENOMEM;
    pal_handle_t *h;
    long r = pal_ret(pal_stream_open(uri, access, mode, create, opt, &h));
    libos_free(uri);
    if (r)
        return r;
    f->handle = h;
    f->priv = (flags & O_APPEND) ? HOST_APPEND_HANDLE : NULL;
    f->ops = (!st || S_ISREG(st->st_mode)) ? &g_host_file_ops : &g_host_stream_ops;
    return 0;
}

static long host_mkdir(struct libos_mount *m, const char *rel, uint32_t mode) {
    char *uri = host_uri(m, rel, true);
    if (!uri)
        return -ENOMEM;
    pal_handle_t *h;
    long r = pal_ret(pal_stream_open(uri, PAL_ACCESS_RDONLY, mode, PAL_CREATE_ALWAYS,
                                     PAL_OPTION_DIRECTORY | PAL_OPTION_NOFOLLOW, &h));
    libos_free(uri);
    if (!r)
        pal_stream_close(h);
    return r;
}

static long host_symlink(struct libos_mount *m, const char *rel, const char *target) {
    char *uri = host_uri(m, rel, false);
    if (!uri)
        return -ENOMEM;
    long r = pal_ret(pal_stream_link(target, uri, true));
    libos_free(uri);
    return r;
}

static long host_link(struct libos_mount *m, const char *oldrel, const char *newrel) {
    char *from = host_uri(m, oldrel, false), *to = host_uri(m, newrel, false);
    long r = from && to ? pal_ret(pal_stream_link(from, to, false)) : -ENOMEM;
    libos_free(from);
    libos_free(to);
    return r;
}

static long host_unlink(struct libos_mount *m, const char *rel, bool dir) {
    char *uri = host_uri(m, rel, dir);
    if (!uri)
        return -ENOMEM;
    long r = pal_ret(pal_stream_delete(uri));
    libos_free(uri);
    return r;
}

static long host_rename(struct libos_mount *m, const char *oldrel, const char *newrel) {
    struct linux_stat st;
    long r = host_lookup(m, oldrel, &st);
    if (r)
        return r;
    if (S_ISLNK(st.st_mode))
        return -EPERM; /* a symlink can't be opened to rename it through pal.h */
    bool dir = S_ISDIR(st.st_mode);
    pal_handle_t *h;
    r = open_meta(m, oldrel, dir, &h);
    if (r)
        return r;
    char *uri = host_uri(m, newrel, dir);
    r = uri ? pal_ret(pal_stream_rename(h, uri)) : -ENOMEM;
    libos_free(uri);
    pal_stream_close(h);
    return r;
}

/* A metadata handle on rel, a file or a directory. */
static long open_existing(struct libos_mount *m, const char *rel, pal_handle_t **h) {
    struct linux_stat st;
    long r = host_lookup(m, rel, &st);
    return r ? r : open_meta(m, rel, S_ISDIR(st.st_mode), h);
}

static long host_chmod(struct libos_mount *m, const char *rel, uint32_t mode) {
    pal_handle_t *h;
    long r = open_existing(m, rel, &h);
    if (r)
        return r;
    struct pal_stream_attr a = {.mode = mode & 07777};
    r = pal_ret(pal_stream_attr_set_handle(h, PAL_ATTR_MODE, &a));
    pal_stream_close(h);
    return r;
}

static long host_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime) {
    pal_handle_t *h;
    long r = open_existing(m, rel, &h);
    if (r)
        return r;
    /* pal.h sets both times: keep an omitted one at its current value. */
    struct pal_stream_attr a;
    r = pal_ret(pal_stream_attr_query_handle(h, &a));
    if (!r) {
        a.atime_ns = atime >= 0 ? atime : a.atime_ns;
        a.mtime_ns = mtime >= 0 ? mtime : a.mtime_ns;
        r = pal_ret(pal_stream_attr_set_handle(h, PAL_ATTR_TIMES, &a));
    }
    pal_stream_close(h);
    return r;
}

static long host_chown(struct libos_mount *m, const char *rel, uint32_t uid, uint32_t gid) {
    pal_handle_t *h;
    long r = open_existing(m, rel, &h);
    if (r)
        return r;
    struct pal_stream_attr a = {.uid = uid, .gid = gid};
    r = pal_ret(pal_stream_attr_set_handle(h, PAL_ATTR_OWNER, &a));
    pal_stream_close(h);
    return r == -EACCES ? -EPERM : r; /* the host refused: what Linux says */
}

static long host_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    pal_handle_t *h;
    long r = open_meta(m, rel, true, &h);
    if (r)
        return r;
    char *buf = libos_malloc(8192);
    if (!buf) {
        pal_stream_close(h);
        return -ENOMEM;
    }
    for (;;) {
        int64_t n = pal_stream_readdir(h, buf, 8192);
        if (n <= 0) {
            r = n < 0 ? libos_errno_from_pal((int)n) : 0;
            break;
        }
        for (int64_t off = 0; off < n;) {
            struct pal_dirent *d = (void *)(buf + off);
            if (d->reclen == 0)
                break;
            uint8_t t = libos_dtype_from_mode(libos_mode_from_pal_type(d->type));
            if (d->type == PAL_TYPE_UNKNOWN)
                t = DT_UNKNOWN;
            r = libos_dirlist_add(l, d->name, d->inode, t);
            if (r)
                goto out;
            off += d->reclen;
        }
    }
out:
    libos_free(buf);
    pal_stream_close(h);
    return r;
}

const struct libos_fs_ops g_host_fs_ops = {
    .name = "host",
    .lookup = host_lookup,
    .readlink = host_readlink,
    .open = host_open,
    .mkdir = host_mkdir,
    .symlink = host_symlink,
    .link = host_link,
    .unlink = host_unlink,
    .rename = host_rename,
    .chmod = host_chmod,
    .utimes = host_utimes,
    .list = host_list,
    .chown = host_chown,
};
