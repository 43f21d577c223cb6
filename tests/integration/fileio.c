/* File I/O semantics in a directory of the read-write mount (argv[1]):
 * create/write/read/pread/pwrite/lseek/ftruncate/rename/unlink and the
 * exact errno values Linux gives for the usual mistakes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char g_path[4096];

static const char *p(const char *dir, const char *name) {
    snprintf(g_path, sizeof(g_path), "%s/%s", dir, name);
    return g_path;
}

static void read_back(int fd, off_t off, const char *want, size_t n) {
    char buf[256] = {0};
    ssize_t r = pread(fd, buf, n, off);
    CHECK(r == (ssize_t)n && memcmp(buf, want, n) == 0, "pread %zu@%lld -> %zd", n, (long long)off,
          r);
}

static void test_basic(const char *dir) {
    char f1[4096], f2[4096];
    snprintf(f1, sizeof(f1), "%s/f1", dir);
    snprintf(f2, sizeof(f2), "%s/f2", dir);

    int fd = CHECK_OK(open(f1, O_CREAT | O_EXCL | O_RDWR, 0644));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_size == 0,
          "new file mode %o size %lld", st.st_mode, (long long)st.st_size);

    CHECK(write(fd, "hello world\n", 12) == 12, "write 12");
    CHECK(lseek(fd, 0, SEEK_CUR) == 12, "offset after write");
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_size == 12, "fstat size %lld == 12", (long long)st.st_size);

    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek SEEK_SET 0");
    char buf[64] = {0};
    CHECK(read(fd, buf, sizeof(buf)) == 12 && memcmp(buf, "hello world\n", 12) == 0,
          "read back '%.11s'", buf);
    CHECK(read(fd, buf, sizeof(buf)) == 0, "read at EOF returns 0");

    /* pread/pwrite do not move the file offset. */
    CHECK(lseek(fd, 3, SEEK_SET) == 3, "lseek 3");
    read_back(fd, 6, "world", 5);
    CHECK(pwrite(fd, "WORLD", 5, 6) == 5, "pwrite 5@6");
    CHECK(lseek(fd, 0, SEEK_CUR) == 3, "offset still 3 after pread/pwrite");
    read_back(fd, 0, "hello WORLD\n", 12);

    CHECK(lseek(fd, 0, SEEK_END) == 12, "SEEK_END == 12");
    CHECK(lseek(fd, -2, SEEK_END) == 10, "SEEK_END-2 == 10");
    CHECK_ERR(lseek(fd, -100, SEEK_SET), EINVAL);
    CHECK_ERR(lseek(fd, 0, 12345), EINVAL);

    /* Writing past the end leaves a hole that reads as zeros. */
    CHECK(pwrite(fd, "Z", 1, 20) == 1, "pwrite past end");
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_size == 21, "size with hole %lld == 21", (long long)st.st_size);
    read_back(fd, 12, "\0\0\0\0\0\0\0\0Z", 9);

    CHECK_OK(ftruncate(fd, 5));
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_size == 5, "ftruncate shrink -> %lld", (long long)st.st_size);
    CHECK(pread(fd, buf, sizeof(buf), 0) == 5, "read after shrink gives 5 bytes");
    CHECK_OK(ftruncate(fd, 4096 + 7));
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_size == 4103, "ftruncate grow -> %lld", (long long)st.st_size);
    static char zeros[4098], got[4098];
    CHECK(pread(fd, got, sizeof(got), 5) == 4098 && memcmp(got, zeros, sizeof(got)) == 0,
          "grown part reads as zeros");
    CHECK_ERR(ftruncate(fd, -1), EINVAL);
    CHECK_OK(close(fd));
    CHECK_ERR(close(fd), EBADF);

    CHECK_OK(rename(f1, f2));
    CHECK_ERR(open(f1, O_RDONLY), ENOENT);
    CHECK_OK(stat(f2, &st));
    CHECK(st.st_size == 4103, "renamed file keeps size %lld", (long long)st.st_size);

    /* The usual mistakes, with Linux's exact errno. */
    CHECK_ERR(open(f2, O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
    CHECK_ERR(open(f2, O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR(open(p(dir, "missing"), O_RDONLY), ENOENT);
    CHECK_ERR(open(p(dir, "nodir/x"), O_RDONLY | O_CREAT, 0644), ENOENT);
    char sub[4200];
    snprintf(sub, sizeof(sub), "%s/x", f2);
    CHECK_ERR(open(sub, O_RDONLY), ENOTDIR);
    CHECK_ERR(open(dir, O_WRONLY), EISDIR);
    CHECK_ERR(mkdir(f2, 0755), EEXIST);
    CHECK_ERR(rmdir(f2), ENOTDIR);
    CHECK_ERR(unlink(dir), EISDIR);

    int ro = CHECK_OK(open(f2, O_RDONLY));
    CHECK_ERR(write(ro, "x", 1), EBADF);
    CHECK_ERR(ftruncate(ro, 0), EINVAL);
    CHECK_OK(close(ro));
    int wo = CHECK_OK(open(f2, O_WRONLY | O_TRUNC));
    CHECK_ERR(read(wo, buf, 1), EBADF);
    CHECK_OK(fstat(wo, &st));
    CHECK(st.st_size == 0, "O_TRUNC -> size %lld", (long long)st.st_size);
    CHECK_OK(close(wo));

    /* O_APPEND always writes at the end, whatever the offset. */
    int ap = CHECK_OK(open(f2, O_RDWR | O_APPEND));
    CHECK(write(ap, "abc", 3) == 3, "append 1");
    CHECK(lseek(ap, 0, SEEK_SET) == 0, "seek to 0");
    CHECK(write(ap, "def", 3) == 3, "append 2");
    read_back(ap, 0, "abcdef", 6);
    CHECK_OK(close(ap));

    CHECK_OK(unlink(f2));
    CHECK_ERR(unlink(f2), ENOENT);
    CHECK_ERR(stat(f2, &st), ENOENT);
    CHECK_ERR(read(9999, buf, 1), EBADF);
}

int main(int argc, char **argv) {
    check_init("fileio");
    if (argc != 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    umask(022);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/fileio.d", argv[1]);
    CHECK_OK(mkdir(dir, 0755));
    test_basic(dir);
    CHECK_OK(rmdir(dir));
    return check_done();
}
