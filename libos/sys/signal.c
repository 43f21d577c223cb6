/* Signals: dispositions, masks, pending sets, delivery to app handlers on
 * a Linux-layout rt_sigframe, rt_sigreturn, default actions. One thread per
 * process for now; the pending set is per thread. */
#include "libos_futex.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define FP_XSTATE_MAGIC1 0x46505853U
#define FXSAVE_SIZE 512
#define X86_EFLAGS_TF 0x100
#define X86_EFLAGS_DF 0x400
/* Flags user code may change through rt_sigreturn (Linux FIX_EFLAGS). */
#define USER_EFLAGS 0x3f7fd5

static const char *signal_name(int sig) {
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
    };
    return sig > 0 && sig < (int)ARRAY_SIZE(names) && names[sig] ? names[sig] : "a signal";
}

static bool is_ignored(int sig);

#define SIGRTMIN_KERNEL 32
static int g_rt_queued;

static void drop(uint64_t *set, struct libos_sigextra **extra, int sig) {
    *set &= ~SIGBIT(sig);
    while (extra[sig - 1]) {
        struct libos_sigextra *e = extra[sig - 1];
        extra[sig - 1] = e->next;
        libos_free(e);
        g_rt_queued--;
    }
}

static void clear_pending(struct libos_thread *t, void *arg) {
    drop(&t->sigpending, t->sigextra, *(int *)arg);
}

/* An exiting thread's queued real-time signals die with it. */
void libos_signal_thread_exit(struct libos_thread *t) {
    libos_lock(&g_process.lock);
    for (int sig = SIGRTMIN_KERNEL; sig <= LINUX_NSIG; sig++)
        drop(&t->sigpending, t->sigextra, sig);
    libos_unlock(&g_process.lock);
}

/* Drop sig from every pending set (g_process.lock held). */
static void discard_pending_locked(int sig) {
    drop(&g_process.sigpending, g_process.sigextra, sig);
    libos_thread_for_each(clear_pending, &sig);
}

long libos_sys_rt_sigaction(int sig, const struct linux_sigaction *act,
                            struct linux_sigaction *oldact, size_t sigsetsize) {
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    if (sig < 1 || sig > LINUX_NSIG || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return -EINVAL;
    if (act && !libos_user_range_ok(act, sizeof(*act), false))
        return -EFAULT;
    if (oldact && !libos_user_range_ok(oldact, sizeof(*oldact), true))
        return -EFAULT;
    libos_lock(&g_process.lock);
    struct linux_sigaction *cur = &g_process.sigactions[sig - 1];
    struct linux_sigaction old = *cur;
    if (act) {
        *cur = *act;
        cur->mask &= ~UNBLOCKABLE;
        if (is_ignored(sig))
            discard_pending_locked(sig); /* POSIX: ignoring drops what is pending */
    }
    libos_unlock(&g_process.lock);
    if (oldact)
        *oldact = old;
    return 0;
}

LIBOS_FORK_TEXT long libos_sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *oldset,
                                              size_t sigsetsize) {
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    struct libos_thread *t = libos_current_thread();
    uint64_t old = t->sigmask, nset = 0;
    if (set) {
        if (!libos_user_range_ok(set, sizeof(*set), false))
            return -EFAULT;
        nset = *set;
        switch (how) {
        case SIG_BLOCK:
            nset = old | nset;
            break;
        case SIG_UNBLOCK:
            nset = old & ~nset;
            break;
        case SIG_SETMASK:
            break;
        default:
            return -EINVAL;
        }
    }
    if (oldset) {
        if (!libos_user_range_ok(oldset, sizeof(*oldset), true))
            return -EFAULT;
        *oldset = old;
    }
    if (set)
        t->sigmask = nset & ~UNBLOCKABLE; /* newly unblocked ones arrive on return */
    return 0;
}

