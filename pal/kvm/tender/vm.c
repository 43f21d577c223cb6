/* The tender's VM: one vCPU started in 64-bit long mode at CPL3 on the guest
 * image's entry point. Everything the guest would set up with privileged
 * instructions (GDT, IDT, TSS, page tables, control registers, syscall
 * MSRs) is prepared here, so guest supervisor code (emulated by kvm_pvm,
 * ~400 ns per instruction) runs only for exceptions and syscall entry. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "libos_manifest.h"
#include "tender.h"

#define DEFAULT_MEM (1ULL << 30)
#define PAGE 4096ULL
#define MB2 (2ULL << 20)

static int fail(char *err, size_t size, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t size, int e, const char *fmt, ...) {
    if (err && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, size, fmt, ap);
        va_end(ap);
    }
    return -e;
}

static void *gpa(struct kvm_vm *vm, uint64_t a) {
    return vm->mem + a;
}

/* ------------------------------------------------------- tables */
static void setup_gdt(struct kvm_vm *vm) {
    uint64_t *gdt = gpa(vm, KVM_GPA_GDT);
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffULL; /* kernel code, L */
    gdt[2] = 0x00cf93000000ffffULL; /* kernel data */
    gdt[3] = 0x00cff3000000ffffULL; /* user data, DPL3 */
    gdt[4] = 0x00affb000000ffffULL; /* user code, L, DPL3 */
    uint64_t base = KVM_VA_DMAP + KVM_GPA_TSS, limit = 0x67;
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
             (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;
}

/* TSS.RSP0 and IST1: the CPL0 stack the image provides at symbol
 * kvm_cpl0_stack_top (found by the ELF loader; 0 means none). */
static void setup_tss(struct kvm_vm *vm, uint64_t rsp0) {
    uint8_t *tss = gpa(vm, KVM_GPA_TSS);
    memset(tss, 0, 0x68);
    memcpy(tss + 4, &rsp0, 8);    /* RSP0 */
    memcpy(tss + 0x24, &rsp0, 8); /* IST1 */
    uint16_t iomap = 0x68;        /* no I/O bitmap: IOPL decides */
    memcpy(tss + 0x66, &iomap, 2);
}

/* IDT gates from the image's table of stub addresses (kvm_idt_stubs:
 * 0-31 the exceptions, 32 the LSTAR entry, 33 the PAL service gate
 * 0x80). Gates are DPL0 interrupt gates, except #BP/#OF (int3 and into
 * from CPL3 must reach them) and 0x80. */
static uint64_t gate(uint64_t h, uint64_t dpl, uint64_t ist) {
    return (h & 0xffff) | ((uint64_t)KVM_SEL_KCODE << 16) | (ist << 32) |
           ((0x8eULL | (dpl << 5)) << 40) | (((h >> 16) & 0xffff) << 48);
}

static void setup_idt(struct kvm_vm *vm, const uint64_t *stubs) {
    uint64_t *idt = gpa(vm, KVM_GPA_IDT);
    memset(idt, 0, 4096);
    for (int v = 0; v < 32 && stubs; v++) {
        uint64_t h = stubs[v];
        if (!h)
            continue;
        uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;
        uint64_t ist = (v == 8) ? 1 : 0; /* double fault on a known stack */
        idt[2 * v] = gate(h, dpl, ist);
        idt[2 * v + 1] = h >> 32;
    }
    if (stubs && stubs[33]) {
        idt[2 * 0x80] = gate(stubs[33], 3, 0);
        idt[2 * 0x80 + 1] = stubs[33] >> 32;
    }
}

/* Upper half: the image at KVM_VA_IMAGE and a direct map of all guest
 * memory at KVM_VA_DMAP, both with 2 MiB pages (kvm_pvm's shadow paging
 * does not take 1 GiB pages). Both user-accessible: the PAL runs at CPL3
 * and edits page tables through the direct map. */
static int setup_paging(struct kvm_vm *vm, uint64_t image_size) {
    uint64_t *pml4 = gpa(vm, KVM_GPA_PT);
    uint64_t *pdpt_dmap = gpa(vm, KVM_GPA_PT + 0x1000);
    uint64_t *pdpt_img = gpa(vm, KVM_GPA_PT + 0x2000);
    uint64_t *pd_img = gpa(vm, KVM_GPA_PT + 0x3000);
    const uint64_t P = 1, RW = 2, US = 4, PS = 0x80, NX = 1ULL << 63;
    uint64_t mapped = vm->mem_size + MB2; /* RAM and the doorbell */
    uint64_t gib = (mapped + (1ULL << 30) - 1) >> 30;
    if (gib > KVM_DMAP_PD_MAX || image_size > 512 * MB2)
        return -1;
    memset(pml4, 0, 4 * PAGE);
    pml4[KVM_PML4_DMAP] = (KVM_GPA_PT + 0x1000) | P | RW | US;
    pml4[511] = (KVM_GPA_PT + 0x2000) | P | RW | US;
    for (uint64_t g = 0; g < gib; g++) {
        uint64_t pd_gpa = KVM_GPA_DMAP_PD + g * PAGE;
        uint64_t *pd = gpa(vm, pd_gpa);
        pdpt_dmap[g] = pd_gpa | P | RW | US;
        for (uint64_t i = 0; i < 512 && ((g << 30) + i * MB2) < mapped; i++)
            pd[i] = ((g << 30) + i * MB2) | P | RW | US | PS | NX;
    }
    pdpt_img[(KVM_VA_IMAGE >> 30) & 511] = (KVM_GPA_PT + 0x3000) | P | RW | US;
    for (uint64_t i = 0; i * MB2 < image_size; i++)
        pd_img[i] = (KVM_GPA_IMAGE + i * MB2) | P | RW | US | PS;
    return 0;
}

/* ------------------------------------------------------- image */
struct image_syms {
    uint64_t cpl0_stack_top, idt_stubs;
};

static uint64_t va_to_gpa(uint64_t va) {
    return KVM_GPA_IMAGE + (va - KVM_VA_IMAGE);
}

static void find_syms(const uint8_t *img, size_t size, struct image_syms *s) {
    const Elf64_Ehdr *eh = (const void *)img;
    if (eh->e_shoff == 0 || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        return;
    const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
            const char *n = str + sym[k].st_name;
            if (!strcmp(n, "kvm_cpl0_stack_top"))
                s->cpl0_stack_top = sym[k].st_value;
            else if (!strcmp(n, "kvm_idt_stubs"))
                s->idt_stubs = sym[k].st_value;
        }
    }
}

