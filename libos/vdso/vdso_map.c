/* The libos side of the vDSO: TSC calibration against the PAL's clocks,
 * the data page the vDSO reads, periodic re-alignment (slewing, so the
 * monotonic clock never steps back), and mapping the image for a program.
 * The libos reads time through the same conversion (libos_vdso_clock), so
 * the app's vDSO clock and the libos's timers and sleeps agree exactly. */
#include "libos_checkpoint.h"
#include "libos_mm.h"
#include "libos_time.h"
#include "vdso_data.h"

extern const char libos_vdso_image[], libos_vdso_image_end[];

/* The first rate comes from an interval of at least 0.5 ms since
 * libos_vdso_calibrate_begin's sample, computed by the first clock call,
 * wait or timer tick after it; re-alignments at 2, 4, 8 ms... then refine
 * it over the whole baseline since that first sample. */
#define CALIBRATE_NS 500000ULL    /* first rate estimate after 0.5 ms or more */
#define SYNC_FIRST_NS 2000000ULL  /* first re-alignment after 2 ms */
#define SYNC_MAX_NS 8000000000ULL /* then doubling up to 8 s */
#define STEP_NS 50000000ULL       /* behind by more: step forward */
#define REAL_STEP_NS 100000ULL    /* realtime offset change that counts */
#define SLEW_PPM 500

struct sample {
    uint64_t tsc, mono;
    int64_t real_offset;
};

static struct sabot_vdso_data g_vd;                /* master copy (libos reads) */
static volatile struct sabot_vdso_data *g_vd_page; /* the app's copy */
static int g_vd_busy;                              /* one syncing thread at a time */
static bool g_vd_init;
static struct sample g_begin;              /* libos_vdso_calibrate_begin's sample */
static bool g_begun;                       /* g_begin taken, the first rate not yet computed */
static bool g_invariant;                   /* the CPU's TSC runs at a constant rate */
static uint64_t g_ref_tsc, g_ref_mono;     /* first sample: long baseline for the rate */
static uint64_t g_next_sync, g_sync_every; /* in monotonic ns */

/* (hi:lo) / d; the quotient must fit in 64 bits. */
static uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d) {
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    return q;
}

/* ns per tick << SHIFT from dn ns over dt ticks. */
static uint64_t rate(uint64_t dn, uint64_t dt) {
    if (!dt || (dn >> SABOT_VDSO_SHIFT) >= dt)
        return 0;
    return div128(dn >> (64 - SABOT_VDSO_SHIFT), dn << SABOT_VDSO_SHIFT, dt);
}

/* A (TSC, monotonic) pair bracketed tightly, and realtime - monotonic. */
static bool take_sample(struct sample *s) {
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t mono, t0 = sabot_rdtsc();
        if (pal_time_get(PAL_CLOCK_MONOTONIC, &mono) < 0)
            return false;
        uint64_t t1 = sabot_rdtsc();
        if (t1 - t0 < best) {
            best = t1 - t0;
            s->tsc = t0 + (t1 - t0) / 2;
            s->mono = mono;
        }
    }
    uint64_t m0, r, m1;
    if (pal_time_get(PAL_CLOCK_MONOTONIC, &m0) < 0 || pal_time_get(PAL_CLOCK_REALTIME, &r) < 0 ||
        pal_time_get(PAL_CLOCK_MONOTONIC, &m1) < 0)
        return false;
    s->real_offset = (int64_t)(r - (m0 + (m1 - m0) / 2));
    return true;
}

/* Copy the master into the app's page under its seqlock. The page is
 * read-only for the app except while we write it. */
static void publish(void) {
    volatile struct sabot_vdso_data *p = g_vd_page;
    if (!p)
        return;
    pal_mem_protect((void *)p, LIBOS_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE);
    p->seq++;
    __asm__ volatile("" ::: "memory");
    p->tsc_ok = g_vd.tsc_ok;
    p->tsc_base = g_vd.tsc_base;
    p->mono_base = g_vd.mono_base;
    p->real_offset = g_vd.real_offset;
    p->mult = g_vd.mult;
    p->getcpu_mode = g_vd.getcpu_mode;
    p->ncpu = g_vd.ncpu;
    p->coarse_res_ns = g_vd.coarse_res_ns;
    __asm__ volatile("" ::: "memory");
    p->seq++;
    /* Executable like the image above it: the two are then one host
     * mapping, one fewer for every fork to copy. */
    pal_mem_protect((void *)p, LIBOS_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_EXEC);
}

static void set_params(uint64_t tsc, uint64_t mono, uint64_t mult, int64_t real_offset) {
    __atomic_add_fetch(&g_vd.seq, 1, __ATOMIC_RELEASE);
    __asm__ volatile("" ::: "memory");
    g_vd.tsc_base = tsc;
    g_vd.mono_base = mono;
    g_vd.mult = mult;
    g_vd.real_offset = real_offset;
    __asm__ volatile("" ::: "memory");
    __atomic_add_fetch(&g_vd.seq, 1, __ATOMIC_RELEASE);
    publish();
}

