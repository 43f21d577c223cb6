/* Internals of the VFS (libos/fs/): mounts, path resolution, file-system
 * types (host, tmpfs, dev, synthetic mount-point directories), directory
 * listings. libos_vfs.h is the public side; sys/fs.c uses both. */
#ifndef SABOT_LIBOS_FS_H
#define SABOT_LIBOS_FS_H

#include "libos_vfs.h"

#define LIBOS_NAME_MAX 255
#define LIBOS_SYMLINK_MAX 40 /* Linux's MAXSYMLINKS: more -> ELOOP */

/* One directory entry of a listing (struct libos_dirlist). */
struct libos_dirent {
    uint64_t ino;
    uint8_t type; /* DT_* */
    char *name;
};
struct libos_dirlist {
    struct libos_dirent *e;
    size_t count, cap;
};
long libos_dirlist_add(struct libos_dirlist *l, const char *name, uint64_t ino, uint8_t type);
bool libos_dirlist_has(const struct libos_dirlist *l, const char *name);
void libos_dirlist_free(struct libos_dirlist *l);

/* A file-system type. Paths are relative to the mount root: "" is the root,
 * otherwise canonical components joined by '/' (no ".", "..", or doubled
 * or trailing '/'). The VFS has resolved every symlink before calling. */
struct libos_fs_ops {
    const char *name;
    /* Attributes of rel without following a final symlink; -ENOENT. */
    long (*lookup)(struct libos_mount *m, const char *rel, struct linux_stat *st);
    long (*readlink)(struct libos_mount *m, const char *rel, char *buf, size_t size);
    /* Open rel as a non-directory: an existing object (st from lookup) or,
     * with st == NULL, a new regular file (O_CREAT, mode already masked).
     * Fills f->ops, f->handle, f->priv. */
    long (*open)(struct libos_mount *m, const char *rel, const struct linux_stat *st, int flags,
                 uint32_t mode, struct libos_file *f);
    long (*mkdir)(struct libos_mount *m, const char *rel, uint32_t mode);
    long (*symlink)(struct libos_mount *m, const char *rel, const char *target);
    /* Hard link newrel to the existing non-directory oldrel. */
    long (*link)(struct libos_mount *m, const char *oldrel, const char *newrel);
    /* Remove a non-directory (dir false) or an empty directory (dir true). */
    long (*unlink)(struct libos_mount *m, const char *rel, bool dir);
    /* Both names in m; the VFS has checked types, emptiness and loops. */
    long (*rename)(struct libos_mount *m, const char *oldrel, const char *newrel);
    long (*chmod)(struct libos_mount *m, const char *rel, uint32_t mode);
    /* Set access/modification times in ns since the epoch; -1 keeps one. */
    long (*utimes)(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime);
    /* Entries of directory rel, without "." and "..". */
    long (*list)(struct libos_mount *m, const char *rel, struct libos_dirlist *l);
    /* Set owner ids (UINT32_MAX keeps one); sys/fs2.c has checked the
     * caller's right as Linux would. */
    long (*chown)(struct libos_mount *m, const char *rel, uint32_t uid, uint32_t gid);
    /* Create a special file (S_IFSOCK: the name of a bound AF_UNIX socket). */
    long (*mknod)(struct libos_mount *m, const char *rel, uint32_t mode);
};

struct libos_mount {
    char *path; /* absolute libos path, no trailing '/' except "/" itself */
    size_t path_len;
    const struct libos_fs_ops *ops;
    char *source; /* host directory (host mounts), no trailing '/' ("" = host root) */
    bool readonly;
    uint64_t dev; /* st_dev for file systems the libos owns */
    void *priv;   /* tmpfs: root node */
};

extern const struct libos_fs_ops g_host_fs_ops;
extern const struct libos_fs_ops g_tmpfs_ops;
extern const struct libos_fs_ops g_dev_fs_ops;
extern const struct libos_fs_ops g_synth_fs_ops;
/* Generic ops of an open directory (listing cached in f->priv). */
extern const struct libos_file_ops g_dir_file_ops;

/* Mount table (fs/vfs.c). */
long libos_mount_add(const char *path, const struct libos_fs_ops *ops, const char *source,
                     bool readonly);
void libos_mounts_reset(void);                   /* tests: drop all mounts, fds and cwd */
void libos_tmpfs_destroy(struct libos_mount *m); /* frees the tree; no file may be open */
/* tmpfs shared by every process of the run (fs/tmpfs.c): the host
 * directory whose subdirectories back the mounts (NULL: in-memory tmpfs). */
void libos_tmpfs_set_host_dir(const char *dir);
const char *libos_tmpfs_host_dir(void);
/* Mount a tmpfs at path, backed by <host dir>/<name> when there is one. */
long libos_tmpfs_mount(const char *path, const char *name, bool readonly);
bool libos_mount_is_shared_tmpfs(const struct libos_mount *m);
/* The app's path for host path host (len bytes, no NUL) under a shared
 * tmpfs, written to out; its length, or 0 if it is not under one. */
size_t libos_tmpfs_app_path(const char *host, size_t len, char *out, size_t size);
/* Mount owning abs (longest prefix); the synthetic mount if none does. */
struct libos_mount *libos_mount_find(const char *abs);
/* The i-th mount in mount order (/proc/mounts); NULL past the end. */
struct libos_mount *libos_mount_at(size_t i);
/* abs relative to m's root: "" for the root itself. */
const char *libos_mount_rel(const struct libos_mount *m, const char *abs);
/* True if abs is a proper ancestor of some mount point or is one. */
bool libos_path_is_mount_point(const char *abs);
bool libos_path_is_mount_ancestor(const char *abs);
/* Adds the names of mount points directly under directory abs. */
void libos_mount_list_children(const char *abs, struct libos_dirlist *l);

