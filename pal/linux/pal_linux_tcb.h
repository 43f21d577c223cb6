/* Per-thread block of the Linux PAL, at the GS base of every thread. */
#ifndef SABOT_PAL_LINUX_TCB_H
#define SABOT_PAL_LINUX_TCB_H

#include "pal_linux.h"

#define PAL_ALTSTACK_SIZE (256 * 1024)

struct pal_linux_tcb {
    struct pal_tcb_abi abi; /* must be first: self, libos slot */
    void *altstack;         /* host signal stack: the libos runs here */
    uint64_t fs_base;       /* last FS base set through the PAL */
    struct pal_thread_info *thread; /* NULL for the boot thread */
};

int pal_linux_tcb_init(struct pal_linux_tcb **out);

#endif
