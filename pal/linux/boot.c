/* Boot of the Linux PAL and its host-signal entry points.
 *
 * After pal_linux_boot() turns on Syscall User Dispatch, every syscall
 * outside syscall.S raises SIGSYS. The handler converts the signal frame to
 * a struct pal_context and calls the libos's PAL_EVENT_SYSCALL handler on the
 * PAL's per-thread signal stack; the result goes back in RAX when the frame
 * is restored. The app's FS base is never touched on the way. */
#include "pal_linux_boot.h"
#include "pal_linux_tcb.h"
#include "pal_sandbox.h"

extern char pal_syscall_region_start[], pal_syscall_region_end[];
extern void __restore_rt(void); /* syscall.S: named for gdb */

static pal_event_handler_t g_event_handlers[PAL_EVENT__COUNT];
/* SUD selector: BLOCK from the start of libos_start(); never ALLOW again. */
static volatile char g_sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
static struct pal_boot_info g_boot_info;

const struct pal_boot_info *pal_linux_boot_info(void) {
    return &g_boot_info;
}

int pal_set_event_handler(enum pal_event ev, pal_event_handler_t handler) {
    if ((unsigned)ev >= PAL_EVENT__COUNT)
        return -PAL_ERR_INVAL;
    g_event_handlers[ev] = handler;
    return 0;
}

static void ctx_from_host(struct pal_context *c, const struct host_mcontext *m) {
    c->rax = m->rax, c->rbx = m->rbx, c->rcx = m->rcx, c->rdx = m->rdx;
    c->rsi = m->rsi, c->rdi = m->rdi, c->rbp = m->rbp, c->rsp = m->rsp;
    c->r8 = m->r8, c->r9 = m->r9, c->r10 = m->r10, c->r11 = m->r11;
    c->r12 = m->r12, c->r13 = m->r13, c->r14 = m->r14, c->r15 = m->r15;
    c->rip = m->rip, c->rflags = m->eflags;
    c->fpregs = m->fpstate;
}

static void ctx_to_host(struct host_mcontext *m, const struct pal_context *c) {
    m->rax = c->rax, m->rbx = c->rbx, m->rcx = c->rcx, m->rdx = c->rdx;
    m->rsi = c->rsi, m->rdi = c->rdi, m->rbp = c->rbp, m->rsp = c->rsp;
    m->r8 = c->r8, m->r9 = c->r9, m->r10 = c->r10, m->r11 = c->r11;
    m->r12 = c->r12, m->r13 = c->r13, m->r14 = c->r14, m->r15 = c->r15;
    m->rip = c->rip, m->eflags = c->rflags;
}

static __attribute__((noreturn)) void die_unhandled(int sig) {
    static const char msg[] = "sabot: fatal: unhandled host signal in the PAL\n";
    host_syscall3(__NR_write, 2, msg, sizeof(msg) - 1);
    host_syscall1(__NR_exit_group, 128 + sig);
    __builtin_unreachable();
}

static void deliver(enum pal_event ev, const struct pal_event_info *info,
                    struct host_ucontext *uc) {
    pal_event_handler_t h = g_event_handlers[ev];
    if (!h)
        die_unhandled(ev == PAL_EVENT_SYSCALL ? HOST_SIGSYS : HOST_SIGSEGV);
    struct pal_context ctx;
    ctx_from_host(&ctx, &uc->uc_mcontext);
    h(ev, info, &ctx);
    ctx_to_host(&uc->uc_mcontext, &ctx);
}

pal_event_handler_t pal_linux_event_handler(enum pal_event ev) {
    pal_event_handler_t h = g_event_handlers[ev];
    if (!h)
        die_unhandled(ev == PAL_EVENT_SYSCALL ? HOST_SIGSYS : HOST_SIGSEGV);
    return h;
}

static void sigsys_handler(int sig, struct host_siginfo *si, struct host_ucontext *uc) {
    if (si->si_code == HOST_SYS_SECCOMP)
        pal_linux_sandbox_violation(si);
    if (si->si_code != HOST_SYS_USER_DISPATCH)
        die_unhandled(sig); /* a seccomp kill path, not ours to serve */
    struct pal_event_info info = {.addr = uc->uc_mcontext.rip};
    pal_linux_rewrite_site(uc->uc_mcontext.rip - 2); /* later calls skip the trap */
    deliver(PAL_EVENT_SYSCALL, &info, uc);
}