static bool on_altstack(const struct libos_thread *t, uint64_t sp) {
    return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

long libos_sys_sigaltstack(const void *ss_ptr, void *old_ptr) {
    struct libos_thread *t = libos_current_thread();
    const struct linux_stack_t *ss = ss_ptr;
    struct linux_stack_t *old = old_ptr;
    bool on = on_altstack(t, t->ctx ? t->ctx->rsp : 0);
    if (old) {
        if (!libos_user_range_ok(old, sizeof(*old), true))
            return -EFAULT;
        old->ss_sp = t->altstack_sp;
        old->ss_size = t->altstack_size;
        old->ss_flags = on ? SS_ONSTACK : t->altstack_size ? (int)t->altstack_flags : SS_DISABLE;
        old->pad = 0;
    }
    if (ss) {
        if (!libos_user_range_ok(ss, sizeof(*ss), false))
            return -EFAULT;
        if (on)
            return -EPERM;
        unsigned mode = (unsigned)ss->ss_flags & ~SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = 0;
            return 0;
        }
        if (ss->ss_size < LINUX_MINSIGSTKSZ)
            return -ENOMEM;
        t->altstack_sp = ss->ss_sp;
        t->altstack_size = ss->ss_size;
        t->altstack_flags = (unsigned)ss->ss_flags & SS_AUTODISARM;
    }
    return 0;
}

/* Default action of sig. */
enum { ACT_TERM, ACT_IGNORE, ACT_STOP, ACT_CONT };
static int default_action(int sig) {
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
        return ACT_IGNORE;
    case SIGCONT:
        return ACT_CONT;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return ACT_STOP;
    default:
        return ACT_TERM; /* core-dumping signals end the same way, without a core */
    }
}

static __attribute__((noreturn)) void terminate_by_signal(int sig, const struct linux_siginfo *si,
                                                          uint64_t rip) {
    bool fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
    if (fault)
        log_info("program terminated by %s (address %#lx, rip %#lx)", signal_name(sig),
                 (unsigned long)si->fault.addr, (unsigned long)rip);
    else
        log_info("program terminated by %s", signal_name(sig));
    libos_exit_by_signal(sig);
}

/* Size of the host's FPU/XSAVE image at fp, 0 if none. */
static size_t fpstate_size(const void *fp) {
    if (!fp)
        return 0;
    const uint32_t *sw = (const uint32_t *)((const char *)fp + 464);
    return sw[0] == FP_XSTATE_MAGIC1 && sw[1] > FXSAVE_SIZE && sw[1] < 65536 ? sw[1] : FXSAVE_SIZE;
}

struct rt_sigframe {
    uint64_t pretcode; /* sa_restorer: where the handler returns */
    struct linux_ucontext uc;
    struct linux_siginfo info;
};

/* Build the handler's frame on the app stack and point ctx at the
 * handler. Returns false when the frame cannot be written. */