/* The image is ours (built with sabot), but check it anyway: every
 * segment must land inside the image window. */
static int load_image(struct kvm_vm *vm, const uint8_t *img, size_t size, struct image_syms *s,
                      char *err, size_t err_size) {
    const Elf64_Ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_machine != EM_X86_64 ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size)
        return fail(err, err_size, ENOEXEC, "KVM guest image is not an x86-64 ELF");
    const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);
    uint64_t end = KVM_VA_IMAGE;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        uint64_t va = ph[i].p_vaddr, memsz = ph[i].p_memsz;
        if (va < KVM_VA_IMAGE || memsz > (1ULL << 30) || ph[i].p_filesz > memsz ||
            ph[i].p_offset + ph[i].p_filesz > size || va_to_gpa(va) + memsz > vm->mem_size / 2)
            return fail(err, err_size, ENOEXEC, "KVM guest image: bad segment %d", i);
        memcpy(gpa(vm, va_to_gpa(va)), img + ph[i].p_offset, ph[i].p_filesz);
        if (va + memsz > end)
            end = va + memsz;
    }
    uint64_t image_size = (end - KVM_VA_IMAGE + MB2 - 1) & ~(MB2 - 1);
    vm->free_start = KVM_GPA_IMAGE + image_size;
    vm->entry = eh->e_entry;
    find_syms(img, size, s);
    if (!s->cpl0_stack_top || !s->idt_stubs)
        return fail(err, err_size, ENOEXEC, "KVM guest image lacks its CPL0 symbols");
    if (setup_paging(vm, image_size) < 0)
        return fail(err, err_size, ENOEXEC, "KVM guest image or memory too large");
    return 0;
}

/* ------------------------------------------------------- boot page */
static uint64_t put_bytes(struct kvm_vm *vm, const void *p, size_t n) {
    uint64_t at = (vm->strings_used + 7) & ~7ULL;
    if (at + n > KVM_STRINGS_SIZE)
        return 0;
    memcpy(gpa(vm, KVM_GPA_STRINGS + at), p, n);
    vm->strings_used = at + n;
    return KVM_VA_DMAP + KVM_GPA_STRINGS + at;
}

static uint64_t put_str(struct kvm_vm *vm, const char *s) {
    return s ? put_bytes(vm, s, strlen(s) + 1) : 0;
}

