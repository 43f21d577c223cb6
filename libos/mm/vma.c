/* The VMA list: a sorted array of non-overlapping app ranges. Small and
 * simple; lookups are binary searches. */
#include "libos_mm.h"

static struct libos_vma *g_vmas;
static size_t g_vma_count, g_vma_cap;
static struct libos_lock g_vma_lock = LIBOS_LOCK_INIT;

/* Index of the first VMA whose end is above addr. */
static size_t first_above(uint64_t addr) {
    size_t lo = 0, hi = g_vma_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g_vmas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool grow(size_t need) {
    if (need <= g_vma_cap)
        return true;
    size_t cap = g_vma_cap ? g_vma_cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    struct libos_vma *n = libos_realloc(g_vmas, cap * sizeof(*n));
    if (!n)
        return false;
    g_vmas = n;
    g_vma_cap = cap;
    return true;
}

static void remove_locked(uint64_t start, uint64_t end) {
    size_t i = first_above(start);
    while (i < g_vma_count && g_vmas[i].start < end) {
        struct libos_vma *v = &g_vmas[i];
        if (v->start < start && v->end > end) {
            /* Split in two; grow() was called by the caller. */
            memmove(&g_vmas[i + 1], &g_vmas[i], (g_vma_count - i) * sizeof(*v));
            g_vma_count++;
            g_vmas[i].end = start;
            g_vmas[i + 1].start = end;
            return;
        }
        if (v->start < start) {
            v->end = start;
            i++;
        } else if (v->end > end) {
            v->start = end;
            i++;
        } else {
            memmove(&g_vmas[i], &g_vmas[i + 1], (g_vma_count - i - 1) * sizeof(*v));
            g_vma_count--;
        }
    }
}

long libos_vma_insert(uint64_t start, uint64_t end, int prot, int flags, int kind) {
    libos_lock(&g_vma_lock);
    if (!grow(g_vma_count + 2)) {
        libos_unlock(&g_vma_lock);
        return -ENOMEM;
    }
    remove_locked(start, end);
    size_t i = first_above(start);
    memmove(&g_vmas[i + 1], &g_vmas[i], (g_vma_count - i) * sizeof(struct libos_vma));
    g_vmas[i] = (struct libos_vma){start, end, prot, flags, kind};
    g_vma_count++;
    libos_unlock(&g_vma_lock);
    return 0;
}

void libos_vma_remove(uint64_t start, uint64_t end) {
    libos_lock(&g_vma_lock);
    if (grow(g_vma_count + 1))
        remove_locked(start, end);
    libos_unlock(&g_vma_lock);
}

bool libos_vma_lookup(uint64_t addr, struct libos_vma *out) {
    libos_lock(&g_vma_lock);
    size_t i = first_above(addr);
    bool found = i < g_vma_count && g_vmas[i].start <= addr;
    if (found)
        *out = g_vmas[i];
    libos_unlock(&g_vma_lock);
    return found;
}

bool libos_vma_covered(uint64_t start, uint64_t end) {
    libos_lock(&g_vma_lock);
    size_t i = first_above(start);
    uint64_t at = start;
    for (; i < g_vma_count && at < end; i++) {
        if (g_vmas[i].start > at)
            break;
        at = g_vmas[i].end;
    }
    libos_unlock(&g_vma_lock);
    return at >= end;
}

/* App pointers: every page must be app memory with the needed access. */
bool libos_user_range_ok(const void *addr, size_t size, bool write) {
    uint64_t a = (uint64_t)addr;
    if (size == 0)
        return true;
    if (a + size < a)
        return false;
    uint64_t end = a + size;
    struct libos_vma v;
    while (a < end) {
        if (!libos_vma_lookup(a, &v))
            return false;
        if (!(v.prot & PROT_READ) || (write && !(v.prot & PROT_WRITE)))
            return false;
        a = v.end;
    }
    return true;
}

long libos_copy_user_string(char *buf, size_t size, const char *user) {
    uint64_t a = (uint64_t)user;
    struct libos_vma v = {0, 0};
    for (size_t i = 0; i < size; i++, a++) {
        if (a >= v.end && (!libos_vma_lookup(a, &v) || !(v.prot & PROT_READ)))
            return -EFAULT;
        buf[i] = *(const char *)a;
        if (!buf[i])
            return (long)i;
    }
    return -ENAMETOOLONG;
}
