/* Processes of the sandbox. Every process of one sabot run maps one
 * process table: a PAL "memfd:" stream mapped shared, made by the first
 * process and inherited over fork (or sent as a handle to a process made
 * by pal_process_create). Each entry holds a process's identity (pid,
 * ppid, group, session, state, name, program, command line) and a mailbox:
 * a small ring of messages (signals, child state changes), so any process
 * can signal any other. One lock in the table guards it all.
 *
 * The sender wakes the owner with pal_process_wake: in the owner it ends a
 * libos wait or interrupts app code, and both look at the mailbox
 * (libos_proc_mailbox_poll); elsewhere in the libos the wake stays pending
 * until one of them. No thread waits for the mailbox, so fork starts none
 * (a thread per child was a third of the fork's cost). A PAL without
 * process wakes gets a mailbox thread sleeping on the entry's wake word.
 *
 * fork stays a host fork (pal_process_fork); its stream to the child is
 * only watched for the child vanishing without an exit report. */
#include "libos_checkpoint.h"
#include "libos_futex.h"
#include "libos_manifest.h"
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
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

#define PROC_SLOTS 1024
#define MBOX_SLOTS 32
#define SIGBIT(s) (1ULL << ((s)-1))

enum { PS_FREE = 0, PS_RUNNING, PS_STOPPED, PS_ZOMBIE };
enum { REP_STOPPED = 1, REP_CONTINUED = 2 };    /* changes wait has not collected */
enum { M_SIGNAL = 1, M_CHILD = 2, M_WAKE = 3 }; /* M_WAKE: look at the table again */

struct proc_msg {
    uint16_t type;
    uint16_t code;  /* M_CHILD: CLD_* */
    int32_t sig;    /* the signal (M_CHILD: the child's exit signal, or SIGCHLD) */
    uint32_t pid;   /* sender */
    uint32_t uid;   /* sender's real uid */
    int32_t status; /* M_CHILD: exit code or signal */
};

struct proc_entry {
    uint32_t pid, ppid, pgid, sid;
    uint32_t state;
    int32_t wait_status; /* PS_ZOMBIE: a Linux wait status */
    uint32_t exit_signal;
    uint32_t report; /* REP_* */
    int32_t stop_sig;
    uint32_t uid, gid, euid, egid;
    uint32_t execed;     /* has run execve since fork (setpgid: EACCES) */
    uint32_t vfork_held; /* a vfork child: its parent waits for exec or exit */
    uint32_t nthreads;
    uint64_t start_ns;
    char comm[16];
    uint64_t wake_token; /* pal_process_wake's name for the owner; 0: wake word */
    /* The mailbox: without a wake token a mailbox thread sleeps on wake. */
    uint32_t wake;
    uint32_t link_waiters; /* the owner's threads in wait() with every link polled */
    uint32_t mb_head, mb_tail;
    struct proc_msg mb[MBOX_SLOTS];
    /* Last, what only /proc reads: a fork or an exit touches (and, in a
     * new child, faults in) fewer pages of the shared table. */
    uint32_t cmdline_len;
    char exe[256];
    char cmdline[1024];
};

struct proc_table {
    struct libos_lock lock;
    uint32_t last_pid;
    uint32_t live;               /* running or stopped processes (limits.processes) */
    uint32_t init_pid;           /* orphans' new parent; 0 once it is gone */
    uint32_t tty_sid;            /* session whose controlling terminal the console is */
    uint32_t fg_pgid;            /* the console's foreground group */
    uint32_t pid_of[PROC_SLOTS]; /* 0: free slot; scanned instead of the entries */
    struct proc_entry e[PROC_SLOTS];
};

/* Streams from pal_process_fork to our children: only watched for a child
 * that vanished without its exit report (killed from outside). */
struct child_link {
    uint32_t pid;
    pal_handle_t *stream;
    struct child_link *next;
};

static struct proc_table *g_table;
static pal_handle_t *g_table_handle;
static LIBOS_FORK_HOT struct proc_entry *g_me;
static LIBOS_FORK_HOT uint64_t g_parent_token; /* the forking parent's wake token */
static LIBOS_FORK_HOT struct child_link *g_links;
static LIBOS_FORK_HOT struct child_link *g_spare_link; /* for the next fork */
/* One child's link at a time lives on the fork-hot page: the parent fills
 * it right after the host fork and gives it back at the reaping, and on a
 * heap page each would be a copy-on-write fault. */
static LIBOS_FORK_HOT struct child_link g_hot_link;
static LIBOS_FORK_HOT bool g_hot_link_busy;

LIBOS_FORK_TEXT static struct child_link *link_new(void) {
    if (!__atomic_exchange_n(&g_hot_link_busy, true, __ATOMIC_ACQUIRE))
        return &g_hot_link;
    struct child_link *link = __atomic_exchange_n(&g_spare_link, NULL, __ATOMIC_ACQ_REL);
    return link ? link : libos_calloc(1, sizeof(*link));
}

LIBOS_FORK_TEXT static void link_free(struct child_link *link) {
    if (link == &g_hot_link)
        __atomic_store_n(&g_hot_link_busy, false, __ATOMIC_RELEASE);
    else
        libos_free(link);
}
static LIBOS_FORK_HOT struct libos_lock g_links_lock = LIBOS_LOCK_INIT;
static LIBOS_FORK_HOT struct libos_lock g_drain_lock = LIBOS_LOCK_INIT; /* one drainer */
static LIBOS_FORK_HOT struct libos_waitq g_child_waitq = LIBOS_WAITQ_INIT;
static LIBOS_FORK_HOT pal_handle_t *g_parent_stream;  /* held open: the parent watches it */
static LIBOS_FORK_HOT int g_mailbox_state;            /* 0: no mailbox thread yet */
static LIBOS_FORK_HOT uint32_t g_stopped;             /* futex word the stopped threads sleep on */
static LIBOS_FORK_HOT struct libos_thread *g_exiting; /* the thread ending the process */

/* PALs without process wakes (optional in pal.h): a mailbox thread. */
__attribute__((weak)) uint64_t pal_process_wake_token(void) {
    return 0;
}

__attribute__((weak)) int pal_process_wake(uint64_t token) {
    (void)token;
    return -PAL_ERR_NOTIMPLEMENTED;
}

/* ---------------------------------------------------------------- table */

/* The table lock is shared by processes: a holder may be preempted (on a
 * busy machine, by the very process it woke), so after a short spin the
 * waiter sleeps on a host futex instead of spinning and yielding (0: free,
 * 1: held, 2: held with sleepers). */
