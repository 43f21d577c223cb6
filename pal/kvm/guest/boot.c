/* Boot of the KVM guest PAL (CPL3, first C code in the VM) and the entry
 * points entry.S calls for syscalls and exceptions. */
#include "pal_kvm.h"

const struct kvm_boot *g_kvm_boot;
static struct pal_boot_info g_boot_info;
struct kvm_tcb g_kvm_tcbs[KVM_MAX_VCPUS] __attribute__((aligned(64)));
static pal_event_handler_t g_event_handlers[PAL_EVENT__COUNT];

/* The PAL stack of the boot thread: the libos runs here. */
#define PAL_STACK_SIZE (256 * 1024)
static uint8_t g_pal_stack[PAL_STACK_SIZE] __attribute__((aligned(64)));

int pal_set_event_handler(enum pal_event ev, pal_event_handler_t handler) {
    if ((unsigned)ev >= PAL_EVENT__COUNT)
        return -PAL_ERR_INVAL;
    g_event_handlers[ev] = handler;
    return 0;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* The software words Linux writes into a signal frame's XSAVE image, so
 * the libos treats it like the Linux PAL's host frame. */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
static void mark_fpstate(void *fp) {
    uint32_t *sw = (uint32_t *)((uint8_t *)fp + 464);
    uint64_t size = kvm_tcb_self()->xsave_size;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    sw[0] = FP_XSTATE_MAGIC1;
    sw[1] = (uint32_t)size + 4; /* extended_size */
    sw[2] = lo;                 /* xfeatures */
    sw[3] = hi;
    sw[4] = (uint32_t)size; /* xstate_size */
    *(uint32_t *)((uint8_t *)fp + size) = FP_XSTATE_MAGIC2;
}

static char *hex(char *p, uint64_t v);
static __attribute__((noreturn)) void die_unhandled(const char *what) {
    kvm_panic(what);
}

static char *hex(char *p, uint64_t v) {
    *p++ = '0', *p++ = 'x';
    for (int i = 60; i >= 0; i -= 4)
        *p++ = "0123456789abcdef"[(v >> i) & 15];
    return p;
}

/* "what (vector V, error E, address A, rip R)" */
static __attribute__((noreturn)) void die_exception(const char *what, const struct kvm_exc_info *x,
                                                    const struct pal_context *ctx) {
    char buf[256], *p = buf;
    size_t n = kvm_strlen(what);
    kvm_memcpy(p, what, n);
    p += n;
    kvm_memcpy(p, ": vector ", 9);
    p = hex(p + 9, x->vector);
    kvm_memcpy(p, " error ", 7);
    p = hex(p + 7, x->error);
    kvm_memcpy(p, " cr2 ", 5);
    p = hex(p + 5, x->cr2);
    kvm_memcpy(p, " rip ", 5);
    p = hex(p + 5, ctx->rip);
    kvm_memcpy(p, " rsp ", 5);
    p = hex(p + 5, ctx->rsp);
    *p = 0;
    kvm_panic(buf);
}

/* A TLB shootdown from another vCPU that found this one in PAL code. */
static void flush_if_asked(void) {
    struct kvm_tcb *t = kvm_tcb_self();
    if (__atomic_load_n(&t->flush_pending, __ATOMIC_ACQUIRE)) {
        t->flush_pending = 0;
        kvm_tlb_flush();
    }
}

/* Host signals the tender left in this vCPU's TCB (SIGINT etc. sent to the
 * tender): each raises PAL_EVENT_INTERRUPT or _QUIT with its source. The
 * context given is the PAL's own (not app code), so the libos only marks
 * the signal pending and delivers it on its way back to the app. Before
 * the libos is ready the host signal's default action: exit 128 + sig. */
void kvm_host_ints(void) {
    uint64_t bits = __atomic_exchange_n(&kvm_tcb_self()->host_int, 0, __ATOMIC_ACQ_REL);
    static const int sig_of[] = {[PAL_INT_INTERRUPT] = 2,
                                 [PAL_INT_TERMINATE] = 15,
                                 [PAL_INT_HANGUP] = 1,
                                 [PAL_INT_QUIT] = 3};
    for (uint32_t src = PAL_INT_INTERRUPT; bits && src <= PAL_INT_QUIT; src++) {
        if (!(bits & (1ULL << src)) || src == PAL_INT_WAKEUP)
            continue;
        enum pal_event ev =
            src == PAL_INT_TERMINATE || src == PAL_INT_QUIT ? PAL_EVENT_QUIT : PAL_EVENT_INTERRUPT;
        struct pal_context pal_ctx = {.rip = (uint64_t)&kvm_host_ints};
        __asm__ volatile("mov %%rsp, %0" : "=r"(pal_ctx.rsp));
        struct pal_event_info info = {.addr = pal_ctx.rip, .source = src};
        if (!g_event_handlers[ev])
            pal_process_exit(128 + sig_of[src]);
        g_event_handlers[ev](ev, &info, &pal_ctx);
    }
}

void kvm_syscall_dispatch(struct pal_context *ctx) {
    flush_if_asked();
    if (__atomic_load_n(&kvm_tcb_self()->host_int, __ATOMIC_ACQUIRE))
        kvm_host_ints();
    mark_fpstate(ctx->fpregs);
    pal_event_handler_t h = g_event_handlers[PAL_EVENT_SYSCALL];
    if (!h)
        die_unhandled("system call before the libos installed its handler");
    struct pal_event_info info = {.addr = ctx->rip};
    h(PAL_EVENT_SYSCALL, &info, ctx);
}

void kvm_exception_dispatch(struct pal_context *ctx, const struct kvm_exc_info *x) {
    struct pal_event_info info = {.addr = ctx->rip};
    enum pal_event ev;
    flush_if_asked();
    switch (x->vector) {
    case KVM_VEC_FLUSH: /* the tender redirected us here: flushed above */
        return;
    case KVM_VEC_INTERRUPT: /* pal_thread_interrupt or a host signal, in app code */
        kvm_host_ints();    /* pending now; the wake-up below delivers them */
        ev = PAL_EVENT_INTERRUPT;
        info.source = PAL_INT_WAKEUP;
        break;
    case KVM_VEC_BUS: /* the tender found a shared file page gone (truncated) */
        ev = PAL_EVENT_MEMFAULT;
        info.addr = 0; /* not known */
        info.host_code = PAL_FAULT_BUS;
        break;
    case 14: /* #PF */
        if (kvm_mem_fault(x->cr2, x->error))
            return;
        ev = PAL_EVENT_MEMFAULT;
        info.addr = x->cr2;
        info.host_code = kvm_mem_bus(x->cr2) ? PAL_FAULT_BUS
                         : (x->error & 1)    ? PAL_FAULT_PROTECTION
                                             : PAL_FAULT_UNMAPPED;
        info.access = (x->error & 2)    ? PAL_PROT_WRITE
                      : (x->error & 16) ? PAL_PROT_EXEC
                                        : PAL_PROT_READ;
        break;
    case 13: /* #GP, #SS: Linux reports SIGSEGV at address 0 */
    case 12:
        ev = PAL_EVENT_MEMFAULT;
        info.addr = 0;
        info.host_code = PAL_FAULT_OTHER;
        break;
    case 17: /* #AC */
        ev = PAL_EVENT_MEMFAULT;
        info.host_code = PAL_FAULT_BUS;
        break;
    case 6: /* #UD */
        ev = PAL_EVENT_ILLEGAL;
        break;
    case 0: /* #DE */
        ev = PAL_EVENT_ARITHMETIC;
        info.host_code = PAL_FAULT_INTDIV;
        break;
    case 16: /* #MF, #XM */
    case 19:
        ev = PAL_EVENT_ARITHMETIC;
        info.host_code = PAL_FAULT_FLTDIV;
        break;
    case 3: /* int3: rip is already past it, as Linux reports */
        ev = PAL_EVENT_BREAKPOINT;
        info.host_code = PAL_FAULT_OTHER;
        break;
    case 1:
        ev = PAL_EVENT_BREAKPOINT;
        info.host_code = PAL_FAULT_BREAKPOINT;
        break;
    default:
        die_exception("unexpected CPU exception in the guest", x, ctx);
    }
    mark_fpstate(ctx->fpregs);
    pal_event_handler_t h = g_event_handlers[ev];
    if (!h)
        die_exception("CPU exception before the libos was ready", x, ctx);
    h(ev, &info, ctx);
}

static void tcb_init(struct kvm_tcb *t, uint8_t *stack, size_t size) {
    t->abi.self = t;
    t->abi.libos = 0;
    t->stack_base = (uint64_t)stack;
    t->stack_top = (uint64_t)stack + size;
    uint32_t r[4];
    cpuid(0xd, 0, r);
    t->xsave_size = r[1] ? r[1] : 576; /* for the XCR0 the tender set */
    __asm__ volatile("wrgsbase %0" ::"r"((uint64_t)t));
}

static pal_handle_t *tender_handle(int64_t id) {
    pal_handle_t *h = kvm_handle_new(KH_TENDER, id);
    if (!h)
        kvm_panic("out of PAL handles at boot");
    return h;
}

void kvm_guest_main(const struct kvm_boot *boot) {
    g_kvm_boot = boot;
    g_kvm_doorbell = (uint64_t)kvm_phys(KVM_GPA_DOORBELL(boot->mem_size));
    g_kvm_tcbs[0].hc_gpa = KVM_GPA_HC;
    tcb_init(&g_kvm_tcbs[0], g_pal_stack, sizeof(g_pal_stack));
    kvm_mem_init(boot->free_start, boot->mem_size);
    kvm_time_init();

    struct pal_boot_info *b = &g_boot_info;
    b->abi_version = PAL_ABI_VERSION;
    b->manifest = (const char *)boot->manifest;
    b->manifest_size = boot->manifest_size;
    b->manifest_name = (const char *)boot->manifest_name;
    b->argv = (const char *const *)boot->argv;
    b->exec_path = (const char *)boot->exec_path;
    b->envp = (const char *const *)boot->envp;
    b->host_cwd = (const char *)boot->host_cwd;
    b->log_level = (int)boot->log_level;
    b->ignored_interrupts = boot->ignored_interrupts;
    for (int i = 0; i < 3; i++)
        b->stdio[i] = tender_handle(i);
    b->log = kvm_handle_new(KH_LOG, 0);
    b->trace = boot->trace ? kvm_handle_new(KH_LOG, 1) : 0;
    b->main_thread = kvm_handle_new(KH_THREAD, 0);
    if (boot->parent_stream) { /* started by pal_process_create: no manifest */
        b->parent_stream = tender_handle((int64_t)boot->parent_stream - 1);
        b->parent_stream->nonblocking = true;
        b->manifest = NULL;
        b->manifest_size = 0;
    }
    pal_host_info(&b->host);
    pal_mem_query(&b->mem);
    libos_start(b);
}

/* A new thread's first C code (kvm_thread_entry set GS to its TCB). */
__attribute__((noreturn)) void kvm_thread_main(struct kvm_tcb *t) {
    tcb_init(t, (uint8_t *)t->stack_base, t->stack_top - t->stack_base);
    __asm__ volatile("wrfsbase %0" ::"r"(0ULL));
    t->start_fn(t->start_arg);
    pal_thread_exit(NULL);
}
