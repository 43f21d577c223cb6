/* The manifest's [sys] limits as a program sees them. One mode per run:
 *   memory MB      mmap/mremap/brk past MB MiB of mappings fail with ENOMEM
 *   brk KB         the break grows to KB KiB and no further
 *   threads N      N threads in all (main included), then EAGAIN
 *   files N        fds 0..N-1, then EMFILE; RAISE says whether raising the
 *                  hard limit works (Linux root: yes; under a manifest: EPERM)
 *   stack KB       recurses KB KiB deep on the main stack
 *   ids            prints uid, euid, gid, egid
 *   bigmap         32 TiB PROT_NONE mappings (MAP_FIXED_NOREPLACE, MAP_FIXED)
 *                  come and go quickly (the libos once scanned them page by
 *                  page: found by fuzz_elf)
 * Each mode is run natively with the matching `ulimit` too (Linux is the spec). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int g_fail;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf(" (errno %d %s)\n", errno, strerror(errno));                                    \
            g_fail = 1;                                                                            \
        }                                                                                          \
    } while (0)

#define MB (1024UL * 1024)

static void *map(size_t n) {
    return mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static int memory(long mb) {
    size_t lim = (size_t)mb * MB;
    errno = 0;
    void *big = map(lim + 32 * MB);
    CHECK(big == MAP_FAILED && errno == ENOMEM, "mmap past the limit -> ENOMEM");
    char *a = map(lim / 4);
    CHECK(a != MAP_FAILED, "mmap of a quarter of the limit");
    if (a == MAP_FAILED)
        return 1;
    memset(a, 1, lim / 4);
    errno = 0;
    void *b = mremap(a, lim / 4, lim + 16 * MB, MREMAP_MAYMOVE);
    CHECK(b == MAP_FAILED && errno == ENOMEM, "mremap growing past the limit -> ENOMEM");
    /* Half the limit more fits; after unmapping, the space is usable again. */
    char *c = map(lim / 2);
    CHECK(c != MAP_FAILED, "mmap of another half");
    errno = 0;
    CHECK(map(lim / 2) == MAP_FAILED && errno == ENOMEM, "a second half does not fit");
    CHECK(munmap(c, lim / 2) == 0, "munmap");
    c = map(lim / 2);
    CHECK(c != MAP_FAILED, "mmap after munmap reuses the budget");
    /* MAP_FIXED over own memory replaces it: no extra cost. */
    CHECK(mmap(a, lim / 4, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == a,
          "MAP_FIXED over an existing mapping");
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t want = cur + lim;
    CHECK((uintptr_t)syscall(SYS_brk, want) == cur, "brk past the memory limit keeps the break");
    printf("memory ok\n");
    return g_fail;
}

static int brk_mode(long kb) {
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t half = cur + (uintptr_t)kb * 1024 / 2;
    CHECK((uintptr_t)syscall(SYS_brk, half) == half, "brk to half the limit");
    memset((void *)cur, 7, half - cur);
    uintptr_t past = cur + (uintptr_t)kb * 1024 * 2;
    CHECK((uintptr_t)syscall(SYS_brk, past) == half, "brk past the limit fails (break unchanged)");
    printf("brk ok\n");
    return g_fail;
}

static int g_pipe[2];

static void *waiter(void *arg) {
    char c;
    (void)arg;
    while (read(g_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static int threads(long n) {
    pthread_t t[256];
    CHECK(pipe(g_pipe) == 0, "pipe");
    long made = 0;
    int r = 0;
    while (made < 255) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 64 * 1024);
        r = pthread_create(&t[made], &at, waiter, NULL);
        pthread_attr_destroy(&at);
        if (r)
            break;
        made++;
    }
    CHECK(made == n - 1, "%ld threads created besides main, expected %ld", made, n - 1);
    CHECK(r == EAGAIN, "pthread_create past the limit -> EAGAIN (got %d)", r);
    close(g_pipe[1]);
    for (long i = 0; i < made; i++)
        pthread_join(t[i], NULL);
    /* Joined threads free their slots. */
    pthread_t again;
    CHECK(pthread_create(&again, NULL, waiter, NULL) == 0, "a thread after the others exited");
    pthread_join(again, NULL);
    printf("threads ok\n");
    return g_fail;
}

static int files(long n, const char *raise) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == (rlim_t)n &&
              rl.rlim_max == (rlim_t)n,
          "RLIMIT_NOFILE is %ld/%ld", (long)rl.rlim_cur, (long)rl.rlim_max);
    int fd, last = -1;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    CHECK(errno == EMFILE, "open past the limit -> EMFILE");
    CHECK(last == n - 1, "last fd %d, expected %ld", last, n - 1);
    errno = 0;
    CHECK(dup(0) < 0 && errno == EMFILE, "dup past the limit -> EMFILE");
    errno = 0;
    CHECK(fcntl(0, F_DUPFD, 0) < 0 && errno == EMFILE, "F_DUPFD past the limit -> EMFILE");
    rl.rlim_cur = rl.rlim_max = (rlim_t)n * 4;
    int rr = setrlimit(RLIMIT_NOFILE, &rl);
    if (!strcmp(raise, "raise-skip"))
        ; /* native: whether root may raise it depends on CAP_SYS_RESOURCE */
    else if (!strcmp(raise, "raise-eperm"))
        CHECK(rr < 0 && errno == EPERM, "raising the hard limit -> EPERM");
    else
        CHECK(rr == 0, "raising the hard limit works");
    printf("files ok\n");
    return g_fail;
}

/* Recursion that really uses its frames. */
static __attribute__((noinline)) long deep(long kb) {
    volatile char buf[4096];
    buf[0] = (char)kb;
    buf[4095] = 1;
    if (kb <= 4)
        return buf[0] + buf[4095];
    return deep(kb - 4) + buf[0];
}

static int stack(long kb) {
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    printf("stack limit %ld KiB\n", (long)rl.rlim_cur / 1024);
    fflush(stdout);
    long v = deep(kb);
    printf("recursed %ld KiB (%ld)\n", kb, v > 0 ? 1L : 0L);
    return 0;
}

static int bigmap(void) {
    size_t n = 1UL << 45;
    char *at = (char *)0x200000000000UL;
    int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    CHECK(mmap(at, n, PROT_NONE, fl | MAP_FIXED_NOREPLACE, -1, 0) == at, "NOREPLACE 32 TiB");
    errno = 0;
    CHECK(mmap(at + n - 4096, 8192, PROT_NONE, fl | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED &&
              errno == EEXIST,
          "NOREPLACE over its last page -> EEXIST");
    CHECK(munmap(at, n) == 0, "munmap 32 TiB");
    CHECK(mmap(at, n, PROT_NONE, fl | MAP_FIXED, -1, 0) == at, "MAP_FIXED 32 TiB");
    CHECK(munmap(at, n) == 0, "munmap again");
    printf("bigmap ok\n");
    return g_fail;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2)
        return 2;
    long n = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
    if (!strcmp(argv[1], "memory"))
        return memory(n);
    if (!strcmp(argv[1], "brk"))
        return brk_mode(n);
    if (!strcmp(argv[1], "threads"))
        return threads(n);
    if (!strcmp(argv[1], "files"))
        return files(n, argc > 3 ? argv[3] : "");
    if (!strcmp(argv[1], "stack"))
        return stack(n);
    if (!strcmp(argv[1], "bigmap"))
        return bigmap();
    if (!strcmp(argv[1], "ids")) {
        printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(),
               (int)getegid());
        return 0;
    }
    return 2;
}
