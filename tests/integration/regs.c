/* A system call through the libos must leave the app's registers as the
 * kernel does: everything but rax (result), rcx and r11 (clobbered by the
 * syscall instruction) intact, including vector registers, the red zone
 * below rsp and the FS base (the app's TLS). */
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define NREGS 14
/* regs_probe(in, out): loads in[] into rbx rbp rdx rsi r8 r9 r10 r12 r13
 * r14 r15 xmm0 xmm15 rdi, fills the red zone, runs getpid, then stores the
 * same registers and the red-zone checksum into out[]. */
void regs_probe(const uint64_t *in, uint64_t *out);
__asm__(".text\n"
        ".globl regs_probe\n"
        "regs_probe:\n"
        "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "  push %rsi\n"
        "  mov 0(%rdi), %rbx\n"
        "  mov 8(%rdi), %rbp\n"
        "  mov 16(%rdi), %rdx\n"
        "  mov 24(%rdi), %rsi\n"
        "  mov 32(%rdi), %r8\n"
        "  mov 40(%rdi), %r9\n"
        "  mov 48(%rdi), %r10\n"
        "  mov 56(%rdi), %r12\n"
        "  mov 64(%rdi), %r13\n"
        "  mov 72(%rdi), %r14\n"
        "  mov 80(%rdi), %r15\n"
        "  movq 88(%rdi), %xmm0\n"
        "  movq 96(%rdi), %xmm15\n"
        "  mov 104(%rdi), %rdi\n"
        /* red zone: 16 quadwords of a pattern below rsp */
        "  mov $0x5a5a5a5a5a5a5a5a, %rax\n"
        "  lea -128(%rsp), %r11\n"
        "  xor %ecx, %ecx\n"
        "1: mov %rax, (%r11,%rcx,8)\n"
        "  inc %ecx; cmp $16, %ecx; jne 1b\n"
        "  mov $39, %eax\n"
        "  syscall\n"
        "  mov %rdi, -8(%rsp)\n" /* park rdi in the (already checked) zone */
        "  mov 0(%rsp), %rdi\n"
        "  mov %rbx, 0(%rdi)\n"
        "  mov %rbp, 8(%rdi)\n"
        "  mov %rdx, 16(%rdi)\n"
        "  mov %rsi, 24(%rdi)\n"
        "  mov %r8, 32(%rdi)\n"
        "  mov %r9, 40(%rdi)\n"
        "  mov %r10, 48(%rdi)\n"
        "  mov %r12, 56(%rdi)\n"
        "  mov %r13, 64(%rdi)\n"
        "  mov %r14, 72(%rdi)\n"
        "  mov %r15, 80(%rdi)\n"
        "  movq %xmm0, 88(%rdi)\n"
        "  movq %xmm15, 96(%rdi)\n"
        "  mov -8(%rsp), %rax\n"
        "  mov %rax, 104(%rdi)\n"
        /* count red-zone quadwords still holding the pattern (skip the one
         * used for parking rdi) */
        "  lea -128(%rsp), %r11\n"
        "  xor %eax, %eax\n"
        "  mov $0x5a5a5a5a5a5a5a5a, %rdx\n"
        "  xor %ecx, %ecx\n"
        "2: cmp %rdx, (%r11,%rcx,8)\n"
        "  jne 3f\n"
        "  inc %eax\n"
        "3: inc %ecx; cmp $15, %ecx; jne 2b\n"
        "  mov %rax, 112(%rdi)\n"
        "  add $8, %rsp\n"
        "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "  ret\n");

static const char *const names[] = {"rbx", "rbp", "rdx", "rsi", "r8",   "r9",    "r10",
                                    "r12", "r13", "r14", "r15", "xmm0", "xmm15", "rdi"};

int main(void) {
    check_init("regs");
    uint64_t in[NREGS], out[NREGS + 1];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NREGS; i++)
            in[i] = 0x1111111111111111ULL * (uint64_t)(i + 1) ^ ((uint64_t)round << 60);
        regs_probe(in, out);
        for (int i = 0; i < NREGS; i++)
            CHECK(out[i] == in[i], "round %d: %s preserved across syscall (%#llx)", round, names[i],
                  (unsigned long long)out[i]);
        CHECK(out[NREGS] == 15, "round %d: red zone below rsp intact (%llu of 15 words)", round,
              (unsigned long long)out[NREGS]);
    }

    /* The FS base is the app's: TLS still works and matches ARCH_GET_FS. */
    uint64_t fs = 0, self;
    CHECK(syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs) == 0, "arch_prctl(ARCH_GET_FS)");
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    CHECK(fs != 0 && self == fs, "FS base %#llx is the TLS self pointer %#llx",
          (unsigned long long)fs, (unsigned long long)self);
    static __thread int tls_var = 7;
    tls_var += getpid() > 0;
    CHECK(tls_var == 8, "thread-local variable usable after syscalls");
    return check_done();
}
