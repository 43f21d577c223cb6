/* Lazy syscall rewrite (zpoline-style) of the Linux PAL: constants shared by
 * rewrite.c and rewrite.S. See rewrite.c for the design. */
#ifndef SABOT_PAL_LINUX_REWRITE_H
#define SABOT_PAL_LINUX_REWRITE_H

/* struct pal_linux_tcb offsets (asserted in rewrite.c). */
#define TCB_ALTSTACK 16
#define TCB_RW_BUSY 40
#define TCB_RW_MASKED 44
#define TCB_RW_APP_SP 56
#define TCB_RW_RIP 64
#define TCB_RW_TOP 96

/* struct pal_context offsets (asserted in rewrite.c). */
#define CTX_RAX 0
#define CTX_RBX 8
#define CTX_RCX 16
#define CTX_RDX 24
#define CTX_RSI 32
#define CTX_RDI 40
#define CTX_RBP 48
#define CTX_RSP 56
#define CTX_R8 64
#define CTX_R9 72
#define CTX_R10 80
#define CTX_R11 88
#define CTX_R12 96
#define CTX_R13 104
#define CTX_R14 112
#define CTX_R15 120
#define CTX_RIP 128
#define CTX_RFLAGS 136
#define CTX_FPREGS 144

/* The XSAVE area of a rewritten call: the top of the thread's altstack,
 * just its size (pal_linux_rewrite_xs_reserve), so the context and the
 * first frames share its page: each stack page a call touches is one more
 * to copy after a fork. The user components without AMX tiles (off: see
 * xsave_layout) take at most 2.7 KiB. */
#define RW_XS_RESERVE 3072
#define RW_ALTSTACK_SIZE (256 * 1024) /* PAL_ALTSTACK_SIZE */
/* Page 0: a nop for every syscall number below RW_SLED, then a jump. */
#define RW_SLED 512

#endif
