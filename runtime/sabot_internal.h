/* Internals of libsabot and the `sabot` command shared between runtime/
 * files and the unit tests. Not installed. */
#ifndef SABOT_INTERNAL_H
#define SABOT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sabot.h"

struct libos_manifest;

/* Everything pal_linux_boot() needs, resolved in the caller's process so
 * errors are reported before anything starts. */
struct sabot_prepared {
    char *manifest; /* TOML text, owned */
    size_t manifest_size;
    char *manifest_name; /* owned */
    char **argv;         /* owned, NULL-ended; empty = loader.entrypoint */
    char *exec_path;     /* owned: what to run, as the app sees it, or NULL */
    const char *const *envp;
    char *host_cwd;    /* owned */
    bool chdir_needed; /* opts->cwd was given */
    int log_level;
    int log_fd;
    int trace_fd;         /* -1: off */
    bool trace_fd_owned;  /* opened from trace_path */
    bool syscall_rewrite; /* pal.syscall_rewrite, unless SABOT_REWRITE=0 */
    bool pal_kvm;         /* run in a VM (--pal kvm or pal.name = "kvm") */
    int gdb_port;         /* kvm: the gdbstub's port, 0: none */
};

int sabot_prepare(const struct sabot_options *opts, struct sabot_prepared *p);
void sabot_prepared_free(struct sabot_prepared *p);

/* Parses manifest text (libos_manifest_parse) and then checks what only the
 * host can: every host mount's source exists and is a directory. Errors are
 * "NAME:LINE:COL: KEY: message" in err. */
int sabot_manifest_load(const char *text, size_t len, const char *name, struct libos_manifest **out,
                        char *err, size_t err_size);
/* Prints the manifest's insecure__ warnings ("sabot: warning: ...") to fd. */
void sabot_manifest_warn(const struct libos_manifest *m, int fd);
/* The effective manifest as TOML: every key, defaults filled in (uid/gid
 * are the caller's). malloc'd; NULL when out of memory. */
char *sabot_manifest_show(const struct libos_manifest *m);

/* Reads a whole file into a malloc'd NUL-terminated buffer; 0 or -errno. */
int sabot_read_file(const char *path, char **text, size_t *size);

/* TOML basic string for s, quotes included; malloc'd, NULL on no memory. */
char *sabot_toml_quote(const char *s);

/* Host program name/path -> the absolute path the app sees, through the
 * manifest's host mounts (see sabot_options.program). path_env is the PATH
 * to search (NULL: "/bin:/usr/bin", like execvp). */
int sabot_resolve_program(const char *program, const char *host_cwd, const char *path_env,
                          const struct libos_manifest *m, char **out, char *err, size_t err_size);

/* Lexically cleans an absolute path: no "//", "." or trailing "/".
 * ".." is kept: the libos resolves it after symlinks, like the kernel. */
void sabot_clean_path(char *path);

/* The command line of `sabot`. */
enum sabot_command {
    SABOT_CMD_NONE,
    SABOT_CMD_RUN,
    SABOT_CMD_CHECK, /* `sabot manifest check FILE` (alias: `sabot check -m FILE`) */
    SABOT_CMD_SHOW,  /* `sabot manifest show [FILE]` */
    SABOT_CMD_HELP,
    SABOT_CMD_VERSION,
};

struct sabot_cli {
    enum sabot_command command;
    struct sabot_options opts;
    bool trace; /* --trace given (to stderr or a file) */
};

/* Parses argv into cli; returns 0, or -1 with a usage error in err. The
 * options point into argv. */
int sabot_cli_parse(int argc, char **argv, struct sabot_cli *cli, char *err, size_t err_size);
extern const char g_sabot_usage[];

#endif
