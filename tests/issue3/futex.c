/* Futexes under contention and every futex operation musl and glibc use.
 *   race     64 threads (32 pairs) ping-pong through raw FUTEX_WAIT/WAKE,
 *            every ping also takes a futex-based lock shared by all 64 and
 *            bumps a plain counter under it: the totals must be exact.
 *   pthread  the same with pthread mutex + condvars.
 *   requeue  FUTEX_CMP_REQUEUE / FUTEX_REQUEUE move sleepers between words.
 *   wakeop   FUTEX_WAKE_OP with its compare on the old value.
 *   bitset   FUTEX_WAIT_BITSET / WAKE_BITSET masks.
 *   timeout  relative and absolute (CLOCK_MONOTONIC, CLOCK_REALTIME)
 *            timeouts give ETIMEDOUT after about the time; EAGAIN on value.
 *   shared   non-private futexes on MAP_SHARED memory, including one file
 *            mapped at two addresses (Linux keys them by page, not address).
 * Usage: futex [SUBTEST|all] [ROUNDS]  (ROUNDS: ping-pongs per test, 1e6). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "i3.h"

/* From <linux/futex.h> (musl-gcc has no kernel headers). */
enum {
    FUTEX_WAIT = 0,
    FUTEX_WAKE = 1,
    FUTEX_REQUEUE = 3,
    FUTEX_CMP_REQUEUE = 4,
    FUTEX_WAKE_OP = 5,
    FUTEX_WAIT_BITSET = 9,
    FUTEX_WAKE_BITSET = 10,
    FUTEX_PRIVATE_FLAG = 128,
    FUTEX_CLOCK_REALTIME = 256,
    FUTEX_WAIT_PRIVATE = FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
    FUTEX_WAIT_BITSET_PRIVATE = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
    FUTEX_OP_SET = 0,
    FUTEX_OP_ADD = 1,
    FUTEX_OP_OR = 2,
    FUTEX_OP_OPARG_SHIFT = 8,
    FUTEX_OP_CMP_EQ = 0,
    FUTEX_OP_CMP_GT = 4,
};
#define FUTEX_BITSET_MATCH_ANY 0xffffffff
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
    ((((op)&0xf) << 28) | (((cmp)&0xf) << 24) | (((oparg)&0xfff) << 12) | ((cmparg)&0xfff))

#define NTHREADS 64
#define NPAIRS (NTHREADS / 2)

static long futex(_Atomic int *uaddr, int op, int val, const void *timeout_or_val2,
                  _Atomic int *uaddr2, int val3) {
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}
static long wake(_Atomic int *f, int n, int priv) {
    return futex(f, FUTEX_WAKE | priv, n, NULL, NULL, 0);
}

/* Drepper's three-state mutex ("Futexes are tricky"): 0 free, 1 locked,
 * 2 locked with waiters. A lost wake-up here deadlocks the race test. */
