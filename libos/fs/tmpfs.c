/* tmpfs: files, directories and symlinks the libos keeps. One lock guards
 * every tmpfs tree. A directory entry (tmpfs_node) names an inode
 * (tmpfs_inode); hard links are more entries for one inode, which lives
 * as long as a name or an open file refers to it.
 *
 * A regular file's data is a PAL memory file ("memfd:"), so MAP_SHARED
 * maps it, its pages are coherent with read/write, and a forked child
 * shares them; each open file reopens it (pal_stream_reopen) for a
 * position of its own that, like a Linux open file description, is shared
 * with forked children. On a PAL without memory files the data is in the
 * heap (and MAP_SHARED is refused). This in-memory tree is per process:
 * it is what a PAL without a host directory for tmpfs gets (KVM, the unit
 * tests' fake PAL).
 *
 * Shared tmpfs (the end of this file): when the runtime hands the libos a
 * private host directory (pal_boot_info.tmpfs_dir, in host /dev/shm), each
 * tmpfs mount is a subdirectory of it reached through the host file
 * system's calls, so every process of the run (fast or checkpoint fork)
 * sees one tree, as on Linux; only what the app sees of the file system
 * type (name "tmpfs", TMPFS_MAGIC, the mount's st_dev) stays tmpfs. */
#include "libos_fs.h"

struct tmpfs_inode {
    uint32_t mode; /* S_IF* | permission bits */
    uint64_t ino;
    uint32_t nlink; /* names; directories: 2 + subdirectories */
    int open_refs;
    uint32_t uid, gid;
    int64_t atime, mtime, ctime;
    pal_handle_t *mem; /* regular file data, or NULL */
    char *data;        /* symlink target, or file data without mem */
    size_t size, cap;  /* of data */
};

struct tmpfs_node {
    char *name;
    struct tmpfs_node *parent, *children, *next;
    struct tmpfs_inode *i;
};

static struct libos_lock g_tmpfs_lock = LIBOS_LOCK_INIT;
static uint64_t g_next_ino = 2;

static long pal_ret(long r) {
    return r < 0 ? libos_errno_from_pal((int)r) : r;
}

static struct tmpfs_inode *inode_new(uint32_t mode) {
    struct tmpfs_inode *i = libos_calloc(1, sizeof(*i));
    if (!i)
        return NULL;
    /* A memory file per regular file; without one the heap holds data. */
    if (S_ISREG(mode) &&
        pal_stream_open("memfd:tmpfs", PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &i->mem) < 0)
        i->mem = NULL;
    i->mode = mode;
    i->ino = g_next_ino++;
    i->nlink = S_ISDIR(mode) ? 2 : 1;
    i->uid = g_process.euid;
    i->gid = g_process.egid;
    i->atime = i->mtime = i->ctime = libos_now_ns();
    return i;
}

static void inode_put(struct tmpfs_inode *i) {
    if (i->nlink || i->open_refs)
        return;
    if (i->mem)
        pal_stream_close(i->mem);
    libos_free(i->data);
    libos_free(i);
}

static struct tmpfs_node *node_new(const char *name, struct tmpfs_inode *i) {
    struct tmpfs_node *n = libos_calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    if (!(n->name = libos_strdup(name))) {
        libos_free(n);
        return NULL;
    }
    n->i = i;
    return n;
}

static void node_free(struct tmpfs_node *n) {
    libos_free(n->name);
    libos_free(n);
}

/* Caller holds g_tmpfs_lock. */
static struct tmpfs_node *root_of(struct libos_mount *m) {
    if (!m->priv) {
        struct tmpfs_inode *i = inode_new(S_IFDIR | 01777);
        m->priv = i ? node_new("", i) : NULL;
        if (i && !m->priv) {
            i->nlink = 0;
            inode_put(i);
        }
    }
    return m->priv;
}

static struct tmpfs_node *child(struct tmpfs_node *dir, const char *name, size_t len) {
    for (struct tmpfs_node *c = dir->children; c; c = c->next)
        if (!strncmp(c->name, name, len) && c->name[len] == '\0')
            return c;
    return NULL;
}

static struct tmpfs_node *walk(struct libos_mount *m, const char *rel) {
    struct tmpfs_node *n = root_of(m);
    while (n && *rel) {
        const char *e = strchr(rel, '/');
        size_t len = e ? (size_t)(e - rel) : strlen(rel);
        n = S_ISDIR(n->i->mode) ? child(n, rel, len) : NULL;
        rel += len + (e ? 1 : 0);
    }
    return n;
}

