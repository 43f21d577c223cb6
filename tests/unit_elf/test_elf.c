/* Unit tests of the ELF loader (libos/elf.c) against the fake PAL: header
 * checks, and real static, static-PIE and dynamic executables mapped into
 * this process (never run). Paths are host paths: "/" is mounted
 * read-only at "/". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "elf_host.h"
#include "libos_elf.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_syscalls.h"

void free(void *p);

#define EQ(expr, want) assert_int_equal((long)(expr), (long)(want))

struct libos_process g_process;
const struct pal_boot_info *g_boot;
struct libos_manifest *g_manifest;

/* Job control lives in libos/sys/proc.c (the process table): none here. */
bool libos_proc_tty_background(void) {
    return false;
}
long libos_proc_tty_read_check(void) {
    return 0;
}
long libos_proc_tty_change_check(void) {
    return 0;
}
long libos_proc_tty_ioctl(unsigned int cmd, uint64_t arg) {
    return -ENOTTY;
}
static struct pal_boot_info g_bi;
static struct libos_manifest g_man;
static struct libos_mount_spec g_root_spec = {"/", LIBOS_MOUNT_HOST, "/", true, 1};
static char *g_dir;

/* Debugger registrations the loader made. */
static char g_dbg_name[512];
static uint64_t g_dbg_base, g_dbg_dynamic;
static int g_dbg_calls;
int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic) {
    libos_strlcpy(g_dbg_name, name, sizeof(g_dbg_name));
    g_dbg_base = base;
    g_dbg_dynamic = dynamic;
    g_dbg_calls++;
    return 0;
}

static int setup(void **state) {
    g_boot = &g_bi;
    g_man.mounts = &g_root_spec;
    g_man.mount_count = 1;
    g_manifest = &g_man;
    for (int i = 0; i < RLIMIT_NLIMITS; i++) /* as libos_start sets them up */
        g_process.rlimits[i].rlim_cur = g_process.rlimits[i].rlim_max = RLIM_INFINITY;
    g_process.rlimits[RLIMIT_NOFILE].rlim_cur = 64;
    g_log_level = LOG_NONE;
    g_dir = eh_tmpdir();
    assert_non_null(g_dir);
    return libos_vfs_init() == 0 ? 0 : -1;
}

static int teardown(void **state) {
    eh_cleanup(g_dir);
    return 0;
}

static elf64_ehdr good_header(void) {
    elf64_ehdr eh = {0};
    memcpy(eh.e_ident, "\177ELF", 4);
    eh.e_ident[4] = 2;
    eh.e_ident[5] = 1;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_phentsize = sizeof(elf64_phdr);
    eh.e_phnum = 3;
    eh.e_phoff = 64;
    return eh;
}

/* Breaks one property of a good header; case order matches whys[]. */
static void mutate_header(elf64_ehdr *e, int which) {
    switch (which) {
    case 0:
        e->e_ident[0] = 0;
        break;
    case 1:
        e->e_ident[4] = 1;
        break;
    case 2:
        e->e_ident[5] = 2;
        break;
    case 3:
        e->e_machine = 3;
        break;
    case 4:
        e->e_type = 1;
        break;
    case 5:
        e->e_phentsize = 32;
        break;
    case 6:
        e->e_phnum = 0;
        break;
    case 7:
        e->e_phnum = ELF_MAX_PHNUM + 1;
        break;
    case 8:
        e->e_phoff = UINT64_MAX - 8;
        break;
    }
}

static void test_header_checks(void **state) {
    const char *why = NULL;
    elf64_ehdr eh = good_header();
    EQ(libos_elf_check_header(&eh, &why), 0);
    eh.e_type = ET_DYN;
    EQ(libos_elf_check_header(&eh, &why), 0);

    static const char *const whys[] = {
        "not an ELF file",
        "not a 64-bit ELF file",
        "not little-endian",
        "not an x86-64 program",
        "not an executable or shared object",
        "bad program header size",
        "bad program header count",
        "bad program header count",
        "program headers out of range",
    };
    for (size_t i = 0; i < ARRAY_SIZE(whys); i++) {
        eh = good_header();
        mutate_header(&eh, (int)i);
        why = NULL;
        EQ(libos_elf_check_header(&eh, &why), -ENOEXEC);
        assert_string_equal(why, whys[i]);
    }
}

/* The file's bytes must appear at every PT_LOAD's runtime address, the
 * rest of memsz must be zero, and VMAs must carry the segment's access. */
static void check_segments(const char *path, const struct libos_elf_image *img) {
    size_t len;
    char *file = eh_read_file(path, &len);
    assert_non_null(file);
    const elf64_ehdr *eh = (const elf64_ehdr *)file;
    const elf64_phdr *ph = (const elf64_phdr *)(file + eh->e_phoff);
    int loads = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        loads++;
        const char *mem = (const char *)(ph[i].p_vaddr + img->bias);
        assert_memory_equal(mem, file + ph[i].p_offset, ph[i].p_filesz);
        for (uint64_t z = ph[i].p_filesz; z < ph[i].p_memsz; z++)
            assert_int_equal(mem[z], 0);
        struct libos_vma v;
        assert_true(libos_vma_lookup((uint64_t)mem, &v));
        EQ(!!(v.prot & PROT_WRITE), !!(ph[i].p_flags & PF_W));
        EQ(!!(v.prot & PROT_EXEC), !!(ph[i].p_flags & PF_X));
    }
    assert_true(loads > 0);
    /* AT_PHDR must point at the program headers in memory. */
    assert_memory_equal((void *)img->phdr, ph, eh->e_phnum * sizeof(elf64_phdr));
    EQ(img->phnum, eh->e_phnum);
    EQ(img->entry, eh->e_entry + img->bias);
    free(file);
}

