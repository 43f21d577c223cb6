/* Guest memory: a physical page allocator over the guest RAM the tender
 * gave us and the lower-half page tables, edited at CPL3 through the
 * direct map. Allocation is lazy: a PTE records "allocated, prot" without
 * a frame, and the first touch takes a page fault that kvm_mem_fault()
 * serves without the libos. Only removing access needs a TLB flush (a
 * ud2 the #UD stub turns into a CR3 reload), on every vCPU (shootdown
 * through the tender). One lock covers frames and page tables.
 *
 * PTE software bits: 9 = allocated, 10 = has a frame, 11 = shared (above
 * RAM), 52-54 = PAL_PROT_*, 55 = past the end of the file (never present). */
#include "pal_kvm.h"

#define PTE_P 1ULL
#define PTE_RW 2ULL
#define PTE_US 4ULL
#define PTE_ALLOC (1ULL << 9)
#define PTE_FRAME (1ULL << 10)
#define PTE_FOREIGN (1ULL << 11) /* a shared-memory page above RAM: never freed here */
#define PTE_BUS (1ULL << 55)     /* a shared page past the end of its file: SIGBUS */
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

/* Shared-memory slots the tender put above RAM (KVM_HC_SHMAP) and how many
 * PTEs map each: when the last goes, the slot is given back to the tender
 * (KVM_HC_SHUNMAP) once every TLB is flushed. Under g_mem_lock. */
#define SHM_SLOTS 256
static struct { uint64_t gpa, size, live; } g_shm[SHM_SLOTS];
static uint64_t g_shm_gone[SHM_SLOTS];
static int g_shm_ngone;

static void shm_track(uint64_t gpa, uint64_t size) {
    for (int i = 0; i < SHM_SLOTS; i++)
        if (!g_shm[i].size) {
            g_shm[i].gpa = gpa, g_shm[i].size = size, g_shm[i].live = size / KVM_PAGE;
            return;
        }
}

/* A PTE mapping guest physical pa (a shared page) was removed. */
static void shm_put(uint64_t pa) {
    for (int i = 0; i < SHM_SLOTS; i++)
        if (g_shm[i].size && pa - g_shm[i].gpa < g_shm[i].size) {
            if (--g_shm[i].live == 0) {
                if (g_shm_ngone < SHM_SLOTS)
                    g_shm_gone[g_shm_ngone++] = g_shm[i].gpa;
                g_shm[i].size = 0;
            }
            return;
        }
}

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

/* The top of the mmap area moves down by a random amount of up to 1 TiB,
 * as Linux randomises its mmap base: a new instance (pal_process_create)
 * then does not put its own memory where the parent's app memory lies,
 * which the checkpoint restores at the same addresses. */
#define MMAP_RANDOM (1ULL << 40)
void kvm_mem_init(uint64_t free_start, uint64_t mem_size) {
    g_phys_next = (free_start + KVM_PAGE - 1) & ~(KVM_PAGE - 1);
    g_phys_end = mem_size;
    uint64_t r = 0;
    if (pal_random(&r, sizeof(r)) == 0)
        g_va_top = MMAP_TOP - (r % MMAP_RANDOM & ~(KVM_PAGE - 1));
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
        else if (*pte & PTE_FRAME)
            shm_put(*pte & PTE_ADDR);
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
    if (*pte & PTE_BUS)
        return false;
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
            *pte = pte_present(old & PTE_ADDR, prot & 7) | (old & (PTE_FOREIGN | PTE_BUS));
            if (!prot || (old & PTE_BUS))
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
    uint64_t gone[SHM_SLOTS];
    int ngone = g_shm_ngone;
    kvm_memcpy(gone, g_shm_gone, (size_t)ngone * sizeof(gone[0]));
    g_shm_ngone = 0;
    kvm_unlock(&g_mem_lock);
    if (flush)
        kvm_tlb_flush_all();
    for (int i = 0; i < ngone; i++)
        kvm_hc_call(KVM_HC_SHUNMAP, gone[i], 0, 0, 0, 0, 0);
}

/* Held across a fork (pal_process_fork): another vCPU in the middle of a
 * page fault or an mmap would leave the lock and the page tables half
 * done in the child, where that vCPU does not exist. */
