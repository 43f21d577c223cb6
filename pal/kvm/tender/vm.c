/* The tender's VM: one vCPU per guest thread, each run by a tender thread of
 * its own, started in 64-bit long mode at CPL3. Everything the guest would set up with privileged
 * instructions (GDT, IDT, TSS, page tables, control registers, syscall
 * MSRs) is prepared here, so guest supervisor code (emulated by kvm_pvm,
 * ~400 ns per instruction) runs only for exceptions and syscall entry. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "libos_manifest.h"
#include "pal.h"
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
 * kvm_cpl0_stack_top (found by the ELF loader; 0 means none). vCPU 0 uses
 * the TSS in the GDT page; vCPU n the n-th one in kvm_tss_area, with
 * its own 1 KiB of CPL0 stack. The TR of each vCPU is set directly. */
static uint64_t va_to_gpa(uint64_t va);
static uint64_t tss_va(struct kvm_vm *vm, int slot) {
    return slot ? vm->sym_tss + (uint64_t)slot * KVM_TSS_STRIDE : KVM_VA_DMAP + KVM_GPA_TSS;
}

static void setup_tss_slot(struct kvm_vm *vm, int slot) {
    uint64_t va = tss_va(vm, slot);
    uint8_t *tss = gpa(vm, slot ? va_to_gpa(va) : KVM_GPA_TSS);
    uint64_t rsp0 = vm->sym_cpl0_top - (uint64_t)slot * KVM_CPL0_STACK;
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
    uint64_t cpl0_stack_top, idt_stubs, exc_user, thread_entry, tcbs, tss;
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
            else if (!strcmp(n, "kvm_exc_user"))
                s->exc_user = sym[k].st_value;
            else if (!strcmp(n, "kvm_thread_entry"))
                s->thread_entry = sym[k].st_value;
            else if (!strcmp(n, "g_kvm_tcbs"))
                s->tcbs = sym[k].st_value;
            else if (!strcmp(n, "kvm_tss_area"))
                s->tss = sym[k].st_value;
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
    b->syscall_rewrite = cfg->syscall_rewrite;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    b->cpu_count = ncpu < 1 ? 1 : ncpu > KVM_MAX_VCPUS ? KVM_MAX_VCPUS : (uint32_t)ncpu;
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
static int set_cpuid(struct kvm_vm *vm, int vcpu_fd, uint64_t *xcr0) {
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
    int r = ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
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

/* Long mode at CPL3 with the shared GDT/IDT/page tables and the slot's
 * own TSS; the guest starts at rip with rsp and rdi. */
static int setup_vcpu(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t rip, uint64_t rsp,
                      uint64_t rdi) {
    /* CPUID is set once: KVM refuses changes after the first KVM_RUN. */
    uint64_t xcr0 = v->xcr0;
    if (!v->cpuid_set) {
        int r = set_cpuid(vm, v->fd, &xcr0);
        if (r < 0)
            return r;
        v->xcr0 = xcr0;
        v->cpuid_set = true;
    }
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
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
    sr.tr.base = tss_va(vm, v->slot);
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
    if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
        return -errno;

    struct kvm_xcrs xc;
    memset(&xc, 0, sizeof(xc));
    xc.nr_xcrs = 1;
    xc.xcrs[0].xcr = 0;
    xc.xcrs[0].value = xcr0;
    if (ioctl(v->fd, KVM_SET_XCRS, &xc) < 0)
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
    m.e[1].data = ((const uint64_t *)gpa(vm, va_to_gpa(vm->sym_idt_stubs)))[32];
    m.e[2].index = 0xc0000084; /* SFMASK: TF IF DF NT AC */
    m.e[2].data = 0x100 | 0x200 | 0x400 | 0x4000 | 0x40000;
    if (ioctl(v->fd, KVM_SET_MSRS, &m) != 3)
        return -EINVAL;

    struct kvm_regs rg;
    memset(&rg, 0, sizeof(rg));
    rg.rip = rip;
    rg.rsp = rsp;
    rg.rdi = rdi;
    rg.rflags = 0x2;
    if (ioctl(v->fd, KVM_SET_REGS, &rg) < 0)
        return -errno;
    return 0;
}

static void dump_regs(struct kvm_vcpu *v, const char *why) {
    struct kvm_regs r;
    struct kvm_sregs s;
    ioctl(v->fd, KVM_GET_REGS, &r);
    ioctl(v->fd, KVM_GET_SREGS, &s);
    fprintf(stderr,
            "sabot: kvm: vcpu %d: %s: rip=%llx rsp=%llx rax=%llx rdi=%llx cs=%x cr2=%llx "
            "rflags=%llx\n",
            v->slot, why, r.rip, r.rsp, r.rax, r.rdi, s.cs.selector, s.cr2, r.rflags);
}

/* ------------------------------------------------------- vCPU threads */
/* A kick (SIGUSR2 to a vCPU's tender thread) makes KVM_RUN return at once
 * (immediate_exit is set by the handler, so a kick just before KVM_RUN is
 * not lost) and ends host waits with EINTR. */
#define KICK_SIGNAL SIGUSR2
static __thread struct kvm_run *tl_run;

static void kick_handler(int sig) {
    (void)sig;
    if (tl_run)
        tl_run->immediate_exit = 1;
}

static void kick(struct kvm_vcpu *v) {
    uint64_t one = 1;
    if (v->efd >= 0 && write(v->efd, &one, 8) < 0) {
        /* the counter is saturated: a wake-up is pending anyway */
    }
    if (v->has_thread)
        pthread_kill(v->thread, KICK_SIGNAL);
}

static void tcb_write(struct kvm_vm *vm, int slot, uint64_t off, uint64_t val) {
    uint64_t a = va_to_gpa(vm->sym_tcbs) + (uint64_t)slot * KVM_TCB_SIZE + off;
    __atomic_store_n((uint64_t *)gpa(vm, a), val, __ATOMIC_RELEASE);
}

/* Sends the vCPU, stopped in app code (CPL3, lower half), through the
 * PAL's exception path with software vector vec. Elsewhere (PAL code,
 * CPL0 stubs) it is left alone: the PAL looks at its pending flags on its
 * own way out, and pending interrupts end the next wait. */
static bool redirect(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t vec) {
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
        return false;
    if (getenv("SABOT_KVM_DEBUG"))
        fprintf(stderr, "kvm vcpu %d redirect %#llx: cs %#x rip %#llx\n", v->slot,
                (unsigned long long)vec, s.cs.selector, r.rip);
    if ((s.cs.selector & 3) != 3 || r.rip >= 0x0000800000000000ULL)
        return false;
    tcb_write(vm, v->slot, KVM_TCB_EXC_VEC, vec);
    tcb_write(vm, v->slot, KVM_TCB_EXC_ERR, 0);
    tcb_write(vm, v->slot, KVM_TCB_EXC_RIP, r.rip);
    tcb_write(vm, v->slot, KVM_TCB_EXC_RFLAGS, r.rflags);
    tcb_write(vm, v->slot, KVM_TCB_EXC_CR2, 0);
    r.rip = vm->sym_exc_user;
    r.rflags &= ~0x100ULL;
    return ioctl(v->fd, KVM_SET_REGS, &r) == 0;
}

static void pending_redirects(struct kvm_vm *vm, struct kvm_vcpu *v) {
    if (__atomic_load_n(&v->interrupt, __ATOMIC_ACQUIRE) && redirect(vm, v, KVM_VEC_INTERRUPT)) {
        __atomic_store_n(&v->interrupt, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&v->flush, 0, __ATOMIC_RELEASE); /* the dispatch flushes too */
        return;
    }
    if (__atomic_exchange_n(&v->flush, 0, __ATOMIC_ACQ_REL))
        redirect(vm, v, KVM_VEC_FLUSH);
}

/* Runs vCPU v until the process exits; between threads an idle vCPU waits
 * for its next THREAD_START. Returns 0 or -errno with err filled. */
static int vcpu_loop(struct kvm_vm *vm, struct kvm_vcpu *v, char *err, size_t err_size) {
    tl_run = v->run;
    bool debug = getenv("SABOT_KVM_DEBUG") != NULL;
    for (;;) {
        pthread_mutex_lock(&vm->lock);
        while (!vm->exiting && v->state != VCPU_RUNNING)
            pthread_cond_wait(&vm->cv, &vm->lock);
        int exiting = vm->exiting;
        pthread_mutex_unlock(&vm->lock);
        if (exiting)
            return 0;
        v->run->immediate_exit = 0;
        if (kvm_gdb_on())
            kvm_gdb_gate(vm, v); /* parks while gdb has the VM stopped */
        pending_redirects(vm, v);
        __atomic_store_n(&v->in_run, 1, __ATOMIC_RELEASE);
        int rr = ioctl(v->fd, KVM_RUN, 0);
        __atomic_store_n(&v->in_run, 0, __ATOMIC_RELEASE);
        if (rr < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (debug)
                    fprintf(stderr, "kvm vcpu %d interrupted\n", v->slot);
                continue;
            }
            /* A shared file page the host cannot give (the file shrank
             * under the mapping): SIGBUS for the app, as on Linux (the
             * address is not known here). */
            if (errno == EFAULT && redirect(vm, v, KVM_VEC_BUS))
                continue;
            return fail(err, err_size, errno, "KVM_RUN: %s", strerror(errno));
        }
        struct kvm_run *run = v->run;
        if (debug)
            fprintf(stderr, "kvm vcpu %d exit %u hc %u\n", v->slot, run->exit_reason,
                    ((struct kvm_hc *)gpa(vm, v->hc_gpa))->nr);
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            dump_regs(v, "I/O to an unknown port");
            return fail(err, err_size, EIO, "guest wrote to I/O port %#x", run->io.port);
        case KVM_EXIT_HLT:
            if (kvm_gdb_on() && kvm_gdb_hlt(vm, v))
                continue; /* a breakpoint or step trap for gdb */
            dump_regs(v, "guest halted");
            return fail(err, err_size, EIO, "guest halted");
        case KVM_EXIT_SHUTDOWN:
            dump_regs(v, "guest shut down (triple fault)");
            return fail(err, err_size, EIO, "guest triple fault");
        case KVM_EXIT_MMIO:
            if (run->mmio.is_write && run->mmio.phys_addr == KVM_GPA_DOORBELL(vm->mem_size)) {
                int status = 0;
                int a = kvm_hc_serve_vcpu(vm, v, gpa(vm, v->hc_gpa),
                                          gpa(vm, KVM_HC_DATA_GPA(v->hc_gpa)), &status);
                if (a == 1 && vm->forked_child) {
                    fflush(NULL);
                    _exit(status); /* a fork's child has no caller to return to */
                }
                if (a == 1) { /* process exit: stop every vCPU */
                    pthread_mutex_lock(&vm->lock);
                    bool first = !vm->exiting;
                    if (!vm->exiting) {
                        vm->exiting = 1;
                        vm->status = status;
                    }
                    pthread_cond_broadcast(&vm->cv);
                    pthread_mutex_unlock(&vm->lock);
                    if (first)
                        kvm_gdb_exited(status);
                    for (int i = 0; i < KVM_MAX_VCPUS; i++)
                        if (&vm->vcpus[i] != v && vm->vcpus[i].fd >= 0)
                            kick(&vm->vcpus[i]);
                    return 0;
                }
                continue; /* 2: thread exit, the state says idle now */
            }
            dump_regs(v, "guest touched memory outside its RAM");
            return fail(err, err_size, EFAULT, "guest MMIO at %#llx",
                        (unsigned long long)run->mmio.phys_addr);
        case KVM_EXIT_INTR:
            continue;
        default:
            dump_regs(v, "unexpected exit");
            return fail(err, err_size, EIO, "unexpected KVM exit %u", run->exit_reason);
        }
    }
}