static void flock_lock(_Atomic int *m) {
    int c = 0;
    if (atomic_compare_exchange_strong(m, &c, 1))
        return;
    if (c != 2)
        c = atomic_exchange(m, 2);
    while (c != 0) {
        futex(m, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = atomic_exchange(m, 2);
    }
}
static void flock_unlock(_Atomic int *m) {
    if (atomic_fetch_sub(m, 1) != 1) {
        atomic_store(m, 0);
        wake(m, 1, FUTEX_PRIVATE_FLAG);
    }
}

/* ------------------------------------------------------------------ race */

struct pair {
    _Atomic int turn; /* 0: ping's turn, 1: pong's turn */
    long count;       /* touched only by the side holding the turn */
    int priv;         /* FUTEX_PRIVATE_FLAG or 0 (shared futex) */
    long rounds;
};
static struct pair *g_pairs;
static _Atomic int g_lock;
static long g_locked_total; /* plain: protected by g_lock */
static _Atomic long g_wait_calls;

struct side {
    struct pair *p;
    int me;
};

/* Wait until it is our turn, do our part, hand the turn over. */
static void *race_side(void *arg) {
    struct side *s = arg;
    struct pair *p = s->p;
    long waits = 0;
    for (long i = 0; i < p->rounds; i++) {
        while (atomic_load(&p->turn) != s->me) {
            futex(&p->turn, FUTEX_WAIT | p->priv, !s->me, NULL, NULL, 0);
            waits++;
        }
        p->count++;
        if (s->me == 0) {
            flock_lock(&g_lock);
            g_locked_total++;
            flock_unlock(&g_lock);
        }
        atomic_store(&p->turn, !s->me);
        wake(&p->turn, 1, p->priv);
    }
    atomic_fetch_add(&g_wait_calls, waits);
    return NULL;
}

static void test_race(long total) {
    long per = total / NPAIRS;
    total = per * NPAIRS;
    /* Half the pairs use private futexes, half shared ones. */
    g_pairs = mmap(NULL, sizeof(struct pair) * NPAIRS, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(g_pairs != MAP_FAILED, "mmap pairs");
    pthread_t th[NTHREADS];
    struct side sides[NTHREADS];
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int created = 0;
    for (int i = 0; i < NPAIRS; i++) {
        g_pairs[i].priv = i % 2 ? FUTEX_PRIVATE_FLAG : 0;
        g_pairs[i].rounds = per;
        for (int s = 0; s < 2; s++) {
            sides[2 * i + s] = (struct side){&g_pairs[i], s};
            created += pthread_create(&th[2 * i + s], NULL, race_side, &sides[2 * i + s]) == 0;
        }
    }
    CHECK(created == NTHREADS, "created %d of %d threads", created, NTHREADS);
    for (int i = 0; i < created; i++)
        pthread_join(th[i], NULL);
    int64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
    long sum = 0, bad = 0;
    for (int i = 0; i < NPAIRS; i++) {
        sum += g_pairs[i].count;
        bad += g_pairs[i].count != 2 * per;
    }
    CHECK(bad == 0 && sum == 2 * total, "%ld ping-pongs: %ld handoffs, want %ld (%ld pairs off)",
          total, sum, 2 * total, bad);
    CHECK(g_locked_total == total, "futex-lock counter %ld, want %ld", g_locked_total, total);
    CHECK(atomic_load(&g_lock) == 0, "lock free at the end");
    printf("info race: %ld ping-pongs by %d threads in %.2f s, %ld FUTEX_WAIT calls\n", total,
           NTHREADS, dt / 1e9, atomic_load(&g_wait_calls));
    munmap(g_pairs, sizeof(struct pair) * NPAIRS);
}

/* --------------------------------------------------------------- pthread */

struct cpair {
    pthread_mutex_t mu;
    pthread_cond_t cv[2];
    int turn;
    long count, rounds;
};
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_mu_total;

static void *cond_side(void *arg) {
    struct side *s = arg;
    struct cpair *p = (struct cpair *)s->p;
    for (long i = 0; i < p->rounds; i++) {
        pthread_mutex_lock(&p->mu);
        while (p->turn != s->me)
            pthread_cond_wait(&p->cv[s->me], &p->mu);
        p->count++;
        p->turn = !s->me;
        pthread_cond_signal(&p->cv[!s->me]);
        pthread_mutex_unlock(&p->mu);
        if (s->me == 0) {
            pthread_mutex_lock(&g_mu);
            g_mu_total++;
            pthread_mutex_unlock(&g_mu);
        }
    }
    return NULL;
}

static void test_pthread(long total) {
    long per = total / NPAIRS;
    total = per * NPAIRS;
    struct cpair *pairs = calloc(NPAIRS, sizeof(*pairs));
    pthread_t th[NTHREADS];
    struct side sides[NTHREADS];
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int created = 0;
    for (int i = 0; i < NPAIRS; i++) {
        pthread_mutex_init(&pairs[i].mu, NULL);
        pthread_cond_init(&pairs[i].cv[0], NULL);
        pthread_cond_init(&pairs[i].cv[1], NULL);
        pairs[i].rounds = per;
        for (int s = 0; s < 2; s++) {
            sides[2 * i + s] = (struct side){(struct pair *)&pairs[i], s};
            created += pthread_create(&th[2 * i + s], NULL, cond_side, &sides[2 * i + s]) == 0;
        }
    }
    CHECK(created == NTHREADS, "created %d of %d threads", created, NTHREADS);
    for (int i = 0; i < created; i++)
        pthread_join(th[i], NULL);
    int64_t dt = now_ns(CLOCK_MONOTONIC) - t0;
    long sum = 0;
    for (int i = 0; i < NPAIRS; i++)
        sum += pairs[i].count;
    CHECK(sum == 2 * total, "condvar ping-pongs: %ld handoffs, want %ld", sum, 2 * total);
    CHECK(g_mu_total == total, "mutex counter %ld, want %ld", g_mu_total, total);
    printf("info pthread: %ld ping-pongs by %d threads in %.2f s\n", total, NTHREADS, dt / 1e9);
    free(pairs);
}

/* -------------------------------------------------- parking helpers */

/* A sleeper does one FUTEX_WAIT(_BITSET) on `on` and records the result. */
struct sleeper {
    pthread_t th;
    _Atomic int *on;
    int op, val;
    unsigned bitset;
    long ret;
    int err;
    _Atomic int done;
};
static void *sleeper_run(void *arg) {
    struct sleeper *s = arg;
    s->ret = futex(s->on, s->op, s->val, NULL, NULL, (int)s->bitset);
    s->err = s->ret < 0 ? errno : 0;
    atomic_store(&s->done, 1);
    return NULL;
}
static void sleepers_start(struct sleeper *s, int n, _Atomic int *on, int op, unsigned bitset) {
    for (int i = 0; i < n; i++) {
        s[i] = (struct sleeper){.on = on, .op = op, .val = atomic_load(on), .bitset = bitset};
        pthread_create(&s[i].th, NULL, sleeper_run, &s[i]);
    }
}
static int sleepers_done(struct sleeper *s, int n) {
    int d = 0;
    for (int i = 0; i < n; i++)
        d += atomic_load(&s[i].done);
    return d;
}
/* Wait (bounded) until `want` sleepers returned. */
static int sleepers_wait_done(struct sleeper *s, int n, int want) {
    for (int i = 0; i < 400 && sleepers_done(s, n) < want; i++)
        ms_sleep(5);
    ms_sleep(20); /* let any extra (wrong) wake-up show */
    return sleepers_done(s, n);
}
static void sleepers_join(struct sleeper *s, int n, const char *what) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(s[i].th, NULL);
        ok += s[i].ret == 0;
    }
    CHECK(ok == n, "%s: all %d FUTEX_WAITs returned 0 (%d did)", what, n, ok);
}

