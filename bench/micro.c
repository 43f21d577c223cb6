/* Microbenchmarks for bench/run: each prints "name median-ns-per-op" over
 * REPEATS rounds. Static build (musl or sabot-cc) so it runs the same under
 * every runner.
 * usage: micro [-r REPEATS] [-s SCALE] [NAMES...]   (default: all)
 *        micro exit   (the execve target: exits at once) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static char g_self[4096];
static long g_scale = 1;
static volatile long g_sink;

static void b_null(long n) {
    for (long i = 0; i < n; i++)
        g_sink += syscall(SYS_getppid); /* never cached by a libc */
}
static void b_read1(long n) {
    int fd = open("/dev/zero", O_RDONLY);
    char c;
    for (long i = 0; i < n; i++)
        g_sink += read(fd, &c, 1);
    close(fd);
}
static void b_openclose(long n) {
    for (long i = 0; i < n; i++)
        close(open("bench.file", O_RDONLY));
}
static void b_stat(long n) {
    struct stat st;
    for (long i = 0; i < n; i++)
        g_sink += stat("bench.file", &st);
}
static void b_read4k(long n) {
    static char buf[4096];
    int fd = open("bench.file", O_RDONLY);
    for (long i = 0; i < n; i++)
        g_sink += pread(fd, buf, sizeof(buf), 0);
    close(fd);
}
static void b_pipe(long n) { /* one round trip between two processes */
    int a[2], b[2];
    char c = 0;
    if (pipe(a) || pipe(b))
        exit(1);
    pid_t p = fork();
    if (p == 0) {
        for (long i = 0; i < n; i++)
            if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    for (long i = 0; i < n; i++)
        if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
            exit(1);
    waitpid(p, NULL, 0);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
}
static void *nothing(void *a) {
    return a;
}
static void b_thread(long n) {
    for (long i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
}
static void b_fork(long n) {
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
    }
}
static void b_exec(long n) {
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            char *argv[] = {g_self, "exit", NULL};
            execv(g_self, argv);
            _exit(127);
        }
        waitpid(p, NULL, 0);
    }
}

static const struct {
    const char *name;
    void (*fn)(long);
    long n;
} g_benches[] = {
    {"null", b_null, 200000},  {"read1", b_read1, 100000},  {"openclose", b_openclose, 20000},
    {"stat", b_stat, 20000},   {"read4k", b_read4k, 50000}, {"pipe", b_pipe, 5000},
    {"thread", b_thread, 500}, {"fork", b_fork, 100},       {"exec", b_exec, 50},
};

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 0;
    int reps = 5, opt;
    while ((opt = getopt(argc, argv, "r:s:")) != -1) {
        if (opt == 'r')
            reps = atoi(optarg);
        else if (opt == 's')
            g_scale = atol(optarg);
        else
            return 2;
    }
    if (reps < 1 || reps > 99 || g_scale < 1)
        return 2;
    ssize_t k = readlink("/proc/self/exe", g_self, sizeof(g_self) - 1);
    if (k <= 0)
        strcpy(g_self, argv[0]);
    int fd = open("bench.file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    static char data[8192];
    if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
        return 1;
    close(fd);
    for (size_t i = 0; i < sizeof(g_benches) / sizeof(g_benches[0]); i++) {
        int want = optind >= argc;
        for (int a = optind; a < argc; a++)
            want |= !strcmp(argv[a], g_benches[i].name);
        if (!want)
            continue;
        long n = g_benches[i].n / g_scale > 0 ? g_benches[i].n / g_scale : 1;
        double t[99];
        g_benches[i].fn(n / 10 + 1); /* warm up (and, under sabot, rewrite) */
        for (int r = 0; r < reps; r++) {
            double t0 = now_ns();
            g_benches[i].fn(n);
            t[r] = (now_ns() - t0) / n;
        }
        qsort(t, reps, sizeof(t[0]), cmp);
        printf("%s %.1f\n", g_benches[i].name, t[reps / 2]);
        fflush(stdout);
    }
    unlink("bench.file");
    return 0;
}
