/* Lazy syscall rewrite on the Linux PAL (zpoline + lazypoline).
 *
 * Set-up (pal_linux_rewrite_init, before Syscall User Dispatch and the
 * sandbox): page 0 gets a nop for every syscall number (512) and a jump to
 * pal_rewrite_entry (rewrite.S), mapped PROT_EXEC only; CAP_SYS_RAWIO, which
 * mapping page 0 needs, is dropped right after. Without it every syscall
 * keeps trapping through SUD (said once).
 *
 * The first SIGSYS from an app call site rewrites its `0f 05` (syscall) to
 * `ff d0` (call *%rax). rax holds the syscall number, so the call lands in
 * the sled; later calls from that site enter the libos without a signal.
 *
 * Why the rewrite is safe:
 * - Torn views: both encodings are 2 bytes, written by one atomic 16-bit
 *   lock cmpxchg. Sites whose 2 bytes cross a cache line (offset 63: also
 *   the only way to cross a page) are never rewritten: no atomic store
 *   covers them, and a torn `ff 05` would decode as a 6-byte inc.
 * - W^X: a code page is never writable and executable at once. The store
 *   goes in directly only if the page is already writable (the app's own
 *   W+X JIT memory, told by page_writable without a fault); otherwise the page is made read-write
 * (not executable) for the store and read-execute again after, under g_rw_lock. A thread executing
 * that page meanwhile takes an instruction-fetch fault, which pal_linux_rewrite_fault turns into a
 * wait and a retry.
 * - Unmapped or remapped code needs nothing: no per-page state is kept; new
 *   bytes at the same address trap again and are rewritten on their own.
 *   fork inherits page 0 and the rewritten code; execve maps a fresh image.
 * - Only app code and the libos vDSO trap: the PAL and libos reach the host
 *   solely through pal/linux/syscall.S, which SUD lets through. The vDSO's
 *   fallback sites are per-process private pages, so rewriting them is as
 *   safe as any app page.
 * - A call to NULL that is not a `call *%rax` also lands in the sled:
 *   dispatch checks the 2 bytes before the return address and reports a
 *   fault at 0 instead. A `call *%rax` with rax = 0 is indistinguishable
 *   from read(2) at a rewritten site: it is one.
 * - The red zone: `call` itself writes the 8 bytes below rsp (the one cost
 *   of zpoline); the stub never touches the app stack beyond that and runs
 *   on the thread's altstack.
 * - Page 0 is PROT_EXEC only, but x86 without protection keys (this CPU
 *   class) makes it readable too: NULL reads return nops instead of
 *   faulting; NULL writes still fault (reported as unmapped, like Linux).
 *
 * Signals: SUD runs the libos with the PAL's async host signals blocked; a
 * rewritten call does not pay for a sigprocmask. Instead the async handler
 * (pal_linux_rewrite_async) looks at where the thread is: in the libos via
 * a rewritten call, it blocks the async set in the interrupted context and
 * re-raises the signal, so it stays pending until the exit restores the
 * app's mask through rt_sigreturn (and a libos wait that unblocks it in
 * ppoll receives it there, as on the SUD path); between the app's call and
 * the stub, it undoes the call; in the stub's exit window it completes the
 * exit. The app thus never sees a signal with a PAL rip. */
#include <linux/capability.h>

#include "pal_linux_tcb.h"
#include "rewrite.h"

extern char pal_rewrite_entry[], pal_rewrite_exit_window[], pal_rewrite_exit_jmp[];
extern char pal_rw_probe_load[], pal_rw_probe_load_fixup[];
extern char pal_rw_probe_load64[], pal_rw_probe_load64_fixup[];
extern char pal_rw_probe_cas[], pal_rw_probe_cas_fixup[];
long pal_rw_load16(const void *addr);
long pal_rw_load64(const void *addr, uint64_t *out);
long pal_rw_cas16(void *addr, uint16_t old, uint16_t new_val);
__attribute__((noreturn)) void pal_rewrite_sigreturn(struct host_ucontext *uc);

