/* Lazy syscall rewrite in the KVM guest (zpoline, as pal/linux/rewrite.c).
 *
 * Under kvm_pvm an app's `syscall` reaches LSTAR at CPL3, but through the
 * host kernel (a trap and a world switch, ~1 us). A `call *%rax` into page
 * 0 stays in guest user mode: page 0 holds nops for every syscall number
 * (512) and a jump to kvm_rw_entry (entry.S), which builds the same
 * struct pal_context as the LSTAR path (rcx = rip, r11 = rflags, as after a
 * real syscall) and calls kvm_rw_dispatch.
 *
 * - The first LSTAR entry from a site (kvm_rw_lstar) rewrites its `0f 05`
 *   to `ff d0` with one atomic 16-bit compare-and-swap through the direct
 *   map: the app's mapping keeps its protection, so no page is ever W+X
 *   in the app's view and no PTE or TLB entry changes. Other vCPUs
 *   executing the site see either encoding (2 bytes inside one cache
 *   line; sites at offset 63 of a line are never rewritten). Only private
 *   frames are patched (memory.c kvm_mem_patch16): a shared-memory page
 *   may be another VM's code.
 * - Page 0 is mapped read+execute, not writable (x86 has no execute-only
 *   pages without protection keys: NULL reads see the sled); writes and
 *   faults there are reported as unmapped, as on Linux.
 * - fork copies guest memory (host copy-on-write): the child has page 0
 *   and the rewritten sites. execve maps a fresh image whose sites trap
 *   again once; page 0 is not the libos's memory and stays.
 * - A call to NULL that is not `call *%rax` lands in the sled too: the 2
 *   bytes before the return address tell (kvm_rw_dispatch), and the app
 *   gets SIGSEGV at 0 with the return address pushed, as natively.
 * - Numbers past the sled (never valid: the libos answers ENOSYS): the
 *   rest of page 0 is int3, and rax >= 4096 faults fetching rax; either
 *   exception from a rewritten site is turned back into that syscall
 *   (kvm_rw_exception). 513-516 land inside the jump: its operand bytes
 *   run first (they may change rax, never to a valid number, or fault,
 *   which is handled the same way). A jump into page 0 that is not from a
 *   site is SIGSEGV at its target, as natively.
 * - A vCPU interrupted (signal, TLB shootdown) between the call and
 *   kvm_rw_entry is put back before the site, so the app never sees a
 *   rip in page 0.
 * - The red zone: `call` writes the 8 bytes below the app's rsp (the one
 *   cost of zpoline); the PAL stack is used from kvm_rw_entry on.
 *
 * Off when the manifest's pal.syscall_rewrite is false (or SABOT_REWRITE=0):
 * every syscall takes the LSTAR path, and rewritten sites restored from a
 * checkpoint fault fetching rax, which is still that syscall. */
#include "pal_kvm.h"

#define SITE_SYSCALL 0x050f  /* 0f 05, little-endian */
#define SITE_CALL_RAX 0xd0ff /* ff d0 */
#define SLED_JMP 512         /* e9 rel32 to kvm_rw_entry, after a nop per syscall number */
#define PF_FETCH 16

void kvm_syscall_dispatch(struct pal_context *ctx);
void kvm_exception_dispatch(struct pal_context *ctx, const struct kvm_exc_info *x);
extern char kvm_rw_entry[];

static int g_rw_state; /* 0 not yet, 1 on, -1 off */
static kvm_lock_t g_rw_lock;
static uint64_t g_rw_sites; /* rewritten, for gdb and the curious */

/* Page 0: nops, `jmp kvm_rw_entry`, int3 to the end. The image is linked
 * at -2 GiB and kvm_rw_entry is past its first page, so a rel32 from page
 * 0 reaches it. */
static bool map_page0(void) {
    uint64_t pa = kvm_phys_alloc_contig(KVM_PAGE);
    if (!pa)
        return false;
    uint8_t *p = kvm_phys(pa);
    kvm_memset(p, 0x90, SLED_JMP);
    kvm_memset(p + SLED_JMP, 0xcc, KVM_PAGE - SLED_JMP);
    int64_t rel = (int64_t)((uint64_t)kvm_rw_entry - (SLED_JMP + 5));
    if (rel != (int32_t)rel)
        return false;
    p[SLED_JMP] = 0xe9;
    for (int i = 0; i < 4; i++)
        p[SLED_JMP + 1 + i] = (uint8_t)((uint64_t)rel >> (8 * i));
    return kvm_mem_map_page0(pa);
}

