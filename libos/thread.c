/* Threads of the process: the list, waits and wakeups, creation by clone,
 * and exit. Each app thread is a PAL thread; its libos state is a
 * struct libos_thread reached through the PAL's per-thread slot. */
#include "libos_futex.h"
#include "libos_manifest.h"
#include "libos_proc.h"
#include "libos_signal.h"
#include "libos_syscalls.h"
#include "libos_time.h"

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000
#define CSIGNAL 0xff

static LIBOS_FORK_HOT struct libos_thread *g_thread_list;
static LIBOS_FORK_HOT struct libos_lock g_thread_lock = LIBOS_LOCK_INIT;
static LIBOS_FORK_HOT int
    g_app_threads; /* live app threads; the last one's exit ends the process */

void libos_thread_register(struct libos_thread *t) {
    libos_lock(&g_thread_lock);
    t->refcount++;
    t->next = g_thread_list;
    g_thread_list = t;
    if (!t->internal)
        g_app_threads++;
    libos_unlock(&g_thread_lock);
}

/* libos_thread_register for a new app thread unless the process already
 * has max (0: no limit); the check and the count share the lock, so
 * racing clones cannot overshoot sys.threads. */
static bool thread_register_capped(struct libos_thread *t, uint64_t max) {
    libos_lock(&g_thread_lock);
    bool ok = !max || (uint64_t)g_app_threads < max;
    if (ok) {
        t->refcount++;
        t->next = g_thread_list;
        g_thread_list = t;
        g_app_threads++;
    }
    libos_unlock(&g_thread_lock);
    return ok;
}

/* Removes t from the list and drops the list's reference (the caller
 * still holds its own, so t stays valid); returns the number of app
 * threads left. */
static int thread_unregister(struct libos_thread *t) {
    libos_lock(&g_thread_lock);
    for (struct libos_thread **pp = &g_thread_list; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    int left = t->internal ? g_app_threads : --g_app_threads;
    t->exited = true;
    __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL);
    libos_unlock(&g_thread_lock);
    return left;
}

struct libos_thread *libos_thread_find(uint32_t tid) {
    libos_lock(&g_thread_lock);
    struct libos_thread *t = g_thread_list;
    while (t && (t->tid != tid || t->internal))
        t = t->next;
    if (t)
        __atomic_add_fetch(&t->refcount, 1, __ATOMIC_RELAXED);
    libos_unlock(&g_thread_lock);
    return t;
}

int libos_thread_count_app(void) {
    return __atomic_load_n(&g_app_threads, __ATOMIC_RELAXED);
}

void libos_thread_put(struct libos_thread *t) {
    if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
        if (t->wake_event)
            pal_stream_close(t->wake_event);
        libos_free(t);
    }
}

/* Calls fn on every app thread (under the list lock: fn must not block). */
void libos_thread_for_each(void (*fn)(struct libos_thread *t, void *arg), void *arg) {
    libos_lock(&g_thread_lock);
    for (struct libos_thread *t = g_thread_list; t; t = t->next)
        if (!t->internal)
            fn(t, arg);
    libos_unlock(&g_thread_lock);
}

long libos_thread_init(struct libos_thread *t) {
    return libos_errno_from_pal(pal_event_create(false, true, &t->wake_event));
}

/* The forking thread's wake event, shared with the parent's thread; a fork
 * child closes it once it has its own (ensure_wake_event). */
static LIBOS_FORK_HOT pal_handle_t *g_forked_wake;

static long ensure_wake_event(struct libos_thread *t) {
    if (t->wake_event)
        return 0;
    long r = libos_thread_init(t);
    if (r == 0 && g_forked_wake) {
        pal_stream_close(g_forked_wake);
        g_forked_wake = NULL;
    }
    return r;
}

/* ------------------------------------------------------------ waiting */

void libos_waitq_add(struct libos_waitq *q, struct libos_waiter *w) {
    w->thread = libos_current_thread();
    libos_lock(&q->lock);
    w->next = q->head;
    q->head = w;
    libos_unlock(&q->lock);
}