_Static_assert(__builtin_offsetof(struct pal_linux_tcb, altstack) == TCB_ALTSTACK, "tcb");
_Static_assert(__builtin_offsetof(struct pal_linux_tcb, rw_busy) == TCB_RW_BUSY, "tcb");
_Static_assert(__builtin_offsetof(struct pal_linux_tcb, rw_masked) == TCB_RW_MASKED, "tcb");
_Static_assert(__builtin_offsetof(struct pal_linux_tcb, rw_app_sp) == TCB_RW_APP_SP, "tcb");
_Static_assert(__builtin_offsetof(struct pal_linux_tcb, rw_rip) == TCB_RW_RIP, "tcb");
_Static_assert(__builtin_offsetof(struct pal_linux_tcb, rw_top) == TCB_RW_TOP, "tcb");
_Static_assert(__builtin_offsetof(struct pal_context, rbx) == CTX_RBX, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, rsp) == CTX_RSP, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, r8) == CTX_R8, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, r15) == CTX_R15, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, rip) == CTX_RIP, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, rflags) == CTX_RFLAGS, "ctx");
_Static_assert(__builtin_offsetof(struct pal_context, fpregs) == CTX_FPREGS, "ctx");
_Static_assert(PAL_ALTSTACK_SIZE == RW_ALTSTACK_SIZE, "altstack");

#define PAGE 4096UL
#define MAX_INSN 15          /* bytes, x86 */
#define SITE_SYSCALL 0x050f  /* 0f 05, little-endian */
#define SITE_CALL_RAX 0xd0ff /* ff d0 */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FX_SW_OFFSET 464
#define XSAVE_HDR_OFFSET 512

/* Host signals the PAL blocks while the libos runs (boot.c's set). */
#define ASYNC_SIGS                                                                                 \
    ((1ULL << (HOST_SIGINT - 1)) | (1ULL << (HOST_SIGTERM - 1)) | (1ULL << (HOST_SIGHUP - 1)) |    \
     (1ULL << (HOST_SIGQUIT - 1)) | (1ULL << (PAL_HOST_SIGWAKE - 1)))

bool g_pal_rw_on;        /* page 0 is ours: sites may be rewritten */
uint64_t g_pal_rw_xmask; /* XSAVE components of the app (no AMX tiles) */
static uint32_t g_rw_fx_sw[12]
    __attribute__((aligned(8))); /* the kernel's fx_sw_bytes for that layout */
static uint32_t g_rw_xsize;      /* XSAVE image size, standard format */
static PAL_FORK_HOT volatile int g_rw_lock;
static volatile uint64_t g_rw_busy_page; /* page being rewritten, or 0 */
static volatile uint64_t g_rw_sites;     /* count, for the log */
static int g_rw_pipe[2] = {-1, -1};      /* page_writable's */
#define RW_RECENT 8
static volatile uint64_t g_rw_recent[RW_RECENT]; /* pages rewritten lately */
static unsigned g_rw_recent_next;
/* A fast-forked child's first traps rewrite a site only on its second
 * trap: a rewrite (an mprotect pair and a private copy of the code page)
 * costs several traps, and most children exec or exit right away. Sites
 * trapped once are remembered in a small direct-mapped table (a stale or
 * colliding entry only means an earlier or later rewrite). */
#define RW_FORK_WINDOW 32
#define RW_SEEN 32
static PAL_FORK_HOT unsigned g_rw_fork_traps; /* traps left in the window */
static PAL_FORK_HOT uint64_t g_rw_seen[RW_SEEN];

/* Around a host fork: no rewrite may be half done (a code page left
 * read-write, the lock held by a thread the child does not have). */
void pal_linux_rewrite_fork_lock(void) {
    while (__atomic_exchange_n(&g_rw_lock, 1, __ATOMIC_ACQUIRE))
        host_syscall0(__NR_sched_yield);
}

PAL_FORK_TEXT void pal_linux_rewrite_fork_unlock(void) {
    __atomic_store_n(&g_rw_lock, 0, __ATOMIC_RELEASE);
}

/* The child; its lock was taken by pal_linux_rewrite_fork_lock. */
PAL_FORK_TEXT void pal_linux_rewrite_forked(void) {
    g_rw_fork_traps = RW_FORK_WINDOW;
    pal_linux_rewrite_fork_unlock();
}

/* Under g_rw_lock: false the first time the window sees site. */
static bool rewrite_now(uint64_t site) {
    if (!g_rw_fork_traps)
        return true;
    g_rw_fork_traps--;
    uint64_t *slot = &g_rw_seen[(site >> 1) % RW_SEEN];
    if (*slot == site)
        return true;
    *slot = site;
    return false;
}

