/* The shim: how app syscalls reach the libos. */
#ifndef SABOT_SHIM_H
#define SABOT_SHIM_H

#include "libos.h"

#define SHIM_NR_SYSCALLS 451

/* Argument formats for tracing, one char per argument:
 *  d int   u unsigned   x hex   p pointer   s path/string in
 *  b buffer in (length in the next argument)  B buffer out (length = result)
 *  F dirfd (AT_FDCWD)   o open flags   m octal mode   P mmap prot   M mmap flags
 *  S signal number */
struct shim_syscall {
    void *fn;          /* long fn(args...) or NULL: -ENOSYS */
    const char *args;  /* trace format */
    bool ret_hex;      /* result is an address */
    bool sets_context; /* handler rewrote the whole register context */
};

extern const struct shim_syscall g_shim_syscalls[SHIM_NR_SYSCALLS];
const char *shim_syscall_name(long nr);

/* PAL_EVENT_SYSCALL handler: serve the syscall in ctx and put its result
 * in ctx->rax. */
void shim_syscall_dispatch(enum pal_event ev, const struct pal_event_info *info,
                           struct pal_context *ctx);

/* Syscall tracing (--trace): on when g_boot->trace is set. */
void shim_trace_syscall(long nr, const uint64_t args[6], long ret);

#endif
