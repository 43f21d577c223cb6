/* The Linux PAL's syscall region: the only instructions in the process that
 * may enter the host kernel directly once Syscall User Dispatch is on.
 * Everything in the PAL calls pal_host_syscall(); signal handlers return
 * through __restore_rt. Keep this region tiny. */
    .section .text.hot.pal_syscall, "ax", @progbits
    .p2align 6
    .globl pal_syscall_region_start
    .hidden pal_syscall_region_start
pal_syscall_region_start:

/* long pal_host_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
    .globl pal_host_syscall
    .hidden pal_host_syscall
    .type pal_host_syscall, @function
pal_host_syscall:
    .cfi_startproc
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
    syscall
    ret
    .cfi_endproc
    .size pal_host_syscall, . - pal_host_syscall

/* long pal_host_ppoll(fds, n, timeout, mask): the ppoll of a libos wait,
 * the one place the libos lets async host signals in. Its own syscall
 * instruction tells their handler that an EINTR here ended a wait. */
    .globl pal_host_ppoll
    .hidden pal_host_ppoll
    .type pal_host_ppoll, @function
pal_host_ppoll:
    .cfi_startproc
    mov %rcx, %r10
    mov $8, %r8d          /* the mask's size */
    mov $271, %eax        /* __NR_ppoll */
    syscall
    .globl pal_host_ppoll_end
    .hidden pal_host_ppoll_end
pal_host_ppoll_end:
    ret
    .cfi_endproc
    .size pal_host_ppoll, . - pal_host_ppoll

/* long pal_host_clone(flags, stack, ptid, ctid, tls, start): clone(2) a
 * thread that starts on `stack` by calling start(arg), arg being the word
 * at the top of that stack. The child never returns here. */
    .globl pal_host_clone
    .hidden pal_host_clone
    .type pal_host_clone, @function
pal_host_clone:
    .cfi_startproc
    mov %rcx, %r10
    mov $56, %eax
    syscall
    test %rax, %rax
    jnz 1f
    /* child: r9 (start) survives the syscall */
    .cfi_undefined rip
    xor %ebp, %ebp
    pop %rdi
    call *%r9
    ud2
1:  ret
    .cfi_endproc
    .size pal_host_clone, . - pal_host_clone

/* Restorer for every PAL signal handler (SA_RESTORER): rt_sigreturn. gdb
 * takes a frame for a signal trampoline when its function is named
 * __restore_rt (glibc's) and has exactly these bytes; it then unwinds
 * through the signal frame, so backtraces go on from the libos into the
 * app. Under any other name they stopped at this frame. Local to sabot:
 * the core object keeps no symbol but pal_linux_boot. The nop, never run,
 * keeps the return address minus one (where gdb looks for the caller's
 * unwind rules) out of pal_host_clone's, as glibc does. */
    nop
    .globl __restore_rt
    .hidden __restore_rt
    .type __restore_rt, @function
__restore_rt:
    mov $15, %rax
    syscall
    ud2
    .size __restore_rt, . - __restore_rt

    .globl pal_syscall_region_end
    .hidden pal_syscall_region_end
pal_syscall_region_end:

    .section .note.GNU-stack, "", @progbits
