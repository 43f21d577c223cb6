/* The Linux PAL as a picoprocess: once set-up is done, the process can
 * reach nothing the manifest does not grant, even if the app jumps into PAL
 * code or flips the Syscall User Dispatch selector.
 *
 * Order (each step needs the previous one): no_new_privs (so an unprivileged
 * process may confine itself, and no exec regains privileges), the Landlock
 * domain the runtime built (host paths and TCP ports of the manifest), then
 * two seccomp filters. The first is raw BPF, because libseccomp cannot test
 * the instruction pointer: a host syscall must come from the PAL's syscall
 * region (syscall.S) or from sabot-pal-child's fixed one. The second is the
 * allowlist of the host syscalls the PAL issues, with their cheap argument
 * checks (runtime/seccomp_rules.c, compiled with libseccomp at build
 * time). The kernel runs every filter and keeps the strictest answer, so
 * their order does not matter. A stopped syscall raises
 * SIGSYS (SECCOMP_RET_TRAP), never returns to its caller, and ends the
 * process with a message (pal_linux_sandbox_violation). */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "pal_linux_boot.h"
#include "pal_sandbox.h"

extern char pal_syscall_region_start[], pal_syscall_region_end[];

#define HOST_PR_GET_SECCOMP 21
#define HOST_PR_SET_NO_NEW_PRIVS 38
#define HOST_SECCOMP_MODE_FILTER 2
#define HOST_SIGSYS_STATUS (128 + 31)

struct region {
    uint64_t start, end; /* [start, end) */
};

/* BPF: allow if seccomp_data.instruction_pointer is inside one of the
 * regions (an x86-64 syscall, RIP just after the instruction), else trap.
 * Each region must not cross a 4 GiB boundary (BPF compares 32-bit words). */
static int ip_filter(const struct region *rg, unsigned count, struct sock_filter *f, unsigned cap) {
    const uint32_t ip_lo = offsetof(struct seccomp_data, instruction_pointer);
    const uint32_t ip_hi = ip_lo + 4;
    unsigned n = 0, patch[4];
    if (count > 4 || cap < 4 + 5 * count)
        return -PAL_ERR_INVAL;
    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    for (unsigned i = 0; i < count; i++) {
        uint64_t s = rg[i].start, e = rg[i].end;
        if (e <= s || (s >> 32) != ((e - 1) >> 32) || (uint32_t)e < (uint32_t)s)
            return -PAL_ERR_INVAL;
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_hi);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(s >> 32), 0, 3);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip_lo);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)s, 0, 1);
        patch[i] = n;
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)e, 0, 0);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    unsigned allow = n;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    for (unsigned i = 0; i < count; i++) /* below the end: jump to allow */
        f[patch[i]].jf = (uint8_t)(allow - patch[i] - 1);
    return (int)n;
}