static void fault_handler(int sig, struct host_siginfo *si, struct host_ucontext *uc) {
    struct pal_event_info info = {.addr = si->fault.addr};
    enum pal_event ev;
    switch (pal_linux_rewrite_fault(sig, si, uc)) {
    case 1:
        return;
    case 2:
        info.addr = uc->uc_mcontext.rip;
        deliver(PAL_EVENT_SYSCALL, &info, uc);
        return;
    }
    switch (sig) {
    case HOST_SIGSEGV:
        ev = PAL_EVENT_MEMFAULT;
        info.host_code =
            si->si_code == HOST_SEGV_ACCERR ? PAL_FAULT_PROTECTION : PAL_FAULT_UNMAPPED;
        if (pal_linux_rewrite_page0(info.addr))
            info.host_code = PAL_FAULT_UNMAPPED; /* the trampoline is not the app's */
        /* bit 1 of the page-fault error code: write access */
        info.access = (uc->uc_mcontext.err & 2) ? PAL_PROT_WRITE : PAL_PROT_READ;
        break;
    case HOST_SIGBUS:
        ev = PAL_EVENT_MEMFAULT;
        info.host_code = PAL_FAULT_BUS;
        break;
    case HOST_SIGILL:
        ev = PAL_EVENT_ILLEGAL;
        info.addr = uc->uc_mcontext.rip;
        break;
    case HOST_SIGFPE:
        ev = PAL_EVENT_ARITHMETIC;
        info.host_code = si->si_code == HOST_FPE_INTDIV ? PAL_FAULT_INTDIV : PAL_FAULT_FLTDIV;
        info.addr = uc->uc_mcontext.rip;
        break;
    case HOST_SIGTRAP:
        /* A debugger (ptrace) sees its own traps first; these are the app's. */
        ev = PAL_EVENT_BREAKPOINT;
        info.host_code = si->si_code == HOST_SI_KERNEL ? PAL_FAULT_OTHER : PAL_FAULT_BREAKPOINT;
        info.addr = si->fault.addr;
        break;
    default:
        die_unhandled(sig);
    }
    deliver(ev, &info, uc);
}

static void async_handler(int sig, struct host_siginfo *si, struct host_ucontext *uc) {
    if (pal_linux_rewrite_async(sig, uc))
        return; /* in the libos through a rewritten site: left pending */
    struct pal_event_info info = {0};
    info.source = sig == HOST_SIGINT        ? PAL_INT_INTERRUPT
                  : sig == HOST_SIGHUP      ? PAL_INT_HANGUP
                  : sig == PAL_HOST_SIGWAKE ? PAL_INT_WAKEUP
                  : sig == HOST_SIGQUIT     ? PAL_INT_QUIT
                                            : PAL_INT_TERMINATE;
    enum pal_event ev =
        sig == HOST_SIGTERM || sig == HOST_SIGQUIT ? PAL_EVENT_QUIT : PAL_EVENT_INTERRUPT;
    if (!g_event_handlers[ev]) {
        if (sig == PAL_HOST_SIGWAKE)
            return;
        host_syscall1(__NR_exit_group, 128 + sig);
    }
    deliver(ev, &info, uc);
}

static int install(int sig, void *fn, uint64_t mask) {
    struct host_sigaction sa = {
        .handler = fn,
        .flags = HOST_SA_SIGINFO | HOST_SA_ONSTACK | HOST_SA_RESTORER | HOST_SA_RESTART,
        .restorer = (void *)__restore_rt,
        .mask = mask,
    };
    return pal_linux_err(host_syscall4(__NR_rt_sigaction, sig, &sa, 0, 8));
}

static uint64_t sigbit(int sig) {
    return 1ULL << (sig - 1);
}

/* Interrupt sources whose host signal was ignored when we started. */
static uint32_t inherited_ignores(void) {
    static const struct {
        int sig, source;
    } map[] = {{HOST_SIGINT, PAL_INT_INTERRUPT},
               {HOST_SIGTERM, PAL_INT_TERMINATE},
               {HOST_SIGHUP, PAL_INT_HANGUP},
               {HOST_SIGQUIT, PAL_INT_QUIT}};
    uint32_t bits = 0;
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        struct host_sigaction old;
        if (!host_is_err(host_syscall4(__NR_rt_sigaction, map[i].sig, 0, &old, 8)) &&
            old.handler == (void *)1 /* SIG_IGN */)
            bits |= 1U << map[i].source;
    }
    return bits;
}

