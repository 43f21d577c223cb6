/* Per-thread block of the Linux PAL, at the GS base of every thread. */
#ifndef SABOT_PAL_LINUX_TCB_H
#define SABOT_PAL_LINUX_TCB_H

#include "pal_linux.h"

#define PAL_ALTSTACK_SIZE (256 * 1024)

struct pal_linux_tcb {
    struct pal_tcb_abi abi;         /* must be first: self, libos slot */
    void *altstack;                 /* host signal stack: the libos runs here */
    uint64_t fs_base;               /* last FS base set through the PAL */
    struct pal_thread_info *thread; /* NULL for the boot thread */
    /* Syscall rewrite (rewrite.c; rewrite.S uses the offsets, asserted). */
    uint32_t rw_busy;           /* a rewritten site's call is in the PAL/libos */
    uint32_t rw_masked;         /* async host signals blocked meanwhile */
    uint64_t rw_saved_mask;     /* the host mask to return to then */
    uint64_t rw_app_sp;         /* app rsp at entry (at the return address) */
    uint64_t rw_rip;            /* where the fast exit resumes the app */
    struct pal_context *rw_ctx; /* the call's context on the altstack */
    uint64_t rw_retry_rip;      /* fetch faults retried at this rip ... */
    uint32_t rw_retries;        /* ... this many times in a row */
    char *rw_top;               /* a rewritten call's context goes below: the XSAVE area is above */
};

int pal_linux_tcb_init(struct pal_linux_tcb **out);
/* Bytes at the altstack's top for a rewritten call's XSAVE image. */
size_t pal_linux_rewrite_xs_reserve(void);

#endif
