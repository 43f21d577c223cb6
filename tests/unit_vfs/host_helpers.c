/* libc side of the VFS tests (see host_helpers.h). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_helpers.h"

static char *join(const char *base, const char *rel) {
    static char buf[8192];
    snprintf(buf, sizeof(buf), "%s/%s", base, rel);
    return buf;
}

char *hh_mkdtemp(void) {
    char tmpl[] = "/tmp/sabot-vfs-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        abort();
    return strdup(d);
}

void hh_rmrf(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", path);
}

void hh_mkdir(const char *base, const char *rel) {
    if (mkdir(join(base, rel), 0755) < 0)
        abort();
}

void hh_write(const char *base, const char *rel, const char *content) {
    FILE *f = fopen(join(base, rel), "w");
    if (!f)
        abort();
    fputs(content, f);
    fclose(f);
}

void hh_symlink(const char *target, const char *base, const char *rel) {
    if (symlink(target, join(base, rel)) < 0)
        abort();
}

long hh_read(const char *base, const char *rel, char *buf, size_t size) {
    int fd = open(join(base, rel), O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return n;
}

unsigned long hh_ino(const char *base, const char *rel) {
    struct stat s;
    return lstat(join(base, rel), &s) < 0 ? 0 : s.st_ino;
}

int hh_exists(const char *base, const char *rel) {
    struct stat s;
    return lstat(join(base, rel), &s) == 0;
}

void hh_pipe(int fds[2]) {
    if (pipe(fds) < 0)
        abort();
}

long hh_read_fd(int fd, char *buf, size_t size) {
    ssize_t n = read(fd, buf, size - 1);
    buf[n < 0 ? 0 : n] = '\0';
    return n;
}

long hh_write_fd(int fd, const char *s) {
    return write(fd, s, strlen(s));
}

void hh_close(int fd) {
    close(fd);
}
