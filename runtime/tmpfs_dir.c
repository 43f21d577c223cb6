/* The host directory behind the sandbox's tmpfs mounts (see "tmpfs" in
 * docs/architecture.md). One per run: <base>/sabot-<pid>-XXXXXX, mode 0700,
 * base host /dev/shm (memory-backed), else $TMPDIR or /tmp. Inside it,
 * "<i>" backs the tmpfs fs.mounts[i] and "shm" the libos's own /dev/shm,
 * each mode 1777 like a fresh Linux tmpfs.
 *
 * Lifetime: every process of the run holds one open file description of
 * the directory with a shared flock (a host fd without close-on-exec, so
 * host forks and sabot-pal-child's execve keep it). A watcher process,
 * started here outside the sandbox, waits for an exclusive lock, which it
 * gets when the last process of the run is gone however it ended, and then
 * removes the tree. A run whose watcher was killed leaves the directory
 * behind; the next run removes it once it can prove it dead: its pid is
 * gone and nobody holds the lock. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libos_manifest.h"
#include "sabot_tmpfs.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *root) {
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Dead: its pid no longer exists and no process holds its lock. */
static void sweep_dead(const char *base) {
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = 0, n = 0;
        if (sscanf(e->d_name, "sabot-%d-%*6[A-Za-z0-9]%n", &pid, &n) != 1 || e->d_name[n] ||
            pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno == EPERM)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid())
            continue;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            remove_tree(path);
        close(fd);
    }
    closedir(d);
}

static const char *base_dir(void) {
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK | X_OK) == 0)
        return "/dev/shm";
    const char *t = getenv("TMPDIR");
    if (!t || t[0] != '/' || access(t, W_OK | X_OK) != 0)
        t = "/tmp";
    fprintf(stderr, "sabot: warning: host /dev/shm is not usable: tmpfs files live in %s\n", t);
    return t;
}

static int make_sub(const char *root, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    if (mkdir(path, 0700) < 0 || chmod(path, 01777) < 0)
        return -errno;
    return 0;
}

/* Waits for the run's last process and removes root. In its own session
 * and holding no fds of ours. A single fork: the child stays this
 * process's host child, which the PAL never waits for (SIGCHLD is
 * SA_NOCLDWAIT after boot), and it outlives us as an orphan; a second
 * fork to detach it cost every run a host fork and wait (~0.1 ms). */
static int start_watcher(const char *root) {
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        setsid();
        signal(SIGHUP, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        close_range(0, ~0U, 0);
        int null = open("/dev/null", O_RDWR);
        if (null == 0) {
            dup2(0, 1);
            dup2(0, 2);
        }
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX) == 0)
            remove_tree(root);
        _exit(0);
    }
    return 0;
}

char *sabot_tmpfs_dir_create(const struct libos_manifest *m) {
    const char *base = base_dir();
    sweep_dead(base);
    char *root = NULL;
    if (asprintf(&root, "%s/sabot-%d-XXXXXX", base, (int)getpid()) < 0)
        return NULL;
    if (!mkdtemp(root)) {
        fprintf(stderr, "sabot: warning: cannot create %s (%s): tmpfs is per process\n", root,
                strerror(errno));
        free(root);
        return NULL;
    }
    int r = make_sub(root, "shm");
    for (size_t i = 0; !r && i < m->mount_count; i++) {
        char name[24];
        snprintf(name, sizeof(name), "%zu", i);
        if (m->mounts[i].type == LIBOS_MOUNT_TMPFS)
            r = make_sub(root, name);
    }
    /* The lock every process of the run holds (no O_CLOEXEC: see above). */
    int fd = r ? -1 : open(root, O_RDONLY | O_DIRECTORY);
    if (!r && (fd < 0 || flock(fd, LOCK_SH) < 0))
        r = -errno;
    if (!r)
        r = start_watcher(root);
    if (r) {
        fprintf(stderr, "sabot: warning: cannot set up %s (%s): tmpfs is per process\n", root,
                strerror(-r));
        if (fd >= 0)
            close(fd);
        remove_tree(root);
        free(root);
        return NULL;
    }
    return root;
}
