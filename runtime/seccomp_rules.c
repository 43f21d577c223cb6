/* The Linux PAL's seccomp allowlist, compiled at build time by
 * seccomp_gen.c (libseccomp) into seccomp_filters.c: the list below is
 * exactly the host syscalls the PAL issues (grep host_syscall in
 * pal/linux). A PAL change that adds one must add it here, or the process
 * stops with a "not on the PAL's allowlist" message that names the
 * syscall number. */
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seccomp_gen.h"

/* Host syscalls the Linux PAL issues with any arguments. */
static const int s_plain[] = {
    SABOT_SECCOMP_STREAM_CALLS,
    /* Memory: W+X cannot be refused, the app's own JITs ask for it. */
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(futex),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(getrandom),
    SCMP_SYS(sysinfo),
    SCMP_SYS(uname),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getuid),
    SCMP_SYS(getgid),
    /* Signals to other processes stay inside the Landlock domain (scope). */
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(wait4),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_setaffinity),
    SCMP_SYS(eventfd2),
    SCMP_SYS(pipe2),
    SCMP_SYS(ppoll),
    SCMP_SYS(memfd_create),
};

struct arg_rule {
    int nr;
    unsigned arg;
    uint64_t value;
};

/* threads.c: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|PARENT_SETTID|CHILD_CLEARTID */
#define CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x100000 | 0x200000)
#define HOST_SIGCHLD 17 /* fork: a plain copy */

/* Host syscalls allowed only with one of these values of one argument. */
static const struct arg_rule s_args[] = {
    {SCMP_SYS(clone), 0, CLONE_THREAD_FLAGS},
    {SCMP_SYS(clone), 0, HOST_SIGCHLD},
    {SCMP_SYS(prctl), 0, 59 /* PR_SET_SYSCALL_USER_DISPATCH (fork child) */},
    {SCMP_SYS(prctl), 0, 21 /* PR_GET_SECCOMP */},
    {SCMP_SYS(setrlimit), 0, 3 /* RLIMIT_STACK: the checkpoint child's layout */},
    {SCMP_SYS(arch_prctl), 0, 0x1001 /* ARCH_SET_GS */},
    {SCMP_SYS(arch_prctl), 0, 0x1002 /* ARCH_SET_FS */},
    {SCMP_SYS(arch_prctl), 0, 0x1003 /* ARCH_GET_FS */},
    {SCMP_SYS(arch_prctl), 0, 0x1004 /* ARCH_GET_GS */},
    {SCMP_SYS(ioctl), 1, 0x5401 /* TCGETS */},
    {SCMP_SYS(ioctl), 1, 0x5402 /* TCSETS (never TIOCSTI: no typing into the host's terminal) */},
    {SCMP_SYS(ioctl), 1, 0x5403 /* TCSETSW */},
    {SCMP_SYS(ioctl), 1, 0x5404 /* TCSETSF */},
    {SCMP_SYS(ioctl), 1, 0x5413 /* TIOCGWINSZ */},
    {SCMP_SYS(ioctl), 1, 0x541b /* FIONREAD */},
    {SCMP_SYS(fcntl), 1, 1 /* F_GETFD */},
    {SCMP_SYS(fcntl), 1, 2 /* F_SETFD */},
    {SCMP_SYS(fcntl), 1, 3 /* F_GETFL */},
    {SCMP_SYS(fcntl), 1, 4 /* F_SETFL */},
    {SCMP_SYS(fcntl), 1, 1030 /* F_DUPFD_CLOEXEC */},
    {SCMP_SYS(fcntl), 1, 1034 /* F_GET_SEALS */},
    {SCMP_SYS(socket), 0, 1 /* AF_UNIX */},
    {SCMP_SYS(socket), 0, 2 /* AF_INET */},
    {SCMP_SYS(socket), 0, 10 /* AF_INET6 */},
    {SCMP_SYS(socketpair), 0, 1 /* AF_UNIX */},
    /* A new image (sabot-pal-child) narrows the filters: only more limits. */
    {SCMP_SYS(seccomp), 0, 1 /* SECCOMP_SET_MODE_FILTER */},
};

int sabot_seccomp_pal_rules(scmp_filter_ctx ctx, bool exec_child) {
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
    for (size_t i = 0; !r && i < sizeof(s_plain) / sizeof(s_plain[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s_plain[i], 0);
    for (size_t i = 0; !r && i < sizeof(s_args) / sizeof(s_args[0]); i++)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, s_args[i].nr, 1,
                             SCMP_CMP(s_args[i].arg, SCMP_CMP_EQ, s_args[i].value));
    /* execve of sabot-pal-child only: Landlock allows executing no other
     * file (LANDLOCK_ACCESS_FS_EXECUTE is handled, granted on it alone). */
    if (!r && exec_child)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0);
    return r;
}
