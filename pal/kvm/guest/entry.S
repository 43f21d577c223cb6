/* KVM guest entry paths.
 *
 * The vCPU starts at kvm_start at CPL3 (the tender prepared long mode).
 * CPL0 code is only the small stubs below: kvm_pvm emulates supervisor
 * code (~400 ns per instruction), so each stub copies what the CPU pushed
 * into a fixed area and returns to CPL3 at once, where the PAL builds a
 * struct pal_context and calls the libos. The same CPL3 code restores the
 * (possibly changed) context without going back to CPL0.
 *
 * Per-thread block at the GS base (struct kvm_tcb in pal_kvm.h):
 *   0 self, 8 libos slot, 16 PAL stack top, 24 PAL stack base,
 *   32 resume rip, 40 resume rsp, 48 scratch, 56 xsave size */
#define TCB_STACK_TOP 16
#define TCB_STACK_BASE 24
#define TCB_RESUME_RIP 32
#define TCB_RESUME_RSP 40
#define TCB_SCRATCH 48
#define TCB_XSAVE_SIZE 56
#define TCB_EXC_VEC 64
#define TCB_EXC_ERR 72
#define TCB_EXC_RIP 80
#define TCB_EXC_RFLAGS 88
#define TCB_EXC_CR2 96
#define TCB_SYS_RIP 104

#define CTX_RSP 56
#define CTX_RIP 128
#define CTX_RFLAGS 136
#define CTX_FPREGS 144
#define CTX_SIZE 152

#define SEL_UCODE 0x23
#define SEL_UDATA 0x1b

/* CPL0 state is per vCPU: its TSS (kvm_tss_area + slot * 128, RSP0 and
 * IST1 = kvm_cpl0_stack_top - slot * 1 KiB) and, for what the stubs
 * record, the thread's TCB at the GS base (no swapgs: GS is the PAL's). */
    .section .bss
    .balign 4096
    .globl kvm_tss_area
kvm_tss_area:
    .skip 128 * 256
    .balign 4096
    .skip 1024 * 256
    .globl kvm_cpl0_stack_top
kvm_cpl0_stack_top:
    .balign 4096
boot_stack:
    .skip 262144
boot_stack_top:

    .text
/* ------------------------------------------------------------ boot */
    .globl kvm_start
kvm_start:
    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    call kvm_guest_main /* rdi: struct kvm_boot *, from the tender */
    ud2

/* A new thread's vCPU: rdi = its TCB, rsp = its PAL stack (the tender). */
    .globl kvm_thread_entry
kvm_thread_entry:
    wrgsbase %rdi
    xor %ebp, %ebp
    call kvm_thread_main
    ud2

/* ------------------------------------------------------------ CPL0 */
.macro STUB_NOERR v
    .balign 16
exc_stub_\v:
    pushq $0
    pushq $\v
    jmp exc_cpl0
.endm
.macro STUB_ERR v
    .balign 16
exc_stub_\v:
    pushq $\v
    jmp exc_cpl0
.endm

STUB_NOERR 0
STUB_NOERR 1
STUB_NOERR 2
STUB_NOERR 3
STUB_NOERR 4
STUB_NOERR 5
/* #UD at kvm_flush_ud2 is the PAL asking for a TLB flush (CPL0 only;
 * kvm_pvm gives guest CPL3 no `int N`, and `syscall` does not reach real
 * CPL0 there). */
    .balign 16
exc_stub_6:
    cmpq $kvm_flush_ud2, (%rsp)
    jne 1f
    push %rax
    mov %cr3, %rax
    mov %rax, %cr3
    pop %rax
    addq $2, (%rsp)
    iretq
1:  pushq $0
    pushq $6
    jmp exc_cpl0
STUB_NOERR 7
STUB_ERR 8
STUB_NOERR 9
STUB_ERR 10
STUB_ERR 11
STUB_ERR 12
STUB_ERR 13
STUB_ERR 14
STUB_NOERR 15
STUB_NOERR 16
STUB_ERR 17
STUB_NOERR 18
STUB_NOERR 19
STUB_NOERR 20
STUB_ERR 21

/* Stack: vec, err, rip, cs, rflags, rsp, ss. A fault at CPL0 is a bug
 * in these stubs: stop the VM (the tender dumps the registers). */
