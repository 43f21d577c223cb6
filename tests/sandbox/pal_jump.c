/* A program that gets around the libos on purpose, run under sabot by
 * run_sandbox.sh: it calls the PAL's own syscall stub (pal_host_syscall, in
 * the region Syscall User Dispatch lets through) with chosen registers, or
 * turns Syscall User Dispatch off and issues raw syscalls. The sandbox
 * (Landlock + seccomp) must still stop it. The script finds the stub in the
 * sabot process (nm + /proc/PID/maps from the host) and writes
 *   STUB_ADDR SELECTOR_ADDR HOST_PID_TO_SIGNAL
 * (hex, hex, decimal) into $DIR/addr, which this program polls.
 *
 * usage: pal_jump DIR CASE [ARG]; prints "CASE: result" lines and exits 0
 * when the result is the expected one. Cases that must end the process
 * (seccomp) print "SURVIVED" and exit 1 if they come back. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef long (*pal_syscall_fn)(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
static pal_syscall_fn g_pal;
static volatile char *g_selector;
static long g_victim;

static void read_addrs(const char *dir) {
    char path[512], buf[256];
    snprintf(path, sizeof(path), "%s/addr", dir);
    for (int i = 0; i < 1000; i++) { /* 10 s */
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            close(fd);
            if (n > 0 && buf[n - 1] == '\n') {
                buf[n] = '\0';
                unsigned long stub, sel;
                if (sscanf(buf, "%lx %lx %ld", &stub, &sel, &g_victim) == 3) {
                    g_pal = (pal_syscall_fn)stub;
                    g_selector = (volatile char *)sel;
                    return;
                }
            }
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("no address file %s\n", path);
    exit(2);
}

static int expect(const char *name, long got, long want) {
    printf("%s: %ld (%s)\n", name, got, got == want ? "as expected" : "WRONG");
    return got == want ? 0 : 1;
}

static long raw_syscall1(long nr, long a) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
    return r;
}

struct in4 {
    uint16_t family, port;
    uint32_t addr;
    char zero[8];
};

static long tcp_sock(void) {
    return g_pal(SYS_socket, 2 /* AF_INET */, 1 /* SOCK_STREAM */, 0, 0, 0, 0);
}