static int install_handlers(void) {
    /* Asynchronous host signals stay blocked while the libos runs, the
     * wake-up too (as on the rewrite path): a wake from another process
     * then waits for a libos wait or the return to app code, where the
     * libos looks at its mailbox, instead of being lost in between. */
    uint64_t async = sigbit(HOST_SIGINT) | sigbit(HOST_SIGTERM) | sigbit(HOST_SIGHUP) |
                     sigbit(HOST_SIGQUIT) | sigbit(PAL_HOST_SIGWAKE);
    int r = install(HOST_SIGSYS, sigsys_handler, async);
    static const int faults[] = {HOST_SIGSEGV, HOST_SIGBUS, HOST_SIGILL, HOST_SIGFPE, HOST_SIGTRAP};
    for (unsigned i = 0; !r && i < sizeof(faults) / sizeof(faults[0]); i++)
        r = install(faults[i], fault_handler, async);
    static const int asyncs[] = {HOST_SIGINT, HOST_SIGTERM, HOST_SIGHUP, HOST_SIGQUIT,
                                 PAL_HOST_SIGWAKE};
    for (unsigned i = 0; !r && i < sizeof(asyncs) / sizeof(asyncs[0]); i++)
        r = install(asyncs[i], async_handler, async | sigbit(HOST_SIGSYS));
    /* Children report to the libos over their stream; the host reaps them. */
    struct host_sigaction nochld = {.handler = (void *)1, .flags = 2 /* SA_NOCLDWAIT */};
    if (!r)
        r = pal_linux_err(host_syscall4(__NR_rt_sigaction, 17 /* SIGCHLD */, &nochld, 0, 8));
    /* EPIPE is reported by the libos; the host must not kill us. */
    struct host_sigaction ign = {.handler = (void *)1};
    if (!r)
        r = pal_linux_err(host_syscall4(__NR_rt_sigaction, HOST_SIGPIPE, &ign, 0, 8));
    return r;
}

/* The boot thread's block is written on every rewritten syscall, so it
 * sits with the other globals a fork writes rather than on a heap page. */
static PAL_FORK_HOT struct pal_linux_tcb g_boot_tcb;

int pal_linux_tcb_init(struct pal_linux_tcb **out) {
    static PAL_FORK_HOT bool boot_tcb_used;
    struct pal_linux_tcb *tcb = &g_boot_tcb;
    if (__atomic_exchange_n(&boot_tcb_used, true, __ATOMIC_RELAXED))
        tcb = pal_linux_malloc(sizeof(*tcb));
    if (!tcb)
        return -PAL_ERR_NOMEM;
    pal_memset(tcb, 0, sizeof(*tcb));
    tcb->abi.self = tcb;
    tcb->altstack = pal_linux_mmap_anon(PAL_ALTSTACK_SIZE);
    if (!tcb->altstack)
        return -PAL_ERR_NOMEM;
    tcb->rw_top = (char *)tcb->altstack + PAL_ALTSTACK_SIZE - pal_linux_rewrite_xs_reserve();
    struct host_stack ss = {.ss_sp = tcb->altstack, .ss_size = PAL_ALTSTACK_SIZE};
    long r = host_syscall2(__NR_sigaltstack, &ss, 0);
    if (host_is_err(r))
        return pal_linux_err(r);
    r = host_syscall2(__NR_arch_prctl, HOST_ARCH_SET_GS, tcb);
    if (host_is_err(r))
        return pal_linux_err(r);
    *out = tcb;
    return 0;
}

PAL_FORK_TEXT int pal_linux_sud_enable(void) {
    long len = pal_syscall_region_end - pal_syscall_region_start;
    return pal_linux_err(host_syscall5(__NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
                                       pal_syscall_region_start, len, &g_sud_selector));
}

