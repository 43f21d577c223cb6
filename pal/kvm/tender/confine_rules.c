/* The KVM tender's seccomp allowlist: the host syscalls that serving the
 * guest needs (the Linux PAL's stream and socket code, the vCPU threads,
 * KVM ioctls on the VM's own fds); anything else kills the tender.
 * Compiled at build time by runtime/seccomp_gen.c (libseccomp) into
 * tender_seccomp.c, which confine.c installs. */
#include <linux/kvm.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "seccomp_gen.h"

static const int s_plain[] = {
    /* host I/O of the guest's streams (pal/linux/pal_streams.c, pal_net.c) */
    SABOT_SECCOMP_STREAM_CALLS,
    SCMP_SYS(openat2),
    SCMP_SYS(fstatfs),
    SCMP_SYS(memfd_create),
    SCMP_SYS(pipe2),
    SCMP_SYS(eventfd2),
    SCMP_SYS(ppoll),
    /* the tender's own memory and threads (glibc malloc, pthread_create) */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(futex),
    SCMP_SYS(clone3),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(rt_sigtimedwait), /* host signals for the guest (vm.c) */
    SCMP_SYS(tgkill),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(sched_yield),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(getrandom),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
};

/* ioctl requests: the vCPU and VM calls the tender makes after set-up,
 * and the terminal queries of console streams. */
static const unsigned long s_ioctls[] = {
    KVM_RUN,
    KVM_GET_REGS,
    KVM_SET_REGS,
    KVM_GET_SREGS,
    KVM_SET_SREGS,
    KVM_SET_MSRS,
    KVM_SET_XCRS,
    KVM_SET_CPUID2,
    KVM_CREATE_VCPU,
    KVM_GET_VCPU_MMAP_SIZE,
    KVM_GET_SUPPORTED_CPUID,
    KVM_SET_TSC_KHZ,
    /* shared memory slots; fork: the child's new VM */
    KVM_SET_USER_MEMORY_REGION,
    KVM_CREATE_VM,
    KVM_GET_XSAVE,
    KVM_SET_XSAVE,
    KVM_GET_XCRS,
    /* the gdbstub (--gdb) */
    KVM_GET_FPU,
    0x5401 /* TCGETS */,
    0x5402 /* TCSETS */,
    0x5403 /* TCSETSW */,
    0x5404 /* TCSETSF */,
    0x5413 /* TIOCGWINSZ */,
    0x541b /* FIONREAD */,
};

/* fcntl commands the stream code uses. */
static const unsigned s_fcntls[] = {1, 2, 3, 4, 1030 /* F_DUPFD_CLOEXEC */, 1034 /* F_GET_SEALS */};

/* clone without clone3 (older glibc): threads only. */
#define CLONE_THREAD_FLAGS 0x3d0f00ULL

int kvm_tender_seccomp_rules(scmp_filter_ctx ctx) {
    int r = 0;
    for (size_t i = 0; !r && i < sizeof(s_plain) / sizeof(s_plain[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s_plain[i], 0);
    for (size_t i = 0; !r && i < sizeof(s_ioctls) / sizeof(s_ioctls[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                             SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)(uint32_t)s_ioctls[i]));
    for (size_t i = 0; !r && i < sizeof(s_fcntls) / sizeof(s_fcntls[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                             SCMP_A1(SCMP_CMP_EQ, s_fcntls[i]));
    if (!r)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD_FLAGS, CLONE_THREAD_FLAGS));
    /* fork (glibc: CHILD_SETTID | CHILD_CLEARTID | SIGCHLD) */
    if (!r)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_EQ, 0x01200011ULL));
    /* sockets of the families the PAL offers */
    for (int fam = 1; !r && fam <= 10; fam++)
        if (fam == 1 || fam == 2 || fam == 10)
            r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                 SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fam));
    if (!r)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_EQ, 1));
    return r;
}
