/* Signals from another process must reach a process wherever its threads
 * are: busy in app code without system calls, blocked in a pipe read, in
 * pthread_join while another thread spins, stopped, or just forked (the
 * signal sent before the child ran). Under sabot these arrive through the
 * process table's mailbox and a host wake of the target (no mailbox
 * thread): each case is one place the wake must be seen. Usage: wake */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../integration/check.h"

static volatile sig_atomic_t g_got;
static volatile int g_spin_go = 1;

static void on_usr1(int sig) {
    (void)sig;
    g_got = 1;
}

static void handle(int sig, int flags) {
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = flags};
    sigaction(sig, &sa, NULL);
}

static int status_of(pid_t pid) {
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* The child says it is ready through p, then the parent signals it. */
static pid_t child_ready(int p[2], void (*body)(int fd)) {
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        body(p[1]);
        _exit(99);
    }
    close(p[1]);
    char b;
    if (read(p[0], &b, 1) != 1)
        return -1;
    return c;
}

/* Busy in app code: no system call until the handler ran. */
static void busy(int fd) {
    handle(SIGUSR1, 0);
    write(fd, "r", 1);
    while (!g_got)
        ;
    _exit(7);
}

/* Blocked in read (no SA_RESTART): the handler runs, read fails EINTR. */
static void reader(int fd) {
    handle(SIGUSR1, 0);
    int q[2];
    pipe(q);
    write(fd, "r", 1);
    char b;
    ssize_t n = read(q[0], &b, 1);
    _exit(n == -1 && errno == EINTR && g_got ? 8 : 1);
}

static void *spinner(void *arg) {
    (void)arg;
    while (g_spin_go)
        ;
    return NULL;
}

/* Main thread in pthread_join (a futex wait), another thread spinning:
 * the default action of SIGTERM ends the whole process. */
static void joiner(int fd) {
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    write(fd, "r", 1);
    pthread_join(t, NULL);
    _exit(1);
}

/* The child stops itself with SIGSTOP's default action, then spins. */
static void stopper(int fd) {
    write(fd, "r", 1);
    for (;;)
        ;
}

static void sleep_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reaps children that exit with 5 until it has n of them. */
static volatile int g_reaped;
static void *reaper(void *arg) {
    int n = (int)(long)arg;
    while (g_reaped < n) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 5)
            g_reaped++;
        else if (p < 0 && errno != EINTR)
            break;
    }
    return NULL;
}