/* A secondary vCPU's thread: a failure ends the whole guest. */
static struct kvm_vm *g_vm_for_threads;
static void *vcpu_thread(void *arg) {
    struct kvm_vcpu *v = arg;
    struct kvm_vm *vm = g_vm_for_threads;
    char err[256] = "";
    if (vcpu_loop(vm, v, err, sizeof(err)) < 0) {
        fprintf(stderr, "sabot: kvm: vCPU %d: %s\n", v->slot, err);
        pthread_mutex_lock(&vm->lock);
        if (!vm->exiting) {
            vm->exiting = 1;
            vm->status = 127;
        }
        pthread_cond_broadcast(&vm->cv);
        pthread_mutex_unlock(&vm->lock);
        for (int i = 0; i < KVM_MAX_VCPUS; i++)
            if (&vm->vcpus[i] != v && vm->vcpus[i].fd >= 0)
                kick(&vm->vcpus[i]);
    }
    return NULL;
}

static int vcpu_create(struct kvm_vm *vm, struct kvm_vcpu *v) {
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, v->slot);
    if (v->fd < 0)
        return -errno;
    int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        return -errno;
    }
    if (vm->tsc_khz)
        ioctl(v->fd, KVM_SET_TSC_KHZ, vm->tsc_khz);
    v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return v->efd < 0 ? -errno : 0;
}

/* ------------------------------------------------------- thread calls */
static pthread_mutex_t g_wait_lock = PTHREAD_MUTEX_INITIALIZER;

/* Guest virtual -> guest physical through the guest's page tables (read
 * from guest memory: every entry is checked to stay inside RAM). A word
 * must be 4-byte aligned. */
static int64_t gva_to_gpa(struct kvm_vm *vm, uint64_t va) {
    if (va & 3)
        return -1;
    uint64_t table = KVM_GPA_PT;
    for (int level = 3; level >= 0; level--) {
        if (table + PAGE > vm->mem_size)
            return -1;
        uint64_t e = __atomic_load_n(
            (uint64_t *)gpa(vm, table + ((va >> (12 + 9 * level)) & 511) * 8), __ATOMIC_ACQUIRE);
        if (!(e & 1))
            return -1;
        uint64_t addr = e & 0x000ffffffffff000ULL;
        if (level == 1 && (e & 0x80)) {
            addr = (addr & ~(MB2 - 1)) + (va & (MB2 - 1));
            return addr + 4 <= vm->mem_size ? (int64_t)addr : -1;
        }
        if (level == 0) {
            addr += va & (PAGE - 1);
            return addr + 4 <= vm->mem_size ? (int64_t)addr : -1;
        }
        table = addr;
    }
    return -1;
}

