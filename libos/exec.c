/* The initial process stack (argv, envp, auxv) and the jump into the
 * program, as the Linux kernel sets them up for a new program. */
#include "libos_elf.h"
#include "libos_mm.h"
#include "libos_pseudo.h"
#include "libos_time.h"

#define STACK_GUARD LIBOS_PAGE_SIZE

static uint64_t g_stack_top;

/* Allocate the main stack: rlimit size, plus a no-access guard page. */
static long alloc_stack(uint64_t size) {
    size = ALIGN_UP(size, LIBOS_PAGE_SIZE);
    void *base = NULL;
    long r = libos_errno_from_pal(pal_mem_alloc(&base, size + STACK_GUARD, PAL_PROT_NONE, 0));
    if (r < 0)
        return r;
    uint64_t lo = (uint64_t)base + STACK_GUARD;
    r = libos_errno_from_pal(pal_mem_protect((void *)lo, size, PAL_PROT_READ | PAL_PROT_WRITE));
    if (r < 0)
        return r;
    libos_vma_insert((uint64_t)base, lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
    libos_vma_insert(lo, lo + size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, VMA_STACK);
    g_stack_top = lo + size;
    return 0;
}

static uint64_t push_bytes(uint64_t *sp, const void *data, size_t len) {
    *sp -= len;
    memcpy((void *)*sp, data, len);
    return *sp;
}

static size_t count(char *const *v) {
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* EDX of leaf 1, what Linux reports as AT_HWCAP. Asked once per run
 * (fork children inherit it): a CPUID is a VM exit under a hypervisor,
 * microseconds. */
static uint64_t hwcap(void) {
    static bool known;
    static uint64_t edx;
    if (!known) {
        uint32_t r[4];
        pal_cpuid(1, 0, r);
        edx = r[3];
        known = true;
    }
    return edx;
}

/* Not inlined: the KVM PAL's gdbstub plants the breakpoints gdb set before
 * the program was loaded when execution reaches this function. */
__attribute__((noreturn, noinline)) static void jump_to(uint64_t entry, uint64_t sp) {
    /* ABI: rsp at argc, rdx = 0 (no rtld_fini), other registers clear.
     * The entry travels in r15, the one register not cleared. */
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "mov %1, %%r15\n\t"
                     "xor %%eax, %%eax\n\t"
                     "xor %%ebx, %%ebx\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\t"
                     "xor %%edi, %%edi\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "xor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\t"
                     "xor %%r10d, %%r10d\n\t"
                     "xor %%r11d, %%r11d\n\t"
                     "xor %%r12d, %%r12d\n\t"
                     "xor %%r13d, %%r13d\n\t"
                     "xor %%r14d, %%r14d\n\t"
                     "jmp *%%r15"
                     :
                     : "a"(sp), "b"(entry)
                     : "memory");
    __builtin_unreachable();
}

uint64_t libos_elf_setup_stack(const struct libos_elf_image *exe,
                               const struct libos_elf_image *interp, const char *execfn,
                               char *const *argv, char *const *envp) {
    uint64_t stack_size = g_process.rlimits[RLIMIT_STACK].rlim_cur;
    if (stack_size == RLIM_INFINITY || stack_size > (1ULL << 30))
        stack_size = 1ULL << 30;
    if (stack_size < 128 * 1024)
        stack_size = 128 * 1024;
    if (alloc_stack(stack_size) < 0)
        libos_panic("cannot allocate the program stack (%lu bytes)", (unsigned long)stack_size);

    size_t argc = count(argv), envc = count(envp);
    uint64_t sp = g_stack_top;
    uint64_t execfn_at = push_bytes(&sp, execfn, strlen(execfn) + 1);
    uint64_t *argp = libos_malloc((argc + envc + 2) * sizeof(uint64_t));
    if (!argp)
        libos_panic("out of memory building the program stack");
    /* Pushed last to first, so the strings lie in order as on Linux
     * (/proc/self/cmdline and environ read them back from there). */
    uint64_t env_end = sp;
    for (size_t i = envc; i-- > 0;)
        argp[argc + 1 + i] = push_bytes(&sp, envp[i], strlen(envp[i]) + 1);
    uint64_t arg_end = sp;
    for (size_t i = argc; i-- > 0;)
        argp[i] = push_bytes(&sp, argv[i], strlen(argv[i]) + 1);
    uint64_t arg_start = sp;
    uint64_t platform = push_bytes(&sp, "x86_64", 7);
    uint8_t rnd[16];
    pal_random(rnd, sizeof(rnd));
    sp = ALIGN_DOWN(sp, 16);
    uint64_t random_at = push_bytes(&sp, rnd, sizeof(rnd));
    uint64_t vdso = libos_vdso_map(); /* 0: none (AT_IGNORE, as if absent) */

    uint64_t auxv[][2] = {
        {AT_PHDR, exe->phdr},
        {AT_PHENT, sizeof(elf64_phdr)},
        {AT_PHNUM, exe->phnum},
        {AT_PAGESZ, LIBOS_PAGE_SIZE},
        {AT_BASE, interp ? interp->bias : 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, exe->entry},
        {AT_UID, g_process.uid},
        {AT_EUID, g_process.euid},
        {AT_GID, g_process.gid},
        {AT_EGID, g_process.egid},
        {AT_SECURE, 0},
        {AT_RANDOM, random_at},
        {AT_HWCAP, hwcap()},
        {AT_HWCAP2, 0},
        {AT_CLKTCK, 100},
        {AT_PLATFORM, platform},
        {AT_EXECFN, execfn_at},
        {vdso ? AT_SYSINFO_EHDR : AT_IGNORE, vdso},
        {AT_NULL, 0},
    };
    /* argc, argv[], NULL, envp[], NULL, auxv: keep rsp 16-byte aligned. */
    size_t words = 1 + argc + 1 + envc + 1 + ARRAY_SIZE(auxv) * 2;
    sp = ALIGN_DOWN(sp - words * 8, 16);
    uint64_t *w = (uint64_t *)sp;
    *w++ = argc;
    for (size_t i = 0; i < argc; i++)
        *w++ = argp[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++)
        *w++ = argp[argc + 1 + i];
    *w++ = 0;
    memcpy(w, auxv, sizeof(auxv));
    libos_free(argp);
    libos_procfs_exec(execfn, arg_start, arg_end, arg_end, env_end, &auxv[0][0],
                      ARRAY_SIZE(auxv) * 2);
    return sp;
}

void libos_elf_start(const struct libos_elf_image *exe, const struct libos_elf_image *interp,
                     const char *execfn, char *const *argv, char *const *envp) {
    uint64_t sp = libos_elf_setup_stack(exe, interp, execfn, argv, envp);
    jump_to(interp ? interp->entry : exe->entry, sp);
}