int main(void) {
    check_init("wake");
    int p[2];

    pid_t c = child_ready(p, busy);
    sleep_ms(20); /* let it reach its loop */
    CHECK_OK(kill(c, SIGUSR1));
    CHECK(status_of(c) == 7, "a child busy in app code ran its SIGUSR1 handler");
    close(p[0]);

    c = child_ready(p, reader);
    sleep_ms(20);
    CHECK_OK(kill(c, SIGUSR1));
    CHECK(status_of(c) == 8, "a child blocked in read got EINTR after its handler");
    close(p[0]);

    c = child_ready(p, joiner);
    sleep_ms(20);
    CHECK_OK(kill(c, SIGTERM));
    CHECK(status_of(c) == 1000 + SIGTERM, "a child in pthread_join with a spinning thread "
                                          "died of SIGTERM");
    close(p[0]);

    c = child_ready(p, stopper);
    CHECK_OK(kill(c, SIGSTOP));
    int st = 0;
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
          "a spinning child stopped (status %#x)", st);
    CHECK_OK(kill(c, SIGCONT));
    CHECK(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "and continued (status %#x)", st);
    CHECK_OK(kill(c, SIGKILL));
    CHECK(status_of(c) == 1000 + SIGKILL, "and then died of SIGKILL");
    close(p[0]);

    /* Signalled at once after fork, before the child can have run. */
    for (int i = 0; i < 50; i++) {
        c = fork();
        if (c == 0) {
            for (;;)
                ;
        }
        kill(c, SIGKILL);
        if (status_of(c) != 1000 + SIGKILL) {
            CHECK(0, "a child killed right after fork (round %d)", i);
            break;
        }
    }
    CHECK(1, "50 children killed right after fork died of SIGKILL");

    /* A child's SIGCHLD interrupts a parent busy in app code. */
    handle(SIGCHLD, 0);
    g_got = 0;
    c = fork();
    if (c == 0)
        _exit(3);
    while (!g_got)
        ;
    CHECK(status_of(c) == 3, "SIGCHLD reached the parent spinning in app code");

    /* A parent blocked in waitpid for one child: another child's exit
     * (SIGCHLD) or signal ends the wait with EINTR where the handler has
     * no SA_RESTART, and the wait goes on where it has. Under sabot a
     * child wakes a parent waiting in wait() by a byte on their fork link
     * instead of a host signal: each case is one path of that wake. */
    int go[2];
    CHECK_OK(pipe(go));
    pid_t slow = fork();
    if (slow == 0) { /* ends once told to */
        char b;
        _exit(read(go[0], &b, 1) == 1 ? 4 : 5);
    }
    pid_t quick = fork();
    if (quick == 0) {
        sleep_ms(50);
        _exit(6);
    }
    g_got = 0;
    errno = 0;
    pid_t w = waitpid(slow, &st, 0);
    CHECK(w == -1 && errno == EINTR && g_got,
          "another child's SIGCHLD ended a waitpid with EINTR (%d, %s, handler %d)", (int)w,
          strerror(errno), (int)g_got);
    CHECK(status_of(quick) == 6, "and that child is then collected");

    handle(SIGCHLD, SA_RESTART);
    quick = fork();
    if (quick == 0) {
        sleep_ms(50);
        _exit(6);
    }
    pid_t teller = fork();
    if (teller == 0) { /* lets the slow child go once the quick one ended */
        sleep_ms(150);
        _exit(write(go[1], "g", 1) == 1 ? 0 : 1);
    }
    g_got = 0;
    CHECK(status_of(slow) == 4 && g_got,
          "with SA_RESTART the waitpid went on through another child's SIGCHLD");
    CHECK(status_of(quick) == 6 && status_of(teller) == 0, "and the others are collected");

    handle(SIGUSR1, 0);
    c = fork();
    if (c == 0) {
        sleep_ms(50);
        kill(getppid(), SIGUSR1);
        sleep_ms(50);
        _exit(9);
    }
    g_got = 0;
    errno = 0;
    w = waitpid(c, &st, 0);
    CHECK(w == -1 && errno == EINTR && g_got,
          "a child's SIGUSR1 ended its parent's waitpid with EINTR (%d, %s, handler %d)", (int)w,
          strerror(errno), (int)g_got);
    CHECK(status_of(c) == 9, "and the child is then collected");

    /* A thread blocked in waitpid(-1) collects the children another thread
     * forks while it waits, although it started waiting before they
     * existed (with only a child that never ends). Under sabot those
     * children's links were not among those it polls. */
    pid_t sleeper = fork();
    if (sleeper == 0) {
        pause();
        _exit(0);
    }
    pthread_t th;
    CHECK_OK(pthread_create(&th, NULL, reaper, (void *)20L));
    sleep_ms(20);
    /* One child at a time, each reaped before the next: this thread then
     * spins, with no system call that could look at the mailbox for the
     * reaper. */
    for (int i = 0; i < 20; i++) {
        if (fork() == 0)
            _exit(5);
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do
            clock_gettime(CLOCK_MONOTONIC, &t);
        while (g_reaped <= i && t.tv_sec - t0.tv_sec < 3);
        if (g_reaped <= i)
            break;
    }
    CHECK(g_reaped == 20, "a thread in waitpid(-1) collected 20 children forked meanwhile (%d)",
          (int)g_reaped);
    kill(sleeper, SIGKILL);
    pthread_join(th, NULL);
    return check_done();
}
