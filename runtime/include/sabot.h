/* libsabot: run an unmodified Linux program under the Sabot library OS.
 *
 * Typical use:
 *
 *     struct sabot_options o;
 *     sabot_options_init(&o);
 *     o.program = "ls";                 // looked up in PATH like execvp
 *     o.argv = (const char *[]){"ls", "-l", NULL};
 *     int status;
 *     if (sabot_run(&o, &status) < 0) ...;   // status: exit code or 128+signal
 *
 * sabot_exec() replaces the calling process instead (it never returns on
 * success): from then on no libc code runs in the process, so call it only
 * from a process that has nothing else to do (sabot_run forks for you).
 *
 * Errors are negative errno values; a description ("FILE:LINE:COLUMN: KEY:
 * message" for manifest errors) goes into opts->err when the caller provides
 * a buffer. */
#ifndef SABOT_H
#define SABOT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SABOT_VERSION "0.1.0"

/* Log levels, as in the manifest's log.level. */
enum {
    SABOT_LOG_NONE = 0,
    SABOT_LOG_ERROR = 1,
    SABOT_LOG_WARNING = 2,
    SABOT_LOG_INFO = 3,
    SABOT_LOG_DEBUG = 4,
    SABOT_LOG_TRACE = 5,
};

struct sabot_options {
    /* The program, as on a host command line: a name without '/' is looked
     * up in the host PATH; a relative path is taken from the host working
     * directory; both are then translated to the path the app sees through
     * the manifest's host mounts. An absolute path is passed unchanged (it
     * is the app's own path). The app gets that path as argv[0].
     * A manifest that sets loader.entrypoint pins what runs: program is then
     * not looked up and argv is passed as it is (loader.argv, if set,
     * replaces it; with neither, argv is {entrypoint}). */
    const char *program;
    /* Arguments including argv[0], NULL-ended; NULL means {program}. */
    const char *const *argv;
    /* Host environment the manifest's env policy filters; NULL = environ. */
    const char *const *envp;
    /* Manifest: a file, or text (with manifest_name for messages), or
     * neither for the embedded default policy (see sabot_default_manifest). */
    const char *manifest_path;
    const char *manifest_text;
    size_t manifest_size; /* 0: strlen(manifest_text) */
    const char *manifest_name;
    /* SABOT_LOG_*, or -1: the manifest's log.level, else warning. */
    int log_level;
    /* Syscall trace: trace_fd if >= 0, else trace_path if set (created or
     * truncated), else off. */
    int trace_fd;
    const char *trace_path;
    /* Host working directory to start in (chdir before boot); NULL = the
     * current one. */
    const char *cwd;
    /* Host fd for log lines; default 2. */
    int log_fd;
    /* Optional buffer for a description of the last error. */
    char *err;
    size_t err_size;
    /* PAL: "linux" or "kvm" (a VM driven by a tender, pal/kvm); NULL: the
     * manifest's pal.name, else linux. */
    const char *pal;
    /* fork: "fast" or "checkpoint" for the default manifest's sys.fork;
     * NULL: fast. Not allowed with a manifest (set sys.fork there). */
    const char *fork;
    /* > 0: with the kvm PAL, wait for gdb on 127.0.0.1:gdb_port before
     * the program starts (the tender's gdbstub, docs/kvm.md). */
    int gdb_port;
};

/* Fills the defaults documented above. */
void sabot_options_init(struct sabot_options *opts);

/* Parses and validates manifest text as `sabot manifest check` does (host
 * mounts must name existing host directories); name is used in messages.
 * Returns 0, or a negative errno with "NAME:LINE:COLUMN: KEY: message" in
 * err (docs/manifest.md). */
int sabot_manifest_check(const char *text, size_t len, const char *name, char *err,
                         size_t err_size);

/* The embedded default manifest for host directory cwd: host "/" read-only
 * at "/", cwd read-write at its own path, a private tmpfs at /tmp, fs.cwd =
 * cwd, all host environment variables passed through. Returns malloc'd
 * TOML text, or NULL (out of memory, or cwd not absolute). */
char *sabot_default_manifest(const char *cwd);

/* Replaces the process with the program running under Sabot (Linux PAL).
 * Returns only on failure, with a negative errno. */
int sabot_exec(const struct sabot_options *opts);

/* Runs the program in a child process and waits for it. Returns 0 and sets
 * *status to its exit code (or 128+signal), or a negative errno when it
 * could not be started. */
int sabot_run(const struct sabot_options *opts, int *status);

/* "none".."trace" (and "warn") -> SABOT_LOG_*, or -1. */
int sabot_log_level_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
