/* Syscall implementations, one file per family (libos/sys/). Pointer
 * arguments are app pointers: check them (libos_user_range_ok) or copy
 * strings (libos_copy_user_string) before use. Each returns a result or a
 * negative errno. The table in shim/syscall_table.c maps numbers to these. */
#ifndef SABOT_LIBOS_SYSCALLS_H
#define SABOT_LIBOS_SYSCALLS_H

#include "libos.h"

/* sys/fs.c: files and directories */
long libos_sys_read(int fd, void *buf, size_t count);
long libos_sys_write(int fd, const void *buf, size_t count);
long libos_sys_readv(int fd, const struct linux_iovec *iov, int iovcnt);
long libos_sys_writev(int fd, const struct linux_iovec *iov, int iovcnt);
long libos_sys_pread64(int fd, void *buf, size_t count, int64_t off);
long libos_sys_pwrite64(int fd, const void *buf, size_t count, int64_t off);
long libos_sys_open(const char *path, int flags, uint32_t mode);
long libos_sys_openat(int dirfd, const char *path, int flags, uint32_t mode);
long libos_sys_creat(const char *path, uint32_t mode);
long libos_sys_close(int fd);
long libos_sys_close_range(unsigned int first, unsigned int last, unsigned int flags);
long libos_sys_lseek(int fd, int64_t off, int whence);
long libos_sys_stat(const char *path, struct linux_stat *st);
long libos_sys_fstat(int fd, struct linux_stat *st);
long libos_sys_lstat(const char *path, struct linux_stat *st);
long libos_sys_newfstatat(int dirfd, const char *path, struct linux_stat *st, int flags);
long libos_sys_statx(int dirfd, const char *path, int flags, unsigned int mask,
                     struct linux_statx *stx);
long libos_sys_getdents64(int fd, void *buf, size_t size);
long libos_sys_mkdir(const char *path, uint32_t mode);
long libos_sys_mkdirat(int dirfd, const char *path, uint32_t mode);
long libos_sys_rmdir(const char *path);
long libos_sys_unlink(const char *path);
long libos_sys_unlinkat(int dirfd, const char *path, int flags);
long libos_sys_rename(const char *oldpath, const char *newpath);
long libos_sys_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
long libos_sys_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                         unsigned int flags);
long libos_sys_fcntl(int fd, int cmd, uint64_t arg);
long libos_sys_dup(int fd);
long libos_sys_dup2(int oldfd, int newfd);
long libos_sys_dup3(int oldfd, int newfd, int flags);
long libos_sys_ioctl(int fd, unsigned int cmd, uint64_t arg);
long libos_sys_getcwd(char *buf, size_t size);
long libos_sys_chdir(const char *path);
long libos_sys_fchdir(int fd);
long libos_sys_access(const char *path, int mode);
long libos_sys_faccessat(int dirfd, const char *path, int mode);
long libos_sys_faccessat2(int dirfd, const char *path, int mode, int flags);
long libos_sys_readlink(const char *path, char *buf, size_t size);
long libos_sys_readlinkat(int dirfd, const char *path, char *buf, size_t size);
long libos_sys_ftruncate(int fd, int64_t length);
long libos_sys_truncate(const char *path, int64_t length);
long libos_sys_fsync(int fd);
long libos_sys_fdatasync(int fd);
long libos_sys_umask(uint32_t mask);
long libos_sys_chmod(const char *path, uint32_t mode);
long libos_sys_fchmod(int fd, uint32_t mode);
long libos_sys_fchmodat(int dirfd, const char *path, uint32_t mode);
long libos_sys_symlink(const char *target, const char *linkpath);
long libos_sys_link(const char *oldpath, const char *newpath);
long libos_sys_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                      int flags);
long libos_sys_symlinkat(const char *target, int dirfd, const char *linkpath);
long libos_sys_utimensat(int dirfd, const char *path, const struct linux_timespec *times,
                         int flags);

/* sys/mm.c: memory */
long libos_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off);
long libos_sys_munmap(void *addr, size_t len);
long libos_sys_mprotect(void *addr, size_t len, int prot);
long libos_sys_brk(void *addr);
long libos_sys_madvise(void *addr, size_t len, int advice);
long libos_sys_msync(void *addr, size_t len, int flags);
long libos_sys_mremap(void *old_addr, size_t old_size, size_t new_size, int flags,
                      void *new_addr);
long libos_sys_mincore(void *addr, size_t len, unsigned char *vec);
long libos_sys_mlock(void *addr, size_t len);
long libos_sys_mlock2(void *addr, size_t len, int flags);
long libos_sys_munlock(void *addr, size_t len);
long libos_sys_mlockall(int flags);
long libos_sys_munlockall(void);

