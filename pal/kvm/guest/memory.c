/* Guest memory: a physical page allocator over the guest RAM the tender
 * gave us and the lower-half page tables, edited at CPL3 through the
 * direct map. Allocation is lazy: a PTE records "allocated, prot" without
 * a frame, and the first touch takes a page fault that kvm_mem_fault()
 * serves without the libos. Only removing access needs a TLB flush (a
 * ud2 the #UD stub turns into a CR3 reload), on every vCPU (shootdown
 * through the tender). One lock covers frames and page tables.
 *
 * PTE software bits: 9 = allocated, 10 = has a frame, 52-54 = PAL_PROT_*. */
#include "pal_kvm.h"

#define PTE_P 1ULL
#define PTE_RW 2ULL
#define PTE_US 4ULL
#define PTE_ALLOC (1ULL << 9)
#define PTE_FRAME (1ULL << 10)
#define PTE_FOREIGN (1ULL << 11) /* a shared-memory page above RAM: never freed here */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_PROT_SHIFT 52
#define USER_TOP 0x0000800000000000ULL
#define MMAP_TOP 0x00007f0000000000ULL
#define EAGER_MAX (64 * 1024)

static uint64_t g_phys_next, g_phys_end, g_phys_free, g_free_count;
static uint64_t g_va_top = MMAP_TOP;
static kvm_lock_t g_mem_lock;
static bool g_flush; /* under the lock: a flush is due at unlock */
uint32_t g_kvm_threads = 1;

void kvm_tlb_flush_all(void) {
    kvm_tlb_flush();
    if (__atomic_load_n(&g_kvm_threads, __ATOMIC_ACQUIRE) > 1)
        kvm_hc_call(KVM_HC_TLB_SHOOTDOWN, 0, 0, 0, 0, 0, 0);
}

uint64_t kvm_phys_alloc_contig(uint64_t size) {
    size = (size + KVM_PAGE - 1) & ~(KVM_PAGE - 1);
    kvm_lock(&g_mem_lock);
    uint64_t pa = 0;
    if (g_phys_end - g_phys_next >= size) {
        pa = g_phys_next;
        g_phys_next += size;
    }
    kvm_unlock(&g_mem_lock);
    if (pa)
        kvm_memset(kvm_phys(pa), 0, size);
    return pa;
}

/* ------------------------------------------------------- frames */
static uint64_t phys_alloc(void) {
    uint64_t pa;
    if (g_phys_free) {
        pa = g_phys_free;
        g_phys_free = *(uint64_t *)kvm_phys(pa);
        g_free_count--;
    } else if (g_phys_next < g_phys_end) {
        pa = g_phys_next;
        g_phys_next += KVM_PAGE;
    } else {
        return 0;
    }
    kvm_memset(kvm_phys(pa), 0, KVM_PAGE);
    return pa;
}

static void phys_free(uint64_t pa) {
    *(uint64_t *)kvm_phys(pa) = g_phys_free;
    g_phys_free = pa;
    g_free_count++;
}

void kvm_mem_init(uint64_t free_start, uint64_t mem_size) {
    g_phys_next = (free_start + KVM_PAGE - 1) & ~(KVM_PAGE - 1);
    g_phys_end = mem_size;
}

/* ------------------------------------------------------- page tables */
/* The PTE of va, creating the tables above it when create is set. */
static uint64_t *pte_of(uint64_t va, bool create) {
    uint64_t *table = kvm_phys(KVM_GPA_PT);
    for (int level = 3; level >= 1; level--) {
        uint64_t *e = &table[(va >> (12 + 9 * level)) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t pa = phys_alloc();
            if (!pa)
                return NULL;
            *e = pa | PTE_P | PTE_RW | PTE_US;
        }
        table = kvm_phys(*e & PTE_ADDR);
    }
    return &table[(va >> 12) & 511];
}

/* Bytes from va to the end of the region a missing upper-level entry
 * covers (so free-space scans skip whole empty tables), 0 if va's PTE
 * exists. */