static struct in4 loopback(int port) {
    struct in4 a = {2, (uint16_t)((port >> 8) | ((port & 0xff) << 8)), 0x0100007f, {0}};
    return a;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3) {
        fprintf(stderr, "usage: pal_jump DIR CASE [ARG]\n");
        return 2;
    }
    const char *c = argv[2], *arg = argc > 3 ? argv[3] : "";
    read_addrs(argv[1]);
    /* The stub works: a harmless call returns our host pid. */
    long hp = g_pal(SYS_getpid, 0, 0, 0, 0, 0, 0);
    if (hp <= 0) {
        printf("stub getpid: %ld\n", hp);
        return 1;
    }
    if (!strcmp(c, "open")) { /* ARG: host path, then the expected result (0: opens) */
        long fd = g_pal(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0);
        return expect("open(read) via PAL", fd >= 0 ? 0 : fd, argc > 4 ? atol(argv[4]) : 0);
    }
    if (!strcmp(c, "write")) /* ARG: host file in a read-only mount */
        return expect("open(write) via PAL",
                      g_pal(SYS_openat, AT_FDCWD, (long)arg, O_WRONLY, 0, 0, 0), -EACCES);
    if (!strcmp(c, "create")) /* ARG: new host file */
        return expect("open(O_CREAT) via PAL",
                      g_pal(SYS_openat, AT_FDCWD, (long)arg, O_WRONLY | O_CREAT, 0600, 0, 0),
                      -EACCES);
    if (!strcmp(c, "exec")) { /* ARG: host program */
        char *const av[] = {(char *)arg, NULL};
        return expect("execve via PAL",
                      g_pal(SYS_execve, (long)arg, (long)av, (long)(av + 1), 0, 0, 0), -EACCES);
    }
    if (!strcmp(c, "connect") || !strcmp(c, "bind")) { /* ARG: port, then expected result */
        long fd = tcp_sock();
        if (fd < 0)
            return expect("socket via PAL", fd, 0);
        struct in4 a = loopback(atoi(arg));
        long r =
            g_pal(!strcmp(c, "bind") ? SYS_bind : SYS_connect, fd, (long)&a, sizeof(a), 0, 0, 0);
        return expect(!strcmp(c, "bind") ? "bind via PAL" : "connect via PAL", r,
                      argc > 4 ? atol(argv[4]) : -EACCES);
    }
    if (!strcmp(c, "kill")) /* a host process outside the sandbox */
        return expect("kill(host pid) via PAL", g_pal(SYS_kill, g_victim, 0, 0, 0, 0, 0), -EPERM);
    if (!strcmp(c, "abstract")) { /* ARG: host abstract unix socket name */
        long fd = g_pal(SYS_socket, 1 /* AF_UNIX */, 1, 0, 0, 0, 0);
        struct {
            uint16_t family;
            char path[108];
        } un = {1, {0}};
        strncpy(un.path + 1, arg, sizeof(un.path) - 2);
        long r = g_pal(SYS_connect, fd, (long)&un, 2 + 1 + strlen(arg), 0, 0, 0);
        return expect("connect(abstract unix) via PAL", r, -EPERM);
    }
    if (!strcmp(c, "memfd_reopen")) { /* what pal_stream_reopen does: must work */
        long fd = g_pal(SYS_memfd_create, (long)"sabot-test", 1 /* MFD_CLOEXEC */, 0, 0, 0, 0);
        char path[40];
        snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
        long fd2 = g_pal(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CLOEXEC, 0, 0, 0);
        return expect("reopen of a memfd via PAL", fd < 0 ? fd : fd2 < 0 ? fd2 : 0, 0);
    }
    /* Below: the process must be stopped by seccomp and never come back. */
    if (!strcmp(c, "syscall")) { /* ARG: syscall name */
        long r = -1;
        if (!strcmp(arg, "ptrace"))
            r = g_pal(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0, 0, 0);
        else if (!strcmp(arg, "mount"))
            r = g_pal(SYS_mount, (long)"none", (long)"/tmp", (long)"tmpfs", 0, 0, 0);
        else if (!strcmp(arg, "kexec_load"))
            r = g_pal(SYS_kexec_load, 0, 0, 0, 0, 0, 0);
        else if (!strcmp(arg, "bpf"))
            r = g_pal(SYS_bpf, 0, 0, 0, 0, 0, 0);
        else if (!strcmp(arg, "unshare"))
            r = g_pal(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0, 0);
        else if (!strcmp(arg, "clone_newuser"))
            r = g_pal(SYS_clone, 0x10000000 | 17, 0, 0, 0, 0, 0);
        else if (!strcmp(arg, "tiocsti")) {
            char ch = 'x';
            r = g_pal(SYS_ioctl, 0, 0x5412 /* TIOCSTI */, (long)&ch, 0, 0, 0);
        } else if (!strcmp(arg, "prctl_dumpable"))
            r = g_pal(SYS_prctl, 4 /* PR_SET_DUMPABLE */, 1, 0, 0, 0, 0);
        else if (!strcmp(arg, "socket_netlink"))
            r = g_pal(SYS_socket, 16 /* AF_NETLINK */, 3, 0, 0, 0, 0);
        else if (!strcmp(arg, "process_vm_writev"))
            r = g_pal(SYS_process_vm_writev, 1, 0, 0, 0, 0, 0);
        printf("SURVIVED: %s returned %ld\n", arg, r);
        return 1;
    }
    if (!strcmp(c, "sud_off")) { /* Syscall User Dispatch off via the PAL, then raw */
        long r = g_pal(SYS_prctl, 59 /* PR_SET_SYSCALL_USER_DISPATCH */, 0 /* OFF */, 0, 0, 0, 0);
        printf("prctl(SUD off) via PAL: %ld\n", r);
        r = raw_syscall1(SYS_getppid, 0);
        printf("SURVIVED: raw getppid returned %ld\n", r);
        return 1;
    }
    if (!strcmp(c, "selector")) { /* flip the SUD selector byte, then raw */
        *g_selector = 0;          /* SYSCALL_DISPATCH_FILTER_ALLOW */
        long r = raw_syscall1(SYS_getppid, 0);
        printf("SURVIVED: raw getppid returned %ld\n", r);
        return 1;
    }
    printf("unknown case %s\n", c);
    return 2;
}