static bool invariant_tsc(void) {
    uint32_t r[4];
    if (pal_cpuid(0x80000000, 0, r) < 0 || r[0] < 0x80000007)
        return false;
    pal_cpuid(0x80000007, 0, r);
    return r[3] & (1u << 8);
}

static uint32_t getcpu_mode(void) {
    uint32_t r[4];
    if (pal_cpuid(0, 0, r) == 0 && r[0] >= 7 && pal_cpuid(7, 0, r) == 0 && (r[2] & (1u << 22)))
        return SABOT_GETCPU_RDPID;
    if (pal_cpuid(0x80000000, 0, r) == 0 && r[0] >= 0x80000001 &&
        pal_cpuid(0x80000001, 0, r) == 0 && (r[3] & (1u << 27)))
        return SABOT_GETCPU_RDTSCP;
    return SABOT_GETCPU_NONE;
}

/* The first sample of the first calibration, taken early so the rest of
 * start-up overlaps the calibration interval. */
void libos_vdso_calibrate_begin(void) {
    g_invariant = invariant_tsc();
    if (!g_vd_init && g_invariant)
        g_begun = take_sample(&g_begin);
}

/* First calibration: the rate over at least CALIBRATE_NS since the first
 * sample. Never waits for it: until the interval has passed, the vDSO
 * makes system calls and a later clock call, wait or the timer thread
 * finishes the job (a short-lived program never needs the TSC). */
static void calibrate_setup(void) {
    if (!g_begun && !g_vd.tsc_ok) /* a restored child: libos_vdso_calibrate_begin did not run */
        libos_vdso_calibrate_begin();
    g_vd_init = true;
    g_vd.coarse_res_ns = LIBOS_COARSE_RES_NS;
    g_vd.ncpu = g_boot && g_boot->host.cpu_count ? g_boot->host.cpu_count : 1;
    g_vd.getcpu_mode = getcpu_mode();
    if (!g_invariant)
        log_info("no invariant TSC: the vDSO makes system calls");
}

/* Caller holds g_vd_busy. Returns ns until it is due (to finish, or
 * once done to re-align), UINT64_MAX if the TSC is not used. */
static uint64_t calibrate_finish(void) {
    uint64_t now;
    if (!g_begun || pal_time_get(PAL_CLOCK_MONOTONIC, &now) < 0)
        return UINT64_MAX;
    if (now < g_begin.mono + CALIBRATE_NS)
        return g_begin.mono + CALIBRATE_NS - now; /* cheap check before the full sample */
    struct sample b;
    if (!take_sample(&b))
        return UINT64_MAX;
    uint64_t mult = rate(b.mono - g_begin.mono, b.tsc - g_begin.tsc);
    g_begun = false;
    if (!mult)
        return UINT64_MAX;
    g_ref_tsc = g_begin.tsc;
    g_ref_mono = g_begin.mono;
    g_sync_every = SYNC_FIRST_NS;
    g_next_sync = b.mono + g_sync_every;
    g_vd.tsc_ok = 1;
    set_params(b.tsc, b.mono, mult, b.real_offset);
    return g_sync_every;
}

/* Re-align with the PAL: the rate from the whole baseline since the first
 * sample, corrected so the remaining error is slewed away over the next
 * period (never stepping back). */
static void sync_now(void) {
    struct sample s;
    if (!take_sample(&s))
        return;
    uint64_t mult = rate(s.mono - g_ref_mono, s.tsc - g_ref_tsc);
    if (!mult)
        return;
    uint64_t cur = sabot_vdso_mono_at(s.tsc, g_vd.tsc_base, g_vd.mono_base, g_vd.mult);
    int64_t err = (int64_t)(s.mono - cur); /* > 0: we are behind */
    if (err > (int64_t)STEP_NS) {
        cur = s.mono;
        err = 0;
    }
    g_sync_every = MIN(g_sync_every * 2, SYNC_MAX_NS);
    int64_t period = (int64_t)g_sync_every, lim = period / 1000000 * SLEW_PPM;
    err = MAX(MIN(err, lim), -lim);
    mult += (int64_t)mult * err / period;
    int64_t off = g_vd.real_offset;
    if (s.real_offset - off > (int64_t)REAL_STEP_NS || off - s.real_offset > (int64_t)REAL_STEP_NS)
        off = s.real_offset; /* the host's realtime was set */
    g_next_sync = cur + g_sync_every;
    set_params(s.tsc, cur, mult, off);
}

/* A program that asks for the time this often before the first rate is
 * due will go on asking: it waits out the rest of the interval (at most
 * CALIBRATE_NS) so its later calls stay in the vDSO. */
#define CLOCK_CALLS_BEFORE_WAIT 8

