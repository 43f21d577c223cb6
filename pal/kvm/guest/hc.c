/* Hypercalls: one request at a time in the shared page, then `out` to the
 * tender's port (the vCPU stops until the tender has answered). */
#include "pal_kvm.h"

/* Direct-map address of the doorbell (entry.S writes to it). */
uint64_t g_kvm_doorbell;

struct kvm_hc *kvm_hc_page(void) {
    return kvm_phys(KVM_GPA_HC);
}

uint8_t *kvm_hc_data(void) {
    return kvm_phys(KVM_GPA_DATA);
}

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
    return hc->ret;
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
