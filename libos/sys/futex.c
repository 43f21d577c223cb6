/* futex(2) in the libos: a hash of wait queues keyed by address. Waiters
 * sleep in libos_thread_wait, so signals interrupt them and every PAL gets
 * the same semantics. The bucket lock makes "compare then sleep" atomic
 * with respect to wakers: no lost wake-ups. As in Linux, a shared futex in
 * a MAP_SHARED file mapping is keyed by (file, offset), so two mappings of
 * the same file meet; everything else is keyed by its address. Shared
 * futexes in MAP_SHARED memory use the host's futex instead (host_keyed):
 * other processes may wait on them. */
#include "libos_futex.h"
#include "libos_mm.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK 0x7f
#define FUTEX_BITSET_MATCH_ANY 0xffffffffU

#define NBUCKETS 256

struct futex_key {
    uint64_t dev, ino; /* 0, 0: keyed by address */
    uint64_t off;      /* file offset, or the address */
};

struct futex_waiter {
    struct futex_key key;
    uint32_t bitset;
    struct libos_thread *thread;
    bool woken;
    struct futex_waiter *next;
};

struct futex_bucket {
    struct libos_lock lock;
    struct futex_waiter *head;
};

static struct futex_bucket g_buckets[NBUCKETS];

static struct futex_key key_of(uint32_t *addr, bool shared) {
    struct libos_vma v;
    if (shared && libos_vma_lookup((uint64_t)addr, &v) && v.kind == VMA_FILE &&
        (v.flags & MAP_TYPE) != MAP_PRIVATE)
        return (struct futex_key){v.file_dev + 1, v.file_ino,
                                  v.file_off + ((uint64_t)addr - v.start)};
    return (struct futex_key){0, 0, (uint64_t)addr};
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b) {
    return a->off == b->off && a->ino == b->ino && a->dev == b->dev;
}

static struct futex_bucket *bucket_of(const struct futex_key *k) {
    uint64_t a = (k->off >> 2) ^ k->ino ^ (k->dev << 17);
    a ^= a >> 17;
    a *= 0x9e3779b97f4a7c15ULL;
    return &g_buckets[(a >> 40) % NBUCKETS];
}

static void lock_two(struct futex_bucket *a, struct futex_bucket *b) {
    if (a == b) {
        libos_lock(&a->lock);
    } else if (a < b) {
        libos_lock(&a->lock);
        libos_lock(&b->lock);
    } else {
        libos_lock(&b->lock);
        libos_lock(&a->lock);
    }
}

static void unlock_two(struct futex_bucket *a, struct futex_bucket *b) {
    libos_unlock(&a->lock);
    if (a != b)
        libos_unlock(&b->lock);
}

