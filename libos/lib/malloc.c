/* The libos heap. Small blocks come from power-of-two size classes carved
 * out of 64 KiB chunks; large blocks get their own pages. Every block has a
 * 16-byte header holding its usable size, so free/realloc need no lookup.
 * A chunk is carved as blocks are asked for, not all at once: untouched
 * pages cost nothing, while every touched page is copied by each fork. */
#include "libos.h"

#define MIN_SHIFT 4 /* 16 bytes */
/* Up to 8 KiB: path buffers (LIBOS_PATH_MAX) are taken and given back on
 * every path call, and pages of their own cost two host calls each. */
#define MAX_SHIFT 13 /* 8192 bytes */
#define NCLASSES (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK_SIZE (64 * 1024)
#define HDR 16

struct free_block {
    struct free_block *next;
};

static LIBOS_FORK_HOT struct free_block *g_free_lists[NCLASSES];
static LIBOS_FORK_HOT char *g_carve[NCLASSES], *g_carve_end[NCLASSES]; /* being carved */
static LIBOS_FORK_HOT struct libos_lock g_heap_lock = LIBOS_LOCK_INIT;

static int size_class(size_t size) {
    int c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < size)
        c++;
    return c;
}

static void *pages_alloc(size_t size) {
    void *p = NULL;
    if (pal_mem_alloc(&p, size, PAL_PROT_READ | PAL_PROT_WRITE, 0) < 0)
        return NULL;
    return p;
}

/* A block of class c from the free list or the chunk being carved. */
static void *take_block(int c) {
    struct free_block *b = g_free_lists[c];
    if (b) {
        g_free_lists[c] = b->next;
        return b;
    }
    size_t bsize = ((size_t)1 << (c + MIN_SHIFT)) + HDR;
    if (g_carve_end[c] - g_carve[c] < (ptrdiff_t)bsize) {
        char *chunk = pages_alloc(CHUNK_SIZE);
        if (!chunk)
            return NULL;
        g_carve[c] = chunk;
        g_carve_end[c] = chunk + CHUNK_SIZE;
    }
    void *p = g_carve[c];
    g_carve[c] += bsize;
    return p;
}

LIBOS_FORK_TEXT void *libos_malloc(size_t size) {
    if (size == 0)
        size = 1;
    if (size > ((size_t)1 << MAX_SHIFT)) {
        size_t total = ALIGN_UP(size + HDR, LIBOS_PAGE_SIZE);
        if (total < size)
            return NULL;
        char *p = pages_alloc(total);
        if (!p)
            return NULL;
        *(size_t *)p = total - HDR;
        return p + HDR;
    }
    int c = size_class(size);
    libos_lock(&g_heap_lock);
    struct free_block *b = take_block(c);
    libos_unlock(&g_heap_lock);
    if (!b)
        return NULL;
    *(size_t *)b = (size_t)1 << (c + MIN_SHIFT);
    return (char *)b + HDR;
}

static size_t block_size(void *p) {
    return *(size_t *)((char *)p - HDR);
}

LIBOS_FORK_TEXT void libos_free(void *p) {
    if (!p)
        return;
    size_t size = block_size(p);
    char *base = (char *)p - HDR;
    if (size > ((size_t)1 << MAX_SHIFT)) {
        pal_mem_free(base, size + HDR);
        return;
    }
    int c = size_class(size);
    struct free_block *b = (struct free_block *)base;
    libos_lock(&g_heap_lock);
    b->next = g_free_lists[c];
    g_free_lists[c] = b;
    libos_unlock(&g_heap_lock);
}

LIBOS_FORK_TEXT void *libos_calloc(size_t n, size_t size) {
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = libos_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *libos_realloc(void *p, size_t size) {
    if (!p)
        return libos_malloc(size);
    size_t old = block_size(p);
    if (size <= old)
        return p;
    void *n = libos_malloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    libos_free(p);
    return n;
}

/* Held across fork so the child's heap is consistent. */
void libos_malloc_fork_lock(void) {
    libos_lock(&g_heap_lock);
}

LIBOS_FORK_TEXT void libos_malloc_fork_unlock(void) {
    libos_unlock(&g_heap_lock);
}