static uint32_t word_at(struct kvm_vm *vm, uint64_t g) {
    return __atomic_load_n((uint32_t *)gpa(vm, g), __ATOMIC_SEQ_CST);
}

static int wake_gpa(struct kvm_vm *vm, uint64_t g, uint64_t count) {
    int woken = 0;
    pthread_mutex_lock(&g_wait_lock);
    for (int i = 0; i < KVM_MAX_VCPUS && (uint64_t)woken < count; i++) {
        struct kvm_vcpu *w = &vm->vcpus[i];
        for (int k = 0; k < w->nwait; k++)
            if (w->wait_gpa[k] == g) {
                uint64_t one = 1;
                if (write(w->efd, &one, 8) < 0) {
                    /* saturated: already due to wake */
                }
                woken++;
                break;
            }
    }
    pthread_mutex_unlock(&g_wait_lock);
    return woken;
}

static short poll_events(uint32_t e) {
    return (short)(((e & PAL_WAIT_READ) ? POLLIN : 0) | ((e & PAL_WAIT_WRITE) ? POLLOUT : 0) |
                   ((e & PAL_WAIT_PEER_CLOSED) ? POLLRDHUP : 0));
}

static uint32_t pal_wait_events(short r) {
    return ((r & POLLIN) ? PAL_WAIT_READ : 0) | ((r & POLLOUT) ? PAL_WAIT_WRITE : 0) |
           ((r & (POLLERR | POLLNVAL)) ? PAL_WAIT_ERROR : 0) |
           ((r & POLLHUP) ? PAL_WAIT_HANGUP : 0) | ((r & POLLRDHUP) ? PAL_WAIT_PEER_CLOSED : 0);
}

/* ---- words in shared memory (SHMAP slots): host futexes, so waiters and
 * wakers in other VMs (other processes of the sandbox) and other mappings
 * of the same file meet: the kernel keys a shared futex by the page. The
 * tender never reads or writes the word itself (a slot the guest gives
 * back meanwhile only makes the futex call fail with EFAULT). */

/* The host address of the word at guest virtual va when it lies in a
 * shared-memory slot, else NULL. */
static uint32_t *shm_word(struct kvm_vm *vm, uint64_t va) {
    if (va & 3)
        return NULL;
    uint64_t table = KVM_GPA_PT, g = 0;
    for (int level = 3; level >= 0; level--) {
        if (table + PAGE > vm->mem_size)
            return NULL;
        uint64_t e = __atomic_load_n(
            (uint64_t *)gpa(vm, table + ((va >> (12 + 9 * level)) & 511) * 8), __ATOMIC_ACQUIRE);
        if (!(e & 1) || (level == 1 && (e & 0x80)))
            return NULL; /* 2 MiB pages are only the direct map */
        table = e & 0x000ffffffffff000ULL;
        g = table + (va & (PAGE - 1));
    }
    uint32_t *w = NULL;
    pthread_mutex_lock(&vm->lock);
    for (int i = 0; i < vm->shm_count; i++) {
        const struct kvm_shm *e = &vm->shm[i];
        if (e->size && g >= e->gpa && g - e->gpa <= e->size - 4)
            w = (uint32_t *)((uint8_t *)e->host + (g - e->gpa));
    }
    pthread_mutex_unlock(&vm->lock);
    return w;
}