LIBOS_FORK_TEXT static void table_mutex_lock(uint32_t *w) {
    for (int spins = 0; spins < 100; spins++) {
        uint32_t free = 0;
        if (__atomic_compare_exchange_n(w, &free, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return;
        __builtin_ia32_pause();
    }
    while (__atomic_exchange_n(w, 2, __ATOMIC_ACQUIRE) != 0)
        pal_addr_wait(w, 2, NULL);
}

LIBOS_FORK_TEXT static void table_mutex_unlock(uint32_t *w) {
    if (__atomic_exchange_n(w, 0, __ATOMIC_RELEASE) == 2)
        pal_addr_wake(w, 1);
}

LIBOS_FORK_TEXT static void table_lock(void) {
    /* Past the exit report no other thread of ours may take the lock: the
     * process may end under it and leave the sandbox locked. */
    struct libos_thread *ex = __atomic_load_n(&g_exiting, __ATOMIC_ACQUIRE);
    if (ex && ex != libos_current_thread())
        for (;;)
            pal_event_wait(NULL, NULL);
    table_mutex_lock((uint32_t *)&g_table->lock.locked);
}

/* Wakes asked for under the table lock, sent once it is dropped: a woken
 * process goes straight for the lock, and on a busy CPU it would preempt
 * us and spin while we hold it. Only the lock holder touches these. */
#define DEFERRED_WAKES 16 /* more (kill -1) are woken at once */
static LIBOS_FORK_HOT struct proc_entry *g_wake_later[DEFERRED_WAKES];
static LIBOS_FORK_HOT uint64_t g_wake_token_later[DEFERRED_WAKES];
static LIBOS_FORK_HOT int g_wakes_later;

/* A parent waiting in wait() polls its fork links, so its child wakes it
 * with a byte on their link: no host signal to deliver and return from
 * (and the frame's page, copy-on-write since the fork, to copy). The
 * message is posted before link_waiters is read, and a waiter counts
 * itself out before its last look at the mailbox: if the child saw it
 * waiting, that look sees the message. */
LIBOS_FORK_TEXT static bool wake_parent_by_link(struct proc_entry *e, uint64_t token) {
    static const char b = 1;
    return token && token == g_parent_token && g_parent_stream && e->pid == g_process.ppid &&
           __atomic_load_n(&e->link_waiters, __ATOMIC_SEQ_CST) != 0 &&
           pal_stream_write(g_parent_stream, PAL_OFFSET_NONE, &b, 1) == 1;
}

LIBOS_FORK_TEXT static void wake_now(struct proc_entry *e, uint64_t token) {
    if (wake_parent_by_link(e, token))
        return;
    if (token)
        pal_process_wake(token);
    else
        pal_addr_wake(&e->wake, 1);
}

LIBOS_FORK_TEXT static void table_unlock(void) {
    /* Most unlocks wake none or one; a bulk kill's surplus is woken still
     * under the lock (a deep stack here cost the fork path a page). */
    struct proc_entry *es[8];
    uint64_t tokens[8];
    int n = g_wakes_later;
    for (; n > 8; n--)
        wake_now(g_wake_later[n - 1], g_wake_token_later[n - 1]);
    for (int i = 0; i < n; i++)
        es[i] = g_wake_later[i], tokens[i] = g_wake_token_later[i];
    g_wakes_later = 0;
    table_mutex_unlock((uint32_t *)&g_table->lock.locked);
    for (int i = 0; i < n; i++)
        wake_now(es[i], tokens[i]);
}

/* Live processes hold the lowest slots (alloc_locked), so a search for one
 * ends early; only a pid that is gone costs the whole (4 KiB) array. */
LIBOS_FORK_TEXT static struct proc_entry *find_locked(uint32_t pid) {
    if (!pid)
        return NULL;
    for (int i = 0; i < PROC_SLOTS; i++)
        if (g_table->pid_of[i] == pid)
            return &g_table->e[i];
    return NULL;
}

static int slot_of(const struct proc_entry *e) {
    return (int)(e - g_table->e);
}

static void free_locked(struct proc_entry *e) {
    g_table->pid_of[slot_of(e)] = 0;
    e->state = PS_FREE;
    e->pid = 0;
}

/* A fresh entry for pid (lock held), or NULL when the table is full. */
static struct proc_entry *alloc_locked(uint32_t pid) {
    /* The lowest free slot: a fork child's first read of the table maps
     * 64 KiB around the lock (become_child), with the first slots' entries,
     * its own and its parent's among them while the processes are few. */
    for (int i = 0; i < PROC_SLOTS; i++) {
        if (g_table->pid_of[i])
            continue;
        struct proc_entry *e = &g_table->e[i];
        memset(e, 0, offsetof(struct proc_entry, mb)); /* the mailbox: by head/tail */
        e->cmdline_len = 0;
        e->exe[0] = '\0';
        e->pid = pid;
        e->state = PS_RUNNING;
        g_table->pid_of[i] = pid;
        return e;
    }
    return NULL;
}

/* Queue m for e and bump its wake word (lock held; the caller wakes).
 * Standard signals already queued merge, as pending signals do. */
LIBOS_FORK_TEXT static long post_locked(struct proc_entry *e, const struct proc_msg *m) {
    e->wake++;
    for (uint32_t i = e->mb_head; m->type == M_SIGNAL && m->sig < 32 && i != e->mb_tail; i++) {
        const struct proc_msg *q = &e->mb[i % MBOX_SLOTS];
        if (q->type == M_SIGNAL && q->sig == m->sig)
            return 0;
    }
    if (e->mb_tail - e->mb_head >= MBOX_SLOTS)
        return -EAGAIN; /* as a full real-time signal queue */
    e->mb[e->mb_tail++ % MBOX_SLOTS] = *m;
    return 0;
}

/* Lock held: e is woken when the lock is dropped. */
LIBOS_FORK_TEXT static void wake_entry(struct proc_entry *e) {
    for (int i = 0; i < g_wakes_later; i++)
        if (g_wake_later[i] == e && g_wake_token_later[i] == e->wake_token)
            return;
    if (g_wakes_later == DEFERRED_WAKES) {
        wake_now(e, e->wake_token); /* many targets (kill -1): at once */
        return;
    }
    g_wake_later[g_wakes_later] = e;
    g_wake_token_later[g_wakes_later++] = e->wake_token;
}

static long post_signal_locked(struct proc_entry *e, int sig) {
    struct proc_msg m = {M_SIGNAL, SI_USER, sig, g_process.pid, g_process.uid, 0};
    long r = post_locked(e, &m);
    wake_entry(e);
    return r;
}

/* Tell e's parent (if any, lock held) that e changed: code CLD_*. */
LIBOS_FORK_TEXT static void notify_parent_locked(struct proc_entry *e, int code, int status) {
    struct proc_entry *p = find_locked(e->ppid);
    if (!p || p->state == PS_ZOMBIE)
        return;
    int sig = code == CLD_EXITED || code == CLD_KILLED ? (int)e->exit_signal : SIGCHLD;
    struct proc_msg m = {M_CHILD, (uint16_t)code, sig, e->pid, e->uid, status};
    post_locked(p, &m);
    wake_entry(p);
}

static void exit_code_of(int wait_status, int *code, int *status) {
    bool killed = (wait_status & 0x7f) != 0;
    *code = killed ? CLD_KILLED : CLD_EXITED;
    *status = killed ? (wait_status & 0x7f) : (wait_status >> 8) & 0xff;
}

/* e ended with wait_status (lock held): it waits as a zombie for its
 * parent (or goes at once if it has none), and its children move to the
 * first process. */
LIBOS_FORK_TEXT static void exit_locked(struct proc_entry *e, int wait_status) {
    uint32_t pid = e->pid;
    if (g_table->init_pid == pid)
        g_table->init_pid = 0;
    struct proc_entry *init = find_locked(g_table->init_pid);
    for (int i = 0; i < PROC_SLOTS; i++) {
        struct proc_entry *c = &g_table->e[i];
        if (!g_table->pid_of[i] || c->ppid != pid)
            continue;
        c->ppid = init ? init->pid : 0;
        if (c->state != PS_ZOMBIE)
            continue;
        if (init) {
            int code, status;
            exit_code_of(c->wait_status, &code, &status);
            notify_parent_locked(c, code, status);
        } else {
            free_locked(c); /* nobody will wait for it */
        }
    }
    if (e->state != PS_ZOMBIE && g_table->live)
        g_table->live--;
    e->state = PS_ZOMBIE;
    e->wait_status = wait_status;
    e->nthreads = 0;
    struct proc_entry *p = find_locked(e->ppid);
    if (!p || p->state == PS_ZOMBIE) {
        free_locked(e);
        return;
    }
    int code, status;
    exit_code_of(wait_status, &code, &status);
    notify_parent_locked(e, code, status);
}

static uint64_t now_ns(void) {
    uint64_t t = 0;
    pal_time_get(PAL_CLOCK_MONOTONIC, &t);
    return t;
}

static void fill_ids(struct proc_entry *e) {
    e->uid = g_process.uid;
    e->gid = g_process.gid;
    e->euid = g_process.euid;
    e->egid = g_process.egid;
}

long libos_proc_init(void) {
    size_t size = ALIGN_UP(sizeof(struct proc_table), LIBOS_PAGE_SIZE);
    pal_handle_t *h;
    int r = pal_stream_open("memfd:sabot-proc", PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &h);
    if (r == 0)
        r = pal_stream_set_length(h, size);
    void *addr = NULL;
    if (r == 0)
        r = pal_stream_map(h, &addr, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_SHARED, 0, size);
    if (r < 0)
        return libos_errno_from_pal(r);
    g_table_handle = h;
    g_table = addr;
    g_table->last_pid = g_process.pid;
    g_table->init_pid = g_process.pid;
    g_table->tty_sid = g_process.sid; /* the console is the first session's terminal */
    g_table->fg_pgid = g_process.pgid;
    g_me = alloc_locked(g_process.pid);
    g_me->pgid = g_process.pgid;
    g_me->sid = g_process.sid;
    g_me->nthreads = 1;
    g_me->exit_signal = SIGCHLD;
    g_me->start_ns = now_ns();
    g_me->wake_token = pal_process_wake_token();
    fill_ids(g_me);
    g_table->live = 1;
    return 0;
}

pal_handle_t *libos_proc_table_handle(void) {
    return g_table_handle;
}

static void start_mailbox(void);
static void publish_wake_token(void);

/* Take our entry (found by g_process.pid) and say how to wake us. */
static long adopt_entry(void) {
    table_lock();
    g_me = find_locked(g_process.pid);
    if (g_me) {
        g_process.ppid = g_me->ppid;
        g_process.pgid = g_me->pgid;
        g_process.sid = g_me->sid;
    }
    table_unlock();
    if (!g_me)
        return -ESRCH;
    g_mailbox_state = 0;
    publish_wake_token();
    return 0;
}

long libos_proc_table_attach(pal_handle_t *h) {
    size_t size = ALIGN_UP(sizeof(struct proc_table), LIBOS_PAGE_SIZE);
    void *addr = NULL;
    int r = pal_stream_map(h, &addr, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_SHARED, 0, size);
    if (r < 0)
        return libos_errno_from_pal(r);
    if (g_table) { /* the one libos_proc_init made before we knew better */
        pal_mem_free(g_table, size);
        pal_stream_close(g_table_handle);
    }
    g_table_handle = h;
    g_table = addr;
    g_me = NULL;
    return adopt_entry();
}

void libos_proc_restored(uint32_t pid, uint32_t ppid, pal_handle_t *parent) {
    g_process.pid = pid;
    g_process.ppid = ppid;
    g_parent_stream = parent;
    if (g_table && (!g_me || g_me->pid != pid))
        adopt_entry();
}

uint32_t libos_alloc_pid(void) {
    return __atomic_add_fetch(&g_table->last_pid, 1, __ATOMIC_RELAXED);
}

uint32_t libos_proc_ppid(void) {
    return g_me ? __atomic_load_n(&g_me->ppid, __ATOMIC_RELAXED) : g_process.ppid;
}

uint32_t libos_proc_pgid(void) {
    return g_me ? __atomic_load_n(&g_me->pgid, __ATOMIC_RELAXED) : g_process.pgid;
}

uint32_t libos_proc_sid(void) {
    return g_me ? __atomic_load_n(&g_me->sid, __ATOMIC_RELAXED) : g_process.sid;
}

void libos_proc_ids_changed(void) {
    if (g_me)
        fill_ids(g_me);
}

/* A vfork child that execs lets its parent go on (its exit does too,
 * through the exit report). Lock held. */
static void release_vfork_parent_locked(void) {
    if (!g_me->vfork_held)
        return;
    g_me->vfork_held = 0;
    struct proc_entry *p = find_locked(g_me->ppid);
    struct proc_msg m = {M_WAKE, 0, 0, g_me->pid, g_me->uid, 0};
    if (p && post_locked(p, &m) == 0)
        wake_entry(p);
}

void libos_proc_exec(const char *exe, const char *args, size_t args_len, const char *comm) {
    if (!g_me)
        return;
    table_lock();
    libos_strlcpy(g_me->exe, exe, sizeof(g_me->exe));
    libos_strlcpy(g_me->comm, comm, sizeof(g_me->comm));
    g_me->cmdline_len = MIN(args_len, sizeof(g_me->cmdline));
    memcpy(g_me->cmdline, args, g_me->cmdline_len);
    if (g_me->cmdline_len == sizeof(g_me->cmdline))
        g_me->cmdline[sizeof(g_me->cmdline) - 1] = '\0';
    g_me->execed = 1;
    release_vfork_parent_locked();
    table_unlock();
}

LIBOS_FORK_TEXT void libos_reset_locks_after_fork(void) {
    g_process.lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_links_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_drain_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_child_waitq = (struct libos_waitq)LIBOS_WAITQ_INIT;
    libos_futex_after_fork();
    libos_fd_after_fork();
    libos_vdso_after_fork();
}

/* A reaped child's fork stream is no longer needed. */
static void drop_link(uint32_t pid) {
    struct child_link *gone = NULL;
    libos_lock(&g_links_lock);
    for (struct child_link **pp = &g_links; *pp; pp = &(*pp)->next)
        if ((*pp)->pid == pid) {
            gone = *pp;
            *pp = gone->next;
            break;
        }
    libos_unlock(&g_links_lock);
    if (gone) {
        pal_stream_close(gone->stream);
        link_free(gone);
    }
}

/* ------------------------------------------------------------- mailbox */

static bool auto_reap(void) {
    struct linux_sigaction *sa = &g_process.sigactions[SIGCHLD - 1];
    return sa->handler == SIG_IGN || (sa->flags & SA_NOCLDWAIT);
}

/* SIGCONT (report: tell the parent) or SIGKILL end a stop. */
static void resume(bool report) {
    table_lock();
    if (g_me->state == PS_STOPPED) {
        g_me->state = PS_RUNNING;
        if (report) {
            g_me->report = REP_CONTINUED;
            notify_parent_locked(g_me, CLD_CONTINUED, SIGCONT);
        }
    }
    table_unlock();
    __atomic_store_n(&g_stopped, 0, __ATOMIC_RELEASE);
    pal_addr_wake(&g_stopped, INT32_MAX);
}

static void signal_arrived(const struct proc_msg *m) {
    if (m->sig < 1 || m->sig > LINUX_NSIG)
        return;
    struct linux_siginfo si = {.si_signo = m->sig, .si_code = SI_USER};
    si.kill.pid = m->pid;
    si.kill.uid = m->uid;
    /* Linux: SIGCONT drops pending stop signals, a stop signal drops a
     * pending SIGCONT. */
    uint64_t stops = SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU);
    uint64_t drop = m->sig == SIGCONT ? stops : (stops & SIGBIT(m->sig)) ? SIGBIT(SIGCONT) : 0;
    struct linux_siginfo old;
    while (drop && libos_signal_dequeue(drop, &old) == 0)
        ;
    libos_signal_send_process(&si); /* pending before the stopped thread runs on */
    if (m->sig == SIGCONT || m->sig == SIGKILL)
        resume(m->sig == SIGCONT);
}

static void child_changed(const struct proc_msg *m) {
    bool ended = m->code == CLD_EXITED || m->code == CLD_KILLED;
    if (ended && auto_reap()) {
        table_lock();
        struct proc_entry *c = find_locked(m->pid);
        bool reaped = c && c->ppid == g_process.pid && c->state == PS_ZOMBIE;
        if (reaped)
            free_locked(c);
        table_unlock();
        if (reaped)
            drop_link(m->pid);
    }
    struct linux_sigaction *sa = &g_process.sigactions[SIGCHLD - 1];
    bool quiet = !ended && (sa->flags & SA_NOCLDSTOP);
    if (m->sig && !quiet) {
        struct linux_siginfo si = {.si_signo = m->sig, .si_code = m->code};
        si.kill.pid = m->pid;
        si.kill.uid = m->uid;
        /* si_status follows si_uid in the kernel's sigchld layout */
        ((int32_t *)&si.kill)[2] = m->status;
        libos_signal_send_process(&si);
    }
    libos_waitq_wake_all(&g_child_waitq);
}

/* Act on what other processes posted: signals, child changes. A woken
 * wait or interrupt does it (or the mailbox thread), and wait() first, so
 * a child's SIGCHLD is raised before wait can return it (as on Linux). */
LIBOS_FORK_TEXT static bool drain_mailbox(void) {
    struct proc_msg msgs[8]; /* a few at a time: a shallow stack */
    size_t n, total = 0;
    libos_lock(&g_drain_lock); /* messages act in the order they came */
    do {
        n = 0;
        table_lock();
        while (n < 8 && g_me->mb_head != g_me->mb_tail)
            msgs[n++] = g_me->mb[g_me->mb_head++ % MBOX_SLOTS];
        table_unlock();
        for (size_t i = 0; i < n; i++) {
            if (msgs[i].type == M_SIGNAL)
                signal_arrived(&msgs[i]);
            else if (msgs[i].type == M_CHILD)
                child_changed(&msgs[i]);
            else if (msgs[i].type == M_WAKE)
                libos_waitq_wake_all(&g_child_waitq);
        }
        total += n;
    } while (n == 8);
    libos_unlock(&g_drain_lock);
    return total != 0;
}

LIBOS_FORK_TEXT static bool mail_waiting(void) {
    struct proc_entry *me = g_me;
    return me && __atomic_load_n(&me->mb_head, __ATOMIC_ACQUIRE) !=
                     __atomic_load_n(&me->mb_tail, __ATOMIC_ACQUIRE);
}

LIBOS_FORK_TEXT void libos_proc_mailbox_poll(void) {
    if (mail_waiting())
        drain_mailbox();
}

static int mailbox_main(void *arg) {
    for (;;) {
        uint32_t seen = __atomic_load_n(&g_me->wake, __ATOMIC_ACQUIRE);
        if (!drain_mailbox())
            pal_addr_wait(&g_me->wake, seen, NULL);
    }
    return 0;
}

/* Only processes that forked (or were forked) can get messages: without
 * process wakes the first process starts its mailbox thread at its first
 * fork, others at their start. */
LIBOS_FORK_TEXT static void start_mailbox(void) {
    if (g_me && g_me->wake_token)
        return;
    int expected = 0;
    if (__atomic_compare_exchange_n(&g_mailbox_state, &expected, 1, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE) &&
        libos_thread_create_internal(mailbox_main, NULL) < 0)
        log_error("cannot start the mailbox thread: signals from other processes are lost");
}

/* Our entry names us for pal_process_wake (set under the lock: a sender
 * either sees the token or posted before it, which the poll below sees). */
LIBOS_FORK_TEXT static void publish_wake_token(void) {
    uint64_t token = pal_process_wake_token();
    table_lock();
    g_me->wake_token = token;
    table_unlock();
    start_mailbox();
    libos_proc_mailbox_poll();
}

/* ---------------------------------------------------------------- fork */

/* The child's side: only this thread exists now. */
LIBOS_FORK_TEXT static void become_child(struct proc_entry *e, pal_handle_t *stream) {
    /* The shared table is not copied by the host fork: its pages come back
     * by faults. A read first maps 64 KiB around the lock, with the low
     * pids' entries, in one fault; the lock's write would map one page. */
    (void)*(volatile uint32_t *)&g_table->lock.locked;
    libos_reset_locks_after_fork();
    g_process.ppid = g_process.pid;
    g_process.pid = e->pid;
    g_process.pgid = e->pgid;
    g_process.sid = e->sid;
    g_process.sigpending = 0;
    g_parent_token = g_me ? g_me->wake_token : 0;
    g_me = e;
    for (struct child_link *c = g_links; c;) {
        struct child_link *next = c->next;
        pal_stream_close(c->stream); /* our copies of the parent's streams */
        link_free(c);
        c = next;
    }
    g_links = NULL;
    if (g_parent_stream)
        pal_stream_close(g_parent_stream);
    g_parent_stream = stream;
    g_exiting = NULL;
    g_stopped = 0;
    libos_thread_after_fork(e->pid);
    libos_timer_after_fork();
    g_mailbox_state = 0;
    publish_wake_token(); /* the parent's token is in our entry's copy */
}

/* A table entry for a new child of ours, a copy of our own. */
static long new_child(int exit_signal, struct proc_entry **out) {
    uint64_t max = g_process.rlimits[RLIMIT_NPROC].rlim_cur;
    table_lock();
    if (max != RLIM_INFINITY && g_table->live + 1 > max) {
        table_unlock();
        return -EAGAIN;
    }
    struct proc_entry *c = alloc_locked(libos_alloc_pid());
    if (!c) {
        table_unlock();
        log_warn("fork: the process table is full (%d processes)", PROC_SLOTS);
        return -EAGAIN;
    }
    c->ppid = g_process.pid;
    c->pgid = g_me->pgid;
    c->sid = g_me->sid;
    c->exit_signal = exit_signal;
    c->nthreads = 1;
    c->start_ns = now_ns();
    fill_ids(c);
    memcpy(c->comm, g_me->comm, sizeof(c->comm));
    memcpy(c->exe, g_me->exe, sizeof(c->exe));
    c->cmdline_len = g_me->cmdline_len;
    memcpy(c->cmdline, g_me->cmdline, c->cmdline_len);
    c->mb_head = c->mb_tail = 0;
    g_table->live++;
    table_unlock();
    *out = c;
    return 0;
}

static void drop_child(struct proc_entry *c) {
    table_lock();
    free_locked(c);
    g_table->live--;
    table_unlock();
}

static void add_link(struct child_link *link, uint32_t pid, pal_handle_t *stream) {
    link->pid = pid;
    link->stream = stream;
    libos_lock(&g_links_lock);
    link->next = g_links;
    g_links = link;
    libos_unlock(&g_links_lock);
    /* Another thread of ours in wait() polls the links it saw: it must
     * look again and poll this one too, where the child's wake (a byte that
     * stays in the link) may already be. */
    libos_waitq_wake_all(&g_child_waitq);
}

long libos_proc_child_prepare(int exit_signal) {
    struct proc_entry *c;
    long r = new_child(exit_signal, &c);
    if (r < 0)
        return r;
    start_mailbox();
    return c->pid;
}

void libos_proc_child_abort(uint32_t pid) {
    table_lock();
    struct proc_entry *c = find_locked(pid);
    table_unlock();
    if (c)
        drop_child(c);
}

void libos_proc_child_started(uint32_t pid, pal_handle_t *stream) {
    struct child_link *link = libos_calloc(1, sizeof(*link));
    if (link)
        add_link(link, pid, stream);
}

/* vfork: the parent goes on once the child has exec'd or ended (its
 * memory is a copy here, so this only keeps Linux's order of events).
 * Signals wait too, as on Linux. */
static void wait_vfork_child(uint32_t pid) {
    for (;;) {
        struct libos_waiter w;
        libos_waitq_add(&g_child_waitq, &w);
        table_lock();
        struct proc_entry *c = find_locked(pid);
        bool held = c && c->ppid == g_process.pid && c->vfork_held && c->state != PS_ZOMBIE;
        table_unlock();
        uint64_t tmo = 20000000; /* 20 ms: also catches a child that vanished */
        long r = held ? libos_thread_wait(0, NULL, NULL, NULL, &tmo) : 0;
        libos_waitq_remove(&g_child_waitq, &w);
        if (!held)
            return;
        if (r == -EINTR) { /* a pending signal: do not spin */
            uint64_t us = 1000;
            pal_event_wait(NULL, &us);
        }
    }
}

LIBOS_FORK_TEXT long libos_fork(unsigned long flags, uint64_t newsp, int *ptid, int *ctid,
                                uint64_t tls) {
    struct libos_thread *self = libos_current_thread();
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* a second process sharing our memory: not on a host fork */
    int exit_signal = flags & CSIGNAL;
    if (exit_signal > LINUX_NSIG)
        return -EINVAL;
    if ((flags & CLONE_PARENT_SETTID) && !libos_user_range_ok(ptid, 4, true))
        return -EFAULT;
    /* The link is made before the fork, where failing is still clean. */
    struct child_link *link = link_new();
    if (!link)
        return -ENOMEM;
    struct proc_entry *c;
    long err = new_child(exit_signal, &c);
    if (err < 0) {
        link_free(link);
        return err;
    }
    uint32_t pid = c->pid;
    c->vfork_held = (flags & CLONE_VFORK) != 0; /* set before the child can run */
    start_mailbox(); /* before the fork: the child may signal us at once */
    pal_handle_t *stream;
    int r = -PAL_ERR_NOTIMPLEMENTED;
    if (!g_manifest->fork_checkpoint) {
        /* No other thread may be inside an mm call (its locks, the VMA
         * table) or hold the heap across the host fork. */
        libos_mm_freeze();
        libos_malloc_fork_lock();
        r = pal_process_fork(&stream);
        libos_malloc_fork_unlock();
        if (r == 0)
            libos_mm_after_fork();
        else
            libos_mm_thaw();
    }
    if (r == -PAL_ERR_NOTIMPLEMENTED) { /* the portable path: a new instance */
        struct ck_fork_args a = {
            .newsp = newsp,
            .set_tls = flags & CLONE_SETTLS,
            .tls = tls,
            .set_child_tid = (flags & CLONE_CHILD_SETTID) ? ctid : NULL,
            .clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL,
        };
        long e = libos_checkpoint_fork(pid, &a, &stream);
        if (e < 0) {
            link_free(link);
            drop_child(c);
            return e;
        }
        r = 1;
    }
    if (r < 0) {
        link_free(link);
        drop_child(c);
        return r == -PAL_ERR_NOTIMPLEMENTED ? -ENOSYS : libos_errno_from_pal(r);
    }
    if (r == 0) {
        /* Our own link is the parent's. One from the heap stays our spare:
         * freeing it would write its page, a copy-on-write fault. */
        if (link == &g_hot_link)
            link_free(link);
        else
            g_spare_link = link;
        become_child(c, stream);
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
    add_link(link, pid, stream);
    if (flags & CLONE_VFORK)
        wait_vfork_child(pid);
    libos_proc_mailbox_poll(); /* a wake may have ended the checkpoint's waits */
    return pid;
}

long libos_sys_fork(void) {
    return libos_fork(SIGCHLD, 0, NULL, NULL, 0);
}

long libos_sys_vfork(void) {
    /* A copy instead of shared memory: correct for the exec-or-exit child
     * vfork allows; the parent waits for that exec or exit. */
    return libos_fork(CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0);
}

/* The sandbox is a pid namespace: when its first process ends, every other
 * process gets SIGKILL, and the first one's own end (what `sabot run`
 * waits for) comes once they are gone, as Linux's init of a namespace.
 * Bounded, so a process that cannot be made to go does not hold it. */
static void end_the_others(void) {
    for (int ms = 0; ms < 2000; ms++) {
        if (ms % 100 == 0) /* kill(-1): all but us; again now and then for forks in flight */
            libos_proc_kill(-1, SIGKILL);
        if (__atomic_load_n(&g_table->live, __ATOMIC_ACQUIRE) <= 1) /* we still count */
            return;
        uint64_t us = 1000;
        pal_event_wait(NULL, &us);
    }
    log_warn("exit: processes of the sandbox still there 2 s after SIGKILL");
}

LIBOS_FORK_TEXT void libos_proc_report_exit(int wait_status) {
    if (!g_table)
        return;
    struct libos_thread *self = libos_current_thread();
    struct libos_thread *none = NULL;
    if (!__atomic_compare_exchange_n(&g_exiting, &none, self, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE) &&
        none != self)
        for (;;) /* another thread is ending the process */
            pal_event_wait(NULL, NULL);
    if (g_me && g_me->pid == g_table->init_pid)
        end_the_others();
    table_lock();
    exit_locked(g_me, wait_status);
    table_unlock();
}

LIBOS_FORK_TEXT void libos_proc_exiting(void) {}

/* ------------------------------------------------------------ signals */

static bool in_group(const struct proc_entry *e, int pid, uint32_t group) {
    if (pid == -1) /* everyone but the first process and ourselves */
        return e->pid != g_table->init_pid && e->pid != g_process.pid && e->pid != 1;
    return e->pgid == group;
}

long libos_proc_kill(int pid, int sig) {
    struct linux_siginfo si = {.si_signo = sig, .si_code = SI_USER};
    si.kill.pid = g_process.pid;
    si.kill.uid = g_process.uid;
    if (pid > 0 && (uint32_t)pid != g_process.pid) {
        table_lock();
        struct proc_entry *e = find_locked((uint32_t)pid);
        long r = !e ? -ESRCH : !sig || e->state == PS_ZOMBIE ? 0 : post_signal_locked(e, sig);
        table_unlock();
        if (r != -ESRCH)
            return r;
        /* One of our own threads: the process gets it. */
        struct libos_thread *t = libos_thread_find((uint32_t)pid);
        if (!t)
            return -ESRCH;
        libos_thread_put(t);
        pid = (int)g_process.pid;
    }
    if (pid > 0) {
        if (sig)
            libos_signal_send_process(&si);
        return 0;
    }
    uint32_t group = pid == 0 ? libos_proc_pgid() : (uint32_t)-pid;
    bool self = false;
    long found = 0;
    table_lock();
    for (int i = 0; i < PROC_SLOTS; i++) {
        struct proc_entry *e = &g_table->e[i];
        if (!g_table->pid_of[i] || !in_group(e, pid, group))
            continue;
        found++;
        if (e == g_me)
            self = true;
        else if (sig && e->state != PS_ZOMBIE)
            post_signal_locked(e, sig);
    }
    table_unlock();
    if (self && sig)
        libos_signal_send_process(&si);
    return found ? 0 : -ESRCH;
}

/* ------------------------------------------------------- stop/continue */

/* The other threads stop too: those in app code are interrupted and wait
 * in libos_proc_stopped_wait; those blocked in a call stay blocked. */
static void kick_to_stop(struct libos_thread *t, void *self) {
    if (t != self && !t->exited && t->pal_thread)
        pal_thread_interrupt(t->pal_thread);
}

LIBOS_FORK_TEXT static bool sigkill_pending(void) {
    return libos_signal_pending_set() & SIGBIT(SIGKILL);
}

/* The SIGCONT may be in our own mailbox: a wake ends the wait, which
 * then looks (other stopped threads notice the resume within a slice). */
LIBOS_FORK_TEXT void libos_proc_stopped_wait(void) {
    for (;;) {
        libos_proc_mailbox_poll();
        if (!__atomic_load_n(&g_stopped, __ATOMIC_ACQUIRE) || sigkill_pending())
            return;
        if (!g_me || !g_me->wake_token) {
            pal_addr_wait(&g_stopped, 1, NULL);
            continue;
        }
        uint64_t us = 10000;
        pal_event_wait(NULL, &us);
    }
}

bool libos_proc_stop(int sig) {
    if (!g_me || (!g_me->wake_token && !__atomic_load_n(&g_mailbox_state, __ATOMIC_ACQUIRE)))
        return false; /* nobody in the sandbox could continue us */
    table_lock();
    struct proc_entry *p = find_locked(g_me->ppid);
    if (!p || p->state == PS_ZOMBIE) {
        table_unlock();
        return false;
    }
    __atomic_store_n(&g_stopped, 1, __ATOMIC_RELEASE);
    g_me->state = PS_STOPPED;
    g_me->stop_sig = sig;
    g_me->report = REP_STOPPED;
    notify_parent_locked(g_me, CLD_STOPPED, sig);
    table_unlock();
    libos_thread_for_each(kick_to_stop, libos_current_thread());
    libos_proc_stopped_wait();
    return true;
}

/* ------------------------------------------------------------------ wait */

static bool matches(const struct proc_entry *e, int idtype, uint32_t id) {
    return idtype == P_ALL || (idtype == P_PID && e->pid == id) ||
           (idtype == P_PGID && e->pgid == id);
}

/* A child whose host process is gone without a report was killed from
 * outside: it ends as if by SIGKILL. */
static void check_links(size_t n, pal_handle_t **hs, const uint32_t *rev) {
    for (size_t i = 0; i < n; i++) {
        if (!rev[i])
            continue;
        char b[16];
        long got = pal_stream_read(hs[i], PAL_OFFSET_NONE, b, sizeof(b));
        if (got > 0 || got == -PAL_ERR_AGAIN)
            continue; /* wakes from the child (wake_parent_by_link), or none */
        libos_lock(&g_links_lock);
        for (struct child_link **pp = &g_links; *pp; pp = &(*pp)->next) {
            struct child_link *c = *pp;
            if (c->stream != hs[i])
                continue;
            *pp = c->next;
            table_lock();
            struct proc_entry *e = find_locked(c->pid);
            if (e && e->ppid == g_process.pid && e->state != PS_ZOMBIE)
                exit_locked(e, SIGKILL);
            table_unlock();
            pal_stream_close(c->stream);
            link_free(c);
            break;
        }
        libos_unlock(&g_links_lock);
    }
}

struct wait_result {
    uint32_t pid, uid;
    int status; /* Linux wait status */
    int code;   /* CLD_* */
};

/* 1 (res filled) if child c has a state change for this wait, else 0. */
static long child_report(struct proc_entry *c, int options, struct wait_result *res) {
    res->pid = c->pid;
    res->uid = c->uid;
    bool keep = options & WNOWAIT;
    if ((options & WEXITED) && c->state == PS_ZOMBIE) {
        int status;
        exit_code_of(c->wait_status, &res->code, &status);
        res->status = c->wait_status;
        if (!keep)
            free_locked(c);
        return 1;
    }
    if ((options & WUNTRACED) && c->state == PS_STOPPED && (c->report & REP_STOPPED)) {
        res->code = CLD_STOPPED;
        res->status = (c->stop_sig << 8) | 0x7f;
        if (!keep)
            c->report = 0;
        return 1;
    }
    if ((options & WCONTINUED) && (c->report & REP_CONTINUED)) {
        res->code = CLD_CONTINUED;
        res->status = 0xffff;
        if (!keep)
            c->report = 0;
        return 1;
    }
    return 0;
}

/* One pass over our children (lock held): 1 with *res filled, 0 if some
 * child may still change, -ECHILD if none matches. */
static long scan_children(int idtype, uint32_t id, int options, struct wait_result *res) {
    if (idtype == P_PID) { /* one slot to look at, not the table */
        struct proc_entry *c = find_locked(id);
        return c && c->ppid == g_process.pid ? child_report(c, options, res) : -ECHILD;
    }
    bool any = false;
    for (int i = 0; i < PROC_SLOTS; i++) {
        struct proc_entry *c = &g_table->e[i];
        if (!g_table->pid_of[i] || c->ppid != g_process.pid || !matches(c, idtype, id))
            continue;
        any = true;
        if (child_report(c, options, res))
            return 1;
    }
    return any ? 0 : -ECHILD;
}

/* A child that ends at once (fork then _exit, a short command) posts its
 * report some tens of microseconds after the fork, and sleeping for it can
 * cost more than that where waking an idle CPU is slow: a VM's halted vCPU
 * took ~20 us here (docs/benchmarks.md). So, with a CPU to spare for the
 * child, a waiter first watches its mailbox for up to WAIT_SPIN_NS before it
 * sleeps, as a guest kernel's halt-polling does; a longer child costs the
 * waiter that much CPU once per wait. */
#define WAIT_SPIN_NS 50000

static void spin_for_mailbox(void) {
    if (!g_me || !g_boot || g_boot->host.cpu_count < 2)
        return;
    uint64_t start = now_ns();
    for (unsigned i = 1;; i++) {
        if (mail_waiting())
            return;
        __builtin_ia32_pause();
        if (i % 32 == 0 && (libos_signal_pending() || now_ns() - start >= WAIT_SPIN_NS))
            return;
    }
}

static long wait_child(int idtype, uint32_t id, int options, struct wait_result *res) {
    struct libos_waiter w;
    for (;;) {
        libos_waitq_add(&g_child_waitq, &w);
        drain_mailbox();
        table_lock();
        long r = scan_children(idtype, id, options, res);
        table_unlock();
        if (r == 0 && !(options & WNOHANG)) {
            pal_handle_t *hs[16];
            uint32_t ev[16], rev[16] = {0};
            size_t n = 0;
            libos_lock(&g_links_lock);
            struct child_link *c = g_links;
            for (; c && n < 16; c = c->next) {
                hs[n] = c->stream;
                ev[n++] = PAL_WAIT_READ | PAL_WAIT_HANGUP;
            }
            libos_unlock(&g_links_lock);
            /* Children may wake us by their links if we poll all of them
             * (a link added since wakes us to poll it too: add_link). */
            bool by_link = c == NULL && g_me;
            if (by_link)
                __atomic_add_fetch(&g_me->link_waiters, 1, __ATOMIC_SEQ_CST);
            spin_for_mailbox();
            r = libos_thread_wait(n, hs, ev, rev, NULL);
            if (by_link) {
                __atomic_sub_fetch(&g_me->link_waiters, 1, __ATOMIC_SEQ_CST);
                libos_thread_poll_mailbox();
            }
            if (r > 0)
                check_links(n, hs, rev);
            r = r == -EINTR ? -ERESTARTSYS : 2; /* 2: look again */
        }
        libos_waitq_remove(&g_child_waitq, &w);
        if (r == 1 && res->code <= CLD_KILLED && !(options & WNOWAIT))
            drop_link(res->pid);
        if (r != 2)
            return r;
    }
}

long libos_sys_wait4(int pid, int *wstatus, int options, void *rusage) {
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
        return -EINVAL;
    if ((wstatus && !libos_user_range_ok(wstatus, 4, true)) ||
        (rusage && !libos_user_range_ok(rusage, 144, true)))
        return -EFAULT;
    if (pid == INT32_MIN)
        return -ESRCH;
    int idtype = pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID;
    uint32_t id = pid > 0 ? (uint32_t)pid : pid == 0 ? libos_proc_pgid() : (uint32_t)-pid;
    struct wait_result res;
    long r = wait_child(idtype, id, options | WEXITED, &res);
    if (r <= 0)
        return r;
    if (wstatus)
        *wstatus = res.status;
    if (rusage)
        memset(rusage, 0, 144);
    return res.pid;
}

long libos_sys_waitid(int idtype, int id, struct linux_siginfo *info, int options, void *rusage) {
    if (idtype < P_ALL || idtype > P_PGID ||
        (options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT | __WALL | __WCLONE)) ||
        !(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (info && !libos_user_range_ok(info, sizeof(*info), true))
        return -EFAULT;
    if (idtype == P_PGID && id == 0)
        id = (int)libos_proc_pgid();
    struct wait_result res;
    long r = wait_child(idtype, (uint32_t)id, options, &res);
    if (r < 0)
        return r;
    if (info) {
        memset(info, 0, sizeof(*info));
        if (r > 0) {
            info->si_signo = SIGCHLD;
            info->si_code = res.code;
            info->kill.pid = res.pid;
            info->kill.uid = res.uid;
            int status = res.code == CLD_EXITED    ? (res.status >> 8) & 0xff
                         : res.code == CLD_KILLED  ? res.status & 0x7f
                         : res.code == CLD_STOPPED ? (res.status >> 8) & 0xff
                                                   : SIGCONT;
            ((int32_t *)&info->kill)[2] = status;
        }
    }
    return 0;
}

/* ------------------------------------------------- groups and sessions */

static long lookup_field(int pid, size_t off) {
    if (pid < 0)
        return -EINVAL;
    if (pid == 0 || (uint32_t)pid == g_process.pid)
        pid = (int)g_process.pid;
    table_lock();
    struct proc_entry *e = find_locked((uint32_t)pid);
    long r = e ? (long)*(uint32_t *)((char *)e + off) : -ESRCH;
    table_unlock();
    return r;
}

long libos_proc_getpgid(int pid) {
    return lookup_field(pid, offsetof(struct proc_entry, pgid));
}

long libos_proc_getsid(int pid) {
    return lookup_field(pid, offsetof(struct proc_entry, sid));
}

static bool group_in_session_locked(uint32_t pgid, uint32_t sid) {
    for (int i = 0; i < PROC_SLOTS; i++)
        if (g_table->pid_of[i] && g_table->e[i].pgid == pgid && g_table->e[i].sid == sid &&
            g_table->e[i].state != PS_ZOMBIE)
            return true;
    return false;
}

/* Linux's rules: ourselves or a child of ours in our session that has not
 * exec'd; never a session leader; into a group of our session (or a new
 * group named after the target). */
static long setpgid_locked(uint32_t target, uint32_t group) {
    struct proc_entry *e = find_locked(target);
    if (!e || (e != g_me && e->ppid != g_process.pid))
        return -ESRCH;
    if (e != g_me && e->sid != g_me->sid)
        return -EPERM;
    if (e != g_me && e->execed)
        return -EACCES;
    if (e->sid == e->pid)
        return -EPERM;
    if (group != target && !group_in_session_locked(group, g_me->sid))
        return -EPERM;
    e->pgid = group;
    if (e == g_me)
        g_process.pgid = group;
    return 0;
}

long libos_proc_setpgid(int pid, int pgid) {
    if (pid < 0 || pgid < 0)
        return -EINVAL;
    uint32_t target = pid ? (uint32_t)pid : g_process.pid;
    table_lock();
    long r = setpgid_locked(target, pgid ? (uint32_t)pgid : target);
    table_unlock();
    return r;
}

long libos_proc_setsid(void) {
    uint32_t me = g_process.pid;
    table_lock();
    bool leader = false;
    for (int i = 0; i < PROC_SLOTS && !leader; i++)
        leader = g_table->pid_of[i] && g_table->e[i].pgid == me;
    if (!leader) {
        g_me->sid = g_me->pgid = me;
        g_process.sid = g_process.pgid = me;
    }
    table_unlock();
    return leader ? -EPERM : (long)me;
}

/* ----------------------------------------------------- job control (tty) */

static bool sig_blocked_or_ignored(int sig) {
    return (libos_current_thread()->sigmask & SIGBIT(sig)) ||
           g_process.sigactions[sig - 1].handler == SIG_IGN;
}

/* A background group touching the terminal gets sig (SIGTTOU/SIGTTIN) and
 * the call restarts once it is in the foreground; 1 if we may go on. */
static long background_check(int sig, bool ignored_ok) {
    uint32_t pgid = libos_proc_pgid();
    table_lock();
    bool bg = g_table->tty_sid == g_me->sid && g_table->fg_pgid && g_table->fg_pgid != pgid;
    table_unlock();
    if (!bg)
        return 1;
    if (sig_blocked_or_ignored(sig))
        return ignored_ok ? 1 : -EIO;
    libos_proc_kill(-(int)pgid, sig);
    return -ERESTARTSYS;
}

bool libos_proc_tty_background(void) {
    return g_table && g_table->fg_pgid && g_table->tty_sid == g_me->sid &&
           g_table->fg_pgid != g_me->pgid;
}

long libos_proc_tty_read_check(void) {
    if (!g_table)
        return 0;
    long r = background_check(SIGTTIN, false);
    return r == 1 ? 0 : r;
}

long libos_proc_tty_change_check(void) {
    if (!g_table)
        return 0;
    long r = background_check(SIGTTOU, true);
    return r == 1 ? 0 : r;
}

static long set_fg(uint64_t arg) {
    if (!libos_user_range_ok((void *)arg, sizeof(int), false))
        return -EFAULT;
    int pgrp = *(int *)arg;
    if (pgrp < 0)
        return -EINVAL;
    long r = background_check(SIGTTOU, true);
    if (r < 1)
        return r;
    table_lock();
    if (g_table->tty_sid != g_me->sid)
        r = -ENOTTY;
    else if (!find_locked((uint32_t)pgrp) && !group_in_session_locked((uint32_t)pgrp, g_me->sid))
        r = -ESRCH;
    else if (!group_in_session_locked((uint32_t)pgrp, g_me->sid))
        r = -EPERM;
    else
        g_table->fg_pgid = (uint32_t)pgrp, r = 0;
    table_unlock();
    return r;
}

long libos_proc_tty_ioctl(unsigned int cmd, uint64_t arg) {
    long r = 0;
    if (cmd == TIOCSPGRP)
        return set_fg(arg);
    if ((cmd == TIOCGPGRP || cmd == TIOCGSID) && !libos_user_range_ok((void *)arg, 4, true))
        return -EFAULT;
    table_lock();
    bool ours = g_table->tty_sid && g_table->tty_sid == g_me->sid;
    switch (cmd) {
    case TIOCGPGRP:
    case TIOCGSID:
        if (!ours)
            r = -ENOTTY;
        else
            *(int *)arg = (int)(cmd == TIOCGPGRP ? g_table->fg_pgid : g_table->tty_sid);
        break;
    case TIOCSCTTY:
        if (ours)
            break;
        if (g_me->sid != g_process.pid || g_table->tty_sid)
            r = -EPERM; /* only a session leader, and the console has one owner */
        else
            g_table->tty_sid = g_me->sid, g_table->fg_pgid = g_me->pgid;
        break;
    case TIOCNOTTY:
        if (!ours)
            r = -ENOTTY;
        else if (g_me->sid == g_process.pid)
            g_table->tty_sid = g_table->fg_pgid = 0; /* the leader gives it up */
        break;
    default:
        r = -ENOTTY;
    }
    table_unlock();
    return r;
}

/* ---------------------------------------------------------- for /proc */

long libos_proc_info(uint32_t pid, struct libos_proc_info *out) {
    if (!g_table)
        return -ESRCH;
    table_lock();
    struct proc_entry *e = find_locked(pid);
    if (e) {
        out->pid = e->pid, out->ppid = e->ppid, out->pgid = e->pgid, out->sid = e->sid;
        out->uid = e->uid, out->gid = e->gid, out->euid = e->euid, out->egid = e->egid;
        out->state = e->state == PS_STOPPED  ? LIBOS_PROC_STOPPED
                     : e->state == PS_ZOMBIE ? LIBOS_PROC_ZOMBIE
                                             : LIBOS_PROC_RUNNING;
        out->nthreads = e->nthreads;
        out->start_ns = e->start_ns;
        memcpy(out->comm, e->comm, sizeof(out->comm));
        memcpy(out->exe, e->exe, sizeof(out->exe));
        out->cmdline_len = MIN(e->cmdline_len, sizeof(out->cmdline));
        memcpy(out->cmdline, e->cmdline, out->cmdline_len);
    }
    table_unlock();
    return e ? 0 : -ESRCH;
}

size_t libos_proc_pids(uint32_t *pids, size_t max) {
    if (!g_table) {
        if (max)
            pids[0] = g_process.pid;
        return max ? 1 : 0;
    }
    size_t n = 0;
    table_lock();
    for (int i = 0; i < PROC_SLOTS; i++) {
        uint32_t p = g_table->pid_of[i];
        if (!p)
            continue;
        size_t j = n < max ? n++ : max; /* insertion sort: the list is short */
        while (j > 0 && pids[j - 1] > p) {
            if (j < max)
                pids[j] = pids[j - 1];
            j--;
        }
        if (j < max)
            pids[j] = p;
    }
    table_unlock();
    return n;
}
