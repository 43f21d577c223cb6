/* sabot-pal-child: the static loader pal_process_create runs for a new
 * libos instance (the checkpoint/restore fork). No libc: it only turns its
 * argv into a pal_linux_config and boots the PAL, whose libos then reads
 * everything else (manifest, memory, files) from the parent stream.
 *   /path/to/sabot-pal-child STREAM_FD LOG_FD TRACE_FD LOG_LEVEL [ARGS...]
 * (argv[0] must be the loader's own host path). */
#include "pal_linux_boot.h"

void pal_linux_child_main(long *sp) __attribute__((noreturn));

static int parse_int(const char *s) {
    int sign = 1, v = 0;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return sign * v;
}

void pal_linux_child_main(long *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    static const char *const no_args[] = {0};
    struct pal_linux_config cfg = {
        .manifest_name = "(parent)",
        .argv = argc > 5 ? (const char *const *)argv + 5 : no_args,
        .envp = (const char *const *)envp,
        .host_cwd = "/",
        .log_fd = 2,
        .trace_fd = -1,
        .log_level = -1,
    };
    if (argc >= 5) {
        cfg.parent_fd = parse_int(argv[1]);
        cfg.log_fd = parse_int(argv[2]);
        cfg.trace_fd = parse_int(argv[3]);
        cfg.log_level = parse_int(argv[4]);
        cfg.child_loader = argv[0]; /* our own path: our forks run us again */
    }
    pal_linux_boot(&cfg);
}
