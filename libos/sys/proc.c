/* Child processes on PALs with a fast fork: fork/vfork/clone without
 * CLONE_THREAD, wait4/waitid, and the exit report a child sends its parent
 * over the stream pal_process_fork made. PIDs come from a counter in
 * memory shared by every process of the sandbox (they all descend from the
 * first one), so they are unique and small, as in a PID namespace. */
#include "libos_futex.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define CLONE_VM 0x00000100
#define CLONE_VFORK 0x00004000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define CSIGNAL 0xff

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define P_PIDFD 3
#define CLD_EXITED 1
#define CLD_KILLED 2
#define EXIT_REPORT_MAGIC 0x73616274U /* "sabt" */

struct libos_child {
    uint32_t pid;
    int exit_signal;      /* sent to us when it ends (SIGCHLD) */
    pal_handle_t *stream; /* NULL once the child has reported */
    bool exited;
    int wait_status; /* Linux wait status: code << 8, or the signal */
    uint32_t pgid;   /* its process group, as far as we know */
    struct libos_child *next;
};

/* What travels on a parent/child stream, both ways. */
enum { MSG_EXIT = 1, MSG_SIGNAL = 2 };
struct proc_msg {
    uint32_t magic;
    uint32_t type;
    int32_t arg;     /* MSG_EXIT: wait status; MSG_SIGNAL: the signal */
    uint32_t sender; /* pid of the sender */
};

static uint32_t *g_pid_counter; /* shared by the whole sandbox */
static struct libos_child *g_children;
static struct libos_lock g_children_lock = LIBOS_LOCK_INIT;
static struct libos_waitq g_child_waitq = LIBOS_WAITQ_INIT;
static pal_handle_t *g_parent_stream; /* to our parent, if it is in the sandbox */
static struct libos_lock g_parent_lock = LIBOS_LOCK_INIT; /* one writer at a time */
static struct libos_thread *g_reaper;                     /* service thread watching the children */
static int g_reaper_state;

/* The shared page: [0] last pid handed out, [1] live processes. */
uint32_t libos_alloc_pid(void) {
    return __atomic_add_fetch(&g_pid_counter[0], 1, __ATOMIC_RELAXED);
}

void libos_proc_exiting(void) {
    if (g_pid_counter)
        __atomic_sub_fetch(&g_pid_counter[1], 1, __ATOMIC_RELAXED);
}

void libos_reset_locks_after_fork(void) {
    g_process.lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_children_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_child_waitq = (struct libos_waitq)LIBOS_WAITQ_INIT;
    libos_futex_after_fork();
    libos_fd_after_fork();
}

long libos_proc_init(void) {
    void *page = NULL;
    int r = pal_mem_alloc(&page, LIBOS_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MEM_SHARED);
    if (r < 0)
        return libos_errno_from_pal(r);
    g_pid_counter = page;
    g_pid_counter[0] = g_process.pid;
    g_pid_counter[1] = 1;
    return 0;
}

/* Next message on s: 1, 0 when none is waiting, -1 when the stream ended
 * (or carried garbage). Messages are small single writes. */
static int read_msg(pal_handle_t *s, struct proc_msg *m) {
    size_t got = 0;
    for (int spins = 0; got < sizeof(*m); spins++) {
        int64_t n = pal_stream_read(s, PAL_OFFSET_NONE, (char *)m + got, sizeof(*m) - got);
        if (n == -PAL_ERR_AGAIN) {
            if (got == 0)
                return 0;
            if (spins > 100000)
                return -1;
            pal_thread_yield(); /* the rest of a message is on its way */
            continue;
        }
        if (n <= 0)
            return -1;
        got += n;
    }
    return m->magic == EXIT_REPORT_MAGIC ? 1 : -1;
}

static long send_msg(pal_handle_t *s, uint32_t type, int32_t arg) {
    struct proc_msg m = {EXIT_REPORT_MAGIC, type, arg, g_process.pid};
    return libos_write_all(s, &m, sizeof(m)) < 0 ? -ESRCH : 0;
}

/* A signal another process of the sandbox sent us. */
static void signal_from(uint32_t sender, int sig) {
    if (sig < 1 || sig > LINUX_NSIG)
        return;
    struct linux_siginfo si = {.si_signo = sig, .si_code = SI_USER};
    si.kill.pid = sender;
    si.kill.uid = g_process.uid;
    libos_signal_send_process(&si);
}

