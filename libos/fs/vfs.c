/* Mount table, path resolution, open and the current directory.
 *
 * Every path is resolved here, component by component, inside the libos
 * tree: ".." stops at "/", symlinks (host ones read with
 * pal_stream_readlink) are expanded by the libos, and absolute targets
 * restart at the libos root. A file system only ever sees canonical paths
 * relative to its mount root, so a host mount never names anything outside
 * its source directory. */
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_pseudo.h"

/* Hosted unit tests build the VFS without fs/procfs.c and fs/sysfs.c. */
extern const struct libos_pseudo_fs g_proc_fs __attribute__((weak));
extern const struct libos_pseudo_fs g_sys_fs __attribute__((weak));

#define MAX_MOUNTS 64

static struct libos_mount *g_mounts[MAX_MOUNTS];
static size_t g_mount_count;
static struct libos_mount g_synth_mount = {
    .path = "/", .path_len = 1, .ops = &g_synth_fs_ops, .readonly = true, .dev = 0x9};
static struct libos_lock g_cwd_lock = LIBOS_LOCK_INIT;
static char *g_cwd;

static char *normalize_dup(const char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        n--;
    return libos_strndup(p, n);
}

long libos_mount_add(const char *path, const struct libos_fs_ops *ops, const char *source,
                     bool readonly) {
    if (g_mount_count >= MAX_MOUNTS || path[0] != '/')
        return -EINVAL;
    struct libos_mount *m = libos_calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->path = normalize_dup(path);
    m->path_len = strlen(m->path);
    m->ops = ops;
    m->readonly = readonly;
    m->dev = 0x20 + g_mount_count; /* distinct st_dev for libos-owned file systems */
    if (source) {
        /* "" stands for the host root so URIs never get a doubled '/'. */
        m->source = normalize_dup(source);
        if (!strcmp(m->source, "/"))
            m->source[0] = '\0';
    }
    if (!m->path || (source && !m->source)) {
        libos_free(m->path);
        libos_free(m->source);
        libos_free(m);
        return -ENOMEM;
    }
    g_mounts[g_mount_count++] = m;
    return 0;
}

static bool path_under(const char *abs, const char *mpath, size_t mlen) {
    if (mlen == 1)
        return true; /* "/" */
    return !strncmp(abs, mpath, mlen) && (abs[mlen] == '\0' || abs[mlen] == '/');
}

struct libos_mount *libos_mount_find(const char *abs) {
    struct libos_mount *best = NULL;
    /* Later mounts win ties: /dev is added last and always present. */
    for (size_t i = 0; i < g_mount_count; i++) {
        struct libos_mount *m = g_mounts[i];
        if (path_under(abs, m->path, m->path_len) && (!best || m->path_len >= best->path_len))
            best = m;
    }
    return best ? best : &g_synth_mount;
}

const char *libos_mount_rel(const struct libos_mount *m, const char *abs) {
    if (m->path_len == 1)
        return abs + 1;
    return abs[m->path_len] == '/' ? abs + m->path_len + 1 : abs + m->path_len;
}

struct libos_mount *libos_mount_at(size_t i) {
    return i < g_mount_count ? g_mounts[i] : NULL;
}

bool libos_path_is_mount_point(const char *abs) {
    for (size_t i = 0; i < g_mount_count; i++)
        if (!strcmp(g_mounts[i]->path, abs))
            return true;
    return false;
}

bool libos_path_is_mount_ancestor(const char *abs) {
    if (!strcmp(abs, "/"))
        return true;
    size_t n = strlen(abs);
    for (size_t i = 0; i < g_mount_count; i++) {
        const char *mp = g_mounts[i]->path;
        if (!strncmp(mp, abs, n) && (mp[n] == '/' || mp[n] == '\0'))
            return true;
    }
    return false;
}

