/* The VMA list: a sorted array of non-overlapping app ranges. Small and
 * simple; lookups are binary searches. */
#include "libos_mm.h"

static struct libos_vma *g_vmas;
static size_t g_vma_count, g_vma_cap;
static LIBOS_FORK_HOT struct libos_lock g_vma_lock = LIBOS_LOCK_INIT;

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
    /* Room for a big program at once: every move of the table frees libos
     * memory the host may then hand to the app's next mapping. */
    size_t cap = g_vma_cap ? g_vma_cap * 2 : 1024;
    while (cap < need)
        cap *= 2;
    struct libos_vma *n = libos_realloc(g_vmas, cap * sizeof(*n));
    if (!n)
        return false;
    g_vmas = n;
    g_vma_cap = cap;
    return true;
}

/* Start v at new_start, keeping its file offset in step. */
static void trim_front(struct libos_vma *v, uint64_t new_start) {
    if (v->kind == VMA_FILE)
        v->file_off += new_start - v->start;
    v->start = new_start;
}

/* Split the VMA containing addr (if any starts before it) at addr. */
static bool split_at(uint64_t addr) {
    size_t i = first_above(addr);
    if (i == g_vma_count || g_vmas[i].start >= addr)
        return true;
    if (!grow(g_vma_count + 1))
        return false;
    memmove(&g_vmas[i + 1], &g_vmas[i], (g_vma_count - i) * sizeof(struct libos_vma));
    g_vma_count++;
    g_vmas[i].end = addr;
    trim_front(&g_vmas[i + 1], addr);
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
            trim_front(&g_vmas[i + 1], end);
            return;
        }
        if (v->start < start) {
            v->end = start;
            i++;
        } else if (v->end > end) {
            trim_front(v, end);
            i++;
        } else {
            memmove(&g_vmas[i], &g_vmas[i + 1], (g_vma_count - i - 1) * sizeof(*v));
            g_vma_count--;
        }
    }
}

static long insert(const struct libos_vma *nv) {
    libos_lock(&g_vma_lock);
    if (!grow(g_vma_count + 2)) {
        libos_unlock(&g_vma_lock);
        return -ENOMEM;
    }
    remove_locked(nv->start, nv->end);
    size_t i = first_above(nv->start);
    memmove(&g_vmas[i + 1], &g_vmas[i], (g_vma_count - i) * sizeof(struct libos_vma));
    g_vmas[i] = *nv;
    g_vma_count++;
    libos_unlock(&g_vma_lock);
    return 0;
}

long libos_vma_insert(uint64_t start, uint64_t end, int prot, int flags, int kind) {
    struct libos_vma v = {start, end, prot, flags, kind, 0, 0, 0};
    return insert(&v);
}

long libos_vma_insert_file(uint64_t start, uint64_t end, int prot, int flags, uint64_t dev,
                           uint64_t ino, uint64_t off) {
    struct libos_vma v = {start, end, prot, flags, VMA_FILE, dev, ino, off};
    return insert(&v);
}

void libos_vma_set_prot(uint64_t start, uint64_t end, int prot) {
    libos_lock(&g_vma_lock);
    if (split_at(start) && split_at(end))
        for (size_t i = first_above(start); i < g_vma_count && g_vmas[i].start < end; i++)
            g_vmas[i].prot = prot;
    libos_unlock(&g_vma_lock);
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

bool libos_vma_next(uint64_t addr, struct libos_vma *out) {
    libos_lock(&g_vma_lock);
    size_t i = first_above(addr);
    bool found = i < g_vma_count;
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
        if (g_vmas[i].start > at || g_vmas[i].kind == VMA_RESERVED) /* unmapped, for Linux */
            break;
        at = g_vmas[i].end;
    }
    libos_unlock(&g_vma_lock);
    return at >= end;
}

/* App pointers: every page must be app memory with the needed access. */
LIBOS_FORK_TEXT bool libos_user_range_ok(const void *addr, size_t size, bool write) {
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

void libos_vma_for_each(void (*fn)(const struct libos_vma *v, void *arg), void *arg) {
    libos_lock(&g_vma_lock);
    for (size_t i = 0; i < g_vma_count; i++) {
        struct libos_vma v = g_vmas[i];
        fn(&v, arg);
    }
    libos_unlock(&g_vma_lock);
}

/* Names of mapped files, keyed by file identity: a small ring, since only
 * /proc/<pid>/maps reads it and a stale name is harmless. */
#define VMA_NAMES 128
static struct {
    uint64_t dev, ino;
    char *path;
} g_vma_names[VMA_NAMES];
static size_t g_vma_name_next;
static struct libos_lock g_vma_name_lock = LIBOS_LOCK_INIT;

void libos_vma_file_name_set(uint64_t dev, uint64_t ino, const char *path) {
    if (!path || path[0] != '/')
        return;
    char *dup = libos_strdup(path);
    if (!dup)
        return;
    char *old = NULL;
    libos_lock(&g_vma_name_lock);
    size_t slot = g_vma_name_next;
    for (size_t i = 0; i < VMA_NAMES; i++)
        if (g_vma_names[i].path && g_vma_names[i].dev == dev && g_vma_names[i].ino == ino)
            slot = i;
    if (slot == g_vma_name_next)
        g_vma_name_next = (g_vma_name_next + 1) % VMA_NAMES;
    old = g_vma_names[slot].path;
    g_vma_names[slot].dev = dev;
    g_vma_names[slot].ino = ino;
    g_vma_names[slot].path = dup;
    libos_unlock(&g_vma_name_lock);
    libos_free(old);
}

bool libos_vma_file_name(uint64_t dev, uint64_t ino, char *buf, size_t size) {
    bool found = false;
    libos_lock(&g_vma_name_lock);
    for (size_t i = 0; i < VMA_NAMES && !found; i++) {
        if (g_vma_names[i].path && g_vma_names[i].dev == dev && g_vma_names[i].ino == ino) {
            libos_strlcpy(buf, g_vma_names[i].path, size);
            found = true;
        }
    }
    libos_unlock(&g_vma_name_lock);
    return found;
}