static uint64_t put_vec(struct kvm_vm *vm, const char *const *v) {
    size_t n = 0;
    while (v && v[n])
        n++;
    uint64_t *tmp = calloc(n + 1, 8);
    if (!tmp)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(tmp[i] = put_str(vm, v[i]))) {
            free(tmp);
            return 0;
        }
    uint64_t r = put_bytes(vm, tmp, (n + 1) * 8);
    free(tmp);
    return r;
}

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int fill_boot(struct kvm_vm *vm, const struct kvm_tender_config *cfg, uint64_t tsc_khz) {
    struct kvm_boot *b = gpa(vm, KVM_GPA_BOOT);
    memset(b, 0, sizeof(*b));
    b->mem_size = vm->mem_size;
    b->free_start = vm->free_start;
    b->tsc_khz = tsc_khz;
    b->argv = put_vec(vm, cfg->argv);
    b->envp = put_vec(vm, cfg->envp);
    b->exec_path = put_str(vm, cfg->exec_path);
    b->manifest = put_bytes(vm, cfg->manifest, cfg->manifest_size + 1);
    b->manifest_size = cfg->manifest_size;
    b->manifest_name = put_str(vm, cfg->manifest_name ? cfg->manifest_name : "manifest");
    b->host_cwd = put_str(vm, cfg->host_cwd ? cfg->host_cwd : "/");
    if (!b->argv || !b->envp || !b->manifest || !b->manifest_name || !b->host_cwd)
        return -E2BIG;
    /* The manifest text must be NUL-terminated in the guest. */
    ((char *)gpa(vm, b->manifest - KVM_VA_DMAP))[cfg->manifest_size] = 0;
    b->log_level = cfg->log_level;
    b->trace = cfg->trace_fd >= 0;
    b->cpu_count = 1;
    b->host_uid = getuid();
    b->host_gid = getgid();
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(b->hostname, sizeof(b->hostname), "%s", u.nodename);
        snprintf(b->os_release, sizeof(b->os_release), "%s", u.release);
    }
    /* The guest's TSC starts near 0 with the vCPU; it re-bases its clocks
     * on its first rdtsc against these. */
    b->boot_realtime = now_ns(CLOCK_REALTIME);
    b->boot_monotonic = now_ns(CLOCK_MONOTONIC);
    return 0;
}

/* ------------------------------------------------------- vCPU */
static int set_cpuid(struct kvm_vm *vm, uint64_t *xcr0) {
    int n = 256;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
    if (!c)
        return -ENOMEM;
    c->nent = n;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        free(c);
        return -errno;
    }
    *xcr0 = 3;
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 0xd && e->index == 0)
            *xcr0 = e->eax & 0xe7; /* x87, SSE, AVX, AVX-512 */
        if (e->function == 1)
            e->ecx |= 1u << 27; /* OSXSAVE mirrors CR4 */
    }
    int r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
    free(c);
    return r;
}

static void seg(struct kvm_segment *s, uint16_t sel, int code, int dpl) {
    memset(s, 0, sizeof(*s));
    s->selector = sel;
    s->limit = 0xffffffff;
    s->present = 1;
    s->dpl = dpl;
    s->s = 1;
    s->g = 1;
    s->type = code ? 0xb : 0x3;
    s->l = code;
    s->db = !code;
}

