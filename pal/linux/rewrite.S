/* Entry of rewritten syscall sites. A site's `syscall` became `call *%rax`;
 * rax is the syscall number, so the call lands in the nop sled of page 0,
 * slides to its end and jumps here with the app's registers untouched and
 * rsp at the pushed return address. This stub saves the app's state as a
 * struct pal_context on the thread's altstack (the red zone below the return
 * address is never touched: the altstack is another stack), calls
 * pal_rewrite_dispatch, and returns to the app: directly when only
 * registers changed (the exit window below, which the PAL's async signal
 * handler knows how to finish), else through host rt_sigreturn. */
#include "rewrite.h"

/* The unwind rules below encode these offsets by hand (SLEB128). */
#if CTX_RSP != 56 || CTX_RIP != 128 || CTX_RBX != 8 || CTX_RBP != 48 || CTX_R12 != 96 || \
    CTX_R13 != 104 || CTX_R14 != 112 || CTX_R15 != 120
#error "struct pal_context moved: update pal_rewrite_entry's .cfi_escape bytes"
#endif

    .text
    .p2align 6
    .globl pal_rewrite_entry
    .hidden pal_rewrite_entry
    .type pal_rewrite_entry, @function
pal_rewrite_entry:
    .cfi_startproc /* at entry the app's return address is at rsp */
    .cfi_signal_frame /* it switches stacks: debuggers treat it like a signal frame */
    movl $1, %gs:TCB_RW_BUSY
    mov %rsp, %gs:TCB_RW_APP_SP
    mov %gs:TCB_RW_TOP, %rsp /* mov and push keep the app's flags for pushfq */
    push %rsp               /* fpregs: the XSAVE area above */
    pushfq                  /* rflags */
    sub $8, %rsp            /* rip, below */
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    sub $8, %rsp            /* rsp, below */
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %rax
    mov %gs:TCB_RW_APP_SP, %rax
    mov (%rax), %rcx
    mov %rcx, CTX_RIP(%rsp) /* the return address: after the site */
    lea 8(%rax), %rcx
    mov %rcx, CTX_RSP(%rsp) /* the app's rsp before the call */
    /* The libos is general-registers only, so the FPU/SSE/AVX state stays
     * live in the registers; saved for signal frames and execve. */
    mov g_pal_rw_xmask(%rip), %eax
    mov g_pal_rw_xmask+4(%rip), %edx
    mov CTX_FPREGS(%rsp), %rcx
    xsaveopt64 (%rcx)
    mov %rsp, %rdi
    sub $8, %rsp            /* the ctx is 8 mod 16 */
    /* For debuggers, around the call: the app's frame is in the ctx at
     * rsp + 8 (CFA = its rsp; rip, rbx, rbp, r12-r15 saved there), so a
     * backtrace from the libos goes on into the app. DWARF by hand:
     * def_cfa_expression(*(rsp + 8 + CTX_RSP)), then expression(reg) =
     * rsp + 8 + CTX_reg for rip (16), rbx (3), rbp (6), r12-r15. */
    .cfi_remember_state
    .cfi_escape 0x0f, 0x04, 0x77, 0xc0, 0x00, 0x06 /* CTX_RSP 56 */
    .cfi_escape 0x10, 0x10, 0x03, 0x77, 0x88, 0x01 /* CTX_RIP 128 */
    .cfi_escape 0x10, 0x03, 0x02, 0x77, 0x10       /* CTX_RBX 8 */
    .cfi_escape 0x10, 0x06, 0x02, 0x77, 0x38       /* CTX_RBP 48 */
    .cfi_escape 0x10, 0x0c, 0x03, 0x77, 0xe8, 0x00 /* CTX_R12 96 */
    .cfi_escape 0x10, 0x0d, 0x03, 0x77, 0xf0, 0x00 /* CTX_R13 104 */
    .cfi_escape 0x10, 0x0e, 0x03, 0x77, 0xf8, 0x00 /* CTX_R14 112 */
    .cfi_escape 0x10, 0x0f, 0x03, 0x77, 0x80, 0x01 /* CTX_R15 120 */
    call pal_rewrite_dispatch
    add $8, %rsp
    .cfi_restore_state
    /* An async host signal arrived in the libos: its mask and the app's
     * context need the full restore. */
    cmpl $0, %gs:TCB_RW_MASKED
    jne 1f
    /* Exit window: from here the context is final; a host signal arriving
     * in it finishes the return itself (rewrite.c). */
    .globl pal_rewrite_exit_window
    .hidden pal_rewrite_exit_window
