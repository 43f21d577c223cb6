/* Escape attempts, driven by the test script: each argument is one
 * operation "OP|ARG...|EXPECT" run in order, e.g.
 *     "read|/../../etc/passwd|=JAIL"    "unlink|/x/victim|EROFS"
 * EXPECT is "ok", an errno name (the exact Linux error), "=TEXT" (success
 * and the file / link / cwd / listing equals TEXT) or "!TEXT" (the result,
 * whatever it is, does not contain TEXT). "SABOT~NATIVE" gives two
 * expectations: the first applies under sabot, the second when the program runs
 * natively (first argument --native; the script then runs it in a chroot
 * and mount namespace equivalent to the manifest, so Linux checks the
 * expectations). Exits 1 if any expectation fails. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sec.h"

#define MAXF 5

static int g_native;

/* linux/openat2.h (musl-gcc has no kernel headers) */
struct open_how {
    unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, comma-separated names in DIR without . and .. */
static int list_dir(const char *dir, char *out, size_t size) {
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", names[i]);
        free(names[i]);
    }
    return 0;
}

static int read_file(int fd, char *out, size_t size) {
    ssize_t n = read(fd, out, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    out[n] = '\0';
    if (n > 0 && out[n - 1] == '\n')
        out[n - 1] = '\0';
    return 0;
}

/* connect|bind|sendto over tcp|udp to ADDR (IPv4 or IPv6) and PORT. */
static int net_op(const char *op, const char *proto, const char *addr, int port) {
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
    int v6 = strchr(addr, ':') != NULL;
    if (v6 ? inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1
           : inet_pton(AF_INET, addr, &a4.sin_addr) != 1) {
        errno = EINVAL;
        return -2;
    }
    struct sockaddr *sa = v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4;
    socklen_t len = v6 ? sizeof(a6) : sizeof(a4);
    int s = socket(v6 ? AF_INET6 : AF_INET, strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (s < 0)
        return -1;
    int r;
    if (!strcmp(op, "connect"))
        r = connect(s, sa, len);
    else if (!strcmp(op, "bind"))
        r = bind(s, sa, len) ? -1 : (strcmp(proto, "udp") ? listen(s, 1) : 0);
    else
        r = sendto(s, "ESCAPED", 7, 0, sa, len) == 7 ? 0 : -1;
    int e = errno;
    close(s);
    errno = e;
    return r;
}

/* Runs one operation; returns 0 or -1 with errno, text results in out. */
static int run_op(char **f, int nf, char *out, size_t size) {
    const char *op = f[0];
    out[0] = '\0';
    if (!strcmp(op, "read") && nf == 2) {
        int fd = open(f[1], O_RDONLY);
        return fd < 0 ? -1 : read_file(fd, out, size);
    }
    if (!strcmp(op, "readat") && nf == 3) { /* openat relative to an opened dir */
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        int fd = openat(dfd, f[2], O_RDONLY);
        int e = errno;
        close(dfd);
        errno = e;
        return fd < 0 ? -1 : read_file(fd, out, size);
    }
    if (!strcmp(op, "write") && nf == 2) {
        int fd = open(f[1], O_WRONLY);
        if (fd < 0)
            return -1;
        int r = write(fd, "ESCAPED", 7) == 7 ? 0 : -1;
        close(fd);
        return r;
    }
    if (!strcmp(op, "create") && nf == 2) {
        int fd = open(f[1], O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            return -1;
        close(fd);
        return 0;
    }
    if (!strcmp(op, "trunc") && nf == 2)
        return truncate(f[1], 0);
    if (!strcmp(op, "unlink") && nf == 2)
        return unlink(f[1]);
    if (!strcmp(op, "mkdir") && nf == 2)
        return mkdir(f[1], 0755);
    if (!strcmp(op, "rmdir") && nf == 2)
        return rmdir(f[1]);
    if (!strcmp(op, "chmod") && nf == 2)
        return chmod(f[1], 0777);
    if (!strcmp(op, "rename") && nf == 3)
        return rename(f[1], f[2]);
    if (!strcmp(op, "link") && nf == 3)
        return link(f[1], f[2]);
    if (!strcmp(op, "symlink") && nf == 3)
        return symlink(f[1], f[2]);
    if (!strcmp(op, "stat") && nf == 2) {
        struct stat st;
        return stat(f[1], &st);
    }
    if (!strcmp(op, "readlink") && nf == 2) {
        ssize_t n = readlink(f[1], out, size - 1);
        if (n < 0)
            return -1;
        out[n] = '\0';
        return 0;
    }
    if (!strcmp(op, "lstat") && nf == 2) {
        struct stat st;
        return lstat(f[1], &st);
    }
    if (!strcmp(op, "fstatat") && nf == 2) { /* newfstatat, not following */
        struct stat st;
        return fstatat(AT_FDCWD, f[1], &st, AT_SYMLINK_NOFOLLOW);
    }
    if (!strcmp(op, "statx") && nf == 2) {
        unsigned char sx[256]; /* struct statx; musl may lack it */
        return syscall(SYS_statx, AT_FDCWD, f[1], 0, 0x7ffU, sx);
    }
    if (!strcmp(op, "access") && nf == 2)
        return access(f[1], F_OK);
    if (!strcmp(op, "faccessat2") && nf == 2)
        return syscall(SYS_faccessat2, AT_FDCWD, f[1], R_OK, AT_EACCESS);
    if (!strcmp(op, "openw") && nf == 2) /* open for writing, no write */
    {
        int fd = open(f[1], O_WRONLY);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(op, "opentrunc") && nf == 2) {
        int fd = open(f[1], O_WRONLY | O_TRUNC);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(op, "opencreat") && nf == 2) { /* O_CREAT without O_EXCL */
        int fd = open(f[1], O_RDWR | O_CREAT, 0644);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(op, "opath") && nf == 2) {
        int fd = open(f[1], O_PATH);
        return fd < 0 ? -1 : close(fd);
    }
    if (!strcmp(op, "chown") && nf == 2)
        return chown(f[1], getuid(), getgid());
    if (!strcmp(op, "lchown") && nf == 2)
        return lchown(f[1], getuid(), getgid());
    if (!strcmp(op, "utimensat") && nf == 2)
        return utimensat(AT_FDCWD, f[1], NULL, 0);
    if (!strcmp(op, "utimes") && nf == 2)
        return utimes(f[1], NULL);
    if (!strcmp(op, "exec") && nf == 2) { /* success replaces us: no ALL OK */
        char *argv[] = {f[1], NULL};
        return execve(f[1], argv, NULL);
    }
    if (!strcmp(op, "inotify") && nf == 2) {
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0)
            return -1;
        int r = inotify_add_watch(fd, f[1], IN_ALL_EVENTS);
        int e = errno;
        close(fd);
        errno = e;
        return r < 0 ? -1 : 0;
    }
    if (!strcmp(op, "statfs") && nf == 2) {
        struct statfs sf;
        return statfs(f[1], &sf);
    }
    if (!strcmp(op, "getxattr") && nf == 2)
        return getxattr(f[1], "user.sabot", out, size) < 0 ? -1 : 0;
    if (!strcmp(op, "lgetxattr") && nf == 2)
        return lgetxattr(f[1], "user.sabot", out, size) < 0 ? -1 : 0;
    if (!strcmp(op, "listxattr") && nf == 2)
        return listxattr(f[1], out, size) < 0 ? -1 : 0;
    if (!strcmp(op, "setxattr") && nf == 2)
        return setxattr(f[1], "user.sabot", "x", 1, 0);
    if (!strcmp(op, "removexattr") && nf == 2)
        return removexattr(f[1], "user.sabot");
    if (!strcmp(op, "mkfifo") && nf == 2) /* mknod(S_IFIFO) */
        return mknod(f[1], S_IFIFO | 0600, 0);
    if (!strcmp(op, "mknodreg") && nf == 2)
        return mknod(f[1], S_IFREG | 0600, 0);
    if (!strcmp(op, "nametohandle") && nf == 2) {
        struct {
            struct file_handle h;
            unsigned char bytes[128];
        } fh = {.h.handle_bytes = 128};
        int mnt;
        return name_to_handle_at(AT_FDCWD, f[1], &fh.h, &mnt, 0);
    }
    if (!strcmp(op, "openat2") && nf == 4) { /* DIR|PATH|RESOLVE flags */
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        struct open_how how = {.flags = O_RDONLY};
        if (strstr(f[3], "beneath"))
            how.resolve |= RESOLVE_BENEATH;
        if (strstr(f[3], "in_root"))
            how.resolve |= RESOLVE_IN_ROOT;
        if (strstr(f[3], "no_symlinks"))
            how.resolve |= RESOLVE_NO_SYMLINKS;
        if (strstr(f[3], "no_magiclinks"))
            how.resolve |= RESOLVE_NO_MAGICLINKS;
        if (strstr(f[3], "no_xdev"))
            how.resolve |= RESOLVE_NO_XDEV;
        int fd = syscall(SYS_openat2, dfd, f[2], &how, sizeof(how));
        int e = errno;
        close(dfd);
        errno = e;
        return fd < 0 ? -1 : read_file(fd, out, size);
    }
    if (!strcmp(op, "readviafd") && nf == 3) { /* /proc/self/fd/N/REST of an opened DIR */
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        char p[4096];
        snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dfd, f[2]);
        int fd = open(p, O_RDONLY);
        int e = errno;
        close(dfd);
        errno = e;
        return fd < 0 ? -1 : read_file(fd, out, size);
    }
    if (!strcmp(op, "listviafd") && nf == 3) {
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        char p[4096];
        snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dfd, f[2]);
        int r = list_dir(p, out, size);
        int e = errno;
        close(dfd);
        errno = e;
        return r;
    }
    if (!strcmp(op, "fchdir") && nf == 2) {
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        int r = fchdir(dfd);
        close(dfd);
        return r;
    }
    if (!strcmp(op, "linkat") && nf == 4) { /* DIR|OLD|NEW: both relative to DIR */
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        int r = linkat(dfd, f[2], dfd, f[3], 0);
        int e = errno;
        close(dfd);
        errno = e;
        return r;
    }
    if (!strcmp(op, "renameat") && nf == 4) {
        int dfd = open(f[1], O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
            return -1;
        int r = renameat(dfd, f[2], dfd, f[3]);
        int e = errno;
        close(dfd);
        errno = e;
        return r;
    }
    if ((!strcmp(op, "connect") || !strcmp(op, "bind") || !strcmp(op, "sendto")) && nf == 4)
        return net_op(op, f[1], f[2], atoi(f[3]));
    if (!strcmp(op, "kill") && nf == 3)
        return kill(atoi(f[1]), atoi(f[2]));
    if (!strcmp(op, "chdir") && nf == 2)
        return chdir(f[1]);
    if (!strcmp(op, "getcwd") && nf == 1)
        return getcwd(out, size) ? 0 : -1;
    if (!strcmp(op, "list") && nf == 2)
        return list_dir(f[1], out, size);
    errno = EINVAL;
    return -2;
}

static void check_op(char *spec) {
    char *copy = strdup(spec), *f[MAXF + 1];
    int nf = 0;
    for (char *s = copy, *tok; (tok = strsep(&s, "|")) != NULL;)
        if (nf <= MAXF)
            f[nf++] = tok;
    if (nf < 2 || nf > MAXF) {
        CHECK(0, "bad operation '%s'", spec);
        free(copy);
        return;
    }
    const char *want = f[nf - 1], *tilde = strchr(want, '~');
    char mine[256];
    /* "SABOT~NATIVE": pick our side. */
    snprintf(mine, sizeof(mine), "%.*s", tilde ? (int)(tilde - want) : 255, want);
    if (tilde && g_native)
        snprintf(mine, sizeof(mine), "%s", tilde + 1);
    want = mine;
    static char out[8192];
    errno = 0;
    int r = run_op(f, nf - 1, out, sizeof(out));
    int e = errno;
    if (r == -2) {
        CHECK(0, "unknown operation '%s'", spec);
    } else if (want[0] == '=') {
        CHECK(r == 0 && strcmp(out, want + 1) == 0, "%s -> %s '%.80s'", spec, r ? errname(e) : "ok",
              out);
    } else if (want[0] == '!') {
        CHECK(strstr(out, want + 1) == NULL, "%s -> %s, result lacks the text ('%.60s')", spec,
              r ? errname(e) : "ok", out);
    } else if (!strcmp(want, "ok")) {
        CHECK(r == 0, "%s -> %s", spec, r ? errname(e) : "ok");
    } else {
        int we = errno_from_name(want);
        CHECK(we > 0 && r == -1 && e == we, "%s -> %s%s%s", spec, r ? errname(e) : "ok",
              r == 0 && out[0] ? " " : "", r == 0 ? out : "");
    }
    free(copy);
}

int main(int argc, char **argv) {
    check_init("escape");
    int i = 1;
    if (argc > 1 && !strcmp(argv[1], "--native"))
        g_native = 1, i++;
    for (; i < argc; i++)
        check_op(argv[i]);
    return check_done();
}