/* Parent directory of rel and the last name in it. */
static struct tmpfs_node *walk_parent(struct libos_mount *m, const char *rel, const char **name) {
    const char *slash = strrchr(rel, '/');
    *name = slash ? slash + 1 : rel;
    if (!slash)
        return root_of(m);
    char *p = libos_strndup(rel, slash - rel);
    struct tmpfs_node *n = p ? walk(m, p) : NULL;
    libos_free(p);
    return n && S_ISDIR(n->i->mode) ? n : NULL;
}

static void link_child(struct tmpfs_node *dir, struct tmpfs_node *n) {
    struct tmpfs_node **pp = &dir->children;
    while (*pp)
        pp = &(*pp)->next; /* append: listing order is creation order */
    *pp = n;
    n->next = NULL;
    n->parent = dir;
    if (S_ISDIR(n->i->mode))
        dir->i->nlink++;
    dir->i->mtime = dir->i->ctime = libos_now_ns();
}

static void unlink_child(struct tmpfs_node *n) {
    struct tmpfs_node *dir = n->parent;
    struct tmpfs_node **pp = &dir->children;
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    n->next = NULL;
    n->parent = NULL;
    if (S_ISDIR(n->i->mode))
        dir->i->nlink--;
    dir->i->mtime = dir->i->ctime = libos_now_ns();
}

/* Bytes in the file: the memory file's size is the one every process
 * sharing it sees. */
static uint64_t inode_size(const struct tmpfs_inode *i) {
    struct pal_stream_attr a;
    if (i->mem)
        return pal_stream_attr_query_handle(i->mem, &a) < 0 ? 0 : a.size;
    return i->size;
}

static void fill_stat(struct libos_mount *m, const struct tmpfs_inode *i, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    uint64_t size = inode_size(i);
    st->st_dev = m ? m->dev : 0x20;
    st->st_ino = i->ino;
    st->st_nlink = i->nlink;
    st->st_mode = i->mode;
    st->st_uid = i->uid;
    st->st_gid = i->gid;
    st->st_size = S_ISDIR(i->mode) ? 4096 : size;
    st->st_blksize = 4096;
    st->st_blocks = ALIGN_UP(size, 4096) / 512;
    st->st_atim = (struct linux_timespec){i->atime / 1000000000, i->atime % 1000000000};
    st->st_mtim = (struct linux_timespec){i->mtime / 1000000000, i->mtime % 1000000000};
    st->st_ctim = (struct linux_timespec){i->ctime / 1000000000, i->ctime % 1000000000};
}

/* Caller holds the lock. Grows or shrinks the file to len, zero-filling. */
static long resize(struct tmpfs_inode *i, size_t len) {
    i->mtime = i->ctime = libos_now_ns();
    if (i->mem)
        return pal_ret(pal_stream_set_length(i->mem, len));
    if (len > i->cap) {
        size_t cap = MAX(len, i->cap * 2);
        char *d = libos_realloc(i->data, cap);
        if (!d)
            return -ENOSPC;
        i->data = d;
        i->cap = cap;
    }
    if (len > i->size)
        memset(i->data + i->size, 0, len - i->size);
    i->size = len;
    return 0;
}

/* ------------------------------------------------------------ file ops */

#define TMPFS_MAX_SIZE (1ULL << 40)

/* The handle for I/O: the open file's own, else (a PAL that cannot reopen)
 * the inode's memory file at libos positions; NULL for heap data. */
static pal_handle_t *io_handle(struct libos_file *f) {
    return f->handle ? f->handle : ((struct tmpfs_inode *)f->priv)->mem;
}

/* Reads and writes at the file position use the open file's PAL handle's
 * own position, shared with forked children (a shell's `{ a; b; } > f`
 * relies on it); f->pos follows it. */
static bool at_file_position(struct libos_file *f, const uint64_t *pos) {
    return f->handle && pos == &f->pos;
}

