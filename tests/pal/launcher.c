/* Hosted launcher for the PAL conformance program on the Linux PAL:
 *   pal_conformance_linux SCRATCH_DIR [CHILD_LOADER]
 * Hands SCRATCH_DIR to the conformance body as boot->argv[0]; from
 * pal_linux_boot() on no libc code runs. */
#include <stdio.h>
#include <unistd.h>

#include "pal_linux_boot.h"

int main(int argc, char **argv, char **envp) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s SCRATCH_DIR [CHILD_LOADER]\n", argv[0]);
        return 2;
    }
    static char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        cwd[0] = '\0';
    struct pal_linux_config cfg = {
        .manifest = "",
        .manifest_size = 0,
        .manifest_name = "(none)",
        .argv = (const char *const *)(const char *[]){argv[1], NULL},
        .child_loader = argc == 3 ? argv[2] : NULL,
        .envp = (const char *const *)envp,
        .host_cwd = cwd,
        .log_fd = 2,
        .trace_fd = -1,
        .log_level = 2,
    };
    fflush(NULL);
    pal_linux_boot(&cfg);
}
