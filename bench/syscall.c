/* Syscall microbenchmark for bench/run.sh: the cost of one getpid (a real
 * system call: under sabot a trap into the libos) and one clock_gettime
 * (the vDSO: no trap at all), in ns per call.
 * usage: syscall [ITERATIONS] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    volatile long sink = 0;
    struct timespec ts;

    double t0 = now();
    for (long i = 0; i < n; i++)
        sink += syscall(SYS_getpid); /* glibc does not cache it: always a syscall */
    double t1 = now();
    for (long i = 0; i < n; i++) {
        clock_gettime(CLOCK_REALTIME, &ts);
        sink += ts.tv_nsec;
    }
    double t2 = now();
    printf("getpid %.1f\n", (t1 - t0) / n);
    printf("clock_gettime %.1f\n", (t2 - t1) / n);
    return sink == 42; /* keeps the loops */
}