static long host_futex(uint32_t *w, int op, uint32_t val, const struct timespec *ts) {
    return syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

/* One word in shared memory, us timeout (~0: none). It sleeps in 50 ms
 * slices (an interrupt that came just before the wait is seen at the
 * next), and after about a second goes back to the guest as woken (it
 * re-checks and waits again): a wake from another VM that came while this
 * vCPU was not in the futex costs at most that long. */
static int64_t shm_wait(struct kvm_vcpu *v, uint32_t *w, struct kvm_wait *ws, uint64_t us,
                        uint8_t *data) {
    int64_t r = 0;
    for (int n = 0; n < 20; n++) {
        if (__atomic_exchange_n(&v->interrupt, 0, __ATOMIC_ACQ_REL)) {
            r = -PAL_ERR_INTERRUPTED;
            break;
        }
        uint64_t slice = us < 50000 ? us : 50000;
        struct timespec ts = {(time_t)(slice / 1000000), (long)(slice % 1000000) * 1000};
        long f = host_futex(w, 0 /* FUTEX_WAIT, shared */, ws->expected, &ts);
        if (f == 0)
            break; /* woken: the guest re-checks */
        if (errno == EAGAIN) {
            ws->revents = PAL_WAIT_READ;
            r = 1;
            break;
        }
        if (errno == EFAULT) {
            r = -PAL_ERR_INVAL;
            break;
        }
        if (errno == ETIMEDOUT && us != ~0ULL && (us -= slice) == 0) {
            r = -PAL_ERR_TIMEOUT;
            break;
        }
    }
    uint64_t drain;
    while (read(v->efd, &drain, 8) == 8) {
    }
    memcpy(data, ws, sizeof(*ws));
    return r;
}

/* KVM_HC_WAIT: the vCPU registers the words it sleeps on, re-checks them
 * (a waker that changed a word after that finds us registered), then
 * sleeps in ppoll on its eventfd and the handles' host fds. A single word
 * in shared memory is a host futex wait instead (shm_wait). */
static int64_t hc_wait(struct kvm_vm *vm, struct kvm_vcpu *v, const uint64_t *a, uint8_t *data) {
    uint64_t n = a[0];
    if (n > KVM_WAIT_MAX)
        return -PAL_ERR_INVAL;
    struct kvm_wait ws[KVM_WAIT_MAX];
    memcpy(ws, data, n * sizeof(ws[0]));
    if (n == 1 && ws[0].kind == 0 && gva_to_gpa(vm, ws[0].va_or_id) < 0) {
        uint32_t *w = shm_word(vm, ws[0].va_or_id);
        ws[0].revents = 0;
        return w ? shm_wait(v, w, &ws[0], a[1], data) : -PAL_ERR_INVAL;
    }
    int64_t g[KVM_WAIT_MAX];
    struct pollfd pf[KVM_WAIT_MAX + 1];
    int np = 1, ready = 0;
    pf[0] = (struct pollfd){.fd = v->efd, .events = POLLIN};
    int pidx[KVM_WAIT_MAX];
    for (uint64_t i = 0; i < n; i++) {
        ws[i].revents = 0;
        pidx[i] = -1;
        if (ws[i].kind == 0) {
            if ((g[i] = gva_to_gpa(vm, ws[i].va_or_id)) < 0)
                return -PAL_ERR_INVAL;
        } else if (ws[i].kind == 1) {
            int fd = kvm_hc_handle_fd(ws[i].va_or_id);
            if (fd < 0)
                return -PAL_ERR_BADHANDLE;
            pidx[i] = np;
            pf[np++] = (struct pollfd){.fd = fd, .events = poll_events(ws[i].events)};
        } else {
            return -PAL_ERR_INVAL;
        }
    }
    pthread_mutex_lock(&g_wait_lock);
    v->nwait = 0;
    for (uint64_t i = 0; i < n; i++)
        if (ws[i].kind == 0)
            v->wait_gpa[v->nwait++] = (uint64_t)g[i];
    pthread_mutex_unlock(&g_wait_lock);
    for (uint64_t i = 0; i < n; i++)
        if (ws[i].kind == 0 && word_at(vm, (uint64_t)g[i]) != ws[i].expected) {
            ws[i].revents = PAL_WAIT_READ;
            ready++;
        }
    bool interrupted = __atomic_exchange_n(&v->interrupt, 0, __ATOMIC_ACQ_REL) != 0;
    int64_t r = 0;
    if (!interrupted) {
        struct timespec ts, *tsp = NULL;
        uint64_t us = ready ? 0 : a[1];
        if (us != ~0ULL) {
            ts.tv_sec = (time_t)(us / 1000000);
            ts.tv_nsec = (long)(us % 1000000) * 1000;
            tsp = &ts;
        }
        int p = ppoll(pf, (nfds_t)np, tsp, NULL);
        if (p < 0 && errno == EINTR)
            interrupted = __atomic_exchange_n(&v->interrupt, 0, __ATOMIC_ACQ_REL) != 0;
        else if (p == 0 && !ready)
            r = -PAL_ERR_TIMEOUT;
    }
    pthread_mutex_lock(&g_wait_lock);
    v->nwait = 0;
    pthread_mutex_unlock(&g_wait_lock);
    uint64_t drain;
    while (read(v->efd, &drain, 8) == 8) {
    }
    for (uint64_t i = 0; i < n; i++) {
        if (ws[i].kind == 0 && !ws[i].revents && word_at(vm, (uint64_t)g[i]) != ws[i].expected) {
            ws[i].revents = PAL_WAIT_READ;
            ready++;
        } else if (ws[i].kind == 1 && pf[pidx[i]].revents) {
            ws[i].revents = pal_wait_events(pf[pidx[i]].revents);
            ready++;
        }
    }
    memcpy(data, ws, n * sizeof(ws[0]));
    if (ready)
        return ready;
    if (interrupted)
        return -PAL_ERR_INTERRUPTED;
    return r ? r : 0; /* woken: the guest re-checks */
}

static int64_t hc_thread_new(struct kvm_vm *vm) {
    int64_t r = -PAL_ERR_NOMEM;
    pthread_mutex_lock(&vm->lock);
    for (int i = 1; i < KVM_MAX_VCPUS; i++)
        if (vm->vcpus[i].state == VCPU_UNUSED || vm->vcpus[i].state == VCPU_IDLE) {
            vm->vcpus[i].state = VCPU_RESERVED;
            r = i;
            break;
        }
    pthread_mutex_unlock(&vm->lock);
    return r;
}

/* a[0] slot (reserved by THREAD_NEW), a[1] hypercall page GPA (0: give
 * the slot back), a[3] stack top. The TCB is the slot's own. */
static int64_t hc_thread_start(struct kvm_vm *vm, const uint64_t *a) {
    if (a[0] == 0 || a[0] >= KVM_MAX_VCPUS)
        return -PAL_ERR_INVAL;
    struct kvm_vcpu *v = &vm->vcpus[a[0]];
    pthread_mutex_lock(&vm->lock);
    int st = v->state;
    pthread_mutex_unlock(&vm->lock);
    if (st != VCPU_RESERVED)
        return -PAL_ERR_INVAL;
    uint64_t hc = a[1];
    bool bad = (hc & (PAGE - 1)) || hc < vm->free_start || hc > vm->mem_size ||
               vm->mem_size - hc < PAGE + KVM_DATA_SIZE;
    if (hc == 0 || bad) {
        pthread_mutex_lock(&vm->lock);
        v->state = v->fd >= 0 ? VCPU_IDLE : VCPU_UNUSED;
        pthread_mutex_unlock(&vm->lock);
        return hc == 0 ? 0 : -PAL_ERR_INVAL;
    }
    int r = 0;
    if (v->fd < 0 && (r = vcpu_create(vm, v)) < 0) {
        pthread_mutex_lock(&vm->lock);
        v->state = VCPU_UNUSED; /* fd stays for the next try, if any */
        pthread_mutex_unlock(&vm->lock);
        return -PAL_ERR_NOMEM;
    }
    setup_tss_slot(vm, v->slot);
    uint64_t tcb = vm->sym_tcbs + (uint64_t)v->slot * KVM_TCB_SIZE;
    if ((r = setup_vcpu(vm, v, vm->sym_thread_entry, a[3] & ~15ULL, tcb)) < 0) {
        pthread_mutex_lock(&vm->lock);
        v->state = VCPU_IDLE;
        pthread_mutex_unlock(&vm->lock);
        return -PAL_ERR_INVAL;
    }
    v->hc_gpa = hc;
    kvm_ring_reset(vm, v); /* its ring starts where the guest's head is */
    __atomic_store_n(&v->interrupt, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&v->flush, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&vm->lock);
    v->state = VCPU_RUNNING;
    if (!v->has_thread) {
        if (pthread_create(&v->thread, NULL, vcpu_thread, v) != 0) {
            v->state = VCPU_IDLE;
            pthread_mutex_unlock(&vm->lock);
            return -PAL_ERR_NOMEM;
        }
        v->has_thread = true;
    }
    pthread_cond_broadcast(&vm->cv);
    pthread_mutex_unlock(&vm->lock);
    return 0;
}

/* ------------------------------------------------------- shared memory */
#define SHM_MAX (64ULL << 30)
#define SHM_SLOTS ((int)(sizeof(((struct kvm_vm *)0)->shm) / sizeof(((struct kvm_vm *)0)->shm[0])))

static int add_slot(struct kvm_vm *vm, int i) {
    struct kvm_userspace_memory_region reg = {.slot = (uint32_t)i + 1,
                                              .flags = vm->shm[i].readonly ? KVM_MEM_READONLY : 0,
                                              .guest_phys_addr = vm->shm[i].gpa,
                                              .memory_size = vm->shm[i].size,
                                              .userspace_addr = (uint64_t)vm->shm[i].host};
    return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0 ? -errno : 0;
}

/* The lowest 2 MiB-aligned guest physical range of size bytes above RAM
 * that no slot uses (freed ranges are used again); 0 if none is left. */
static uint64_t shm_place(struct kvm_vm *vm, uint64_t size) {
    uint64_t base = (vm->mem_size + MB2 + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
    uint64_t g = base;
    for (int i = 0; i < vm->shm_count; i++) {
        const struct kvm_shm *e = &vm->shm[i];
        if (e->size && g < e->gpa + e->size && e->gpa < g + size) {
            g = (e->gpa + e->size + MB2 - 1) & ~(MB2 - 1);
            i = -1; /* check the moved range against every slot again */
        }
    }
    return g + size <= base + SHM_MAX * 2 ? g : 0;
}

/* a[0] tender handle of a memfd or a host file (or ~0: new anonymous
 * shared memory), a[1] offset, a[2] size, a[3] bit 0: must be writable ->
 * the GPA the guest maps it at. The host pages are mapped MAP_SHARED, so
 * the guest sees the file (or memfd) itself; they are writable only when
 * the handle's host fd is open for writing under a read-write mount (else
 * the slot is read-only for KVM too). a[1] returns how many bytes of the
 * mapping the file covers now: the guest makes the pages past them fault
 * (SIGBUS, as Linux), never touching them here (the host would fault). */
static int64_t hc_shmap(struct kvm_vm *vm, uint64_t *a) {
    uint64_t off = a[1], size = a[2];
    if (!size || (size | off) & (PAGE - 1) || size > SHM_MAX || off > SHM_MAX)
        return -PAL_ERR_INVAL;
    bool anon = a[0] == ~0ULL, writable = true;
    int fd = anon ? memfd_create("sabot-kvm-shm", MFD_CLOEXEC) : kvm_hc_map_fd(a[0], &writable);
    if (fd < 0)
        return anon ? -PAL_ERR_NOMEM : -PAL_ERR_BADHANDLE;
    int64_t r = -PAL_ERR_NOMEM;
    pthread_mutex_lock(&vm->lock);
    int i = 0;
    while (i < vm->shm_count && vm->shm[i].size)
        i++;
    uint64_t g = i < SHM_SLOTS ? shm_place(vm, size) : 0;
    if (!g)
        goto out;
    if ((a[3] & 1) && !writable) {
        r = -PAL_ERR_DENIED;
        goto out;
    }
    if (anon && ftruncate(fd, (off_t)size) < 0)
        goto out;
    struct stat st;
    uint64_t valid = size;
    if (!anon && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t end = ((uint64_t)st.st_size + PAGE - 1) & ~(PAGE - 1);
        valid = end <= off ? 0 : end - off < size ? end - off : size;
    }
    void *p = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, (off_t)off);
    if (p == MAP_FAILED) {
        r = errno == EACCES   ? -PAL_ERR_DENIED
            : errno == ENODEV ? -PAL_ERR_NOTSUPPORTED
                              : -PAL_ERR_INVAL;
        goto out;
    }
    vm->shm[i] = (struct kvm_shm){g, size, p, !writable};
    if (add_slot(vm, i) < 0) {
        munmap(p, size);
        vm->shm[i].size = 0;
        goto out;
    }
    if (i == vm->shm_count)
        vm->shm_count++;
    r = (int64_t)g;
    a[1] = valid;
out:
    pthread_mutex_unlock(&vm->lock);
    if (anon)
        close(fd); /* the mapping keeps the memory */
    return r;
}

/* a[0] the GPA of a slot: the guest has no page left mapping it. */
static int64_t hc_shunmap(struct kvm_vm *vm, const uint64_t *a) {
    int64_t r = -PAL_ERR_INVAL;
    pthread_mutex_lock(&vm->lock);
    for (int i = 0; i < vm->shm_count; i++) {
        struct kvm_shm *e = &vm->shm[i];
        if (!e->size || e->gpa != a[0])
            continue;
        struct kvm_shm old = *e;
        e->size = 0;
        add_slot(vm, i); /* size 0 deletes the slot */
        munmap(old.host, old.size);
        r = 0;
        break;
    }
    pthread_mutex_unlock(&vm->lock);
    return r;
}

/* ------------------------------------------------------- fork */
static void host_sig_start(struct kvm_vm *vm);

/* The calling vCPU's state, read while it is stopped in the hypercall. */
struct vcpu_state {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xsave xsave;
    struct kvm_xcrs xcrs;
};

static void close_vcpu_fds(struct kvm_vcpu *w) {
    if (w->fd >= 0)
        close(w->fd);
    if (w->efd >= 0)
        close(w->efd);
    w->fd = w->efd = -1;
}

bool kvm_join_within(pthread_t t, long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms % 1000 * 1000000;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

/* In the child: a new VM over this process's copy-on-write copy of the
 * guest memory (and the same shared slots), one vCPU in the forking
 * thread's slot with its state. The parent's vCPU threads are gone. */
static int rebuild_vm(struct kvm_vm *vm, struct kvm_vcpu *v, const struct vcpu_state *st) {
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *w = &vm->vcpus[i];
        close_vcpu_fds(w);
        w->run = NULL; /* the old mapping stays: it belongs to the old vCPU */
        w->has_thread = false;
        w->cpuid_set = false;
        w->state = VCPU_UNUSED;
        w->interrupt = w->flush = w->in_run = 0;
        w->nwait = 0;
    }
    close(vm->vm_fd);
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return -errno;
    struct kvm_userspace_memory_region reg = {
        .slot = 0, .memory_size = vm->mem_size, .userspace_addr = (uint64_t)vm->mem};
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
        return -errno;
    for (int i = 0; i < vm->shm_count; i++) {
        int r = vm->shm[i].size ? add_slot(vm, i) : 0;
        if (r < 0)
            return r;
    }
    int r = vcpu_create(vm, v);
    if (r < 0 || (r = setup_vcpu(vm, v, st->regs.rip, st->regs.rsp, st->regs.rdi)) < 0)
        return r;
    if (ioctl(v->fd, KVM_SET_SREGS, &st->sregs) < 0 || ioctl(v->fd, KVM_SET_XCRS, &st->xcrs) < 0 ||
        ioctl(v->fd, KVM_SET_XSAVE, &st->xsave) < 0 || ioctl(v->fd, KVM_SET_REGS, &st->regs) < 0)
        return -errno;
    v->state = VCPU_RUNNING;
    v->thread = pthread_self();
    v->has_thread = v->slot != 0; /* kicks reach this thread either way */
    tl_run = v->run;
    vm->forked_child = true;
    kvm_gdb_forked_child();
    host_sig_start(vm);
    return 0;
}

static int64_t hc_fork(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t *a) {
    static struct vcpu_state st; /* big; forks of one tender are serialised by vm->lock */
    int64_t pe, ce;
    pthread_mutex_lock(&vm->lock);
    if (ioctl(v->fd, KVM_GET_REGS, &st.regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &st.sregs) < 0 ||
        ioctl(v->fd, KVM_GET_XSAVE, &st.xsave) < 0 || ioctl(v->fd, KVM_GET_XCRS, &st.xcrs) < 0) {
        pthread_mutex_unlock(&vm->lock);
        return -PAL_ERR_IO;
    }
    int r = kvm_hc_new_pair(&pe, &ce);
    if (r < 0) {
        pthread_mutex_unlock(&vm->lock);
        return r;
    }
    pid_t pid = fork();
    if (pid < 0) {
        pthread_mutex_unlock(&vm->lock);
        kvm_hc_close_id(pe);
        kvm_hc_close_id(ce);
        return -PAL_ERR_NOMEM;
    }
    if (pid > 0) {
        pthread_mutex_unlock(&vm->lock);
        kvm_hc_close_id(ce);
        a[1] = (uint64_t)pe;
        return 1;
    }
    /* child: only this thread exists; the lock is ours */
    pthread_mutex_init(&vm->lock, NULL);
    pthread_cond_init(&vm->cv, NULL);
    kvm_hc_close_id(pe);
    if (rebuild_vm(vm, v, &st) < 0) {
        fprintf(stderr, "sabot: kvm: fork: cannot build the child's VM\n");
        _exit(127);
    }
    a[1] = (uint64_t)ce;
    return 0;
}

/* ------------------------------------------------------- host signals */
/* SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the tender become the
 * guest's PAL_EVENT_INTERRUPT / PAL_EVENT_QUIT with their source, as on the
 * Linux PAL. They are blocked in every tender thread and taken by a thread
 * of their own (sigwaitinfo), which leaves the source in a running vCPU's
 * TCB (host_int) and interrupts it like pal_thread_interrupt: in app code
 * it is redirected to the PAL's exception path, in a tender wait the wait
 * ends (PAL_ERR_INTERRUPTED); the PAL raises the event either way (also on
 * its next syscall entry), and the libos delivers the signal. */
static const int g_host_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void host_sig_set(sigset_t *set) {
    sigemptyset(set);
    for (unsigned i = 0; i < sizeof(g_host_sigs) / sizeof(g_host_sigs[0]); i++)
        sigaddset(set, g_host_sigs[i]);
}

static int host_sig_source(int sig) {
    return sig == SIGINT    ? PAL_INT_INTERRUPT
           : sig == SIGHUP  ? PAL_INT_HANGUP
           : sig == SIGQUIT ? PAL_INT_QUIT
                            : PAL_INT_TERMINATE;
}

/* The host signals that were ignored when the tender started (nohup). */
static uint32_t host_sig_ignored(void) {
    uint32_t bits = 0;
    for (unsigned i = 0; i < sizeof(g_host_sigs) / sizeof(g_host_sigs[0]); i++) {
        struct sigaction old;
        if (sigaction(g_host_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            bits |= 1U << host_sig_source(g_host_sigs[i]);
    }
    return bits;
}

static volatile uint64_t *tcb_word(struct kvm_vm *vm, int slot, uint64_t off) {
    return (volatile uint64_t *)gpa(vm,
                                    va_to_gpa(vm->sym_tcbs) + (uint64_t)slot * KVM_TCB_SIZE + off);
}

/* Held while host_interrupt touches guest memory: the VM is torn down
 * only under it, once exiting is set. */
static pthread_mutex_t g_host_sig_lock = PTHREAD_MUTEX_INITIALIZER;

static void host_interrupt(struct kvm_vm *vm, int source) {
    struct kvm_vcpu *t = NULL;
    pthread_mutex_lock(&g_host_sig_lock);
    pthread_mutex_lock(&vm->lock);
    for (int i = 0; i < KVM_MAX_VCPUS && !vm->exiting && !t; i++)
        if (vm->vcpus[i].state == VCPU_RUNNING)
            t = &vm->vcpus[i];
    pthread_mutex_unlock(&vm->lock);
    if (!t) {
        pthread_mutex_unlock(&g_host_sig_lock);
        return;
    }
    volatile uint64_t *w = tcb_word(vm, t->slot, KVM_TCB_HOST_INT);
    __atomic_fetch_or(w, 1ULL << source, __ATOMIC_SEQ_CST);
    __atomic_store_n(&t->interrupt, 1, __ATOMIC_RELEASE);
    kick(t);
    /* Stopped in PAL code, it cannot be redirected and may go back to app
     * code that never exits: kick until the PAL took the signal. */
    for (int i = 0; i < 2000 && __atomic_load_n(w, __ATOMIC_ACQUIRE); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        if (__atomic_load_n(&vm->exiting, __ATOMIC_ACQUIRE))
            break;
        if (__atomic_load_n(&t->in_run, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&t->interrupt, 1, __ATOMIC_RELEASE);
            kick(t);
        }
    }
    pthread_mutex_unlock(&g_host_sig_lock);
}

static void *host_sig_thread(void *arg) {
    struct kvm_vm *vm = arg;
    sigset_t set;
    host_sig_set(&set);
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig > 0)
            host_interrupt(vm, host_sig_source(sig));
    }
    return NULL;
}

/* Blocks the host signals in the calling thread (threads made from now on
 * inherit that) and starts the thread that takes them. Also in a fork's
 * child tender: the thread does not survive fork. */
static void host_sig_start(struct kvm_vm *vm) {
    sigset_t set;
    host_sig_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, host_sig_thread, vm) == 0)
        pthread_detach(th);
}