exc_cpl0:
    testb $3, 24(%rsp)
    jz cpl0_fault
    push %rax
    mov %cr2, %rax
    mov %rax, %gs:TCB_EXC_CR2
    mov 8(%rsp), %rax
    mov %rax, %gs:TCB_EXC_VEC
    mov 16(%rsp), %rax
    mov %rax, %gs:TCB_EXC_ERR
    mov 24(%rsp), %rax
    mov %rax, %gs:TCB_EXC_RIP
    mov 40(%rsp), %rax
    mov %rax, %gs:TCB_EXC_RFLAGS
    lea exc_user(%rip), %rax
    mov %rax, 24(%rsp)
    andq $~0x100, 40(%rsp) /* no single step into the PAL */
    pop %rax
    add $16, %rsp
    iretq
cpl0_fault:
    hlt
    jmp cpl0_fault

/* syscall from CPL3: rcx = app rip, r11 = app rflags, rsp = app stack.
 * Three emulated instructions, then sysret to syscall_user (rflags from
 * r11, so the app's flags come back unchanged). */
    .balign 16
lstar_stub:
    mov %rcx, %gs:TCB_SYS_RIP
    mov %cs, %ecx
    test $3, %cl
    jnz syscall_user /* kvm_pvm: the LSTAR code runs at CPL3 already */
    lea syscall_user(%rip), %rcx
    sysretq

    .section .rodata
    .balign 8
    .globl kvm_idt_stubs
kvm_idt_stubs: /* 0-21 exceptions, 32 LSTAR */
    .quad exc_stub_0, exc_stub_1, exc_stub_2, exc_stub_3, exc_stub_4, exc_stub_5
    .quad exc_stub_6, exc_stub_7, exc_stub_8, exc_stub_9, exc_stub_10, exc_stub_11
    .quad exc_stub_12, exc_stub_13, exc_stub_14, exc_stub_15, exc_stub_16, exc_stub_17
    .quad exc_stub_18, exc_stub_19, exc_stub_20, exc_stub_21
    .quad 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    .quad lstar_stub, 0
    .text

/* ------------------------------------------------------------ CPL3 */
/* Switch to the PAL stack (or below the current frame when the PAL itself
 * was interrupted), leaving the interrupted rsp in TCB_RESUME_RSP. rax is
 * saved in TCB_SCRATCH and is free afterwards. */
.macro TO_PAL_STACK
    mov %rax, %gs:TCB_SCRATCH
    mov %rsp, %gs:TCB_RESUME_RSP
    cmp %gs:TCB_STACK_BASE, %rsp
    jb 1f
    cmp %gs:TCB_STACK_TOP, %rsp
    jae 1f
    lea -128(%rsp), %rax
    and $-16, %rax
    jmp 2f
1:  mov %gs:TCB_STACK_TOP, %rax
2:  mov %rax, %rsp
.endm

/* Push a struct pal_context (rflags and rip already pushed, fpregs slot
 * below them) with rax from TCB_SCRATCH and rsp from TCB_RESUME_RSP. */
.macro PUSH_GPRS
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %gs:TCB_RESUME_RSP
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %gs:TCB_SCRATCH
.endm

/* XSAVE the FPU state below the context and call fn(ctx); then resume. */
.macro SAVE_FPU_AND_CALL fn
    mov %rsp, %r12
    mov %gs:TCB_XSAVE_SIZE, %rax
    add $4, %rax /* room for the software trailer magic */
    sub %rax, %rsp
    and $-64, %rsp
    xor %eax, %eax
    mov %rax, 512(%rsp) /* XSAVE header must start zeroed */
    mov %rax, 520(%rsp)
    mov %rax, 528(%rsp)
    mov %rax, 536(%rsp)
    mov %rax, 544(%rsp)
    mov %rax, 552(%rsp)
    mov %rax, 560(%rsp)
    mov %rax, 568(%rsp)
    mov $-1, %eax
    mov $-1, %edx
    xsave64 (%rsp)
    mov %rsp, CTX_FPREGS(%r12)
    cld
    mov %r12, %rdi
    call \fn
    mov %r12, %rdi
    jmp kvm_context_resume
.endm

