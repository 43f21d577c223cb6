/* Rule sets that runtime/seccomp_gen.c compiles into BPF at build time. */
#ifndef SABOT_SECCOMP_GEN_H
#define SABOT_SECCOMP_GEN_H

#include <seccomp.h>
#include <stdbool.h>

/* Host calls of the file and socket code that both the Linux PAL and the
 * KVM tender run (pal/linux/pal_streams.c, pal_net.c), with any arguments. */
#define SABOT_SECCOMP_STREAM_CALLS                                                                 \
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(fstat),           \
        SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(pread64), SCMP_SYS(pwrite64),              \
        SCMP_SYS(getdents64), SCMP_SYS(mkdirat), SCMP_SYS(unlinkat), SCMP_SYS(renameat),           \
        SCMP_SYS(linkat), SCMP_SYS(symlinkat), SCMP_SYS(readlinkat), SCMP_SYS(fchmod),             \
        SCMP_SYS(fchown), SCMP_SYS(fchownat) /* PAL_OPTION_LINK handles */, SCMP_SYS(fchmodat),    \
        SCMP_SYS(utimensat), SCMP_SYS(ftruncate), SCMP_SYS(fsync), SCMP_SYS(statfs),               \
        SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(listen), SCMP_SYS(accept4),                    \
        SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),  \
        SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(shutdown)

/* The Linux PAL's allowlist (runtime/seccomp_rules.c); exec_child adds
 * execve (of sabot-pal-child: Landlock allows executing nothing else). */
int sabot_seccomp_pal_rules(scmp_filter_ctx ctx, bool exec_child);
/* The KVM tender's allowlist (pal/kvm/tender/confine_rules.c). */
int kvm_tender_seccomp_rules(scmp_filter_ctx ctx);

#endif
