/* Memory: file mappings (private and shared), anonymous mmap/mprotect with
 * the SIGSEGV Linux delivers, a large malloc, brk growth/shrink, and the
 * initial process state (argv, envp, auxv). Usage: mmapfile DIR alpha "beta gamma" */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start; /* linker-provided: our own ELF header */
extern char _start[];

static sigjmp_buf g_jmp;
static volatile void *g_fault_addr;
static volatile int g_fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc) {
    g_fault_addr = si->si_addr;
    g_fault_code = si->si_code;
    siglongjmp(g_jmp, 1);
}

static void test_file_maps(const char *dir) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/mmapfile.dat", dir);
    long pg = sysconf(_SC_PAGESIZE);
    size_t len = 3 * pg + 100; /* not a page multiple: the tail reads as zeros */
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + i % 23);

    int fd = CHECK_OK(open(path, O_CREAT | O_TRUNC | O_RDWR, 0644));
    CHECK(write(fd, data, len) == (ssize_t)len, "write %zu bytes", len);

    char *pm = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(pm != MAP_FAILED, "mmap MAP_PRIVATE read");
    if (pm != MAP_FAILED) {
        CHECK(memcmp(pm, data, len) == 0, "private mapping matches file");
        char tail[64];
        memset(tail, 1, sizeof(tail));
        memcpy(tail, pm + len, sizeof(tail));
        int zero = 1;
        for (size_t i = 0; i < sizeof(tail); i++)
            zero &= tail[i] == 0;
        CHECK(zero, "bytes past EOF in the last page are zero");
        CHECK_OK(munmap(pm, len));
    }

    /* A private writable mapping does not change the file. */
    char *pw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(pw != MAP_FAILED, "mmap MAP_PRIVATE write");
    if (pw != MAP_FAILED) {
        memset(pw, 'P', 16);
        char buf[16];
        CHECK(pread(fd, buf, 16, 0) == 16 && memcmp(buf, data, 16) == 0,
              "private write not visible in file");
        munmap(pw, len);
    }

    /* Offset mapping: page 1 of the file. */
    char *po = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    CHECK(po != MAP_FAILED && memcmp(po, data + pg, pg) == 0, "mmap at file offset pg");
    if (po != MAP_FAILED)
        munmap(po, pg);
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED ? -1 : 0, EINVAL);
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 9999, 0) == MAP_FAILED ? -1 : 0, EBADF);

    /* Shared writes reach the file: read() sees them right away (Linux page
     * cache coherence) and after msync/munmap. */
    char *sm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(sm != MAP_FAILED, "mmap MAP_SHARED rw");
    if (sm != MAP_FAILED) {
        memcpy(sm + 10, "SHARED", 6);
        memcpy(sm + 2 * pg + 5, "PAGE2", 5);
        char buf[8] = {0};
        CHECK(pread(fd, buf, 6, 10) == 6 && memcmp(buf, "SHARED", 6) == 0,
              "read() sees shared write before msync: '%.6s'", buf);
        CHECK_OK(msync(sm, len, MS_SYNC));
        CHECK_OK(munmap(sm, len));
    }
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(path, O_RDONLY));
    char *back = calloc(1, len);
    CHECK(read(fd, back, len) == (ssize_t)len, "read whole file after munmap");
    memcpy(data + 10, "SHARED", 6);
    memcpy(data + 2 * pg + 5, "PAGE2", 5);
    CHECK(memcmp(back, data, len) == 0, "file holds the shared writes");
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(st.st_size == (off_t)len, "shared mapping did not change size (%lld)",
          (long long)st.st_size);
    /* Writable shared mapping of a read-only fd is refused. */
    CHECK_ERR(mmap(NULL, len, PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0, EACCES);
    close(fd);
    CHECK_OK(unlink(path));
    free(back);
    free(data);
}

static void test_anon(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED && ((uintptr_t)a & (pg - 1)) == 0, "anonymous mmap, page aligned");
    if (a == MAP_FAILED)
        return;
    int zero = 1;
    for (long i = 0; i < 4 * pg; i++)
        zero &= a[i] == 0;
    CHECK(zero, "anonymous memory is zero");
    memset(a, 0x5a, 4 * pg);

    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGSEGV, &sa, NULL));

    CHECK_OK(mprotect(a + pg, pg, PROT_READ));
    CHECK(a[pg + 7] == 0x5a, "read-only page still readable");
    volatile char *target = a + pg + 123;
    if (sigsetjmp(g_jmp, 1) == 0) {
        *target = 1;
        CHECK(0, "write to PROT_READ page did not fault");
    } else {
        CHECK(g_fault_addr == target && g_fault_code == SEGV_ACCERR,
              "write to PROT_READ page: SIGSEGV addr ok=%d code %d (SEGV_ACCERR=%d)",
              g_fault_addr == target, g_fault_code, SEGV_ACCERR);
    }
    CHECK(a[pg + 123] == 0x5a, "faulting write had no effect");
    CHECK_OK(mprotect(a + pg, pg, PROT_READ | PROT_WRITE));
    a[pg + 123] = 7;
    CHECK(a[pg + 123] == 7, "writable again after mprotect RW");

    CHECK_OK(munmap(a + 2 * pg, pg)); /* hole in the middle */
    target = a + 2 * pg;
    if (sigsetjmp(g_jmp, 1) == 0) {
        (void)*target;
        CHECK(0, "read of unmapped page did not fault");
    } else {
        CHECK(g_fault_addr == target && g_fault_code == SEGV_MAPERR,
              "read of unmapped page: SIGSEGV addr ok=%d code %d (SEGV_MAPERR=%d)",
              g_fault_addr == target, g_fault_code, SEGV_MAPERR);
    }
    CHECK(a[3 * pg] == 0x5a, "page after the hole kept its data");
    CHECK_OK(munmap(a, 4 * pg));
    CHECK_ERR(munmap(a + 1, pg), EINVAL);
    /* Raw call: musl's mprotect() wrapper rounds the address down itself. */
    CHECK_ERR(syscall(SYS_mprotect, a + 1, pg, PROT_READ), EINVAL);
    signal(SIGSEGV, SIG_DFL);
}