static int64_t tf_read(struct libos_file *f, void *buf, size_t len, uint64_t *pos) {
    struct tmpfs_inode *i = f->priv;
    pal_handle_t *h = io_handle(f);
    if (h) {
        int64_t r = pal_stream_read(h, at_file_position(f, pos) ? PAL_OFFSET_NONE : *pos, buf, len);
        if (r < 0)
            return libos_errno_from_pal((int)r);
        *pos += r;
        return r;
    }
    libos_lock(&g_tmpfs_lock);
    size_t got = *pos < i->size ? MIN(len, i->size - *pos) : 0;
    memcpy(buf, i->data + *pos, got);
    *pos += got;
    libos_unlock(&g_tmpfs_lock);
    return got;
}

/* Caller holds the lock. Writes through the memory file at the file
 * position (at == PAL_OFFSET_NONE) or at an offset. */
static int64_t write_mem(struct libos_file *f, uint64_t at, const void *buf, size_t len,
                         uint64_t *pos) {
    bool shared = at_file_position(f, pos);
    if (at == PAL_OFFSET_NONE && !shared)
        at = *pos;
    if (at != PAL_OFFSET_NONE && (at + len < at || at + len > TMPFS_MAX_SIZE))
        return -EFBIG;
    int64_t w = pal_stream_write(io_handle(f), at, buf, len);
    if (w < 0)
        return libos_errno_from_pal((int)w);
    if (at == PAL_OFFSET_NONE) {
        *pos += w;
    } else {
        *pos = at + w;
        if (shared) /* an append: the shared position follows */
            pal_stream_seek(f->handle, (int64_t)*pos, PAL_SEEK_SET);
    }
    return w;
}

