/* tmpfs: files, directories and symlinks in the libos heap. One lock guards
 * every tmpfs tree; a file's data lives as long as a name or an open file
 * refers to it. */
#include "libos_fs.h"

struct tmpfs_node {
    uint32_t mode; /* S_IF* | permission bits */
    uint64_t ino;
    uint32_t nlink;
    int open_refs;
    bool unlinked;
    uint32_t uid, gid;
    char *name;
    struct tmpfs_node *parent, *children, *next;
    char *data; /* file contents or symlink target */
    size_t size, cap;
    int64_t atime, mtime, ctime;
};

static struct libos_lock g_tmpfs_lock = LIBOS_LOCK_INIT;
static uint64_t g_next_ino = 2;

static struct tmpfs_node *node_new(uint32_t mode, const char *name) {
    struct tmpfs_node *n = libos_calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    if (!(n->name = libos_strdup(name))) {
        libos_free(n);
        return NULL;
    }
    n->mode = mode;
    n->ino = g_next_ino++;
    n->nlink = S_ISDIR(mode) ? 2 : 1;
    n->uid = g_process.euid;
    n->gid = g_process.egid;
    n->atime = n->mtime = n->ctime = libos_now_ns();
    return n;
}

static void node_free(struct tmpfs_node *n) {
    libos_free(n->name);
    libos_free(n->data);
    libos_free(n);
}

/* Caller holds g_tmpfs_lock. */
static struct tmpfs_node *root_of(struct libos_mount *m) {
    if (!m->priv)
        m->priv = node_new(S_IFDIR | 01777, "");
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
        n = S_ISDIR(n->mode) ? child(n, rel, len) : NULL;
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
    return n && S_ISDIR(n->mode) ? n : NULL;
}

static void link_child(struct tmpfs_node *dir, struct tmpfs_node *n) {
    struct tmpfs_node **pp = &dir->children;
    while (*pp)
        pp = &(*pp)->next; /* append: listing order is creation order */
    *pp = n;
    n->next = NULL;
    n->parent = dir;
    if (S_ISDIR(n->mode))
        dir->nlink++;
    dir->mtime = dir->ctime = libos_now_ns();
}

static void unlink_child(struct tmpfs_node *n) {
    struct tmpfs_node *dir = n->parent;
    struct tmpfs_node **pp = &dir->children;
    while (*pp != n)
        pp = &(*pp)->next;
    *pp = n->next;
    n->next = NULL;
    n->parent = NULL;
    if (S_ISDIR(n->mode))
        dir->nlink--;
    dir->mtime = dir->ctime = libos_now_ns();
}

static void fill_stat(struct libos_mount *m, const struct tmpfs_node *n, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_dev = m ? m->dev : 0x20;
    st->st_ino = n->ino;
    st->st_nlink = n->unlinked ? 0 : n->nlink;
    st->st_mode = n->mode;
    st->st_uid = n->uid;
    st->st_gid = n->gid;
    st->st_size = S_ISDIR(n->mode) ? 4096 : n->size;
    st->st_blksize = 4096;
    st->st_blocks = ALIGN_UP(n->size, 4096) / 512;
    st->st_atim = (struct linux_timespec){n->atime / 1000000000, n->atime % 1000000000};
    st->st_mtim = (struct linux_timespec){n->mtime / 1000000000, n->mtime % 1000000000};
    st->st_ctim = (struct linux_timespec){n->ctime / 1000000000, n->ctime % 1000000000};
}

/* Caller holds the lock. Grows or shrinks data to len, zero-filling. */
static long resize(struct tmpfs_node *n, size_t len) {
    if (len > n->cap) {
        size_t cap = MAX(len, n->cap * 2);
        char *d = libos_realloc(n->data, cap);
        if (!d)
            return -ENOSPC;
        n->data = d;
        n->cap = cap;
    }
    if (len > n->size)
        memset(n->data + n->size, 0, len - n->size);
    n->size = len;
    n->mtime = n->ctime = libos_now_ns();
    return 0;
}

/* ------------------------------------------------------------ file ops */

static int64_t tf_read(struct libos_file *f, void *buf, size_t len, uint64_t *pos) {
    struct tmpfs_node *n = f->priv;
    libos_lock(&g_tmpfs_lock);
    size_t got = *pos < n->size ? MIN(len, n->size - *pos) : 0;
    memcpy(buf, n->data + *pos, got);
    *pos += got;
    libos_unlock(&g_tmpfs_lock);
    return got;
}