static void unmap_image(const struct libos_elf_image *img, uint64_t lo) {
    libos_sys_munmap((void *)lo, img->end - lo);
}

static void test_load_static(void **state) {
    struct libos_elf_image img;
    g_dbg_calls = 0;
    EQ(libos_elf_load(ELF_STATIC, &img), 0);
    EQ(img.bias, 0);
    assert_null(img.interp);
    check_segments(ELF_STATIC, &img);
    EQ(g_dbg_calls, 1);
    assert_string_equal(g_dbg_name, ELF_STATIC);
    EQ(g_dbg_base, 0);
    /* A second load at the same fixed address must not silently overlap. */
    struct libos_elf_image again;
    EQ(libos_elf_load(ELF_STATIC, &again), 0); /* replaces the app's own mapping */
    unmap_image(&img, 0x400000);
}

static void test_load_static_pie(void **state) {
    struct libos_elf_image img;
    EQ(libos_elf_load(ELF_SPIE, &img), 0);
    assert_true(img.bias != 0);
    EQ(img.bias % LIBOS_PAGE_SIZE, 0);
    assert_null(img.interp);
    check_segments(ELF_SPIE, &img);
    assert_true(g_dbg_dynamic > img.bias); /* static-pie has PT_DYNAMIC */
    unmap_image(&img, img.bias);
}

static void test_load_dynamic(void **state) {
    struct libos_elf_image img;
    EQ(libos_elf_load(ELF_DYN, &img), 0);
    assert_non_null(img.interp);
    assert_string_equal(img.interp, "/lib64/ld-linux-x86-64.so.2");
    check_segments(ELF_DYN, &img);
    libos_free(img.interp);
    unmap_image(&img, img.bias);
}

static char *write_variant(const char *name, void (*mutate)(char *file, size_t *len),
                           unsigned mode) {
    size_t len;
    char *file = eh_read_file(ELF_STATIC, &len);
    assert_non_null(file);
    if (mutate)
        mutate(file, &len);
    char *path = eh_path(g_dir, name);
    assert_int_equal(eh_write_file(path, file, len, mode), 0);
    free(file);
    return path;
}

static void truncate_headers(char *file, size_t *len) {
    *len = 40;
}
static void truncate_segments(char *file, size_t *len) {
    *len = 4096; /* headers intact, segment data missing */
}
static void misalign_segment(char *file, size_t *len) {
    elf64_ehdr *eh = (elf64_ehdr *)file;
    elf64_phdr *ph = (elf64_phdr *)(file + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD) {
            ph[i].p_vaddr += 1; /* offset and address no longer congruent */
            return;
        }
}
static void filesz_over_memsz(char *file, size_t *len) {
    elf64_ehdr *eh = (elf64_ehdr *)file;
    elf64_phdr *ph = (elf64_phdr *)(file + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD) {
            ph[i].p_filesz = ph[i].p_memsz + 1;
            return;
        }
}
static void no_loads(char *file, size_t *len) {
    elf64_ehdr *eh = (elf64_ehdr *)file;
    elf64_phdr *ph = (elf64_phdr *)(file + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD)
            ph[i].p_type = 0x70000000;
}
static void bad_interp(char *file, size_t *len) {
    elf64_ehdr *eh = (elf64_ehdr *)file;
    elf64_phdr *ph = (elf64_phdr *)(file + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == 0x6474e551) { /* GNU_STACK -> unterminated PT_INTERP */
            ph[i].p_type = PT_INTERP;
            ph[i].p_offset = 0;
            ph[i].p_filesz = 16;
        }
}

static void test_load_errors(void **state) {
    struct libos_elf_image img;
    struct {
        const char *name;
        void (*mutate)(char *, size_t *);
        unsigned mode;
        long want;
    } cases[] = {
        {"noexec", NULL, 0644, -EACCES},
        {"short", truncate_headers, 0755, -ENOEXEC},
        {"nodata", truncate_segments, 0755, -ENOEXEC},
        {"misaligned", misalign_segment, 0755, -ENOEXEC},
        {"filesz", filesz_over_memsz, 0755, -ENOEXEC},
        {"noloads", no_loads, 0755, -ENOEXEC},
        {"interp", bad_interp, 0755, -ENOEXEC},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *path = write_variant(cases[i].name, cases[i].mutate, cases[i].mode);
        long r = libos_elf_load(path, &img);
        if (r != cases[i].want)
            fail_msg("%s: got %ld, want %ld", cases[i].name, r, cases[i].want);
        if (r == 0)
            unmap_image(&img, 0x400000);
        free(path);
    }
    EQ(libos_elf_load("/nonexistent/prog", &img), -ENOENT);
    EQ(libos_elf_load(g_dir, &img), -EACCES); /* a directory */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_checks),   cmocka_unit_test(test_load_static),
        cmocka_unit_test(test_load_static_pie), cmocka_unit_test(test_load_dynamic),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