/* Move every sleeper parked on `from` (value 0) to `to`, repeating until n
 * have moved: afterwards all n are certainly asleep on `to`. */
static long park(_Atomic int *from, _Atomic int *to, int n, int priv) {
    long moved = 0;
    for (int i = 0; i < 2000 && moved < n; i++) {
        long r = futex(from, FUTEX_CMP_REQUEUE | priv, 0, (void *)(long)INT_MAX, to, 0);
        if (r < 0) {
            CHECK(0, "FUTEX_CMP_REQUEUE failed: %s", errstr(errno));
            return moved;
        }
        moved += r;
        if (moved < n)
            ms_sleep(1);
    }
    return moved;
}

/* --------------------------------------------------------------- requeue */

static void test_requeue(int priv) {
    static _Atomic int stage, f1, f2;
    struct sleeper s[4];
    const char *kind = priv ? "private" : "shared";
    sleepers_start(s, 4, &stage, FUTEX_WAIT | priv, 0);
    long moved = park(&stage, &f1, 4, priv);
    CHECK(moved == 4, "%s CMP_REQUEUE moved %ld sleepers in total, want 4", kind, moved);
    CHECK(sleepers_done(s, 4) == 0, "%s: requeue woke nobody", kind);
    CHECK(wake(&stage, INT_MAX, priv) == 0, "%s: nobody left on the old word", kind);

    /* CMP_REQUEUE refuses when the word changed. */
    atomic_store(&f1, 7);
    errno = 0;
    long r = futex(&f1, FUTEX_CMP_REQUEUE | priv, 1, (void *)(long)INT_MAX, &f2, 6);
    CHECK(r == -1 && errno == EAGAIN, "%s CMP_REQUEUE with stale value: %ld %s, want EAGAIN", kind,
          r, errstr(errno));

    /* Plain REQUEUE: wake 1, move the rest; Linux returns woken + moved. */
    r = futex(&f1, FUTEX_REQUEUE | priv, 1, (void *)(long)INT_MAX, &f2, 0);
    CHECK(r == 4, "%s FUTEX_REQUEUE(wake 1, move all) -> %ld, want 4", kind, r);
    int d = sleepers_wait_done(s, 4, 1);
    CHECK(d == 1, "%s: exactly 1 sleeper woke after REQUEUE (%d did)", kind, d);
    CHECK(wake(&f1, INT_MAX, priv) == 0, "%s: FUTEX_WAKE on the old word finds nobody", kind);
    r = wake(&f2, 1, priv);
    CHECK(r == 1, "%s: FUTEX_WAKE(1) on the new word -> %ld, want 1", kind, r);
    r = wake(&f2, INT_MAX, priv);
    CHECK(r == 2, "%s: FUTEX_WAKE(all) on the new word -> %ld, want 2", kind, r);
    d = sleepers_wait_done(s, 4, 4);
    CHECK(d == 4, "%s: all sleepers woke (%d)", kind, d);
    sleepers_join(s, 4, kind);
    atomic_store(&f1, 0);
}

