/* Process globals and app-memory helpers the libos core normally provides
 * (libos/init.c, libos/mm); in the hosted tests app memory is ours. */
#include "libos.h"
#include "libos_manifest.h"

struct libos_process g_process;
const struct pal_boot_info *g_boot;
struct libos_manifest *g_manifest;

bool libos_user_range_ok(const void *addr, size_t size, bool write) {
    return size == 0 || (addr != NULL && (uintptr_t)addr + size >= (uintptr_t)addr);
}

long libos_copy_user_string(char *buf, size_t size, const char *user) {
    if (!user)
        return -EFAULT;
    size_t n = strnlen(user, size);
    if (n >= size)
        return -ENAMETOOLONG;
    memcpy(buf, user, n + 1);
    return n;
}

/* Job control lives in libos/sys/proc.c (the process table): no table here. */
bool libos_proc_tty_background(void) {
    return false;
}

long libos_proc_tty_read_check(void) {
    return 0;
}

long libos_proc_tty_change_check(void) {
    return 0;
}

long libos_proc_tty_ioctl(unsigned int cmd, uint64_t arg) {
    return -ENOTTY;
}