static int setup_vcpu(struct kvm_vm *vm, const struct image_syms *s) {
    uint64_t xcr0 = 3;
    int r = set_cpuid(vm, &xcr0);
    if (r < 0)
        return r;
    struct kvm_sregs sr;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    sr.cr3 = KVM_GPA_PT;
    sr.cr4 = (1 << 5) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 16) | (1 << 18);
    /* PAE PGE OSFXSR OSXMMEXCPT FSGSBASE OSXSAVE */
    sr.cr0 = 0x80050033; /* PG WP NE ET MP PE */
    sr.efer = 0xd01;     /* NXE LMA LME SCE */
    seg(&sr.cs, KVM_SEL_UCODE, 1, 3);
    seg(&sr.ss, KVM_SEL_UDATA, 0, 3);
    seg(&sr.ds, KVM_SEL_UDATA, 0, 3);
    seg(&sr.es, KVM_SEL_UDATA, 0, 3);
    seg(&sr.fs, KVM_SEL_UDATA, 0, 3);
    seg(&sr.gs, KVM_SEL_UDATA, 0, 3);
    memset(&sr.tr, 0, sizeof(sr.tr));
    sr.tr.base = KVM_VA_DMAP + KVM_GPA_TSS;
    sr.tr.limit = 0x67;
    sr.tr.selector = KVM_SEL_TSS;
    sr.tr.type = 0xb; /* busy 64-bit TSS */
    sr.tr.present = 1;
    memset(&sr.ldt, 0, sizeof(sr.ldt));
    sr.ldt.unusable = 1;
    sr.gdt.base = KVM_VA_DMAP + KVM_GPA_GDT;
    sr.gdt.limit = 7 * 8 - 1;
    sr.idt.base = KVM_VA_DMAP + KVM_GPA_IDT;
    sr.idt.limit = 256 * 16 - 1;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;

    struct kvm_xcrs xc;
    memset(&xc, 0, sizeof(xc));
    xc.nr_xcrs = 1;
    xc.xcrs[0].xcr = 0;
    xc.xcrs[0].value = xcr0;
    if (ioctl(vm->vcpu_fd, KVM_SET_XCRS, &xc) < 0)
        return -errno;

    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[4];
    } m;
    memset(&m, 0, sizeof(m));
    m.h.nmsrs = 3;
    m.e[0].index = 0xc0000081; /* STAR */
    m.e[0].data = ((uint64_t)(KVM_SEL_KDATA) << 48) | ((uint64_t)KVM_SEL_KCODE << 32);
    m.e[1].index = 0xc0000082; /* LSTAR: first IDT stub table entry 32 */
    m.e[1].data = ((const uint64_t *)gpa(vm, va_to_gpa(s->idt_stubs)))[32];
    m.e[2].index = 0xc0000084; /* SFMASK: TF IF DF NT AC */
    m.e[2].data = 0x100 | 0x200 | 0x400 | 0x4000 | 0x40000;
    if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &m) != 3)
        return -EINVAL;

    struct kvm_regs rg;
    memset(&rg, 0, sizeof(rg));
    rg.rip = vm->entry;
    rg.rsp = 0; /* the guest entry sets its own stack */
    rg.rdi = KVM_VA_DMAP + KVM_GPA_BOOT;
    rg.rflags = 0x2;
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &rg) < 0)
        return -errno;
    return 0;
}

static void dump_regs(struct kvm_vm *vm, const char *why) {
    struct kvm_regs r;
    struct kvm_sregs s;
    ioctl(vm->vcpu_fd, KVM_GET_REGS, &r);
    ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s);
    fprintf(stderr,
            "sabot: kvm: %s: rip=%llx rsp=%llx rax=%llx rdi=%llx cs=%x cr2=%llx rflags=%llx\n", why,
            r.rip, r.rsp, r.rax, r.rdi, s.cs.selector, s.cr2, r.rflags);
    if (getenv("SABOT_KVM_EXC")) {
        uint64_t *x = gpa(vm, strtoull(getenv("SABOT_KVM_EXC"), NULL, 0));
        fprintf(stderr, "exc: vec %lu err %#lx rip %#lx rflags %#lx cr2 %#lx\n", x[0], x[1], x[2],
                x[4], x[6]);
    }
}

/* ------------------------------------------------------- run */
static int run_loop(struct kvm_vm *vm, int *status, char *err, size_t err_size) {
    for (;;) {
        if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (getenv("SABOT_KVM_DEBUG"))
                    dump_regs(vm, "interrupted");
                continue;
            }
            return fail(err, err_size, errno, "KVM_RUN: %s", strerror(errno));
        }
        struct kvm_run *run = vm->run;
        if (getenv("SABOT_KVM_DEBUG"))
            fprintf(stderr, "kvm exit %u hc %u\n", run->exit_reason,
                    ((struct kvm_hc *)gpa(vm, KVM_GPA_HC))->nr);
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            dump_regs(vm, "I/O to an unknown port");
            return fail(err, err_size, EIO, "guest wrote to I/O port %#x", run->io.port);
        case KVM_EXIT_HLT:
            dump_regs(vm, "guest halted");
            return fail(err, err_size, EIO, "guest halted");
        case KVM_EXIT_SHUTDOWN:
            dump_regs(vm, "guest shut down (triple fault)");
            return fail(err, err_size, EIO, "guest triple fault");
        case KVM_EXIT_MMIO:
            if (run->mmio.is_write && run->mmio.phys_addr == KVM_GPA_DOORBELL(vm->mem_size)) {
                if (kvm_hc_serve(vm->mem, vm->mem_size, gpa(vm, KVM_GPA_HC), status))
                    return 0;
                continue;
            }
            dump_regs(vm, "guest touched memory outside its RAM");
            return fail(err, err_size, EFAULT, "guest MMIO at %#llx",
                        (unsigned long long)run->mmio.phys_addr);
        case KVM_EXIT_INTR:
            continue;
        default:
            dump_regs(vm, "unexpected exit");
            return fail(err, err_size, EIO, "unexpected KVM exit %u", run->exit_reason);
        }
    }
}

