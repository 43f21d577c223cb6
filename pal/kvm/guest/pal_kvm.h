/* Internals of the KVM guest PAL. Freestanding: the guest reaches the host
 * only through hypercalls (kvm_hc_call) served by the tender. */
#ifndef SABOT_PAL_KVM_H
#define SABOT_PAL_KVM_H

#include "kvm_abi.h"
#include "pal.h"

#define KVM_PAGE 4096ULL

static inline void *kvm_phys(uint64_t gpa) {
    return (void *)(KVM_VA_DMAP + gpa);
}

/* Per-thread block at the GS base (one per vCPU slot, g_kvm_tcbs);
 * entry.S and the tender know these offsets (kvm_abi.h KVM_TCB_*). */
struct kvm_tcb {
    struct pal_tcb_abi abi; /* 0 self, 8 libos */
    uint64_t stack_top;     /* 16: PAL stack: the libos runs here */
    uint64_t stack_base;    /* 24 */
    uint64_t resume_rip;    /* 32 */
    uint64_t resume_rsp;    /* 40 */
    uint64_t scratch;       /* 48 */
    uint64_t xsave_size;    /* 56 */
    uint64_t exc_vec, exc_err, exc_rip, exc_rflags, exc_cr2; /* 64.. written at CPL0 */
    uint64_t sys_rip;                                        /* 104: the app rip of a syscall */
    uint64_t hc_gpa;        /* 112: this vCPU's hypercall page; data window after it */
    uint64_t flush_pending; /* 120: set by the tender (TLB shootdown) */
    uint64_t slot;
    pal_thread_fn start_fn;
    void *start_arg;
    uint64_t fs_base;
    uint64_t host_int; /* 160: host signals for this vCPU (1 << PAL_INT_*), set by the tender */
    uint8_t pad[KVM_TCB_SIZE - 168];
};
_Static_assert(__builtin_offsetof(struct kvm_tcb, host_int) == KVM_TCB_HOST_INT, "TCB layout");
_Static_assert(sizeof(struct kvm_tcb) == KVM_TCB_SIZE, "TCB layout");
_Static_assert(__builtin_offsetof(struct kvm_tcb, exc_vec) == KVM_TCB_EXC_VEC, "TCB layout");
_Static_assert(__builtin_offsetof(struct kvm_tcb, sys_rip) == KVM_TCB_SYS_RIP, "TCB layout");
_Static_assert(__builtin_offsetof(struct kvm_tcb, flush_pending) == KVM_TCB_FLUSH, "TCB layout");
extern struct kvm_tcb g_kvm_tcbs[KVM_MAX_VCPUS];
static inline struct kvm_tcb *kvm_tcb_self(void) {
    struct kvm_tcb *t;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(t));
    return t;
}

/* A spinlock that yields the vCPU's host thread when it spins long (the
 * holder's vCPU may be descheduled on the host). */
typedef struct {
    uint32_t v;
} kvm_lock_t;
void kvm_lock(kvm_lock_t *l);
void kvm_unlock(kvm_lock_t *l);

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
static inline struct kvm_hc *kvm_hc_page(void) {
    return kvm_phys(kvm_tcb_self()->hc_gpa);
}
static inline uint8_t *kvm_hc_data(void) {
    return kvm_phys(KVM_HC_DATA_GPA(kvm_tcb_self()->hc_gpa));
}
/* Copies "uri" to the data window at off; returns its length or -PAL_ERR_*. */
int64_t kvm_put_uri(uint64_t off, const char *uri);
/* The same as kvm_hc_call through this vCPU's request ring (ring.c): host
 * I/O that cannot block indefinitely, without a VM exit while the tender's
 * ring server is awake. *deferred (if given) is set when the server left
 * the call to a hypercall (it may block). */
int64_t kvm_ring_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5, bool *deferred);

/* ---- boot, time (boot.c, misc.c) */
extern const struct kvm_boot *g_kvm_boot;
void kvm_time_init(void);
/* Raises the host signals the tender left in this vCPU's TCB (boot.c). */
void kvm_host_ints(void);

/* ---- memory (memory.c) */
void kvm_mem_init(uint64_t free_start, uint64_t mem_size);
/* Handles a page fault the PAL can serve itself (first touch of lazily
 * allocated memory); true when done. */
bool kvm_mem_fault(uint64_t addr, uint64_t error);
void kvm_tlb_flush(void);
/* Flushes this vCPU's TLB and, with other threads running, asks the tender
 * to have every other vCPU flush too. */
void kvm_tlb_flush_all(void);
/* Physically contiguous, zeroed guest memory (never freed); 0 if none. */
uint64_t kvm_phys_alloc_contig(uint64_t size);
int kvm_mem_map_phys(void **addr, size_t size, uint64_t gpa, uint32_t prot, uint32_t flags);
/* The same with the pages from valid on past the end of a file (SIGBUS). */
int kvm_mem_map_shared(void **addr, size_t size, uint64_t gpa, uint64_t valid, uint32_t prot,
                       uint32_t flags);
bool kvm_mem_bus(uint64_t va);    /* va faults as past the end of its file */
void kvm_mem_fork_lock(bool take); /* held across FORK */
bool kvm_mem_shared(uint64_t va); /* va is shared memory (waiters in other VMs) */
extern uint32_t g_kvm_threads;    /* running vCPUs */
/* Syscall rewrite support (rewrite.c): fault-free reads of app memory,
 * the atomic site store through the direct map, page 0. */
bool kvm_mem_peek(uint64_t va, void *out, size_t n);
bool kvm_mem_patch16(uint64_t va, uint16_t old, uint16_t new_val);
bool kvm_mem_map_page0(uint64_t pa);

/* ---- handles (streams.c) */
enum kvm_handle_kind { KH_TENDER = 1, KH_LOG, KH_EVENT, KH_THREAD };
struct pal_handle {
    uint32_t kind;
    int64_t id;      /* tender handle id (KH_TENDER), or 0 log / 1 trace (KH_LOG) */
    uint32_t word;   /* KH_EVENT: 1 when signaled (a guest futex word) */
    uint32_t nwait;  /* KH_EVENT: vCPUs sleeping on word in the tender */
    bool auto_clear; /* KH_EVENT */
    bool nonblocking;
    bool memfd;   /* a memfd: object (see pal_stream_map) */
    bool no_ring; /* calls on it block (console, FIFO...): hypercalls, not the ring */
};
pal_handle_t *kvm_handle_new(uint32_t kind, int64_t id);
void kvm_handle_free(pal_handle_t *h);
void kvm_handle_pool_lock(bool take); /* held across FORK */

/* ---- small PAL heap and string helpers (util.c) */
void *kvm_malloc(size_t size);
void kvm_free(void *p);
size_t kvm_strlen(const char *s);
void *kvm_memcpy(void *d, const void *s, size_t n);
void *kvm_memset(void *d, int c, size_t n);
__attribute__((noreturn)) void kvm_panic(const char *msg);

void kvm_context_resume(struct pal_context *ctx) __attribute__((noreturn));

#endif
