/* Edges of the KVM guest's syscall rewrite (pal/kvm/guest/rewrite.c), run
 * natively and on the KVM PAL with the same expected output:
 * - numbers past page 0's sled through a rewritten site are ENOSYS (the
 *   int3 area, the jump's operand bytes, past page 0);
 * - a jump into page 0 past the sled that is not from a site is SIGSEGV
 *   at its target (into the sled itself it is SIGSEGV at 0, a NULL call);
 * - a write near NULL is SEGV_MAPERR (page 0 is mapped, but not the app's).
 * stderr says whether the site was rewritten (the runner checks it). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const unsigned char edge_site[];
__attribute__((noinline)) static long sys1(long nr, long a) {
    long r;
    __asm__ volatile(".p2align 4\n.globl edge_site\nedge_site: syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a)
                     : "rcx", "r11", "memory");
    return r;
}

static sigjmp_buf g_jmp;
static void *g_addr;
static int g_code;
static void on_segv(int sig, siginfo_t *si, void *uc) {
    g_addr = si->si_addr;
    g_code = si->si_code;
    siglongjmp(g_jmp, 1);
}

int main(void) {
    long pid = sys1(SYS_getpid, 0);
    printf("getpid through the site: %s\n", pid == getpid() ? "ok" : "WRONG");
    fprintf(stderr, "site: %s\n", edge_site[0] == 0xff ? "rewritten" : "syscall");
    static const long nrs[] = {511,  512,  513,  514,  515,  516,     517,       600,
                               2048, 4090, 4095, 4096, 5000, 0x10000, 0x7fffffff};
    for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        long r = sys1(nrs[i], 0);
        printf("syscall %ld: %s\n", nrs[i], r == -ENOSYS ? "ENOSYS" : "OTHER");
    }
    printf("getpid again: %s\n", sys1(SYS_getpid, 0) == getpid() ? "ok" : "WRONG");
    struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER};
    sigaction(SIGSEGV, &sa, NULL);
    static const uintptr_t targets[] = {0x800, 0x2ff, 0xfff};
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        g_addr = (void *)1;
        if (sigsetjmp(g_jmp, 1) == 0)
            __asm__ volatile("call *%%rdx" ::"d"(targets[i]) : "memory");
        printf("call %#lx: SIGSEGV at %#lx %s\n", (unsigned long)targets[i], (unsigned long)g_addr,
               g_code == SEGV_MAPERR ? "MAPERR" : "other");
    }
    volatile char *null = 0;
    if (sigsetjmp(g_jmp, 1) == 0)
        null[8] = 1;
    printf("write to 8: SIGSEGV at %#lx %s\n", (unsigned long)g_addr,
           g_code == SEGV_MAPERR ? "MAPERR" : "other");
    printf("rw_edges: done\n");
    return 0;
}