static int64_t tf_write(struct libos_file *f, const void *buf, size_t len, uint64_t *pos) {
    struct tmpfs_node *n = f->priv;
    libos_lock(&g_tmpfs_lock);
    uint64_t at = (f->flags & O_APPEND) ? n->size : *pos;
    long r = 0;
    if (at + len < at || at + len > (1ULL << 40))
        r = -EFBIG;
    else if (at + len > n->size)
        r = resize(n, at + len);
    if (!r) {
        memcpy(n->data + at, buf, len);
        n->mtime = n->ctime = libos_now_ns();
        *pos = at + len;
        r = len;
    }
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static int64_t tf_seek(struct libos_file *f, int64_t off, int whence) {
    struct tmpfs_node *n = f->priv;
    libos_lock(&g_tmpfs_lock);
    int64_t size = n->size;
    libos_unlock(&g_tmpfs_lock);
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
        base = size;
        break;
    case SEEK_DATA:
    case SEEK_HOLE:
        if (off < 0 || off >= size)
            return -ENXIO;
        f->pos = whence == SEEK_DATA ? off : size;
        return f->pos;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    return f->pos;
}

static int tf_stat(struct libos_file *f, struct linux_stat *st) {
    libos_lock(&g_tmpfs_lock);
    fill_stat(f->mount, f->priv, st);
    libos_unlock(&g_tmpfs_lock);
    return 0;
}

static int tf_truncate(struct libos_file *f, uint64_t len) {
    if (len > (1ULL << 40))
        return -EFBIG;
    libos_lock(&g_tmpfs_lock);
    long r = resize(f->priv, len);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static int tf_fsync(struct libos_file *f) {
    return 0;
}

static void tf_release(struct libos_file *f) {
    struct tmpfs_node *n = f->priv;
    if (!n)
        return;
    libos_lock(&g_tmpfs_lock);
    bool gone = --n->open_refs == 0 && n->unlinked;
    libos_unlock(&g_tmpfs_lock);
    if (gone)
        node_free(n);
}

static const struct libos_file_ops g_tmpfs_file_ops = {
    .read = tf_read,
    .write = tf_write,
    .seek = tf_seek,
    .stat = tf_stat,
    .mmap = libos_mmap_copy,
    .truncate = tf_truncate,
    .fsync = tf_fsync,
    .release = tf_release,
};

/* -------------------------------------------------------------- fs ops */

static long tmpfs_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n)
        fill_stat(m, n, st);
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    long r = !n ? -ENOENT : !S_ISLNK(n->mode) ? -EINVAL : (long)MIN(size, n->size);
    if (r > 0)
        memcpy(buf, n->data, r);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* Caller holds the lock. Creates name in rel's parent. */
static long create(struct libos_mount *m, const char *rel, uint32_t mode, const char *target,
                   struct tmpfs_node **out) {
    const char *name;
    struct tmpfs_node *dir = walk_parent(m, rel, &name);
    if (!dir)
        return -ENOENT;
    if (child(dir, name, strlen(name)))
        return -EEXIST;
    struct tmpfs_node *n = node_new(mode, name);
    if (!n)
        return -ENOSPC;
    if (target) {
        n->size = n->cap = strlen(target);
        if (!(n->data = libos_strdup(target))) {
            node_free(n);
            return -ENOSPC;
        }
    }
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
        r = create(m, rel, S_IFREG | (mode & 07777), NULL, &n);
    else if (!n)
        r = -ENOENT;
    else if (!st && (flags & O_EXCL))
        r = -EEXIST;
    if (!r && S_ISDIR(n->mode))
        r = -EISDIR;
    if (!r && (flags & O_TRUNC) && S_ISREG(n->mode) && n->size)
        r = resize(n, 0);
    if (!r) {
        n->open_refs++;
        f->priv = n;
        f->ops = &g_tmpfs_file_ops;
    }
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_mkdir(struct libos_mount *m, const char *rel, uint32_t mode) {
    struct tmpfs_node *n;
    libos_lock(&g_tmpfs_lock);
    long r = create(m, rel, S_IFDIR | (mode & 07777), NULL, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static long tmpfs_symlink(struct libos_mount *m, const char *rel, const char *target) {
    struct tmpfs_node *n;
    libos_lock(&g_tmpfs_lock);
    long r = create(m, rel, S_IFLNK | 0777, target, &n);
    libos_unlock(&g_tmpfs_lock);
    return r;
}

/* Caller holds the lock; n is linked. Frees n unless a file holds it. */
static void drop_node(struct tmpfs_node *n) {
    unlink_child(n);
    n->unlinked = true;
    n->ctime = libos_now_ns();
    if (!n->open_refs)
        node_free(n);
}

static long tmpfs_unlink(struct libos_mount *m, const char *rel, bool dir) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    long r = 0;
    if (!n)
        r = -ENOENT;
    else if (!n->parent)
        r = -EBUSY; /* the mount root */
    else if (dir != S_ISDIR(n->mode))
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
        if (old == n)
            goto out; /* same object: nothing to do */
        if (old && S_ISDIR(old->mode) && old->children)
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
        n->ctime = libos_now_ns();
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
        n->mode = (n->mode & S_IFMT) | (mode & 07777);
        n->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n) {
        n->atime = atime >= 0 ? atime : n->atime;
        n->mtime = mtime >= 0 ? mtime : n->mtime;
        n->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_chown(struct libos_mount *m, const char *rel, uint32_t uid, uint32_t gid) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *n = walk(m, rel);
    if (n) {
        n->uid = uid != UINT32_MAX ? uid : n->uid;
        n->gid = gid != UINT32_MAX ? gid : n->gid;
        /* Linux: a chown clears set-user-ID, and set-group-ID on a group-
         * executable file, on everything but directories. */
        if (!S_ISDIR(n->mode)) {
            n->mode &= ~S_ISUID;
            if (n->mode & 010)
                n->mode &= ~S_ISGID;
        }
        n->ctime = libos_now_ns();
    }
    libos_unlock(&g_tmpfs_lock);
    return n ? 0 : -ENOENT;
}

static long tmpfs_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    libos_lock(&g_tmpfs_lock);
    struct tmpfs_node *d = walk(m, rel);
    long r = !d ? -ENOENT : !S_ISDIR(d->mode) ? -ENOTDIR : 0;
    for (struct tmpfs_node *c = d && !r ? d->children : NULL; c && !r; c = c->next)
        r = libos_dirlist_add(l, c->name, c->ino, libos_dtype_from_mode(c->mode));
    libos_unlock(&g_tmpfs_lock);
    return r;
}

static void free_tree(struct tmpfs_node *n) {
    while (n) {
        struct tmpfs_node *next = n->next;
        free_tree(n->children);
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
    .unlink = tmpfs_unlink,
    .rename = tmpfs_rename,
    .chmod = tmpfs_chmod,
    .utimes = tmpfs_utimes,
    .list = tmpfs_list,
    .chown = tmpfs_chown,
};
