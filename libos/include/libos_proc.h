/* Processes (libos/sys/proc.c): the process table every process of one
 * sabot run shares, fork, wait, signals between processes, stop/continue,
 * process groups, sessions and the console's foreground group. */
#ifndef SABOT_LIBOS_PROC_H
#define SABOT_LIBOS_PROC_H

#include "libos.h"

/* The first process: creates the table (a PAL "memfd:" mapped shared). */
long libos_proc_init(void);
/* The table's stream, to send to a child made by pal_process_create. */
pal_handle_t *libos_proc_table_handle(void);
/* Child side of pal_process_create: map the table received from the
 * parent. g_process.pid must already be the child's pid (the parent made
 * its table entry before creating it); starts the mailbox thread. */
long libos_proc_table_attach(pal_handle_t *h);
/* Child side of a restored fork (checkpoint.c): identity and the stream
 * to the parent; adopts the table entry if the table is attached. */
void libos_proc_restored(uint32_t pid, uint32_t ppid, pal_handle_t *parent);
/* Parent side of a fork by pal_process_create: make the child's table
 * entry first (returns its pid or -EAGAIN), then either abort it or say
 * it started (stream: watched for the child vanishing). */
long libos_proc_child_prepare(int exit_signal);
void libos_proc_child_abort(uint32_t pid);
void libos_proc_child_started(uint32_t pid, pal_handle_t *stream);

/* fork/vfork/clone without CLONE_THREAD: returns the child's pid, 0 in
 * the child. */
long libos_fork(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls);
/* The process ends with a Linux wait status: it becomes a zombie for its
 * parent, its children go to the first process. */
void libos_proc_report_exit(int wait_status);
/* Kept for callers; the exit report does the bookkeeping. */
void libos_proc_exiting(void);
/* kill(2) after the signal number was checked: any process of the sandbox,
 * a group (-pgid, 0: ours) or everyone (-1). */
long libos_proc_kill(int pid, int sig);
/* Default action of a stop signal: report to the parent and wait for
 * SIGCONT. false if there is no parent in the sandbox (the caller then
 * stops the host process). */
bool libos_proc_stop(int sig);
/* Any other thread of a stopped process waits here (signal delivery). */
void libos_proc_stopped_wait(void);
/* Act on what other processes posted to us, if anything (cheap when
 * nothing): called where a wake from pal_process_wake lands (libos waits,
 * interrupts of app code). Holds no lock on entry. */
void libos_proc_mailbox_poll(void);

/* Identity kept in the table (other processes may change our group). */
uint32_t libos_proc_ppid(void);
uint32_t libos_proc_pgid(void);
uint32_t libos_proc_sid(void);
long libos_proc_getpgid(int pid);
long libos_proc_getsid(int pid);
long libos_proc_setpgid(int pid, int pgid);
long libos_proc_setsid(void);
/* Copy uid/gid changes of g_process into the table (for /proc). */
void libos_proc_ids_changed(void);
/* execve succeeded: the program, its argument block (NUL-separated) and
 * name, for /proc/<pid> of other processes; marks the exec for setpgid. */
void libos_proc_exec(const char *exe, const char *args, size_t args_len, const char *comm);

/* Terminal job control on the console (dev.c): TIOCGPGRP, TIOCSPGRP,
 * TIOCSCTTY, TIOCNOTTY, TIOCGSID. */
long libos_proc_tty_ioctl(unsigned int cmd, uint64_t arg);
/* Are we a background group of the console's session? (cheap, unlocked) */
bool libos_proc_tty_background(void);
/* A read of the console: 0, or -ERESTARTSYS after SIGTTIN to a background
 * group, -EIO if that signal is ignored or blocked. */
long libos_proc_tty_read_check(void);
/* A change of the terminal's modes: 0, or -ERESTARTSYS after SIGTTOU to a
 * background group (one ignoring or blocking SIGTTOU may go on). */
long libos_proc_tty_change_check(void);

/* What /proc/<pid> shows of another process. */
enum { LIBOS_PROC_RUNNING = 1, LIBOS_PROC_STOPPED, LIBOS_PROC_ZOMBIE };
struct libos_proc_info {
    uint32_t pid, ppid, pgid, sid;
    uint32_t uid, gid, euid, egid;
    int state;
    uint32_t nthreads;
    uint64_t start_ns; /* monotonic */
    char comm[16];
    char exe[256];
    size_t cmdline_len;
    char cmdline[1024];
};
/* 0, or -ESRCH if pid is not a process of the sandbox. */
long libos_proc_info(uint32_t pid, struct libos_proc_info *out);
/* Pids of the sandbox's processes, ascending; returns how many (at most max). */
size_t libos_proc_pids(uint32_t *pids, size_t max);

/* execve.c: a thread of a process where another thread runs execve ends
 * here (called before any signal delivery). */
void libos_exec_doomed_check(void);

/* Fork support of other parts. */
void libos_malloc_fork_lock(void);
void libos_malloc_fork_unlock(void);
void libos_reset_locks_after_fork(void);
void libos_thread_after_fork(uint32_t tid);
void libos_timer_after_fork(void);
void libos_futex_after_fork(void);
void libos_fd_after_fork(void);
/* A new pid/tid, unique in the sandbox. */
uint32_t libos_alloc_pid(void);

#endif