static void unlink_waiter(struct futex_bucket *b, struct futex_waiter *w) {
    for (struct futex_waiter **pp = &b->head; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

/* Wake up to n waiters of key in b (locked). */
static int wake_locked(struct futex_bucket *b, const struct futex_key *key, int n,
                       uint32_t bitset) {
    int woken = 0;
    struct futex_waiter **pp = &b->head;
    while (*pp && woken < n) {
        struct futex_waiter *w = *pp;
        if (!key_eq(&w->key, key) || !(w->bitset & bitset)) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        struct libos_thread *t = w->thread;
        __atomic_store_n(&w->woken, true, __ATOMIC_RELEASE); /* w may vanish after this */
        libos_thread_wake(t);
        woken++;
    }
    return woken;
}

/* A shared futex in MAP_SHARED memory may be shared with other processes,
 * whose libos instances keep tables of their own: its waits and wakes go
 * to the host's futex (pal_addr_wait/wake, keyed by the page). Bitsets
 * are not passed down: such wakes wake any waiter (a spurious wake-up,
 * which futex users allow), requeues wake instead of moving. */
static bool host_keyed(uint32_t *addr, bool shared) {
    struct libos_vma v;
    return shared && libos_vma_lookup((uint64_t)addr, &v) && (v.flags & MAP_TYPE) != MAP_PRIVATE;
}

static long host_wake(uint32_t *addr, int n) {
    int r = pal_addr_wake(addr, (uint32_t)n);
    return r < 0 ? libos_errno_from_pal(r) : r;
}

static long futex_wake(uint32_t *addr, bool shared, int n, uint32_t bitset) {
    struct futex_key k = key_of(addr, shared);
    struct futex_bucket *b = bucket_of(&k);
    libos_lock(&b->lock);
    int r = wake_locked(b, &k, n, bitset);
    libos_unlock(&b->lock);
    /* Host-keyed words have our own waiters only when requeued here from
     * a private word; the rest sleep in the host. */
    if (r < n && host_keyed(addr, shared)) {
        long h = host_wake(addr, n - r);
        if (h < 0)
            return r ? r : h;
        r += (int)h;
    }
    return r;
}

long libos_futex_wake(uint32_t *addr, int n, uint32_t bitset) {
    return futex_wake(addr, true, n, bitset);
}

static long clock_now(bool realtime, uint64_t *ns) {
    return libos_errno_from_pal(
        pal_time_get(realtime ? PAL_CLOCK_REALTIME : PAL_CLOCK_MONOTONIC, ns));
}

/* The host wait cannot see libos wake-ups (signals, host SIGTERM), so it
 * sleeps in slices and looks for them in between. */
#define HOST_WAIT_SLICE_NS 20000000ULL

static long host_wait(uint32_t *addr, uint32_t val, bool timed, uint64_t deadline, bool realtime) {
    for (bool first = true;; first = false) {
        uint64_t slice = HOST_WAIT_SLICE_NS, now;
        if (timed) {
            long r = clock_now(realtime, &now);
            if (r < 0)
                return r;
            if (now >= deadline)
                return -ETIMEDOUT;
            slice = MIN(slice, deadline - now);
        }
        int r = pal_addr_wait(addr, val, &slice);
        if (r == -PAL_ERR_AGAIN)
            return first ? -EAGAIN : 0; /* changed since the last slice: wake */
        if (r >= 0)
            return 0;
        if (r != -PAL_ERR_TIMEOUT && r != -PAL_ERR_INTERRUPTED)
            return libos_errno_from_pal(r);
        uint64_t zero = 0; /* lets host signals in; sees pending ones */
        if (libos_thread_wait(0, NULL, NULL, NULL, &zero) == -EINTR)
            return -ERESTARTSYS;
    }
}

static long futex_wait(uint32_t *addr, bool shared, uint32_t val, const struct linux_timespec *ts,
                       bool absolute, bool realtime, uint32_t bitset) {
    if (!bitset)
        return -EINVAL;
    uint64_t deadline = 0;
    if (ts) {
        if (!libos_user_range_ok(ts, sizeof(*ts), false))
            return -EFAULT;
        if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
            return -EINVAL;
        uint64_t t = (uint64_t)ts->tv_sec * 1000000000ULL + ts->tv_nsec, now;
        long r = clock_now(realtime, &now);
        if (r < 0)
            return r;
        deadline = absolute ? t : now + t;
    }
    if (host_keyed(addr, shared))
        return host_wait(addr, val, ts != NULL, deadline, realtime);
    struct futex_waiter w = {key_of(addr, shared), bitset, libos_current_thread(), false, NULL};
    struct futex_bucket *b = bucket_of(&w.key);
    libos_lock(&b->lock);
    if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val) {
        libos_unlock(&b->lock);
        return -EAGAIN;
    }
    w.next = b->head;
    b->head = &w;
    libos_unlock(&b->lock);
    long ret;
    for (;;) {
        uint64_t left = 0, now = 0;
        if (ts) {
            clock_now(realtime, &now);
            left = deadline > now ? deadline - now : 0;
        }
        long r = (ts && left == 0) ? -ETIMEDOUT
                                   : libos_thread_wait(0, NULL, NULL, NULL, ts ? &left : NULL);
        if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
            return 0;
        if (r == -ETIMEDOUT || r == -EINTR) {
            ret = r == -EINTR ? -ERESTARTSYS : -ETIMEDOUT;
            break;
        }
        /* Woken for another reason (a stale wake event): sleep again. */
    }
    libos_lock(&b->lock);
    if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
        ret = 0; /* a waker got us just before we gave up */
    else
        unlink_waiter(b, &w);
    libos_unlock(&b->lock);
    return ret;
}

static long futex_requeue(uint32_t *addr, bool shared, int nwake, int nrequeue, uint32_t *addr2,
                          bool cmp, uint32_t val3) {
    if (nwake < 0 || nrequeue < 0)
        return -EINVAL;
    if (!libos_user_range_ok(addr2, 4, false))
        return -EFAULT;
    if (host_keyed(addr, shared)) {
        if (cmp && __atomic_load_n(addr, __ATOMIC_SEQ_CST) != val3)
            return -EAGAIN;
        return futex_wake(addr, shared, (int)MIN((long)nwake + nrequeue, 0x7fffffffL),
                          FUTEX_BITSET_MATCH_ANY);
    }
    struct futex_key k1 = key_of(addr, shared), k2 = key_of(addr2, shared);
    struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
    lock_two(b1, b2);
    if (cmp && __atomic_load_n(addr, __ATOMIC_SEQ_CST) != val3) {
        unlock_two(b1, b2);
        return -EAGAIN;
    }
    int done = wake_locked(b1, &k1, nwake, FUTEX_BITSET_MATCH_ANY);
    int moved = 0;
    struct futex_waiter **pp = &b1->head;
    while (*pp && moved < nrequeue) {
        struct futex_waiter *w = *pp;
        if (!key_eq(&w->key, &k1)) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        w->key = k2;
        w->next = b2->head;
        b2->head = w;
        moved++;
    }
    unlock_two(b1, b2);
    return done + moved; /* Linux counts requeued waiters for both ops */
}

/* FUTEX_WAKE_OP: *addr2 = op(*addr2, oparg); wake n on addr; if
 * cmp(old, cmparg) wake n2 on addr2. */
static long futex_wake_op(uint32_t *addr, bool shared, int n, int n2, uint32_t *addr2,
                          uint32_t val3) {
    if (!libos_user_range_ok(addr2, 4, true))
        return -EFAULT;
    unsigned op = (val3 >> 28) & 7, cmp = (val3 >> 24) & 15;
    uint32_t oparg = (val3 >> 12) & 0xfff, cmparg = val3 & 0xfff;
    if (val3 & (8U << 28))
        oparg = oparg < 32 ? 1U << oparg : 0;
    struct futex_key k1 = key_of(addr, shared), k2 = key_of(addr2, shared);
    struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
    lock_two(b1, b2);
    uint32_t old = __atomic_load_n(addr2, __ATOMIC_RELAXED), nv;
    do {
        switch (op) {
        case 0:
            nv = oparg;
            break; /* SET */
        case 1:
            nv = old + oparg;
            break; /* ADD */
        case 2:
            nv = old | oparg;
            break; /* OR */
        case 3:
            nv = old & ~oparg;
            break; /* ANDN */
        case 4:
            nv = old ^ oparg;
            break; /* XOR */
        default:
            unlock_two(b1, b2);
            return -ENOSYS;
        }
    } while (
        !__atomic_compare_exchange_n(addr2, &old, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    int32_t o = (int32_t)old, c = (int32_t)cmparg;
    bool hit;
    switch (cmp) {
    case 0:
        hit = o == c;
        break;
    case 1:
        hit = o != c;
        break;
    case 2:
        hit = o < c;
        break;
    case 3:
        hit = o <= c;
        break;
    case 4:
        hit = o > c;
        break;
    case 5:
        hit = o >= c;
        break;
    default:
        unlock_two(b1, b2);
        return -ENOSYS;
    }
    unlock_two(b1, b2);
    /* Wake after the update, each address the way its waiters sleep. */
    long woken = futex_wake(addr, shared, n, FUTEX_BITSET_MATCH_ANY), w2 = 0;
    if (hit)
        w2 = futex_wake(addr2, shared, n2, FUTEX_BITSET_MATCH_ANY);
    return woken < 0 ? woken : w2 < 0 ? w2 : woken + w2;
}

long libos_sys_futex(uint32_t *addr, int op, uint32_t val, const struct linux_timespec *ts,
                     uint32_t *addr2, uint32_t val3) {
    int cmd = op & FUTEX_CMD_MASK;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    bool shared = !(op & FUTEX_PRIVATE_FLAG);
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2 &&
        cmd != FUTEX_WAIT_REQUEUE_PI)
        return -ENOSYS;
    if ((uint64_t)addr & 3)
        return -EINVAL;
    if (!libos_user_range_ok(addr, 4, false))
        return -EFAULT;
    /* The timeout argument doubles as a count for requeue and wake_op. */
    int count2 = (int)(long)ts;
    switch (cmd) {
    case FUTEX_WAIT:
        return futex_wait(addr, shared, val, ts, false, realtime, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET:
        return futex_wait(addr, shared, val, ts, true, realtime, val3);
    case FUTEX_WAKE:
        return futex_wake(addr, shared, (int)MIN(val, 0x7fffffffU), FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
        if (!val3)
            return -EINVAL;
        return futex_wake(addr, shared, (int)MIN(val, 0x7fffffffU), val3);
    case FUTEX_REQUEUE:
        return futex_requeue(addr, shared, (int)val, count2, addr2, false, 0);
    case FUTEX_CMP_REQUEUE:
        return futex_requeue(addr, shared, (int)val, count2, addr2, true, val3);
    case FUTEX_WAKE_OP:
        return futex_wake_op(addr, shared, (int)val, count2, addr2, val3);
    default:
        /* PI futexes and FUTEX_FD: not offered (glibc falls back). */
        return -ENOSYS;
    }
}

/* In a forked child no other thread exists: nobody waits, nobody holds a
 * bucket. */
LIBOS_FORK_TEXT void libos_futex_after_fork(void) {
    for (int i = 0; i < NBUCKETS; i++) /* stores only where needed: each is a page copy */
        if (g_buckets[i].head || g_buckets[i].lock.locked)
            g_buckets[i] = (struct futex_bucket){LIBOS_LOCK_INIT, NULL};
}
