/* Threads and processes. A PAL thread is a host thread (clone with
 * CLONE_VM|CLONE_THREAD) with its own PAL TCB at GS, host signal stack and
 * Syscall User Dispatch (none of which clone inherits). Memory of exited
 * threads is reclaimed at the next creation, once the kernel has cleared
 * their tid word (CLONE_CHILD_CLEARTID). */
#include "pal_linux_tcb.h"

#define PAL_THREAD_STACK (256 * 1024)
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000

long pal_host_clone(unsigned long flags, void *stack, volatile int *ptid, volatile int *ctid,
                    void *tls, void (*start)(struct pal_handle *));

static PAL_FORK_HOT struct pal_thread_info *g_dead_threads;
static PAL_FORK_HOT long g_host_pid; /* 0: not asked yet */
static struct pal_thread_info *g_main_thread_info;
static volatile int g_dead_lock;

static void dead_lock(void) {
    while (__atomic_exchange_n(&g_dead_lock, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}
static void dead_unlock(void) {
    __atomic_store_n(&g_dead_lock, 0, __ATOMIC_RELEASE);
}

/* Free the stacks of threads the kernel has finished with. */
static void reap_dead(void) {
    dead_lock();
    struct pal_thread_info **pp = &g_dead_threads;
    while (*pp) {
        struct pal_thread_info *t = *pp;
        if (__atomic_load_n(&t->host_tid, __ATOMIC_ACQUIRE) != 0) {
            pp = &t->next_dead;
            continue;
        }
        *pp = t->next_dead;
        if (t->stack)
            host_syscall2(__NR_munmap, t->stack, t->stack_size);
        if (t->tcb) {
            host_syscall2(__NR_munmap, t->tcb->altstack, PAL_ALTSTACK_SIZE);
            pal_linux_free(t->tcb);
        }
        pal_linux_free(t);
    }
    dead_unlock();
}

static __attribute__((noreturn)) void thread_start(struct pal_handle *h) {
    struct pal_thread_info *t = h->thread;
    struct pal_linux_tcb *tcb;
    if (pal_linux_tcb_init(&tcb) < 0 || pal_linux_sud_enable() < 0) {
        static const char msg[] = "sabot: fatal: cannot set up a new thread\n";
        host_syscall3(__NR_write, 2, msg, sizeof(msg) - 1);
        host_syscall1(__NR_exit_group, 126);
    }
    tcb->thread = t;
    t->tcb = tcb;
    host_syscall2(__NR_arch_prctl, HOST_ARCH_SET_FS, 0); /* clone copied the creator's */
    /* The creator may be inside a handler (SIGSYS blocked): start clean. */
    uint64_t none = 0;
    host_syscall4(__NR_rt_sigprocmask, HOST_SIG_SETMASK, &none, 0, 8);
    t->fn(t->arg);
    pal_thread_exit(0);
}

int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out) {
    reap_dead();
    struct pal_thread_info *t = pal_linux_malloc(sizeof(*t));
    struct pal_handle *h = pal_linux_handle_new(HANDLE_THREAD, -1);
    void *stack = pal_linux_mmap_anon(PAL_THREAD_STACK);
    if (!t || !h || !stack) {
        pal_linux_free(t);
        pal_linux_handle_free(h);
        if (stack)
            host_syscall2(__NR_munmap, stack, PAL_THREAD_STACK);
        return -PAL_ERR_NOMEM;
    }
    pal_memset(t, 0, sizeof(*t));
    t->stack = stack;
    t->stack_size = PAL_THREAD_STACK;
    t->fn = fn;
    t->arg = arg;
    h->thread = t;
    /* The child pops h, then calls start(h): rsp must be 8 mod 16 at
     * start()'s entry, so h sits at 8 mod 16. */
    uint64_t *top = (uint64_t *)(stack + PAL_THREAD_STACK) - 3;
    top[0] = (uint64_t)h;
    unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    long r = pal_host_clone(flags, top, &t->host_tid, &t->host_tid, 0, thread_start);
    if (host_is_err(r)) {
        host_syscall2(__NR_munmap, stack, PAL_THREAD_STACK);
        pal_linux_free(t);
        pal_linux_handle_free(h);
        return pal_linux_err(r);
    }
    *out = h;
    return 0;
}

/* In a forked child: this thread is the only one, with a new host tid. */
PAL_FORK_TEXT void pal_linux_thread_forked(void) {
    struct pal_linux_tcb *self;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    g_host_pid = host_syscall0(__NR_gettid); /* the only thread leads the group */
    if (self && self->thread)
        self->thread->host_tid = (int)g_host_pid;
    else if (g_main_thread_info)
        g_main_thread_info->host_tid = (int)g_host_pid;
    g_dead_threads = 0; /* the parent's threads are not ours to reap */
}

int pal_linux_thread_init_main(pal_handle_t **out) {
    /* Static, not on a heap page: a fork child writes it first thing. */
    static PAL_FORK_HOT struct pal_thread_info main_info;
    struct pal_thread_info *t = &main_info;
    struct pal_handle *h = pal_linux_handle_new(HANDLE_THREAD, -1);
    if (!h)
        return -PAL_ERR_NOMEM;
    t->host_tid = (int)host_syscall0(__NR_gettid);
    h->thread = t;
    g_main_thread_info = t;
    *out = h;
    return 0;
}

int pal_thread_interrupt(pal_handle_t *h) {
    if (!h || h->kind != HANDLE_THREAD || !h->thread)
        return -PAL_ERR_BADHANDLE;
    int tid = __atomic_load_n(&h->thread->host_tid, __ATOMIC_ACQUIRE);
    if (!tid)
        return -PAL_ERR_NOTFOUND;
    long r = host_syscall3(__NR_tgkill, host_syscall0(__NR_getpid), tid, PAL_HOST_SIGWAKE);
    return host_is_err(r) ? pal_linux_err(r) : 0;
}

void pal_thread_exit(uint32_t *clear_tid) {
    if (clear_tid) {
        __atomic_store_n(clear_tid, 0, __ATOMIC_RELEASE);
        host_syscall3(__NR_futex, clear_tid, HOST_FUTEX_WAKE, 1);
    }
    /* Queue our memory for reaping; the kernel clears host_tid after the
     * thread is off its stacks. The main thread has no PAL stack. */
    struct pal_linux_tcb *self;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    struct pal_thread_info *t = self ? self->thread : 0;
    if (t) {
        dead_lock();
        t->next_dead = g_dead_threads;
        g_dead_threads = t;
        dead_unlock();
    }
    for (;;)
        host_syscall1(__NR_exit, 0);
}

void pal_thread_yield(void) {
    host_syscall0(__NR_sched_yield);
}

static int host_tid_of(pal_handle_t *h) {
    if (!h)
        return 0;
    if (h->kind != HANDLE_THREAD || !h->thread)
        return -1;
    return h->thread->host_tid;
}

int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size) {
    int tid = host_tid_of(h);
    if (tid < 0)
        return -PAL_ERR_BADHANDLE;
    return pal_linux_err(host_syscall3(__NR_sched_setaffinity, tid, size, mask));
}

