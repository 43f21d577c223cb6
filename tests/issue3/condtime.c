/* Condition variables, mutexes and semaphores with timeouts: a timed wait
 * nobody signals returns ETIMEDOUT after about the time (never early), with
 * the mutex held again; one that is signalled returns 0 at once. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>

#include "i3.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

/* ms elapsed on CLOCK_MONOTONIC since t0 */
static long since_ms(int64_t t0) {
    return (long)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
}

static struct timespec deadline(clockid_t clk, long ms) {
    return ts_from_ns(now_ns(clk) + ms * 1000000LL);
}

/* Timed wait that nobody signals on a condvar using clock clk. */
static void timeout_once(clockid_t clk, long ms) {
    const char *cn = clk == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "CLOCK_REALTIME";
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, clk);
    pthread_cond_t cv;
    pthread_cond_init(&cv, &ca);
    pthread_mutex_lock(&g_mu);
    struct timespec ts = deadline(clk, ms);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int r = pthread_cond_timedwait(&cv, &g_mu, &ts);
    long el = since_ms(t0);
    int64_t late = now_ns(clk) - ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
    CHECK(r == ETIMEDOUT, "%s %ld ms: pthread_cond_timedwait -> %s, want ETIMEDOUT", cn, ms,
          errstr(r));
    CHECK(late >= 0 && el < ms + 1000, "%s %ld ms: returned after %ld ms (%lld ns after deadline)",
          cn, ms, el, (long long)late);
    CHECK(pthread_mutex_trylock(&g_mu) == EBUSY, "mutex held again after the timeout");
    pthread_mutex_unlock(&g_mu);
    pthread_cond_destroy(&cv);
}

/* ---------------------------------------------------------- concurrent */

#define NWAIT 8
struct waiter {
    pthread_t th;
    pthread_cond_t *cv;
    long ms;
    int r;
    long el;
};
static void *timed_waiter(void *arg) {
    struct waiter *w = arg;
    pthread_mutex_lock(&g_mu);
    struct timespec ts = deadline(CLOCK_REALTIME, w->ms);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    w->r = pthread_cond_timedwait(w->cv, &g_mu, &ts);
    w->el = since_ms(t0);
    pthread_mutex_unlock(&g_mu);
    return NULL;
}

/* NWAIT threads on one condvar with staggered deadlines: each times out on
 * its own, in order. */
static void test_staggered(void) {
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    struct waiter w[NWAIT];
    for (int i = 0; i < NWAIT; i++) {
        w[i] = (struct waiter){.cv = &cv, .ms = 60 + 40 * i};
        pthread_create(&w[i].th, NULL, timed_waiter, &w[i]);
    }
    for (int i = 0; i < NWAIT; i++) {
        pthread_join(w[i].th, NULL);
        CHECK(w[i].r == ETIMEDOUT && w[i].el >= w[i].ms - 1 && w[i].el < w[i].ms + 1000,
              "waiter %d: %s after %ld ms, want ETIMEDOUT after ~%ld ms", i, errstr(w[i].r),
              w[i].el, w[i].ms);
    }
}

/* Signalled and broadcast waits return 0 well before their timeout. */
static void test_signalled(void) {
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    struct waiter w[NWAIT];
    for (int i = 0; i < NWAIT; i++) {
        w[i] = (struct waiter){.cv = &cv, .ms = 10000};
        pthread_create(&w[i].th, NULL, timed_waiter, &w[i]);
    }
    ms_sleep(100); /* let them block (a late one would just wait 10 s) */
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&g_mu);
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&g_mu);
    ms_sleep(100);
    pthread_mutex_lock(&g_mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&g_mu);
    int ok = 0;
    for (int i = 0; i < NWAIT; i++) {
        pthread_join(w[i].th, NULL);
        ok += w[i].r == 0;
    }
    long el = since_ms(t0);
    CHECK(ok == NWAIT, "signal + broadcast: %d of %d timed waits returned 0", ok, NWAIT);
    CHECK(el < 5000, "all woke in %ld ms, well before their 10 s timeout", el);
}

/* ----------------------------------------------------- mutex, semaphore */

static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;
static sem_t g_go, g_release;
static void *holder(void *arg) {
    pthread_mutex_lock(&g_held);
    sem_post(&g_go);
    sem_wait(&g_release);
    pthread_mutex_unlock(&g_held);
    return NULL;
}

static void test_mutex_sem(void) {
    sem_init(&g_go, 0, 0);
    sem_init(&g_release, 0, 0);
    pthread_t th;
    pthread_create(&th, NULL, holder, NULL);
    sem_wait(&g_go);
    struct timespec ts = deadline(CLOCK_REALTIME, 120);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int r = pthread_mutex_timedlock(&g_held, &ts);
    long el = since_ms(t0);
    CHECK(r == ETIMEDOUT && el >= 119 && el < 1200,
          "pthread_mutex_timedlock on a held mutex: %s after %ld ms, want ETIMEDOUT after ~120",
          errstr(r), el);
    sem_post(&g_release);
    ts = deadline(CLOCK_REALTIME, 5000);
    t0 = now_ns(CLOCK_MONOTONIC);
    r = pthread_mutex_timedlock(&g_held, &ts);
    CHECK(r == 0 && since_ms(t0) < 4000, "timedlock gets the mutex once released: %s", errstr(r));
    pthread_mutex_unlock(&g_held);
    pthread_join(th, NULL);

    sem_t s;
    sem_init(&s, 0, 0);
    ts = deadline(CLOCK_REALTIME, 90);
    t0 = now_ns(CLOCK_MONOTONIC);
    errno = 0;
    r = sem_timedwait(&s, &ts);
    el = since_ms(t0);
    CHECK(r == -1 && errno == ETIMEDOUT && el >= 89 && el < 1100,
          "sem_timedwait: %d %s after %ld ms, want ETIMEDOUT after ~90", r, errstr(errno), el);
    sem_post(&s);
    ts = deadline(CLOCK_REALTIME, 90);
    CHECK(sem_timedwait(&s, &ts) == 0, "sem_timedwait on a posted semaphore returns 0");
    /* A deadline already past times out at once. */
    ts = deadline(CLOCK_REALTIME, -500);
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&g_mu);
    t0 = now_ns(CLOCK_MONOTONIC);
    r = pthread_cond_timedwait(&cv, &g_mu, &ts);
    pthread_mutex_unlock(&g_mu);
    CHECK(r == ETIMEDOUT && since_ms(t0) < 500, "deadline in the past: %s at once", errstr(r));
}

int main(int argc, char **argv) {
    check_init("condtime");
    watchdog(60);
    SUBTEST(argc, argv, "single",
            (timeout_once(CLOCK_REALTIME, 100), timeout_once(CLOCK_MONOTONIC, 150),
             timeout_once(CLOCK_MONOTONIC, 1)));
    SUBTEST(argc, argv, "staggered", test_staggered());
    SUBTEST(argc, argv, "signalled", test_signalled());
    SUBTEST(argc, argv, "mutex_sem", test_mutex_sem());
    return check_done();
}