void libos_mount_list_children(const char *abs, struct libos_dirlist *l) {
    size_t n = strcmp(abs, "/") ? strlen(abs) : 0;
    for (size_t i = 0; i < g_mount_count; i++) {
        const char *mp = g_mounts[i]->path;
        if (strncmp(mp, abs, n) || mp[n] != '/' || mp[n + 1] == '\0')
            continue;
        const char *name = mp + n + 1;
        const char *end = strchr(name, '/');
        size_t len = end ? (size_t)(end - name) : strlen(name);
        char *dup = libos_strndup(name, len);
        if (dup && !libos_dirlist_has(l, dup))
            libos_dirlist_add(l, dup, 0, DT_DIR);
        libos_free(dup);
    }
}

void libos_mounts_reset(void) {
    for (int fd = 0; fd < 1024; fd++)
        libos_fd_close(fd);
    for (size_t i = 0; i < g_mount_count; i++) {
        if (g_mounts[i]->ops == &g_tmpfs_ops)
            libos_tmpfs_destroy(g_mounts[i]);
        libos_free(g_mounts[i]->path);
        libos_free(g_mounts[i]->source);
        libos_free(g_mounts[i]);
    }
    g_mount_count = 0;
    libos_free(g_cwd);
    g_cwd = NULL;
}

/* ------------------------------------------------------------ resolution */

/* A directory that exists only because a mount point lies below it. */
static void synth_dir_stat(const char *abs, struct linux_stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
    st->st_dev = g_synth_mount.dev;
    /* Stable made-up inode from the path. */
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = abs; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    st->st_ino = h | 1;
    st->st_blksize = 4096;
}

long libos_vfs_stat_abs(const char *abs, struct linux_stat *st) {
    struct libos_mount *m = libos_mount_find(abs);
    long r = m->ops->lookup(m, libos_mount_rel(m, abs), st);
    if (r == -ENOENT && libos_path_is_mount_ancestor(abs)) {
        synth_dir_stat(abs, st);
        r = 0;
    }
    return r;
}

static const char *next_component(const char *p, size_t *len) {
    while (*p == '/')
        p++;
    const char *e = p;
    while (*e && *e != '/')
        e++;
    *len = e - p;
    return p;
}

static void pop_component(char *cur, size_t *curlen) {
    while (*curlen > 0 && cur[*curlen - 1] != '/')
        (*curlen)--;
    if (*curlen > 0)
        (*curlen)--; /* the '/' itself; "" is the root */
    cur[*curlen] = '\0';
}

/* Base directory of a relative lookup, copied into cur. */
static long lookup_base(int dirfd, char *cur, size_t *curlen) {
    if (dirfd == AT_FDCWD) {
        long r = libos_vfs_get_cwd(cur, LIBOS_PATH_MAX);
        if (r < 0)
            return r;
    } else {
        struct libos_file *f = libos_fd_get(dirfd);
        if (!f)
            return -EBADF;
        bool dir = libos_file_is_dir(f);
        if (dir)
            libos_strlcpy(cur, f->path ? f->path : "/", LIBOS_PATH_MAX);
        libos_file_put(f);
        if (!dir)
            return -ENOTDIR;
    }
    *curlen = strlen(cur);
    if (*curlen == 1)
        *curlen = 0; /* "/" is kept as "" while building */
    cur[*curlen] = '\0';
    return 0;
}

