/* Test-only helpers of the fake PAL (tests/unit_vfs/fake_pal.c). */
#ifndef SABOT_TEST_FAKE_PAL_H
#define SABOT_TEST_FAKE_PAL_H

#include "pal.h"

/* A console handle on a host fd the test owns (a pipe, a file). */
pal_handle_t *fake_pal_handle_from_fd(int fd);
void fake_pal_reset_log(void);
/* URIs named since the last reset whose path is under neither root (a
 * NULL root is ignored); each is printed. */
int fake_pal_count_outside(const char *root_a, const char *root_b);
/* true: "memfd:" fails as on a PAL without memory files. */
extern bool g_fake_pal_no_memfd;

#endif
