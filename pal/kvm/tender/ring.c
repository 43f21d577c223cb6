/* The tender's request rings: each vCPU has a ring in its hypercall page
 * (kvm_abi.h struct kvm_ring). One server thread per VM serves the
 * requests that cannot block indefinitely without a VM exit: it polls the
 * rings for a short, adaptive spin after each request, then sets
 * "sleeping" in every ring and sleeps on a futex. A guest that finds the
 * server asleep, or waits too long, or gets DEFER, asks its own vCPU
 * thread (KVM_HC_RING_WAIT): that serves what is left of its ring inline
 * (like a hypercall) and wakes the server for the next requests.
 *
 * The guest is untrusted: each entry is copied once out of guest memory
 * before it is checked; the tender keeps its own count of served entries
 * (ring_next) and looks at head only to see how many are pending (at most
 * KVM_RING_SIZE: more is garbage and serves nothing); a bad seq or state
 * answers -PAL_ERR_INVAL. Requests go through kvm_hc_serve_vcpu, the
 * hypercalls' own dispatch and checks, restricted to host I/O calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_abi.h"
#include "pal.h"
#include "tender.h"

#define SPIN_MIN_NS 50000ULL /* below an exit's cost a spin saves nothing */
#define SPIN_MAX_NS 1000000ULL
#define YIELD_NS 50000ULL
#define START_KICKS 16

