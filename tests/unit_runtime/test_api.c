/* libsabot's embedding API end to end: sabot_run() starts a real program
 * under the Linux PAL in a child and reports its exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sabot.h"

static int g_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

int main(void) {
    struct sabot_options o;
    char err[512];
    int status = -1;

    sabot_options_init(&o);
    o.program = "false"; /* found in PATH */
    CHECK(sabot_run(&o, &status) == 0);
    CHECK(status == 1);

    o.program = "/bin/true";
    status = -1;
    CHECK(sabot_run(&o, &status) == 0);
    CHECK(status == 0);

    /* The manifest's entrypoint, from text. */
    sabot_options_init(&o);
    o.manifest_text = "[loader]\nentrypoint = \"/bin/false\"\n"
                      "[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsource = \"/\"\n";
    status = -1;
    CHECK(sabot_run(&o, &status) == 0);
    CHECK(status == 1);

    /* A pinned entrypoint with argv from the caller: argv[0] is only a name. */
    o.manifest_text = "[loader]\nentrypoint = \"/bin/sh\"\n"
                      "[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsource = \"/\"\n";
    o.argv = (const char *const[]){"sh", "-c", "exit 7", NULL};
    status = -1;
    CHECK(sabot_run(&o, &status) == 0);
    CHECK(status == 7);
    o.argv = NULL;

    /* Errors come back before anything runs. */
    o.manifest_text = "[loader]\nentrypoint = 1\n";
    o.manifest_name = "api.toml";
    o.err = err;
    o.err_size = sizeof(err);
    CHECK(sabot_run(&o, &status) < 0);
    CHECK(strncmp(err, "api.toml:2:", 11) == 0);

    sabot_options_init(&o);
    o.program = "no-such-program-xyz";
    o.err = err;
    o.err_size = sizeof(err);
    CHECK(sabot_run(&o, &status) < 0);
    CHECK(strstr(err, "command not found") != NULL);

    /* The default manifest checks, host mounts included (they must exist). */
    char dir[] = "/tmp/sabot-api-a\"bXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *def = sabot_default_manifest(dir);
    CHECK(def && sabot_manifest_check(def, strlen(def), "default", err, sizeof(err)) == 0);
    free(def);
    rmdir(dir);
    def = sabot_default_manifest("/nonexistent/a\"b");
    CHECK(def && sabot_manifest_check(def, strlen(def), "default", err, sizeof(err)) == -ENOENT);
    CHECK(strstr(err, "host directory /nonexistent/a\"b does not exist") != NULL);
    free(def);

    printf("%s\n", g_failures ? "FAILED" : "ok");
    return g_failures != 0;
}
