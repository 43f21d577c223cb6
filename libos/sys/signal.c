/* Signals. This issue records dispositions and masks and applies default
 * actions to faults and host interrupts; delivery to app handlers arrives
 * with the threads/signals issue. */
#include "libos_mm.h"
#include "libos_syscalls.h"

#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

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
    }
    libos_unlock(&g_process.lock);
    if (oldact)
        *oldact = old;
    return 0;
}

long libos_sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *oldset, size_t sigsetsize) {
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
        t->sigmask = nset & ~UNBLOCKABLE;
    return 0;
}

struct linux_stack_t {
    uint64_t ss_sp;
    int ss_flags;
    int pad;
    uint64_t ss_size;
};
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define LINUX_MINSIGSTKSZ 2048

long libos_sys_sigaltstack(const void *ss_ptr, void *old_ptr) {
    struct libos_thread *t = libos_current_thread();
    const struct linux_stack_t *ss = ss_ptr;
    struct linux_stack_t *old = old_ptr;
    if (old) {
        if (!libos_user_range_ok(old, sizeof(*old), true))
            return -EFAULT;
        old->ss_sp = t->altstack_sp;
        old->ss_size = t->altstack_size;
        old->ss_flags = t->altstack_flags ? t->altstack_flags : (t->altstack_size ? 0 : SS_DISABLE);
        old->pad = 0;
    }
    if (ss) {
        if (!libos_user_range_ok(ss, sizeof(*ss), false))
            return -EFAULT;
        unsigned flags = (unsigned)ss->ss_flags & ~SS_AUTODISARM;
        if (flags != 0 && flags != SS_DISABLE && flags != SS_ONSTACK)
            return -EINVAL;
        if (flags == SS_DISABLE) {
            t->altstack_sp = t->altstack_size = 0;
            t->altstack_flags = SS_DISABLE;
            return 0;
        }
        if (ss->ss_size < LINUX_MINSIGSTKSZ)
            return -ENOMEM;
        t->altstack_sp = ss->ss_sp;
        t->altstack_size = ss->ss_size;
        t->altstack_flags = 0;
    }
    return 0;
}

static const char *signal_name(int sig) {
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGSEGV] = "SIGSEGV", [SIGTERM] = "SIGTERM",
    };
    return sig > 0 && sig < (int)ARRAY_SIZE(names) && names[sig] ? names[sig] : "signal";
}

/* Default action for a fatal signal: the process ends as if killed. */
static __attribute__((noreturn)) void terminate_by_signal(int sig, uint64_t addr, uint64_t rip) {
    log_info("program terminated by %s (address %#lx, rip %#lx)", signal_name(sig),
             (unsigned long)addr, (unsigned long)rip);
    libos_exit_process(128 + sig);
}

static void fault_event(enum pal_event ev, const struct pal_event_info *info,
                        struct pal_context *ctx) {
    struct libos_vma v;
    if (!libos_vma_lookup(ctx->rip, &v))
        libos_panic("fault in sabot itself (event %d, address %#lx, rip %#lx)", ev,
                    (unsigned long)info->addr, (unsigned long)ctx->rip);
    int sig = ev == PAL_EVENT_ILLEGAL      ? SIGILL
            : ev == PAL_EVENT_ARITHMETIC  ? SIGFPE
            : ev == PAL_EVENT_BREAKPOINT  ? SIGTRAP
            : info->host_code == PAL_FAULT_BUS ? SIGBUS
                                               : SIGSEGV;
    terminate_by_signal(sig, info->addr, ctx->rip);
}

static void interrupt_event(enum pal_event ev, const struct pal_event_info *info,
                            struct pal_context *ctx) {
    int sig = info->source == PAL_INT_INTERRUPT ? SIGINT
            : info->source == PAL_INT_HANGUP    ? SIGHUP
                                                : SIGTERM;
    uint64_t handler = g_process.sigactions[sig - 1].handler;
    if (handler == SIG_IGN)
        return;
    terminate_by_signal(sig, 0, ctx->rip);
}

void libos_signal_init(void) {
    pal_set_event_handler(PAL_EVENT_MEMFAULT, fault_event);
    pal_set_event_handler(PAL_EVENT_ILLEGAL, fault_event);
    pal_set_event_handler(PAL_EVENT_ARITHMETIC, fault_event);
    pal_set_event_handler(PAL_EVENT_BREAKPOINT, fault_event);
    pal_set_event_handler(PAL_EVENT_INTERRUPT, interrupt_event);
    pal_set_event_handler(PAL_EVENT_QUIT, interrupt_event);
}

/* Default action of sig: true if it ends the process. */
static bool default_terminates(int sig) {
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
        return false;
    default:
        return true;
    }
}

/* A signal sent by the process to itself. Handlers run with the
 * threads/signals issue; until then only default and ignore actions. */
static long send_self(int sig) {
    if (sig == 0)
        return 0;
    if (sig < 1 || sig > LINUX_NSIG)
        return -EINVAL;
    uint64_t handler = g_process.sigactions[sig - 1].handler;
    bool blocked = libos_current_thread()->sigmask & SIGBIT(sig);
    if (sig == SIGKILL || (handler == SIG_DFL && !blocked)) {
        if (default_terminates(sig) && sig != SIGSTOP && sig != SIGTSTP && sig != SIGTTIN &&
            sig != SIGTTOU)
            terminate_by_signal(sig, 0, libos_current_thread()->ctx->rip);
        return 0;
    }
    if (handler == SIG_IGN)
        return 0;
    log_warn("delivering %s to a handler or while blocked is not implemented yet",
             signal_name(sig));
    return -ENOSYS;
}

long libos_sys_kill(int pid, int sig) {
    if (pid != 0 && pid != -1 && (uint32_t)pid != g_process.pid &&
        (uint32_t)-pid != g_process.pgid)
        return -ESRCH;
    return send_self(sig);
}

long libos_sys_tkill(int tid, int sig) {
    if ((uint32_t)tid != libos_current_thread()->tid)
        return tid <= 0 ? -EINVAL : -ESRCH;
    return send_self(sig);
}

long libos_sys_tgkill(int tgid, int tid, int sig) {
    if (tgid <= 0 || tid <= 0)
        return -EINVAL;
    if ((uint32_t)tgid != g_process.pid)
        return -ESRCH;
    return libos_sys_tkill(tid, sig);
}