void libos_waitq_remove(struct libos_waitq *q, struct libos_waiter *w) {
    libos_lock(&q->lock);
    for (struct libos_waiter **pp = &q->head; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    libos_unlock(&q->lock);
}

static LIBOS_FORK_HOT uint64_t g_wake_seq;

void libos_waitq_wake_all(struct libos_waitq *q) {
    __atomic_store_n(&q->seq, __atomic_add_fetch(&g_wake_seq, 1, __ATOMIC_RELAXED),
                     __ATOMIC_RELEASE);
    libos_lock(&q->lock);
    for (struct libos_waiter *w = q->head; w; w = w->next)
        libos_thread_wake(w->thread);
    libos_unlock(&q->lock);
}

/* A wake from the thread itself while libos_thread_wait polls the mailbox
 * (after its caller checked what it waits for) is a flag that wait looks
 * at: setting the event would only cost a spurious round later. */
void libos_thread_wake(struct libos_thread *t) {
    if (t == libos_current_thread() && t->in_wait_poll)
        t->self_woken = true;
    else if (t->wake_event)
        pal_event_set(t->wake_event);
}

/* libos_proc_mailbox_poll from libos_thread_wait: true if it woke us. */
static bool wait_poll(struct libos_thread *t) {
    t->self_woken = false;
    t->in_wait_poll = true;
    libos_proc_mailbox_poll();
    t->in_wait_poll = false;
    return t->self_woken;
}

bool libos_thread_poll_mailbox(void) {
    return wait_poll(libos_current_thread());
}

#define WAIT_STACK_HANDLES 8

long libos_thread_wait(size_t n, pal_handle_t *const *handles, const uint32_t *events,
                       uint32_t *revents, uint64_t *timeout_ns) {
    struct libos_thread *t = libos_current_thread();
    bool woken = wait_poll(t); /* posted before a wake that was spent elsewhere */
    if (libos_signal_pending())
        return -EINTR;
    if (woken)
        return 0; /* the poll changed what the caller waits for: re-check */
    if (ensure_wake_event(t) < 0)
        return -ENOMEM;
    libos_vdso_maybe_sync(); /* blocking anyway: keep the vDSO's rate refined */
    pal_handle_t *hs_local[WAIT_STACK_HANDLES + 1];
    uint32_t ev_local[WAIT_STACK_HANDLES + 1], rev_local[WAIT_STACK_HANDLES + 1];
    pal_handle_t **hs = hs_local;
    uint32_t *ev = ev_local, *rev = rev_local;
    if (n > WAIT_STACK_HANDLES) {
        hs = libos_malloc((n + 1) * sizeof(*hs));
        ev = libos_malloc((n + 1) * sizeof(*ev));
        rev = libos_malloc((n + 1) * sizeof(*rev));
        if (!hs || !ev || !rev) {
            libos_free(hs);
            libos_free(ev);
            libos_free(rev);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < n; i++) {
        hs[i] = handles[i];
        ev[i] = events[i];
    }
    hs[n] = t->wake_event;
    ev[n] = PAL_WAIT_READ;
    uint64_t us = 0;
    if (timeout_ns)
        us = *timeout_ns / 1000 + (*timeout_ns % 1000 != 0);
    int r = pal_wait_handles(n + 1, hs, ev, rev, timeout_ns ? &us : NULL);
    if (timeout_ns)
        *timeout_ns = us * 1000;
    long ret;
    if (r >= 0) {
        ret = 0;
        for (size_t i = 0; i < n; i++) {
            if (revents)
                revents[i] = rev[i];
            ret += rev[i] != 0;
        }
    } else if (r == -PAL_ERR_TIMEOUT) {
        ret = -ETIMEDOUT;
    } else if (r == -PAL_ERR_INTERRUPTED) {
        ret = 0; /* a host signal (maybe another process's wake): re-check below */
        wait_poll(t);
    } else {
        ret = libos_errno_from_pal(r);
    }
    if (hs != hs_local) {
        libos_free(hs);
        libos_free(ev);
        libos_free(rev);
    }
    if (ret <= 0 && ret != -ENOMEM && libos_signal_pending())
        return -EINTR;
    return ret;
}

/* ----------------------------------------------------------- creation */

struct thread_start {
    struct libos_thread *thread;
    struct pal_context ctx;
    uint64_t fs_base;
    bool has_fx;
    uint8_t fx[512] __attribute__((aligned(16)));
    int (*internal_fn)(void *);
    void *internal_arg;
};

void libos_context_jump(const struct pal_context *c, const void *fxsave) __attribute__((noreturn));

static int app_thread_main(void *arg) {
    /* Copy the start record to this (PAL) stack and free it. */
    struct thread_start s = *(struct thread_start *)arg;
    libos_free(arg);
    pal_tcb_libos_set(s.thread);
    pal_segment_base_set(PAL_SEG_FS, s.fs_base);
    libos_context_jump(&s.ctx, s.has_fx ? s.fx : NULL);
}

static int internal_thread_main(void *arg) {
    struct thread_start *s = arg;
    pal_tcb_libos_set(s->thread);
    int (*fn)(void *) = s->internal_fn;
    void *fn_arg = s->internal_arg;
    libos_free(s);
    fn(fn_arg);
    struct libos_thread *t = libos_current_thread();
    thread_unregister(t);
    libos_thread_put(t);
    pal_thread_exit(NULL);
}

/* Service threads get no tid: app-visible tids stay as Linux would number
 * them. */
static struct libos_thread *thread_alloc(bool internal) {
    struct libos_thread *t =
        libos_calloc(1, sizeof(*t) + LINUX_NSIG * sizeof(struct linux_siginfo));
    if (!t)
        return NULL;
    t->siginfo = (struct linux_siginfo *)(t + 1);
    if (libos_thread_init(t) < 0) {
        libos_free(t);
        return NULL;
    }
    t->refcount = 1;
    t->internal = internal;
    if (!internal)
        t->tid = libos_alloc_pid(); /* tids and pids share one number space */
    return t;
}

/* pal_thread_create for t, holding a reference of ours across it: the new
 * thread may exit and drop its own before the PAL stores its handle. */
static long start_pal_thread(struct libos_thread *t, pal_thread_fn fn, struct thread_start *s) {
    if (ensure_wake_event(libos_current_thread()) < 0) /* others may wake us from now on */
        return -ENOMEM;
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL);
    long r = libos_errno_from_pal(pal_thread_create(fn, s, &t->pal_thread));
    libos_thread_put(t);
    return r;
}

long libos_thread_create_internal(int (*fn)(void *), void *arg) {
    struct libos_thread *t = thread_alloc(true);
    struct thread_start *s = libos_calloc(1, sizeof(*s));
    if (!t || !s) {
        libos_free(s);
        if (t)
            libos_thread_put(t);
        return -ENOMEM;
    }
    t->sigmask = ~0ULL; /* app signals never go to service threads */
    s->thread = t;
    s->internal_fn = fn;
    s->internal_arg = arg;
    libos_thread_register(t);
    long r = start_pal_thread(t, internal_thread_main, s);
    if (r < 0) {
        thread_unregister(t);
        libos_thread_put(t);
        libos_free(s);
    }
    return r;
}

static long clone_thread(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls) {
    struct libos_thread *self = libos_current_thread();
    /* The thread-group flags glibc and musl use; anything else is a new
     * process (fork arrives with its own issue). */
    unsigned long need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
    if ((flags & need) != need || (flags & CLONE_VFORK))
        return -EINVAL;
    if ((flags & CLONE_PARENT_SETTID) && !libos_user_range_ok(ptid, 4, true))
        return -EFAULT;
    if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) &&
        !libos_user_range_ok(ctid, 4, true))
        return -EFAULT;
    struct libos_thread *t = thread_alloc(false);
    struct thread_start *s = libos_calloc(1, sizeof(*s));
    if (!t || !s) {
        libos_free(s);
        if (t)
            libos_thread_put(t);
        return -ENOMEM;
    }
    t->sigmask = self->sigmask;
    memcpy(t->comm, self->comm, sizeof(t->comm));
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = (uint32_t *)ctid;
    s->thread = t;
    s->ctx = *self->ctx;
    s->ctx.rax = 0;
    if (newsp)
        s->ctx.rsp = newsp;
    if (flags & CLONE_SETTLS)
        s->fs_base = tls;
    else
        pal_segment_base_get(PAL_SEG_FS, &s->fs_base);
    if (self->ctx->fpregs) {
        memcpy(s->fx, self->ctx->fpregs, sizeof(s->fx)); /* FXSAVE part of the image */
        s->has_fx = true;
    }
    /* sys.threads caps the live threads of this process, the main one included. */
    if (!thread_register_capped(t, g_manifest ? g_manifest->limit_threads : 0)) {
        libos_thread_put(t);
        libos_free(s);
        return -EAGAIN;
    }
    if (flags & CLONE_PARENT_SETTID)
        *ptid = (int)t->tid;
    if (flags & CLONE_CHILD_SETTID)
        *ctid = (int)t->tid;
    uint32_t tid = t->tid;
    long r = start_pal_thread(t, app_thread_main, s);
    if (r < 0) {
        thread_unregister(t);
        libos_thread_put(t);
        libos_free(s);
        return r == -ENOMEM ? -EAGAIN : r;
    }
    return tid;
}

