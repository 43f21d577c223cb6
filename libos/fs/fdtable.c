/* The process's fd table: a growable array of file references, bounded by
 * RLIMIT_NOFILE. One lock guards the table; files have their own refcount. */
#include "libos_checkpoint.h"
#include "libos_fs.h"

#define FD_HARD_MAX (1 << 20) /* Linux's default fs.nr_open */

struct fd_slot {
    struct libos_file *file;
    bool cloexec;
};

static LIBOS_FORK_HOT struct libos_lock g_fd_lock = LIBOS_LOCK_INIT;
static struct fd_slot *g_fds;
static int g_fd_cap;

uint64_t libos_fd_limit(void) {
    uint64_t lim = g_process.rlimits[RLIMIT_NOFILE].rlim_cur;
    if (lim == 0)
        lim = 1024; /* rlimits not set up (unit tests): Linux's default */
    return MIN(lim, (uint64_t)FD_HARD_MAX);
}

/* Caller holds g_fd_lock. */
static long grow_to(int fd) {
    if (fd < g_fd_cap)
        return 0;
    int cap = g_fd_cap ? g_fd_cap : 64;
    while (cap <= fd)
        cap *= 2;
    struct fd_slot *n = libos_realloc(g_fds, cap * sizeof(*n));
    if (!n)
        return -ENOMEM;
    memset(n + g_fd_cap, 0, (cap - g_fd_cap) * sizeof(*n));
    g_fds = n;
    g_fd_cap = cap;
    return 0;
}

long libos_fd_install(struct libos_file *f, int min_fd, bool cloexec) {
    uint64_t lim = libos_fd_limit();
    if (min_fd < 0)
        return -EINVAL;
    libos_lock(&g_fd_lock);
    int fd = min_fd;
    while (fd < g_fd_cap && g_fds[fd].file)
        fd++;
    long r = (uint64_t)fd >= lim ? -EMFILE : grow_to(fd);
    if (!r) {
        libos_file_get(f);
        g_fds[fd] = (struct fd_slot){.file = f, .cloexec = cloexec};
        r = fd;
    }
    libos_unlock(&g_fd_lock);
    return r;
}

int libos_fd_next_used(int from) {
    libos_lock(&g_fd_lock);
    int fd = from < 0 ? 0 : from;
    while (fd < g_fd_cap && !g_fds[fd].file)
        fd++;
    libos_unlock(&g_fd_lock);
    return fd < g_fd_cap ? fd : -1;
}

long libos_fd_install_at(int fd, struct libos_file *f, bool cloexec) {
    if (fd < 0 || (uint64_t)fd >= libos_fd_limit())
        return -EBADF;
    libos_lock(&g_fd_lock);
    long r = grow_to(fd);
    struct libos_file *old = NULL;
    if (!r) {
        libos_file_get(f);
        old = g_fds[fd].file;
        g_fds[fd] = (struct fd_slot){.file = f, .cloexec = cloexec};
        r = fd;
    }
    libos_unlock(&g_fd_lock);
    libos_file_put(old); /* outside the lock: release may call the PAL */
    return r;
}

struct libos_file *libos_fd_get(int fd) {
    struct libos_file *f = NULL;
    libos_lock(&g_fd_lock);
    if (fd >= 0 && fd < g_fd_cap && g_fds[fd].file) {
        f = g_fds[fd].file;
        libos_file_get(f);
    }
    libos_unlock(&g_fd_lock);
    return f;
}

long libos_fd_close(int fd) {
    struct libos_file *f = NULL;
    libos_lock(&g_fd_lock);
    if (fd >= 0 && fd < g_fd_cap) {
        f = g_fds[fd].file;
        g_fds[fd].file = NULL;
    }
    libos_unlock(&g_fd_lock);
    if (!f)
        return -EBADF;
    libos_file_put(f);
    return 0;
}

long libos_fd_get_cloexec(int fd) {
    long r = -EBADF;
    libos_lock(&g_fd_lock);
    if (fd >= 0 && fd < g_fd_cap && g_fds[fd].file)
        r = g_fds[fd].cloexec;
    libos_unlock(&g_fd_lock);
    return r;
}

long libos_fd_set_cloexec(int fd, bool cloexec) {
    long r = -EBADF;
    libos_lock(&g_fd_lock);
    if (fd >= 0 && fd < g_fd_cap && g_fds[fd].file) {
        g_fds[fd].cloexec = cloexec;
        r = 0;
    }
    libos_unlock(&g_fd_lock);
    return r;
}

void libos_fd_close_on_exec(void) {
    for (int fd = 0;; fd++) {
        libos_lock(&g_fd_lock);
        if (fd >= g_fd_cap) {
            libos_unlock(&g_fd_lock);
            return;
        }
        struct libos_file *f = g_fds[fd].cloexec ? g_fds[fd].file : NULL;
        if (f)
            g_fds[fd].file = NULL;
        libos_unlock(&g_fd_lock);
        libos_file_put(f);
    }
}

/* In a forked child: a lock another thread held at fork time is free. */
LIBOS_FORK_TEXT void libos_fd_after_fork(void) {
    g_fd_lock = (struct libos_lock)LIBOS_LOCK_INIT;
}
