/* The data page shared by the libos (writer) and its vDSO (reader). It is
 * mapped one page below the vDSO image. Freestanding: the vDSO build and
 * the libos both include it. */
#ifndef SABOT_VDSO_DATA_H
#define SABOT_VDSO_DATA_H

#include <stdint.h>

#define SABOT_VDSO_SHIFT 32 /* ns = (ticks * mult) >> SABOT_VDSO_SHIFT */

enum { SABOT_GETCPU_NONE = 0, SABOT_GETCPU_RDPID = 1, SABOT_GETCPU_RDTSCP = 2 };

/* A seqlock protects the conversion: readers retry while seq is odd or
 * changed under them; only the libos writes. */
struct sabot_vdso_data {
    uint32_t seq;
    uint32_t tsc_ok;      /* 0: no usable TSC, the vDSO makes system calls */
    uint64_t tsc_base;    /* TSC at the last sync */
    uint64_t mono_base;   /* CLOCK_MONOTONIC at tsc_base, ns */
    int64_t real_offset;  /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
    uint64_t mult;        /* ns per tick << SABOT_VDSO_SHIFT */
    uint32_t getcpu_mode; /* SABOT_GETCPU_* */
    uint32_t ncpu;
    uint64_t coarse_res_ns; /* what clock_getres says for *_COARSE */
};

static inline uint64_t sabot_rdtsc(void) {
    uint32_t lo, hi;
    /* lfence keeps rdtsc from running ahead of earlier loads (the seq). */
    __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
}

/* (a * m) >> SABOT_VDSO_SHIFT over the full 128-bit product. */
static inline uint64_t sabot_mul_shift(uint64_t a, uint64_t m) {
    uint64_t lo, hi;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(m));
    return lo >> SABOT_VDSO_SHIFT | hi << (64 - SABOT_VDSO_SHIFT);
}

/* The clock a given snapshot of the parameters shows at TSC value tsc.
 * A TSC slightly behind tsc_base (another CPU) counts as tsc_base. */
static inline uint64_t sabot_vdso_mono_at(uint64_t tsc, uint64_t tsc_base, uint64_t mono_base,
                                          uint64_t mult) {
    uint64_t delta = tsc - tsc_base;
    if ((int64_t)delta < 0)
        delta = 0;
    return mono_base + sabot_mul_shift(delta, mult);
}

/* CLOCK_MONOTONIC now and the realtime offset; 0 if the TSC is not used. */
static inline int sabot_vdso_read(const volatile struct sabot_vdso_data *d, uint64_t *mono,
                                  int64_t *real_offset) {
    for (;;) {
        uint32_t seq = d->seq;
        if (seq & 1) {
            __asm__ volatile("pause");
            continue;
        }
        __asm__ volatile("" ::: "memory");
        if (!d->tsc_ok)
            return 0;
        uint64_t base = d->tsc_base, mbase = d->mono_base, mult = d->mult;
        int64_t off = d->real_offset;
        uint64_t tsc = sabot_rdtsc();
        __asm__ volatile("" ::: "memory");
        if (d->seq != seq)
            continue;
        *mono = sabot_vdso_mono_at(tsc, base, mbase, mult);
        *real_offset = off;
        return 1;
    }
}

/* TSC_AUX as Linux sets it: node << 12 | cpu. */
static inline unsigned sabot_cpu_aux(uint32_t mode) {
    uint64_t aux = 0;
    if (mode == SABOT_GETCPU_RDPID) {
        __asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(aux)); /* rdpid %rax */
    } else if (mode == SABOT_GETCPU_RDTSCP) {
        uint32_t lo, hi, c;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
        aux = c;
    }
    return (unsigned)aux;
}

#endif