/* ------------------------------------------------------- process_create */
/* What a fresh instance needs of the first one: the image and the boot
 * page as the tender filled it (host facts it cannot ask for once
 * confined: uname, uid). Set by kvm_tender_run. */
static const uint8_t *g_image;
static size_t g_image_size;
static const struct kvm_tender_config *g_cfg;
static struct kvm_boot g_boot0;
#define CREATE_ARGS_MAX 64

/* In the child tender of a PROCESS_CREATE (only this thread runs): the
 * copy of the VM is thrown away and a fresh one is built from the image,
 * with boot info carrying the stream to the parent and args as argv. The
 * guest's exit ends this process. */
static __attribute__((noreturn)) void fresh_instance(struct kvm_vm *vm, const char *const *args,
                                                     int64_t stream) {
    char err[256] = "";
    pthread_mutex_init(&vm->lock, NULL);
    pthread_cond_init(&vm->cv, NULL);
    pthread_mutex_init(&g_wait_lock, NULL);
    kvm_gdb_forked_child();
    kvm_hc_keep_only(stream);
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *w = &vm->vcpus[i];
        close_vcpu_fds(w);
        *w = (struct kvm_vcpu){.slot = i, .fd = -1, .efd = -1, .state = VCPU_UNUSED};
    }
    for (int i = 0; i < vm->shm_count; i++)
        if (vm->shm[i].size)
            munmap(vm->shm[i].host, vm->shm[i].size);
    vm->shm_count = 0;
    close(vm->vm_fd);
    munmap(vm->mem, vm->mem_size);
    vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    vm->strings_used = 0;
    vm->exiting = vm->status = 0;
    vm->forked_child = true;
    struct kvm_userspace_memory_region reg = {
        .slot = 0, .memory_size = vm->mem_size, .userspace_addr = (uint64_t)vm->mem};
    struct image_syms syms = {0};
    struct kvm_vcpu *v0 = &vm->vcpus[0];
    int r = vm->mem == MAP_FAILED || vm->vm_fd < 0 ||
                    ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0
                ? -ENOMEM
                : load_image(vm, g_image, g_image_size, &syms, err, sizeof(err));
    if (r == 0) {
        setup_gdt(vm);
        setup_tss_slot(vm, 0);
        setup_idt(vm, gpa(vm, va_to_gpa(vm->sym_idt_stubs)));
        struct kvm_boot *b = gpa(vm, KVM_GPA_BOOT);
        *b = g_boot0;
        static const char *const none[] = {NULL};
        b->argv = put_vec(vm, args);
        b->envp = put_vec(vm, none);
        b->exec_path = b->manifest = b->manifest_size = 0;
        b->manifest_name = put_str(vm, g_cfg->manifest_name ? g_cfg->manifest_name : "manifest");
        b->host_cwd = put_str(vm, g_cfg->host_cwd ? g_cfg->host_cwd : "/");
        b->free_start = vm->free_start;
        b->boot_realtime = now_ns(CLOCK_REALTIME);
        b->boot_monotonic = now_ns(CLOCK_MONOTONIC);
        b->parent_stream = (uint64_t)stream + 1;
        if ((r = vcpu_create(vm, v0)) == 0)
            r = setup_vcpu(vm, v0, vm->entry, 0, KVM_VA_DMAP + KVM_GPA_BOOT);
    }
    if (r == 0) {
        v0->hc_gpa = KVM_GPA_HC;
        v0->state = VCPU_RUNNING;
        v0->thread = pthread_self();
        v0->has_thread = true;
        host_sig_start(vm);
        r = vcpu_loop(vm, v0, err, sizeof(err)); /* the guest's exit does not return */
    }
    fprintf(stderr, "sabot: kvm: cannot run a new instance: %s\n", err[0] ? err : strerror(-r));
    _exit(127);
}

