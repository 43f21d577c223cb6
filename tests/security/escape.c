/* Escape attempts, driven by the test script: each argument is one
 * operation "OP|ARG...|EXPECT" run in order, e.g.
 *     "read|/../../etc/passwd|=JAIL"    "unlink|/x/victim|EROFS"
 * EXPECT is "ok", an errno name (the exact Linux error), "=TEXT" (success
 * and the file / link / cwd / listing equals TEXT) or "!TEXT" (the result,
 * whatever it is, does not contain TEXT). Exits 1 if any expectation fails.
 * Runs only under sabot: natively some operations would modify the host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define MAXF 4

static int errno_from_name(const char *s) {
    for (int e = 1; e < 134; e++)
        if (strcmp(errname(e), s) == 0)
            return e;
    return -1;
}

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
    const char *want = f[nf - 1];
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
    for (int i = 1; i < argc; i++)
        check_op(argv[i]);
    return check_done();
}
