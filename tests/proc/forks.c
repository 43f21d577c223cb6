/* fork at volume, fork from a thread while others run and hold locks, and
 * the process limit. Usage: forks loop|threads|limit N */
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../integration/check.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fork_wait(int code) {
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    int st = -1;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_stop;

static void *busy(void *arg) {
    while (!g_stop) {
        pthread_mutex_lock(&g_mu);
        void *p = malloc(64 + (uintptr_t)arg);
        free(p);
        pthread_mutex_unlock(&g_mu);
    }
    return NULL;
}

static void *forker(void *arg) {
    int bad = 0;
    for (int i = 0; i < 50; i++) {
        pid_t pid = fork();
        if (pid == 0) { /* only this thread exists here; malloc must work */
            char *p = malloc(1000);
            _exit(p ? 0 : 1);
        }
        int st = -1;
        bad += waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    return (void *)(intptr_t)bad;
}

int main(int argc, char **argv) {
    check_init("forks");
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    if (!strcmp(argv[1], "loop")) {
        double t0 = now();
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad += fork_wait(i & 0x7f) != (i & 0x7f);
        double us = (now() - t0) / n * 1e6;
        CHECK(bad == 0, "%d forks with exit codes seen by waitpid (%d wrong)", n, bad);
        printf("info fork+wait: %.0f us each\n", us);
    } else if (!strcmp(argv[1], "threads")) {
        pthread_t th[4], f;
        for (int i = 0; i < 4; i++)
            pthread_create(&th[i], NULL, busy, (void *)(uintptr_t)i);
        void *bad;
        pthread_create(&f, NULL, forker, NULL);
        pthread_join(f, &bad);
        g_stop = 1;
        for (int i = 0; i < 4; i++)
            pthread_join(th[i], NULL);
        CHECK(bad == NULL, "50 forks from a thread while 4 others run malloc and locks (%d bad)",
              (int)(intptr_t)bad);
    } else { /* limit: n processes in all may live */
        pid_t kids[64];
        int made = 0, err = 0;
        for (int i = 0; i < n + 1 && i < 64; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                sleep(2);
                _exit(0);
            }
            if (pid < 0) {
                err = errno;
                break;
            }
            kids[made++] = pid;
        }
        CHECK(made == n - 1 && err == EAGAIN, "%d children (want %d), then EAGAIN (got %s)", made,
              n - 1, errname(err));
        for (int i = 0; i < made; i++)
            kill(kids[i], SIGKILL), waitpid(kids[i], NULL, 0);
    }
    return check_done();
}
