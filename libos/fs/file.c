/* Open files, directory listings (getdents64 for every file system) and
 * small helpers the file systems share. */
#include "libos_fs.h"

struct libos_file *libos_file_new(struct libos_mount *m, const char *path, int flags) {
    struct libos_file *f = libos_calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->refcount = 1;
    f->mount = m;
    /* What F_GETFL reports: open-time-only bits go, x86-64 forces O_LARGEFILE. */
    f->flags = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
    if (path && !(f->path = libos_strdup(path))) {
        libos_free(f);
        return NULL;
    }
    return f;
}

void libos_file_get(struct libos_file *f) {
    __atomic_add_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL);
}

void libos_file_put(struct libos_file *f) {
    if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (f->release_hook)
        f->release_hook(f);
    if (libos_fs2_file_release)
        libos_fs2_file_release(f);
    if (f->ops && f->ops->release)
        f->ops->release(f);
    libos_free(f->path);
    libos_free(f);
}

long libos_file_stat(struct libos_file *f, struct linux_stat *st) {
    if (f->ops && f->ops->stat)
        return f->ops->stat(f, st);
    if (!f->path)
        return -EBADF;
    return libos_vfs_stat_abs(f->path, st);
}

bool libos_file_is_dir(struct libos_file *f) {
    if (f->ops == &g_dir_file_ops)
        return true;
    struct linux_stat st;
    return !f->ops && (f->flags & O_PATH) && !libos_file_stat(f, &st) && S_ISDIR(st.st_mode);
}

/* -------------------------------------------------------- dir listings */

long libos_dirlist_add(struct libos_dirlist *l, const char *name, uint64_t ino, uint8_t type) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct libos_dirent *e = libos_realloc(l->e, cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        l->e = e;
        l->cap = cap;
    }
    char *dup = libos_strdup(name);
    if (!dup)
        return -ENOMEM;
    l->e[l->count++] = (struct libos_dirent){.ino = ino, .type = type, .name = dup};
    return 0;
}

bool libos_dirlist_has(const struct libos_dirlist *l, const char *name) {
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->e[i].name, name))
            return true;
    return false;
}

void libos_dirlist_free(struct libos_dirlist *l) {
    for (size_t i = 0; i < l->count; i++)
        libos_free(l->e[i].name);
    libos_free(l->e);
    memset(l, 0, sizeof(*l));
}

/* The whole listing is read at the first getdents64 and kept until a rewind,
 * so d_off (index + 1) stays valid across calls and lseek(fd, d_off). */
static long dir_fill(struct libos_file *f, struct libos_dirlist *l) {
    struct linux_stat st;
    uint64_t ino = libos_vfs_stat_abs(f->path, &st) ? 0 : st.st_ino;
    long r = libos_dirlist_add(l, ".", ino, DT_DIR);
    char *parent = libos_strdup(f->path);
    if (!parent)
        return -ENOMEM;
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    uint64_t pino = libos_vfs_stat_abs(parent, &st) ? ino : st.st_ino;
    libos_free(parent);
    if (!r)
        r = libos_dirlist_add(l, "..", pino, DT_DIR);
    if (r)
        return r;
    struct libos_mount *m = f->mount;
    const char *rel = libos_mount_rel(m, f->path);
    r = m->ops->list ? m->ops->list(m, rel, l) : 0;
    if (r == -ENOENT && libos_path_is_mount_ancestor(f->path))
        r = 0; /* a synthetic directory holding mount points */
    if (r)
        return r;
    libos_mount_list_children(f->path, l);
    return 0;
}

/* Callers (sys/fs.c) hold f->lock around getdents64 and seek. */
static int64_t dir_getdents64(struct libos_file *f, void *buf, size_t size) {
    struct libos_dirlist *l = f->priv;
    long r = 0;
    if (!l) {
        l = libos_calloc(1, sizeof(*l));
        r = l ? dir_fill(f, l) : -ENOMEM;
        if (r) {
            if (l)
                libos_dirlist_free(l);
            libos_free(l);
            return r;
        }
        f->priv = l;
    }
    size_t used = 0;
    while (f->pos < l->count) {
        const struct libos_dirent *e = &l->e[f->pos];
        size_t nlen = strlen(e->name);
        size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + nlen + 1, 8);
        if (used + reclen > size) {
            if (!used)
                r = -EINVAL; /* buffer too small for one entry */
            break;
        }
        struct linux_dirent64 *d = (void *)((char *)buf + used);
        d->d_ino = e->ino ? e->ino : f->pos + 1;
        d->d_off = f->pos + 1;
        d->d_reclen = reclen;
        d->d_type = e->type;
        memcpy(d->d_name, e->name, nlen);
        memset(d->d_name + nlen, 0, reclen - offsetof(struct linux_dirent64, d_name) - nlen);
        used += reclen;
        f->pos++;
    }
    return r ? r : (int64_t)used;
}

