/* The declarative syscall table. A NULL slot is unimplemented: the
 * dispatcher answers -ENOSYS and logs the name once. */
#include "libos_syscalls.h"
#include "shim.h"

#define SYS(nr, name, fmt) [nr] = {(void *)libos_sys_##name, fmt, false, false}
#define SYS_HEX(nr, name, fmt) [nr] = {(void *)libos_sys_##name, fmt, true, false}
#define SYS_CTX(nr, name, fmt) [nr] = {(void *)libos_sys_##name, fmt, false, true}

const struct shim_syscall g_shim_syscalls[SHIM_NR_SYSCALLS] = {
    SYS(0, read, "dBu"),
    SYS(1, write, "dbu"),
    SYS(2, open, "som"),
    SYS(3, close, "d"),
    SYS(4, stat, "sp"),
    SYS(5, fstat, "dp"),
    SYS(6, lstat, "sp"),
    SYS(8, lseek, "ddd"),
    SYS_HEX(9, mmap, "puPMdx"),
    SYS(10, mprotect, "puP"),
    SYS(11, munmap, "pu"),
    SYS_HEX(12, brk, "p"),
    SYS(13, rt_sigaction, "Sppu"),
    SYS(14, rt_sigprocmask, "dppu"),
    SYS_CTX(15, rt_sigreturn, ""),
    SYS(16, ioctl, "dxx"),
    SYS(17, pread64, "dBud"),
    SYS(18, pwrite64, "dbud"),
    SYS(19, readv, "dpd"),
    SYS(20, writev, "dpd"),
    SYS(21, access, "so"),
    SYS(24, sched_yield, ""),
    SYS_HEX(25, mremap, "puuxp"),
    SYS(26, msync, "pux"),
    SYS(27, mincore, "pup"),
    SYS(28, madvise, "pud"),
    SYS(32, dup, "d"),
    SYS(33, dup2, "dd"),
    SYS(35, nanosleep, "pp"),
    SYS(39, getpid, ""),
    SYS(60, exit, "d"),
    SYS(62, kill, "dS"),
    SYS(63, uname, "p"),
    SYS(72, fcntl, "ddx"),
    SYS(74, fsync, "d"),
    SYS(75, fdatasync, "d"),
    SYS(76, truncate, "sd"),
    SYS(77, ftruncate, "dd"),
    SYS(79, getcwd, "pu"),
    SYS(80, chdir, "s"),
    SYS(81, fchdir, "d"),
    SYS(82, rename, "ss"),
    SYS(83, mkdir, "sm"),
    SYS(84, rmdir, "s"),
    SYS(85, creat, "sm"),
    SYS(86, link, "ss"),
    SYS(87, unlink, "s"),
    SYS(88, symlink, "ss"),
    SYS(89, readlink, "spu"),
    SYS(90, chmod, "sm"),
    SYS(91, fchmod, "dm"),
    SYS(95, umask, "m"),
    SYS(96, gettimeofday, "pp"),
    SYS(97, getrlimit, "dp"),
    SYS(99, sysinfo, "p"),
    SYS(102, getuid, ""),
    SYS(104, getgid, ""),
    SYS(105, setuid, "u"),
    SYS(106, setgid, "u"),
    SYS(107, geteuid, ""),
    SYS(108, getegid, ""),
    SYS(109, setpgid, "dd"),
    SYS(110, getppid, ""),
    SYS(111, getpgrp, ""),
    SYS(112, setsid, ""),
    SYS(113, setreuid, "uu"),
    SYS(114, setregid, "uu"),
    SYS(115, getgroups, "dp"),
    SYS(116, setgroups, "dp"),
    SYS(117, setresuid, "uuu"),
    SYS(118, getresuid, "ppp"),
    SYS(119, setresgid, "uuu"),
    SYS(120, getresgid, "ppp"),
    SYS(122, setfsuid, "u"),
    SYS(123, setfsgid, "u"),
    SYS(121, getpgid, "d"),
    SYS(124, getsid, "d"),
    SYS(131, sigaltstack, "pp"),
    SYS(149, mlock, "pu"),
    SYS(150, munlock, "pu"),
    SYS(151, mlockall, "x"),
    SYS(152, munlockall, ""),
    SYS(157, prctl, "dxxxx"),
    SYS(158, arch_prctl, "xx"),
    SYS(160, setrlimit, "dp"),
    SYS(186, gettid, ""),
    SYS(200, tkill, "dS"),
    SYS(201, time, "p"),
    SYS(217, getdents64, "dpu"),
    SYS(218, set_tid_address, "p"),
    SYS(228, clock_gettime, "dp"),
    SYS(229, clock_getres, "dp"),
    SYS(230, clock_nanosleep, "ddpp"),
    SYS(231, exit_group, "d"),
    SYS(234, tgkill, "ddS"),
    SYS(257, openat, "Fsom"),
    SYS(258, mkdirat, "Fsm"),
    SYS(262, newfstatat, "Fspx"),
    SYS(263, unlinkat, "Fsx"),
    SYS(264, renameat, "FsFs"),
    SYS(265, linkat, "FsFsx"),
    SYS(266, symlinkat, "sFs"),
    SYS(267, readlinkat, "Fspu"),
    SYS(268, fchmodat, "Fsm"),
    SYS(269, faccessat, "Fso"),
    SYS(273, set_robust_list, "pu"),
    SYS(280, utimensat, "Fspx"),
    SYS(292, dup3, "ddo"),
    SYS(302, prlimit64, "ddpp"),
    SYS(316, renameat2, "FsFsx"),
    SYS(318, getrandom, "pux"),
    SYS(332, statx, "Fsxxp"),
    SYS(325, mlock2, "pux"),
    SYS(436, close_range, "uux"),
    SYS(439, faccessat2, "Fsox"),
/* Families kept in their own fragments (one owner each). */
#include "syscalls_net.inc"
#include "syscalls_poll.inc"
#include "syscalls_time.inc"
#include "syscalls_thread.inc"
#include "syscalls_fs2.inc"
};

static const char *const g_names[SHIM_NR_SYSCALLS] = {
#define X(nr, name) [nr] = #name,
#include "syscall_names.h"
#undef X
};

const char *shim_syscall_name(long nr) {
    if (nr >= 0 && nr < SHIM_NR_SYSCALLS && g_names[nr])
        return g_names[nr];
    return "unknown";
}