static uint64_t empty_span(uint64_t va) {
    uint64_t *table = kvm_phys(KVM_GPA_PT);
    for (int level = 3; level >= 1; level--) {
        uint64_t e = table[(va >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P)) {
            uint64_t span = 1ULL << (12 + 9 * level);
            return span - (va & (span - 1));
        }
        table = kvm_phys(e & PTE_ADDR);
    }
    return 0;
}

/* First allocated page in [va, va+size), or UINT64_MAX if none. */
static uint64_t first_used(uint64_t va, uint64_t size) {
    uint64_t end = va + size;
    while (va < end) {
        uint64_t skip = empty_span(va);
        if (skip) {
            va += skip;
            continue;
        }
        if (*pte_of(va, false) & PTE_ALLOC)
            return va;
        va += KVM_PAGE;
    }
    return UINT64_MAX;
}

static bool range_ok(uint64_t va, uint64_t size) {
    return size && !(va & (KVM_PAGE - 1)) && va < USER_TOP && size <= USER_TOP - va;
}

/* A free range of size bytes below g_va_top (top-down, like Linux). */
static uint64_t find_free(uint64_t size) {
    uint64_t top = g_va_top;
    while (top >= size + 0x10000) {
        uint64_t va = top - size, used = first_used(va, size);
        if (used == UINT64_MAX) {
            g_va_top = va;
            return va;
        }
        top = used; /* everything above the used page is out */
    }
    return 0;
}

static uint64_t pte_present(uint64_t pa, uint32_t prot) {
    return pa | PTE_P | PTE_US | PTE_ALLOC | PTE_FRAME | ((uint64_t)prot << PTE_PROT_SHIFT) |
           ((prot & PAL_PROT_WRITE) ? PTE_RW : 0) | ((prot & PAL_PROT_EXEC) ? 0 : PTE_NX);
}

static bool populate(uint64_t *pte) {
    uint32_t prot = (*pte >> PTE_PROT_SHIFT) & 7;
    uint64_t pa = phys_alloc();
    if (!pa)
        return false;
    *pte = pte_present(pa, prot);
    return true;
}

/* Removes every page of the range; true if a flush is needed. */
static bool unmap_range(uint64_t va, uint64_t size) {
    bool flush = false;
    for (uint64_t end = va + size; va < end;) {
        uint64_t skip = empty_span(va);
        if (skip) {
            va += skip;
            continue;
        }
        uint64_t *pte = pte_of(va, false);
        if ((*pte & PTE_FRAME) && !(*pte & PTE_FOREIGN))
            phys_free(*pte & PTE_ADDR);
        flush |= (*pte & PTE_P) != 0;
        *pte = 0;
        va += KVM_PAGE;
    }
    return flush;
}

static int map_lazy(uint64_t va, uint64_t size, uint32_t prot, bool eager) {
    for (uint64_t off = 0; off < size; off += KVM_PAGE) {
        uint64_t *pte = pte_of(va + off, true);
        if (!pte) {
            if (unmap_range(va, off))
                g_flush = true;
            return -PAL_ERR_NOMEM;
        }
        *pte = PTE_ALLOC | ((uint64_t)(prot & 7) << PTE_PROT_SHIFT);
        if (eager && prot && !populate(pte)) {
            unmap_range(va, off + KVM_PAGE);
            return -PAL_ERR_NOMEM;
        }
    }
    return 0;
}

static bool mem_fault_locked(uint64_t addr, uint64_t error) {
    if (addr >= USER_TOP)
        return false;
    uint64_t *pte = pte_of(addr & ~(KVM_PAGE - 1), false);
    if (!pte || !(*pte & PTE_ALLOC))
        return false;
    uint32_t prot = (*pte >> PTE_PROT_SHIFT) & 7;
    bool write = error & 2, exec = error & 16;
    if ((write && !(prot & PAL_PROT_WRITE)) || (exec && !(prot & PAL_PROT_EXEC)) || !prot)
        return false;
    if (*pte & PTE_P)
        return true; /* a stale TLB entry; the fault dropped it */
    if (*pte & PTE_FRAME) {
        *pte = pte_present(*pte & PTE_ADDR, prot) | (*pte & PTE_FOREIGN);
        return true;
    }
    return populate(pte);
}