long libos_vfs_lookup(int dirfd, const char *path, int flags, struct libos_lookup *lk) {
    memset(lk, 0, sizeof(*lk));
    if (!path[0])
        return -ENOENT;
    size_t plen = strlen(path);
    if (plen >= LIBOS_PATH_MAX)
        return -ENAMETOOLONG;
    char *cur = libos_malloc(LIBOS_PATH_MAX);
    char *rest = libos_malloc(LIBOS_PATH_MAX);
    char *tmp = libos_malloc(LIBOS_PATH_MAX);
    long r = (cur && rest && tmp) ? 0 : -ENOMEM;
    size_t curlen = 0;
    int links = 0;
    bool have_final = false;
    if (r)
        goto out;
    if (path[0] != '/') {
        r = lookup_base(dirfd, cur, &curlen);
        if (r)
            goto out;
    }
    cur[0] = curlen ? cur[0] : '\0';
    memcpy(rest, path, plen + 1);
    lk->trailing_slash = path[plen - 1] == '/';

    const char *p = rest;
    for (;;) {
        size_t len;
        const char *comp = next_component(p, &len);
        if (!len)
            break;
        const char *after = comp + len;
        size_t alen;
        next_component(after, &alen);
        bool last = alen == 0;
        bool slash_after = *after == '/';
        p = after;
        have_final = false;
        lk->last_dot = 0;
        if (len > LIBOS_NAME_MAX) {
            r = -ENAMETOOLONG;
            goto out;
        }
        if (len == 1 && comp[0] == '.') {
            lk->last_dot = 1;
            continue;
        }
        if (len == 2 && comp[0] == '.' && comp[1] == '.') {
            pop_component(cur, &curlen);
            lk->last_dot = 2;
            continue;
        }
        if (curlen + 1 + len >= LIBOS_PATH_MAX) {
            r = -ENAMETOOLONG;
            goto out;
        }
        size_t parent_len = curlen;
        cur[curlen++] = '/';
        memcpy(cur + curlen, comp, len);
        curlen += len;
        cur[curlen] = '\0';

        r = libos_vfs_stat_abs(cur, &lk->st);
        if (r == -ENOENT && last && (flags & LIBOS_LOOKUP_CREATE)) {
            lk->exists = false;
            r = 0;
            goto done;
        }
        if (r)
            goto out;
        if (S_ISLNK(lk->st.st_mode) && (!last || slash_after || (flags & LIBOS_LOOKUP_FOLLOW))) {
            if (++links > LIBOS_SYMLINK_MAX) {
                r = -ELOOP;
                goto out;
            }
            struct libos_mount *m = libos_mount_find(cur);
            long n = m->ops->readlink
                         ? m->ops->readlink(m, libos_mount_rel(m, cur), tmp, LIBOS_PATH_MAX)
                         : -EINVAL;
            if (n < 0) {
                r = n;
                goto out;
            }
            if (n == 0) {
                r = -ENOENT;
                goto out;
            }
            size_t restlen = strlen(after);
            if ((size_t)n + restlen + 1 >= LIBOS_PATH_MAX) {
                r = -ENAMETOOLONG;
                goto out;
            }
            /* rest = target + what followed the link (starting at its '/'). */
            memmove(rest + n, after, restlen + 1);
            memcpy(rest, tmp, n);
            p = rest;
            if (tmp[0] == '/')
                curlen = 0; /* absolute targets restart at the libos root */
            else
                curlen = parent_len;
            cur[curlen] = '\0';
            continue;
        }
        if (!last && !S_ISDIR(lk->st.st_mode)) {
            r = -ENOTDIR;
            goto out;
        }
        have_final = true;
    }
    if (!have_final) {
        /* Ended on "/", "." or "..": cur is a directory we walked through. */
        r = libos_vfs_stat_abs(curlen ? cur : "/", &lk->st);
        if (r)
            goto out;
    }
    lk->exists = true;
    if (lk->trailing_slash && !S_ISDIR(lk->st.st_mode)) {
        r = -ENOTDIR;
        goto out;
    }
done:
    if (!curlen) {
        cur[0] = '/';
        cur[1] = '\0';
    }
    lk->path = cur;
    cur = NULL;
    lk->mount = libos_mount_find(lk->path);
    lk->rel = libos_mount_rel(lk->mount, lk->path);
out:
    libos_free(cur);
    libos_free(rest);
    libos_free(tmp);
    return r;
}

void libos_lookup_free(struct libos_lookup *lk) {
    libos_free(lk->path);
    lk->path = NULL;
}

long libos_vfs_mknod(const char *path, uint32_t mode) {
    struct libos_lookup lk;
    long r = libos_vfs_lookup(AT_FDCWD, path, LIBOS_LOOKUP_CREATE, &lk);
    if (r)
        return r;
    if (lk.exists)
        r = -EEXIST;
    else if (!lk.mount->ops->mknod)
        r = -EPERM;
    else
        r = lk.mount->ops->mknod(lk.mount, lk.rel, mode);
    libos_lookup_free(&lk);
    return r;
}

