/* Freestanding helpers of the guest PAL: strings, the handle pool, panic. */
#include "pal_kvm.h"

size_t kvm_strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void *kvm_memcpy(void *d, const void *s, size_t n) {
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return d;
}

void *kvm_memset(void *d, int c, size_t n) {
    void *r = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}

void kvm_lock(kvm_lock_t *l) {
    for (unsigned spins = 0; __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE); spins++) {
        __builtin_ia32_pause();
        if (spins > 1000) { /* the holder's vCPU may not be running */
            kvm_hc_call(KVM_HC_YIELD, 0, 0, 0, 0, 0, 0);
            spins = 0;
        }
    }
}

void kvm_unlock(kvm_lock_t *l) {
    __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

/* Handles come from a fixed pool: the PAL needs no heap. */
#define MAX_HANDLES 4096
static struct pal_handle g_pool[MAX_HANDLES];
static uint32_t g_next_unused;
static struct pal_handle *g_free_list; /* linked through id */

static kvm_lock_t g_pool_lock;

pal_handle_t *kvm_handle_new(uint32_t kind, int64_t id) {
    kvm_lock(&g_pool_lock);
    struct pal_handle *h = g_free_list;
    if (h)
        g_free_list = (struct pal_handle *)h->id;
    else if (g_next_unused < MAX_HANDLES)
        h = &g_pool[g_next_unused++];
    kvm_unlock(&g_pool_lock);
    if (!h)
        return NULL;
    kvm_memset(h, 0, sizeof(*h));
    h->kind = kind;
    h->id = id;
    return h;
}

/* Fork copies guest memory as it is: no other vCPU may hold the lock then
 * (it would stay held in the child, where that vCPU does not exist). */
void kvm_handle_pool_lock(bool take) {
    if (take)
        kvm_lock(&g_pool_lock);
    else
        kvm_unlock(&g_pool_lock);
}

void kvm_handle_free(pal_handle_t *h) {
    kvm_lock(&g_pool_lock);
    h->kind = 0;
    h->id = (int64_t)g_free_list;
    g_free_list = h;
    kvm_unlock(&g_pool_lock);
}

void kvm_panic(const char *msg) {
    static const char pre[] = "sabot: kvm guest PAL: ";
    uint8_t *d = kvm_hc_data();
    size_t n = kvm_strlen(msg), p = sizeof(pre) - 1;
    if (n > 1000)
        n = 1000;
    kvm_memcpy(d, pre, p);
    kvm_memcpy(d + p, msg, n);
    d[p + n] = '\n';
    kvm_hc_call(KVM_HC_LOG, 0, p + n + 1, 0, 0, 0, 0);
    for (;;)
        kvm_hc_call(KVM_HC_EXIT, 127, 0, 0, 0, 0, 0);
}
