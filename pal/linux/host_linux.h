/* Host kernel ABI for the Linux PAL: kernel UAPI headers (not libc) plus the
 * signal-frame structs the UAPI headers do not describe usably. */
#ifndef SABOT_HOST_LINUX_H
#define SABOT_HOST_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/prctl.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif

#define HOST_SIGHUP 1
#define HOST_SIGINT 2
#define HOST_SIGQUIT 3
#define HOST_SIGILL 4
#define HOST_SIGTRAP 5
#define HOST_SI_KERNEL 0x80
#define HOST_SIGABRT 6
#define HOST_SIGBUS 7
#define HOST_SIGFPE 8
#define HOST_SIGSEGV 11
#define HOST_SIGPIPE 13
#define HOST_SIGTERM 15
#define HOST_SIGSYS 31

#define HOST_SA_SIGINFO 0x4
#define HOST_SA_ONSTACK 0x08000000
#define HOST_SA_RESTORER 0x04000000
#define HOST_SA_RESTART 0x10000000
#define HOST_SA_NODEFER 0x40000000

#define HOST_SIG_BLOCK 0
#define HOST_SIG_UNBLOCK 1
#define HOST_SIG_SETMASK 2

#define HOST_SEGV_MAPERR 1
#define HOST_SEGV_ACCERR 2
#define HOST_FPE_INTDIV 1
#define HOST_SYS_USER_DISPATCH 2

#define HOST_ARCH_SET_GS 0x1001
#define HOST_ARCH_SET_FS 0x1002
#define HOST_ARCH_GET_FS 0x1003
#define HOST_ARCH_GET_GS 0x1004

#define HOST_CLOCK_REALTIME 0
#define HOST_CLOCK_MONOTONIC 1
#define HOST_CLOCK_PROCESS_CPUTIME_ID 2
#define HOST_CLOCK_THREAD_CPUTIME_ID 3

#define HOST_FUTEX_WAIT 0
#define HOST_FUTEX_WAKE 1

#define HOST_AT_FDCWD (-100)

struct host_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

struct host_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

struct host_stack {
    void *ss_sp;
    int ss_flags;
    size_t ss_size;
};

struct host_siginfo {
    int si_signo;
    int si_errno;
    int si_code;
    int _pad0;
    union {
        struct {
            uint64_t addr; /* SIGSEGV, SIGBUS, SIGFPE, SIGILL */
        } fault;
        struct {
            uint64_t call_addr; /* SIGSYS */
            int syscall;
            unsigned int arch;
        } sys;
        struct {
            int pid;
            unsigned int uid;
        } kill;
        char _pad[112];
    };
};

/* x86-64 mcontext: order of the kernel's struct sigcontext. */
struct host_mcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    void *fpstate;
    uint64_t reserved1[8];
};

struct host_ucontext {
    unsigned long uc_flags;
    struct host_ucontext *uc_link;
    struct host_stack uc_stack;
    struct host_mcontext uc_mcontext;
    uint64_t uc_sigmask;
};

struct host_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct host_linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

#endif
