/* libFuzzer target for the ELF loader (libos/elf.c): each input is written
 * to a file and loaded with libos_elf_load through the VFS and the fake PAL
 * of the unit tests (tests/unit_vfs/fake_pal.c), as the libos loads a
 * program. Memory errors (ASan/UBSan) and any result other than success or
 * a clean negative errno are bugs; a successful load must leave its
 * segments where it says, and is unmapped again so inputs do not pile up. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_host.h"
#include "libos_elf.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_syscalls.h"

struct libos_process g_process;
const struct pal_boot_info *g_boot;
struct libos_manifest *g_manifest;
static struct pal_boot_info g_bi;
static struct libos_manifest g_man;
static struct libos_mount_spec g_root_spec = {"/", LIBOS_MOUNT_HOST, "/", true, 1};
static char *g_dir, *g_path;

/* Console job control lives in libos/sys/proc.c, which the loader does not
 * need: weak stand-ins (a real definition, if linked, wins). */
__attribute__((weak)) bool libos_proc_tty_background(void) {
    return false;
}
__attribute__((weak)) long libos_proc_tty_read_check(void) {
    return 0;
}
__attribute__((weak)) long libos_proc_tty_change_check(void) {
    return 0;
}
__attribute__((weak)) long libos_proc_tty_ioctl(unsigned int cmd, uint64_t arg) {
    (void)cmd, (void)arg;
    return -ENOTTY;
}

int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic) {
    (void)name, (void)base, (void)dynamic;
    return 0;
}

static void cleanup(void) {
    eh_cleanup(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    g_boot = &g_bi;
    g_man.mounts = &g_root_spec;
    g_man.mount_count = 1;
    g_manifest = &g_man;
    g_process.rlimits[RLIMIT_NOFILE].rlim_cur = 64;
    g_process.rlimits[RLIMIT_AS].rlim_cur = RLIM_INFINITY;
    g_log_level = LOG_NONE;
    g_dir = eh_tmpdir();
    if (!g_dir || libos_vfs_init() != 0)
        abort();
    g_path = eh_path(g_dir, "prog");
    atexit(cleanup);
    return 0;
}

/* Every app VMA the load left, unmapped afterwards. */
struct ranges {
    uint64_t start[4096], end[4096];
    size_t n;
};

static void collect(const struct libos_vma *v, void *arg) {
    struct ranges *r = arg;
    if (r->n < 4096) {
        r->start[r->n] = v->start;
        r->end[r->n++] = v->end;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= sizeof(elf64_ehdr)) {
        const char *why = NULL;
        elf64_ehdr eh;
        memcpy(&eh, data, sizeof(eh));
        long r = libos_elf_check_header(&eh, &why);
        if (r != 0 && (r != -ENOEXEC || !why))
            abort();
    }
    if (eh_write_file(g_path, data, size, 0755) != 0)
        abort();
    struct libos_elf_image img;
    memset(&img, 0, sizeof(img));
    long r = libos_elf_load(g_path, &img);
    if (r > 0 || r < -4095)
        abort(); /* only 0 or -errno */
    if (r == 0) {
        struct libos_vma v;
        if (img.phdr && !libos_vma_lookup(img.phdr, &v))
            abort(); /* AT_PHDR must point into a mapping */
        libos_free(img.interp);
    }
    static struct ranges rs;
    rs.n = 0;
    libos_vma_for_each(collect, &rs);
    for (size_t i = 0; i < rs.n; i++)
        libos_sys_munmap((void *)rs.start[i], rs.end[i] - rs.start[i]);
    return 0;
}