/* ---------------------------------------------------------------- wakeop */

static void test_wakeop(int priv) {
    static _Atomic int stage, f1, f2;
    struct sleeper a[2], b[2];
    const char *kind = priv ? "private" : "shared";
    sleepers_start(a, 2, &stage, FUTEX_WAIT | priv, 0);
    CHECK(park(&stage, &f1, 2, priv) == 2, "%s: 2 sleepers parked on f1", kind);
    sleepers_start(b, 2, &stage, FUTEX_WAIT | priv, 0);
    CHECK(park(&stage, &f2, 2, priv) == 2, "%s: 2 sleepers parked on f2", kind);

    /* *f2 = 5; op: f2 += 1, wake f2 too if old > 0 (true). */
    atomic_store(&f2, 5);
    long r = futex(&f1, FUTEX_WAKE_OP | priv, 1, (void *)1L, &f2,
                   FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0));
    CHECK(r == 2, "%s WAKE_OP(ADD 1, old>0) -> %ld, want 2 (1 on each word)", kind, r);
    CHECK(atomic_load(&f2) == 6, "%s WAKE_OP: f2 is %d, want 6", kind, atomic_load(&f2));
    /* op: f2 = 0, wake f2 too if old == 1 (false: old is 6). */
    r = futex(&f1, FUTEX_WAKE_OP | priv, 1, (void *)1L, &f2,
              FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 1));
    CHECK(r == 1, "%s WAKE_OP(SET 0, old==1 false) -> %ld, want 1 (f1 only)", kind, r);
    CHECK(atomic_load(&f2) == 0, "%s WAKE_OP: f2 is %d, want 0", kind, atomic_load(&f2));
    /* OPARG_SHIFT: f2 |= 1 << 4; nobody left on f1, compare false. */
    r = futex(&f1, FUTEX_WAKE_OP | priv, 1, (void *)1L, &f2,
              FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_EQ, 1));
    CHECK(r == 0, "%s WAKE_OP(OR, old==1 false) -> %ld, want 0", kind, r);
    CHECK(atomic_load(&f2) == 16, "%s WAKE_OP OR 1<<4: f2 is %d, want 16", kind, atomic_load(&f2));
    int da = sleepers_wait_done(a, 2, 2), db = sleepers_wait_done(b, 2, 1);
    CHECK(da == 2 && db == 1, "%s: woke %d/2 on f1 and %d/2 on f2, want 2 and 1", kind, da, db);
    CHECK(wake(&f2, INT_MAX, priv) == 1, "%s: one sleeper left on f2", kind);
    sleepers_join(a, 2, kind);
    sleepers_join(b, 2, kind);
}

/* ---------------------------------------------------------------- bitset */