static void test_malloc(void) {
    size_t len = 64u << 20;
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char *m = malloc(len);
    CHECK(m != NULL, "malloc 64 MiB");
    if (!m)
        return;
    for (size_t i = 0; i < len; i += pg)
        m[i] = (unsigned char)(i / pg);
    size_t bad = 0;
    for (size_t i = 0; i < len; i += pg)
        bad += m[i] != (unsigned char)(i / pg);
    CHECK(bad == 0, "every page of 64 MiB holds what was written (%zu bad)", bad);
    free(m);
}

/* Raw brk: musl's sbrk() refuses nonzero increments, so both libcs use the
 * system call. No allocation happens between grow and shrink. */
static void test_brk(void) {
    uintptr_t cur = syscall(SYS_brk, 0);
    uintptr_t want = cur + (8u << 20);
    uintptr_t got = syscall(SYS_brk, want);
    int grew = got == want;
    size_t bad = 0;
    if (grew) {
        unsigned char *p = (unsigned char *)cur;
        for (uintptr_t i = 0; i < (8u << 20); i += 4096)
            p[i] = 0xb7;
        for (uintptr_t i = 0; i < (8u << 20); i += 4096)
            bad += p[i] != 0xb7;
    }
    uintptr_t mid = syscall(SYS_brk, cur + (2u << 20));
    uintptr_t back = syscall(SYS_brk, cur);
    uintptr_t now = syscall(SYS_brk, 0);
    CHECK(cur != 0, "initial brk is set");
    CHECK(grew, "brk grew by 8 MiB (asked %#lx got %#lx)", (unsigned long)want, (unsigned long)got);
    CHECK(bad == 0, "brk memory writable on every page");
    CHECK(mid == cur + (2u << 20), "brk shrink to +2 MiB");
    CHECK(back == cur && now == cur, "brk back to the start");
    /* A request below the initial break is refused: break stays put. */
    uintptr_t low = syscall(SYS_brk, 4096);
    CHECK(low == cur, "brk below start refused (returns current)");
}

static void test_startup(int argc, char **argv, char **envp) {
    CHECK(argc == 4 && strcmp(argv[2], "alpha") == 0 && strcmp(argv[3], "beta gamma") == 0,
          "argv has 4 entries with 'alpha' and 'beta gamma'");
    CHECK(argv[argc] == NULL, "argv[argc] == NULL");
    CHECK(envp == argv + argc + 1, "envp follows argv on the stack");
    CHECK(envp == environ, "environ == envp");
    int n = 0, bad = 0;
    for (char **e = envp; *e; e++, n++)
        bad += strchr(*e, '=') == NULL;
    CHECK(bad == 0, "all %d env strings have '='", n);
    const char *v = getenv("SABOT_TEST_VAR");
    CHECK(v && strcmp(v, "value with spaces") == 0, "SABOT_TEST_VAR = '%s'", v ? v : "(null)");

    CHECK(getauxval(AT_PAGESZ) == 4096, "AT_PAGESZ %lu", getauxval(AT_PAGESZ));
    unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
    int nz = 0;
    for (int i = 0; rnd && i < 16; i++)
        nz |= rnd[i];
    CHECK(rnd != NULL && nz, "AT_RANDOM non-null with nonzero bytes");
    uintptr_t phdr = (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff;
    CHECK(getauxval(AT_PHDR) == phdr, "AT_PHDR %#lx == %#lx", getauxval(AT_PHDR),
          (unsigned long)phdr);
    CHECK(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM %lu", getauxval(AT_PHNUM));
    CHECK(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT %lu", getauxval(AT_PHENT));
    CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY %#lx == _start %p",
          getauxval(AT_ENTRY), (void *)_start);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    CHECK(fn && strcmp(fn, argv[0]) == 0, "AT_EXECFN '%s' == argv[0] '%s'", fn ? fn : "(null)",
          argv[0]);
}

int main(int argc, char **argv, char **envp) {
    check_init("mmapfile");
    if (argc < 2) {
        fprintf(stderr, "usage: mmapfile DIR alpha 'beta gamma'\n");
        return 2;
    }
    test_startup(argc, argv, envp);
    test_file_maps(argv[1]);
    test_anon();
    test_malloc();
    test_brk();
    return check_done();
}
