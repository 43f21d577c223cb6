/* Sabot's vDSO: clock_gettime, gettimeofday, time, getcpu and clock_getres
 * without a system call, from the data page the libos maps one page below
 * this image. Clocks it cannot serve (CPU time, unknown ids, no usable TSC)
 * make the real system call, which the libos then serves.
 * Built as its own shared object (vdso.lds); it must need no relocations. */
#include "vdso_data.h"

#define NSEC_PER_SEC 1000000000ULL
#define ENTRY __attribute__((visibility("default")))

struct vdso_timespec {
    int64_t tv_sec, tv_nsec;
};
struct vdso_timeval {
    int64_t tv_sec, tv_usec;
};
struct vdso_timezone {
    int tz_minuteswest, tz_dsttime;
};

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static const volatile struct sabot_vdso_data *vdso_data(void) {
    return (const volatile struct sabot_vdso_data *)((uintptr_t)__ehdr_start - 4096);
}

static long vdso_syscall2(long nr, long a, long b) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}
static long vdso_syscall3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}

enum {
    NR_gettimeofday = 96,
    NR_time = 201,
    NR_clock_gettime = 228,
    NR_clock_getres = 229,
    NR_getcpu = 309
};

/* 1: realtime family, 2: monotonic family, 0: not served here. */
static int clock_kind(long clock) {
    switch (clock) {
    case 0:  /* REALTIME */
    case 5:  /* REALTIME_COARSE */
    case 11: /* TAI (no leap offset is kept) */
        return 1;
    case 1: /* MONOTONIC */
    case 4: /* MONOTONIC_RAW */
    case 6: /* MONOTONIC_COARSE */
    case 7: /* BOOTTIME */
        return 2;
    default:
        return 0;
    }
}

/* ns on clock kind (1 or 2); 0 if the data page says use the syscall. */
static int read_ns(int kind, uint64_t *ns) {
    uint64_t mono;
    int64_t off;
    if (!sabot_vdso_read(vdso_data(), &mono, &off))
        return 0;
    *ns = kind == 1 ? mono + off : mono;
    return 1;
}

ENTRY int __vdso_clock_gettime(long clock, struct vdso_timespec *ts) {
    uint64_t ns;
    int kind = clock_kind(clock);
    if (!kind || !read_ns(kind, &ns))
        return vdso_syscall2(NR_clock_gettime, clock, (long)ts);
    ts->tv_sec = ns / NSEC_PER_SEC;
    ts->tv_nsec = ns % NSEC_PER_SEC;
    return 0;
}

ENTRY int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz) {
    uint64_t ns;
    if (!read_ns(1, &ns))
        return vdso_syscall2(NR_gettimeofday, (long)tv, (long)tz);
    if (tv) {
        tv->tv_sec = ns / NSEC_PER_SEC;
        tv->tv_usec = ns % NSEC_PER_SEC / 1000;
    }
    if (tz) {
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

ENTRY int64_t __vdso_time(int64_t *t) {
    uint64_t ns;
    if (!read_ns(1, &ns))
        return vdso_syscall2(NR_time, (long)t, 0);
    int64_t s = ns / NSEC_PER_SEC;
    if (t)
        *t = s;
    return s;
}

ENTRY int __vdso_clock_getres(long clock, struct vdso_timespec *res) {
    int kind = clock_kind(clock);
    if (!kind || !vdso_data()->tsc_ok)
        return vdso_syscall2(NR_clock_getres, clock, (long)res);
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = (clock == 5 || clock == 6) ? vdso_data()->coarse_res_ns : 1;
    }
    return 0;
}

ENTRY int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache) {
    const volatile struct sabot_vdso_data *d = vdso_data();
    uint32_t mode = d->getcpu_mode;
    if (mode == SABOT_GETCPU_NONE && !d->tsc_ok)
        return vdso_syscall3(NR_getcpu, (long)cpu, (long)node, (long)cache);
    unsigned aux = sabot_cpu_aux(mode);
    unsigned c = aux & 0xfff;
    if (c >= d->ncpu)
        c = 0;
    if (cpu)
        *cpu = c;
    if (node)
        *node = aux >> 12;
    return 0;
}

/* The unprefixed names the kernel's vDSO also exports. */
int clock_gettime(long, struct vdso_timespec *)
    __attribute__((weak, alias("__vdso_clock_gettime"), visibility("default")));
int gettimeofday(struct vdso_timeval *, struct vdso_timezone *)
    __attribute__((weak, alias("__vdso_gettimeofday"), visibility("default")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time"), visibility("default")));
int clock_getres(long, struct vdso_timespec *)
    __attribute__((weak, alias("__vdso_clock_getres"), visibility("default")));
int getcpu(unsigned *, unsigned *, void *)
    __attribute__((weak, alias("__vdso_getcpu"), visibility("default")));
