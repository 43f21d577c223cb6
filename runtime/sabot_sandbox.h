/* Hosted half of the Linux PAL sandbox (runtime/sandbox.c): decides what
 * the kernel can enforce for a manifest, builds the seccomp allowlist with
 * libseccomp and the Landlock ruleset; pal/linux/sandbox.c installs both
 * just before libos_start. See docs/architecture.md, "Sandbox". */
#ifndef SABOT_SANDBOX_H
#define SABOT_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct libos_manifest;

struct sabot_sandbox_path {
    char *host_path; /* owned */
    uint64_t access; /* LANDLOCK_ACCESS_FS_* (masked to the ABI at use) */
};

struct sabot_sandbox {
    void *seccomp_filter; /* BPF (struct sock_filter[]), malloc'd; NULL: off */
    size_t seccomp_filter_len;
    int landlock_abi;     /* ABI in use; 0: no Landlock */
    uint64_t handled_fs;  /* LANDLOCK_ACCESS_FS_* the ruleset denies by default */
    uint64_t handled_net; /* LANDLOCK_ACCESS_NET_* */
    uint64_t scoped;      /* LANDLOCK_SCOPE_* */
    struct sabot_sandbox_path *paths;
    size_t path_count;
    uint16_t *bind_ports, *connect_ports; /* TCP ports granted (when handled) */
    size_t bind_count, connect_count;
};

/* Plans the sandbox for manifest m. child_loader is the host path of
 * sabot-pal-child or NULL. Where the kernel cannot enforce a part (no
 * Landlock, or an ABI too old for TCP ports or scopes) it fails with a
 * message in err unless the manifest accepts it (sys.insecure__no_landlock);
 * sys.insecure__no_seccomp turns seccomp off. Prints warnings for what is
 * weakened. 0 or -errno. */
int sabot_sandbox_prepare(const struct libos_manifest *m, const char *child_loader,
                          struct sabot_sandbox *sb, char *err, size_t err_size);

/* Creates the Landlock ruleset (in the process that will boot): its fd, -1
 * when Landlock is off, or -errno with err set. */
int sabot_sandbox_landlock_fd(const struct sabot_sandbox *sb, char *err, size_t err_size);

/* Grants read-write Landlock access beneath host_path (the tmpfs
 * directory, made after the plan); no-op without Landlock. 0 or -ENOMEM. */
int sabot_sandbox_add_rw(struct sabot_sandbox *sb, const char *host_path);

void sabot_sandbox_free(struct sabot_sandbox *sb);

/* The Landlock ABI of the running kernel (0: none); SABOT_TEST_LANDLOCK_ABI
 * (tests only) lowers it to pretend an older kernel. */
int sabot_landlock_abi(void);

#endif