static bool setup_frame(struct libos_thread *t, struct pal_context *ctx, int sig,
                        const struct linux_sigaction *sa, const struct linux_siginfo *si) {
    uint64_t sp = ctx->rsp - 128; /* skip the red zone */
    bool was_on = on_altstack(t, ctx->rsp);
    if ((sa->flags & SA_ONSTACK) && t->altstack_size && !was_on)
        sp = t->altstack_sp + t->altstack_size;
    size_t fpsize = fpstate_size(ctx->fpregs);
    uint64_t fp = 0;
    if (fpsize) {
        sp = ALIGN_DOWN(sp - fpsize, 64);
        fp = sp;
    }
    sp = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8; /* as if called */
    struct rt_sigframe *f = (struct rt_sigframe *)sp;
    uint64_t top = fp ? fp + fpsize : sp + sizeof(*f);
    if (!libos_user_range_ok((void *)sp, top - sp, true))
        return false;
    if (fp)
        memcpy((void *)fp, ctx->fpregs, fpsize);
    memset(f, 0, sizeof(*f));
    f->pretcode = sa->restorer;
    f->info = *si;
    f->uc.uc_flags =
        UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpsize > FXSAVE_SIZE ? UC_FP_XSTATE : 0);
    f->uc.uc_stack.ss_sp = t->altstack_sp;
    f->uc.uc_stack.ss_size = t->altstack_size;
    f->uc.uc_stack.ss_flags = was_on ? SS_ONSTACK : t->altstack_size ? 0 : SS_DISABLE;
    struct linux_sigcontext *m = &f->uc.uc_mcontext;
    m->r8 = ctx->r8, m->r9 = ctx->r9, m->r10 = ctx->r10, m->r11 = ctx->r11;
    m->r12 = ctx->r12, m->r13 = ctx->r13, m->r14 = ctx->r14, m->r15 = ctx->r15;
    m->rdi = ctx->rdi, m->rsi = ctx->rsi, m->rbp = ctx->rbp, m->rbx = ctx->rbx;
    m->rdx = ctx->rdx, m->rax = ctx->rax, m->rcx = ctx->rcx, m->rsp = ctx->rsp;
    m->rip = ctx->rip, m->eflags = ctx->rflags;
    m->cs = 0x33, m->ss = 0x2b;
    m->oldmask = t->sigmask;
    m->fpstate = fp;
    if (sig == SIGSEGV || sig == SIGBUS)
        m->cr2 = si->fault.addr;
    f->uc.uc_sigmask = t->sigmask;

    ctx->rdi = sig;
    ctx->rsi = (uint64_t)&f->info;
    ctx->rdx = (uint64_t)&f->uc;
    ctx->rax = 0;
    ctx->rsp = sp;
    ctx->rip = sa->handler;
    ctx->rflags &= ~(uint64_t)(X86_EFLAGS_TF | X86_EFLAGS_DF);
    if ((sa->flags & SA_ONSTACK) && (t->altstack_flags & SS_AUTODISARM) && !was_on)
        t->altstack_sp = t->altstack_size = 0;
    return true;
}

struct libos_waitq g_signal_waitq = LIBOS_WAITQ_INIT;

static bool is_restart(uint64_t rax) {
    long r = (long)rax;
    return r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND;
}

/* Act on one signal for the current thread, whose app state is ctx. nr is
 * the syscall being returned from (its result in ctx->rax), or -1. Returns
 * true if a handler frame was set up. */
static bool deliver(struct libos_thread *t, struct pal_context *ctx, int sig,
                    const struct linux_siginfo *si, long nr) {
    libos_lock(&g_process.lock);
    struct linux_sigaction sa = g_process.sigactions[sig - 1];
    if (sa.handler > SIG_IGN && (sa.flags & SA_RESETHAND))
        g_process.sigactions[sig - 1].handler = SIG_DFL;
    libos_unlock(&g_process.lock);
    if (sa.handler == SIG_IGN)
        return false;
    if (sa.handler == SIG_DFL) {
        int act = default_action(sig);
        if (act == ACT_TERM)
            terminate_by_signal(sig, si, ctx->rip);
        /* Stopped inside the sandbox when a parent there can continue
         * us; else the host process stops (a terminal's job control). */
        if (act == ACT_STOP && !libos_proc_stop(sig) && pal_process_suspend() < 0)
            log_warn("%s: this PAL cannot stop the process; ignored", signal_name(sig));
        return false;
    }
    /* An interrupted syscall resumes after the handler only if it may. */
    if (nr >= 0 && is_restart(ctx->rax)) {
        long r = (long)ctx->rax;
        if (r == -ERESTARTNOINTR || (r == -ERESTARTSYS && (sa.flags & SA_RESTART))) {
            ctx->rax = nr;
            ctx->rip -= 2; /* back onto the syscall instruction */
        } else {
            ctx->rax = (uint64_t)-EINTR;
        }
    }
    uint64_t mask_after = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
    uint64_t cur = t->sigmask;
    t->sigmask = mask_after; /* what the frame records and sigreturn restores */
    bool ok = (sa.flags & SA_RESTORER) && setup_frame(t, ctx, sig, &sa, si);
    t->sigmask = cur;
    if (!ok) {
        /* No way to run the handler: Linux kills with SIGSEGV. */
        struct linux_siginfo segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
        terminate_by_signal(SIGSEGV, &segv, ctx->rip);
    }
    t->restore_sigmask = false;
    t->sigmask = mask_after | sa.mask | ((sa.flags & SA_NODEFER) ? 0 : SIGBIT(sig));
    t->sigmask &= ~UNBLOCKABLE;
    return true;
}

