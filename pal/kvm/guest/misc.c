/* Time, randomness, CPU, segments, host facts, events and waiting, and the
 * calls this first cut of the KVM PAL does not offer (threads, processes). */
#include "pal_kvm.h"

/* ------------------------------------------------------------ time */
/* The TSC runs natively at CPL3; the tender's clocks at boot anchor it. */
static uint64_t g_tsc0, g_real0, g_mono0, g_mult; /* ns = (tsc delta * g_mult) >> 32 */

static uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t host_clock(uint32_t clock) {
    volatile struct kvm_hc *hc = kvm_hc_page();
    if (kvm_hc_call(KVM_HC_TIME, clock, 0, 0, 0, 0, 0) < 0)
        return 0;
    return hc->a[1];
}

void kvm_time_init(void) {
    uint64_t khz = g_kvm_boot->tsc_khz;
    if (!khz) { /* calibrate against the host over ~20 ms */
        uint64_t t0 = rdtsc(), h0 = host_clock(PAL_CLOCK_MONOTONIC);
        kvm_hc_call(KVM_HC_SLEEP, 20000000, 0, 0, 0, 0, 0);
        uint64_t t1 = rdtsc(), h1 = host_clock(PAL_CLOCK_MONOTONIC);
        khz = (t1 - t0) * 1000000 / (h1 - h0 ? h1 - h0 : 1);
        if (!khz)
            khz = 1000000;
    }
    g_mult = (uint64_t)(((unsigned __int128)1000000 << 32) / khz);
    g_real0 = host_clock(PAL_CLOCK_REALTIME);
    g_mono0 = host_clock(PAL_CLOCK_MONOTONIC);
    g_tsc0 = rdtsc();
}

static uint64_t since_boot_ns(void) {
    return (uint64_t)(((unsigned __int128)(rdtsc() - g_tsc0) * g_mult) >> 32);
}

int pal_time_get(enum pal_clock clock, uint64_t *ns) {
    switch (clock) {
    case PAL_CLOCK_REALTIME:
        *ns = g_real0 + since_boot_ns();
        return 0;
    case PAL_CLOCK_MONOTONIC:
        *ns = g_mono0 + since_boot_ns();
        return 0;
    case PAL_CLOCK_PROCESS_CPU:
    case PAL_CLOCK_THREAD_CPU:
        *ns = host_clock(clock); /* the vCPU thread's time in the tender */
        return 0;
    }
    return -PAL_ERR_INVAL;
}

int pal_random(void *buf, size_t size) {
    uint8_t *p = buf;
    while (size) {
        size_t n = size > KVM_PAYLOAD_MAX ? KVM_PAYLOAD_MAX : size;
        int r = (int)kvm_hc_call(KVM_HC_RANDOM, KVM_DATA_PAYLOAD, n, 0, 0, 0, 0);
        if (r < 0)
            return r;
        kvm_memcpy(p, kvm_hc_data() + KVM_DATA_PAYLOAD, n);
        p += n, size -= n;
    }
    return 0;
}

int pal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(subleaf));
    return 0;
}

/* CR4.FSGSBASE is on: the bases are set at CPL3 without an exit. */
int pal_segment_base_set(enum pal_segment seg, uint64_t base) {
    if (seg != PAL_SEG_FS)
        return -PAL_ERR_DENIED; /* GS belongs to the PAL */
    if ((uint64_t)((int64_t)(base << 16) >> 16) != base)
        return -PAL_ERR_INVAL; /* non-canonical: wrfsbase would fault */
    __asm__ volatile("wrfsbase %0" ::"r"(base));
    return 0;
}

int pal_segment_base_get(enum pal_segment seg, uint64_t *base) {
    if (seg == PAL_SEG_FS)
        __asm__ volatile("rdfsbase %0" : "=r"(*base));
    else
        __asm__ volatile("rdgsbase %0" : "=r"(*base));
    return 0;
}

static void copy_field(char *dst, size_t size, const char *src) {
    size_t n = kvm_strlen(src);
    if (n >= size)
        n = size - 1;
    kvm_memcpy(dst, src, n);
    dst[n] = '\0';
}

int pal_host_info(struct pal_host_info *info) {
    kvm_memset(info, 0, sizeof(*info));
    copy_field(info->pal_name, sizeof(info->pal_name), "kvm");
    copy_field(info->hostname, sizeof(info->hostname), g_kvm_boot->hostname);
    copy_field(info->os_release, sizeof(info->os_release), g_kvm_boot->os_release);
    info->cpu_count = g_kvm_boot->cpu_count;
    info->page_size = KVM_PAGE;
    info->mem_total = g_kvm_boot->mem_size;
    info->host_uid = g_kvm_boot->host_uid;
    info->host_gid = g_kvm_boot->host_gid;
    return 0;
}

/* Load bases of the objects the libos reported (for the gdbstub, later). */
#define DEBUG_MAPS 256
static uint64_t g_debug_bases[DEBUG_MAPS];

