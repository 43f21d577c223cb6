/* Syscall dispatch: one entry for every PAL (SIGSYS on Linux, LSTAR or a
 * rewritten call site elsewhere). */
#include "libos_syscalls.h"
#include "shim.h"

typedef long (*syscall_fn)(long, long, long, long, long, long);

/* One bit per syscall number: already logged as unimplemented. */
static uint64_t g_enosys_logged[(SHIM_NR_SYSCALLS + 63) / 64];

static long enosys(long nr) {
    uint64_t bit = 1ULL << (nr & 63);
    uint64_t *word = &g_enosys_logged[(unsigned long)nr < SHIM_NR_SYSCALLS ? nr / 64 : 0];
    if ((unsigned long)nr >= SHIM_NR_SYSCALLS ||
        !(__atomic_fetch_or(word, bit, __ATOMIC_RELAXED) & bit))
        /* rseq is an optional optimisation glibc probes at every start;
         * its absence is not news. */
        libos_log(nr == 334 ? LOG_INFO : LOG_WARN,
                  "unimplemented syscall %s (%ld): returning ENOSYS", shim_syscall_name(nr), nr);
    return -ENOSYS;
}

LIBOS_FORK_TEXT void shim_syscall_dispatch(enum pal_event ev, const struct pal_event_info *info,
                                           struct pal_context *ctx) {
    struct libos_thread *t = libos_current_thread();
    struct pal_context *saved = t->ctx;
    t->ctx = ctx;
    long nr = (long)ctx->rax;
    uint64_t a[6] = {ctx->rdi, ctx->rsi, ctx->rdx, ctx->r10, ctx->r8, ctx->r9};
    const struct shim_syscall *s =
        (unsigned long)nr < SHIM_NR_SYSCALLS ? &g_shim_syscalls[nr] : NULL;
    long ret;
    /* exit and exit_group do not come back: trace them first. */
    if (unlikely(g_boot->trace) && (nr == 60 || nr == 231))
        shim_trace_syscall(nr, a, 0);
    if (!s || !s->fn)
        ret = enosys(nr);
    else
        ret = ((syscall_fn)s->fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
    if (unlikely(g_boot->trace) && nr != 60 && nr != 231)
        shim_trace_syscall(nr, a, ret);
    if (!s || !s->sets_context)
        ctx->rax = (uint64_t)ret;
    libos_signal_deliver_pending(ctx, nr);
    t->ctx = saved;
}
