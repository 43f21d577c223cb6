/* void libos_context_jump(const struct pal_context *c, const void *fxsave)
 * Start running c on the current host thread: used for a new thread's
 * first entry into the app. fxsave (512 bytes, 16-aligned) or NULL gives
 * the x87/SSE state. Clobbers the two words below c->rsp (a fresh stack). */
    .text
    .globl libos_context_jump
    .hidden libos_context_jump
    .type libos_context_jump, @function
libos_context_jump:
    test %rsi, %rsi
    jz 1f
    fxrstor64 (%rsi)
1:  mov 56(%rdi), %rsp
    push 128(%rdi)
    push 136(%rdi)
    mov 0(%rdi), %rax
    mov 8(%rdi), %rbx
    mov 16(%rdi), %rcx
    mov 24(%rdi), %rdx
    mov 32(%rdi), %rsi
    mov 48(%rdi), %rbp
    mov 64(%rdi), %r8
    mov 72(%rdi), %r9
    mov 80(%rdi), %r10
    mov 88(%rdi), %r11
    mov 96(%rdi), %r12
    mov 104(%rdi), %r13
    mov 112(%rdi), %r14
    mov 120(%rdi), %r15
    mov 40(%rdi), %rdi
    popfq
    ret
    .size libos_context_jump, . - libos_context_jump
    .section .note.GNU-stack, "", @progbits
