/* Runs the PAL conformance body (tests/pal/conformance.c) on the KVM PAL:
 *   pal_conformance_kvm IMAGE SCRATCH_DIR
 * IMAGE is the guest ELF of the KVM guest PAL + the conformance body. The
 * manifest grants SCRATCH_DIR read-write (the tender checks every path).
 * Exits 77 (CTest: skipped) where /dev/kvm is missing or not accessible. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tender.h"

int main(int argc, char **argv, char **envp) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    if (access("/dev/kvm", R_OK | W_OK) < 0) {
        printf("SKIP: /dev/kvm: %s\n", strerror(errno));
        return 77;
    }
    FILE *f = fopen(argv[1], "rb");
    static char img[16 << 20];
    size_t n = f ? fread(img, 1, sizeof(img), f) : 0;
    if (!f || n == 0) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    fclose(f);
    char manifest[8192];
    snprintf(manifest, sizeof(manifest),
             "[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsource = \"/\"\nreadonly = true\n"
             "[[fs.mounts]]\npath = \"%s\"\ntype = \"host\"\nsource = \"%s\"\nreadonly = false\n",
             argv[2], argv[2]);
    struct kvm_tender_config cfg = {
        .manifest = manifest,
        .manifest_size = strlen(manifest),
        .manifest_name = "conformance.toml",
        .argv = (const char *const *)(const char *[]){argv[2], NULL},
        .envp = (const char *const *)envp,
        .host_cwd = "/",
        .log_fd = 2,
        .trace_fd = -1,
        .log_level = 2,
        .image = img,
        .image_size = n,
    };
    int status;
    char err[512];
    if (kvm_tender_run(&cfg, &status, err, sizeof(err)) < 0) {
        fprintf(stderr, "tender: %s\n", err);
        return 125;
    }
    return status;
}
