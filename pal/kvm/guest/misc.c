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

/* ------------------------------------------------- threads */
/* One vCPU per thread. A slot's TCB, PAL stack and hypercall area are
 * made once and reused by the next thread the tender puts in that slot
 * (an exited vCPU is idle, never destroyed). */
#define THREAD_STACK (256 * 1024)
#define THREAD_AREA (THREAD_STACK + KVM_PAGE + KVM_DATA_SIZE)

int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out) {
    if (!fn || !out)
        return -PAL_ERR_INVAL;
    int64_t slot = kvm_hc_call(KVM_HC_THREAD_NEW, 0, 0, 0, 0, 0, 0);
    if (slot < 0)
        return (int)slot;
    if (slot == 0 || slot >= KVM_MAX_VCPUS)
        return -PAL_ERR_IO; /* a confused tender */
    struct kvm_tcb *t = &g_kvm_tcbs[slot];
    if (!t->stack_base) {
        uint64_t pa = kvm_phys_alloc_contig(THREAD_AREA);
        if (!pa) {
            kvm_hc_call(KVM_HC_THREAD_START, (uint64_t)slot, 0, 0, 0, 0, 0); /* release */
            return -PAL_ERR_NOMEM;
        }
        t->stack_base = (uint64_t)kvm_phys(pa);
        t->stack_top = t->stack_base + THREAD_STACK;
        t->hc_gpa = pa + THREAD_STACK;
    }
    pal_handle_t *h = kvm_handle_new(KH_THREAD, slot);
    if (!h) {
        kvm_hc_call(KVM_HC_THREAD_START, (uint64_t)slot, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    t->slot = (uint64_t)slot;
    t->start_fn = fn;
    t->start_arg = arg;
    t->flush_pending = 0;
    __atomic_add_fetch(&g_kvm_threads, 1, __ATOMIC_ACQ_REL);
    int64_t r = kvm_hc_call(KVM_HC_THREAD_START, (uint64_t)slot, t->hc_gpa, (uint64_t)t,
                            t->stack_top, 0, 0);
    if (r < 0) {
        __atomic_sub_fetch(&g_kvm_threads, 1, __ATOMIC_ACQ_REL);
        kvm_handle_free(h);
        return (int)r;
    }
    *out = h;
    return 0;
}

void pal_thread_exit(uint32_t *clear_tid) {
    __atomic_sub_fetch(&g_kvm_threads, 1, __ATOMIC_ACQ_REL);
    /* The tender clears and wakes *clear_tid once this vCPU has stopped
     * (it is off its stack then). */
    for (;;)
        kvm_hc_call(KVM_HC_THREAD_EXIT, (uint64_t)clear_tid, 0, 0, 0, 0, 0);
}

int pal_thread_interrupt(pal_handle_t *h) {
    if (!h || h->kind != KH_THREAD)
        return -PAL_ERR_BADHANDLE;
    return (int)kvm_hc_call(KVM_HC_THREAD_INTERRUPT, (uint64_t)h->id, 0, 0, 0, 0, 0);
}

void pal_thread_yield(void) {
    kvm_hc_call(KVM_HC_YIELD, 0, 0, 0, 0, 0, 0);
}
int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size) {
    return 0;
}
int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size) {
    if (!size)
        return -PAL_ERR_INVAL;
    kvm_memset((void *)mask, 0, size);
    for (uint32_t i = 0; i < g_kvm_boot->cpu_count && i / 8 < size; i++)
        ((uint8_t *)mask)[i / 8] |= (uint8_t)(1u << (i % 8));
    return 0;
}

/* ------------------------------------------------- processes */
/* The tender forks and its child builds a fresh VM from the image, booted
 * with parent_stream set and args as argv (NUL-ended, one after another
 * in the data window). */
