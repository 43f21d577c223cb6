/* The manifest: TOML text parsed and checked against the schema. The parser
 * is freestanding so every PAL (including the enclave) parses the same
 * bytes the same way; runtime/ uses it too to report errors early. */
#ifndef SABOT_LIBOS_MANIFEST_H
#define SABOT_LIBOS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum libos_mount_type { LIBOS_MOUNT_HOST = 1, LIBOS_MOUNT_TMPFS = 2 };

struct libos_mount_spec {
    char *path;   /* where it appears in the libos tree, absolute */
    int type;     /* enum libos_mount_type */
    char *source; /* host directory (type host) */
    bool readonly;
    int line;                    /* manifest line, for messages */
    uint64_t size;               /* tmpfs: bytes it may hold; 0 = no own limit */
    char *key;                   /* "fs.root" or "fs.mounts[N]", for messages */
    int source_line, source_col; /* where 'source' is, for the runtime's checks */
};

struct libos_env_var {
    char *name;
    char *value;
};

/* One [net] grant: an address pattern and a port range (see manifest.c for
 * the grammar). */
struct libos_net_rule {
    uint8_t family;   /* 4, 6, or 0 for any address */
    uint8_t prefix;   /* leading bits of addr that must match */
    uint8_t addr[16]; /* IPv4: first 4 bytes; network order */
    uint16_t port_lo, port_hi;
    int line;
};

struct libos_manifest {
    char *name;                /* file name, for messages */
    char *entrypoint;          /* loader.entrypoint or NULL */
    char **argv;               /* loader.argv (NULL-ended) or NULL */
    struct libos_env_var *env; /* loader.env table */
    size_t env_count;
    char **env_passthrough; /* loader.env_passthrough; "*" = all */
    size_t env_passthrough_count;
    struct libos_mount_spec *mounts; /* fs.mounts, in manifest order */
    size_t mount_count;
    char *cwd;          /* fs.cwd or NULL */
    bool argv_from_cli; /* loader.argv_from_cli (default: no loader.argv) */
    int64_t uid, gid;   /* loader.uid/gid shown to the program; -1: the host's */
    /* [sys]: 0 = unlimited ("unlimited" in the manifest); defaults in
     * LIBOS_DEFAULT_* below. */
    uint64_t limit_memory;     /* sys.memory, bytes */
    uint64_t limit_stack;      /* sys.stack, bytes (main thread) */
    uint64_t limit_brk;        /* sys.brk, bytes */
    uint64_t limit_open_files; /* sys.open_files */
    uint64_t limit_threads;    /* sys.threads, per process */
    uint64_t limit_processes;  /* sys.processes, in the whole sandbox */
    bool fork_checkpoint;      /* sys.fork = "checkpoint" (default "fast") */
    /* Options that weaken isolation (each warned about by the runtime). */
    bool insecure_no_seccomp;    /* sys.insecure__no_seccomp */
    bool insecure_no_landlock;   /* sys.insecure__no_landlock */
    bool insecure_weak_landlock; /* sys.insecure__weak_landlock */
    char *pal;                   /* pal.name or NULL (= "linux") */
    bool syscall_rewrite;        /* pal.syscall_rewrite (default true) */
    int log_level;               /* log.level, -1 when unset */
    /* "NAME:LINE:COL: KEY: ..." for each insecure__ option set to true;
     * the runtime prints them as warnings. */
    char **warnings;
    size_t warning_count;
    struct libos_toml *root;            /* whole tree, for later keys */
    struct libos_net_rule *net_connect; /* net.connect: outgoing TCP/UDP */
    size_t net_connect_count;
    struct libos_net_rule *net_bind; /* net.bind: local addresses */
    size_t net_bind_count;
};

/* Defaults of [sys] when the manifest does not set them. */
#define LIBOS_DEFAULT_STACK (8ULL << 20)
#define LIBOS_DEFAULT_BRK (1ULL << 30)
#define LIBOS_DEFAULT_OPEN_FILES 1024

/* Parse and validate. On error returns a negative errno and writes
 * "NAME:LINE:COLUMN: KEY: what is wrong" into err (syntax errors have no
 * KEY). Host paths are not checked here (freestanding): the runtime does. */
long libos_manifest_parse(const char *text, size_t len, const char *name,
                          struct libos_manifest **out, char *err, size_t err_size);
void libos_manifest_free(struct libos_manifest *m);
/* The known insecure__ options, for i = 0, 1, ...: the key path (e.g.
 * "sys.insecure__no_seccomp") with its value in m; NULL past the last. */
const char *libos_manifest_insecure(const struct libos_manifest *m, size_t i, bool *value);
/* True if a rule allows family (4 or 6) address addr (4 or 16 bytes,
 * network order) and port. IPv4-mapped IPv6 addresses match IPv4 rules. */
bool libos_net_rules_allow(const struct libos_net_rule *rules, size_t count, int family,
                           const uint8_t *addr, uint16_t port);
/* Parse one rule ("127.0.0.1:80", "[::1]:*", "10.0.0.0/8:1000-2000",
 * "localhost:8080", "*:53"); "localhost" gives two rules (IPv4 and IPv6).
 * Returns the number of rules written to out[2], or -EINVAL. */
long libos_net_rule_parse(const char *s, struct libos_net_rule out[2]);

/* "8M", "1G", "4096" -> bytes (K/M/G/T are powers of 1024, optional "B" or
 * "iB"); -EINVAL on bad syntax, -ERANGE when it does not fit in 64 bits. */
long libos_parse_size(const char *s, uint64_t *out);

#endif