/* ------------------------------------------------------- PAL calls */
static uint64_t page_up(uint64_t n) {
    return (n + KVM_PAGE - 1) & ~(KVM_PAGE - 1);
}

static int pal_mem_alloc_locked(void **addr, size_t size, uint32_t prot, uint32_t flags) {
    if (!size || !addr || size > USER_TOP)
        return -PAL_ERR_INVAL;
    size = page_up(size);
    uint64_t va = (uint64_t)*addr;
    if (flags & (PAL_MEM_FIXED | PAL_MEM_NOREPLACE)) {
        if (!range_ok(va, size))
            return -PAL_ERR_INVAL;
        if (flags & PAL_MEM_FIXED) {
            if (unmap_range(va, size))
                g_flush = true;
        } else if (first_used(va, size) != UINT64_MAX) {
            return -PAL_ERR_EXISTS;
        }
    } else if ((flags & PAL_MEM_HINT) && range_ok(va & ~(KVM_PAGE - 1), size) &&
               first_used(va & ~(KVM_PAGE - 1), size) == UINT64_MAX) {
        va &= ~(KVM_PAGE - 1);
    } else if (!(va = find_free(size))) {
        return -PAL_ERR_NOMEM;
    }
    int r = map_lazy(va, size, prot, size <= EAGER_MAX);
    if (r < 0)
        return r;
    *addr = (void *)va;
    return 0;
}

static int pal_mem_free_locked(void *addr, size_t size) {
    uint64_t va = (uint64_t)addr;
    size = page_up(size);
    if (!range_ok(va, size))
        return -PAL_ERR_INVAL;
    if (unmap_range(va, size))
        g_flush = true;
    return 0;
}

static int pal_mem_protect_locked(void *addr, size_t size, uint32_t prot) {
    uint64_t va = (uint64_t)addr;
    size = page_up(size);
    if (!range_ok(va, size))
        return -PAL_ERR_INVAL;
    for (uint64_t off = 0; off < size; off += KVM_PAGE) {
        uint64_t *pte = pte_of(va + off, false);
        if (!pte || !(*pte & PTE_ALLOC))
            return -PAL_ERR_NOMEM;
    }
    bool flush = false;
    for (uint64_t off = 0; off < size; off += KVM_PAGE) {
        uint64_t *pte = pte_of(va + off, false);
        uint64_t old = *pte;
        if (old & PTE_FRAME) {
            *pte = pte_present(old & PTE_ADDR, prot & 7) | (old & PTE_FOREIGN);
            if (!prot)
                *pte &= ~PTE_P;
        } else {
            *pte = PTE_ALLOC | ((uint64_t)(prot & 7) << PTE_PROT_SHIFT);
        }
        flush |= (old & PTE_P) && (!(*pte & PTE_P) || ((old & PTE_RW) && !(*pte & PTE_RW)) ||
                                   (!(old & PTE_NX) && (*pte & PTE_NX)));
    }
    if (flush)
        g_flush = true;
    return 0;
}

static int pal_mem_remap_locked(void *old, size_t old_size, size_t new_size, uint32_t flags,
                                void **addr) {
    uint64_t src = (uint64_t)old;
    old_size = page_up(old_size);
    new_size = page_up(new_size);
    if (!addr || !range_ok(src, old_size) || !new_size || new_size > USER_TOP)
        return -PAL_ERR_INVAL;
    uint64_t *last = pte_of(src + old_size - KVM_PAGE, false);
    if (!last || !(*last & PTE_ALLOC))
        return -PAL_ERR_INVAL;
    uint32_t prot = (*last >> PTE_PROT_SHIFT) & 7;
    if (!(flags & PAL_REMAP_FIXED)) {
        if (new_size <= old_size) {
            if (unmap_range(src + new_size, old_size - new_size))
                g_flush = true;
            *addr = old;
            return 0;
        }
        if (range_ok(src + old_size, new_size - old_size) &&
            first_used(src + old_size, new_size - old_size) == UINT64_MAX) {
            int r = map_lazy(src + old_size, new_size - old_size, prot, false);
            if (r == 0)
                *addr = old;
            return r;
        }
        if (!(flags & PAL_REMAP_MAYMOVE))
            return -PAL_ERR_NOMEM;
    }
    uint64_t dst = (uint64_t)*addr;
    if (flags & PAL_REMAP_FIXED) {
        if (!range_ok(dst, new_size) || (dst < src + old_size && src < dst + new_size))
            return -PAL_ERR_INVAL;
        unmap_range(dst, new_size);
    } else if (!(dst = find_free(new_size))) {
        return -PAL_ERR_NOMEM;
    }
    uint64_t keep = old_size < new_size ? old_size : new_size;
    for (uint64_t off = 0; off < keep; off += KVM_PAGE) {
        uint64_t *s = pte_of(src + off, false), *d = pte_of(dst + off, true);
        if (!d)
            return -PAL_ERR_NOMEM; /* tables only; nothing moved past here */
        *d = s ? *s : 0;
        if (s)
            *s = 0;
    }
    unmap_range(src + keep, old_size - keep);
    int r = new_size > keep ? map_lazy(dst + keep, new_size - keep, prot, false) : 0;
    g_flush = true;
    if (r == 0)
        *addr = (void *)dst;
    return r;
}

