/* Request rings, guest side: a host I/O call is written into this vCPU's
 * ring (in its hypercall page, kvm_abi.h struct kvm_ring) and answered by
 * the tender's ring server without a VM exit while the server is awake.
 * One call at a time per vCPU (PAL calls are synchronous, and a vCPU is
 * redirected only in app code), so the entry at head is ours until it is
 * answered. The guest spins a little for the answer; when the server
 * sleeps, is slow, or leaves the call to us (DEFER: it may block), one
 * KVM_HC_RING_WAIT has the vCPU's own tender thread serve it (the cost of a
 * hypercall) and wake the server for the calls that follow. */
#include "pal_kvm.h"

#define SPIN_US 20 /* about the cost of one exit here */
#define BEAT_US 5  /* the server serving one request, or descheduled */
/* After a spin in vain, the next calls (1, 3, 7... up to this many) go
 * straight to the hypercall and leave the server asleep; an answered spin
 * halves the back-off. */
#define BACKOFF_MAX 255

static inline uint64_t tsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static volatile struct kvm_ring *ring(void) {
    return (volatile struct kvm_ring *)((uint8_t *)kvm_hc_page() + KVM_RING_OFF);
}

/* Spins until the server answered or deferred entry e, at most SPIN_US,
 * and only while the server runs: its beat must change every BEAT_US (on
 * a loaded host it is often descheduled; then a hypercall is cheaper). */
static uint32_t spin(volatile struct kvm_ring *r, volatile struct kvm_ring_entry *e) {
    uint64_t khz = g_kvm_boot->tsc_khz ? g_kvm_boot->tsc_khz : 1000000;
    uint64_t t = tsc(), end = t + SPIN_US * khz / 1000, still = BEAT_US * khz / 1000;
    uint64_t seen_at = t;
    uint32_t st, beat = __atomic_load_n(&r->beat, __ATOMIC_RELAXED);
    while ((st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE)) == KVM_RING_SUBMITTED) {
        __asm__ volatile("pause");
        uint32_t b = __atomic_load_n(&r->beat, __ATOMIC_RELAXED);
        t = tsc();
        if (b != beat)
            beat = b, seen_at = t;
        else if (t - seen_at > still)
            break;
        if (t > end)
            break;
    }
    return st;
}

int64_t kvm_ring_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5, bool *deferred) {
    volatile struct kvm_ring *r = ring();
    uint32_t s = r->head;
    volatile struct kvm_ring_entry *e = &r->e[s % KVM_RING_SIZE];
    e->hc.nr = nr;
    e->hc.a[0] = a0, e->hc.a[1] = a1, e->hc.a[2] = a2;
    e->hc.a[3] = a3, e->hc.a[4] = a4, e->hc.a[5] = a5;
    e->hc.ret = -PAL_ERR_NOTIMPLEMENTED;
    e->seq = s;
    __atomic_store_n(&e->state, KVM_RING_SUBMITTED, __ATOMIC_RELEASE);
    /* head, then sleeping: the server sets sleeping, then looks at head */
    __atomic_store_n(&r->head, s + 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t st = KVM_RING_SUBMITTED, wake = 1;
    volatile uint32_t *skip = &r->guest[0], *backoff = &r->guest[1];
    if (*skip) {
        (*skip)--;
        wake = 0;
    } else if (!__atomic_load_n(&r->sleeping, __ATOMIC_ACQUIRE) &&
               __atomic_load_n(&r->beat, __ATOMIC_RELAXED)) { /* 0: no server yet */
        st = spin(r, e);
        if (st == KVM_RING_SUBMITTED) /* the server did not run: back off */
            *skip = *backoff = *backoff >= BACKOFF_MAX / 2 ? BACKOFF_MAX : *backoff * 2 + 1;
        else
            *backoff /= 2; /* a server that answers now and then: still mostly off */
    }
    if (deferred)
        *deferred = st == KVM_RING_DEFER;
    if (st != KVM_RING_DONE) {
        int64_t w = kvm_hc_call(KVM_HC_RING_WAIT, s, wake, 0, 0, 0, 0);
        if (w < 0)
            return w;
        if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != KVM_RING_DONE)
            return -PAL_ERR_IO; /* a confused tender */
    }
    return e->hc.ret;
}