/* sys/process.c: identity, exit, limits */
long libos_sys_exit(int status);
long libos_sys_exit_group(int status);
long libos_sys_getpid(void);
long libos_sys_getppid(void);
long libos_sys_gettid(void);
long libos_sys_getuid(void);
long libos_sys_geteuid(void);
long libos_sys_getgid(void);
long libos_sys_getegid(void);
long libos_sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s);
long libos_sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s);
long libos_sys_getgroups(int size, uint32_t *list);
long libos_sys_setgroups(int size, const uint32_t *list);
long libos_sys_setuid(uint32_t id);
long libos_sys_setgid(uint32_t id);
long libos_sys_setreuid(uint32_t r, uint32_t e);
long libos_sys_setregid(uint32_t r, uint32_t e);
long libos_sys_setresuid(uint32_t r, uint32_t e, uint32_t s);
long libos_sys_setresgid(uint32_t r, uint32_t e, uint32_t s);
long libos_sys_setfsuid(uint32_t id);
long libos_sys_setfsgid(uint32_t id);
long libos_sys_getpgrp(void);
long libos_sys_getpgid(int pid);
long libos_sys_getsid(int pid);
long libos_sys_setpgid(int pid, int pgid);
long libos_sys_setsid(void);
long libos_sys_set_tid_address(uint32_t *tidptr);
long libos_sys_arch_prctl(int code, uint64_t addr);
long libos_sys_prlimit64(int pid, int resource, const struct linux_rlimit *new_limit,
                         struct linux_rlimit *old_limit);
long libos_sys_getrlimit(int resource, struct linux_rlimit *rlim);
long libos_sys_setrlimit(int resource, const struct linux_rlimit *rlim);
long libos_sys_uname(struct linux_utsname *buf);
long libos_sys_set_robust_list(void *head, size_t len);
long libos_sys_sched_yield(void);
long libos_sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* sys/signal.c: recorded for now */
long libos_sys_rt_sigaction(int sig, const struct linux_sigaction *act,
                            struct linux_sigaction *oldact, size_t sigsetsize);
long libos_sys_rt_sigprocmask(int how, const uint64_t *set, uint64_t *oldset, size_t sigsetsize);
long libos_sys_sigaltstack(const void *ss, void *old_ss);
long libos_sys_kill(int pid, int sig);
long libos_sys_tkill(int tid, int sig);
long libos_sys_tgkill(int tgid, int tid, int sig);
long libos_sys_rt_sigreturn(void);
void libos_signal_init(void);
/* Run pending, unblocked signals against the app state in ctx; nr is the
 * syscall whose result is in ctx->rax (restart handling), or -1. */
void libos_signal_deliver_pending(struct pal_context *ctx, long nr);
long libos_sys_rt_sigqueueinfo(int tgid, int sig, const struct linux_siginfo *uinfo);
long libos_sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, const struct linux_siginfo *uinfo);
long libos_sys_rt_sigpending(uint64_t *set, size_t size);
long libos_sys_rt_sigsuspend(const uint64_t *mask, size_t size);
long libos_sys_pause(void);
long libos_sys_rt_sigtimedwait(const uint64_t *uset, struct linux_siginfo *uinfo,
                               const struct linux_timespec *uts, size_t size);

/* thread.c, sys/futex.c, sys/sched.c: threads */
struct linux_clone_args;
long libos_sys_clone(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls);
long libos_sys_clone3(struct linux_clone_args *uargs, size_t size);
long libos_sys_fork(void);
long libos_sys_execve(const char *upath, char *const *uargv, char *const *uenvp);
long libos_sys_execveat(int dirfd, const char *upath, char *const *uargv, char *const *uenvp,
                        int flags);
long libos_sys_vfork(void);
long libos_sys_wait4(int pid, int *wstatus, int options, void *rusage);
long libos_sys_waitid(int idtype, int id, struct linux_siginfo *info, int options, void *rusage);
long libos_sys_futex(uint32_t *addr, int op, uint32_t val, const struct linux_timespec *ts,
                     uint32_t *addr2, uint32_t val3);
long libos_sys_sched_getaffinity(int pid, size_t size, void *mask);
long libos_sys_sched_setaffinity(int pid, size_t size, const void *mask);
long libos_sys_sched_getscheduler(int pid);
long libos_sys_sched_setscheduler(int pid, int policy, const void *param);
long libos_sys_sched_getparam(int pid, void *param);
long libos_sys_sched_setparam(int pid, const void *param);
long libos_sys_sched_get_priority_max(int policy);
long libos_sys_sched_get_priority_min(int policy);
long libos_sys_getpriority(int which, int who);
long libos_sys_setpriority(int which, int who, int prio);
long libos_sys_getcpu(unsigned *cpu, unsigned *node, void *cache);

