/* Helpers for the poll/epoll/eventfd/signalfd tests (on top of check.h). */
#ifndef SABOT_PTEST_H
#define SABOT_PTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static inline long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A thread that sleeps ms, then runs fn(arg): for wake-ups and signals
 * arriving while the main thread blocks. */
struct later {
    int ms;
    void (*fn)(void *);
    void *arg;
    pthread_t th;
};
static void *later_main(void *p) {
    struct later *l = p;
    struct timespec ts = {l->ms / 1000, (l->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    l->fn(l->arg);
    return NULL;
}
static inline void later_start(struct later *l, int ms, void (*fn)(void *), void *arg) {
    l->ms = ms;
    l->fn = fn;
    l->arg = arg;
    pthread_create(&l->th, NULL, later_main, l);
}
static inline void later_join(struct later *l) {
    pthread_join(l->th, NULL);
}

static pthread_t g_main_thread;
static inline void kill_main_usr1(void *arg) {
    pthread_kill(g_main_thread, SIGUSR1);
}

static volatile sig_atomic_t g_usr1;
static inline void on_usr1(int sig) {
    g_usr1++;
}
/* SIGUSR1 handler, with or without SA_RESTART. */
static inline void catch_usr1(int restart) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

#endif
