/* Hosted entry into the Linux PAL. The runtime (glibc side) prepares a
 * config and calls pal_linux_boot(), which never returns: it switches the
 * process to the PAL's own syscall region (Syscall User Dispatch) and calls
 * libos_start(). From then on no libc code runs in this process. */
#ifndef SABOT_PAL_LINUX_BOOT_H
#define SABOT_PAL_LINUX_BOOT_H

#include <stddef.h>

struct pal_linux_config {
    const char *manifest; /* TOML text */
    size_t manifest_size;
    const char *manifest_name;
    const char *const *argv; /* NULL-ended */
    const char *exec_path;   /* program to run (libos path), or NULL: argv[0] */
    const char *const *envp; /* NULL-ended */
    const char *host_cwd;
    int log_fd;   /* host fd for log lines (usually 2) */
    int trace_fd; /* host fd for --trace output, or -1 */
    int log_level;
};

__attribute__((noreturn)) void pal_linux_boot(const struct pal_linux_config *cfg);

#endif