static void test_bitset(int priv) {
    static _Atomic int f;
    struct sleeper s[2];
    const char *kind = priv ? "private" : "shared";
    sleepers_start(&s[0], 1, &f, FUTEX_WAIT_BITSET | priv, 0x2);
    sleepers_start(&s[1], 1, &f, FUTEX_WAIT_BITSET | priv, 0x5);
    ms_sleep(100);
    long r = futex(&f, FUTEX_WAKE_BITSET | priv, INT_MAX, NULL, NULL, 0x8);
    CHECK(r == 0, "%s WAKE_BITSET 0x8 matches nobody: %ld", kind, r);
    /* Retry until the sleeper is there: a 0 only means "not asleep yet". */
    r = 0;
    for (int i = 0; i < 200 && r == 0; i++, ms_sleep(5))
        r = futex(&f, FUTEX_WAKE_BITSET | priv, INT_MAX, NULL, NULL, 0x4);
    CHECK(r == 1, "%s WAKE_BITSET 0x4 wakes the 0x5 sleeper only: %ld", kind, r);
    CHECK(sleepers_wait_done(s, 2, 1) == 1 && atomic_load(&s[1].done), "%s: the right sleeper woke",
          kind);
    r = 0;
    for (int i = 0; i < 200 && r == 0; i++, ms_sleep(5))
        r = futex(&f, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
    CHECK(r == 1, "%s plain FUTEX_WAKE wakes a bitset sleeper: %ld", kind, r);
    sleepers_join(s, 2, kind);
    errno = 0;
    r = futex(&f, FUTEX_WAIT_BITSET | priv, 0, NULL, NULL, 0);
    CHECK(r == -1 && errno == EINVAL, "%s WAIT_BITSET with bitset 0 -> EINVAL (%s)", kind,
          errstr(errno));
}

/* --------------------------------------------------------------- timeout */

/* One timed wait that nobody wakes: ETIMEDOUT after ~want_ms. */
static void timed(const char *what, int op, const struct timespec *ts, int want_ms) {
    static _Atomic int f;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    long r = futex(&f, op, 0, ts, NULL, FUTEX_BITSET_MATCH_ANY);
    int e = errno;
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(r == -1 && e == ETIMEDOUT, "%s: %ld %s, want ETIMEDOUT", what, r, errstr(e));
    CHECK(ms >= want_ms - 1 && ms < want_ms + 1000, "%s: returned after %ld ms, want ~%d ms", what,
          ms, want_ms);
}

struct timed_arg {
    _Atomic int *f;
    struct timespec abs;
    long r;
};
static void *timed_waiter(void *arg) {
    struct timed_arg *a = arg;
    a->r = futex(a->f, FUTEX_WAIT_BITSET_PRIVATE, 0, &a->abs, NULL, FUTEX_BITSET_MATCH_ANY);
    return NULL;
}

static void test_timeout(void) {
    static _Atomic int f = 3;
    errno = 0;
    long r = futex(&f, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    CHECK(r == -1 && errno == EAGAIN, "FUTEX_WAIT on a changed value: %ld %s, want EAGAIN", r,
          errstr(errno));
    struct timespec rel = {0, 80 * 1000000};
    timed("FUTEX_WAIT relative 80 ms", FUTEX_WAIT_PRIVATE, &rel, 80);
    timed("FUTEX_WAIT shared relative 80 ms", FUTEX_WAIT, &rel, 80);
    struct timespec zero = {0, 0};
    timed("FUTEX_WAIT relative 0", FUTEX_WAIT_PRIVATE, &zero, 0);
    struct timespec abs = ts_from_ns(now_ns(CLOCK_MONOTONIC) + 120 * 1000000LL);
    timed("WAIT_BITSET absolute CLOCK_MONOTONIC +120 ms", FUTEX_WAIT_BITSET_PRIVATE, &abs, 120);
    abs = ts_from_ns(now_ns(CLOCK_REALTIME) + 120 * 1000000LL);
    timed("WAIT_BITSET absolute CLOCK_REALTIME +120 ms",
          FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, &abs, 120);
    abs = ts_from_ns(now_ns(CLOCK_REALTIME) + 60 * 1000000LL);
    timed("shared WAIT_BITSET absolute CLOCK_REALTIME +60 ms",
          FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, &abs, 60);
    abs = ts_from_ns(now_ns(CLOCK_MONOTONIC) - 1000000000LL);
    timed("WAIT_BITSET absolute time in the past", FUTEX_WAIT_BITSET_PRIVATE, &abs, 0);
    struct timespec bad = {0, 1000000000L};
    errno = 0;
    r = futex(&f, FUTEX_WAIT_PRIVATE, 3, &bad, NULL, 0);
    CHECK(r == -1 && errno == EINVAL, "FUTEX_WAIT tv_nsec = 1e9 -> %s, want EINVAL", errstr(errno));
    /* A timed waiter woken before its timeout returns 0. */
    static _Atomic int g;
    struct timed_arg ta = {&g, ts_from_ns(now_ns(CLOCK_MONOTONIC) + 5000000000LL), -2};
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    pthread_t th;
    pthread_create(&th, NULL, timed_waiter, &ta);
    r = 0;
    for (int i = 0; i < 400 && r == 0; i++, ms_sleep(5))
        r = wake(&g, 1, FUTEX_PRIVATE_FLAG);
    pthread_join(th, NULL);
    long ms = (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
    CHECK(r == 1 && ta.r == 0 && ms < 2500,
          "timed waiter woken early: wake %ld, wait returned %ld after %ld ms", r, ta.r, ms);
}

/* ---------------------------------------------------------------- shared */

static void test_shared(void) {
    /* Anonymous shared memory, not private: shared futex ops work on it. */
    _Atomic int *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
    struct sleeper s[2];
    static _Atomic int stage;
    sleepers_start(s, 2, &stage, FUTEX_WAIT, 0);
    CHECK(park(&stage, &m[10], 2, 0) == 2, "2 sleepers parked on a shared anonymous page");
    CHECK(wake(&m[10], INT_MAX, 0) == 2, "shared FUTEX_WAKE on the anonymous page wakes 2");
    sleepers_join(s, 2, "shared anonymous");

    /* One file mapped twice: a shared futex is the same at both addresses. */
    char path[] = "futex-shared.dat";
    int fd = CHECK_OK(open(path, O_CREAT | O_TRUNC | O_RDWR, 0600));
    CHECK_OK(ftruncate(fd, 4096));
    _Atomic int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    _Atomic int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b, "file mapped at two addresses");
    if (a != MAP_FAILED && b != MAP_FAILED) {
        atomic_store(&a[5], 42);
        CHECK(atomic_load(&b[5]) == 42, "both mappings see the same word");
        atomic_store(&a[5], 0);
        sleepers_start(s, 1, &a[5], FUTEX_WAIT, 0);
        long r = 0;
        for (int i = 0; i < 400 && r == 0; i++, ms_sleep(5))
            r = wake(&b[5], 1, 0);
        CHECK(r == 1, "FUTEX_WAKE through the second mapping wakes the sleeper on the first");
        if (r != 1)
            wake(&a[5], 1, 0); /* do not leave the thread hanging */
        sleepers_join(s, 1, "shared file");
        /* A private futex is keyed by address: the other mapping misses it. */
        sleepers_start(s, 1, &a[6], FUTEX_WAIT_PRIVATE, 0);
        ms_sleep(100);
        r = wake(&b[6], 1, FUTEX_PRIVATE_FLAG);
        CHECK(r == 0, "private FUTEX_WAKE at the other address wakes nobody (%ld)", r);
        r = 0;
        for (int i = 0; i < 400 && r == 0; i++, ms_sleep(5))
            r = wake(&a[6], 1, FUTEX_PRIVATE_FLAG);
        CHECK(r == 1, "private FUTEX_WAKE at the same address wakes it");
        sleepers_join(s, 1, "private file");
    }
    close(fd);
    unlink(path);
}

int main(int argc, char **argv) {
    check_init("futex");
    long rounds = argc > 2 ? atol(argv[2]) : 1000000;
    watchdog(240);
    SUBTEST(argc, argv, "race", test_race(rounds));
    SUBTEST(argc, argv, "pthread", test_pthread(rounds));
    SUBTEST(argc, argv, "requeue", (test_requeue(FUTEX_PRIVATE_FLAG), test_requeue(0)));
    SUBTEST(argc, argv, "wakeop", (test_wakeop(FUTEX_PRIVATE_FLAG), test_wakeop(0)));
    SUBTEST(argc, argv, "bitset", (test_bitset(FUTEX_PRIVATE_FLAG), test_bitset(0)));
    SUBTEST(argc, argv, "timeout", test_timeout());
    SUBTEST(argc, argv, "shared", test_shared());
    return check_done();
}
