/* The pseudo file-system builder behind /proc and /sys (libos_pseudo.h):
 * path walks over a static node tree with dynamic names, stat, listings,
 * links, and open files whose text is made once at open (a consistent
 * snapshot, as Linux's seq_file gives for a single read). */
#include "libos_pseudo.h"

/* -------------------------------------------------------------- strbuf */

static bool strbuf_reserve(struct libos_strbuf *b, size_t more) {
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *s = libos_realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void libos_strbuf_add(struct libos_strbuf *b, const void *data, size_t n) {
    if (!strbuf_reserve(b, n))
        return;
    memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void libos_strbuf_printf(struct libos_strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = libos_vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        libos_strbuf_add(b, tmp, n);
        return;
    }
    if (!strbuf_reserve(b, n))
        return;
    va_start(ap, fmt);
    libos_vsnprintf(b->s + b->len, n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
}

void libos_strbuf_free(struct libos_strbuf *b) {
    libos_free(b->s);
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------- helpers */

bool libos_pseudo_is_num(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 10 || (name[0] == '0' && n > 1))
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        v = v * 10 + (name[i] - '0');
    }
    return v < (1ULL << 31);
}

long libos_pseudo_num(const struct libos_pseudo_path *p, int i) {
    if (i < 0 || i >= p->depth || !libos_pseudo_is_num(p->name[i]))
        return -1;
    long v = 0;
    for (const char *s = p->name[i]; *s; s++)
        v = v * 10 + (*s - '0');
    return v;
}

static const struct libos_pseudo_fs *fs_of(struct libos_mount *m) {
    return (const struct libos_pseudo_fs *)m->ops; /* ops is the first member */
}

static const struct libos_pseudo_node *leaf(const struct libos_pseudo_fs *fs,
                                            const struct libos_pseudo_path *p) {
    return p->depth ? p->node[p->depth - 1] : fs->root;
}

/* Resolve rel (canonical, relative to the mount root) into p. */
static long walk(const struct libos_pseudo_fs *fs, const char *rel, struct libos_pseudo_path *p) {
    memset(p, 0, sizeof(*p));
    if (strlen(rel) >= sizeof(p->buf))
        return -ENOENT; /* no pseudo path is this long */
    libos_strlcpy(p->buf, rel, sizeof(p->buf));
    const struct libos_pseudo_node *cur = fs->root;
    char *s = p->buf;
    while (*s) {
        char *comp = s;
        char *slash = strchr(s, '/');
        s = slash ? slash + 1 : s + strlen(s);
        if (slash)
            *slash = '\0';
        if (cur->type != LIBOS_PSEUDO_DIR)
            return -ENOTDIR;
        if (p->depth == LIBOS_PSEUDO_DEPTH)
            return -ENOENT;
        const struct libos_pseudo_node *found = NULL;
        for (const struct libos_pseudo_node *c = cur->children; c && c->type && !found; c++)
            if (c->name ? !strcmp(c->name, comp) : (c->match && c->match(p, comp)))
                found = c;
        if (!found)
            return -ENOENT;
        p->name[p->depth] = comp;
        p->node[p->depth++] = found;
        cur = found;
    }
    return 0;
}

/* Stable inode number of a path (FNV-1a), distinct from the root's 1. */
static uint64_t path_ino(const char *rel, const char *name) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = rel; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    if (name) {
        h = (h ^ '/') * 1099511628211ULL;
        for (const char *s = name; *s; s++)
            h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    }
    return (h & 0x7fffffffffffULL) | 2;
}

static uint8_t node_dtype(const struct libos_pseudo_node *n) {
    return n->type == LIBOS_PSEUDO_DIR ? DT_DIR : n->type == LIBOS_PSEUDO_LINK ? DT_LNK : DT_REG;
}

static uint32_t node_mode(const struct libos_pseudo_node *n) {
    switch (n->type) {
    case LIBOS_PSEUDO_DIR:
        return S_IFDIR | (n->perm ? n->perm : 0555);
    case LIBOS_PSEUDO_LINK:
        return S_IFLNK | (n->perm ? n->perm : 0777);
    default:
        return S_IFREG | (n->perm ? n->perm : n->write ? 0644 : 0444);
    }
}

static int64_t g_pseudo_time;

/* ------------------------------------------------------------- fs ops */

long libos_pseudo_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st) {
    const struct libos_pseudo_fs *fs = fs_of(m);
    struct libos_pseudo_path p;
    long r = walk(fs, rel, &p);
    if (r)
        return r == -ENOTDIR ? -ENOENT : r;
    const struct libos_pseudo_node *n = leaf(fs, &p);
    memset(st, 0, sizeof(*st));
    st->st_dev = m->dev;
    st->st_ino = rel[0] ? path_ino(rel, NULL) : 1;
    st->st_mode = node_mode(n);
    st->st_nlink = n->type == LIBOS_PSEUDO_DIR ? 2 : 1;
    st->st_blksize = fs->blksize;
    if (!g_pseudo_time)
        g_pseudo_time = libos_now_ns(); /* like a kernel's boot-time inodes */
    st->st_atim = (struct linux_timespec){g_pseudo_time / 1000000000, g_pseudo_time % 1000000000};
    st->st_mtim = st->st_ctim = st->st_atim;
    if (fs->stat_hook)
        fs->stat_hook(&p, st);
    return 0;
}

