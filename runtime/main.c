/* The `sabot` command. The C entry is sabot_main: `main` is only an alias
 * that the build strips, so `break main` in gdb finds the app's main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabot_internal.h"

enum { EXIT_USAGE = 2 };

static int check_manifest(const char *path) {
    char err[1024], *text;
    size_t size;
    int r = sabot_read_file(path, &text, &size);
    if (r < 0) {
        fprintf(stderr, "sabot: cannot read manifest '%s': %s\n", path, strerror(-r));
        return EXIT_USAGE;
    }
    r = sabot_manifest_check(text, size, path, err, sizeof(err));
    free(text);
    if (r < 0) {
        fprintf(stderr, "sabot: %s\n", err);
        return EXIT_USAGE;
    }
    printf("%s: ok\n", path);
    return 0;
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
        return check_manifest(cli.opts.manifest_path);
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