/* a[0] count of args, NUL-ended one after another at data[a[1]..+a[2]]
 * -> the parent's end of a stream to the new instance. */
static int64_t hc_process_create(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t *a,
                                 uint8_t *data) {
    (void)v;
    uint64_t n = a[0], off = a[1], len = a[2];
    if (n > CREATE_ARGS_MAX || off > KVM_DATA_SIZE || len > KVM_DATA_SIZE - off ||
        len > 64 * 1024 || (n && (!len || data[off + len - 1])))
        return -PAL_ERR_INVAL;
    char *buf = malloc(len + 1);
    const char *args[CREATE_ARGS_MAX + 1];
    if (!buf)
        return -PAL_ERR_NOMEM;
    memcpy(buf, data + off, len); /* copied once, then checked */
    uint64_t k = 0;
    for (uint64_t at = 0; at < len && k <= n; at += strlen(buf + at) + 1)
        args[k++] = buf + at;
    if (k != n || (n && buf[len - 1])) {
        free(buf);
        return -PAL_ERR_INVAL;
    }
    args[n] = NULL;
    int64_t pe, ce;
    int r = kvm_hc_new_pair(&pe, &ce);
    if (r < 0) {
        free(buf);
        return r;
    }
    pthread_mutex_lock(&vm->lock); /* the child starts with it free (re-initialised) */
    pid_t pid = fork();
    if (pid == 0)
        fresh_instance(vm, args, ce);
    pthread_mutex_unlock(&vm->lock);
    free(buf);
    kvm_hc_close_id(ce);
    if (pid < 0) {
        kvm_hc_close_id(pe);
        return -PAL_ERR_NOMEM;
    }
    return pe;
}