int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic) {
    for (int i = 0; i < DEBUG_MAPS; i++)
        if (!g_debug_bases[i]) {
            g_debug_bases[i] = base;
            return 0;
        }
    return -PAL_ERR_NOMEM;
}

int pal_debug_map_remove(uint64_t base) {
    for (int i = 0; i < DEBUG_MAPS && base; i++)
        if (g_debug_bases[i] == base) {
            g_debug_bases[i] = 0;
            return 0;
        }
    return -PAL_ERR_NOTFOUND;
}

int pal_debug_log(const char *msg, size_t len) {
    static struct pal_handle log = {.kind = KH_LOG, .id = 0};
    int64_t r = pal_stream_write(&log, PAL_OFFSET_NONE, msg, len);
    return r < 0 ? (int)r : 0;
}

int pal_attestation_report(const void *user_data, size_t user_size, void *target_info,
                           size_t *target_size, void *report, size_t *report_size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
int pal_attestation_quote(const void *user_data, size_t user_size, void *quote,
                          size_t *quote_size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
int pal_get_key(const char *name, void *key, size_t *size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

/* ------------------------------------------------- threads, processes */
int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
void pal_thread_exit(uint32_t *clear_tid) {
    /* One vCPU, one thread: its end is the process's. */
    pal_process_exit(0);
}
int pal_thread_interrupt(pal_handle_t *h) {
    return 0; /* the only thread is the caller: nothing to interrupt */
}
void pal_thread_yield(void) {}
int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size) {
    return 0;
}
int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size) {
    if (!size)
        return -PAL_ERR_INVAL;
    kvm_memset((void *)mask, 0, size);
    *(uint8_t *)mask = 1;
    return 0;
}
int pal_process_create(const char *const *args, pal_handle_t **stream) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
int pal_process_fork(pal_handle_t **stream) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
int pal_process_suspend(void) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
void pal_process_exit(int status) {
    for (;;)
        kvm_hc_call(KVM_HC_EXIT, (uint64_t)(uint32_t)status, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------- events, waiting */
/* One vCPU: only the caller can set an event, so waiting for one that is
 * not set is sleeping (in the tender) until the timeout. */
int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out) {
    pal_handle_t *h = kvm_handle_new(KH_EVENT, 0);
    if (!h)
        return -PAL_ERR_NOMEM;
    h->signaled = init_signaled;
    h->auto_clear = auto_clear;
    *out = h;
    return 0;
}

int pal_event_set(pal_handle_t *ev) {
    if (!ev || ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    ev->signaled = true;
    return 0;
}

int pal_event_clear(pal_handle_t *ev) {
    if (!ev || ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    ev->signaled = false;
    return 0;
}

/* Sleeps for *timeout_us (forever when NULL: nothing can wake us). */
static int sleep_out(uint64_t *timeout_us) {
    if (!timeout_us) {
        for (;;)
            kvm_hc_call(KVM_HC_SLEEP, 60ULL * 1000000000ULL, 0, 0, 0, 0, 0);
    }
    uint64_t left = *timeout_us;
    while (left) {
        uint64_t chunk = left > 60000000ULL ? 60000000ULL : left;
        uint64_t t0 = since_boot_ns();
        kvm_hc_call(KVM_HC_SLEEP, chunk * 1000, 0, 0, 0, 0, 0);
        uint64_t spent = (since_boot_ns() - t0) / 1000;
        left = spent >= left ? 0 : left - spent;
    }
    *timeout_us = 0;
    return -PAL_ERR_TIMEOUT;
}

int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us) {
    if (ev && ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    if (ev && ev->signaled) {
        if (ev->auto_clear)
            ev->signaled = false;
        return 0;
    }
    return sleep_out(timeout_us);
}

/* Files and consoles count as always ready (their reads block in the
 * tender); events when set. */
int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us) {
    int ready = 0;
    for (size_t i = 0; i < count; i++) {
        pal_handle_t *h = handles[i];
        uint32_t e = 0;
        if (h && h->kind == KH_EVENT && h->signaled) {
            e = events[i] & PAL_WAIT_READ;
            if (e && h->auto_clear)
                h->signaled = false;
        } else if (h && (h->kind == KH_TENDER || h->kind == KH_LOG)) {
            e = events[i] & (PAL_WAIT_READ | PAL_WAIT_WRITE);
        }
        ret_events[i] = e;
        ready += e != 0;
    }
    if (ready)
        return ready;
    return sleep_out(timeout_us);
}

int pal_addr_wait(uint32_t *addr, uint32_t expected, uint64_t *timeout_ns) {
    if (*(volatile uint32_t *)addr != expected)
        return -PAL_ERR_AGAIN;
    if (!timeout_ns)
        return sleep_out(NULL);
    uint64_t us = *timeout_ns / 1000;
    int r = sleep_out(&us);
    *timeout_ns = 0;
    return r;
}

int pal_addr_wake(uint32_t *addr, uint32_t count) {
    return 0;
}