int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size) {
    int tid = host_tid_of(h);
    if (tid < 0)
        return -PAL_ERR_BADHANDLE;
    long r = host_syscall3(__NR_sched_getaffinity, tid, size, mask);
    return host_is_err(r) ? pal_linux_err(r) : 0;
}

#define HOST_SIGCHLD 17

const char *g_pal_linux_child_loader;

static char *fmt_int(char *buf, long v) {
    char tmp[24];
    int n = 0;
    bool neg = v < 0;
    unsigned long u = neg ? -(unsigned long)v : (unsigned long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    char *p = buf;
    if (neg)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    *p = '\0';
    return buf;
}

static int handle_fd(pal_handle_t *h) {
    return h ? h->fd : -1;
}

/* The new instance is a fresh host process running the static child
 * loader (see pal/linux/child/): nothing of this address space survives
 * the execve, and its syscall region sits at a fixed address, so seccomp
 * filters inherited from us still hold for it. Its argv: its own path (for
 * its own children), the host fds it inherits (the stream, the log, the
 * trace), the log level, then the libos's args. */
int pal_process_create(const char *const *args, pal_handle_t **stream) {
    const char *loader = g_pal_linux_child_loader;
    if (!loader)
        return -PAL_ERR_NOTIMPLEMENTED;
    size_t nargs = 0;
    while (args && args[nargs])
        nargs++;
    if (nargs > 64)
        return -PAL_ERR_INVAL;
    pal_handle_t *mine, *theirs;
    int r = pal_stream_pair(PAL_SOCK_STREAM, 0, &mine, &theirs);
    if (r < 0)
        return r;
    const struct pal_boot_info *b = pal_linux_boot_info();
    char nums[4][24];
    const char *argv[5 + 64 + 1] = {
        loader, fmt_int(nums[0], handle_fd(theirs)), fmt_int(nums[1], handle_fd(b->log)),
        fmt_int(nums[2], handle_fd(b->trace)), fmt_int(nums[3], b->log_level)};
    for (size_t i = 0; i < nargs; i++)
        argv[5 + i] = args[i];
    argv[5 + nargs] = NULL;
    static const char *const envp[] = {NULL};

    long pid = host_syscall5(__NR_clone, HOST_SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        /* Only raw syscalls until execve: other threads' locks are void. */
        uint64_t none = 0;
        host_syscall4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &none, 0, 8);
        host_syscall3(__NR_fcntl, theirs->fd, F_SETFD, 0);
        /* The child maps the app's memory at our addresses after its own
         * first mappings. Ours were placed top-down from a random base; an
         * unlimited stack makes the kernel lay out the child bottom-up,
         * from another random base, where its own cannot land on ours.
         * (ADDR_COMPAT_LAYOUT would too, but the exec clears it where it
         * gives root back the capabilities we dropped.) The app's stack
         * limit is the libos's, not this one. */
        static const uint64_t unlimited[2] = {~0ULL, ~0ULL};
        host_syscall2(__NR_setrlimit, 3 /* RLIMIT_STACK */, unlimited);
        long e = host_syscall3(__NR_execve, loader, argv, envp);
        static const char msg[] = "sabot: cannot start the child loader: execve failed\n";
        host_syscall3(__NR_write, 2, msg, sizeof(msg) - 1);
        host_syscall1(__NR_exit_group, e == -2 ? 127 : 126);
    }
    pal_stream_close(theirs);
    if (host_is_err(pid)) {
        pal_stream_close(mine);
        return pal_linux_err(pid);
    }
    *stream = mine;
    return 0;
}

