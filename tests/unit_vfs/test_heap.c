/* The libos heap (libos/lib/malloc.c) over the fake PAL: blocks of every
 * size class are distinct and keep their contents, freed blocks are used
 * again, and a chunk is carved as blocks are asked for (pages never handed
 * out stay untouched: each touched page is copied by every fork). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

/* libos.h's Linux ABI macros clash with <sys/mman.h>: the heap's API only. */
void *libos_malloc(size_t size);
void *libos_calloc(size_t n, size_t size);
void *libos_realloc(void *p, size_t size);
void libos_free(void *p);

#define PAGE 4096

static int resident_pages(void *start, size_t len) {
    unsigned char vec[64];
    assert_true(len / PAGE <= sizeof(vec));
    assert_int_equal(mincore(start, len, vec), 0);
    int n = 0;
    for (size_t i = 0; i < len / PAGE; i++)
        n += vec[i] & 1;
    return n;
}

static void test_fresh_chunk_is_carved_lazily(void **state) {
    (void)state;
    /* 1024-byte class: its first block opens a fresh 64 KiB chunk, and the
     * block's 16-byte header sits at the chunk's start. */
    char *p = libos_malloc(1000);
    assert_non_null(p);
    char *chunk = p - 16;
    assert_int_equal((uintptr_t)chunk % PAGE, 0);
    memset(p, 0xab, 1000);
    assert_int_equal(resident_pages(chunk, 64 * 1024), 1);
    libos_free(p);
}

static void test_blocks_distinct_and_reused(void **state) {
    (void)state;
    enum { N = 3000 };
    static char *blocks[N];
    static size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + (size_t)(i * 37) % 5000; /* small classes and page blocks */
        blocks[i] = libos_malloc(sizes[i]);
        assert_non_null(blocks[i]);
        memset(blocks[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if ((unsigned char)blocks[i][k] != (i & 0xff))
                fail_msg("block %d (%zu bytes) overwritten at %zu", i, sizes[i], k);
    char *small = blocks[1]; /* 38 bytes: a 64-byte class block */
    libos_free(small);
    char *again = libos_malloc(40);
    assert_ptr_equal(again, small);
    blocks[1] = again;
    for (int i = 0; i < N; i++)
        libos_free(blocks[i]);
}

extern unsigned long g_fake_mem_allocs;

/* A path buffer (LIBOS_PATH_MAX) is taken and given back on every path
 * call: from the heap, not host pages of its own each time (two host calls
 * per block made stat 40x slower than native). */
static void test_path_buffers_from_the_heap(void **state) {
    (void)state;
    unsigned long before = g_fake_mem_allocs;
    char *first = libos_malloc(4096);
    assert_non_null(first);
    libos_free(first);
    for (int i = 0; i < 100; i++) {
        char *p = libos_malloc(4096);
        assert_ptr_equal(p, first);
        memset(p, i, 4096);
        libos_free(p);
    }
    assert_true(g_fake_mem_allocs - before <= 1); /* at most a fresh chunk */
}

static void test_calloc_realloc(void **state) {
    (void)state;
    unsigned char *z = libos_calloc(100, 3);
    assert_non_null(z);
    for (int i = 0; i < 300; i++)
        assert_int_equal(z[i], 0);
    memset(z, 7, 300);
    unsigned char *r = libos_realloc(z, 3000);
    assert_non_null(r);
    for (int i = 0; i < 300; i++)
        assert_int_equal(r[i], 7);
    libos_free(r);
    assert_null(libos_calloc((size_t)-1 / 2, 4)); /* overflow */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_chunk_is_carved_lazily),
        cmocka_unit_test(test_blocks_distinct_and_reused),
        cmocka_unit_test(test_path_buffers_from_the_heap),
        cmocka_unit_test(test_calloc_realloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