static bool is_ignored(int sig) {
    uint64_t h = g_process.sigactions[sig - 1].handler;
    return h == SIG_IGN ||
           (h == SIG_DFL && (default_action(sig) == ACT_IGNORE || default_action(sig) == ACT_CONT));
}

/* Take the lowest pending signal in mask: thread-directed first. Caller
 * holds g_process.lock. */
static int take_locked(struct libos_thread *t, uint64_t mask, struct linux_siginfo *out) {
    uint64_t *sets[2] = {&t->sigpending, &g_process.sigpending};
    struct linux_siginfo *infos[2] = {t->siginfo, g_process.siginfo};
    struct libos_sigextra **extras[2] = {t->sigextra, g_process.sigextra};
    for (int k = 0; k < 2; k++) {
        uint64_t ready = *sets[k] & mask;
        if (!ready)
            continue;
        int sig = __builtin_ctzll(ready) + 1;
        *out = infos[k][sig - 1];
        struct libos_sigextra *e = extras[k][sig - 1];
        if (e) { /* the next queued instance moves up */
            infos[k][sig - 1] = e->info;
            extras[k][sig - 1] = e->next;
            libos_free(e);
            g_rt_queued--;
        } else {
            *sets[k] &= ~SIGBIT(sig);
        }
        return sig;
    }
    return 0;
}

long libos_signal_dequeue(uint64_t mask, struct linux_siginfo *out) {
    libos_lock(&g_process.lock);
    int sig = take_locked(libos_current_thread(), mask, out);
    libos_unlock(&g_process.lock);
    return sig ? 0 : -EAGAIN;
}

uint64_t libos_signal_pending_set(void) {
    struct libos_thread *t = libos_current_thread();
    return __atomic_load_n(&t->sigpending, __ATOMIC_RELAXED) |
           __atomic_load_n(&g_process.sigpending, __ATOMIC_RELAXED);
}

bool libos_signal_pending(void) {
    return (libos_signal_pending_set() & ~libos_current_thread()->sigmask) != 0;
}

LIBOS_FORK_TEXT void libos_signal_deliver_pending(struct pal_context *ctx, long nr) {
    libos_exec_doomed_check(); /* another thread runs execve: this one ends */
    libos_proc_stopped_wait(); /* the process is stopped: so is this thread */
    struct libos_thread *t = libos_current_thread();
    /* One handler frame at a time; the rest arrive when it returns. */
    while (libos_signal_pending()) {
        struct linux_siginfo si;
        libos_lock(&g_process.lock);
        int sig = take_locked(t, ~t->sigmask, &si);
        libos_unlock(&g_process.lock);
        if (!sig)
            break;
        if (deliver(t, ctx, sig, &si, nr))
            break;
    }
    /* Interrupted and no handler ran: restart it transparently. */
    if (nr >= 0 && is_restart(ctx->rax)) {
        ctx->rax = nr;
        ctx->rip -= 2;
    }
    if (t->restore_sigmask) {
        t->sigmask = t->saved_sigmask;
        t->restore_sigmask = false;
    }
}

/* Make t notice a new signal: wake it from a libos wait, and interrupt it
 * if it runs app code so the signal arrives without a syscall. */
static void kick(struct libos_thread *t) {
    libos_thread_wake(t);
    if (t != libos_current_thread() && t->pal_thread)
        pal_thread_interrupt(t->pal_thread);
}