static int set_filter(const struct sock_filter *f, size_t count) {
    struct sock_fprog prog = {.len = (unsigned short)count, .filter = (struct sock_filter *)f};
    if (count == 0 || count > 0xffff)
        return -PAL_ERR_INVAL;
    return pal_linux_err(host_syscall3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

static struct region own_region(void) {
    return (struct region){(uint64_t)pal_syscall_region_start, (uint64_t)pal_syscall_region_end};
}

static int install_ip_filter(bool with_child) {
    struct region rg[2] = {own_region()};
    unsigned count = 1;
#ifdef PAL_LINUX_CHILD_REGION_START
    /* Instances made by pal_process_create execve sabot-pal-child, whose
     * region is at a fixed address; filters survive execve. */
    if (with_child && rg[0].start != PAL_LINUX_CHILD_REGION_START)
        rg[count++] = (struct region){PAL_LINUX_CHILD_REGION_START, PAL_LINUX_CHILD_REGION_END};
#else
    (void)with_child;
#endif
    struct sock_filter f[16];
    int n = ip_filter(rg, count, f, sizeof(f) / sizeof(f[0]));
    return n < 0 ? n : set_filter(f, (size_t)n);
}

/* A filter's SIGSYS may hit while the libos serves a trapped syscall, in
 * the SIGSYS handler: the kernel would then kill silently (the signal is
 * blocked). Unblocked, the handler runs nested and names the syscall. */
static int sigsys_nodefer(void) {
    struct host_sigaction sa;
    long r = host_syscall4(__NR_rt_sigaction, HOST_SIGSYS, 0, &sa, 8);
    if (!host_is_err(r)) {
        sa.flags |= HOST_SA_NODEFER;
        r = host_syscall4(__NR_rt_sigaction, HOST_SIGSYS, &sa, 0, 8);
    }
    return pal_linux_err(r);
}

int pal_linux_sandbox_install(const struct pal_linux_config *cfg, const char **what) {
    bool inherited = host_syscall1(__NR_prctl, HOST_PR_GET_SECCOMP) == HOST_SECCOMP_MODE_FILTER;
    if (inherited) {
        /* A new image under the parent's filters (and Landlock domain):
         * the parent's region address means nothing here, so allow only
         * ours. Filters only ever add restrictions. */
        *what = "seccomp filter for this image's syscall region";
        int r = sigsys_nodefer();
        return r < 0 ? r : install_ip_filter(false);
    }
    if (!cfg->seccomp_filter && cfg->landlock_fd <= 2)
        return 0; /* sandbox off (insecure__ options, or embedding) */
    *what = "no_new_privs";
    int r = pal_linux_err(host_syscall5(__NR_prctl, HOST_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    if (r < 0)
        return r;
    if (cfg->landlock_fd > 2) {
        *what = "Landlock (landlock_restrict_self)";
        r = pal_linux_err(host_syscall2(__NR_landlock_restrict_self, cfg->landlock_fd, 0));
        host_syscall1(__NR_close, cfg->landlock_fd);
        if (r < 0)
            return r;
    }
    if (!cfg->seccomp_filter)
        return 0;
    *what = "SIGSYS handler";
    r = sigsys_nodefer();
    if (r < 0)
        return r;
    *what = "seccomp filter on the instruction pointer";
    r = install_ip_filter(cfg->child_loader != 0);
    if (r < 0)
        return r;
    *what = "seccomp allowlist";
    return set_filter(cfg->seccomp_filter, cfg->seccomp_filter_len / sizeof(struct sock_filter));
}

/* ------------------------------------------------------------ violations */

static size_t fmt_u(char *out, uint64_t v, unsigned base) {
    char tmp[24];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        out[k++] = tmp[--n];
    return k;
}

static size_t put(char *out, size_t at, const char *s) {
    size_t n = pal_strlen(s);
    pal_memcpy(out + at, s, n);
    return at + n;
}

static bool in_pal_region(uint64_t ip) {
    struct region own = own_region();
    if (ip > own.start && ip <= own.end)
        return true;
#ifdef PAL_LINUX_CHILD_REGION_START
    if (ip > PAL_LINUX_CHILD_REGION_START && ip <= PAL_LINUX_CHILD_REGION_END)
        return true;
#endif
    return false;
}

void pal_linux_sandbox_violation(const struct host_siginfo *si) {
    char msg[256];
    size_t n = put(msg, 0, "sabot: sandbox: host syscall ");
    n += fmt_u(msg + n, (uint64_t)(uint32_t)si->sys.syscall, 10);
    n = put(msg, n, " stopped by seccomp at 0x");
    n += fmt_u(msg + n, si->sys.call_addr, 16);
    n = put(msg, n,
            in_pal_region(si->sys.call_addr)
                ? ": not on the PAL's allowlist (or its arguments are not)\n"
                : ": issued outside the PAL's syscall region\n");
    host_syscall3(__NR_write, 2, msg, n);
    for (;;)
        host_syscall1(__NR_exit_group, HOST_SIGSYS_STATUS);
}
