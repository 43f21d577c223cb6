/* Helpers shared by the issue 3 programs, on top of the integration
 * check.h: time in nanoseconds, a watchdog so a lost wake-up fails the
 * test with a message instead of hanging it, and subtest selection. */
#ifndef SABOT_TEST_I3_H
#define SABOT_TEST_I3_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static inline int64_t now_ns(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline struct timespec ts_from_ns(int64_t ns) {
    struct timespec ts = {ns / 1000000000, ns % 1000000000};
    return ts;
}

static inline void ms_sleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* A write(2) that only uses async-signal-safe calls. */
static inline void say_raw(const char *s) {
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            break;
        s += w;
        n -= (size_t)w;
    }
}

/* The watchdog: if the program is stuck (lost wake-up, missing signal),
 * print the stage it was in and exit 3 instead of waiting for the test's
 * timeout. A thread with every signal blocked, so it never takes a
 * process signal meant for the test's own threads. */
static const char *volatile g_stage = "start";
static void *watchdog_run(void *arg) {
    ms_sleep((int)(intptr_t)arg * 1000);
    say_raw("FAIL watchdog: stuck in stage: ");
    say_raw(g_stage);
    say_raw("\n");
    _exit(3);
    return NULL;
}
static inline void watchdog(int seconds) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    pthread_create(&th, NULL, watchdog_run, (void *)(intptr_t)seconds);
    pthread_detach(th);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static inline const char *errstr(int e) {
    switch (e) {
    case ETIMEDOUT:
        return "ETIMEDOUT";
    case EINTR:
        return "EINTR";
    case EAGAIN:
        return "EAGAIN";
    case EINPROGRESS:
        return "EINPROGRESS";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ENOSYS:
        return "ENOSYS";
    default:
        return errname(e);
    }
}

/* Run subtest NAME when argv[1] is NAME or "all". */
#define SUBTEST(argc, argv, name, fn)                                                              \
    do {                                                                                           \
        if ((argc) < 2 || !strcmp((argv)[1], "all") || !strcmp((argv)[1], name)) {                 \
            g_stage = name;                                                                        \
            printf("---- %s\n", name);                                                             \
            fn;                                                                                    \
        }                                                                                          \
    } while (0)

#endif