static bool auto_reap(void) {
    struct linux_sigaction *sa = &g_process.sigactions[SIGCHLD - 1];
    return sa->handler == SIG_IGN || (sa->flags & SA_NOCLDWAIT);
}

static void child_ended(struct libos_child *c, int status);

/* Handle what child c sent; true if it ended. */
static bool serve_child(struct libos_child *c) {
    struct proc_msg m;
    int r;
    while ((r = read_msg(c->stream, &m)) == 1) {
        if (m.type == MSG_EXIT) {
            child_ended(c, m.arg);
            return true;
        }
        if (m.type == MSG_SIGNAL)
            signal_from(m.sender, m.arg);
    }
    if (r < 0) {
        child_ended(c, SIGKILL); /* gone without a word: killed from outside */
        return true;
    }
    return false;
}

static void serve_parent(void) {
    struct proc_msg m;
    int r;
    while ((r = read_msg(g_parent_stream, &m)) == 1)
        if (m.type == MSG_SIGNAL)
            signal_from(m.sender, m.arg);
    if (r < 0) { /* the parent is gone: nothing more will come */
        libos_lock(&g_parent_lock);
        pal_stream_close(g_parent_stream);
        g_parent_stream = NULL;
        libos_unlock(&g_parent_lock);
    }
}

static void child_ended(struct libos_child *c, int status) {
    pal_stream_close(c->stream);
    c->stream = NULL;
    c->exited = true;
    c->wait_status = status;
    if (c->exit_signal) {
        struct linux_siginfo si = {.si_signo = c->exit_signal};
        bool killed = (status & 0x7f) != 0;
        si.si_code = killed ? CLD_KILLED : CLD_EXITED;
        si.kill.pid = c->pid;
        /* si_status follows si_uid in the kernel's sigchld layout */
        ((int32_t *)&si.kill)[2] = killed ? (status & 0x7f) : (status >> 8) & 0xff;
        libos_signal_send_process(&si);
    }
}

/* Watches the streams to our children and to our parent: exit reports
 * become SIGCHLD and wake waiters, signal messages become signals. */
static int reaper_main(void *arg) {
    g_reaper = libos_current_thread();
    for (;;) {
        pal_handle_t *hs[65];
        uint32_t ev[65], rev[65];
        size_t n = 0;
        pal_handle_t *parent = g_parent_stream;
        if (parent) {
            hs[n] = parent;
            ev[n++] = PAL_WAIT_READ;
        }
        libos_lock(&g_children_lock);
        for (struct libos_child *c = g_children; c && n < 65; c = c->next)
            if (c->stream) {
                hs[n] = c->stream;
                ev[n++] = PAL_WAIT_READ;
            }
        libos_unlock(&g_children_lock);
        long r = libos_thread_wait(n, hs, ev, rev, NULL);
        if (r <= 0)
            continue;
        if (parent && rev[0])
            serve_parent();
        bool changed = false;
        libos_lock(&g_children_lock);
        for (struct libos_child **pp = &g_children; *pp;) {
            struct libos_child *c = *pp;
            bool ready = false;
            for (size_t i = 0; i < n; i++)
                ready |= hs[i] == c->stream && rev[i];
            if (ready && serve_child(c)) {
                changed = true;
                if (auto_reap()) {
                    *pp = c->next;
                    libos_free(c);
                    continue;
                }
            }
            pp = &c->next;
        }
        libos_unlock(&g_children_lock);
        if (changed)
            libos_waitq_wake_all(&g_child_waitq);
    }
    return 0;
}

