/* The `sabot` command line, parsed into sabot_options (no side effects, so
 * it is unit-tested on its own). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabot_internal.h"

const char g_sabot_usage[] =
    "usage: sabot run [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       sabot run -m MANIFEST.toml [OPTIONS] [-- ARGV0 [ARGS...]]\n"
    "       sabot manifest check MANIFEST.toml\n"
    "       sabot manifest show [MANIFEST.toml]\n"
    "       sabot --help | --version\n"
    "\n"
    "Runs an unmodified Linux program under the Sabot library OS.\n"
    "\n"
    "PROGRAM is found like a shell finds it (a name without '/' is looked up in\n"
    "PATH) and run at the path it has inside the sandbox; argv[0] stays as typed.\n"
    "Without -m the default policy applies: host / read-only, the working\n"
    "directory read-write, a private /tmp, the host environment. A manifest that\n"
    "sets loader.entrypoint decides what runs: the words after '--' are then its\n"
    "argv (argv[0] first), unless loader.argv is set too.\n"
    "\n"
    "`manifest check` reports the first error of a manifest as\n"
    "FILE:LINE:COLUMN: KEY: message (exit 2); `manifest show` prints the\n"
    "effective manifest (the default policy without FILE) with every default\n"
    "filled in, as TOML. `sabot check -m FILE` is an alias of `manifest check`.\n"
    "All keys: docs/manifest.md.\n"
    "\n"
    "Options:\n"
    "  -m, --manifest FILE     policy manifest (TOML)\n"
    "  -C, --cwd DIR           host directory to start in (default: current)\n"
    "      --log-level LEVEL   none, error, warning, info, debug or trace\n"
    "                          (default: the manifest's log.level, else warning)\n"
    "      --trace[=FILE]      trace system calls to stderr or to FILE\n"
    "      --pal NAME          linux (default) or kvm (a VM; needs /dev/kvm)\n"
    "      --gdb PORT          kvm PAL: wait for gdb on 127.0.0.1:PORT before the\n"
    "                          program starts (gdb: target remote :PORT)\n"
    "      --fork MODE         fast (host copy-on-write, default) or checkpoint\n"
    "                          (state sent to a new process); without -m only\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n"
    "\n"
    "The exit status is the program's (128+N when killed by signal N); sabot's\n"
    "own usage and manifest errors exit with 2.\n";

static int usage_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage_err(char *err, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (err && size)
        vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* "--name=value", "--name value", "-xvalue", "-x value" -> value. Returns
 * 1 when arg matches, 0 when it does not, -1 when the value is missing. */
static int opt_value(int argc, char **argv, int *i, const char *shortopt, const char *longopt,
                     const char **value) {
    const char *a = argv[*i];
    size_t ll = strlen(longopt);
    if (!strncmp(a, longopt, ll) && a[ll] == '=') {
        *value = a + ll + 1;
        return 1;
    }
    bool is_short = shortopt && !strncmp(a, shortopt, 2);
    if (is_short && a[2]) {
        *value = a + 2;
        return 1;
    }
    if (!strcmp(a, longopt) || (is_short && !a[2])) {
        if (*i + 1 >= argc)
            return -1;
        *value = argv[++*i];
        return 1;
    }
    return 0;
}