static __attribute__((noreturn)) void boot_fail(const char *what, int err) {
    static const char pre[] = "sabot: cannot start the Linux PAL: ";
    host_syscall3(__NR_write, 2, pre, sizeof(pre) - 1);
    host_syscall3(__NR_write, 2, what, pal_strlen(what));
    host_syscall3(__NR_write, 2, "\n", 1);
    host_syscall1(__NR_exit_group, 126);
    __builtin_unreachable();
}

static pal_handle_t *fd_handle(int fd, uint32_t kind) {
    struct pal_handle *h = pal_linux_handle_new(kind, fd);
    if (!h)
        boot_fail("out of memory", 0);
    h->access = PAL_ACCESS_RDWR;
    return h;
}

/* Copies of what the runtime passed: its heap and stack are not inherited
 * by fast-fork children (runtime/sabot.c), which may still read these. */
static const char *keep_str(const char *s) {
    char *c = s ? pal_linux_strdup(s) : NULL;
    if (s && !c)
        boot_fail("out of memory", 0);
    return c;
}

static const char *const *keep_vec(const char *const *v) {
    if (!v)
        return NULL;
    size_t n = 0;
    while (v[n])
        n++;
    const char **c = pal_linux_malloc((n + 1) * sizeof(*c));
    if (!c)
        boot_fail("out of memory", 0);
    for (size_t i = 0; i < n; i++)
        c[i] = keep_str(v[i]);
    c[n] = NULL;
    return c;
}

static const char *keep_bytes(const char *s, size_t n) {
    if (!s)
        return NULL;
    char *c = pal_linux_malloc(n + 1);
    if (!c)
        boot_fail("out of memory", 0);
    pal_memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

void pal_linux_boot(const struct pal_linux_config *cfg) {
    g_boot_info.ignored_interrupts = inherited_ignores();
    struct pal_linux_tcb *tcb;
    int r = pal_linux_tcb_init(&tcb);
    if (r < 0)
        boot_fail("per-thread area (sigaltstack, GS base)", r);
    if (install_handlers() < 0)
        boot_fail("host signal handlers", r);

    struct pal_boot_info *b = &g_boot_info;
    b->abi_version = PAL_ABI_VERSION;
    b->manifest = keep_bytes(cfg->manifest, cfg->manifest_size);
    b->manifest_size = cfg->manifest_size;
    b->manifest_name = keep_str(cfg->manifest_name);
    b->argv = keep_vec(cfg->argv);
    b->exec_path = keep_str(cfg->exec_path);
    b->envp = keep_vec(cfg->envp);
    b->host_cwd = keep_str(cfg->host_cwd);
    b->tmpfs_dir = keep_str(cfg->tmpfs_dir);
    b->log_level = cfg->log_level;
    for (int i = 0; i < 3; i++) {
        pal_handle_t *h;
        char uri[] = "console:0";
        uri[8] = (char)('0' + i);
        if (pal_stream_open(uri, i == 0 ? PAL_ACCESS_RDONLY : PAL_ACCESS_WRONLY, 0,
                            PAL_CREATE_NEVER, 0, &h) < 0)
            h = fd_handle(i, HANDLE_CONSOLE);
        b->stdio[i] = h;
    }
    b->log = fd_handle(cfg->log_fd, HANDLE_CONSOLE);
    b->trace = cfg->trace_fd >= 0 ? fd_handle(cfg->trace_fd, HANDLE_FILE) : 0;
    g_pal_linux_child_loader = cfg->child_loader;
    if (cfg->parent_fd > 2)
        b->parent_stream = fd_handle(cfg->parent_fd, HANDLE_SOCKET);
    pal_host_info(&b->host);
    pal_mem_query(&b->mem);
    pal_linux_debug_init();
    if (pal_linux_thread_init_main(&b->main_thread) < 0)
        boot_fail("out of memory", 0);

    pal_linux_rewrite_init(cfg->syscall_rewrite, cfg->log_fd, cfg->log_level);
    g_sud_selector = SYSCALL_DISPATCH_FILTER_BLOCK;
    if (pal_linux_sud_enable() < 0)
        boot_fail("Syscall User Dispatch (needs Linux 5.11+)", 0);
    const char *what = "sandbox";
    if (pal_linux_sandbox_install(cfg, &what) < 0)
        boot_fail(what, 0);
    libos_start(b);
}
