/* Entry of sabot-pal-child: the kernel leaves argc, argv[] and envp[] on
 * the stack; pal_linux_child_main gets a pointer to argc. */
    .text
    .globl _start
    .type _start, @function
_start:
    .cfi_startproc
    .cfi_undefined rip
    xor %ebp, %ebp
    mov %rsp, %rdi
    and $-16, %rsp
    call pal_linux_child_main
    ud2
    .cfi_endproc
    .size _start, . - _start
    .section .note.GNU-stack, "", @progbits