#define RT_QUEUE_MAX 4096 /* queued real-time signals per process */

/* Standard signals pend once; real-time ones queue every instance. */
static void queue_locked(uint64_t *set, struct linux_siginfo *infos, struct libos_sigextra **extra,
                         const struct linux_siginfo *si) {
    int sig = si->si_signo;
    if (!(*set & SIGBIT(sig))) {
        infos[sig - 1] = *si;
        *set |= SIGBIT(sig);
        return;
    }
    if (sig < SIGRTMIN_KERNEL || g_rt_queued >= RT_QUEUE_MAX)
        return;
    struct libos_sigextra *e = libos_malloc(sizeof(*e));
    if (!e)
        return;
    e->info = *si;
    e->next = NULL;
    struct libos_sigextra **pp = &extra[sig - 1];
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    g_rt_queued++;
}

struct pick {
    int sig;
    struct libos_thread *found;
};

static void pick_unblocked(struct libos_thread *t, void *arg) {
    struct pick *p = arg;
    if (!p->found && !t->exited && !(t->sigmask & SIGBIT(p->sig)))
        p->found = t;
}

void libos_signal_send_process(const struct linux_siginfo *si) {
    int sig = si->si_signo;
    struct libos_thread *self = libos_current_thread();
    libos_lock(&g_process.lock);
    if (is_ignored(sig)) {
        libos_unlock(&g_process.lock);
        return;
    }
    queue_locked(&g_process.sigpending, g_process.siginfo, g_process.sigextra, si);
    libos_unlock(&g_process.lock);
    struct pick p = {sig, NULL};
    if (!self->internal && !(self->sigmask & SIGBIT(sig)))
        p.found = self;
    else
        libos_thread_for_each(pick_unblocked, &p);
    if (p.found)
        kick(p.found);
    libos_waitq_wake_all(&g_signal_waitq);
}

void libos_signal_send_thread(struct libos_thread *t, const struct linux_siginfo *si) {
    libos_lock(&g_process.lock);
    if (is_ignored(si->si_signo)) {
        libos_unlock(&g_process.lock);
        return;
    }
    queue_locked(&t->sigpending, t->siginfo, t->sigextra, si);
    libos_unlock(&g_process.lock);
    kick(t);
    libos_waitq_wake_all(&g_signal_waitq);
}

long libos_sys_rt_sigreturn(void) {
    struct libos_thread *t = libos_current_thread();
    struct pal_context *ctx = t->ctx;
    /* The handler's ret popped pretcode, so the frame starts 8 below. */
    struct rt_sigframe *f = (struct rt_sigframe *)(ctx->rsp - 8);
    if (!libos_user_range_ok(f, sizeof(*f), false)) {
        struct linux_siginfo segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
        terminate_by_signal(SIGSEGV, &segv, ctx->rip);
    }
    const struct linux_sigcontext *m = &f->uc.uc_mcontext;
    size_t hsize = fpstate_size(ctx->fpregs);
    if (m->fpstate && hsize) {
        size_t asize = fpstate_size((void *)m->fpstate);
        if (libos_user_range_ok((void *)m->fpstate, FXSAVE_SIZE, false) &&
            libos_user_range_ok((void *)m->fpstate, asize, false)) {
            /* Take the app's register contents but keep the host's
             * format words, so a forged frame cannot break the PAL's
             * own restore. */
            char *dst = ctx->fpregs;
            const char *src = (const char *)m->fpstate;
            memcpy(dst, src, 464);
            uint32_t *mxcsr = (uint32_t *)(dst + 24);
            *mxcsr &= 0xffff;
            if (asize == hsize && hsize > FXSAVE_SIZE + 64) {
                uint64_t host_bv = *(uint64_t *)(dst + FXSAVE_SIZE);
                uint64_t app_bv = *(const uint64_t *)(src + FXSAVE_SIZE);
                memcpy(dst + FXSAVE_SIZE + 64, src + FXSAVE_SIZE + 64,
                       hsize - FXSAVE_SIZE - 64 - 4); /* keep the trailing magic */
                *(uint64_t *)(dst + FXSAVE_SIZE) = app_bv & host_bv;
            }
        }
    }
    ctx->r8 = m->r8, ctx->r9 = m->r9, ctx->r10 = m->r10, ctx->r11 = m->r11;
    ctx->r12 = m->r12, ctx->r13 = m->r13, ctx->r14 = m->r14, ctx->r15 = m->r15;
    ctx->rdi = m->rdi, ctx->rsi = m->rsi, ctx->rbp = m->rbp, ctx->rbx = m->rbx;
    ctx->rdx = m->rdx, ctx->rax = m->rax, ctx->rcx = m->rcx, ctx->rsp = m->rsp;
    ctx->rip = m->rip;
    ctx->rflags = (ctx->rflags & ~(uint64_t)USER_EFLAGS) | (m->eflags & USER_EFLAGS);
    t->sigmask = f->uc.uc_sigmask & ~UNBLOCKABLE;
    return (long)ctx->rax;
}