static void vm_close(struct kvm_vm *vm) {
    if (vm->run)
        munmap(vm->run, (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0));
    if (vm->mem)
        munmap(vm->mem, vm->mem_size);
    if (vm->vcpu_fd >= 0)
        close(vm->vcpu_fd);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
}

static int vm_open(struct kvm_vm *vm, uint64_t mem_size, char *err, size_t err_size) {
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return fail(err, err_size, e,
                        "--pal kvm: /dev/kvm does not exist (no KVM on this host; use the "
                        "linux PAL)");
        return fail(err, err_size, e, "--pal kvm: cannot open /dev/kvm: %s%s", strerror(e),
                    e == EACCES ? " (add yourself to the kvm group)" : "");
    }
    if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
        return fail(err, err_size, EINVAL, "--pal kvm: unsupported KVM API version");
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return fail(err, err_size, errno, "KVM_CREATE_VM: %s", strerror(errno));
    vm->mem_size = mem_size;
    vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->mem == MAP_FAILED) {
        vm->mem = NULL;
        return fail(err, err_size, ENOMEM, "cannot reserve %llu bytes of guest memory",
                    (unsigned long long)mem_size);
    }
    struct kvm_userspace_memory_region reg = {.slot = 0,
                                              .guest_phys_addr = 0,
                                              .memory_size = mem_size,
                                              .userspace_addr = (uint64_t)vm->mem};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
        return fail(err, err_size, errno, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vm->vcpu_fd < 0)
        return fail(err, err_size, errno, "KVM_CREATE_VCPU: %s", strerror(errno));
    int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    vm->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED) {
        vm->run = NULL;
        return fail(err, err_size, errno, "mmap kvm_run: %s", strerror(errno));
    }
    return 0;
}

static uint64_t pick_mem(const struct kvm_tender_config *cfg, const struct libos_manifest *m) {
    uint64_t s = cfg->mem_size ? cfg->mem_size : (m && m->limit_memory ? m->limit_memory : 0);
    if (!s)
        s = DEFAULT_MEM;
    /* Room for the fixed layout and the image; whole 2 MiB pages. */
    if (s < 64ULL << 20)
        s = 64ULL << 20;
    if (s > ((uint64_t)KVM_DMAP_PD_MAX - 1) << 30)
        s = ((uint64_t)KVM_DMAP_PD_MAX - 1) << 30;
    return (s + MB2 - 1) & ~(MB2 - 1);
}

int kvm_tender_run(const struct kvm_tender_config *cfg, int *status, char *err, size_t err_size) {
    struct libos_manifest *m = NULL;
    char perr[512];
    if (libos_manifest_parse(cfg->manifest, cfg->manifest_size, cfg->manifest_name, &m, perr,
                             sizeof(perr)) < 0)
        return fail(err, err_size, EINVAL, "%s", perr);
    struct kvm_vm vm = {.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1};
    struct image_syms syms = {0};
    int r = vm_open(&vm, pick_mem(cfg, m), err, err_size);
    const uint8_t *img = cfg->image ? cfg->image : g_kvm_guest_image;
    size_t img_size =
        cfg->image ? cfg->image_size : (size_t)(g_kvm_guest_image_end - g_kvm_guest_image);
    if (r == 0)
        r = load_image(&vm, img, img_size, &syms, err, err_size);
    if (r == 0) {
        setup_gdt(&vm);
        setup_tss(&vm, syms.cpl0_stack_top);
        setup_idt(&vm, gpa(&vm, va_to_gpa(syms.idt_stubs)));
        int tsc_khz = ioctl(vm.vcpu_fd, KVM_GET_TSC_KHZ, 0);
        r = fill_boot(&vm, cfg, tsc_khz > 0 ? (uint64_t)tsc_khz : 0);
        if (r < 0)
            fail(err, err_size, -r, "argv, environment and manifest do not fit in %llu KiB",
                 KVM_STRINGS_SIZE >> 10);
    }
    if (r == 0 && (r = setup_vcpu(&vm, &syms)) < 0)
        fail(err, err_size, -r, "setting up the vCPU: %s", strerror(-r));
    if (r == 0 && (r = kvm_hc_init(cfg, m)) < 0)
        fail(err, err_size, -r, "tender set-up: %s", strerror(-r));
    if (r == 0)
        r = run_loop(&vm, status, err, err_size);
    kvm_hc_fini();
    vm_close(&vm);
    libos_manifest_free(m);
    return r;
}