int pal_mem_query(struct pal_mem_info *info) {
    info->total = g_phys_end;
    info->available = (g_phys_end - g_phys_next) + g_free_count * KVM_PAGE;
    info->page_size = KVM_PAGE;
    info->alloc_granularity = KVM_PAGE;
    return 0;
}

/* ------------------------------------------------------- locked entry */
static void mem_unlock(void) {
    bool flush = g_flush;
    g_flush = false;
    kvm_unlock(&g_mem_lock);
    if (flush)
        kvm_tlb_flush_all();
}

bool kvm_mem_fault(uint64_t addr, uint64_t error) {
    kvm_lock(&g_mem_lock);
    bool r = mem_fault_locked(addr, error);
    mem_unlock();
    return r;
}

int pal_mem_alloc(void **addr, size_t size, uint32_t prot, uint32_t flags) {
    if (flags & PAL_MEM_SHARED) { /* host shared memory: stays shared across fork */
        if (!size || !addr)
            return -PAL_ERR_INVAL;
        int64_t gpa = kvm_hc_call(KVM_HC_SHMAP, ~0ULL, 0, page_up(size), 0, 0, 0);
        if (gpa < 0)
            return (int)gpa;
        return kvm_mem_map_phys(addr, size, (uint64_t)gpa, prot, flags & ~PAL_MEM_SHARED);
    }
    kvm_lock(&g_mem_lock);
    int r = pal_mem_alloc_locked(addr, size, prot, flags);
    mem_unlock();
    return r;
}

int pal_mem_free(void *addr, size_t size) {
    kvm_lock(&g_mem_lock);
    int r = pal_mem_free_locked(addr, size);
    mem_unlock();
    return r;
}

int pal_mem_protect(void *addr, size_t size, uint32_t prot) {
    kvm_lock(&g_mem_lock);
    int r = pal_mem_protect_locked(addr, size, prot);
    mem_unlock();
    return r;
}

int pal_mem_remap(void *old, size_t old_size, size_t new_size, uint32_t flags, void **addr) {
    kvm_lock(&g_mem_lock);
    int r = pal_mem_remap_locked(old, old_size, new_size, flags, addr);
    mem_unlock();
    return r;
}

/* Maps [va, va+size) onto guest physical [gpa, gpa+size) (shared memory
 * the tender put above RAM), placed like pal_mem_alloc. */
int kvm_mem_map_phys(void **addr, size_t size, uint64_t gpa, uint32_t prot, uint32_t flags) {
    kvm_lock(&g_mem_lock);
    size = page_up(size);
    int r = pal_mem_alloc_locked(addr, size, PAL_PROT_NONE, flags);
    if (r == 0) {
        uint64_t va = (uint64_t)*addr;
        for (uint64_t off = 0; off < size; off += KVM_PAGE) {
            uint64_t *pte = pte_of(va + off, false);
            *pte = pte_present(gpa + off, prot & 7) | PTE_FOREIGN;
            if (!(prot & 7))
                *pte &= ~PTE_P;
        }
    }
    mem_unlock();
    return r;
}