/* sys/poll.c, sys/epoll.c, fs/eventfd.c, fs/signalfd.c: readiness */
struct linux_pollfd;
struct linux_epoll_event;
struct pselect_sigarg;
long libos_sys_poll(struct linux_pollfd *ufds, uint64_t nfds, int timeout_ms);
long libos_sys_ppoll(struct linux_pollfd *ufds, uint64_t nfds, struct linux_timespec *uts,
                     const uint64_t *sigmask, size_t sigsetsize);
long libos_sys_select(int n, uint64_t *in, uint64_t *out, uint64_t *ex, struct linux_timeval *utv);
long libos_sys_pselect6(int n, uint64_t *in, uint64_t *out, uint64_t *ex,
                        struct linux_timespec *uts, const struct pselect_sigarg *usig);
long libos_sys_epoll_create(int size);
long libos_sys_epoll_create1(int flags);
long libos_sys_epoll_ctl(int epfd, int op, int fd, struct linux_epoll_event *uev);
long libos_sys_epoll_wait(int epfd, struct linux_epoll_event *events, int maxevents, int timeout);
long libos_sys_epoll_pwait(int epfd, struct linux_epoll_event *events, int maxevents, int timeout,
                           const uint64_t *sigmask, size_t sigsetsize);
long libos_sys_epoll_pwait2(int epfd, struct linux_epoll_event *events, int maxevents,
                            const struct linux_timespec *uts, const uint64_t *sigmask,
                            size_t sigsetsize);
long libos_sys_eventfd(unsigned int initval);
long libos_sys_eventfd2(unsigned int initval, int flags);
long libos_sys_signalfd(int fd, const uint64_t *umask, size_t sizemask);
long libos_sys_signalfd4(int fd, const uint64_t *umask, size_t sizemask, int flags);

/* sys/time.c; timers, timerfd, times and getrusage are in libos_time.h */
#include "libos_time.h"
long libos_sys_clock_gettime(int clock, struct linux_timespec *tp);
long libos_sys_clock_getres(int clock, struct linux_timespec *tp);
long libos_sys_gettimeofday(struct linux_timeval *tv, struct linux_timezone *tz);
long libos_sys_time(int64_t *t);
long libos_sys_nanosleep(const struct linux_timespec *req, struct linux_timespec *rem);
long libos_sys_clock_nanosleep(int clock, int flags, const struct linux_timespec *req,
                               struct linux_timespec *rem);

/* sys/misc.c */
long libos_sys_getrandom(void *buf, size_t len, unsigned int flags);
struct linux_sysinfo;
long libos_sys_sysinfo(struct linux_sysinfo *info);

/* sys/fs2.c, fs/memfd.c, fs/inotify.c: more file calls (issue 4) */
struct linux_statfs;
struct linux_utimbuf;
struct linux_timeval;
struct cap_header;
struct cap_data;
long libos_sys_statfs(const char *path, struct linux_statfs *buf);
long libos_sys_fstatfs(int fd, struct linux_statfs *buf);
long libos_sys_fallocate(int fd, int mode, int64_t off, int64_t len);
long libos_sys_sync(void);
long libos_sys_syncfs(int fd);
long libos_sys_sync_file_range(int fd, int64_t off, int64_t nbytes, unsigned int flags);
long libos_sys_utime(const char *path, const struct linux_utimbuf *times);
long libos_sys_utimes(const char *path, const struct linux_timeval *tv);
long libos_sys_futimesat(int dirfd, const char *path, const struct linux_timeval *tv);
long libos_sys_chown(const char *path, uint32_t uid, uint32_t gid);
long libos_sys_lchown(const char *path, uint32_t uid, uint32_t gid);
long libos_sys_fchown(int fd, uint32_t uid, uint32_t gid);
long libos_sys_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags);
long libos_sys_sendfile(int out_fd, int in_fd, int64_t *off, size_t count);
long libos_sys_copy_file_range(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len,
                               unsigned int flags);
long libos_sys_splice(int fd_in, int64_t *off_in, int fd_out, int64_t *off_out, size_t len,
                      unsigned int flags);
long libos_sys_tee(int fd_in, int fd_out, size_t len, unsigned int flags);
long libos_sys_vmsplice(int fd, const struct linux_iovec *iov, unsigned long nr,
                        unsigned int flags);
long libos_sys_flock(int fd, int op);
long libos_sys_personality(unsigned int persona);
long libos_sys_membarrier(int cmd, unsigned int flags, int cpu_id);
long libos_sys_capget(struct cap_header *h, struct cap_data *d);
long libos_sys_capset(struct cap_header *h, const struct cap_data *d);
long libos_sys_memfd_create(const char *name, unsigned int flags);
long libos_sys_inotify_init(void);
long libos_sys_inotify_init1(int flags);
long libos_sys_inotify_add_watch(int fd, const char *path, uint32_t mask);
long libos_sys_inotify_rm_watch(int fd, int wd);

/* sys/pipe.c, sys/socket.c: pipes and sockets */
#include "libos_net.h"

#endif