/* Path resolution. */
enum {
    LIBOS_LOOKUP_FOLLOW = 1, /* follow a final symlink */
    LIBOS_LOOKUP_CREATE = 2, /* a missing final component is not an error */
};
struct libos_lookup {
    char *path; /* canonical absolute libos path (heap) */
    struct libos_mount *mount;
    const char *rel; /* points into path */
    bool exists;
    bool trailing_slash;  /* the name ended in '/' */
    int last_dot;         /* 1: last component was ".", 2: "..", else 0 */
    struct linux_stat st; /* when exists */
};
/* Resolve path relative to dirfd (AT_FDCWD or a directory fd). */
long libos_vfs_lookup(int dirfd, const char *path, int flags, struct libos_lookup *lk);
/* A special file at path (an AF_UNIX name on a libos file system, which
 * the host knows only by an abstract name). */
long libos_vfs_mknod(const char *path, uint32_t mode);
void libos_lookup_free(struct libos_lookup *lk);
#define RW_MAX 0x7ffff000UL /* Linux's MAX_RW_COUNT: the most one read/write moves */

/* An app path copied into a new heap buffer (sys/fs.c). */
long libos_copy_user_path(const char *user, char **out);
/* libos_vfs_lookup of an app path. */
long libos_lookup_user(int dirfd, const char *upath, int flags, struct libos_lookup *lk);
/* Stat of an absolute canonical path (no symlink following). */
long libos_vfs_stat_abs(const char *abs, struct linux_stat *st);
/* -EROFS plus a denial log line if m is read-only; what: "write", "create"... */
long libos_vfs_check_writable(struct libos_mount *m, const char *abs, const char *what);
/* Open the object found by lk (exists) with Linux flags; used by open
 * and by truncate(2). */
long libos_vfs_open_lookup(struct libos_lookup *lk, int flags, uint32_t mode,
                           struct libos_file **out);
long libos_vfs_set_cwd(const char *abs);
/* Copy of the cwd into buf; returns its length or -ERANGE. */
long libos_vfs_get_cwd(char *buf, size_t size);

/* Files (fs/file.c). */
struct libos_file *libos_file_new(struct libos_mount *m, const char *path, int flags);
bool libos_file_is_dir(struct libos_file *f);
/* Stat of any open file (ops->stat, else by its path). */
long libos_file_stat(struct libos_file *f, struct linux_stat *st);

/* fd table (fs/fdtable.c). */
long libos_fd_install_at(int fd, struct libos_file *f, bool cloexec); /* dup2 */
long libos_fd_get_cloexec(int fd);
long libos_fd_set_cloexec(int fd, bool cloexec);
void libos_fd_close_on_exec(void); /* for execve */
uint64_t libos_fd_limit(void);

/* Helpers shared by the file systems. */
uint32_t libos_mode_from_pal_type(uint32_t type);
uint8_t libos_dtype_from_mode(uint32_t mode);
void libos_stat_from_pal(const struct pal_stream_attr *a, struct linux_stat *st);
int64_t libos_now_ns(void);
static inline uint64_t libos_makedev(uint32_t major, uint32_t minor) {
    return ((uint64_t)(major & 0xfffff000) << 32) | ((major & 0xfff) << 8) |
           ((uint64_t)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
/* mmap for files without a PAL mapping: private anonymous copy. read_at
 * fills buf from the file at off and returns bytes or -errno. */
int libos_mmap_copy(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                    uint64_t off);
uint32_t libos_pal_prot(int prot);
uint32_t libos_pal_placement(int flags, void *addr);

/* Host URI ("file:"/"dir:") of rel in host mount m, on the heap. */
char *libos_host_uri(const struct libos_mount *m, const char *rel, bool dir);

/* Hooks from the VFS and sys/fs.c into sys/fs2.c and fs/inotify.c. Weak:
 * the hosted unit tests link fs.c and fs/ without those parts. */
#define LIBOS_IN_MODIFY 0x2
#define LIBOS_IN_ATTRIB 0x4
#define LIBOS_IN_CLOSE_WRITE 0x8
#define LIBOS_IN_CLOSE_NOWRITE 0x10
#define LIBOS_IN_MOVED_FROM 0x40
#define LIBOS_IN_MOVED_TO 0x80
#define LIBOS_IN_CREATE 0x100
#define LIBOS_IN_DELETE 0x200
#define LIBOS_IN_DELETE_SELF 0x400
#define LIBOS_IN_MOVE_SELF 0x800
#define LIBOS_IN_ISDIR 0x40000000
/* Report mask on the object at abs (st: its attributes if known, else
 * NULL) to inotify watches on it and on its directory. */
void libos_fsnotify(const char *abs, const struct linux_stat *st, uint32_t mask, uint32_t cookie)
    __attribute__((weak));
/* True while any inotify watch exists (callers skip extra work if not). */
bool libos_fsnotify_active(void) __attribute__((weak));
static inline bool libos_fsnotify_on(void) {
    return libos_fsnotify_active && libos_fsnotify_active();
}
/* Open file f's last reference goes: drops its flock/OFD locks, reports
 * IN_CLOSE_*. */
void libos_fs2_file_release(struct libos_file *f) __attribute__((weak));
/* close(fd) of f: the process's POSIX record locks on f's file go. */
void libos_fs2_fd_close(struct libos_file *f) __attribute__((weak));
/* fcntl record locks (F_GETLK, F_SETLK(W), F_OFD_*) and seals. */
long libos_fs2_fcntl(struct libos_file *f, int cmd, uint64_t arg) __attribute__((weak));

/* Special files. */
long libos_console_file_new(int fd, pal_handle_t *h, struct libos_file **out);
bool libos_file_is_tty(struct libos_file *f);

#endif