int pal_process_create(const char *const *args, pal_handle_t **stream) {
    if (!stream)
        return -PAL_ERR_INVAL;
    uint8_t *d = kvm_hc_data() + KVM_DATA_PAYLOAD;
    size_t len = 0, n = 0;
    for (; args && args[n]; n++) {
        size_t l = kvm_strlen(args[n]) + 1;
        if (n >= 64 || len + l > 64 * 1024)
            return -PAL_ERR_INVAL;
        kvm_memcpy(d + len, args[n], l);
        len += l;
    }
    int64_t id = kvm_hc_call(KVM_HC_PROCESS_CREATE, n, KVM_DATA_PAYLOAD, len, 0, 0, 0);
    if (id < 0)
        return (int)id;
    pal_handle_t *h = kvm_handle_new(KH_TENDER, id);
    if (!h) {
        kvm_hc_call(KVM_HC_CLOSE, (uint64_t)id, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    h->nonblocking = true;
    *stream = h;
    return 0;
}
/* The tender forks itself; the child tender builds a new VM over its
 * copy-on-write copy of guest memory with this vCPU's state, so both
 * return here. Only the calling thread goes on in the child. */
int pal_process_fork(pal_handle_t **stream) {
    if (!stream)
        return -PAL_ERR_INVAL;
    volatile struct kvm_hc *hc = kvm_hc_page();
    /* The PAL's locks are taken first: the child's copy of guest memory
     * must not have one held by a vCPU it does not have. */
    kvm_handle_pool_lock(true);
    kvm_mem_fork_lock(true);
    int64_t r = kvm_hc_call(KVM_HC_FORK, 0, 0, 0, 0, 0, 0);
    kvm_mem_fork_lock(false);
    kvm_handle_pool_lock(false);
    if (r < 0)
        return (int)r;
    int64_t id = (int64_t)hc->a[1];
    if (r == 0)
        __atomic_store_n(&g_kvm_threads, 1, __ATOMIC_RELEASE);
    pal_handle_t *h = kvm_handle_new(KH_TENDER, id);
    if (!h) {
        kvm_hc_call(KVM_HC_CLOSE, (uint64_t)id, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    h->nonblocking = true;
    *stream = h;
    return (int)r;
}
int pal_process_suspend(void) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
void pal_process_exit(int status) {
    for (;;)
        kvm_hc_call(KVM_HC_EXIT, (uint64_t)(uint32_t)status, 0, 0, 0, 0, 0);
}

/* ------------------------------------------------- events, waiting */
/* Events and address waits stay in the guest while nobody sleeps: an
 * event is a guest word; a sleeper counts itself (nwait, or the address
 * hash's count) before it sleeps in the tender, and setters and wakers
 * exit to the tender only when that count is not zero. The tender
 * re-checks the word after registering the sleeper, so no wake-up is
 * lost. Spinning briefly first saves exits for quick hand-offs. */
int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out) {
    pal_handle_t *h = kvm_handle_new(KH_EVENT, 0);
    if (!h)
        return -PAL_ERR_NOMEM;
    h->word = init_signaled;
    h->auto_clear = auto_clear;
    *out = h;
    return 0;
}

int pal_event_set(pal_handle_t *ev) {
    if (!ev || ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    __atomic_store_n(&ev->word, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&ev->nwait, __ATOMIC_SEQ_CST))
        kvm_hc_call(KVM_HC_WAKE, (uint64_t)&ev->word, UINT32_MAX, 0, 0, 0, 0);
    return 0;
}

int pal_event_clear(pal_handle_t *ev) {
    if (!ev || ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    __atomic_store_n(&ev->word, 0, __ATOMIC_RELEASE);
    return 0;
}

/* Takes a signaled event (clears it if auto-clear); true if it was set. */
static bool event_take(pal_handle_t *h) {
    if (!h->auto_clear)
        return __atomic_load_n(&h->word, __ATOMIC_ACQUIRE) != 0;
    uint32_t one = 1;
    return __atomic_compare_exchange_n(&h->word, &one, 0, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

static uint64_t now_us(void) {
    return since_boot_ns() / 1000;
}

/* One KVM_HC_WAIT over ws[0..n); -PAL_ERR_* or the ready count. */
static int64_t tender_wait(struct kvm_wait *ws, size_t n, uint64_t timeout_us) {
    kvm_memcpy(kvm_hc_data(), ws, n * sizeof(*ws));
    int64_t r = kvm_hc_call(KVM_HC_WAIT, n, timeout_us, 0, 0, 0, 0);
    kvm_memcpy(ws, kvm_hc_data(), n * sizeof(*ws));
    if (r == -PAL_ERR_INTERRUPTED && __atomic_load_n(&kvm_tcb_self()->host_int, __ATOMIC_ACQUIRE))
        kvm_host_ints(); /* a host signal ended the wait */
    return r;
}

#define SPIN_LOOPS 2000

int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us) {
    if (count > KVM_WAIT_MAX)
        return -PAL_ERR_INVAL;
    struct kvm_wait ws[KVM_WAIT_MAX];
    uint64_t deadline = timeout_us ? now_us() + *timeout_us : 0;
    bool tender_handles = false;
    for (size_t i = 0; i < count; i++)
        if (handles[i] && handles[i]->kind == KH_TENDER && events[i])
            tender_handles = true;
    int ret;
    for (unsigned round = 0;; round++) {
        int ready = 0;
        for (size_t i = 0; i < count; i++) {
            pal_handle_t *h = handles[i];
            ret_events[i] = 0;
            if (h && h->kind == KH_EVENT && (events[i] & PAL_WAIT_READ) && event_take(h))
                ret_events[i] = PAL_WAIT_READ;
            else if (h && h->kind == KH_LOG)
                ret_events[i] = events[i] & PAL_WAIT_WRITE;
            ready += ret_events[i] != 0;
        }
        /* Tender handles are asked without sleeping when something is
         * ready already; otherwise everything sleeps together. */
        uint64_t left = 0;
        if (!ready && timeout_us) {
            uint64_t now = now_us();
            left = now < deadline ? deadline - now : 0;
        }
        bool sleep = !ready && (!timeout_us || left);
        if (sleep && round * 100 < SPIN_LOOPS && !tender_handles) {
            __builtin_ia32_pause();
            continue;
        }
        if (!sleep && !tender_handles) {
            ret = ready ? ready : -PAL_ERR_TIMEOUT;
            break;
        }
        size_t n = 0;
        for (size_t i = 0; i < count; i++) {
            pal_handle_t *h = handles[i];
            if (!h || !events[i])
                continue;
            if (h->kind == KH_TENDER)
                ws[n++] = (struct kvm_wait){.kind = 1, .events = events[i], .va_or_id = h->id};
            else if (h->kind == KH_EVENT && sleep && (events[i] & PAL_WAIT_READ)) {
                __atomic_add_fetch(&h->nwait, 1, __ATOMIC_SEQ_CST);
                ws[n++] = (struct kvm_wait){.kind = 0, .va_or_id = (uint64_t)&h->word};
            }
        }
        int64_t r = tender_wait(ws, n, sleep ? (timeout_us ? left : ~0ULL) : 0);
        size_t k = 0;
        for (size_t i = 0; i < count; i++) {
            pal_handle_t *h = handles[i];
            if (!h || !events[i])
                continue;
            if (h->kind == KH_TENDER) {
                ret_events[i] =
                    r >= 0 ? ws[k].revents & (events[i] | PAL_WAIT_ERROR | PAL_WAIT_HANGUP) : 0;
                ready += ret_events[i] != 0;
                k++;
            } else if (h->kind == KH_EVENT && sleep && (events[i] & PAL_WAIT_READ)) {
                __atomic_sub_fetch(&h->nwait, 1, __ATOMIC_SEQ_CST);
                k++;
                if (!ret_events[i] && event_take(h)) {
                    ret_events[i] = PAL_WAIT_READ;
                    ready++;
                }
            }
        }
        if (ready) {
            ret = ready;
            break;
        }
        if (r < 0 && r != -PAL_ERR_TIMEOUT) {
            ret = (int)r;
            break;
        }
        if (timeout_us && now_us() >= deadline) {
            ret = -PAL_ERR_TIMEOUT;
            break;
        }
        if (!sleep) {
            ret = -PAL_ERR_TIMEOUT;
            break;
        }
    }
    if (timeout_us) {
        uint64_t now = now_us();
        *timeout_us = now < deadline ? deadline - now : 0;
    }
    return ret;
}

int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us) {
    if (ev && ev->kind != KH_EVENT)
        return -PAL_ERR_BADHANDLE;
    uint32_t want = PAL_WAIT_READ, got;
    int r = pal_wait_handles(ev ? 1 : 0, &ev, &want, &got, timeout_us);
    return r > 0 ? 0 : r;
}

/* Sleepers per address hash: a wake with no sleeper stays in the guest. */
#define ADDR_HASH 256
static uint32_t g_addr_sleepers[ADDR_HASH];

static uint32_t *addr_count(uint32_t *addr) {
    uint64_t a = (uint64_t)addr;
    return &g_addr_sleepers[((a >> 2) ^ (a >> 12)) & (ADDR_HASH - 1)];
}

int pal_addr_wait(uint32_t *addr, uint32_t expected, uint64_t *timeout_ns) {
    if (__atomic_load_n((volatile uint32_t *)addr, __ATOMIC_ACQUIRE) != expected)
        return -PAL_ERR_AGAIN;
    uint32_t *cnt = addr_count(addr);
    __atomic_add_fetch(cnt, 1, __ATOMIC_SEQ_CST);
    struct kvm_wait w = {.kind = 0, .va_or_id = (uint64_t)addr, .expected = expected};
    uint64_t t0 = since_boot_ns();
    uint64_t us = timeout_ns ? (*timeout_ns + 999) / 1000 : ~0ULL;
    int64_t r = tender_wait(&w, 1, us);
    __atomic_sub_fetch(cnt, 1, __ATOMIC_SEQ_CST);
    if (timeout_ns) {
        uint64_t spent = since_boot_ns() - t0;
        *timeout_ns = spent >= *timeout_ns ? 0 : *timeout_ns - spent;
    }
    if (r < 0)
        return (int)r;
    return 0; /* woken, or the word changed: the caller re-checks */
}

int pal_addr_wake(uint32_t *addr, uint32_t count) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* Sleepers on shared memory may be in other VMs: the tender knows. */
    if (!__atomic_load_n(addr_count(addr), __ATOMIC_SEQ_CST) && !kvm_mem_shared((uint64_t)addr))
        return 0;
    int64_t r = kvm_hc_call(KVM_HC_WAKE, (uint64_t)addr, count, 0, 0, 0, 0);
    return r < 0 ? (int)r : (int)r;
}
