/* Processes (libos/sys/proc.c). */
#ifndef SABOT_LIBOS_PROC_H
#define SABOT_LIBOS_PROC_H

#include "libos.h"

long libos_proc_init(void);
/* fork/vfork/clone without CLONE_THREAD: returns the child's pid, 0 in
 * the child. */
long libos_fork(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls);
/* Tell the parent (if in the sandbox) how we ended: a Linux wait status. */
void libos_proc_report_exit(int wait_status);
/* This process is ending: it no longer counts against limits.processes. */
void libos_proc_exiting(void);
/* Signals to other processes of the sandbox (our parent and children):
 * 0 or -ESRCH. sig 0 only checks that pid exists. */
long libos_proc_kill(uint32_t pid, int sig);
/* To every child in group pgid (0: every child); returns how many. */
long libos_proc_kill_group(uint32_t pgid, int sig);
/* A child's process group; set_pgid != 0 changes it. -ESRCH if not ours. */
long libos_proc_child_pgid(uint32_t pid, uint32_t set_pgid);

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