/* Host fork: the child is a copy of this process with only the calling
 * thread. The parent/child stream is a pipe (half the cost of a socket
 * pair): the parent reads, and sees a hangup once the child is gone.
 * Syscall User Dispatch does not survive fork, so the child turns it on
 * again before anything else runs. */
PAL_FORK_TEXT int pal_process_fork(pal_handle_t **stream) {
    pal_handle_t *mine = NULL, *theirs = NULL;
    int r = pal_linux_fork_link(&mine, &theirs);
    if (r < 0)
        return r;
    pal_linux_rewrite_fork_lock();
    long pid = host_syscall5(__NR_clone, HOST_SIGCHLD, 0, 0, 0, 0);
    if (pid != 0)
        pal_linux_rewrite_fork_unlock();
    if (host_is_err(pid)) {
        pal_stream_close(mine);
        pal_stream_close(theirs);
        return pal_linux_err(pid);
    }
    if (pid == 0) {
        if (pal_linux_sud_enable() < 0) {
            static const char msg[] = "sabot: fatal: no Syscall User Dispatch in a forked child\n";
            host_syscall3(__NR_write, 2, msg, sizeof(msg) - 1);
            host_syscall1(__NR_exit_group, 126);
        }
        pal_linux_thread_forked();
        pal_linux_rewrite_forked();
        pal_stream_close(mine);
        *stream = theirs;
        return 0;
    }
    pal_stream_close(theirs);
    *stream = mine;
    return 1;
}

/* The host pid: every instance of a run shares one Landlock domain, whose
 * signal scope lets them signal each other and nothing outside. */
PAL_FORK_TEXT uint64_t pal_process_wake_token(void) {
    if (!g_host_pid)
        g_host_pid = host_syscall0(__NR_getpid);
    return (uint64_t)g_host_pid;
}

/* A process-directed PAL_HOST_SIGWAKE: the kernel gives it to a thread that
 * does not block it (app code, or a libos wait's ppoll); the libos blocks
 * it elsewhere (boot.c, rewrite.c), so it waits for the next such point. */
PAL_FORK_TEXT int pal_process_wake(uint64_t token) {
    if (!token || token > 0x7fffffff)
        return -PAL_ERR_INVAL;
    long r = host_syscall2(__NR_kill, (long)token, PAL_HOST_SIGWAKE);
    if (r == -ESRCH)
        return -PAL_ERR_NOTFOUND;
    return host_is_err(r) && r != -EAGAIN ? pal_linux_err(r) : 0; /* EAGAIN: one is queued */
}

int pal_process_suspend(void) {
    /* The host SIGSTOP stops every thread; the shell sees a stopped job
     * and its SIGCONT resumes us here. */
    long r = host_syscall2(__NR_kill, host_syscall0(__NR_getpid), 19 /* SIGSTOP */);
    return pal_linux_err(r);
}

PAL_FORK_TEXT void pal_process_exit(int status) {
    for (;;)
        host_syscall1(__NR_exit_group, status);
}
