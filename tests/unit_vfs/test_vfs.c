/* Unit tests of the VFS and the file syscalls against a fake PAL over a
 * temporary host directory. Expected values are what Linux returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_pal.h"
#include "host_helpers.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_syscalls.h"

int snprintf(char *s, size_t n, const char *fmt, ...);
char *strstr(const char *h, const char *n);
void free(void *p);

#define EQ(expr, want) assert_int_equal((long)(expr), (long)(want))

static char *g_tmp; /* temp dir */
static char g_root[4200], g_ro[4200], g_data_src[4200];
static struct libos_mount_spec g_specs[4];
static struct libos_manifest g_man;
static struct pal_boot_info g_bi;
static int g_in[2], g_out[2], g_err[2];

static void make_host_tree(void) {
    g_tmp = hh_mkdtemp();
    snprintf(g_root, sizeof(g_root), "%s/root", g_tmp);
    snprintf(g_ro, sizeof(g_ro), "%s/ro", g_tmp);
    hh_mkdir(g_tmp, "root");
    hh_mkdir(g_tmp, "ro");
    hh_mkdir(g_tmp, "outside");
    hh_write(g_tmp, "outside/secret", "secret");
    hh_write(g_root, "file", "hello");
    hh_mkdir(g_root, "dir");
    hh_mkdir(g_root, "dir/sub");
    hh_write(g_root, "dir/a.txt", "aaa");
    hh_symlink("../outside/secret", g_root, "esc_rel");
    char abs[4300];
    snprintf(abs, sizeof(abs), "%s/outside/secret", g_tmp);
    hh_symlink(abs, g_root, "esc_abs");
    hh_symlink("../../../../../../..", g_root, "dir/up");
    hh_symlink("loop2", g_root, "loop1");
    hh_symlink("loop1", g_root, "loop2");
    hh_symlink("self", g_root, "self");
    hh_symlink("dir", g_root, "link_dir");
    hh_symlink("/file", g_root, "link_file");
    hh_symlink("nonexistent", g_root, "dangling");
    hh_symlink("/tmp", g_root, "to_tmp");
    /* c0 -> c1 -> ... -> c40 -> file: c1 needs 40 hops, c0 needs 41. */
    for (int i = 0; i <= 40; i++) {
        char name[16], target[16];
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(target, sizeof(target), i == 40 ? "file" : "c%d", i + 1);
        hh_symlink(target, g_root, name);
    }
    hh_write(g_ro, "rofile", "ro");
    hh_mkdir(g_ro, "rodir");
}

static void boot(int nspecs) {
    hh_pipe(g_in);
    hh_pipe(g_out);
    hh_pipe(g_err);
    g_bi.stdio[0] = fake_pal_handle_from_fd(g_in[0]);
    g_bi.stdio[1] = fake_pal_handle_from_fd(g_out[1]);
    g_bi.stdio[2] = fake_pal_handle_from_fd(g_err[1]);
    g_boot = &g_bi;
    g_man.mounts = g_specs;
    g_man.mount_count = nspecs;
    g_man.cwd = NULL;
    g_manifest = &g_man;
    g_process.umask = 022;
    g_process.rlimits[RLIMIT_NOFILE].rlim_cur = 64;
    fake_pal_reset_log();
    assert_int_equal(libos_vfs_init(), 0);
}

static int setup_rootfs(void **state) {
    make_host_tree();
    g_specs[0] = (struct libos_mount_spec){"/", LIBOS_MOUNT_HOST, g_root, false, 1};
    g_specs[1] = (struct libos_mount_spec){"/ro", LIBOS_MOUNT_HOST, g_ro, true, 2};
    g_specs[2] = (struct libos_mount_spec){"/tmp", LIBOS_MOUNT_TMPFS, NULL, false, 3};
    boot(3);
    return 0;
}

/* No mount at "/": /data (host) and /scratch/tmp (tmpfs) only. */
static int setup_partial(void **state) {
    make_host_tree();
    snprintf(g_data_src, sizeof(g_data_src), "%s", g_root);
    g_specs[0] = (struct libos_mount_spec){"/data", LIBOS_MOUNT_HOST, g_data_src, false, 1};
    g_specs[1] = (struct libos_mount_spec){"/scratch/tmp", LIBOS_MOUNT_TMPFS, NULL, false, 2};
    boot(2);
    return 0;
}

static int teardown(void **state) {
    /* Whatever a test did, no host path outside the mounts was named. */
    int outside = fake_pal_count_outside(g_root, g_ro);
    libos_mounts_reset();
    for (int i = 0; i < 3; i++)
        pal_stream_close(g_bi.stdio[i]); /* closes the pipe end it wraps */
    for (int i = 0; i < 2; i++) {
        hh_close(g_in[i]);
        hh_close(g_out[i]);
        hh_close(g_err[i]);
    }
    hh_rmrf(g_tmp);
    free(g_tmp);
    assert_int_equal(outside, 0);
    return 0;
}

static long stat_ino(const char *path, uint64_t *ino) {
    struct linux_stat st;
    long r = libos_sys_stat(path, &st);
    if (!r)
        *ino = st.st_ino;
    return r;
}

static long read_all(const char *path, char *buf, size_t size) {
    long fd = libos_sys_open(path, O_RDONLY, 0);
    if (fd < 0)
        return fd;
    long n = libos_sys_read(fd, buf, size - 1);
    buf[n < 0 ? 0 : n] = '\0';
    libos_sys_close(fd);
    return n;
}

/* Names in directory path, sorted by listing order, joined by ' '. */
static long list_dir(const char *path, char *out, size_t size, size_t bufsize) {
    long fd = libos_sys_open(path, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0)
        return fd;
    char buf[4096];
    long count = 0;
    out[0] = '\0';
    size_t used = 0;
    for (;;) {
        long n = libos_sys_getdents64(fd, buf, bufsize);
        if (n < 0) {
            libos_sys_close(fd);
            return n;
        }
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            used += snprintf(out + used, size - used, "%s%s", used ? " " : "", d->d_name);
            count++;
            off += d->d_reclen;
        }
    }
    libos_sys_close(fd);
    return count;
}