int64_t kvm_vcpu_call(struct kvm_vm *vm, struct kvm_vcpu *v, uint32_t nr, uint64_t *a,
                      uint8_t *data, int *action) {
    switch (nr) {
    case KVM_HC_THREAD_NEW:
        return hc_thread_new(vm);
    case KVM_HC_THREAD_START:
        return hc_thread_start(vm, a);
    case KVM_HC_THREAD_EXIT: {
        /* This vCPU is stopped: its stack is free; clear and wake tid. */
        int64_t g = a[0] ? gva_to_gpa(vm, a[0]) : -1;
        if (g >= 0) {
            __atomic_store_n((uint32_t *)gpa(vm, (uint64_t)g), 0, __ATOMIC_SEQ_CST);
            wake_gpa(vm, (uint64_t)g, 1);
        }
        pthread_mutex_lock(&vm->lock);
        v->state = VCPU_IDLE;
        pthread_cond_broadcast(&vm->cv);
        pthread_mutex_unlock(&vm->lock);
        *action = 2;
        return 0;
    }
    case KVM_HC_THREAD_INTERRUPT: {
        if (a[0] >= KVM_MAX_VCPUS)
            return -PAL_ERR_BADHANDLE;
        struct kvm_vcpu *t = &vm->vcpus[a[0]];
        pthread_mutex_lock(&vm->lock);
        bool running = t->state == VCPU_RUNNING;
        pthread_mutex_unlock(&vm->lock);
        if (!running)
            return -PAL_ERR_NOTFOUND;
        __atomic_store_n(&t->interrupt, 1, __ATOMIC_RELEASE);
        if (t == v)
            return 0;
        kick(t);
        /* A vCPU stopped in PAL code cannot be redirected; it may go back
         * to app code that never exits. Kick again until the redirect
         * happened (or it left the guest: its next wait sees the flag). */
        for (int i = 0; i < 100 && __atomic_load_n(&t->interrupt, __ATOMIC_ACQUIRE) &&
                        __atomic_load_n(&t->in_run, __ATOMIC_ACQUIRE);
             i++) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            if (__atomic_load_n(&t->interrupt, __ATOMIC_ACQUIRE))
                pthread_kill(t->thread, KICK_SIGNAL);
        }
        return 0;
    }
    case KVM_HC_WAIT:
        return hc_wait(vm, v, a, data);
    case KVM_HC_WAKE: {
        int64_t g = gva_to_gpa(vm, a[0]);
        if (g >= 0)
            return wake_gpa(vm, (uint64_t)g, a[1]);
        uint32_t *w = shm_word(vm, a[0]);
        long f = w ? host_futex(w, 1 /* FUTEX_WAKE, shared */,
                                a[1] > INT32_MAX ? INT32_MAX : (uint32_t)a[1], NULL)
                   : -1;
        return f < 0 ? -PAL_ERR_INVAL : f;
    }
    case KVM_HC_TLB_SHOOTDOWN:
        for (int i = 0; i < KVM_MAX_VCPUS; i++) {
            struct kvm_vcpu *t = &vm->vcpus[i];
            if (t == v || t->fd < 0 || t->state != VCPU_RUNNING)
                continue;
            tcb_write(vm, i, KVM_TCB_FLUSH, 1);
            __atomic_store_n(&t->flush, 1, __ATOMIC_RELEASE);
            if (t->has_thread)
                pthread_kill(t->thread, KICK_SIGNAL);
        }
        return 0;
    case KVM_HC_YIELD:
        sched_yield();
        return 0;
    case KVM_HC_SHMAP:
        return hc_shmap(vm, a);
    case KVM_HC_FORK:
        return hc_fork(vm, v, a);
    case KVM_HC_SHUNMAP:
        return hc_shunmap(vm, a);
    case KVM_HC_PROCESS_CREATE:
        return hc_process_create(vm, v, a, data);
    }
    return -PAL_ERR_NOTIMPLEMENTED;
}

