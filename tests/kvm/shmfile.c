/* Shared mappings of a host file (MAP_SHARED), run on the KVM PAL and
 * natively: SIGBUS once the file shrank under the mapping and access
 * again once it grew back; a read-only shared mapping sees writes made
 * through write(); a read-only descriptor gives no writable shared
 * mapping; 1000 map/unmap cycles (each mapping is a memory slot that
 * must be given back). Prints "shmfile: ALL OK". */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int g_bad;
#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        printf("%s ", (c) ? "ok  " : "FAIL");                                                      \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        g_bad += !(c);                                                                             \
    } while (0)

static sigjmp_buf g_jb;
static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)sig, (void)si, (void)uc;
    siglongjmp(g_jb, 1);
}

static int touch(volatile char *p) {
    if (sigsetjmp(g_jb, 1))
        return -1;
    return *p;
}

int main(void) {
    struct sigaction sa = {.sa_sigaction = on_bus, .sa_flags = SA_SIGINFO};
    sigaction(SIGBUS, &sa, NULL);
    int fd = open("shm.dat", O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 3 * 4096) == 0, "a 3-page file");
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mapped shared");
    m[4096] = 7;
    CHECK(ftruncate(fd, 100) == 0 && touch(m + 4096 + 8) == -1, "SIGBUS after the file shrank");
    CHECK(ftruncate(fd, 3 * 4096) == 0 && touch(m + 2 * 4096) == 0,
          "the page is there again after the file grew");
    munmap(m, 3 * 4096);

    int ro = open("shm.dat", O_RDONLY);
    char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
    CHECK(r != MAP_FAILED, "read-only shared mapping");
    CHECK(pwrite(fd, "fresh", 5, 0) == 5 && r != MAP_FAILED && !memcmp(r, "fresh", 5),
          "it sees a later write()");
    errno = 0;
    void *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    CHECK(w == MAP_FAILED && errno == EACCES, "no writable shared mapping of a read-only fd (%s)",
          strerror(errno));
    munmap(r, 4096);
    close(ro);

    int ok = 0;
    for (int i = 0; i < 1000; i++) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            break;
        p[1] = (char)i;
        ok += munmap(p, 4096) == 0;
    }
    char b[2];
    CHECK(ok == 1000 && pread(fd, b, 2, 0) == 2 && b[1] == (char)999,
          "1000 shared mappings made and unmapped (%d)", ok);
    close(fd);
    unlink("shm.dat");
    printf(g_bad ? "shmfile: %d FAILED\n" : "shmfile: ALL OK\n", g_bad);
    return g_bad != 0;
}