static int fault_signal(enum pal_event ev, const struct pal_event_info *info,
                        struct linux_siginfo *si) {
    memset(si, 0, sizeof(*si));
    si->fault.addr = info->addr;
    struct libos_vma v;
    switch (ev) {
    case PAL_EVENT_ILLEGAL:
        si->si_code = ILL_ILLOPN;
        return si->si_signo = SIGILL;
    case PAL_EVENT_ARITHMETIC:
        si->si_code = info->host_code == PAL_FAULT_INTDIV ? FPE_INTDIV : FPE_FLTDIV;
        return si->si_signo = SIGFPE;
    case PAL_EVENT_BREAKPOINT:
        /* int3 is reported by Linux as SI_KERNEL with no address. */
        if (info->host_code == PAL_FAULT_BREAKPOINT) {
            si->si_code = TRAP_BRKPT;
        } else {
            si->si_code = SI_KERNEL;
            si->fault.addr = 0;
        }
        return si->si_signo = SIGTRAP;
    default:
        if (info->host_code == PAL_FAULT_BUS) {
            si->si_code = BUS_ADRERR;
            return si->si_signo = SIGBUS;
        }
        /* The libos's map decides: no app mapping there is MAPERR. */
        bool mapped = libos_vma_lookup(info->addr, &v) && v.kind != VMA_RESERVED;
        si->si_code = mapped ? SEGV_ACCERR : SEGV_MAPERR;
        return si->si_signo = SIGSEGV;
    }
}

static void fault_event(enum pal_event ev, const struct pal_event_info *info,
                        struct pal_context *ctx) {
    struct libos_vma v;
    /* An instruction fetch from outside the app's memory (a call through
     * a bad pointer) is the app's fault; any other fault there is ours. */
    bool fetch = ev == PAL_EVENT_MEMFAULT && info->addr == ctx->rip;
    if (!fetch && !libos_vma_lookup(ctx->rip, &v))
        libos_panic("fault in sabot itself (event %d, address %#lx, rip %#lx)", ev,
                    (unsigned long)info->addr, (unsigned long)ctx->rip);
    struct libos_thread *t = libos_current_thread();
    if (ev == PAL_EVENT_MEMFAULT && info->host_code != PAL_FAULT_BUS &&
        libos_mm_grow_stack(info->addr))
        return; /* the stack grew: retry the access */
    struct linux_siginfo si;
    int sig = fault_signal(ev, info, &si);
    /* A blocked or ignored synchronous fault cannot be deferred: Linux
     * applies the default action. */
    uint64_t handler = g_process.sigactions[sig - 1].handler;
    if ((t->sigmask & SIGBIT(sig)) || handler == SIG_IGN)
        terminate_by_signal(sig, &si, ctx->rip);
    deliver(t, ctx, sig, &si, -1);
}