pal_rewrite_exit_window:
    mov CTX_RBX(%rsp), %rbx
    mov CTX_RCX(%rsp), %rcx
    mov CTX_RDX(%rsp), %rdx
    mov CTX_RSI(%rsp), %rsi
    mov CTX_RDI(%rsp), %rdi
    mov CTX_RBP(%rsp), %rbp
    mov CTX_R8(%rsp), %r8
    mov CTX_R9(%rsp), %r9
    mov CTX_R10(%rsp), %r10
    mov CTX_R11(%rsp), %r11
    mov CTX_R12(%rsp), %r12
    mov CTX_R13(%rsp), %r13
    mov CTX_R14(%rsp), %r14
    mov CTX_R15(%rsp), %r15
    mov CTX_RAX(%rsp), %rax
    pushq CTX_RFLAGS(%rsp)
    popfq
    movl $0, %gs:TCB_RW_BUSY
    mov CTX_RSP(%rsp), %rsp
    .globl pal_rewrite_exit_jmp
    .hidden pal_rewrite_exit_jmp
pal_rewrite_exit_jmp:
    jmp *%gs:TCB_RW_RIP
    .globl pal_rewrite_exit_end
    .hidden pal_rewrite_exit_end
pal_rewrite_exit_end:
1:  mov %rsp, %rdi
    sub $8, %rsp
    call pal_rewrite_slow_exit
    ud2
    .cfi_endproc
    .size pal_rewrite_entry, . - pal_rewrite_entry

/* void pal_rewrite_sigreturn(struct host_ucontext *uc): the full restore:
 * host rt_sigreturn (from the PAL's syscall region) of a built frame. */
    .globl pal_rewrite_sigreturn
    .hidden pal_rewrite_sigreturn
    .type pal_rewrite_sigreturn, @function
pal_rewrite_sigreturn:
    mov %rdi, %rsp
    jmp __restore_rt
    .size pal_rewrite_sigreturn, . - pal_rewrite_sigreturn

/* Accesses to app code that may fault; the PAL's fault handler resumes a
 * fault at a probe instruction at its fixup with rax = -1.
 * long pal_rw_load16(const void *addr): the 16-bit word, or -1. */
    .globl pal_rw_load16
    .hidden pal_rw_load16
    .type pal_rw_load16, @function
pal_rw_load16:
    xor %eax, %eax
    .globl pal_rw_probe_load
    .hidden pal_rw_probe_load
pal_rw_probe_load:
    movzwl (%rdi), %eax
    .globl pal_rw_probe_load_fixup
    .hidden pal_rw_probe_load_fixup
pal_rw_probe_load_fixup:
    ret
    .size pal_rw_load16, . - pal_rw_load16

/* long pal_rw_load64(const void *addr, uint64_t *out): 0, or -1. */
    .globl pal_rw_load64
    .hidden pal_rw_load64
    .type pal_rw_load64, @function
pal_rw_load64:
    xor %eax, %eax
    .globl pal_rw_probe_load64
    .hidden pal_rw_probe_load64
pal_rw_probe_load64:
    mov (%rdi), %rcx
    test %rax, %rax
    jnz 1f
    mov %rcx, (%rsi)
    .globl pal_rw_probe_load64_fixup
    .hidden pal_rw_probe_load64_fixup
pal_rw_probe_load64_fixup:
1:  ret
    .size pal_rw_load64, . - pal_rw_load64

/* long pal_rw_cas16(void *addr, uint16_t old, uint16_t new): one atomic
 * 16-bit compare-and-swap; 0 swapped, 1 other contents, -1 fault. */
    .globl pal_rw_cas16
    .hidden pal_rw_cas16
    .type pal_rw_cas16, @function
pal_rw_cas16:
    mov %esi, %eax
    .globl pal_rw_probe_cas
    .hidden pal_rw_probe_cas
pal_rw_probe_cas:
    lock cmpxchgw %dx, (%rdi)
    setne %al
    movzbl %al, %eax
    .globl pal_rw_probe_cas_fixup
    .hidden pal_rw_probe_cas_fixup
pal_rw_probe_cas_fixup:
    ret
    .size pal_rw_cas16, . - pal_rw_cas16

    .section .note.GNU-stack, "", @progbits