static bool rw_on(void) {
    int s = __atomic_load_n(&g_rw_state, __ATOMIC_ACQUIRE);
    if (s)
        return s > 0;
    kvm_lock(&g_rw_lock);
    if (!g_rw_state)
        g_rw_state = g_kvm_boot->syscall_rewrite && map_page0() ? 1 : -1;
    kvm_unlock(&g_rw_lock);
    return g_rw_state > 0;
}

static bool peek16(uint64_t va, uint16_t *v) {
    return kvm_mem_peek(va, v, 2);
}

/* The return address at rsp, when it follows a `call *%rax` (a rewritten
 * site), else 0. */
static uint64_t site_return(uint64_t rsp) {
    uint64_t ret;
    uint16_t insn;
    if (!kvm_mem_peek(rsp, &ret, 8) || ret < 2 || !peek16(ret - 2, &insn))
        return 0;
    return insn == SITE_CALL_RAX ? ret : 0;
}

/* LSTAR entry (entry.S syscall_user): rewrite the site, then serve. */
void kvm_rw_lstar(struct pal_context *ctx) {
    uint64_t site = ctx->rip - 2;
    if (site >= KVM_PAGE && rw_on() && kvm_mem_patch16(site, SITE_SYSCALL, SITE_CALL_RAX))
        __atomic_fetch_add(&g_rw_sites, 1, __ATOMIC_RELAXED);
    kvm_syscall_dispatch(ctx);
}

/* The sled's entry: ctx->rip is the pushed return address (popped). */
void kvm_rw_dispatch(struct pal_context *ctx) {
    uint16_t insn;
    if (peek16(ctx->rip - 2, &insn) && insn == SITE_CALL_RAX) {
        kvm_syscall_dispatch(ctx);
        return;
    }
    /* Some other call through a null pointer: the fault Linux gives, with
     * the return address pushed. */
    ctx->rsp -= 8;
    ctx->rip = 0;
    struct kvm_exc_info x = {.vector = 14, .error = 4 | PF_FETCH, .cr2 = 0};
    kvm_exception_dispatch(ctx, &x);
}

/* An exception from page 0 past the sled's jump, or a fetch fault at rax:
 * a rewritten site called with a number past the sled. */
static bool past_sled(const struct pal_context *ctx, const struct kvm_exc_info *x, uint64_t at) {
    if (at > SLED_JMP && at < KVM_PAGE)
        return true;
    return x->vector == 14 && (x->error & PF_FETCH) && x->cr2 == at && at == ctx->rax;
}

/* exc_user's entry: page 0 business first, then the usual dispatch. */
void kvm_rw_exception(struct pal_context *ctx, struct kvm_exc_info *x) {
    int state = __atomic_load_n(&g_rw_state, __ATOMIC_ACQUIRE);
    if (!state && x->vector == 14 && (x->error & PF_FETCH) && x->cr2 < KVM_PAGE && rw_on())
        return; /* a rewritten site before any LSTAR entry (restored checkpoint): retry */
    uint64_t ret;
    if (x->vector == KVM_VEC_INTERRUPT || x->vector == KVM_VEC_FLUSH) {
        if (ctx->rip < KVM_PAGE && (ret = site_return(ctx->rsp))) {
            /* Called but not yet in: as if the site had not run yet. */
            ctx->rip = ret - 2;
            ctx->rsp += 8;
        }
        kvm_exception_dispatch(ctx, x);
        return;
    }
    uint64_t at = x->vector == 3 ? ctx->rip - 1 : ctx->rip; /* int3 reports rip after it */
    if (past_sled(ctx, x, at)) {
        if ((ret = site_return(ctx->rsp))) {
            ctx->rip = ctx->rcx = ret;
            ctx->rsp += 8;
            ctx->r11 = ctx->rflags;
            kvm_syscall_dispatch(ctx);
            return;
        }
        if (at < KVM_PAGE) { /* a jump to a small address: the fetch faults natively */
            ctx->rip = at;
            x->vector = 14, x->error = 4 | PF_FETCH, x->cr2 = at;
        }
    }
    if (state > 0 && x->vector == 14 && x->cr2 < KVM_PAGE)
        x->error &= ~1ULL; /* page 0 is not the app's: unmapped, as on Linux */
    kvm_exception_dispatch(ctx, x);
}

uint64_t kvm_rw_count(void) {
    return g_rw_sites;
}
