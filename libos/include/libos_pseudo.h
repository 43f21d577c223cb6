/* Pseudo file systems (/proc, /sys): a static tree of nodes whose files
 * are text produced by callbacks when opened, whose directories may hold
 * dynamic names (/proc/<pid>, /proc/self/fd/<n>) and whose links are
 * resolved by callbacks (/proc/self/exe). libos/fs/pseudo.c walks the tree;
 * procfs.c and sysfs.c describe it. */
#ifndef SABOT_LIBOS_PSEUDO_H
#define SABOT_LIBOS_PSEUDO_H

#include "libos_fs.h"

/* A growing text buffer; on allocation failure it sets oom and stops. */
struct libos_strbuf {
    char *s;
    size_t len, cap;
    bool oom;
};
void libos_strbuf_add(struct libos_strbuf *b, const void *data, size_t n);
void libos_strbuf_printf(struct libos_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void libos_strbuf_free(struct libos_strbuf *b);

enum { LIBOS_PSEUDO_DIR = 1, LIBOS_PSEUDO_FILE, LIBOS_PSEUDO_LINK };
#define LIBOS_PSEUDO_DEPTH 8

struct libos_pseudo_node;
/* A resolved path below a pseudo mount: component i is name[i] matched by
 * node[i]. Callbacks read the names of dynamic components (the pid...). */
struct libos_pseudo_path {
    int depth;
    const char *name[LIBOS_PSEUDO_DEPTH];
    const struct libos_pseudo_node *node[LIBOS_PSEUDO_DEPTH];
    char buf[256];
};

struct libos_pseudo_node {
    const char *name; /* NULL: dynamic names, found with match, listed by list */
    uint8_t type;     /* LIBOS_PSEUDO_*; 0 ends a children array */
    uint16_t perm;    /* 0: 0555 dirs, 0444 files (0644 with write), 0777 links */
    /* Dynamic names: does name exist in directory p? */
    bool (*match)(const struct libos_pseudo_path *p, const char *name);
    /* Dynamic names: add them (ino and type are filled in by the caller). */
    long (*list)(const struct libos_pseudo_path *p, struct libos_dirlist *l);
    const struct libos_pseudo_node *children; /* DIR */
    /* FILE: the whole content, produced at open. */
    long (*read)(const struct libos_pseudo_path *p, struct libos_strbuf *b);
    /* FILE: one write(2) of n bytes; returns n or -errno. */
    long (*write)(const struct libos_pseudo_path *p, const char *buf, size_t n);
    /* LINK: the target. */
    long (*readlink)(const struct libos_pseudo_path *p, struct libos_strbuf *b);
};

/* A pseudo file system: the libos_fs_ops the VFS calls (must stay first)
 * plus its tree. */
struct libos_pseudo_fs {
    struct libos_fs_ops ops;
    const struct libos_pseudo_node *root;
    long create_errno, mkdir_errno; /* what Linux answers for new names */
    uint32_t blksize;
    /* Optional: adjust ownership and the like of what lookup reports. */
    void (*stat_hook)(const struct libos_pseudo_path *p, struct linux_stat *st);
};
#define LIBOS_PSEUDO_FS_OPS(fsname)                                                                \
    {                                                                                              \
        .name = fsname, .lookup = libos_pseudo_lookup, .readlink = libos_pseudo_readlink,          \
        .open = libos_pseudo_open, .mkdir = libos_pseudo_mkdir, .symlink = libos_pseudo_symlink,   \
        .link = libos_pseudo_link, .unlink = libos_pseudo_unlink, .rename = libos_pseudo_rename,   \
        .chmod = libos_pseudo_chmod, .utimes = libos_pseudo_utimes, .list = libos_pseudo_list,     \
    }

long libos_pseudo_lookup(struct libos_mount *m, const char *rel, struct linux_stat *st);
long libos_pseudo_readlink(struct libos_mount *m, const char *rel, char *buf, size_t size);
long libos_pseudo_open(struct libos_mount *m, const char *rel, const struct linux_stat *st,
                       int flags, uint32_t mode, struct libos_file *f);
long libos_pseudo_mkdir(struct libos_mount *m, const char *rel, uint32_t mode);
long libos_pseudo_symlink(struct libos_mount *m, const char *rel, const char *target);
long libos_pseudo_link(struct libos_mount *m, const char *oldrel, const char *newrel);
long libos_pseudo_unlink(struct libos_mount *m, const char *rel, bool dir);
long libos_pseudo_rename(struct libos_mount *m, const char *oldrel, const char *newrel);
long libos_pseudo_chmod(struct libos_mount *m, const char *rel, uint32_t mode);
long libos_pseudo_utimes(struct libos_mount *m, const char *rel, int64_t atime, int64_t mtime);
long libos_pseudo_list(struct libos_mount *m, const char *rel, struct libos_dirlist *l);

/* Helpers for callbacks. */
/* Component i as a decimal number; -1 if it is not one. */
long libos_pseudo_num(const struct libos_pseudo_path *p, int i);
/* "N" with no leading zeros or sign, N < 2^31. */
bool libos_pseudo_is_num(const char *name);

extern const struct libos_pseudo_fs g_proc_fs; /* fs/procfs.c, mounted at /proc */
extern const struct libos_pseudo_fs g_sys_fs;  /* fs/sysfs.c, mounted at /sys */

/* exec.c: what it built for the program, for /proc/self/{exe,cmdline,
 * environ,auxv,stat}. [arg_start, arg_end) and [env_start, env_end) are
 * the NUL-separated strings on the app stack; auxv ends with AT_NULL. */
void libos_procfs_exec(const char *exec_path, uint64_t arg_start, uint64_t arg_end,
                       uint64_t env_start, uint64_t env_end, const uint64_t *auxv,
                       size_t auxv_words);

#endif