/* ------------------------------------------------------- run */
static void vm_close(struct kvm_vm *vm, bool free_mem) {
    int sz = vm->kvm_fd >= 0 ? ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0) : 0;
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *v = &vm->vcpus[i];
        if (!free_mem && v->has_thread)
            continue; /* a thread that did not stop may still use it */
        if (v->run)
            munmap(v->run, (size_t)sz);
        if (v->fd >= 0)
            close(v->fd);
        if (v->efd >= 0)
            close(v->efd);
    }
    if (vm->mem && free_mem)
        munmap(vm->mem, vm->mem_size);
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
    int r = vcpu_create(vm, &vm->vcpus[0]);
    if (r < 0)
        return fail(err, err_size, -r, "creating the first vCPU: %s", strerror(-r));
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

static void install_kick_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler; /* no SA_RESTART: host waits end with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* Waits a little for the other vCPU threads; true if all stopped. */
static bool join_threads(struct kvm_vm *vm) {
    bool all = true;
    for (int i = 1; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *v = &vm->vcpus[i];
        if (!v->has_thread)
            continue;
        if (kvm_join_within(v->thread, 200))
            v->has_thread = false;
        else
            all = false;
    }
    return all;
}

int kvm_tender_run(const struct kvm_tender_config *cfg, int *status, char *err, size_t err_size) {
    struct libos_manifest *m = NULL;
    char perr[512];
    if (libos_manifest_parse(cfg->manifest, cfg->manifest_size, cfg->manifest_name, &m, perr,
                             sizeof(perr)) < 0)
        return fail(err, err_size, EINVAL, "%s", perr);
    static struct kvm_vm vm; /* big (per-vCPU state); one VM per tender */
    memset(&vm, 0, sizeof(vm));
    vm.kvm_fd = vm.vm_fd = -1;
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        vm.vcpus[i].slot = i;
        vm.vcpus[i].fd = vm.vcpus[i].efd = -1;
    }
    pthread_mutex_init(&vm.lock, NULL);
    pthread_cond_init(&vm.cv, NULL);
    g_vm_for_threads = &vm;
    struct image_syms syms = {0};
    int r = vm_open(&vm, pick_mem(cfg, m), err, err_size);
    const uint8_t *img = cfg->image ? cfg->image : g_kvm_guest_image;
    size_t img_size =
        cfg->image ? cfg->image_size : (size_t)(g_kvm_guest_image_end - g_kvm_guest_image);
    if (r == 0)
        r = load_image(&vm, img, img_size, &syms, err, err_size);
    if (r == 0 && (!syms.exc_user || !syms.thread_entry || !syms.tcbs || !syms.tss))
        r = fail(err, err_size, ENOEXEC, "KVM guest image lacks its thread symbols");
    if (r == 0) {
        vm.sym_cpl0_top = syms.cpl0_stack_top;
        vm.sym_idt_stubs = syms.idt_stubs;
        vm.sym_exc_user = syms.exc_user;
        vm.sym_thread_entry = syms.thread_entry;
        vm.sym_tcbs = syms.tcbs;
        vm.sym_tss = syms.tss;
        setup_gdt(&vm);
        setup_tss_slot(&vm, 0);
        setup_idt(&vm, gpa(&vm, va_to_gpa(syms.idt_stubs)));
        int tsc_khz = ioctl(vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
        vm.tsc_khz = tsc_khz > 0 ? (uint64_t)tsc_khz : 0;
        r = fill_boot(&vm, cfg, vm.tsc_khz);
        g_image = img, g_image_size = img_size, g_cfg = cfg;
        memcpy(&g_boot0, gpa(&vm, KVM_GPA_BOOT), sizeof(g_boot0));
        if (r < 0)
            fail(err, err_size, -r, "argv, environment and manifest do not fit in %llu KiB",
                 KVM_STRINGS_SIZE >> 10);
    }
    struct kvm_vcpu *v0 = &vm.vcpus[0];
    v0->hc_gpa = KVM_GPA_HC;
    v0->thread = pthread_self();
    v0->has_thread = false; /* joined by nobody: it is us */
    if (r == 0 && (r = setup_vcpu(&vm, v0, vm.entry, 0, KVM_VA_DMAP + KVM_GPA_BOOT)) < 0)
        fail(err, err_size, -r, "setting up the vCPU: %s", strerror(-r));
    if (r == 0 && (r = kvm_hc_init(cfg, m)) < 0)
        fail(err, err_size, -r, "tender set-up: %s", strerror(-r));
    if (r == 0 && cfg->gdb_port > 0)
        r = kvm_gdb_listen(cfg->gdb_port, err, err_size); /* before confinement */
    if (r == 0) {
        install_kick_handler();
        ((struct kvm_boot *)gpa(&vm, KVM_GPA_BOOT))->ignored_interrupts = host_sig_ignored();
        g_boot0.ignored_interrupts =
            ((struct kvm_boot *)gpa(&vm, KVM_GPA_BOOT))->ignored_interrupts;
        host_sig_start(&vm);
        /* From here on the tender only serves the guest. */
        if (!cfg->no_confine && (r = kvm_tender_landlock(cfg->landlock_fd)) < 0)
            fail(err, err_size, -r, "confining the tender (Landlock): %s", strerror(-r));
        if (r == 0 && !cfg->no_confine && (r = kvm_tender_confine()) < 0)
            fail(err, err_size, -r, "confining the tender (seccomp): %s", strerror(-r));
    }
    if (r == 0) {
        v0->state = VCPU_RUNNING;
        /* kicks to vCPU 0 go to this thread */
        v0->has_thread = true;
        if (kvm_gdb_on())
            kvm_gdb_start(&vm, v0, img, img_size); /* gdb looks first, then resumes */
        r = vcpu_loop(&vm, v0, err, err_size);
        v0->has_thread = false;
        tl_run = NULL;
        if (r == 0)
            *status = vm.status;
        pthread_mutex_lock(&vm.lock);
        vm.exiting = 1;
        pthread_cond_broadcast(&vm.cv);
        pthread_mutex_unlock(&vm.lock);
        kvm_gdb_release();
        for (int i = 1; i < KVM_MAX_VCPUS; i++)
            if (vm.vcpus[i].fd >= 0)
                kick(&vm.vcpus[i]);
    }
    bool stopped = kvm_ring_stop(); /* the ring server first: it uses handles */
    stopped = join_threads(&vm) && stopped;
    if (stopped)
        kvm_hc_fini();
    pthread_mutex_lock(&vm.lock);
    vm.exiting = 1;
    pthread_mutex_unlock(&vm.lock);
    pthread_mutex_lock(&g_host_sig_lock); /* kept: later host signals find the VM gone */
    vm_close(&vm, stopped);
    if (stopped)
        libos_manifest_free(m);
    return r;
}
