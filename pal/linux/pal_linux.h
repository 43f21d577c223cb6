/* Internals of the Linux PAL. Freestanding: every host call goes through
 * pal_host_syscall() in syscall.S, the only code Syscall User Dispatch lets
 * reach the kernel directly. */
#ifndef SABOT_PAL_LINUX_H
#define SABOT_PAL_LINUX_H

#include "host_linux.h"
#include "pal.h"

long pal_host_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
long pal_host_ppoll(void *fds, unsigned long n, const void *timeout, const uint64_t *mask);
extern char pal_host_ppoll_end[];
#define host_syscall0(n) pal_host_syscall(n, 0, 0, 0, 0, 0, 0)
#define host_syscall1(n, a) pal_host_syscall(n, (long)(a), 0, 0, 0, 0, 0)
#define host_syscall2(n, a, b) pal_host_syscall(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define host_syscall3(n, a, b, c) pal_host_syscall(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define host_syscall4(n, a, b, c, d)                                                               \
    pal_host_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define host_syscall5(n, a, b, c, d, e)                                                            \
    pal_host_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define host_syscall6(n, a, b, c, d, e, f)                                                         \
    pal_host_syscall(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* MAP_FIXED / MAP_FIXED_NOREPLACE for PAL_MEM_* placement flags. */
int pal_linux_placement(uint32_t flags);

/* Host -errno (a return value in -4095..-1) to -PAL_ERR_*. */
int pal_linux_err(long host_ret);
static inline bool host_is_err(long r) {
    return (unsigned long)r > (unsigned long)-4096L;
}

enum pal_linux_handle_kind {
    HANDLE_FILE = 1,
    HANDLE_DIR,
    HANDLE_CONSOLE,
    HANDLE_EVENT,
    HANDLE_THREAD,
    HANDLE_PIPE,
    HANDLE_SOCKET,
    HANDLE_PROCESS,
};

struct pal_handle {
    uint32_t kind;    /* enum pal_linux_handle_kind */
    int fd;           /* host fd, or -1 */
    uint32_t access;  /* PAL_ACCESS_* given at open */
    uint32_t options; /* PAL_OPTION_* */
    char *path;       /* host path for file/dir (for rename/debug), or NULL */
    /* dir handles: buffered getdents64 state */
    char *dirbuf;
    uint32_t dirbuf_len, dirbuf_pos;
    bool dir_eof;
    /* events: fd is a host eventfd */
    bool auto_clear;
    /* threads */
    struct pal_thread_info *thread;
};

/* Copies the loader's r_debug list into PAL memory (misc.c). */
void pal_linux_debug_init(void);

/* Host signal the PAL uses to interrupt a thread (pal_thread_interrupt). */
#define PAL_HOST_SIGWAKE 44
/* Written around every fork: kept with the libos's LIBOS_FORK_HOT globals. */
#define PAL_FORK_HOT __attribute__((section(".data.fork_hot")))
#define PAL_FORK_TEXT __attribute__((section(".text.hot.fork")))

/* Per-thread records of the Linux PAL (threads.c). */
struct pal_thread_info {
    volatile int host_tid; /* cleared by the kernel when the thread is gone */
    void *stack;           /* PAL stack of threads the PAL created */
    size_t stack_size;
    struct pal_linux_tcb *tcb;
    pal_thread_fn fn;
    void *arg;
    struct pal_thread_info *next_dead;
};
int pal_linux_thread_init_main(pal_handle_t **out);
void pal_linux_thread_forked(void);
const struct pal_boot_info *pal_linux_boot_info(void);
/* Where sabot-pal-child's syscall region is (pal/linux/child/child.ld). */
#define PAL_LINUX_CHILD_REGION_START 0x200000001000UL
#define PAL_LINUX_CHILD_REGION_END 0x200000002000UL
/* Host path of the static loader for pal_process_create (or NULL). */
extern const char *g_pal_linux_child_loader;
/* The libos's handler for ev, or NULL (boot.c). */
pal_event_handler_t pal_linux_event_handler(enum pal_event ev);
/* Lazy syscall rewrite (rewrite.c). init: before SUD and the sandbox. site:
 * from SIGSYS, the trapping `syscall`. async: from the async handler, true
 * if the signal was left pending. fault: 1 handled, 2 deliver as a syscall
 * (uc adjusted), 0 not ours. page0: addr is in the trampoline page. */
void pal_linux_rewrite_init(bool want, int log_fd, int log_level);
void pal_linux_rewrite_site(uint64_t site);
/* In a fast-forked child: rewrite sites of its first traps only when they
 * trap again (most children exec or exit at once). */
void pal_linux_rewrite_forked(void);
void pal_linux_rewrite_fork_lock(void);
void pal_linux_rewrite_fork_unlock(void);
struct host_siginfo;
struct host_ucontext;
bool pal_linux_rewrite_async(int sig, struct host_ucontext *uc);
int pal_linux_rewrite_fault(int sig, struct host_siginfo *si, struct host_ucontext *uc);
bool pal_linux_rewrite_page0(uint64_t addr);
__attribute__((noreturn)) void pal_rewrite_slow_exit(struct pal_context *ctx);
/* Turn on Syscall User Dispatch for the calling thread (boot.c). */
int pal_linux_sud_enable(void);

/* Private anonymous read-write memory, as pal_mem_alloc maps it; NULL on failure. */
void *pal_linux_mmap_anon(size_t size);
/* Small PAL-private heap for handles and strings (mmap-backed). */
void *pal_linux_malloc(size_t size);
void pal_linux_free(void *p);
char *pal_linux_strdup(const char *s);
struct pal_handle *pal_linux_handle_new(uint32_t kind, int fd);
/* The same from a few slots on the fork-hot page (fork links), else the heap. */
struct pal_handle *pal_linux_handle_new_hot(uint32_t kind, int fd);
/* pal_process_fork's link: a pipe pair (read end, write end) of such handles. */
int pal_linux_fork_link(pal_handle_t **mine, pal_handle_t **theirs);
void pal_linux_handle_free(struct pal_handle *h);

/* Freestanding helpers (pal/linux/util.c). */
size_t pal_strlen(const char *s);
int pal_strncmp(const char *a, const char *b, size_t n);
void *pal_memcpy(void *d, const void *s, size_t n);
void *pal_memset(void *d, int c, size_t n);

#endif
