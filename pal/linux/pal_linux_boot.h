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
    /* Checkpoint fork: the host path of sabot-pal-child, the static loader
     * pal_process_create runs for a new instance (NULL: none), and, in such
     * an instance, the host fd of the stream to its creator (-1 otherwise). */
    const char *child_loader;
    int parent_fd;
    /* Sandbox (runtime/sandbox.c, installed by pal/linux/sandbox.c just
     * before libos_start): the seccomp allowlist as BPF (struct sock_filter
     * array, size in bytes; NULL: no seccomp) and a Landlock ruleset fd to
     * enforce (valid when > 2; closed by the PAL). */
    const void *seccomp_filter;
    size_t seccomp_filter_len;
    int landlock_fd;
    /* Lazy syscall rewrite (pal/linux/rewrite.c): on when set and page 0
     * can be mapped; 0 keeps every syscall on Syscall User Dispatch. */
    int syscall_rewrite;
    /* Host directory backing the tmpfs mounts (pal_boot_info.tmpfs_dir). */
    const char *tmpfs_dir;
};

__attribute__((noreturn)) void pal_linux_boot(const struct pal_linux_config *cfg);

#endif