long libos_vfs_check_writable(struct libos_mount *m, const char *abs, const char *what) {
    if (!m->readonly)
        return 0;
    if (m->ops == &g_host_fs_ops)
        log_denied("fs.mounts (a mount with readonly = false)",
                   "%s %s: mount %s (host %s) is read-only", what, abs, m->path,
                   m->source[0] ? m->source : "/");
    else
        log_denied("fs.mounts (a writable mount covering it)", "%s %s: not inside a writable mount",
                   what, abs);
    return -EROFS;
}

/* ------------------------------------------------------------------ open */

long libos_vfs_open_lookup(struct libos_lookup *lk, int flags, uint32_t mode,
                           struct libos_file **out) {
    struct libos_mount *m = lk->mount;
    int acc = flags & O_ACCMODE;
    long r;
    if (flags & O_PATH)
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    struct libos_file *f = libos_file_new(m, lk->path, flags);
    if (!f)
        return -ENOMEM;
    if (flags & O_PATH) {
        if (!lk->exists) {
            r = -ENOENT;
            goto fail;
        }
        *out = f; /* no stream: only fstat, fchdir, *at and dup work */
        return 0;
    }
    if (!lk->exists) {
        r = libos_vfs_check_writable(m, lk->path, "create");
        if (!r)
            r = m->ops->open(m, lk->rel, NULL, flags, mode & ~g_process.umask & 07777, f);
        if (!r && libos_fsnotify)
            libos_fsnotify(lk->path, NULL, LIBOS_IN_CREATE, 0);
    } else if (S_ISDIR(lk->st.st_mode)) {
        r = (acc != O_RDONLY || (flags & O_CREAT)) ? -EISDIR : 0;
        f->ops = &g_dir_file_ops;
    } else if (S_ISLNK(lk->st.st_mode)) {
        r = -ELOOP;
    } else if (flags & O_DIRECTORY) {
        r = -ENOTDIR;
    } else {
        r = 0;
        if (S_ISREG(lk->st.st_mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
            r = libos_vfs_check_writable(m, lk->path, "open for writing");
        if (!r)
            r = m->ops->open(m, lk->rel, &lk->st, flags, 0, f);
    }
    if (r)
        goto fail;
    *out = f;
    return 0;
fail:
    libos_file_put(f);
    return r;
}

long libos_vfs_open(int dirfd, const char *path, int flags, uint32_t mode,
                    struct libos_file **out) {
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    bool creat = flags & O_CREAT;
    if (creat && (flags & O_DIRECTORY))
        return -EINVAL; /* Linux >= 6.4 */
    int lf = 0;
    if (!(flags & O_NOFOLLOW) && !(creat && (flags & O_EXCL)))
        lf |= LIBOS_LOOKUP_FOLLOW;
    if (creat && !(flags & O_PATH))
        lf |= LIBOS_LOOKUP_CREATE;
    struct libos_lookup lk;
    long r = libos_vfs_lookup(dirfd, path, lf, &lk);
    if (r)
        return r;
    if (lk.exists && creat && (flags & O_EXCL))
        r = -EEXIST;
    else if (!lk.exists && lk.trailing_slash)
        r = -EISDIR;
    else
        r = libos_vfs_open_lookup(&lk, flags, mode, out);
    libos_lookup_free(&lk);
    return r;
}

long libos_vfs_host_path(struct libos_file *f, char *buf, size_t size) {
    struct libos_mount *m = f->mount;
    if (!m || m->ops != &g_host_fs_ops || !f->path)
        return -ENOENT;
    const char *rel = libos_mount_rel(m, f->path);
    int n = libos_snprintf(buf, size, "%s/%s", m->source, rel);
    if (!rel[0])
        n = libos_snprintf(buf, size, "%s", m->source[0] ? m->source : "/");
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : n;
}

/* ------------------------------------------------------------------- cwd */

long libos_vfs_set_cwd(const char *abs) {
    char *dup = libos_strdup(abs);
    if (!dup)
        return -ENOMEM;
    libos_lock(&g_cwd_lock);
    char *old = g_cwd;
    g_cwd = dup;
    libos_unlock(&g_cwd_lock);
    libos_free(old);
    return 0;
}

long libos_vfs_get_cwd(char *buf, size_t size) {
    libos_lock(&g_cwd_lock);
    const char *c = g_cwd ? g_cwd : "/";
    size_t n = strlen(c);
    long r = n;
    if (n + 1 > size)
        r = -ERANGE;
    else
        memcpy(buf, c, n + 1);
    libos_unlock(&g_cwd_lock);
    return r;
}

const char *libos_vfs_cwd(void) {
    return g_cwd ? g_cwd : "/";
}

/* ------------------------------------------------------------------ init */

static void init_cwd(void) {
    const char *want[] = {g_manifest ? g_manifest->cwd : NULL, g_boot ? g_boot->host_cwd : NULL};
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        if (!want[i] || want[i][0] != '/')
            continue;
        struct libos_lookup lk;
        if (libos_vfs_lookup(AT_FDCWD, want[i], LIBOS_LOOKUP_FOLLOW, &lk))
            continue;
        bool ok = S_ISDIR(lk.st.st_mode) && !libos_vfs_set_cwd(lk.path);
        libos_lookup_free(&lk);
        if (ok)
            return;
        if (i == 0)
            log_warn("fs.cwd %s is not a directory inside the mounts; using /", want[i]);
    }
    libos_vfs_set_cwd("/");
}

long libos_vfs_init(void) {
    long r;
    /* A checkpoint child has it from its parent already. */
    if (!libos_tmpfs_host_dir() && g_boot && g_boot->tmpfs_dir)
        libos_tmpfs_set_host_dir(g_boot->tmpfs_dir);
    if (g_manifest) {
        for (size_t i = 0; i < g_manifest->mount_count; i++) {
            const struct libos_mount_spec *s = &g_manifest->mounts[i];
            char name[24]; /* tmpfs fs.mounts[i] is <host dir>/<i> */
            libos_snprintf(name, sizeof(name), "%zu", i);
            r = s->type == LIBOS_MOUNT_HOST
                    ? libos_mount_add(s->path, &g_host_fs_ops, s->source, s->readonly)
                    : libos_tmpfs_mount(s->path, name, s->readonly);
            if (r)
                return r;
            struct libos_mount *m = libos_mount_at(g_mount_count - 1);
            log_debug("mount %s: %s %s%s", s->path, m->ops->name, m->source ? m->source : "",
                      s->readonly ? " (read-only)" : "");
        }
    }
    /* /proc and /sys: their files refuse writes themselves (EACCES). */
    if (&g_proc_fs && (r = libos_mount_add("/proc", &g_proc_fs.ops, NULL, false)))
        return r;
    if (&g_sys_fs && (r = libos_mount_add("/sys", &g_sys_fs.ops, NULL, false)))
        return r;
    r = libos_mount_add("/dev", &g_dev_fs_ops, NULL, false);
    if (r)
        return r;
    /* POSIX shared memory and semaphores (glibc: files in /dev/shm) need a
     * tmpfs there, as every Linux system has, unless the manifest mounts
     * something of its own. */
    if (!libos_path_is_mount_point("/dev/shm") && (r = libos_tmpfs_mount("/dev/shm", "shm", false)))
        return r;
    for (int fd = 0; fd < 3; fd++) {
        if (!g_boot || !g_boot->stdio[fd])
            continue;
        struct libos_file *f;
        r = libos_console_file_new(fd, g_boot->stdio[fd], &f);
        if (r)
            return r;
        r = libos_fd_install_at(fd, f, false);
        libos_file_put(f);
        if (r < 0)
            return r;
    }
    init_cwd();
    return 0;
}