static void interrupt_event(enum pal_event ev, const struct pal_event_info *info,
                            struct pal_context *ctx) {
    if (info->source != PAL_INT_WAKEUP) {
        int sig = info->source == PAL_INT_INTERRUPT ? SIGINT
                  : info->source == PAL_INT_HANGUP  ? SIGHUP
                  : info->source == PAL_INT_QUIT    ? SIGQUIT
                                                    : SIGTERM;
        struct linux_siginfo si = {.si_signo = sig, .si_code = SI_USER};
        libos_signal_send_process(&si);
    }
    /* Only safe to run a handler if the app (not the libos) was interrupted;
     * otherwise the libos delivers on its way back to the app. */
    struct libos_vma v;
    if (libos_vma_lookup(ctx->rip, &v)) {
        if (info->source == PAL_INT_WAKEUP)
            libos_proc_mailbox_poll(); /* maybe another process's wake */
        libos_signal_deliver_pending(ctx, -1);
    } else if (info->source == PAL_INT_WAKEUP && libos_current_thread() &&
               libos_current_thread()->internal) {
        /* A service thread lets wakes in anywhere: its next wait returns
         * at once and looks at the mailbox. */
        libos_thread_wake(libos_current_thread());
    }
}

void libos_signal_init(void) {
    /* Dispositions inherited from the host, as across execve. */
    static const int from_source[] = {[PAL_INT_INTERRUPT] = SIGINT,
                                      [PAL_INT_TERMINATE] = SIGTERM,
                                      [PAL_INT_HANGUP] = SIGHUP,
                                      [PAL_INT_QUIT] = SIGQUIT};
    for (unsigned s = 0; s < ARRAY_SIZE(from_source); s++)
        if (from_source[s] && (g_boot->ignored_interrupts & (1U << s)))
            g_process.sigactions[from_source[s] - 1].handler = SIG_IGN;
    pal_set_event_handler(PAL_EVENT_MEMFAULT, fault_event);
    pal_set_event_handler(PAL_EVENT_ILLEGAL, fault_event);
    pal_set_event_handler(PAL_EVENT_ARITHMETIC, fault_event);
    pal_set_event_handler(PAL_EVENT_BREAKPOINT, fault_event);
    pal_set_event_handler(PAL_EVENT_INTERRUPT, interrupt_event);
    pal_set_event_handler(PAL_EVENT_QUIT, interrupt_event);
}

static long check_sig(int sig) {
    return sig < 0 || sig > LINUX_NSIG ? -EINVAL : 0;
}

static struct linux_siginfo user_info(int sig, int code) {
    struct linux_siginfo si = {.si_signo = sig, .si_code = code};
    si.kill.pid = g_process.pid;
    si.kill.uid = g_process.uid;
    return si;
}

long libos_sys_kill(int pid, int sig) {
    if (check_sig(sig) || pid == INT32_MIN)
        return -EINVAL;
    return libos_proc_kill(pid, sig); /* any process of the sandbox, groups, -1 */
}

static long send_to_tid(int tid, int sig, const struct linux_siginfo *si) {
    struct libos_thread *t = libos_thread_find((uint32_t)tid);
    if (!t)
        return -ESRCH;
    if (sig)
        libos_signal_send_thread(t, si);
    libos_thread_put(t);
    return 0;
}

long libos_sys_tkill(int tid, int sig) {
    if (tid <= 0 || check_sig(sig))
        return -EINVAL;
    struct linux_siginfo si = user_info(sig, SI_TKILL);
    return send_to_tid(tid, sig, &si);
}

long libos_sys_tgkill(int tgid, int tid, int sig) {
    if (tgid <= 0 || tid <= 0 || check_sig(sig))
        return -EINVAL;
    if ((uint32_t)tgid != g_process.pid)
        return -ESRCH;
    return libos_sys_tkill(tid, sig);
}