static int parse_option(int argc, char **argv, int *i, struct sabot_cli *cli, char *err,
                        size_t size) {
    const char *a = argv[*i], *v = NULL;
    int m;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        cli->command = SABOT_CMD_HELP;
        return 0;
    }
    if ((m = opt_value(argc, argv, i, "-m", "--manifest", &v)) != 0) {
        if (m < 0)
            return usage_err(err, size, "option %s needs a file name", a);
        cli->opts.manifest_path = v;
        return 0;
    }
    if ((m = opt_value(argc, argv, i, "-C", "--cwd", &v)) != 0) {
        if (m < 0)
            return usage_err(err, size, "option %s needs a directory", a);
        cli->opts.cwd = v;
        return 0;
    }
    if ((m = opt_value(argc, argv, i, NULL, "--log-level", &v)) != 0) {
        if (m < 0)
            return usage_err(err, size, "option %s needs a level", a);
        cli->opts.log_level = sabot_log_level_from_name(v);
        if (cli->opts.log_level < 0)
            return usage_err(err, size,
                             "unknown log level '%s' (use none, error, warning, info, debug "
                             "or trace)",
                             v);
        return 0;
    }
    if ((m = opt_value(argc, argv, i, NULL, "--pal", &v)) != 0) {
        if (m < 0 || (strcmp(v, "linux") && strcmp(v, "kvm")))
            return usage_err(err, size, "option --pal needs linux or kvm");
        cli->opts.pal = v;
        return 0;
    }
    if ((m = opt_value(argc, argv, i, NULL, "--gdb", &v)) != 0) {
        char *end = NULL;
        long port = m < 0 ? 0 : strtol(v, &end, 10);
        if (m < 0 || !end || *end || port < 1 || port > 65535)
            return usage_err(err, size, "option --gdb needs a TCP port (1-65535)");
        cli->opts.gdb_port = (int)port;
        return 0;
    }
    if ((m = opt_value(argc, argv, i, NULL, "--fork", &v)) != 0) {
        if (m < 0 || (strcmp(v, "fast") && strcmp(v, "checkpoint")))
            return usage_err(err, size, "option --fork needs fast or checkpoint");
        cli->opts.fork = v;
        return 0;
    }
    /* --trace takes its file only after '=': "--trace prog" runs prog. */
    if (!strcmp(a, "--trace") || !strncmp(a, "--trace=", 8)) {
        cli->trace = true;
        if (a[7] == '=') {
            if (!a[8])
                return usage_err(err, size, "option --trace= needs a file name");
            cli->opts.trace_path = a + 8;
        } else {
            cli->opts.trace_fd = 2;
        }
        return 0;
    }
    return usage_err(err, size, "unknown option '%s'", a);
}

int sabot_cli_parse(int argc, char **argv, struct sabot_cli *cli, char *err, size_t err_size) {
    memset(cli, 0, sizeof(*cli));
    sabot_options_init(&cli->opts);
    if (err && err_size)
        err[0] = '\0';
    if (argc < 2)
        return usage_err(err, err_size, "missing command (run or manifest)");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        cli->command = SABOT_CMD_HELP;
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        cli->command = SABOT_CMD_VERSION;
        return 0;
    }
    int i = 2;
    if (!strcmp(cmd, "run")) {
        cli->command = SABOT_CMD_RUN;
    } else if (!strcmp(cmd, "check")) {
        cli->command = SABOT_CMD_CHECK;
    } else if (!strcmp(cmd, "manifest")) {
        const char *sub = argc > 2 ? argv[2] : "";
        if (!strcmp(sub, "check"))
            cli->command = SABOT_CMD_CHECK;
        else if (!strcmp(sub, "show"))
            cli->command = SABOT_CMD_SHOW;
        else
            return usage_err(err, err_size, "sabot manifest needs 'check FILE' or 'show [FILE]'");
        i = 3;
    } else {
        return usage_err(err, err_size, "unknown command '%s' (use run or manifest)", cmd);
    }

    /* Options end at "--" or at the first word that is not one: the
     * program's own options follow it untouched. */
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (argv[i][0] != '-' || !argv[i][1])
            break;
        if (parse_option(argc, argv, &i, cli, err, err_size) < 0)
            return -1;
        if (cli->command == SABOT_CMD_HELP)
            return 0;
    }
    if (i < argc) {
        cli->opts.program = argv[i];
        cli->opts.argv = (const char *const *)&argv[i];
    }
    if (cli->command == SABOT_CMD_CHECK || cli->command == SABOT_CMD_SHOW) {
        /* The manifest: -m FILE or the one word after the options. */
        if (cli->opts.program && !cli->opts.manifest_path && !argv[i + 1])
            cli->opts.manifest_path = cli->opts.program;
        else if (cli->opts.program)
            return usage_err(err, err_size, "%s takes one manifest, not '%s'",
                             cli->command == SABOT_CMD_CHECK ? "check" : "show", cli->opts.program);
        cli->opts.program = NULL;
        cli->opts.argv = NULL;
        if (cli->command == SABOT_CMD_CHECK && !cli->opts.manifest_path)
            return usage_err(err, err_size,
                             "check needs a manifest: sabot manifest check FILE.toml");
        return 0;
    }
    if (!cli->opts.program && !cli->opts.manifest_path)
        return usage_err(err, err_size,
                         "nothing to run: sabot run -- PROGRAM [ARGS...] or sabot run -m "
                         "FILE.toml");
    return 0;
}
