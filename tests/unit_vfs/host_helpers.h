/* libc helpers for the VFS tests, kept apart so the test file sees only
 * the libos's own Linux constants (linux_abi.h). */
#ifndef SABOT_TEST_HOST_HELPERS_H
#define SABOT_TEST_HOST_HELPERS_H

#include <stddef.h>

char *hh_mkdtemp(void);
void hh_rmrf(const char *path);
void hh_mkdir(const char *base, const char *rel);
void hh_write(const char *base, const char *rel, const char *content);
void hh_symlink(const char *target, const char *base, const char *rel);
/* Contents of base/rel (NUL-terminated in buf); -1 if missing. */
long hh_read(const char *base, const char *rel, char *buf, size_t size);
unsigned long hh_ino(const char *base, const char *rel);
int hh_exists(const char *base, const char *rel);
void hh_pipe(int fds[2]);
long hh_read_fd(int fd, char *buf, size_t size);
long hh_write_fd(int fd, const char *s);
void hh_close(int fd);

#endif
