/* libsabot's entry points that start the libos: sabot_exec and sabot_run.
 * Everything that can fail is resolved first (sabot_prepare), so once
 * pal_linux_boot() is called only the app's own exit ends the process. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pal_linux_boot.h"
#include "sabot_internal.h"

static __attribute__((noreturn)) void boot(struct sabot_prepared *p) {
    static const char *const empty_argv[] = {NULL};
    struct pal_linux_config cfg = {
        .manifest = p->manifest,
        .manifest_size = p->manifest_size,
        .manifest_name = p->manifest_name,
        .argv = p->argv[0] ? (const char *const *)p->argv : empty_argv,
        .exec_path = p->exec_path,
        .envp = p->envp,
        .host_cwd = p->host_cwd,
        .log_fd = p->log_fd,
        .trace_fd = p->trace_fd,
        .log_level = p->log_level,
    };
    /* No libc code runs after this: flush what it buffered. */
    fflush(NULL);
    pal_linux_boot(&cfg);
}

/* The libos reaches host files through absolute paths, but a host cwd that
 * matches fs.cwd keeps relative host-side messages meaningful. */
static int enter_cwd(const struct sabot_options *opts, const struct sabot_prepared *p) {
    if (!p->chdir_needed || chdir(p->host_cwd) == 0)
        return 0;
    int e = errno;
    if (opts->err && opts->err_size)
        snprintf(opts->err, opts->err_size, "cannot change to '%s': %s", p->host_cwd, strerror(e));
    return -e;
}

int sabot_exec(const struct sabot_options *opts) {
    struct sabot_prepared p;
    int r = sabot_prepare(opts, &p);
    if (r < 0)
        return r;
    r = enter_cwd(opts, &p);
    if (r < 0) {
        sabot_prepared_free(&p);
        return r;
    }
    boot(&p);
}

int sabot_run(const struct sabot_options *opts, int *status) {
    struct sabot_prepared p;
    int r = sabot_prepare(opts, &p);
    if (r < 0)
        return r;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        sabot_prepared_free(&p);
        return r;
    }
    if (pid == 0) {
        if (enter_cwd(opts, &p) < 0) {
            if (opts->err)
                dprintf(2, "sabot: %s\n", opts->err);
            _exit(127);
        }
        boot(&p);
    }
    sabot_prepared_free(&p);
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    if (WIFEXITED(ws))
        *status = WEXITSTATUS(ws);
    else
        *status = 128 + WTERMSIG(ws);
    return 0;
}
