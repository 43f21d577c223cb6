/* Hypercalls: each vCPU has its own hypercall page and data window (its
 * TCB's hc_gpa); a write to the doorbell stops the vCPU until its tender
 * thread has answered. */
#include "pal_kvm.h"

/* Direct-map address of the doorbell (entry.S writes to it). */
uint64_t g_kvm_doorbell;

int64_t kvm_hc_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5) {
    volatile struct kvm_hc *hc = kvm_hc_page();
    hc->nr = nr;
    hc->a[0] = a0, hc->a[1] = a1, hc->a[2] = a2;
    hc->a[3] = a3, hc->a[4] = a4, hc->a[5] = a5;
    hc->ret = -PAL_ERR_NOTIMPLEMENTED;
    __asm__ volatile("" ::: "memory");
    kvm_hc_kick();
    __asm__ volatile("" ::: "memory");
    int64_t r = hc->ret;
    /* Another vCPU changed mappings while we were out (TLB shootdown). */
    if (__atomic_load_n(&kvm_tcb_self()->flush_pending, __ATOMIC_ACQUIRE)) {
        kvm_tcb_self()->flush_pending = 0;
        kvm_tlb_flush();
    }
    return r;
}

int64_t kvm_put_uri(uint64_t off, const char *uri) {
    if (!uri)
        return -PAL_ERR_INVAL;
    size_t n = kvm_strlen(uri);
    if (n == 0 || n >= KVM_DATA_URI2)
        return n ? -PAL_ERR_TOOLONG : -PAL_ERR_INVAL;
    kvm_memcpy(kvm_hc_data() + off, uri, n);
    return (int64_t)n;
}