long libos_pseudo_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size) {
    const struct libos_pseudo_fs *fs = fs_of(m);
    struct libos_pseudo_path p;
    long r = walk(fs, rel, &p);
    if (r)
        return r;
    const struct libos_pseudo_node *n = leaf(fs, &p);
    if (n->type != LIBOS_PSEUDO_LINK || !n->readlink)
        return -EINVAL;
    struct libos_strbuf b = {0};
    r = n->readlink(&p, &b);
    if (!r && b.oom)
        r = -ENOMEM;
    if (!r) {
        r = MIN(b.len, size);
        memcpy(buf, b.s, r);
    }
    libos_strbuf_free(&b);
    return r;
}

long libos_pseudo_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l) {
    const struct libos_pseudo_fs *fs = fs_of(m);
    struct libos_pseudo_path p;
    long r = walk(fs, rel, &p);
    if (r)
        return r;
    const struct libos_pseudo_node *dir = leaf(fs, &p);
    if (dir->type != LIBOS_PSEUDO_DIR)
        return -ENOTDIR;
    for (const struct libos_pseudo_node *c = dir->children; c && c->type; c++) {
        if (c->name) {
            r = libos_dirlist_add(l, c->name, path_ino(rel, c->name), node_dtype(c));
        } else if (c->list) {
            size_t first = l->count;
            r = c->list(&p, l);
            for (size_t i = first; i < l->count; i++) {
                l->e[i].ino = path_ino(rel, l->e[i].name);
                l->e[i].type = node_dtype(c);
            }
        }
        if (r)
            return r;
    }
    return 0;
}

struct pseudo_open {
    struct libos_pseudo_path path;
    const struct libos_pseudo_node *node;
    struct libos_strbuf text;
};

static int64_t pf_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    struct pseudo_open *o = f->priv;
    if (*pos >= o->text.len)
        return 0;
    n = MIN(n, o->text.len - *pos);
    memcpy(buf, o->text.s + *pos, n);
    *pos += n;
    return n;
}

static int64_t pf_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    struct pseudo_open *o = f->priv;
    if (!o->node->write)
        return -EACCES;
    int64_t r = o->node->write(&o->path, buf, n);
    if (r > 0)
        *pos += r;
    return r;
}

static int64_t pf_seek(struct libos_file *f, int64_t off, int whence) {
    struct pseudo_open *o = f->priv;
    int64_t base = whence == SEEK_SET   ? 0
                   : whence == SEEK_CUR ? (int64_t)f->pos
                   : whence == SEEK_END ? (int64_t)o->text.len
                                        : -1;
    if (base < 0 || base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    return f->pos;
}

static void pf_release(struct libos_file *f) {
    struct pseudo_open *o = f->priv;
    if (o)
        libos_strbuf_free(&o->text);
    libos_free(o);
}

static const struct libos_file_ops g_pseudo_file_ops = {
    .ckpt_kind = LIBOS_CKPT_PATH_ONLY,
    .read = pf_read,
    .write = pf_write,
    .seek = pf_seek,
    .release = pf_release,
};

long libos_pseudo_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                       int flags, uint32_t mode, struct libos_file *f) {
    const struct libos_pseudo_fs *fs = fs_of(m);
    if (!st)
        return fs->create_errno;
    struct pseudo_open *o = libos_calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    long r = walk(fs, rel, &o->path);
    o->node = r ? NULL : leaf(fs, &o->path);
    if (!r && o->node->type != LIBOS_PSEUDO_FILE)
        r = -ENXIO;
    int acc = flags & O_ACCMODE;
    if (!r && acc != O_RDONLY && (!o->node->write || !(node_mode(o->node) & 0200)))
        r = -EACCES;
    if (!r && acc != O_WRONLY && o->node->read) {
        r = o->node->read(&o->path, &o->text);
        if (!r && o->text.oom)
            r = -ENOMEM;
    }
    if (r) {
        libos_strbuf_free(&o->text);
        libos_free(o);
        return r;
    }
    f->ops = &g_pseudo_file_ops;
    f->priv = o;
    return 0;
}

long libos_pseudo_mkdir(struct libos_mount *m, const char *rel, uint32_t mode) {
    return fs_of(m)->mkdir_errno;
}

long libos_pseudo_symlink(struct libos_mount *m, const char *rel, const char *target) {
    return fs_of(m)->mkdir_errno;
}

long libos_pseudo_link(struct libos_mount *m, const char *oldrel, const char *newrel) {
    return -EPERM;
}

long libos_pseudo_unlink(struct libos_mount *m, const char *rel, bool dir) {
    return -EPERM;
}

long libos_pseudo_rename(struct libos_mount *m, const char *oldrel, const char *newrel) {
    return -EPERM;
}

long libos_pseudo_chmod(struct libos_mount *m, const char *rel, uint32_t mode) {
    return -EPERM;
}

long libos_pseudo_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime) {
    return -EPERM;
}