static struct {
    struct kvm_vm *vm;
    pthread_t thread;
    bool started;   /* under lock */
    uint32_t kicks; /* before the start: a process that does little I/O never starts it */
    int stop;
    uint32_t wake;              /* futex word: bumped to wake the server */
    uint32_t asleep;            /* the server sleeps (or is about to) */
    uint32_t beat;              /* the server's passes (struct kvm_ring beat) */
    int max_slot;               /* highest vCPU slot with a ring in use */
    uint64_t spin_ns;           /* how long the server polls after its last request */
    pthread_mutex_t lock;       /* starting the server */
    pthread_mutex_t serve_lock; /* held by the server while it serves (fork) */
    uint64_t n_server, n_inline, n_wait, n_sleep; /* SABOT_KVM_RING_STATS */
} g_ring = {.lock = PTHREAD_MUTEX_INITIALIZER, .serve_lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* v's ring, or NULL when its hypercall page is not (or no longer) in RAM. */
static struct kvm_ring *ring_of(struct kvm_vm *vm, struct kvm_vcpu *v, uint8_t **data) {
    uint64_t hc = __atomic_load_n(&v->hc_gpa, __ATOMIC_ACQUIRE);
    uint64_t dg = KVM_HC_DATA_GPA(hc);
    if (!hc || (hc & 4095) || hc > vm->mem_size - 4096 || dg > vm->mem_size - KVM_DATA_SIZE)
        return NULL;
    *data = vm->mem + dg;
    return (struct kvm_ring *)(vm->mem + hc + KVM_RING_OFF);
}

/* The host I/O calls a ring may carry; the rest are hypercalls only. */
static bool ring_call(uint32_t nr) {
    switch (nr) {
    case KVM_HC_OPEN:
    case KVM_HC_CLOSE:
    case KVM_HC_READ:
    case KVM_HC_WRITE:
    case KVM_HC_SEEK:
    case KVM_HC_ATTR:
    case KVM_HC_ATTR_HANDLE:
    case KVM_HC_READDIR:
    case KVM_HC_READLINK:
    case KVM_HC_DELETE:
    case KVM_HC_SET_LENGTH:
    case KVM_HC_FLUSH:
    case KVM_HC_RENAME:
    case KVM_HC_FS_INFO:
    case KVM_HC_LINK:
    case KVM_HC_ATTR_SET:
    case KVM_HC_TIME:
    case KVM_HC_RANDOM:
    case KVM_HC_NOP:
        return true;
    }
    return false;
}

/* Serves entry ring_next of v's ring if the guest submitted it (v's
 * ring_lock held). 1: answered; 0: nothing to do (or left to the vCPU's
 * thread: DEFER). */
static int serve_next(struct kvm_vm *vm, struct kvm_vcpu *v, bool server) {
    uint8_t *data;
    struct kvm_ring *r = ring_of(vm, v, &data);
    if (!r)
        return 0;
    uint32_t s = v->ring_next;
    uint32_t pending = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) - s;
    if (pending == 0 || pending > KVM_RING_SIZE)
        return 0; /* nothing, or a head the guest made up */
    if (server && v->ring_deferred == s + 1)
        return 0;
    struct kvm_ring_entry *slot = &r->e[s % KVM_RING_SIZE];
    struct kvm_ring_entry e;
    memcpy(&e, slot, sizeof(e)); /* read the request once */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (e.seq != s || (e.state != KVM_RING_SUBMITTED && e.state != KVM_RING_DEFER)) {
        e.hc.ret = -PAL_ERR_INVAL;
    } else if (!ring_call(e.hc.nr)) {
        e.hc.ret = -PAL_ERR_NOTIMPLEMENTED;
    } else if (server && !kvm_hc_ring_offthread(&e.hc, data)) {
        __atomic_store_n(&slot->state, KVM_RING_DEFER, __ATOMIC_RELEASE);
        v->ring_deferred = s + 1;
        return 0;
    } else {
        int status = 0; /* no EXIT through a ring: ring_call */
        kvm_hc_serve_vcpu(NULL, NULL, &e.hc, data, &status);
    }
    slot->hc.ret = e.hc.ret;
    memcpy((void *)slot->hc.a, e.hc.a, sizeof(e.hc.a)); /* results some calls return there */
    __atomic_store_n(&slot->state, KVM_RING_DONE, __ATOMIC_RELEASE);
    v->ring_next = s + 1;
    __atomic_store_n(&r->tail, s + 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(server ? &g_ring.n_server : &g_ring.n_inline, 1, __ATOMIC_RELAXED);
    return 1;
}

static bool ring_active(struct kvm_vcpu *v) {
    return __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_RUNNING;
}

/* One pass over the rings; the number of requests answered. */
static int scan(struct kvm_vm *vm, bool awake) {
    int served = 0, max = __atomic_load_n(&g_ring.max_slot, __ATOMIC_ACQUIRE);
    for (int i = 0; i <= max && i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *v = &vm->vcpus[i];
        if (!ring_active(v) || pthread_mutex_trylock(&v->ring_lock) != 0)
            continue; /* its own thread serves it right now */
        uint8_t *data;
        struct kvm_ring *r = ring_of(vm, v, &data);
        if (r) {
            __atomic_store_n(&r->beat, ++g_ring.beat, __ATOMIC_RELAXED);
            if (awake && __atomic_load_n(&r->sleeping, __ATOMIC_RELAXED))
                __atomic_store_n(&r->sleeping, 0, __ATOMIC_RELAXED); /* a ring new (or scribbled) */
        }
        for (int k = 0; k < KVM_RING_SIZE && serve_next(vm, v, true) > 0; k++)
            served++;
        pthread_mutex_unlock(&v->ring_lock);
    }
    return served;
}

static void set_sleeping(struct kvm_vm *vm, uint32_t on) {
    int max = __atomic_load_n(&g_ring.max_slot, __ATOMIC_ACQUIRE);
    __atomic_store_n(&g_ring.asleep, on, __ATOMIC_SEQ_CST);
    for (int i = 0; i <= max && i < KVM_MAX_VCPUS; i++) {
        uint8_t *data;
        struct kvm_ring *r = ring_active(&vm->vcpus[i]) ? ring_of(vm, &vm->vcpus[i], &data) : 0;
        if (r)
            __atomic_store_n(&r->sleeping, on, __ATOMIC_SEQ_CST);
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void *server(void *arg) {
    struct kvm_vm *vm = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* kicks are for vCPU threads */
    uint64_t last = now_ns(), yielded = last;
    int useful = 1; /* requests served since the server last woke */
    while (!__atomic_load_n(&g_ring.stop, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&g_ring.serve_lock);
        int served = scan(vm, true);
        pthread_mutex_unlock(&g_ring.serve_lock);
        uint64_t t = now_ns();
        if (served) {
            last = t;
            useful += served;
            continue;
        }
        if (t - last < g_ring.spin_ns) {
            /* 2 CPUs shared with the vCPUs: let them run now and then (a
             * yield on a busy CPU can cost milliseconds: not each pass) */
            if (t - yielded > YIELD_NS) {
                sched_yield();
                yielded = now_ns();
            }
            for (int i = 0; i < 32; i++)
                __asm__ volatile("pause");
            continue;
        }
        uint32_t w = __atomic_load_n(&g_ring.wake, __ATOMIC_ACQUIRE);
        set_sleeping(vm, 1);
        pthread_mutex_lock(&g_ring.serve_lock);
        served = scan(vm, false); /* a request that came with the flag */
        pthread_mutex_unlock(&g_ring.serve_lock);
        if (!served) {
            g_ring.n_sleep++;
            struct timespec to = {1, 0};
            syscall(SYS_futex, &g_ring.wake, FUTEX_WAIT_PRIVATE, w, &to, NULL, 0);
        }
        uint64_t slept = now_ns() - t;
        set_sleeping(vm, 0);
        /* Woken soon after a useful spin: it was too short. Nothing served
         * while awake (the vCPU threads served inline: the server rarely
         * gets a CPU here) or a long sleep: too long. */
        if (useful && slept < 4 * g_ring.spin_ns && g_ring.spin_ns < SPIN_MAX_NS)
            g_ring.spin_ns *= 2;
        else if ((!useful || slept > 100 * g_ring.spin_ns) && g_ring.spin_ns >= 2 * SPIN_MIN_NS)
            g_ring.spin_ns /= 2;
        useful = 0;
        last = now_ns();
    }
    return NULL;
}

/* fork (of the tender): the server does not serve across it; the child
 * has no server (only the forking thread) and starts its own when needed. */
static void fork_prepare(void) {
    pthread_mutex_lock(&g_ring.serve_lock);
}
static void fork_parent(void) {
    pthread_mutex_unlock(&g_ring.serve_lock);
}
static void fork_child(void) {
    pthread_mutex_init(&g_ring.serve_lock, NULL);
    pthread_mutex_init(&g_ring.lock, NULL);
    g_ring.started = false;
    g_ring.kicks = 0;
    g_ring.stop = 0;
    g_ring.asleep = 0;
    for (int i = 0; g_ring.vm && i < KVM_MAX_VCPUS; i++)
        pthread_mutex_init(&g_ring.vm->vcpus[i].ring_lock, NULL); /* maybe held by a thread gone */
    if (g_ring.vm)
        set_sleeping(g_ring.vm, 1); /* no server yet: ask at once */
}

/* Wakes the server, starting it once host I/O goes on (START_KICKS). */
static void kick_server(struct kvm_vm *vm) {
    if (__atomic_load_n(&g_ring.asleep, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&g_ring.wake, 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &g_ring.wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    if (__atomic_load_n(&g_ring.started, __ATOMIC_ACQUIRE) ||
        __atomic_add_fetch(&g_ring.kicks, 1, __ATOMIC_RELAXED) < START_KICKS)
        return;
    pthread_mutex_lock(&g_ring.lock);
    /* SABOT_KVM_RING_SERVER=0: no server; every ring request is served
     * by its vCPU's thread (one exit each, as plain hypercalls: bench) */
    static int off = -1;
    if (off < 0) {
        const char *e = getenv("SABOT_KVM_RING_SERVER");
        off = e && !strcmp(e, "0");
    }
    if (!g_ring.started && !g_ring.stop && !off) {
        static bool atfork;
        if (!atfork)
            atfork = pthread_atfork(fork_prepare, fork_parent, fork_child) == 0;
        g_ring.vm = vm;
        if (!g_ring.spin_ns)
            g_ring.spin_ns = 100000;
        if (pthread_create(&g_ring.thread, NULL, server, vm) == 0)
            __atomic_store_n(&g_ring.started, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_ring.lock);
}

void kvm_ring_reset(struct kvm_vm *vm, struct kvm_vcpu *v) {
    uint8_t *data;
    pthread_mutex_lock(&v->ring_lock);
    struct kvm_ring *r = ring_of(vm, v, &data);
    v->ring_next = r ? __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) : 0;
    v->ring_deferred = 0;
    if (r) {
        __atomic_store_n(&r->tail, v->ring_next, __ATOMIC_RELEASE);
        __atomic_store_n(&r->sleeping, 1, __ATOMIC_RELEASE); /* the server sets it awake */
    }
    int max = __atomic_load_n(&g_ring.max_slot, __ATOMIC_ACQUIRE);
    while (v->slot > max && !__atomic_compare_exchange_n(&g_ring.max_slot, &max, v->slot, false,
                                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    }
    pthread_mutex_unlock(&v->ring_lock);
}

/* KVM_HC_RING_WAIT from v's own thread: entries up to seq are answered
 * when it returns 0 (the server's, or served here). wake: the guest wants
 * the server polling (it backs off while the server seems not to run). */
int64_t kvm_ring_wait(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t seq, bool wake) {
    uint32_t s = (uint32_t)seq;
    __atomic_add_fetch(&g_ring.n_wait, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&v->ring_lock);
    for (int k = 0; k < KVM_RING_SIZE && (int32_t)(s - v->ring_next) >= 0; k++)
        if (serve_next(vm, v, false) <= 0)
            break;
    bool done = (int32_t)(s - v->ring_next) < 0;
    pthread_mutex_unlock(&v->ring_lock);
    if (wake)
        kick_server(vm); /* host I/O is going on: have the server poll */
    return done ? 0 : -PAL_ERR_INVAL;
}

bool kvm_ring_stop(void) {
    if (getenv("SABOT_KVM_RING_STATS"))
        fprintf(stderr,
                "sabot: kvm ring: %llu by the server, %llu inline, %llu waits, %llu sleeps, spin "
                "%llu us\n",
                (unsigned long long)g_ring.n_server, (unsigned long long)g_ring.n_inline,
                (unsigned long long)g_ring.n_wait, (unsigned long long)g_ring.n_sleep,
                (unsigned long long)g_ring.spin_ns / 1000);
    pthread_mutex_lock(&g_ring.lock);
    bool started = g_ring.started;
    __atomic_store_n(&g_ring.stop, 1, __ATOMIC_RELEASE);
    g_ring.started = false;
    pthread_mutex_unlock(&g_ring.lock);
    if (!started)
        return true;
    __atomic_add_fetch(&g_ring.wake, 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &g_ring.wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return kvm_join_within(g_ring.thread, 200);
}