/* A syscall: TCB_SYS_RIP = the app's rip after it, r11 = its rflags. */
.macro SYSCALL_USER fn
    TO_PAL_STACK
    sub $8, %rsp               /* fpregs */
    push %r11                  /* rflags */
    push %gs:TCB_SYS_RIP     /* rip */
    mov %gs:TCB_SYS_RIP, %rcx /* Linux: rcx = rip, r11 = rflags */
    PUSH_GPRS
    SAVE_FPU_AND_CALL \fn
.endm

syscall_user: /* kvm_rw_lstar rewrites the site, then serves the call */
    SYSCALL_USER kvm_rw_lstar

/* A rewritten site (`call *%rax`) slid through page 0 to here: rsp points
 * at the return address (after the site), rax is the number. Pop it and
 * take the flags into r11 (pushfq reuses the slot the call wrote), then
 * the same path as the LSTAR entry, still at CPL3, without any exit. */
    .balign 4096 /* >= image + 4 KiB: page 0's rel32 jump reaches it */
    .globl kvm_rw_entry
kvm_rw_entry:
    pop %gs:TCB_SYS_RIP
    pushfq
    pop %r11
    SYSCALL_USER kvm_rw_dispatch

    .globl kvm_exc_user
kvm_exc_user:
exc_user:
    TO_PAL_STACK
    sub $8, %rsp
    push %gs:TCB_EXC_RFLAGS
    push %gs:TCB_EXC_RIP
    PUSH_GPRS
    /* the exception's details, before anything can fault again */
    sub $32, %rsp
    mov %gs:TCB_EXC_VEC, %rax
    mov %rax, 0(%rsp)
    mov %gs:TCB_EXC_ERR, %rax
    mov %rax, 8(%rsp)
    mov %gs:TCB_EXC_CR2, %rax
    mov %rax, 16(%rsp)
    mov %rsp, %rsi             /* struct kvm_exc_info * */
    lea 32(%rsp), %r12         /* ctx */
    mov %r12, %rsp
    sub $32, %rsp              /* keep the info below the XSAVE area */
    mov %rsi, %r13
    mov %rsp, %rax
    mov %gs:TCB_XSAVE_SIZE, %rcx
    add $4, %rcx
    sub %rcx, %rax
    and $-64, %rax
    mov %rax, %rsp
    xor %ecx, %ecx
    mov %rcx, 512(%rsp)
    mov %rcx, 520(%rsp)
    mov %rcx, 528(%rsp)
    mov %rcx, 536(%rsp)
    mov %rcx, 544(%rsp)
    mov %rcx, 552(%rsp)
    mov %rcx, 560(%rsp)
    mov %rcx, 568(%rsp)
    mov $-1, %eax
    mov $-1, %edx
    xsave64 (%rsp)
    mov %rsp, CTX_FPREGS(%r12)
    cld
    mov %r12, %rdi
    mov %r13, %rsi
    call kvm_rw_exception /* page 0 cases, then kvm_exception_dispatch */
    mov %r12, %rdi
    jmp kvm_context_resume

/* void kvm_context_resume(struct pal_context *ctx): load ctx and jump to
 * its rip at CPL3. rip and rsp go through the TCB so that every general
 * register can be restored first; flags are restored before the movs,
 * which do not change them. */
    .globl kvm_context_resume
kvm_context_resume:
    mov CTX_FPREGS(%rdi), %rsi
    test %rsi, %rsi
    jz 1f
    mov $-1, %eax
    mov $-1, %edx
    xrstor64 (%rsi)
1:  mov CTX_RIP(%rdi), %rax
    mov %rax, %gs:TCB_RESUME_RIP
    mov CTX_RSP(%rdi), %rax
    mov %rax, %gs:TCB_RESUME_RSP
    pushq CTX_RFLAGS(%rdi)
    popfq
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
    mov %gs:TCB_RESUME_RSP, %rsp
    jmp *%gs:TCB_RESUME_RIP

/* Hypercall: the request is already in the hypercall page. A write to
 * the doorbell (guest physical KVM_GPA_DOORBELL(mem_size), outside guest
 * RAM) exits to the tender as MMIO straight from CPL3. */
    .globl kvm_hc_kick
kvm_hc_kick:
    mov g_kvm_doorbell(%rip), %rax
    movl $0, (%rax)
    ret

    .globl kvm_tlb_flush
kvm_tlb_flush:
kvm_flush_ud2:
    ud2
    ret

    .section .note.GNU-stack, "", @progbits