long libos_sys_clone(unsigned long flags, uint64_t newsp, int *ptid, int *ctid, uint64_t tls) {
    if (!(flags & CLONE_THREAD))
        return libos_fork(flags, newsp, ptid, ctid, tls);
    return clone_thread(flags & ~(unsigned long)CSIGNAL, newsp, ptid, ctid, tls);
}

struct linux_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

long libos_sys_clone3(struct linux_clone_args *uargs, size_t size) {
    struct linux_clone_args a = {0};
    if (size < 64 || size > 4096)
        return -EINVAL;
    if (!libos_user_range_ok(uargs, MIN(size, sizeof(a)), false))
        return -EFAULT;
    memcpy(&a, uargs, MIN(size, sizeof(a)));
    if (a.set_tid || a.set_tid_size || a.cgroup || (a.flags & CLONE_PIDFD))
        return -EINVAL;
    if (a.exit_signal > LINUX_NSIG || (a.stack && !a.stack_size))
        return -EINVAL;
    uint64_t sp = a.stack ? a.stack + a.stack_size : 0;
    if (!(a.flags & CLONE_THREAD))
        return libos_fork((a.flags & ~(uint64_t)CSIGNAL) | a.exit_signal, sp, (int *)a.parent_tid,
                          (int *)a.child_tid, a.tls);
    if (a.exit_signal)
        return -EINVAL;
    return clone_thread(a.flags, sp, (int *)a.parent_tid, (int *)a.child_tid, a.tls);
}