static int64_t tf_write(struct libos_file *f, const void *buf, size_t len, uint64_t *pos) {
    struct tmpfs_inode *i = f->priv;
    libos_lock(&g_tmpfs_lock);
    uint64_t at = (f->flags & O_APPEND) ? inode_size(i) : PAL_OFFSET_NONE;
    int64_t r = 0;
    if (io_handle(f)) {
        r = write_mem(f, at, buf, len, pos);
    } else {
        if (at == PAL_OFFSET_NONE)
            at = *pos;
        if (at + len < at || at + len > TMPFS_MAX_SIZE)
            r = -EFBIG;
        else if (at + len > i->size)
            r = resize(i, at + len);
        if (!r) {
            memcpy(i->data + at, buf, len);
            *pos = at + len;
            r = len;
        }
    }
    if (r >= 0)
        i->mtime = i->ctime = libos_now_ns();
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static int64_t tf_seek(struct libos_file *f, int64_t off, int whence) {
    struct tmpfs_inode *i = f->priv;
    int64_t size = (int64_t)inode_size(i), base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->handle ? pal_stream_seek(f->handle, 0, PAL_SEEK_CUR) : (int64_t)f->pos;
        if (base < 0)
            return libos_errno_from_pal((int)base);
        break;
    case SEEK_END:
        base = size;
        break;
    case SEEK_DATA:
    case SEEK_HOLE:
        /* No holes are known: data everywhere before EOF. */
        if (off < 0 || off >= size)
            return -ENXIO;
        off = whence == SEEK_DATA ? off : size;
        base = 0;
        break;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    int64_t at = base + off;
    if (f->handle && (at = pal_stream_seek(f->handle, at, PAL_SEEK_SET)) < 0)
        return libos_errno_from_pal((int)at);
    f->pos = (uint64_t)at;
    return at;
}

static int tf_stat(struct libos_file *f, struct linux_stat *st) {
    libos_lock(&g_tmpfs_lock);
    fill_stat(f->mount, f->priv, st);
    libos_unlock(&g_tmpfs_lock);
    return 0;
}

static int tf_truncate(struct libos_file *f, uint64_t len) {
    if (len > TMPFS_MAX_SIZE)
        return -EFBIG;
    libos_lock(&g_tmpfs_lock);
    long r = resize(f->priv, len);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static int tf_fsync(struct libos_file *f) {
    return 0;
}

/* Memory files map directly (MAP_SHARED shares the pages); heap data can
 * only be copied, so MAP_SHARED of it is refused as before. */
static int tf_mmap(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                   uint64_t off) {
    struct tmpfs_inode *i = f->priv;
    bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (!i->mem)
        return libos_mmap_copy(f, addr, len, prot, flags, off);
    uint32_t pf = (shared ? PAL_MAP_SHARED : PAL_MAP_PRIVATE) | libos_pal_placement(flags, *addr);
    void *a = *addr;
    int r = pal_stream_map(i->mem, &a, libos_pal_prot(prot), pf, off, len);
    if (r < 0)
        return libos_errno_from_pal(r);
    *addr = a;
    return 0;
}

static void tf_release(struct libos_file *f) {
    struct tmpfs_inode *i = f->priv;
    if (f->handle)
        pal_stream_close(f->handle);
    f->handle = NULL;
    if (!i)
        return;
    libos_lock(&g_tmpfs_lock);
    i->open_refs--;
    inode_put(i);
    libos_unlock(&g_tmpfs_lock);
}

static const struct libos_file_ops g_tmpfs_file_ops = {
    .read = tf_read,
    .write = tf_write,
    .seek = tf_seek,
    .stat = tf_stat,
    .mmap = tf_mmap,
    .truncate = tf_truncate,
    .fsync = tf_fsync,
    .release = tf_release,
};

/* -------------------------------------------------------------- fs ops */

static long tmpfs_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n)
        fill_stat(m, n->i, st);
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    long r = !n ? -ENOENT : !S_ISLNK(n->i->mode) ? -EINVAL : (long)MIN(size, n->i->size);
    if (r > 0)
        memcpy(buf, n->i->data, r);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* Caller holds the lock. Links a new name for i (or, i NULL, a new inode
 * of mode) in rel's parent. */
static long create(struct libos_mount *m, const char *rel, uint32_t mode, const char *target,
                   struct tmpfs_inode *i, struct tmpfs_node **out) {
    const char *name;
    struct tmpfs_node *dir = walk_parent(m, rel, &name);
    if (!dir)
        return -ENOENT;
    if (child(dir, name, strlen(name)))
        return -EEXIST;
    bool fresh = !i;
    if (fresh && !(i = inode_new(mode)))
        return -ENOSPC;
    if (fresh && target) {
        i->size = i->cap = strlen(target);
        i->data = libos_strdup(target);
    }
    struct tmpfs_node *n = (!fresh || !target || i->data) ? node_new(name, i) : NULL;
    if (!n) {
        if (fresh) {
            i->nlink = 0;
            inode_put(i);
        }
        return -ENOSPC;
    }
    if (!fresh)
        i->nlink++;
    i->ctime = libos_now_ns();
    link_child(dir, n);
    *out = n;
    return 0;
}

static long tmpfs_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                       int flags, uint32_t mode, struct libos_file *f) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    long r = 0;
    if (!st && !n)
        r = create(m, rel, S_IFREG | (mode & 07777), NULL, NULL, &n);
    else if (!n)
        r = -ENOENT;
    else if (!st && (flags & O_EXCL))
        r = -EEXIST;
    struct tmpfs_inode *i = r ? NULL : n->i;
    if (!r && S_ISDIR(i->mode))
        r = -EISDIR;
    else if (!r && (i->mode & S_IFMT) == S_IFSOCK)
        r = -ENXIO; /* a socket's name: connect to it, not open */
    if (!r && (flags & O_TRUNC) && S_ISREG(i->mode) && inode_size(i))
        r = resize(i, 0);
    /* A position of its own; without reopen, libos positions on i->mem. */
    if (!r && i->mem && pal_stream_reopen(i->mem, &f->handle) < 0)
        f->handle = NULL;
    if (!r) {
        i->open_refs++;
        f->priv = i;
        f->ops = &g_tmpfs_file_ops;
    }
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_mkdir(struct libos_mount *m, const char *rel, uint32_t mode) {
    struct tmpfs_node *n;
    libos_lock(&g_tmpfs_lock);
    long r = create(m, rel, S_IFDIR | (mode & 07777), NULL, NULL, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_symlink(struct libos_mount *m, const char *rel, const char *target) {
    struct tmpfs_node *n;
    libos_lock(&g_tmpfs_lock);
    long r = create(m, rel, S_IFLNK | 0777, target, NULL, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_mknod(struct libos_mount *m, const char *rel, uint32_t mode) {
    struct tmpfs_node *n;
    if ((mode & S_IFMT) != S_IFSOCK)
        return -EPERM; /* FIFOs and devices: not offered */
    libos_lock(&g_tmpfs_lock);
    long r = create(m, rel, mode & (S_IFMT | 07777), NULL, NULL, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* A second name for a non-directory (glibc's sem_open links its
 * finished semaphore file into place). */
static long tmpfs_link(struct libos_mount *m, const char *oldrel, const char *newrel) {
    struct tmpfs_node *n;
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *o = walk(m, oldrel);
    long r = !o ? -ENOENT : S_ISDIR(o->i->mode) ? -EPERM : create(m, newrel, 0, NULL, o->i, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* Caller holds the lock; n is linked. The inode goes with its last name
 * unless a file holds it open. */
static void drop_node(struct tmpfs_node *n) {
    struct tmpfs_inode *i = n->i;
    unlink_child(n);
    i->nlink = S_ISDIR(i->mode) ? 0 : i->nlink - 1;
    i->ctime = libos_now_ns();
    node_free(n);
    inode_put(i);
}

static long tmpfs_unlink(struct libos_mount *m, const char *rel, bool dir) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    long r = 0;
    if (!n)
        r = -ENOENT;
    else if (!n->parent)
        r = -EBUSY; /* the mount root */
    else if (dir != S_ISDIR(n->i->mode))
        r = dir ? -ENOTDIR : -EISDIR;
    else if (dir && n->children)
        r = -ENOTEMPTY;
    else
        drop_node(n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_rename(struct libos_mount *m, const char *oldrel, const char *newrel) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, oldrel);
    const char *name;
    struct tmpfs_node *dir = walk_parent(m, newrel, &name);
    char *newname = libos_strdup(name);
    long r = 0;
    if (!n || !dir)
        r = -ENOENT;
    else if (!newname)
        r = -ENOMEM;
    else if (!n->parent)
        r = -EBUSY;
    if (!r) {
        struct tmpfs_node *old = child(dir, name, strlen(name));
        if (old && old->i == n->i)
            goto out; /* same inode (also a hard link): nothing to do */
        if (old && S_ISDIR(old->i->mode) && old->children)
            r = -ENOTEMPTY;
        else if (old)
            drop_node(old);
    }
    if (!r) {
        unlink_child(n);
        libos_free(n->name);
        n->name = newname;
        newname = NULL;
        link_child(dir, n);
        n->i->ctime = libos_now_ns();
    }
out:
    libos_free(newname);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_chmod(struct libos_mount *m, const char *rel, uint32_t mode) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n) {
        n->i->mode = (n->i->mode & S_IFMT) | (mode & 07777);
        n->i->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n) {
        struct tmpfs_inode *i = n->i;
        i->atime = atime >= 0 ? atime : i->atime;
        i->mtime = mtime >= 0 ? mtime : i->mtime;
        i->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_chown(struct libos_mount *m, const char *rel, uint32_t uid, uint32_t gid) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n) {
        struct tmpfs_inode *i = n->i;
        i->uid = uid != UINT32_MAX ? uid : i->uid;
        i->gid = gid != UINT32_MAX ? gid : i->gid;
        /* Linux: a chown clears set-user-ID, and set-group-ID on a group-
         * executable file, on everything but directories. */
        if (!S_ISDIR(i->mode)) {
            i->mode &= ~S_ISUID;
            if (i->mode & 010)
                i->mode &= ~S_ISGID;
        }
        i->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *d = walk(m, rel);
    long r = !d ? -ENOENT : !S_ISDIR(d->i->mode) ? -ENOTDIR : 0;
    for (struct tmpfs_node *c = d && !r ? d->children : NULL; c && !r; c = c->next)
        r = libos_dirlist_add(l, c->name, c->i->ino, libos_dtype_from_mode(c->i->mode));
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* Names go; inodes still open stay for their files. */
static void free_tree(struct tmpfs_node *n) {
    while (n) {
        struct tmpfs_node *next = n->next;
        free_tree(n->children);
        n->i->nlink = S_ISDIR(n->i->mode) ? 0 : n->i->nlink - 1;
        inode_put(n->i);
        node_free(n);
        n = next;
    }
}

void libos_tmpfs_destroy(struct libos_mount *m) {
    libos_lock(&g_tmpfs_lock);
    free_tree(m->priv);
    m->priv = NULL;
    libos_unlock(&g_tmpfs_lock);
}

const struct libos_fs_ops g_tmpfs_ops = {
    .name = "tmpfs",
    .lookup = tmpfs_lookup,
    .readlink = tmpfs_readlink,
    .open = tmpfs_open,
    .mkdir = tmpfs_mkdir,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rename = tmpfs_rename,
    .chmod = tmpfs_chmod,
    .utimes = tmpfs_utimes,
    .list = tmpfs_list,
    .chown = tmpfs_chown,
    .mknod = tmpfs_mknod,
};

/* ------------------------------------------------------ shared (host dir) */

/* Host directory whose subdirectories back the tmpfs mounts (NULL: the
 * in-memory kind). Set at boot; a checkpoint child gets it from its parent
 * before its file system is set up. */
static char *g_tmpfs_host_dir;
static struct libos_fs_ops g_tmpfs_shared_ops;
static struct libos_file_ops g_tmpfs_shared_file_ops;
static int (*g_host_file_stat)(struct libos_file *f, struct linux_stat *st);

void libos_tmpfs_set_host_dir(const char *dir) {
    libos_free(g_tmpfs_host_dir);
    g_tmpfs_host_dir = dir && dir[0] ? libos_strdup(dir) : NULL;
}

const char *libos_tmpfs_host_dir(void) {
    return g_tmpfs_host_dir;
}

bool libos_mount_is_shared_tmpfs(const struct libos_mount *m) {
    return m->ops == &g_tmpfs_shared_ops;
}

/* Files and names report the mount's own device, not the host's. */
static int shared_file_stat(struct libos_file *f, struct linux_stat *st) {
    int r = g_host_file_stat(f, st);
    if (!r && f->mount)
        st->st_dev = f->mount->dev;
    return r;
}

static long shared_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    long r = g_host_fs_ops.lookup(m, rel, st);
    if (!r)
        st->st_dev = m->dev;
    return r;
}

static long shared_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                        int flags, uint32_t mode, struct libos_file *f) {
    if (st && (st->st_mode & S_IFMT) == S_IFSOCK)
        return -ENXIO; /* a socket's name: connect to it, not open */
    long r = g_host_fs_ops.open(m, rel, st, flags, mode, f);
    if (r || !f->ops->mmap)
        return r; /* only regular files have a position and map */
    /* Regular files: the host's file calls with a stat of our own (host.c
     * keeps its ops private, so they are copied from the first file). */
    libos_lock(&g_tmpfs_lock);
    if (!g_host_file_stat) {
        g_tmpfs_shared_file_ops = *f->ops;
        g_tmpfs_shared_file_ops.stat = shared_file_stat;
        g_host_file_stat = f->ops->stat;
    }
    libos_unlock(&g_tmpfs_lock);
    if (f->ops->stat == g_host_file_stat)
        f->ops = &g_tmpfs_shared_file_ops;
    return r;
}

static long shared_unlink(struct libos_mount *m, const char *rel, bool dir) {
    return rel[0] ? g_host_fs_ops.unlink(m, rel, dir) : -EBUSY; /* the mount root */
}

size_t libos_tmpfs_app_path(const char *host, size_t len, char *out, size_t size) {
    struct libos_mount *m;
    for (size_t i = 0; (m = libos_mount_at(i)); i++) {
        size_t sl = m->source ? strlen(m->source) : 0;
        if (m->ops != &g_tmpfs_shared_ops || len <= sl + 1 || memcmp(host, m->source, sl) ||
            host[sl] != '/')
            continue;
        size_t rest = len - sl; /* from the '/' on */
        size_t pl = strcmp(m->path, "/") ? m->path_len : 0;
        if (pl + rest > size)
            return 0;
        memcpy(out, m->path, pl);
        memcpy(out + pl, host + sl, rest);
        return pl + rest;
    }
    return 0;
}

/* Symlinks and socket nodes cannot be opened as files: their attribute
 * calls and rename go through a handle on the name itself. */
static long link_handle(struct libos_mount *m, const char *rel, pal_handle_t **h) {
    struct linux_stat st;
    long r = g_host_fs_ops.lookup(m, rel, &st);
    if (r)
        return r;
    uint32_t t = st.st_mode & S_IFMT;
    if (t != S_IFLNK && t != S_IFSOCK)
        return 1; /* an ordinary file or directory: the host calls do */
    char *uri = libos_host_uri(m, rel, false);
    if (!uri)
        return -ENOMEM;
    r = pal_ret(pal_stream_open(uri, PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER,
                                PAL_OPTION_LINK | PAL_OPTION_NOFOLLOW, h));
    libos_free(uri);
    return r;
}

static long link_attr_set(struct libos_mount *m, const char *rel, uint32_t mask,
                          struct pal_stream_attr *a) {
    pal_handle_t *h;
    long r = link_handle(m, rel, &h);
    if (r)
        return r;
    if (mask & PAL_ATTR_TIMES) { /* -1 keeps a time */
        struct pal_stream_attr cur;
        r = pal_ret(pal_stream_attr_query_handle(h, &cur));
        a->atime_ns = a->atime_ns >= 0 ? a->atime_ns : cur.atime_ns;
        a->mtime_ns = a->mtime_ns >= 0 ? a->mtime_ns : cur.mtime_ns;
    }
    if (!r)
        r = pal_ret(pal_stream_attr_set_handle(h, mask, a));
    pal_stream_close(h);
    return r;
}

static long shared_chmod(struct libos_mount *m, const char *rel, uint32_t mode) {
    struct pal_stream_attr a = {.mode = mode & 07777};
    long r = link_attr_set(m, rel, PAL_ATTR_MODE, &a);
    return r == 1 ? g_host_fs_ops.chmod(m, rel, mode) : r;
}

static long shared_chown(struct libos_mount *m, const char *rel, uint32_t uid, uint32_t gid) {
    struct pal_stream_attr a = {.uid = uid, .gid = gid};
    long r = link_attr_set(m, rel, PAL_ATTR_OWNER, &a);
    if (r == 1)
        return g_host_fs_ops.chown(m, rel, uid, gid);
    return r == -EACCES ? -EPERM : r;
}

static long shared_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime) {
    struct pal_stream_attr a = {.atime_ns = atime, .mtime_ns = mtime};
    long r = link_attr_set(m, rel, PAL_ATTR_TIMES, &a);
    return r == 1 ? g_host_fs_ops.utimes(m, rel, atime, mtime) : r;
}

static long shared_rename(struct libos_mount *m, const char *oldrel, const char *newrel) {
    if (!oldrel[0] || !newrel[0])
        return -EBUSY; /* the mount root */
    pal_handle_t *h;
    long r = link_handle(m, oldrel, &h);
    if (r == 1)
        return g_host_fs_ops.rename(m, oldrel, newrel);
    if (r)
        return r;
    char *uri = libos_host_uri(m, newrel, false);
    r = uri ? pal_ret(pal_stream_rename(h, uri)) : -ENOMEM;
    libos_free(uri);
    pal_stream_close(h);
    return r;
}

/* The host file system's calls with tmpfs's face: made at the first
 * shared mount (boot is single-threaded). */
static void shared_ops_init(void) {
    if (g_tmpfs_shared_ops.name)
        return;
    g_tmpfs_shared_ops = g_host_fs_ops;
    g_tmpfs_shared_ops.name = "tmpfs";
    g_tmpfs_shared_ops.lookup = shared_lookup;
    g_tmpfs_shared_ops.open = shared_open;
    g_tmpfs_shared_ops.unlink = shared_unlink;
    g_tmpfs_shared_ops.rename = shared_rename;
    g_tmpfs_shared_ops.chmod = shared_chmod;
    g_tmpfs_shared_ops.chown = shared_chown;
    g_tmpfs_shared_ops.utimes = shared_utimes;
}

/* A tmpfs at path: shared, backed by host directory <host dir>/<name>, when
 * there is one, else in memory. */
long libos_tmpfs_mount(const char *path, const char *name, bool readonly) {
    if (!g_tmpfs_host_dir)
        return libos_mount_add(path, &g_tmpfs_ops, NULL, readonly);
    size_t size = strlen(g_tmpfs_host_dir) + strlen(name) + 2;
    char *dir = libos_malloc(size);
    if (!dir)
        return -ENOMEM;
    libos_snprintf(dir, size, "%s/%s", g_tmpfs_host_dir, name);
    struct pal_stream_attr a;
    char *uri = libos_malloc(size + 4);
    long r = uri ? 0 : -ENOMEM;
    if (!r) {
        libos_snprintf(uri, size + 4, "dir:%s", dir);
        r = pal_ret(pal_stream_attr_query(uri, false, &a));
    }
    libos_free(uri);
    if (r == -ENOMEM) {
        libos_free(dir);
        return r;
    }
    if (r < 0 || a.type != PAL_TYPE_DIR) {
        log_warn("tmpfs %s: host directory %s is missing: this tmpfs is per process", path, dir);
        libos_free(dir);
        return libos_mount_add(path, &g_tmpfs_ops, NULL, readonly);
    }
    shared_ops_init();
    r = libos_mount_add(path, &g_tmpfs_shared_ops, dir, readonly);
    libos_free(dir);
    return r;
}