static void kick_reaper(void) {
    int expected = 0;
    if (__atomic_compare_exchange_n(&g_reaper_state, &expected, 1, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        if (libos_thread_create_internal(reaper_main, NULL) < 0)
            log_error("cannot start the child reaper: wait() will not see children end");
        return;
    }
    struct libos_thread *r = __atomic_load_n(&g_reaper, __ATOMIC_ACQUIRE);
    if (r)
        libos_thread_wake(r);
}

/* The child's side: only this thread exists now. */
static void become_child(uint32_t pid, pal_handle_t *stream) {
    libos_reset_locks_after_fork();
    g_process.ppid = g_process.pid;
    g_process.pid = pid;
    g_process.sigpending = 0;
    for (struct libos_child *c = g_children; c;) {
        struct libos_child *next = c->next;
        if (c->stream)
            pal_stream_close(c->stream); /* our copy of the parent's child streams */
        libos_free(c);
        c = next;
    }
    g_children = NULL;
    g_reaper = NULL;
    g_reaper_state = 0;
    if (g_parent_stream)
        pal_stream_close(g_parent_stream);
    g_parent_stream = stream;
    g_parent_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    libos_thread_after_fork(pid);
    libos_timer_after_fork();
    kick_reaper(); /* listens to the parent's signals */
}

long libos_fork(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls) {
    struct libos_thread *self = libos_current_thread();
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* a second process sharing our memory: not on a host fork */
    int exit_signal = flags & CSIGNAL;
    if (exit_signal > LINUX_NSIG)
        return -EINVAL;
    if ((flags & CLONE_PARENT_SETTID) && !libos_user_range_ok(ptid, 4, true))
        return -EFAULT;
    /* limits.processes counts every live process of the sandbox. */
    uint64_t max = g_process.rlimits[RLIMIT_NPROC].rlim_cur;
    uint32_t live = __atomic_add_fetch(&g_pid_counter[1], 1, __ATOMIC_RELAXED);
    if (max != RLIM_INFINITY && live > max) {
        __atomic_sub_fetch(&g_pid_counter[1], 1, __ATOMIC_RELAXED);
        return -EAGAIN;
    }
    uint32_t pid = libos_alloc_pid();
    struct libos_child *c = libos_calloc(1, sizeof(*c));
    if (!c) {
        __atomic_sub_fetch(&g_pid_counter[1], 1, __ATOMIC_RELAXED);
        return -ENOMEM;
    }
    c->pid = pid;
    c->exit_signal = exit_signal;
    c->pgid = g_process.pgid;
    pal_handle_t *stream;
    libos_malloc_fork_lock(); /* no other thread may hold the heap across fork */
    int r = pal_process_fork(&stream);
    libos_malloc_fork_unlock();
    if (r < 0) {
        libos_free(c);
        __atomic_sub_fetch(&g_pid_counter[1], 1, __ATOMIC_RELAXED);
        return r == -PAL_ERR_NOTIMPLEMENTED ? -ENOSYS : libos_errno_from_pal(r);
    }
    if (r == 0) {
        libos_free(c);
        become_child(pid, stream);
        struct pal_context *ctx = self->ctx;
        if (newsp)
            ctx->rsp = newsp;
        if (flags & CLONE_SETTLS)
            pal_segment_base_set(PAL_SEG_FS, tls);
        if ((flags & CLONE_CHILD_SETTID) && libos_user_range_ok(ctid, 4, true))
            *ctid = (int)pid;
        if (flags & CLONE_CHILD_CLEARTID)
            self->clear_child_tid = (uint32_t *)ctid;
        return 0;
    }
    if (flags & CLONE_PARENT_SETTID)
        *ptid = (int)pid;
    c->stream = stream;
    libos_lock(&g_children_lock);
    c->next = g_children;
    g_children = c;
    libos_unlock(&g_children_lock);
    kick_reaper();
    return pid;
}

long libos_sys_fork(void) {
    return libos_fork(SIGCHLD, 0, NULL, NULL, 0);
}

long libos_sys_vfork(void) {
    /* A copy instead of shared memory: correct for the exec-or-exit child
     * vfork allows; the parent does not wait for it. */
    return libos_fork(SIGCHLD, 0, NULL, NULL, 0);
}

void libos_proc_report_exit(int wait_status) {
    libos_lock(&g_parent_lock);
    if (g_parent_stream)
        send_msg(g_parent_stream, MSG_EXIT, wait_status);
    libos_unlock(&g_parent_lock);
}

/* ---------------------------------------------- signals between processes */

/* Send sig (0: only check) to pid, our parent or one of our children. */
long libos_proc_kill(uint32_t pid, int sig) {
    if (pid == g_process.ppid) {
        libos_lock(&g_parent_lock);
        long r = !g_parent_stream ? -ESRCH : sig ? send_msg(g_parent_stream, MSG_SIGNAL, sig) : 0;
        libos_unlock(&g_parent_lock);
        return r;
    }
    long r = -ESRCH;
    libos_lock(&g_children_lock);
    for (struct libos_child *c = g_children; c; c = c->next)
        if (c->pid == pid) {
            /* A zombie still exists for kill: the signal is just lost. */
            r = !c->stream || !sig ? 0 : send_msg(c->stream, MSG_SIGNAL, sig);
            break;
        }
    libos_unlock(&g_children_lock);
    return r;
}

/* Send sig to every child in group pgid (all children if pgid is 0);
 * returns how many there were. */
long libos_proc_kill_group(uint32_t pgid, int sig) {
    long n = 0;
    libos_lock(&g_children_lock);
    for (struct libos_child *c = g_children; c; c = c->next)
        if (!c->exited && (!pgid || c->pgid == pgid)) {
            if (sig && c->stream)
                send_msg(c->stream, MSG_SIGNAL, sig);
            n++;
        }
    libos_unlock(&g_children_lock);
    return n;
}

long libos_proc_child_pgid(uint32_t pid, uint32_t set_pgid) {
    long r = -ESRCH;
    libos_lock(&g_children_lock);
    for (struct libos_child *c = g_children; c; c = c->next)
        if (c->pid == pid) {
            if (set_pgid)
                c->pgid = set_pgid;
            r = c->pgid;
            break;
        }
    libos_unlock(&g_children_lock);
    return r;
}

static bool matches(const struct libos_child *c, int idtype, uint32_t id) {
    return idtype == P_ALL || (idtype == P_PID && c->pid == id) ||
           (idtype == P_PGID && id == g_process.pgid); /* children share our group */
}

/* Find an ended child matching (idtype, id); -ECHILD if none can match. */
static long wait_child(int idtype, uint32_t id, int options, int *status, uint32_t *pid) {
    struct libos_waiter w;
    for (;;) {
        libos_waitq_add(&g_child_waitq, &w);
        libos_lock(&g_children_lock);
        bool any = false;
        for (struct libos_child **pp = &g_children; *pp; pp = &(*pp)->next) {
            struct libos_child *c = *pp;
            if (!matches(c, idtype, id))
                continue;
            any = true;
            if (!c->exited)
                continue;
            *status = c->wait_status;
            *pid = c->pid;
            if (!(options & WNOWAIT)) {
                *pp = c->next;
                libos_free(c);
            }
            libos_unlock(&g_children_lock);
            libos_waitq_remove(&g_child_waitq, &w);
            return 1;
        }
        libos_unlock(&g_children_lock);
        long r = !any                  ? -ECHILD
                 : (options & WNOHANG) ? 0
                                       : libos_thread_wait(0, NULL, NULL, NULL, NULL);
        libos_waitq_remove(&g_child_waitq, &w);
        if (r == -ECHILD || (r == 0 && (options & WNOHANG)))
            return r;
        if (r == -EINTR)
            return -ERESTARTSYS;
    }
}

long libos_sys_wait4(int pid, int *wstatus, int options, void *rusage) {
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
        return -EINVAL;
    if ((wstatus && !libos_user_range_ok(wstatus, 4, true)) ||
        (rusage && !libos_user_range_ok(rusage, 144, true)))
        return -EFAULT;
    int idtype = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
    int status;
    uint32_t got;
    long r = wait_child(idtype, pid > 0 ? (uint32_t)pid : 0, options | WEXITED, &status, &got);
    if (r <= 0)
        return r;
    if (wstatus)
        *wstatus = status;
    if (rusage)
        memset(rusage, 0, 144);
    return got;
}

long libos_sys_waitid(int idtype, int id, struct linux_siginfo *info, int options, void *rusage) {
    if (idtype < P_ALL || idtype > P_PGID ||
        (options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | __WALL | __WCLONE)) ||
        !(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (info && !libos_user_range_ok(info, sizeof(*info), true))
        return -EFAULT;
    int status;
    uint32_t got;
    long r = wait_child(idtype, (uint32_t)id, options, &status, &got);
    if (r < 0)
        return r;
    if (info) {
        memset(info, 0, sizeof(*info));
        if (r > 0) {
            bool killed = (status & 0x7f) != 0;
            info->si_signo = SIGCHLD;
            info->si_code = killed ? CLD_KILLED : CLD_EXITED;
            info->kill.pid = got;
            info->kill.uid = g_process.uid;
            ((int32_t *)&info->kill)[2] = killed ? (status & 0x7f) : (status >> 8) & 0xff;
        }
    }
    return 0;
}
