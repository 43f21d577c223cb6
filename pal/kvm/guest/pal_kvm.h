/* Internals of the KVM guest PAL. Freestanding: the guest reaches the host
 * only through hypercalls (kvm_hc_call) served by the tender. */
#ifndef SABOT_PAL_KVM_H
#define SABOT_PAL_KVM_H

#include "kvm_abi.h"
#include "pal.h"

#define KVM_PAGE 4096ULL

/* Per-thread block at the GS base; entry.S knows these offsets. */
struct kvm_tcb {
    struct pal_tcb_abi abi; /* 0 self, 8 libos */
    uint64_t stack_top;     /* 16: PAL stack: the libos runs here */
    uint64_t stack_base;    /* 24 */
    uint64_t resume_rip;    /* 32 */
    uint64_t resume_rsp;    /* 40 */
    uint64_t scratch;       /* 48 */
    uint64_t xsave_size;    /* 56 */
    uint64_t fs_base;
};

/* What exc_user passes to kvm_exception_dispatch. */
struct kvm_exc_info {
    uint64_t vector, error, cr2, pad;
};

/* ---- hypercalls (hc.c) */
#define KVM_DATA_URI2 4096 /* second URI in the data window */
#define KVM_DATA_PAYLOAD 8192
#define KVM_PAYLOAD_MAX (KVM_DATA_SIZE - KVM_DATA_PAYLOAD)
void kvm_hc_kick(void);
extern uint64_t g_kvm_doorbell;
int64_t kvm_hc_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5);
struct kvm_hc *kvm_hc_page(void);
uint8_t *kvm_hc_data(void);
/* Copies "uri" to the data window at off; returns its length or -PAL_ERR_*. */
int64_t kvm_put_uri(uint64_t off, const char *uri);

static inline void *kvm_phys(uint64_t gpa) {
    return (void *)(KVM_VA_DMAP + gpa);
}

/* ---- boot, time (boot.c, misc.c) */
extern const struct kvm_boot *g_kvm_boot;
void kvm_time_init(void);

/* ---- memory (memory.c) */
void kvm_mem_init(uint64_t free_start, uint64_t mem_size);
/* Handles a page fault the PAL can serve itself (first touch of lazily
 * allocated memory); true when done. */
bool kvm_mem_fault(uint64_t addr, uint64_t error);
void kvm_tlb_flush(void);

/* ---- handles (streams.c) */
enum kvm_handle_kind { KH_TENDER = 1, KH_LOG, KH_EVENT, KH_THREAD };
struct pal_handle {
    uint32_t kind;
    int64_t id;                /* tender handle id (KH_TENDER), or 0 log / 1 trace (KH_LOG) */
    bool signaled, auto_clear; /* KH_EVENT */
    bool nonblocking;
    bool memfd; /* a memfd: object (see pal_stream_map) */
};
pal_handle_t *kvm_handle_new(uint32_t kind, int64_t id);
void kvm_handle_free(pal_handle_t *h);

/* ---- small PAL heap and string helpers (util.c) */
void *kvm_malloc(size_t size);
void kvm_free(void *p);
size_t kvm_strlen(const char *s);
void *kvm_memcpy(void *d, const void *s, size_t n);
void *kvm_memset(void *d, int c, size_t n);
__attribute__((noreturn)) void kvm_panic(const char *msg);

void kvm_context_resume(struct pal_context *ctx) __attribute__((noreturn));

#endif