void kvm_mem_fork_lock(bool take) {
    if (take)
        kvm_lock(&g_mem_lock);
    else
        kvm_unlock(&g_mem_lock);
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

int kvm_mem_map_phys(void **addr, size_t size, uint64_t gpa, uint32_t prot, uint32_t flags) {
    return kvm_mem_map_shared(addr, size, gpa, size, prot, flags);
}

/* The page at va is past the end of its file (a SIGBUS, not a SIGSEGV). */
bool kvm_mem_bus(uint64_t va) {
    kvm_lock(&g_mem_lock);
    uint64_t *pte = va < USER_TOP ? pte_of(va & ~(KVM_PAGE - 1), false) : NULL;
    bool r = pte && (*pte & PTE_BUS);
    kvm_unlock(&g_mem_lock);
    return r;
}

/* va is in shared memory (its waiters may be in other VMs). A hint read
 * without the lock: page tables are never freed. */
bool kvm_mem_shared(uint64_t va) {
    if (va >= USER_TOP || empty_span(va))
        return false;
    uint64_t *pte = pte_of(va & ~(KVM_PAGE - 1), false);
    return pte && (__atomic_load_n(pte, __ATOMIC_RELAXED) & PTE_FOREIGN);
}

/* Maps [va, va+size) onto guest physical [gpa, gpa+size) (shared memory
 * the tender put above RAM), placed like pal_mem_alloc; pages from valid
 * on (past the end of a file) fault with SIGBUS. */
int kvm_mem_map_shared(void **addr, size_t size, uint64_t gpa, uint64_t valid, uint32_t prot,
                       uint32_t flags) {
    kvm_lock(&g_mem_lock);
    size = page_up(size);
    int r = pal_mem_alloc_locked(addr, size, PAL_PROT_NONE, flags);
    if (r == 0) {
        uint64_t va = (uint64_t)*addr;
        for (uint64_t off = 0; off < size; off += KVM_PAGE) {
            uint64_t *pte = pte_of(va + off, false);
            *pte = pte_present(gpa + off, prot & 7) | PTE_FOREIGN;
            if (off >= valid)
                *pte |= PTE_BUS;
            if (!(prot & 7) || off >= valid)
                *pte &= ~PTE_P;
        }
        shm_track(gpa, size);
    }
    mem_unlock();
    if (r < 0)
        kvm_hc_call(KVM_HC_SHUNMAP, gpa, 0, 0, 0, 0, 0); /* nothing maps it */
    return r;
}

/* ------------------------------------------------------- syscall rewrite */
/* Reads n bytes at app address va through the direct map, without a
 * fault (rewrite.c looks at code and stacks it cannot trust). Lock-free:
 * page tables are never freed, and a frame freed meanwhile only gives
 * stale bytes. False where a page is not present. */
bool kvm_mem_peek(uint64_t va, void *out, size_t n) {
    uint8_t *o = out;
    while (n) {
        if (va >= USER_TOP)
            return false;
        uint64_t *pte = pte_of(va & ~(KVM_PAGE - 1), false);
        uint64_t e = pte ? __atomic_load_n(pte, __ATOMIC_RELAXED) : 0;
        if (!(e & PTE_P))
            return false;
        uint64_t off = va & (KVM_PAGE - 1), chunk = KVM_PAGE - off;
        chunk = chunk < n ? chunk : n;
        kvm_memcpy(o, kvm_phys((e & PTE_ADDR) + off), chunk);
        o += chunk, va += chunk, n -= chunk;
    }
    return true;
}

/* Replaces the 2 bytes old at app address va by new with one atomic store
 * through the direct map: the app's mapping keeps its protection (no W+X
 * window), and the frame cannot be freed meanwhile (the lock). Only the
 * guest's own private frames: a shared-memory page is another VM's code
 * too. va must not be the last byte of a cache line. */
bool kvm_mem_patch16(uint64_t va, uint16_t old, uint16_t new_val) {
    if (va >= USER_TOP || (va & 63) == 63)
        return false;
    kvm_lock(&g_mem_lock);
    uint64_t *pte = pte_of(va & ~(KVM_PAGE - 1), false);
    bool ok = pte && (*pte & PTE_P) && (*pte & PTE_FRAME) && !(*pte & PTE_FOREIGN);
    if (ok) {
        uint16_t *p = kvm_phys((*pte & PTE_ADDR) + (va & (KVM_PAGE - 1)));
        ok = __atomic_compare_exchange_n(p, &old, new_val, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
    }
    kvm_unlock(&g_mem_lock);
    return ok;
}

/* Maps guest physical page pa at virtual 0, read+execute only (x86 has no
 * execute-only pages without protection keys). Recorded as allocated with
 * no PAL protection: mmap cannot replace it (NOREPLACE sees it used) and
 * every fault on it is the app's (kvm_mem_fault refuses it). */
bool kvm_mem_map_page0(uint64_t pa) {
    kvm_lock(&g_mem_lock);
    uint64_t *pte = pte_of(0, true);
    bool ok = pte && !(*pte & PTE_ALLOC);
    if (ok)
        *pte = pa | PTE_P | PTE_US | PTE_ALLOC | PTE_FRAME | PTE_FOREIGN;
    kvm_unlock(&g_mem_lock);
    return ok;
}