static struct pal_linux_tcb *tcb_self(void) {
    struct pal_linux_tcb *t;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(t));
    return t;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* The standard-format XSAVE layout of the enabled user components, and the
 * software bytes the kernel puts in its signal frames for it, so the libos
 * (signal frames, rt_sigreturn) and host rt_sigreturn read our images
 * exactly like the kernel's. */
static bool xsave_layout(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1U << 27))) /* OSXSAVE */
        return false;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    /* AMX tile state (17, 18) is off until a process asks for it. */
    uint64_t mask = (((uint64_t)hi << 32) | lo) & ~((1ULL << 17) | (1ULL << 18));
    uint32_t size = 576; /* legacy area + header */
    for (int i = 2; i < 63; i++) {
        if (!(mask & (1ULL << i)))
            continue;
        cpuid(0xd, (uint32_t)i, r);
        if (r[0] + r[1] > size)
            size = r[0] + r[1];
    }
    if (size + 4 > RW_XS_RESERVE)
        return false;
    g_pal_rw_xmask = mask;
    g_rw_xsize = size;
    g_rw_fx_sw[0] = FP_XSTATE_MAGIC1;
    g_rw_fx_sw[1] = size + 4; /* extended_size: with the trailing magic2 */
    g_rw_fx_sw[2] = (uint32_t)mask;
    g_rw_fx_sw[3] = (uint32_t)(mask >> 32);
    g_rw_fx_sw[4] = size;
    return true;
}

size_t pal_linux_rewrite_xs_reserve(void) {
    if (!g_rw_xsize)
        xsave_layout(); /* a thread's first block can precede the rewrite's set-up */
    return g_rw_xsize ? (g_rw_xsize + 4 + 63) & ~(size_t)63 : RW_XS_RESERVE;
}

static void fpstate_mark(void *fp) {
    uint64_t *d = (uint64_t *)((char *)fp + FX_SW_OFFSET);
    const uint64_t *s = (const uint64_t *)g_rw_fx_sw;
    for (unsigned i = 0; i < sizeof(g_rw_fx_sw) / 8; i++)
        d[i] = s[i];
    *(uint32_t *)((char *)fp + g_rw_xsize) = FP_XSTATE_MAGIC2;
}

static void say(int fd, const char *a, const char *b) {
    host_syscall3(__NR_write, fd, a, pal_strlen(a));
    host_syscall3(__NR_write, fd, b, pal_strlen(b));
    host_syscall3(__NR_write, fd, "\n", 1);
}

/* Drop CAP_SYS_RAWIO from the effective, permitted and inheritable sets: it
 * was only needed for page 0. (The bounding set is left alone, so a root
 * sabot that execs a helper can map page 0 there too.) */
static int drop_rawio(void) {
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    long r = host_syscall2(__NR_capget, &h, d);
    if (host_is_err(r))
        return (int)r;
    uint32_t bit = 1U << CAP_SYS_RAWIO; /* 17: in the first word */
    d[0].effective &= ~bit, d[0].permitted &= ~bit, d[0].inheritable &= ~bit;
    return (int)host_syscall2(__NR_capset, &h, d);
}

/* jmp *0(%rip) to pal_rewrite_entry: 14 bytes, no register touched. */
static void put_jump(volatile unsigned char *p) {
    static const unsigned char op[6] = {0xff, 0x25, 0, 0, 0, 0};
    for (int i = 0; i < 6; i++)
        p[i] = op[i];
    uint64_t target = (uint64_t)pal_rewrite_entry;
    for (int i = 0; i < 8; i++)
        p[6 + i] = (unsigned char)(target >> (8 * i));
}