/* -------------------------------------------------------------- exit */

#define FUTEX_OWNER_DIED 0x40000000
#define FUTEX_TID_MASK 0x3fffffff
#define ROBUST_LIST_LIMIT 2048

/* Mark futexes this thread still holds as owner-died (robust mutexes). */
static void release_robust_list(struct libos_thread *t) {
    struct robust_head {
        uint64_t next;
        int64_t futex_offset;
        uint64_t pending;
    } *head = t->robust_list;
    if (!head || !libos_user_range_ok(head, sizeof(*head), false))
        return;
    uint64_t entry = head->next;
    for (int n = 0; entry && entry != (uint64_t)head && n < ROBUST_LIST_LIMIT; n++) {
        uint32_t *word = (uint32_t *)(entry + head->futex_offset);
        if (!libos_user_range_ok((void *)entry, 8, false) || !libos_user_range_ok(word, 4, true))
            break;
        uint32_t v = __atomic_load_n(word, __ATOMIC_RELAXED);
        if ((v & FUTEX_TID_MASK) == t->tid) {
            __atomic_store_n(word, (v & ~FUTEX_TID_MASK) | FUTEX_OWNER_DIED, __ATOMIC_RELEASE);
            libos_futex_wake(word, 1, ~0U);
        }
        entry = *(uint64_t *)entry;
    }
}

__attribute__((noreturn)) void libos_thread_exit(int status) {
    struct libos_thread *t = libos_current_thread();
    release_robust_list(t);
    if (thread_unregister(t) == 0)
        libos_exit_process(status); /* the last thread: the process ends */
    if (t->clear_child_tid && libos_user_range_ok(t->clear_child_tid, 4, true)) {
        __atomic_store_n(t->clear_child_tid, 0, __ATOMIC_RELEASE);
        libos_futex_wake(t->clear_child_tid, 1, ~0U);
    }
    libos_signal_thread_exit(t);
    libos_thread_put(t);
    pal_thread_exit(NULL);
}

/* In a forked child only the calling thread exists, under a new tid. Its
 * wake event was shared with the parent's thread: it gets a fresh one. */
LIBOS_FORK_TEXT void libos_thread_after_fork(uint32_t tid) {
    struct libos_thread *self = libos_current_thread();
    g_thread_lock = (struct libos_lock)LIBOS_LOCK_INIT;
    g_thread_list = NULL;
    g_app_threads = 0;
    /* The old list's reference goes with the old list. */
    __atomic_sub_fetch(&self->refcount, 1, __ATOMIC_ACQ_REL);
    self->tid = tid;
    self->sigpending = 0;
    self->next = NULL;
    /* Made at the first wait (or thread start): a child that only runs
     * and exits never pays for it. Until then no other thread exists that
     * could wake this one. */
    if (self->wake_event) { /* else the one inherited is still to close */
        g_forked_wake = self->wake_event;
        self->wake_event = NULL;
    }
    libos_thread_register(self);
}
