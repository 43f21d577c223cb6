/* The vDSO: present in auxv, clocks monotonic and close to the host's.
 * The host's time comes from file mtimes (the host kernel stamps them), so
 * a drifting TSC conversion shows. usage: vdso DIR SECONDS
 * Prints "realtime NS" for vdso_trace.sh to compare with `date`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int64_t ns_of(const struct timespec *ts) {
    return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* How far the host's time (a file's mtime, which the host kernel stamps
 * with its coarse clock, up to a tick late) falls outside the window of
 * our CLOCK_REALTIME readings around the write, in ns; 0 if inside. */
static int64_t host_outside(const char *dir) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/stamp", dir);
    struct timespec a, b;
    clock_gettime(CLOCK_REALTIME, &a);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (write(fd, "x", 1) != 1)
        return -1;
    struct stat st;
    fstat(fd, &st);
    close(fd);
    clock_gettime(CLOCK_REALTIME, &b);
    int64_t host = ns_of(&st.st_mtim), lo = ns_of(&a) - 20000000, hi = ns_of(&b) + 2000000;
    return host < lo ? host - lo : host > hi ? host - hi : 0;
}

int main(int argc, char **argv) {
    check_init("vdso");
    const char *dir = argc > 1 ? argv[1] : ".";
    int secs = argc > 2 ? atoi(argv[2]) : 2;
    CHECK(getauxval(AT_SYSINFO_EHDR) != 0, "AT_SYSINFO_EHDR is set");
    int64_t off0 = host_outside(dir);
    CHECK(off0 == 0, "host file time within our realtime window (outside by %lld us)",
          (long long)(off0 / 1000));
    struct timespec m0, m, prev, r;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    prev = m0;
    long back = 0, calls = 0;
    do {
        clock_gettime(CLOCK_MONOTONIC, &m);
        back += ns_of(&m) < ns_of(&prev);
        prev = m;
        calls++;
    } while (ns_of(&m) - ns_of(&m0) < secs * 1000000000LL);
    CHECK(back == 0, "CLOCK_MONOTONIC never went back in %ld calls", calls);
    int64_t off1 = host_outside(dir);
    CHECK(off1 == 0, "after %d s: host file time within our realtime window (outside by %lld us)",
          secs, (long long)(off1 / 1000));
    struct timeval tv;
    gettimeofday(&tv, NULL);
    clock_gettime(CLOCK_REALTIME, &r);
    time_t t = time(NULL);
    /* time() may read the coarse clock (glibc does): up to a tick behind,
     * so it can still show the previous second. */
    CHECK(tv.tv_sec <= r.tv_sec && r.tv_sec - tv.tv_sec <= 1 && t >= tv.tv_sec - 1 &&
              t - r.tv_sec <= 1,
          "gettimeofday, clock_gettime and time agree");
    int cpu = sched_getcpu();
    CHECK(cpu >= 0 && cpu < sysconf(_SC_NPROCESSORS_CONF) + 64, "sched_getcpu %d", cpu);
    printf("realtime %lld\n", (long long)ns_of(&r));
    return check_done();
}