void pal_linux_rewrite_init(bool want, int log_fd, int log_level) {
    if (!want)
        return;
    const char *why = 0;
    if (!g_rw_xsize && !xsave_layout()) /* a thread block may have asked already */
        why = "no usable XSAVE";
    /* Shared: written only here, and a private page once written is one
     * more anonymous mapping for every fork to copy (a child that runs a
     * rewritten site maps it again with one read fault instead). */
    long p = why ? 0
                 : host_syscall6(__NR_mmap, 0, PAGE, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (!why && (host_is_err(p) || p != 0)) {
        if (!host_is_err(p))
            host_syscall2(__NR_munmap, p, PAGE);
        why = "cannot map page 0 (needs CAP_SYS_RAWIO or vm.mmap_min_addr = 0)";
    }
    if (why) {
        if (log_level >= 2) /* warning */
            say(log_fd,
                "sabot: warning: fast syscalls off, every syscall traps (Syscall User "
                "Dispatch): ",
                why);
        return;
    }
    /* Page 0 through an opaque pointer: the compiler may not assume null. */
    volatile unsigned char *v;
    __asm__("" : "=r"(v) : "0"(0UL));
    /* Syscall numbers (< 512) slide through at most 512 nops to the first
     * jump; anything else in the page slides to the second. */
    for (unsigned i = 0; i < PAGE; i++)
        v[i] = 0x90;
    put_jump(v + RW_SLED);
    put_jump(v + PAGE - 14);
    if (host_is_err(host_syscall3(__NR_mprotect, 0, PAGE, PROT_EXEC))) {
        host_syscall2(__NR_munmap, 0, PAGE);
        say(log_fd, "sabot: warning: fast syscalls off: ", "cannot protect page 0");
        return;
    }
    if (host_is_err(host_syscall2(__NR_pipe2, g_rw_pipe, O_NONBLOCK | O_CLOEXEC))) {
        host_syscall2(__NR_munmap, 0, PAGE);
        say(log_fd, "sabot: warning: fast syscalls off: ", "no pipe");
        return;
    }
    if (drop_rawio() < 0 && log_level >= 2)
        say(log_fd, "sabot: warning: ", "could not drop CAP_SYS_RAWIO after mapping page 0");
    g_pal_rw_on = true;
}

/* Is the page at site writable (the app's own W+X memory)? Asked without a
 * fault (a debugger would stop at it): the kernel reads the site's own two
 * bytes from a pipe into it, EFAULT if it may not. Every pair in the pipe
 * is `0f 05`, so the bytes are unchanged whatever the interleaving. */
static bool page_writable(uint64_t site) {
    static const unsigned char sc[2] = {0x0f, 0x05};
    if (host_is_err(host_syscall3(__NR_write, g_rw_pipe[1], sc, 2)))
        return false;
    long r = host_syscall3(__NR_read, g_rw_pipe[0], site, 2);
    if (r != 2) {
        unsigned char drain[64];
        while (host_syscall3(__NR_read, g_rw_pipe[0], drain, sizeof(drain)) > 0)
            ;
        return false;
    }
    return true;
}

/* The first SIGSYS from site (the address of its `syscall`). */
void pal_linux_rewrite_site(uint64_t site) {
    if (!g_pal_rw_on || (site & 63) == 63 || site < PAGE)
        return;
    if (pal_rw_load16((void *)site) != SITE_SYSCALL)
        return;
    while (__atomic_exchange_n(&g_rw_lock, 1, __ATOMIC_ACQUIRE))
        host_syscall0(__NR_sched_yield);
    if (!rewrite_now(site)) {
        __atomic_store_n(&g_rw_lock, 0, __ATOMIC_RELEASE);
        return;
    }
    long r = page_writable(site) ? pal_rw_cas16((void *)site, SITE_SYSCALL, SITE_CALL_RAX) : -1;
    if (r < 0) { /* not writable: the usual read-execute code page */
        uint64_t page = site & ~(PAGE - 1);
        g_rw_busy_page = page;
        if (!host_is_err(host_syscall3(__NR_mprotect, page, PAGE, PROT_READ | PROT_WRITE))) {
            r = pal_rw_cas16((void *)site, SITE_SYSCALL, SITE_CALL_RAX);
            host_syscall3(__NR_mprotect, page, PAGE, PROT_READ | PROT_EXEC);
        }
        g_rw_recent[g_rw_recent_next++ % RW_RECENT] = page;
        __atomic_store_n(&g_rw_busy_page, 0, __ATOMIC_RELEASE);
    }
    if (r == 0)
        __atomic_fetch_add(&g_rw_sites, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&g_rw_lock, 0, __ATOMIC_RELEASE);
}

/* Called by the stub with the app's state; returns for the fast exit. */
PAL_FORK_TEXT void pal_rewrite_dispatch(struct pal_context *ctx) {
    struct pal_linux_tcb *tcb = tcb_self();
    tcb->rw_ctx = ctx;
    fpstate_mark(ctx->fpregs);
    uint64_t rip = ctx->rip, rsp = ctx->rsp;
    if (pal_rw_load16((void *)(rip - 2)) == SITE_CALL_RAX) {
        struct pal_event_info info = {.addr = rip};
        pal_event_handler_t h = pal_linux_event_handler(PAL_EVENT_SYSCALL);
        h(PAL_EVENT_SYSCALL, &info, ctx);
    } else {
        /* Some other call through a null pointer: the fault Linux gives,
         * with the return address pushed. */
        ctx->rip = 0;
        ctx->rsp = rsp - 8;
        struct pal_event_info info = {
            .addr = 0, .host_code = PAL_FAULT_UNMAPPED, .access = PAL_PROT_READ};
        pal_linux_event_handler(PAL_EVENT_MEMFAULT)(PAL_EVENT_MEMFAULT, &info, ctx);
    }
    tcb->rw_rip = ctx->rip;
    if (ctx->rip != rip || ctx->rsp != rsp)
        pal_rewrite_slow_exit(ctx);
}

/* The full restore: what the SIGSYS path's sigreturn does, from a frame we
 * build. Async host signals are blocked first, so none is handled between
 * here and the sigreturn, which restores the app's mask atomically. */
__attribute__((noreturn)) void pal_rewrite_slow_exit(struct pal_context *ctx) {
    struct pal_linux_tcb *tcb = tcb_self();
    uint64_t async = ASYNC_SIGS, old = 0;
    host_syscall4(__NR_rt_sigprocmask, HOST_SIG_BLOCK, &async, &old, 8);
    struct host_ucontext uc;
    pal_memset(&uc, 0, sizeof(uc));
    uc.uc_sigmask = tcb->rw_masked ? tcb->rw_saved_mask : old;
    uc.uc_stack.ss_sp = tcb->altstack;
    uc.uc_stack.ss_size = PAL_ALTSTACK_SIZE;
    struct host_mcontext *m = &uc.uc_mcontext;
    m->rax = ctx->rax, m->rbx = ctx->rbx, m->rcx = ctx->rcx, m->rdx = ctx->rdx;
    m->rsi = ctx->rsi, m->rdi = ctx->rdi, m->rbp = ctx->rbp, m->rsp = ctx->rsp;
    m->r8 = ctx->r8, m->r9 = ctx->r9, m->r10 = ctx->r10, m->r11 = ctx->r11;
    m->r12 = ctx->r12, m->r13 = ctx->r13, m->r14 = ctx->r14, m->r15 = ctx->r15;
    m->rip = ctx->rip, m->eflags = ctx->rflags;
    m->cs = 0x33, m->ss = 0x2b;
    if (ctx->fpregs) {
        char *fp = ctx->fpregs;
        fpstate_mark(fp);
        /* XRSTOR wants the header's XCOMP_BV and reserved bytes zero. */
        pal_memset(fp + XSAVE_HDR_OFFSET + 8, 0, 56);
        *(uint64_t *)(fp + XSAVE_HDR_OFFSET) &= g_pal_rw_xmask;
        m->fpstate = fp;
    }
    tcb->rw_masked = 0;
    tcb->rw_busy = 0;
    pal_rewrite_sigreturn(&uc);
}

static void ctx_into_host(struct host_mcontext *m, const struct pal_context *c) {
    m->rax = c->rax, m->rbx = c->rbx, m->rcx = c->rcx, m->rdx = c->rdx;
    m->rsi = c->rsi, m->rdi = c->rdi, m->rbp = c->rbp, m->rsp = c->rsp;
    m->r8 = c->r8, m->r9 = c->r9, m->r10 = c->r10, m->r11 = c->r11;
    m->r12 = c->r12, m->r13 = c->r13, m->r14 = c->r14, m->r15 = c->r15;
    m->rip = c->rip, m->eflags = c->rflags;
}

bool pal_linux_rewrite_async(int sig, struct host_ucontext *uc) {
    if (!g_pal_rw_on)
        return false;
    struct pal_linux_tcb *tcb = tcb_self();
    struct host_mcontext *m = &uc->uc_mcontext;
    uint64_t rip = m->rip;
    if (rip >= (uint64_t)pal_rewrite_exit_window && rip < (uint64_t)pal_rewrite_exit_jmp) {
        ctx_into_host(m, tcb->rw_ctx); /* finish the exit here */
        tcb->rw_busy = 0;
        return false;
    }
    if (rip == (uint64_t)pal_rewrite_exit_jmp) {
        m->rip = tcb->rw_rip;
        tcb->rw_busy = 0;
        return false;
    }
    if (uc->uc_sigmask & ASYNC_SIGS)
        return false; /* a libos wait let it in (ppoll): deliver */
    if (rip == (uint64_t)pal_host_ppoll_end && (long)m->rax == -EINTR)
        return false; /* it ended a libos wait, as on the path above */
    if (tcb->rw_busy) {
        /* In the libos: keep it pending, blocked, until the exit. */
        if (!tcb->rw_masked) {
            tcb->rw_saved_mask = uc->uc_sigmask;
            tcb->rw_masked = 1;
        }
        uc->uc_sigmask |= ASYNC_SIGS;
        host_syscall3(__NR_tgkill, host_syscall0(__NR_getpid), host_syscall0(__NR_gettid), sig);
        return true;
    }
    if (rip < PAGE || rip == (uint64_t)pal_rewrite_entry) {
        /* Called but not yet in: as if the site had not run yet. */
        uint64_t ret;
        if (pal_rw_load64((void *)m->rsp, &ret) == 0) {
            m->rip = ret - 2;
            m->rsp += 8;
        }
    }
    return false;
}

static bool rewritten_lately(uint64_t page) {
    if (page == __atomic_load_n(&g_rw_busy_page, __ATOMIC_ACQUIRE))
        return true;
    for (int i = 0; i < RW_RECENT; i++)
        if (g_rw_recent[i] == page)
            return true;
    return false;
}

int pal_linux_rewrite_fault(int sig, struct host_siginfo *si, struct host_ucontext *uc) {
    struct host_mcontext *m = &uc->uc_mcontext;
    static const struct {
        char *at, *fixup;
    } probes[] = {{pal_rw_probe_load, pal_rw_probe_load_fixup},
                  {pal_rw_probe_load64, pal_rw_probe_load64_fixup},
                  {pal_rw_probe_cas, pal_rw_probe_cas_fixup}};
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        if (m->rip == (uint64_t)probes[i].at) {
            m->rip = (uint64_t)probes[i].fixup;
            m->rax = (uint64_t)-1;
            return 1;
        }
    }
    /* An instruction fetch: the fault address is within the instruction
     * at rip, past it when the instruction crosses into the next page. */
    uint64_t addr = si->fault.addr;
    if (sig != HOST_SIGSEGV || addr < m->rip || addr - m->rip >= MAX_INSN)
        return 0;
    uint64_t page = addr & ~(PAGE - 1);
    if (page && si->si_code == HOST_SEGV_ACCERR && rewritten_lately(page)) {
        /* Fetched while the page was being rewritten (the handler may run
         * after it is back): run it again once it is executable. Bounded,
         * in case the app itself made the page non-executable since. */
        struct pal_linux_tcb *tcb = tcb_self();
        tcb->rw_retries = tcb->rw_retry_rip == m->rip ? tcb->rw_retries + 1 : 0;
        tcb->rw_retry_rip = m->rip;
        if (tcb->rw_retries < 1000) {
            while (__atomic_load_n(&g_rw_busy_page, __ATOMIC_ACQUIRE) == page)
                host_syscall0(__NR_sched_yield);
            return 1;
        }
    }
    /* A rewritten site called with a number past the sled, or in a process
     * without page 0 (a checkpointed child, a sabot-cc program): it is
     * still that syscall. */
    uint64_t ret;
    if (m->rip == m->rax && pal_rw_load64((void *)m->rsp, &ret) == 0 &&
        pal_rw_load16((void *)(ret - 2)) == SITE_CALL_RAX) {
        m->rip = ret;
        m->rsp += 8;
        return 2;
    }
    return 0;
}

bool pal_linux_rewrite_page0(uint64_t addr) {
    return g_pal_rw_on && addr < PAGE;
}

uint64_t pal_linux_rewrite_count(void) {
    return g_rw_sites;
}
