/* mremap (grow in place, grow by moving, shrink, MREMAP_FIXED), mincore,
 * the mlock family, MAP_FIXED_NOREPLACE and a MAP_GROWSDOWN stack. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

static void fill(char *p, size_t n, char c) {
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(c + i % 7);
}

static int same(const char *p, size_t n, char c) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(c + i % 7))
            return 0;
    return 1;
}

int main(void) {
    check_init("memory");
    const size_t pg = 4096;
    /* Reserve 8 pages, keep 2: growing into the freed 6 works in place. */
    char *a = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mmap 8 pages");
    CHECK_OK(munmap(a + 2 * pg, 6 * pg));
    fill(a, 2 * pg, 'a');
    char *b = mremap(a, 2 * pg, 4 * pg, 0);
    CHECK(b == a, "mremap grows in place without MAYMOVE (%p vs %p)", (void *)b, (void *)a);
    CHECK(b != MAP_FAILED && same(b, 2 * pg, 'a'), "contents kept");
    if (b != MAP_FAILED)
        b[4 * pg - 1] = 1; /* the new part is usable */
    /* Block the space after it; growing then needs MAYMOVE. */
    char *wall =
        mmap(a + 4 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(wall == a + 4 * pg, "MAP_FIXED_NOREPLACE into a free page");
    CHECK(mmap(a, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
                  MAP_FAILED &&
              errno == EEXIST,
          "MAP_FIXED_NOREPLACE over a mapping -> EEXIST");
    CHECK(mremap(a, 4 * pg, 8 * pg, 0) == MAP_FAILED && errno == ENOMEM,
          "growing into a mapping without MAYMOVE -> ENOMEM");
    char *c = mremap(a, 4 * pg, 16 * pg, MREMAP_MAYMOVE);
    CHECK(c != MAP_FAILED && c != a && same(c, 2 * pg, 'a'), "MREMAP_MAYMOVE moves, contents kept");
    unsigned char vec[16];
    CHECK(mincore(a, pg, vec) == -1 && errno == ENOMEM, "old place is unmapped (mincore ENOMEM)");
    CHECK_OK(mincore(c, 16 * pg, vec));
    CHECK_ERR(mincore(c + 1, pg, vec), EINVAL);
    char *d = mremap(c, 16 * pg, pg, 0);
    CHECK(d == c && same(d, pg, 'a'), "shrink keeps the start");
    CHECK(mincore(c + pg, pg, vec) == -1 && errno == ENOMEM, "shrunk tail is gone");
    char *target = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *e = mremap(d, pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, target + pg);
    CHECK(e == target + pg && same(e, pg, 'a'), "MREMAP_FIXED to a chosen place");
    CHECK(mremap(e, pg, pg, MREMAP_FIXED, target) == MAP_FAILED && errno == EINVAL,
          "MREMAP_FIXED without MAYMOVE -> EINVAL");
    CHECK(mremap((char *)0x1000, pg, 2 * pg, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT,
          "mremap of unmapped memory -> EFAULT");

    CHECK_OK(mlock(e, pg));
    CHECK_OK(munlock(e, pg));
    CHECK_ERR(mlock((void *)8, pg), ENOMEM);
    CHECK_OK(mlockall(MCL_CURRENT));
    CHECK_ERR(mlockall(0), EINVAL);
    CHECK_OK(munlockall());

    /* A MAP_GROWSDOWN stack grows when touched just below its start. */
    char *st = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    CHECK(st != MAP_FAILED, "MAP_GROWSDOWN mapping");
    if (st != MAP_FAILED) {
        /* Make sure the page below is free, then touch it. */
        munmap(st - pg, pg);
        st[-100] = 42;
        CHECK(st[-100] == 42, "touching below a MAP_GROWSDOWN mapping grows it");
        CHECK_OK(mincore(st - pg, pg, vec));
    }

    /* Linux places no mapping within stack_guard_gap (256 pages) below a
     * MAP_GROWSDOWN mapping, so a touch below it grows it rather than
     * writing whatever had been put there. */
    char *gs = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    CHECK(gs != MAP_FAILED, "a second MAP_GROWSDOWN mapping");
    if (gs != MAP_FAILED) {
        CHECK_ERR(mincore(gs - pg, pg, vec), ENOMEM);
        gs[-1] = 7;
        CHECK(gs[-1] == 7, "a touch just below it grows it");
        CHECK_OK(mincore(gs - pg, pg, vec));
        char *low = gs - pg; /* its start now */
        int near = 0;
        char *maps[32];
        for (int i = 0; i < 32; i++) {
            maps[i] =
                mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            near += maps[i] != MAP_FAILED && maps[i] + 4 * pg > low - 256 * pg && maps[i] < low;
        }
        CHECK(near == 0, "no later mapping within 256 pages below it (%d)", near);
        CHECK_ERR(mincore(low - pg, pg, vec), ENOMEM);
        for (int i = 0; i < 32; i++)
            if (maps[i] != MAP_FAILED)
                munmap(maps[i], 4 * pg);
        CHECK_OK(munmap(low, 5 * pg));
    }
    return check_done();
}