static bool read_clock(uint64_t *mono, int64_t *real_offset) {
    return g_vd.tsc_ok && sabot_vdso_read(&g_vd, mono, real_offset);
}

bool libos_vdso_clock(uint64_t *mono, int64_t *real_offset) {
    static int calls;
    if (read_clock(mono, real_offset))
        return true;
    if (!__atomic_load_n(&g_begun, __ATOMIC_RELAXED) ||
        __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED) < CLOCK_CALLS_BEFORE_WAIT)
        return false;
    while (!read_clock(mono, real_offset)) { /* under CALIBRATE_NS in all */
        if (!__atomic_exchange_n(&g_vd_busy, 1, __ATOMIC_ACQUIRE)) {
            bool done = g_vd.tsc_ok || calibrate_finish() == UINT64_MAX || !g_begun;
            __atomic_store_n(&g_vd_busy, 0, __ATOMIC_RELEASE);
            if (done && !g_vd.tsc_ok)
                return false; /* no usable TSC after all */
        }
        pal_thread_yield();
    }
    return true;
}

/* A fork child has only the forking thread: a sync another thread was
 * making is not going on there. (Read first: writing the page would cost
 * the child a copy-on-write fault.) */
LIBOS_FORK_TEXT void libos_vdso_after_fork(void) {
    if (g_vd_busy)
        g_vd_busy = 0;
}

/* Re-aligns (or first calibrates) when due; returns ns until it is due
 * again, UINT64_MAX if the TSC is not used. */
uint64_t libos_vdso_maybe_sync(void) {
    uint64_t mono;
    int64_t off;
    bool ok = read_clock(&mono, &off);
    if (!ok && !__atomic_load_n(&g_begun, __ATOMIC_RELAXED))
        return UINT64_MAX;
    if (ok && mono < g_next_sync)
        return g_next_sync - mono;
    if (__atomic_exchange_n(&g_vd_busy, 1, __ATOMIC_ACQUIRE))
        return ok ? g_sync_every : CALIBRATE_NS; /* another thread is at it */
    uint64_t next = g_sync_every;
    if (!g_vd.tsc_ok)
        next = calibrate_finish();
    else if (read_clock(&mono, &off) && mono >= g_next_sync)
        sync_now();
    __atomic_store_n(&g_vd_busy, 0, __ATOMIC_RELEASE);
    return next;
}

void libos_vdso_getcpu(unsigned *cpu, unsigned *node) {
    unsigned aux = sabot_cpu_aux(g_vd.getcpu_mode);
    *cpu = (aux & 0xfff) < g_vd.ncpu ? (aux & 0xfff) : 0;
    *node = aux >> 12;
}

uint64_t libos_vdso_base(void) {
    return g_vd_page ? (uint64_t)g_vd_page + LIBOS_PAGE_SIZE : 0;
}

/* A restored child: the image came back as app memory; the data page
 * below it (libos memory) is made again and filled from our own clock. */
void libos_vdso_restore(uint64_t base) {
    void *addr = (void *)(base - LIBOS_PAGE_SIZE);
    if (pal_mem_alloc(&addr, LIBOS_PAGE_SIZE, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MEM_NOREPLACE) <
        0) {
        log_warn("fork: cannot place the vDSO data page: its clock stops in this process");
        return;
    }
    if (!g_vd_init)
        calibrate_setup();
    g_vd_page = addr;
    publish();
}

uint64_t libos_vdso_map(void) {
    size_t img = libos_vdso_image_end - libos_vdso_image;
    size_t size = ALIGN_UP(img, LIBOS_PAGE_SIZE);
    while (__atomic_exchange_n(&g_vd_busy, 1, __ATOMIC_ACQUIRE))
        pal_thread_yield();
    if (!g_vd_init)
        calibrate_setup();
    void *addr = NULL;
    uint64_t base = 0;
    if (pal_mem_alloc(&addr, LIBOS_PAGE_SIZE + size, PAL_PROT_READ | PAL_PROT_WRITE, 0) < 0) {
        log_warn("cannot map the vDSO: programs will make time system calls");
        goto out;
    }
    /* The data page stays libos memory (no VMA: the app cannot unmap or
     * replace it); the image is app memory like the kernel's [vdso]. */
    base = (uint64_t)addr + LIBOS_PAGE_SIZE;
    memcpy((void *)base, libos_vdso_image, img);
    pal_mem_protect((void *)base, size, PAL_PROT_READ | PAL_PROT_EXEC);
    if (g_vd_page)
        pal_mem_free((void *)g_vd_page, LIBOS_PAGE_SIZE); /* previous program's */
    g_vd_page = addr;
    publish();
    libos_vma_insert(base, base + size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                     VMA_ANON);
out:
    __atomic_store_n(&g_vd_busy, 0, __ATOMIC_RELEASE);
    return base;
}