static long read_user_info(int sig, const struct linux_siginfo *uinfo, struct linux_siginfo *si) {
    if (!libos_user_range_ok(uinfo, sizeof(*uinfo), false))
        return -EFAULT;
    *si = *uinfo;
    si->si_signo = sig;
    return 0;
}

long libos_sys_rt_sigqueueinfo(int tgid, int sig, const struct linux_siginfo *uinfo) {
    struct linux_siginfo si;
    long r = check_sig(sig) ? -EINVAL : read_user_info(sig, uinfo, &si);
    if (r < 0)
        return r;
    if ((uint32_t)tgid != g_process.pid)
        return -ESRCH;
    if (sig)
        libos_signal_send_process(&si);
    return 0;
}

long libos_sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const struct linux_siginfo *uinfo) {
    struct linux_siginfo si;
    long r = check_sig(sig) ? -EINVAL : read_user_info(sig, uinfo, &si);
    if (r < 0)
        return r;
    if ((uint32_t)tgid != g_process.pid)
        return -ESRCH;
    return send_to_tid(tid, sig, &si);
}

long libos_sys_rt_sigpending(uint64_t *set, size_t size) {
    if (size > sizeof(uint64_t))
        return -EINVAL;
    if (!libos_user_range_ok(set, size, true))
        return -EFAULT;
    uint64_t v = libos_signal_pending_set() & libos_current_thread()->sigmask;
    memcpy(set, &v, size);
    return 0;
}

long libos_sys_rt_sigsuspend(const uint64_t *mask, size_t size) {
    if (size != sizeof(uint64_t))
        return -EINVAL;
    if (!libos_user_range_ok(mask, sizeof(*mask), false))
        return -EFAULT;
    struct libos_thread *t = libos_current_thread();
    t->saved_sigmask = t->sigmask;
    t->restore_sigmask = true;
    t->sigmask = *mask & ~UNBLOCKABLE;
    while (!libos_signal_pending())
        libos_thread_wait(0, NULL, NULL, NULL, NULL);
    return -ERESTARTNOHAND;
}

long libos_sys_pause(void) {
    while (!libos_signal_pending())
        libos_thread_wait(0, NULL, NULL, NULL, NULL);
    return -ERESTARTNOHAND;
}

long libos_sys_rt_sigtimedwait(const uint64_t *uset, struct linux_siginfo *uinfo,
                               const struct linux_timespec *uts, size_t size) {
    if (size != sizeof(uint64_t))
        return -EINVAL;
    if (!libos_user_range_ok(uset, 8, false) ||
        (uinfo && !libos_user_range_ok(uinfo, sizeof(*uinfo), true)))
        return -EFAULT;
    uint64_t want = *uset & ~UNBLOCKABLE, left = 0;
    if (uts) {
        if (!libos_user_range_ok(uts, sizeof(*uts), false))
            return -EFAULT;
        if (uts->tv_sec < 0 || uts->tv_nsec < 0 || uts->tv_nsec >= 1000000000)
            return -EINVAL;
        left = (uint64_t)uts->tv_sec * 1000000000ULL + uts->tv_nsec;
    }
    struct libos_thread *t = libos_current_thread();
    for (;;) {
        struct linux_siginfo si;
        if (libos_signal_dequeue(want, &si) == 0) {
            if (uinfo)
                *uinfo = si;
            return si.si_signo;
        }
        if (uts && left == 0)
            return -EAGAIN;
        /* Wait with the awaited signals counted as "deliverable", so their
         * arrival ends the wait; they are then dequeued above. */
        uint64_t old = t->sigmask;
        t->sigmask &= ~want;
        long r = libos_thread_wait(0, NULL, NULL, NULL, uts ? &left : NULL);
        t->sigmask = old;
        if (r == -ETIMEDOUT)
            left = 0;
        if (r == -EINTR && !(libos_signal_pending_set() & want))
            return -EINTR; /* another signal with a handler */
    }
}
