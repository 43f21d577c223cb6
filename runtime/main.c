/* The `sabot` command. The C entry is sabot_main: `main` is only an alias
 * that the build strips, so `break main` in gdb finds the app's main. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libos_manifest.h"
#include "sabot_internal.h"

enum { EXIT_USAGE = 2 };

/* `sabot manifest check|show`: the same checks as `run`, nothing started.
 * show without a file shows the default policy for the working directory. */
static int manifest_command(const struct sabot_cli *cli) {
    const char *path = cli->opts.manifest_path;
    char err[1024], *text = NULL;
    size_t size;
    if (path) {
        int r = sabot_read_file(path, &text, &size);
        if (r < 0) {
            fprintf(stderr, "sabot: cannot read manifest '%s': %s\n", path, strerror(-r));
            return EXIT_USAGE;
        }
    } else {
        char *cwd = cli->opts.cwd ? realpath(cli->opts.cwd, NULL) : getcwd(NULL, 0);
        if (!cwd) {
            fprintf(stderr, "sabot: cannot use working directory '%s': %s\n",
                    cli->opts.cwd ? cli->opts.cwd : ".", strerror(errno));
            return EXIT_USAGE;
        }
        text = sabot_default_manifest(cwd);
        free(cwd);
        size = text ? strlen(text) : 0;
    }
    if (!text) {
        fprintf(stderr, "sabot: out of memory\n");
        return EXIT_USAGE;
    }
    struct libos_manifest *m = NULL;
    int r =
        sabot_manifest_load(text, size, path ? path : "<default manifest>", &m, err, sizeof(err));
    free(text);
    if (r < 0) {
        fprintf(stderr, "sabot: %s\n", err);
        return EXIT_USAGE;
    }
    sabot_manifest_warn(m, 2);
    if (cli->command == SABOT_CMD_CHECK) {
        printf("%s: ok\n", path);
    } else {
        char *out = sabot_manifest_show(m);
        if (out)
            fputs(out, stdout);
        else
            r = -ENOMEM;
        free(out);
    }
    libos_manifest_free(m);
    if (r < 0) {
        fprintf(stderr, "sabot: out of memory\n");
        return EXIT_USAGE;
    }
    return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

int sabot_main(int argc, char **argv) {
    struct sabot_cli cli;
    char err[1024];
    if (sabot_cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
        fprintf(stderr, "sabot: %s\nTry 'sabot --help'.\n", err);
        return EXIT_USAGE;
    }
    switch (cli.command) {
    case SABOT_CMD_HELP:
        fputs(g_sabot_usage, stdout);
        return 0;
    case SABOT_CMD_VERSION:
        printf("sabot %s\n", SABOT_VERSION);
        return 0;
    case SABOT_CMD_CHECK:
    case SABOT_CMD_SHOW:
        return manifest_command(&cli);
    default:
        break;
    }
    cli.opts.err = err;
    cli.opts.err_size = sizeof(err);
    sabot_exec(&cli.opts);
    fprintf(stderr, "sabot: %s\n", err);
    return EXIT_USAGE;
}

int main(int argc, char **argv) __attribute__((alias("sabot_main")));
