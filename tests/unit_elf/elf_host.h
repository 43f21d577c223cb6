#ifndef SABOT_TEST_ELF_HOST_H
#define SABOT_TEST_ELF_HOST_H
#include <stddef.h>
char *eh_read_file(const char *path, size_t *len);
int eh_write_file(const char *path, const void *buf, size_t len, unsigned mode);
char *eh_tmpdir(void);
void eh_cleanup(const char *dir);
char *eh_path(const char *dir, const char *name);
#endif