static bool has_word(const char *list, const char *w) {
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* ------------------------------------------------------------- paths */

static void test_resolve_basic(void **state) {
    uint64_t a, b;
    EQ(stat_ino("/", &a), 0);
    EQ(stat_ino("//", &b), 0);
    EQ(a, b);
    EQ(stat_ino("/..", &b), 0);
    EQ(a, b); /* ".." never goes above "/" */
    EQ(stat_ino("/dir/../..//../.", &b), 0);
    EQ(a, b);
    EQ(stat_ino("/dir/./sub/..", &a), 0);
    EQ(a, hh_ino(g_root, "dir"));
    EQ(stat_ino("/file", &a), 0);
    EQ(a, hh_ino(g_root, "file"));
    EQ(stat_ino("/file/", &a), -ENOTDIR);
    EQ(stat_ino("/file/.", &a), -ENOTDIR);
    EQ(stat_ino("/file/..", &a), -ENOTDIR);
    EQ(stat_ino("/dir/", &a), 0);
    EQ(stat_ino("/missing", &a), -ENOENT);
    EQ(stat_ino("/missing/x", &a), -ENOENT);
    EQ(stat_ino("", &a), -ENOENT);
    EQ(libos_sys_stat(NULL, NULL), -EFAULT);
}

static void test_resolve_relative_and_cwd(void **state) {
    char buf[256];
    EQ(libos_sys_getcwd(buf, sizeof(buf)), 2);
    assert_string_equal(buf, "/");
    EQ(libos_sys_chdir("/link_dir/sub"), 0); /* cwd is the resolved path */
    EQ(libos_sys_getcwd(buf, sizeof(buf)), 9);
    assert_string_equal(buf, "/dir/sub");
    EQ(libos_sys_getcwd(buf, 8), -ERANGE);
    EQ(read_all("../a.txt", buf, sizeof(buf)), 3);
    assert_string_equal(buf, "aaa");
    EQ(libos_sys_chdir("../../file"), -ENOTDIR);
    EQ(libos_sys_chdir("nope"), -ENOENT);
    long dfd = libos_sys_open("/dir", O_RDONLY | O_DIRECTORY, 0);
    assert_true(dfd >= 0);
    EQ(libos_sys_openat(dfd, "a.txt", O_RDONLY, 0) >= 0, 1);
    long ffd = libos_sys_open("/file", O_RDONLY, 0);
    EQ(libos_sys_openat(ffd, "a.txt", O_RDONLY, 0), -ENOTDIR);
    EQ(libos_sys_openat(999, "a.txt", O_RDONLY, 0), -EBADF);
    EQ(libos_sys_openat(999, "/file", O_RDONLY, 0) >= 0, 1); /* absolute: dirfd unused */
    EQ(libos_sys_fchdir(dfd), 0);
    EQ(libos_sys_getcwd(buf, sizeof(buf)), 5);
    assert_string_equal(buf, "/dir");
    EQ(libos_sys_fchdir(ffd), -ENOTDIR);
}

static void test_symlinks(void **state) {
    char buf[256];
    struct linux_stat st;
    EQ(read_all("/link_file", buf, sizeof(buf)), 5);
    assert_string_equal(buf, "hello");
    EQ(read_all("/link_dir/a.txt", buf, sizeof(buf)), 3);
    EQ(libos_sys_lstat("/link_dir", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    EQ(st.st_size, 3);
    EQ(libos_sys_stat("/link_dir", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    EQ(libos_sys_lstat("/link_dir/", &st), 0); /* trailing slash follows */
    assert_true(S_ISDIR(st.st_mode));
    EQ(libos_sys_readlink("/link_file", buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "/file", 5);
    EQ(libos_sys_readlink("/link_file", buf, 2), 2); /* truncated, no NUL */
    EQ(libos_sys_readlink("/file", buf, sizeof(buf)), -EINVAL);
    EQ(libos_sys_readlink("/file", buf, 0), -EINVAL);
    EQ(libos_sys_stat("/dangling", &st), -ENOENT);
    EQ(libos_sys_lstat("/dangling", &st), 0);
    /* O_CREAT through a dangling link creates its target. */
    long fd = libos_sys_open("/dangling", O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_true(hh_exists(g_root, "nonexistent"));
    EQ(libos_sys_open("/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
    EQ(libos_sys_open("/link_file", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
    /* O_PATH|O_NOFOLLOW gives an fd on the link itself. */
    fd = libos_sys_open("/link_file", O_PATH | O_NOFOLLOW, 0);
    assert_true(fd >= 0);
    EQ(libos_sys_fstat(fd, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    EQ(libos_sys_readlinkat(fd, "", buf, sizeof(buf)), 5);
    EQ(libos_sys_read(fd, buf, 1), -EBADF);
    /* Symlink from the host mount into the tmpfs mount. */
    EQ(libos_sys_mkdir("/to_tmp/x", 0755), 0);
    EQ(libos_sys_stat("/tmp/x", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

static void test_symlink_loops(void **state) {
    struct linux_stat st;
    char buf[64];
    EQ(libos_sys_stat("/loop1", &st), -ELOOP);
    EQ(libos_sys_stat("/self", &st), -ELOOP);
    EQ(libos_sys_stat("/self/x", &st), -ELOOP);
    EQ(libos_sys_lstat("/self", &st), 0);
    EQ(libos_sys_open("/loop2", O_RDONLY, 0), -ELOOP);
    EQ(read_all("/c1", buf, sizeof(buf)), 5); /* exactly 40 links */
    EQ(libos_sys_stat("/c0", &st), -ELOOP);   /* 41 */
}

static void test_escapes(void **state) {
    struct linux_stat st;
    char buf[64];
    EQ(libos_sys_stat("/../outside/secret", &st), -ENOENT);
    EQ(libos_sys_stat("/dir/../../outside/secret", &st), -ENOENT);
    EQ(libos_sys_stat("/ro/../../outside/secret", &st), -ENOENT);
    /* Relative and absolute host symlinks resolve inside the libos tree. */
    EQ(libos_sys_stat("/esc_rel", &st), -ENOENT);
    EQ(libos_sys_stat("/esc_abs", &st), -ENOENT);
    EQ(libos_sys_open("/esc_rel", O_RDONLY, 0), -ENOENT);
    EQ(libos_sys_open("/esc_rel", O_CREAT | O_WRONLY, 0644), -ENOENT); /* no /outside dir */
    EQ(libos_sys_stat("/dir/up", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    uint64_t root;
    EQ(stat_ino("/", &root), 0);
    EQ(st.st_ino, root); /* many ".." in a link stop at the libos "/" */
    EQ(read_all("/dir/up/file", buf, sizeof(buf)), 5);
    EQ(libos_sys_stat("/dir/up/../outside/secret", &st), -ENOENT);
    /* The fake PAL log is checked in teardown: nothing outside was named. */
}

static void test_name_too_long(void **state) {
    struct linux_stat st;
    char name[300];
    memset(name, 'a', sizeof(name));
    name[0] = '/';
    name[257] = '\0'; /* 256-char component */
    EQ(libos_sys_stat(name, &st), -ENAMETOOLONG);
    name[256] = '\0'; /* 255 is fine: just missing */
    EQ(libos_sys_stat(name, &st), -ENOENT);
    static char longp[5000];
    for (int i = 0; i < 4998; i += 2)
        memcpy(longp + i, "/.", 2);
    longp[4998] = '\0';
    EQ(libos_sys_stat(longp, &st), -ENAMETOOLONG);
    longp[4094] = '\0';
    EQ(libos_sys_stat(longp, &st), 0);
}

/* ------------------------------------------------------------- mounts */

static void test_mount_boundaries(void **state) {
    struct linux_stat a, b;
    EQ(libos_sys_stat("/tmp", &a), 0);
    EQ(libos_sys_stat("/", &b), 0);
    assert_true(a.st_dev != b.st_dev);
    uint64_t root, up;
    EQ(stat_ino("/", &root), 0);
    EQ(stat_ino("/tmp/..", &up), 0);
    EQ(root, up);
    long fd = libos_sys_open("/tmp/x", O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    EQ(libos_sys_rename("/tmp/x", "/x"), -EXDEV);
    EQ(libos_sys_rename("/file", "/tmp/file"), -EXDEV);
    EQ(libos_sys_rmdir("/tmp"), -EBUSY);
    EQ(libos_sys_rename("/tmp", "/tmp2"), -EBUSY);
    /* The ro mount shows up in "/" only through the host listing or the
     * mount table: both give one entry. */
    char names[4096];
    assert_true(list_dir("/", names, sizeof(names), 4096) > 0);
    assert_true(has_word(names, "ro"));
    assert_true(has_word(names, "tmp"));
    assert_true(has_word(names, "dev"));
    assert_true(has_word(names, "file"));
    assert_true(has_word(names, "."));
    assert_true(has_word(names, ".."));
}

static void test_readonly_mount(void **state) {
    struct linux_stat st;
    char buf[64];
    EQ(read_all("/ro/rofile", buf, sizeof(buf)), 2);
    EQ(libos_sys_open("/ro/rofile", O_WRONLY, 0), -EROFS);
    EQ(libos_sys_open("/ro/rofile", O_RDWR, 0), -EROFS);
    EQ(libos_sys_open("/ro/rofile", O_RDONLY | O_TRUNC, 0), -EROFS);
    EQ(libos_sys_open("/ro/new", O_CREAT | O_WRONLY, 0644), -EROFS);
    long fd = libos_sys_open("/ro/rofile", O_RDONLY | O_CREAT, 0644); /* exists: fine */
    assert_true(fd >= 0);
    EQ(libos_sys_open("/ro/rofile", O_CREAT | O_EXCL | O_RDONLY, 0644), -EEXIST);
    EQ(libos_sys_mkdir("/ro/rodir", 0755), -EEXIST);
    EQ(libos_sys_mkdir("/ro/newdir", 0755), -EROFS);
    EQ(libos_sys_unlink("/ro/rofile"), -EROFS);
    EQ(libos_sys_unlink("/ro/missing"), -ENOENT);
    EQ(libos_sys_rmdir("/ro/rodir"), -EROFS);
    EQ(libos_sys_rename("/ro/rofile", "/ro/x"), -EROFS);
    EQ(libos_sys_chmod("/ro/rofile", 0600), -EROFS);
    EQ(libos_sys_truncate("/ro/rofile", 0), -EROFS);
    EQ(libos_sys_symlink("x", "/ro/lnk"), -EROFS);
    EQ(libos_sys_access("/ro/rofile", W_OK), -EROFS);
    EQ(libos_sys_access("/ro/rofile", R_OK), 0);
    EQ(libos_sys_access("/ro/nope", F_OK), -ENOENT);
    EQ(libos_sys_access("/ro/rofile", 8), -EINVAL);
    EQ(libos_sys_stat("/ro/rofile", &st), 0);
    EQ(st.st_size, 2);
    assert_true(hh_exists(g_ro, "rofile"));
}

static void test_outside_mounts(void **state) {
    struct linux_stat st;
    char names[4096];
    EQ(libos_sys_stat("/", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    EQ(libos_sys_stat("/scratch", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    EQ(libos_sys_stat("/etc", &st), -ENOENT);
    EQ(libos_sys_stat("/scratch/nope", &st), -ENOENT);
    EQ(libos_sys_open("/etc/passwd", O_RDONLY, 0), -ENOENT);
    EQ(libos_sys_mkdir("/newdir", 0755), -EROFS);
    EQ(libos_sys_open("/newfile", O_CREAT | O_WRONLY, 0644), -EROFS);
    EQ(libos_sys_rmdir("/data"), -EBUSY);
    EQ(libos_sys_rmdir("/scratch"), -EBUSY);
    EQ(list_dir("/", names, sizeof(names), 4096), 5);
    assert_string_equal(names, ". .. data scratch dev");
    EQ(list_dir("/scratch", names, sizeof(names), 4096), 3);
    assert_string_equal(names, ". .. tmp");
    char buf[64];
    EQ(read_all("/data/file", buf, sizeof(buf)), 5);
    EQ(read_all("/data/../data/dir/../file", buf, sizeof(buf)), 5);
    /* Host symlink "/file" is absolute in the libos tree: no /file here. */
    EQ(libos_sys_stat("/data/link_file", &st), -ENOENT);
    EQ(libos_sys_getcwd(buf, sizeof(buf)), 2);
}

/* -------------------------------------------------------------- tmpfs */

static void test_tmpfs_files(void **state) {
    char buf[64];
    struct linux_stat st;
    long fd = libos_sys_open("/tmp/f", O_CREAT | O_RDWR, 0666);
    assert_true(fd >= 0);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_mode, S_IFREG | 0644); /* umask 022 */
    EQ(libos_sys_write(fd, "hello world", 11), 11);
    EQ(libos_sys_lseek(fd, 0, SEEK_CUR), 11);
    EQ(libos_sys_lseek(fd, 6, SEEK_SET), 6);
    EQ(libos_sys_read(fd, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "world", 5);
    EQ(libos_sys_read(fd, buf, sizeof(buf)), 0);
    EQ(libos_sys_pread64(fd, buf, 5, 0), 5);
    assert_memory_equal(buf, "hello", 5);
    EQ(libos_sys_pwrite64(fd, "J", 1, 0), 1);
    EQ(libos_sys_lseek(fd, 0, SEEK_CUR), 11); /* pwrite keeps the position */
    EQ(libos_sys_pread64(fd, buf, 5, -1), -EINVAL);
    EQ(libos_sys_lseek(fd, -1, SEEK_SET), -EINVAL);
    EQ(libos_sys_lseek(fd, 0, 7), -EINVAL);
    EQ(libos_sys_lseek(fd, 20, SEEK_SET), 20); /* a hole */
    EQ(libos_sys_write(fd, "!", 1), 1);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_size, 21);
    EQ(libos_sys_pread64(fd, buf, 21, 0), 21);
    assert_memory_equal(buf, "Jello world\0\0\0\0\0\0\0\0\0!", 21);
    EQ(libos_sys_lseek(fd, 0, SEEK_END), 21);
    EQ(libos_sys_ftruncate(fd, 5), 0);
    EQ(libos_sys_lseek(fd, 0, SEEK_END), 5);
    EQ(libos_sys_ftruncate(fd, -1), -EINVAL);
    /* O_APPEND writes at the end whatever the position. */
    long afd = libos_sys_open("/tmp/f", O_WRONLY | O_APPEND, 0);
    EQ(libos_sys_lseek(afd, 0, SEEK_SET), 0);
    EQ(libos_sys_write(afd, "XY", 2), 2);
    EQ(libos_sys_lseek(afd, 0, SEEK_CUR), 7);
    EQ(libos_sys_pread64(fd, buf, 7, 0), 7);
    assert_memory_equal(buf, "JelloXY", 7);
    /* Unlinked while open: data stays reachable through the fd. */
    EQ(libos_sys_unlink("/tmp/f"), 0);
    EQ(libos_sys_stat("/tmp/f", &st), -ENOENT);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_nlink, 0);
    EQ(libos_sys_pread64(fd, buf, 7, 0), 7);
    EQ(libos_sys_close(fd), 0);
    EQ(libos_sys_close(afd), 0);
    EQ(libos_sys_close(afd), -EBADF);
    /* O_TRUNC, O_EXCL */
    fd = libos_sys_open("/tmp/g", O_CREAT | O_WRONLY, 0600);
    EQ(libos_sys_write(fd, "abc", 3), 3);
    EQ(libos_sys_read(fd, buf, 1), -EBADF);
    EQ(libos_sys_open("/tmp/g", O_CREAT | O_EXCL | O_WRONLY, 0600), -EEXIST);
    long tfd = libos_sys_open("/tmp/g", O_RDONLY | O_TRUNC, 0);
    EQ(libos_sys_write(tfd, "x", 1), -EBADF);
    EQ(libos_sys_fstat(tfd, &st), 0);
    EQ(st.st_size, 0);
    EQ(libos_sys_truncate("/tmp/g", 100), 0);
    EQ(libos_sys_stat("/tmp/g", &st), 0);
    EQ(st.st_size, 100);
    EQ(libos_sys_chmod("/tmp/g", 0400), 0);
    EQ(libos_sys_stat("/tmp/g", &st), 0);
    EQ(st.st_mode & 07777, 0400);
    EQ(libos_sys_fchmod(fd, 0640), 0);
    EQ(libos_sys_stat("/tmp/g", &st), 0);
    EQ(st.st_mode & 07777, 0640);
}

static void test_tmpfs_dirs(void **state) {
    struct linux_stat st;
    char names[1024];
    EQ(libos_sys_mkdir("/tmp/d", 0777), 0);
    EQ(libos_sys_mkdir("/tmp/d", 0777), -EEXIST);
    EQ(libos_sys_mkdir("/tmp/d/", 0777), -EEXIST);
    EQ(libos_sys_mkdir("/tmp/e/", 0777), 0); /* trailing slash is fine for mkdir */
    EQ(libos_sys_mkdir("/tmp/nope/x", 0777), -ENOENT);
    EQ(libos_sys_stat("/tmp/d", &st), 0);
    EQ(st.st_mode, S_IFDIR | 0755);
    EQ(st.st_nlink, 2);
    EQ(libos_sys_mkdir("/tmp/d/s1", 0755), 0);
    EQ(libos_sys_stat("/tmp/d", &st), 0);
    EQ(st.st_nlink, 3);
    long fd = libos_sys_open("/tmp/d/f", O_CREAT | O_WRONLY, 0644);
    libos_sys_close(fd);
    EQ(libos_sys_symlink("f", "/tmp/d/l"), 0);
    EQ(libos_sys_symlink("f", "/tmp/d/l"), -EEXIST);
    EQ(libos_sys_symlink("", "/tmp/d/l2"), -ENOENT);
    char buf[16];
    EQ(libos_sys_readlink("/tmp/d/l", buf, sizeof(buf)), 1);
    EQ(list_dir("/tmp/d", names, sizeof(names), 4096), 5);
    assert_string_equal(names, ". .. s1 f l");
    EQ(libos_sys_rmdir("/tmp/d"), -ENOTEMPTY);
    EQ(libos_sys_rmdir("/tmp/d/f"), -ENOTDIR);
    EQ(libos_sys_rmdir("/tmp/d/."), -EINVAL);
    EQ(libos_sys_rmdir("/tmp/d/s1/.."), -ENOTEMPTY);
    EQ(libos_sys_unlink("/tmp/d/s1"), -EISDIR);
    EQ(libos_sys_unlink("/tmp/d/f/"), -ENOTDIR);
    EQ(libos_sys_unlinkat(AT_FDCWD, "/tmp/d/s1", AT_REMOVEDIR), 0);
    EQ(libos_sys_unlinkat(AT_FDCWD, "/tmp/d/f", 0x1), -EINVAL);
    EQ(libos_sys_stat("/tmp/d", &st), 0);
    EQ(st.st_nlink, 2);
    /* rename semantics */
    EQ(libos_sys_mkdir("/tmp/d/s2", 0755), 0);
    EQ(libos_sys_rename("/tmp/d", "/tmp/d/s2/x"), -EINVAL);
    EQ(libos_sys_rename("/tmp/d/s2", "/tmp/d/f"), -ENOTDIR);
    EQ(libos_sys_rename("/tmp/d/f", "/tmp/d/s2"), -EISDIR);
    EQ(libos_sys_rename("/tmp/d/f", "/tmp/d/f2/"), -ENOTDIR);
    EQ(libos_sys_rename("/tmp/d/f", "/tmp/d/f"), 0);
    EQ(libos_sys_rename("/tmp/e", "/tmp/d"), -ENOTEMPTY);
    EQ(libos_sys_renameat2(AT_FDCWD, "/tmp/d/f", AT_FDCWD, "/tmp/d/l", RENAME_NOREPLACE), -EEXIST);
    EQ(libos_sys_rename("/tmp/d/f", "/tmp/d/l"), 0); /* replaces the link */
    EQ(libos_sys_lstat("/tmp/d/l", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    EQ(libos_sys_rename("/tmp/d/s2", "/tmp/e"), 0); /* over an empty dir */
    EQ(list_dir("/tmp/d", names, sizeof(names), 4096), 3);
    assert_string_equal(names, ". .. l");
    EQ(libos_sys_rename("/tmp/missing", "/tmp/x"), -ENOENT);
    EQ(libos_sys_rename(".", "/tmp/x"), -EBUSY);
}

static void test_getdents_resume(void **state) {
    char names[4096];
    /* 30 files: read with a buffer that holds only a few records. */
    for (int i = 0; i < 30; i++) {
        char p[32];
        snprintf(p, sizeof(p), "/tmp/file%02d", i);
        libos_sys_close(libos_sys_open(p, O_CREAT | O_WRONLY, 0644));
    }
    EQ(list_dir("/tmp", names, sizeof(names), 100), 32);
    EQ(list_dir("/tmp", names, sizeof(names), 4096), 32);
    long fd = libos_sys_open("/tmp", O_RDONLY | O_DIRECTORY, 0);
    char buf[4096];
    EQ(libos_sys_getdents64(fd, buf, 10), -EINVAL); /* too small for one entry */
    long n = libos_sys_getdents64(fd, buf, 80);
    assert_true(n > 0);
    struct linux_dirent64 *d = (void *)buf;
    int64_t first_off = d->d_off;
    n = libos_sys_getdents64(fd, buf, sizeof(buf));
    d = (void *)buf;
    char second[64];
    snprintf(second, sizeof(second), "%s", d->d_name);
    /* Seek back to a d_off and get the same entry again. */
    EQ(libos_sys_lseek(fd, first_off, SEEK_SET), first_off);
    n = libos_sys_getdents64(fd, buf, sizeof(buf));
    d = (void *)buf;
    assert_true(n > 0);
    long fresh = libos_sys_open("/tmp/zzz", O_CREAT | O_WRONLY, 0644);
    libos_sys_close(fresh);
    /* Rewind sees the new file. */
    EQ(libos_sys_lseek(fd, 0, SEEK_SET), 0);
    long total = 0;
    bool seen = false;
    while ((n = libos_sys_getdents64(fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n; off += ((struct linux_dirent64 *)(buf + off))->d_reclen) {
            struct linux_dirent64 *e = (void *)(buf + off);
            total++;
            if (!strcmp(e->d_name, "zzz")) {
                seen = true;
                EQ(e->d_type, DT_REG);
            }
        }
    EQ(total, 33);
    assert_true(seen);
    EQ(libos_sys_read(fd, buf, 1), -EISDIR);
    long ffd = libos_sys_open("/tmp/zzz", O_RDONLY, 0);
    EQ(libos_sys_getdents64(ffd, buf, sizeof(buf)), -ENOTDIR);
    EQ(libos_sys_getdents64(1234, buf, sizeof(buf)), -EBADF);
}

static void test_host_dir_listing(void **state) {
    char names[8192];
    long n = list_dir("/dir", names, sizeof(names), 64);
    EQ(n, 5);
    assert_true(has_word(names, "sub"));
    assert_true(has_word(names, "a.txt"));
    assert_true(has_word(names, "up"));
    long fd = libos_sys_open("/dir", O_RDONLY | O_DIRECTORY, 0);
    char buf[4096];
    n = libos_sys_getdents64(fd, buf, sizeof(buf));
    for (long off = 0; off < n;) {
        struct linux_dirent64 *d = (void *)(buf + off);
        if (!strcmp(d->d_name, "sub"))
            EQ(d->d_type, DT_DIR);
        if (!strcmp(d->d_name, "a.txt")) {
            EQ(d->d_type, DT_REG);
            EQ(d->d_ino, hh_ino(g_root, "dir/a.txt"));
        }
        if (!strcmp(d->d_name, "up"))
            EQ(d->d_type, DT_LNK);
        off += d->d_reclen;
    }
}

static void test_mmap_tmpfs(void **state) {
    long fd = libos_sys_open("/tmp/m", O_CREAT | O_RDWR, 0644);
    EQ(libos_sys_write(fd, "mapped data", 11), 11);
    struct libos_file *f = libos_fd_get(fd);
    void *addr = NULL;
    EQ(f->ops->mmap(f, &addr, 8192, PROT_READ, MAP_PRIVATE, 0), 0);
    assert_memory_equal(addr, "mapped data", 11);
    assert_int_equal(((char *)addr)[11], 0);
    /* MAP_SHARED maps the memory file: coherent with read/write. */
    void *a2 = NULL;
    EQ(f->ops->mmap(f, &a2, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0), 0);
    assert_memory_equal(a2, "mapped data", 11);
    EQ(libos_sys_pwrite64(fd, "MAPPED", 6, 0), 6);
    assert_memory_equal(a2, "MAPPED data", 11);
    memcpy((char *)a2 + 7, "DATA", 4);
    char buf[16] = {0};
    EQ(libos_sys_pread64(fd, buf, 11, 0), 11);
    assert_string_equal(buf, "MAPPED DATA");
    libos_file_put(f);
    /* A hard link names the same inode; the data outlives both names. */
    EQ(libos_sys_link("/tmp/m", "/tmp/m2"), 0);
    struct linux_stat st;
    EQ(libos_sys_stat("/tmp/m2", &st), 0);
    EQ(st.st_nlink, 2);
    EQ(st.st_size, 11);
    EQ(libos_sys_unlink("/tmp/m"), 0);
    EQ(libos_sys_unlink("/tmp/m2"), 0);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_nlink, 0);
    memset(buf, 0, sizeof(buf));
    EQ(libos_sys_pread64(fd, buf, 6, 0), 6);
    assert_string_equal(buf, "MAPPED");
    /* Each open has a position of its own. */
    long a = libos_sys_open("/tmp/p", O_CREAT | O_RDWR, 0644);
    long b = libos_sys_open("/tmp/p", O_RDWR, 0);
    EQ(libos_sys_write(a, "abc", 3), 3);
    EQ(libos_sys_lseek(b, 0, SEEK_CUR), 0);
    EQ(libos_sys_read(b, buf, 2), 2);
    EQ(libos_sys_lseek(a, 0, SEEK_CUR), 3);
    EQ(libos_sys_lseek(b, 0, SEEK_CUR), 2);
    EQ(libos_sys_close(a), 0);
    EQ(libos_sys_close(b), 0);
    EQ(libos_sys_close(fd), 0);
    /* host files go through pal_stream_map */
    long hfd = libos_sys_open("/file", O_RDONLY, 0);
    f = libos_fd_get(hfd);
    void *a3 = NULL;
    EQ(f->ops->mmap(f, &a3, 4096, PROT_READ, MAP_PRIVATE, 0), 0);
    assert_memory_equal(a3, "hello", 5);
    void *a4 = NULL;
    EQ(f->ops->mmap(f, &a4, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0), -EACCES);
    libos_file_put(f);
}

/* A PAL without memory files: tmpfs data in the heap, MAP_SHARED refused. */
static void test_tmpfs_heap_data(void **state) {
    g_fake_pal_no_memfd = true;
    long fd = libos_sys_open("/tmp/h", O_CREAT | O_RDWR, 0644);
    EQ(libos_sys_write(fd, "heap data", 9), 9);
    EQ(libos_sys_lseek(fd, 5, SEEK_SET), 5);
    char buf[16] = {0};
    EQ(libos_sys_read(fd, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "data");
    struct libos_file *f = libos_fd_get(fd);
    void *a = NULL;
    EQ(f->ops->mmap(f, &a, 4096, PROT_READ, MAP_PRIVATE, 0), 0);
    assert_memory_equal(a, "heap data", 9);
    EQ(f->ops->mmap(f, &a, 4096, PROT_READ, MAP_SHARED, 0), -ENODEV);
    libos_file_put(f);
    EQ(libos_sys_link("/tmp/h", "/tmp/h2"), 0);
    EQ(libos_sys_unlink("/tmp/h"), 0);
    EQ(libos_sys_ftruncate(fd, 4), 0);
    struct linux_stat st;
    EQ(libos_sys_stat("/tmp/h2", &st), 0);
    EQ(st.st_size, 4);
    EQ(st.st_nlink, 1);
    EQ(libos_sys_close(fd), 0);
    g_fake_pal_no_memfd = false;
}

/* ------------------------------------------------------------- host files */

static void test_host_files(void **state) {
    char buf[64];
    struct linux_stat st;
    long fd = libos_sys_open("/new.txt", O_CREAT | O_EXCL | O_RDWR, 0666);
    assert_true(fd >= 0);
    EQ(libos_sys_write(fd, "12345", 5), 5);
    EQ(hh_read(g_root, "new.txt", buf, sizeof(buf)), 5);
    assert_string_equal(buf, "12345");
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_size, 5);
    EQ(st.st_mode, S_IFREG | 0644);
    EQ(st.st_ino, hh_ino(g_root, "new.txt"));
    EQ(libos_sys_lseek(fd, -2, SEEK_END), 3);
    EQ(libos_sys_read(fd, buf, 10), 2);
    assert_memory_equal(buf, "45", 2);
    EQ(libos_sys_ftruncate(fd, 2), 0);
    EQ(hh_read(g_root, "new.txt", buf, sizeof(buf)), 2);
    long afd = libos_sys_open("/new.txt", O_WRONLY | O_APPEND, 0);
    EQ(libos_sys_write(afd, "ab", 2), 2);
    EQ(libos_sys_lseek(afd, 0, SEEK_CUR), 4);
    long wfd = libos_sys_open("/new.txt", O_WRONLY, 0);
    EQ(libos_sys_write(wfd, "Z", 1), 1);
    EQ(libos_sys_fcntl(wfd, F_SETFL, O_APPEND), 0); /* append turned on later */
    EQ(libos_sys_write(wfd, "!", 1), 1);
    EQ(libos_sys_lseek(wfd, 0, SEEK_CUR), 5);
    EQ(hh_read(g_root, "new.txt", buf, sizeof(buf)), 5);
    assert_string_equal(buf, "Z2ab!");
    EQ(libos_sys_open("/new.txt", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
    EQ(libos_sys_open("/dir", O_WRONLY, 0), -EISDIR);
    EQ(libos_sys_open("/dir", O_RDONLY | O_CREAT, 0644), -EISDIR);
    EQ(libos_sys_open("/newdir/", O_CREAT | O_WRONLY, 0644), -EISDIR);
    EQ(libos_sys_open("/x", O_CREAT | O_DIRECTORY | O_RDONLY, 0644), -EINVAL);
    EQ(libos_sys_open("/nope/x", O_CREAT | O_WRONLY, 0644), -ENOENT);
    EQ(libos_sys_open("/nope", O_RDONLY, 0), -ENOENT);
    EQ(libos_sys_fcntl(fd, F_GETFL, 0), O_RDWR | O_LARGEFILE);
    /* rename, unlink, mkdir, rmdir on the host */
    EQ(libos_sys_rename("/new.txt", "/dir/moved"), 0);
    assert_true(hh_exists(g_root, "dir/moved"));
    assert_false(hh_exists(g_root, "new.txt"));
    EQ(libos_sys_rename("/dir", "/dir/sub/x"), -EINVAL);
    EQ(libos_sys_mkdir("/hd", 0700), 0);
    EQ(libos_sys_stat("/hd", &st), 0);
    EQ(st.st_mode, S_IFDIR | 0700);
    EQ(libos_sys_rmdir("/dir"), -ENOTEMPTY);
    EQ(libos_sys_rmdir("/hd"), 0);
    EQ(libos_sys_unlink("/dir/moved"), 0);
    assert_false(hh_exists(g_root, "dir/moved"));
    EQ(libos_sys_chmod("/file", 0600), 0);
    EQ(libos_sys_stat("/file", &st), 0);
    EQ(st.st_mode & 0777, 0600);
    EQ(libos_sys_symlink("file", "/hostlink"), 0);
    char lbuf[16];
    EQ(libos_sys_readlink("/hostlink", lbuf, sizeof(lbuf)), 4);
    assert_memory_equal(lbuf, "file", 4);
    EQ(libos_sys_symlink("file", "/hostlink"), -EEXIST);
    EQ(libos_sys_link("/file", "/hardlink"), 0);
    EQ(libos_sys_stat("/hardlink", &st), 0);
    EQ(st.st_ino, hh_ino(g_root, "file"));
    EQ(st.st_nlink, 2);
    EQ(libos_sys_link("/dir", "/dirlink"), -EPERM);
    EQ(libos_sys_link("/missing", "/x"), -ENOENT);
    EQ(libos_sys_unlink("/hardlink"), 0);
    EQ(libos_sys_unlink("/hostlink"), 0);
    struct linux_statx sx;
    EQ(libos_sys_statx(AT_FDCWD, "/file", 0, STATX_BASIC_STATS, &sx), 0);
    EQ(sx.stx_size, 5);
    EQ(sx.stx_ino, hh_ino(g_root, "file"));
    EQ(libos_sys_statx(AT_FDCWD, "/link_file", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx), 0);
    assert_true(S_ISLNK(sx.stx_mode));
    long dfd = libos_sys_open("/dir", O_RDONLY, 0);
    EQ(libos_sys_newfstatat(dfd, "", &st, AT_EMPTY_PATH), 0);
    EQ(st.st_ino, hh_ino(g_root, "dir"));
    EQ(libos_sys_newfstatat(dfd, "", &st, 0), -ENOENT);
    EQ(libos_sys_newfstatat(dfd, "a.txt", &st, 0x8000), -EINVAL);
    EQ(libos_sys_fsync(fd), 0);
}

/* ------------------------------------------------------------- fd table */

static void test_fd_table(void **state) {
    long a = libos_sys_open("/file", O_RDONLY | O_CLOEXEC, 0);
    EQ(a, 3); /* lowest free after stdio */
    EQ(libos_sys_fcntl(a, F_GETFD, 0), FD_CLOEXEC);
    long b = libos_sys_dup(a);
    EQ(b, 4);
    EQ(libos_sys_fcntl(b, F_GETFD, 0), 0); /* dup clears close-on-exec */
    /* dup shares the position */
    char c;
    EQ(libos_sys_read(a, &c, 1), 1);
    EQ(libos_sys_lseek(b, 0, SEEK_CUR), 1);
    EQ(libos_sys_dup2(a, 10), 10);
    EQ(libos_sys_dup2(a, a), a);
    EQ(libos_sys_dup2(99, 99), -EBADF);
    EQ(libos_sys_dup3(a, a, 0), -EINVAL);
    EQ(libos_sys_dup3(a, 11, O_CLOEXEC), 11);
    EQ(libos_sys_fcntl(11, F_GETFD, 0), FD_CLOEXEC);
    EQ(libos_sys_dup3(a, 12, O_RDWR), -EINVAL);
    EQ(libos_sys_dup2(a, 64), -EBADF); /* RLIMIT_NOFILE is 64 */
    EQ(libos_sys_fcntl(a, F_DUPFD, 20), 20);
    EQ(libos_sys_fcntl(a, F_DUPFD, 20), 21);
    EQ(libos_sys_fcntl(a, F_DUPFD, 64), -EINVAL);
    EQ(libos_sys_fcntl(a, F_DUPFD_CLOEXEC, 0), 5);
    EQ(libos_sys_fcntl(5, F_GETFD, 0), FD_CLOEXEC);
    EQ(libos_sys_fcntl(5, F_SETFD, 0), 0);
    EQ(libos_sys_fcntl(5, F_GETFD, 0), 0);
    EQ(libos_sys_ioctl(5, FIOCLEX, 0), 0);
    EQ(libos_sys_fcntl(5, F_GETFD, 0), FD_CLOEXEC);
    EQ(libos_sys_fcntl(5, 9999, 0), -EINVAL);
    EQ(libos_sys_fcntl(77, F_GETFD, 0), -EBADF);
    EQ(libos_sys_close(4), 0);
    EQ(libos_sys_open("/file", O_RDONLY, 0), 4); /* reuse the lowest */
    /* Fill the table up to the limit. */
    long last = 0, r;
    while ((r = libos_sys_open("/file", O_RDONLY, 0)) >= 0)
        last = r;
    EQ(r, -EMFILE);
    EQ(last, 63);
    EQ(libos_sys_dup(a), -EMFILE);
    libos_fd_close_on_exec();
    EQ(libos_sys_fcntl(a, F_GETFD, 0), -EBADF);
    EQ(libos_sys_fcntl(11, F_GETFD, 0), -EBADF);
    EQ(libos_sys_fcntl(10, F_GETFD, 0), 0);
    EQ(libos_sys_umask(077), 022);
    EQ(libos_sys_umask(022), 077);
}

/* ------------------------------------------------------------- devices */

static void test_dev(void **state) {
    char buf[64];
    struct linux_stat st;
    long fd = libos_sys_open("/dev/null", O_RDWR, 0);
    assert_true(fd >= 0);
    EQ(libos_sys_read(fd, buf, sizeof(buf)), 0);
    EQ(libos_sys_write(fd, "x", 1), 1);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_mode, S_IFCHR | 0666);
    EQ(st.st_rdev, libos_makedev(1, 3));
    EQ(libos_sys_lseek(fd, 100, SEEK_SET), 0);
    fd = libos_sys_open("/dev/zero", O_RDONLY, 0);
    memset(buf, 1, sizeof(buf));
    EQ(libos_sys_read(fd, buf, 16), 16);
    for (int i = 0; i < 16; i++)
        EQ(buf[i], 0);
    fd = libos_sys_open("/dev/full", O_WRONLY, 0);
    EQ(libos_sys_write(fd, "x", 1), -ENOSPC);
    fd = libos_sys_open("/dev/urandom", O_RDONLY, 0);
    char r1[16], r2[16];
    EQ(libos_sys_read(fd, r1, 16), 16);
    EQ(libos_sys_read(fd, r2, 16), 16);
    assert_memory_not_equal(r1, r2, 16);
    EQ(libos_sys_open("/dev/newfile", O_CREAT | O_WRONLY, 0644), -EACCES);
    EQ(libos_sys_stat("/dev/nope", &st), -ENOENT);
    char names[1024];
    assert_true(list_dir("/dev", names, sizeof(names), 4096) >= 11);
    assert_true(has_word(names, "null"));
    assert_true(has_word(names, "urandom"));
    /* /dev/tty: the stdio here are pipes, so there is no terminal. */
    EQ(libos_sys_open("/dev/tty", O_RDWR, 0), -ENXIO);
}

static void test_console(void **state) {
    char buf[64];
    EQ(libos_sys_write(1, "out", 3), 3);
    EQ(hh_read_fd(g_out[0], buf, sizeof(buf)), 3);
    assert_string_equal(buf, "out");
    struct linux_iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    EQ(libos_sys_writev(2, iov, 2), 4);
    EQ(hh_read_fd(g_err[0], buf, sizeof(buf)), 4);
    assert_string_equal(buf, "abcd");
    EQ(libos_sys_writev(2, iov, -1), -EINVAL);
    EQ(libos_sys_writev(2, iov, 1025), -EINVAL);
    hh_write_fd(g_in[1], "input");
    int pending = -1;
    EQ(libos_sys_ioctl(0, FIONREAD, (uint64_t)&pending), 0);
    EQ(pending, 5);
    char x[3], y[8];
    struct linux_iovec riov[2] = {{x, 3}, {y, 8}};
    EQ(libos_sys_readv(0, riov, 2), 5);
    assert_memory_equal(x, "inp", 3);
    assert_memory_equal(y, "ut", 2);
    EQ(libos_sys_read(1, buf, 1), -EBADF);
    EQ(libos_sys_write(0, "x", 1), -EBADF);
    EQ(libos_sys_lseek(1, 0, SEEK_SET), -ESPIPE);
    EQ(libos_sys_pwrite64(1, "x", 1, 0), -ESPIPE);
    struct linux_termios t;
    EQ(libos_sys_ioctl(1, TCGETS, (uint64_t)&t), -ENOTTY); /* a pipe is no tty */
    struct linux_winsize ws;
    EQ(libos_sys_ioctl(1, TIOCGWINSZ, (uint64_t)&ws), -ENOTTY);
    EQ(libos_sys_ioctl(3, TCGETS, (uint64_t)&t), -EBADF);
    long ffd = libos_sys_open("/file", O_RDONLY, 0);
    EQ(libos_sys_ioctl(ffd, TCGETS, (uint64_t)&t), -ENOTTY);
    EQ(libos_sys_ioctl(ffd, FIONREAD, (uint64_t)&pending), 0);
    EQ(pending, 5);
    EQ(libos_sys_fsync(1), -EINVAL);
    /* /dev/stdout is fd 1's console again. */
    long sfd = libos_sys_open("/dev/stdout", O_WRONLY, 0);
    assert_true(sfd >= 0);
    EQ(libos_sys_write(sfd, "again", 5), 5);
    EQ(hh_read_fd(g_out[0], buf, sizeof(buf)), 5);
    assert_string_equal(buf, "again");
    /* Closing fd 1 makes /dev/stdout vanish, as /proc/self/fd/1 would. */
    EQ(libos_sys_close(1), 0);
    struct linux_stat st;
    EQ(libos_sys_stat("/dev/stdout", &st), -ENOENT);
    EQ(libos_sys_dup2(ffd, 1), 1);
    long rfd = libos_sys_open("/dev/stdout", O_RDONLY, 0); /* reopen of /file */
    EQ(libos_sys_read(rfd, buf, sizeof(buf)), 5);
    EQ(libos_sys_fcntl(1, F_GETFL, 0), O_RDONLY | O_LARGEFILE);
    EQ(libos_sys_fcntl(sfd, F_GETFL, 0), O_WRONLY | O_LARGEFILE);
    EQ(libos_sys_ioctl(sfd, FIONBIO, (uint64_t) & (int){1}), 0);
    EQ(libos_sys_fcntl(sfd, F_GETFL, 0), O_WRONLY | O_LARGEFILE | O_NONBLOCK);
}

static void test_host_path(void **state) {
    char buf[4200], want[4300];
    long fd = libos_sys_open("/dir/a.txt", O_RDONLY, 0);
    struct libos_file *f = libos_fd_get(fd);
    snprintf(want, sizeof(want), "%s/dir/a.txt", g_root);
    EQ(libos_vfs_host_path(f, buf, sizeof(buf)), strlen(want));
    assert_string_equal(buf, want);
    EQ(libos_vfs_host_path(f, buf, 10), -ENAMETOOLONG);
    libos_file_put(f);
    fd = libos_sys_open("/tmp/t", O_CREAT | O_RDWR, 0600);
    f = libos_fd_get(fd);
    EQ(libos_vfs_host_path(f, buf, sizeof(buf)), -ENOENT);
    libos_file_put(f);
}

static void test_access(void **state) {
    g_process.uid = g_process.euid = 1000;
    g_process.gid = g_process.egid = 1000;
    EQ(libos_sys_open("/tmp/p", O_CREAT | O_WRONLY, 0640) >= 0, 1);
    EQ(libos_sys_access("/tmp/p", R_OK | W_OK), 0);
    EQ(libos_sys_access("/tmp/p", X_OK), -EACCES);
    EQ(libos_sys_chmod("/tmp/p", 0004), 0);
    EQ(libos_sys_access("/tmp/p", R_OK), -EACCES); /* owner bits apply, not other */
    g_process.euid = 0;
    EQ(libos_sys_faccessat2(AT_FDCWD, "/tmp/p", R_OK | W_OK, AT_EACCESS), 0);
    EQ(libos_sys_faccessat2(AT_FDCWD, "/tmp/p", X_OK, AT_EACCESS), -EACCES);
    EQ(libos_sys_faccessat2(AT_FDCWD, "/tmp/p", R_OK, 0x8000), -EINVAL);
    g_process.uid = g_process.euid = g_process.gid = g_process.egid = 0;
}

static void test_utimensat(void **state) {
    struct linux_stat st;
    struct linux_timespec ts[2] = {{1000, 5}, {2000, 7}};
    EQ(libos_sys_utimensat(AT_FDCWD, "/file", ts, 0), 0);
    EQ(libos_sys_stat("/file", &st), 0);
    EQ(st.st_atim.tv_sec, 1000);
    EQ(st.st_mtim.tv_sec, 2000);
    EQ(st.st_mtim.tv_nsec, 7);
    ts[0].tv_nsec = (1L << 30) - 2; /* UTIME_OMIT */
    ts[1].tv_sec = 3000;
    EQ(libos_sys_utimensat(AT_FDCWD, "/file", ts, 0), 0);
    EQ(libos_sys_stat("/file", &st), 0);
    EQ(st.st_atim.tv_sec, 1000);
    EQ(st.st_mtim.tv_sec, 3000);
    long fd = libos_sys_open("/tmp/u", O_CREAT | O_WRONLY, 0644);
    EQ(libos_sys_utimensat(fd, NULL, ts, 0), 0);
    EQ(libos_sys_fstat(fd, &st), 0);
    EQ(st.st_mtim.tv_sec, 3000);
    ts[1].tv_nsec = 1000000000;
    EQ(libos_sys_utimensat(AT_FDCWD, "/tmp/u", ts, 0), -EINVAL);
    EQ(libos_sys_utimensat(AT_FDCWD, "/tmp/u", NULL, 0x8000), -EINVAL);
    EQ(libos_sys_utimensat(AT_FDCWD, "/tmp/missing", NULL, 0), -ENOENT);
    EQ(libos_sys_utimensat(AT_FDCWD, "/ro/rofile", NULL, 0), -EROFS);
    EQ(libos_sys_utimensat(AT_FDCWD, "/tmp/u", NULL, 0), 0);
    EQ(libos_sys_stat("/tmp/u", &st), 0);
    assert_true(st.st_mtim.tv_sec > 1700000000); /* now */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve_basic, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_relative_and_cwd, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_loops, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_escapes, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_name_too_long, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_mount_boundaries, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_mount, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_outside_mounts, setup_partial, teardown),
        cmocka_unit_test_setup_teardown(test_tmpfs_files, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_tmpfs_dirs, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_getdents_resume, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_host_dir_listing, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_tmpfs, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_tmpfs_heap_data, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_host_files, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_fd_table, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_dev, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_console, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_host_path, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_access, setup_rootfs, teardown),
        cmocka_unit_test_setup_teardown(test_utimensat, setup_rootfs, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