static void dir_drop(struct libos_file *f) {
    if (f->priv) {
        libos_dirlist_free(f->priv);
        libos_free(f->priv);
        f->priv = NULL;
    }
}

static int64_t dir_seek(struct libos_file *f, int64_t off, int whence) {
    int64_t pos = whence == SEEK_SET ? off : whence == SEEK_CUR ? (int64_t)f->pos + off : -1;
    if (whence != SEEK_SET && whence != SEEK_CUR)
        pos = -EINVAL;
    else if (pos < 0)
        pos = -EINVAL;
    else {
        if (pos == 0)
            dir_drop(f); /* rewinddir sees new entries */
        f->pos = pos;
    }
    return pos;
}

static int dir_fsync(struct libos_file *f) {
    return 0;
}

const struct libos_file_ops g_dir_file_ops = {
    .ckpt_kind = LIBOS_CKPT_PATH_ONLY,
    .getdents64 = dir_getdents64,
    .seek = dir_seek,
    .fsync = dir_fsync,
    .release = dir_drop,
};

/* --------------------------------------------------------------- helpers */

uint32_t libos_mode_from_pal_type(uint32_t type) {
    switch (type) {
    case PAL_TYPE_DIR:
        return S_IFDIR;
    case PAL_TYPE_SYMLINK:
        return S_IFLNK;
    case PAL_TYPE_CHARDEV:
    case PAL_TYPE_CONSOLE:
        return S_IFCHR;
    case PAL_TYPE_BLOCKDEV:
        return S_IFBLK;
    case PAL_TYPE_FIFO:
        return S_IFIFO;
    case PAL_TYPE_SOCKET:
        return S_IFSOCK;
    default:
        return S_IFREG;
    }
}

uint8_t libos_dtype_from_mode(uint32_t mode) {
    switch (mode & S_IFMT) {
    case S_IFDIR:
        return DT_DIR;
    case S_IFREG:
        return DT_REG;
    case S_IFLNK:
        return DT_LNK;
    case S_IFCHR:
        return DT_CHR;
    case S_IFBLK:
        return DT_BLK;
    case S_IFIFO:
        return DT_FIFO;
    case S_IFSOCK:
        return DT_SOCK;
    default:
        return DT_UNKNOWN;
    }
}

static void ts_from_ns(struct linux_timespec *ts, int64_t ns) {
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
    if (ts->tv_nsec < 0) {
        ts->tv_nsec += 1000000000;
        ts->tv_sec--;
    }
}

void libos_stat_from_pal(const struct pal_stream_attr *a, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = a->dev;
    st->st_ino = a->inode;
    st->st_nlink = a->nlink;
    st->st_mode = libos_mode_from_pal_type(a->type) | (a->mode & 07777);
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_rdev = a->rdev;
    st->st_size = a->size;
    st->st_blksize = a->blksize ? a->blksize : 4096;
    st->st_blocks = a->blocks;
    ts_from_ns(&st->st_atim, a->atime_ns);
    ts_from_ns(&st->st_mtim, a->mtime_ns);
    ts_from_ns(&st->st_ctim, a->ctime_ns);
}

int64_t libos_now_ns(void) {
    uint64_t ns = 0;
    pal_time_get(PAL_CLOCK_REALTIME, &ns);
    return ns;
}

uint32_t libos_pal_prot(int prot) {
    return ((prot & PROT_READ) ? PAL_PROT_READ : 0) | ((prot & PROT_WRITE) ? PAL_PROT_WRITE : 0) |
           ((prot & PROT_EXEC) ? PAL_PROT_EXEC : 0);
}

uint32_t libos_pal_placement(int flags, void *addr) {
    if (flags & MAP_FIXED_NOREPLACE)
        return PAL_MEM_NOREPLACE;
    if (flags & MAP_FIXED)
        return PAL_MEM_FIXED;
    return addr ? PAL_MEM_HINT : 0;
}

int libos_mmap_copy(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                    uint64_t off) {
    if ((flags & MAP_TYPE) != MAP_PRIVATE)
        return -ENODEV; /* shared mappings of libos-owned files: not yet */
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EACCES;
    size_t size = ALIGN_UP(len, LIBOS_PAGE_SIZE);
    void *a = *addr;
    int r =
        pal_mem_alloc(&a, size, PAL_PROT_READ | PAL_PROT_WRITE, libos_pal_placement(flags, *addr));
    if (r < 0)
        return libos_errno_from_pal(r);
    uint64_t pos = off;
    size_t done = 0;
    while (f->ops->read && done < len) {
        int64_t n = f->ops->read(f, (char *)a + done, len - done, &pos);
        if (n <= 0)
            break; /* the rest stays zero, as past EOF */
        done += n;
    }
    r = pal_mem_protect(a, size, libos_pal_prot(prot));
    if (r < 0) {
        pal_mem_free(a, size);
        return libos_errno_from_pal(r);
    }
    *addr = a;
    return 0;
}
