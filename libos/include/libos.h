/* Core internal API of the libos: freestanding helpers every part uses.
 * Nothing here may call the host except through pal.h. */
#ifndef SABOT_LIBOS_H
#define SABOT_LIBOS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux_abi.h"
#include "pal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define LIBOS_PAGE_SIZE 4096UL
/* Globals written around every fork (locks, heap lists) share a section so
 * they share pages: each page written after a fork is copied, in the parent
 * and the child alike (the PAL's PAL_FORK_HOT names the same section). */
#define LIBOS_FORK_HOT __attribute__((section(".data.fork_hot")))
/* Code a fork child runs, grouped likewise: the child maps text afresh, a
 * fault per 64 KiB window it touches (the linker gathers .text.hot.*). */
#define LIBOS_FORK_TEXT __attribute__((section(".text.hot.fork")))
#define LIBOS_PATH_MAX 4096
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The compiler may emit calls to these; libos/lib/string.c defines them. */
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t libos_strlcpy(char *dst, const char *src, size_t size);
bool libos_str_starts_with(const char *s, const char *prefix);

/* printf family: %d %i %u %x %X %o %p %s %c %% with l/ll/z/h modifiers,
 * width, '-', '0', precision for %s (%.*s). Returns chars that would be
 * written, like C99. */
int libos_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int libos_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Heap (libos/lib/malloc.c). Never returns memory the app can see as its own
 * mapping; backed by pal_mem_alloc. Thread-safe. */
void *libos_malloc(size_t size);
void *libos_calloc(size_t n, size_t size);
void *libos_realloc(void *p, size_t size);
void libos_free(void *p);
char *libos_strdup(const char *s);
char *libos_strndup(const char *s, size_t n);

/* Locks: a spin-then-yield lock, usable from event handlers. */
struct libos_lock {
    volatile int locked;
};
#define LIBOS_LOCK_INIT                                                                            \
    { 0 }
void libos_lock(struct libos_lock *l);
void libos_unlock(struct libos_lock *l);

/* Logging (libos/lib/log.c). Lines go to the boot info's log stream with a
 * "sabot: " prefix. Levels match pal_boot_info.log_level. */
enum { LOG_NONE = 0, LOG_ERROR = 1, LOG_WARN = 2, LOG_INFO = 3, LOG_DEBUG = 4 };
extern int g_log_level;
void libos_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) libos_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) libos_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) libos_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (g_log_level >= LOG_DEBUG)                                                              \
            libos_log(LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)
/* A policy denial: always printed at warning level, naming the manifest key
 * that would allow the access. */
#define log_denied(key, ...) libos_log_denied(key, __VA_ARGS__)
void libos_log_denied(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write raw bytes to a PAL stream, retrying short writes. */
int libos_write_all(pal_handle_t *h, const void *buf, size_t len);

__attribute__((noreturn)) void libos_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
#define libos_assert(c)                                                                            \
    do {                                                                                           \
        if (!(c))                                                                                  \
            libos_panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__);                   \
    } while (0)

/* PAL error -> negative errno; the one place this mapping lives. */
long libos_errno_from_pal(int pal_err);

/* Process-wide state set up at boot (libos/init.c). */
struct libos_manifest;
/* A real-time signal queued behind the first pending instance. */
struct libos_sigextra {
    struct linux_siginfo info;
    struct libos_sigextra *next;
};
struct libos_process {
    /* First the fields every fork writes, on one page; the tables after. */
    struct libos_lock lock;
    uint32_t pid, ppid, pgid, sid;
    uint64_t sigpending; /* process-directed pending signals */
    uint32_t uid, gid, euid, egid, suid, sgid;
    uint32_t umask;
    char *exec_path; /* libos path of the running program */
    int pdeathsig, dumpable;
    bool no_new_privs;
    int exit_status;
    struct linux_rlimit rlimits[RLIMIT_NLIMITS];
    /* [LINUX_NSIG] each, kept apart (see libos_thread's siginfo). */
    struct linux_sigaction *sigactions;
    struct linux_siginfo *siginfo;
    struct libos_sigextra *sigextra[LINUX_NSIG]; /* more queued real-time instances */
};
extern struct libos_process g_process;
extern const struct pal_boot_info *g_boot;
extern struct libos_manifest *g_manifest;

/* Per-thread state, reached through the PAL's libos slot at %gs:8. */
struct libos_thread {
    uint32_t tid;
    int refcount;  /* list + users (signal senders) */
    bool internal; /* a libos service thread, not an app thread */
    bool exited;
    bool in_wait_poll, self_woken; /* libos_thread_wait's mailbox polls */
    pal_handle_t *pal_thread;      /* for pal_thread_interrupt; NULL for main until set */
    pal_handle_t *wake_event;      /* auto-clear; set to wake the thread from a wait */
    struct libos_thread *next;     /* in g_thread_list */
    uint64_t sigmask;
    uint32_t *clear_child_tid;
    struct pal_context *ctx; /* registers of the syscall being served */
    void *robust_list;
    uint64_t altstack_sp, altstack_size;
    uint32_t altstack_flags;
    char comm[16];          /* prctl(PR_SET_NAME) */
    uint64_t saved_sigmask; /* ppoll/pselect/sigsuspend: mask to restore */
    bool restore_sigmask;   /* ...after this syscall (or its handler) */
    uint64_t sigpending;    /* signals waiting for delivery */
    /* [LINUX_NSIG], info of each pending signal: 8 KiB kept apart, so the
     * struct's head shares its page with other globals a fork writes. */
    struct linux_siginfo *siginfo;
    struct libos_sigextra *sigextra[LINUX_NSIG]; /* more queued real-time instances */
};
static inline struct libos_thread *libos_current_thread(void) {
    return (struct libos_thread *)pal_tcb_libos_get();
}

/* Copying app memory. The Linux PAL shares the address space, so these
 * validate ranges against the libos's view of app memory (libos/mm). */
bool libos_user_range_ok(const void *addr, size_t size, bool write);
/* Copies a NUL-terminated app string into buf; -EFAULT, -ENAMETOOLONG. */
long libos_copy_user_string(char *buf, size_t size, const char *user);

/* Process exit: flushes, then pal_process_exit(). status is the low 8 bits
 * for a normal exit, or 128+signal after a fatal signal. */
__attribute__((noreturn)) void libos_exit_process(int status);
/* The process ends as if killed by sig (the parent's wait sees the signal). */
__attribute__((noreturn)) void libos_exit_by_signal(int sig);

#endif
