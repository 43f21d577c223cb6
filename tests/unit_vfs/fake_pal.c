/* A fake PAL for hosted unit tests of the VFS: the pal.h stream, memory and
 * misc calls the libos file code uses, on top of libc. Every URI the libos
 * names is recorded so tests can assert that nothing outside a mount's
 * source directory was ever touched. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_pal.h"
#include "pal.h"

struct pal_handle {
    int fd;
    bool console;
    char *path;
    DIR *dir;
    struct dirent *pending; /* entry that did not fit the last readdir buffer */
};

#define MAX_URIS 4096
static char *g_uris[MAX_URIS];
static int g_uri_count;

static void record(const char *uri) {
    if (g_uri_count < MAX_URIS)
        g_uris[g_uri_count++] = strdup(uri);
}

void fake_pal_reset_log(void) {
    for (int i = 0; i < g_uri_count; i++)
        free(g_uris[i]);
    g_uri_count = 0;
}

int fake_pal_count_outside(const char *root_a, const char *root_b) {
    int bad = 0;
    for (int i = 0; i < g_uri_count; i++) {
        const char *p = strchr(g_uris[i], ':') + 1;
        if (!strncmp(g_uris[i], "console:", 8))
            continue;
        bool ok = false;
        const char *roots[] = {root_a, root_b};
        for (int j = 0; j < 2; j++) {
            size_t n = roots[j] ? strlen(roots[j]) : 0;
            if (n && !strncmp(p, roots[j], n) && (p[n] == '\0' || p[n] == '/'))
                ok = true;
        }
        if (!ok) {
            fprintf(stderr, "fake_pal: URI outside the mounts: %s\n", g_uris[i]);
            bad++;
        }
    }
    return bad;
}

static int err(int e) {
    switch (e) {
    case ENOENT:
        return -PAL_ERR_NOTFOUND;
    case EEXIST:
        return -PAL_ERR_EXISTS;
    case EACCES:
    case EPERM:
        return -PAL_ERR_DENIED;
    case EROFS:
        return -PAL_ERR_READONLY;
    case EBADF:
        return -PAL_ERR_BADHANDLE;
    case EISDIR:
        return -PAL_ERR_ISDIR;
    case ENOTDIR:
        return -PAL_ERR_NOTDIR;
    case ENOTEMPTY:
        return -PAL_ERR_NOTEMPTY;
    case ENOSPC:
        return -PAL_ERR_NOSPACE;
    case ENAMETOOLONG:
        return -PAL_ERR_TOOLONG;
    case ELOOP:
        return -PAL_ERR_LOOP;
    case EXDEV:
        return -PAL_ERR_XDEV;
    case EBUSY:
        return -PAL_ERR_BUSY;
    case EAGAIN:
        return -PAL_ERR_AGAIN;
    case EINVAL:
        return -PAL_ERR_INVAL;
    case ENOMEM:
        return -PAL_ERR_NOMEM;
    case ENOTTY:
        return -PAL_ERR_NOTTY;
    case EPIPE:
        return -PAL_ERR_PIPE;
    default:
        return -PAL_ERR_IO;
    }
}

static const char *uri_path(const char *uri, bool *dir) {
    *dir = !strncmp(uri, "dir:", 4);
    if (*dir)
        return uri + 4;
    if (!strncmp(uri, "file:", 5))
        return uri + 5;
    return NULL;
}

pal_handle_t *fake_pal_handle_from_fd(int fd) {
    pal_handle_t *h = calloc(1, sizeof(*h));
    h->fd = fd;
    h->console = true;
    return h;
}

bool g_fake_pal_no_memfd;

int pal_stream_open(const char *uri, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out) {
    if (!strncmp(uri, "memfd:", 6) && g_fake_pal_no_memfd)
        return -PAL_ERR_NOTSUPPORTED;
    if (!strncmp(uri, "memfd:", 6)) { /* no host name: not recorded */
        int fd = memfd_create(uri + 6, MFD_CLOEXEC);
        if (fd < 0)
            return err(errno);
        *out = calloc(1, sizeof(**out));
        (*out)->fd = fd;
        return 0;
    }
    record(uri);
    if (!strncmp(uri, "console:", 8)) {
        int fd = dup(atoi(uri + 8));
        if (fd < 0)
            return err(errno);
        *out = fake_pal_handle_from_fd(fd);
        return 0;
    }
    bool dir;
    const char *path = uri_path(uri, &dir);
    if (!path)
        return -PAL_ERR_NOTSUPPORTED;
    int flags = O_CLOEXEC;
    if (dir) {
        if (create && mkdir(path, perm) < 0 && (errno != EEXIST || create == PAL_CREATE_ALWAYS))
            return err(errno);
        flags |= O_RDONLY | O_DIRECTORY;
    } else {
        static const int acc[] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDWR};
        flags |= acc[access & PAL_ACCESS_MASK] | ((access & PAL_ACCESS_APPEND) ? O_APPEND : 0);
        flags |= create == PAL_CREATE_TRY      ? O_CREAT
                 : create == PAL_CREATE_ALWAYS ? O_CREAT | O_EXCL
                                               : 0;
        if (options & PAL_OPTION_TRUNCATE)
            flags |= O_TRUNC;
        if (options & PAL_OPTION_DIRECTORY)
            flags |= O_DIRECTORY;
    }
    if (options & PAL_OPTION_NOFOLLOW)
        flags |= O_NOFOLLOW;
    if (options & PAL_OPTION_NONBLOCK)
        flags |= O_NONBLOCK;
    int fd = open(path, flags, perm);
    if (fd < 0)
        return err(errno);
    pal_handle_t *h = calloc(1, sizeof(*h));
    h->fd = fd;
    h->path = strdup(path);
    *out = h;
    return 0;
}

int64_t pal_stream_read(pal_handle_t *h, uint64_t offset, void *buf, size_t size) {
    ssize_t r =
        offset == PAL_OFFSET_NONE ? read(h->fd, buf, size) : pread(h->fd, buf, size, (off_t)offset);
    return r < 0 ? err(errno) : r;
}

int64_t pal_stream_write(pal_handle_t *h, uint64_t offset, const void *buf, size_t size) {
    ssize_t r = offset == PAL_OFFSET_NONE ? write(h->fd, buf, size)
                                          : pwrite(h->fd, buf, size, (off_t)offset);
    return r < 0 ? err(errno) : r;
}

int64_t pal_stream_seek(pal_handle_t *h, int64_t offset, uint32_t whence) {
    off_t r = lseek(h->fd, offset, (int)whence);
    return r < 0 ? err(errno) : r;
}

int pal_stream_reopen(pal_handle_t *h, pal_handle_t **out) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", h->fd);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return err(errno);
    *out = calloc(1, sizeof(**out));
    (*out)->fd = fd;
    return 0;
}

int pal_stream_close(pal_handle_t *h) {
    if (h->dir)
        closedir(h->dir);
    else
        close(h->fd);
    free(h->path);
    free(h);
    return 0;
}

int pal_stream_delete(const char *uri) {
    record(uri);
    bool dir;
    const char *path = uri_path(uri, &dir);
    if (!path)
        return -PAL_ERR_NOTSUPPORTED;
    return (dir ? rmdir(path) : unlink(path)) < 0 ? err(errno) : 0;
}

int pal_stream_map(pal_handle_t *h, void **addr, uint32_t prot, uint32_t flags, uint64_t offset,
                   size_t size) {
    int p = ((prot & PAL_PROT_READ) ? PROT_READ : 0) | ((prot & PAL_PROT_WRITE) ? PROT_WRITE : 0) |
            ((prot & PAL_PROT_EXEC) ? PROT_EXEC : 0);
    int f = (flags & PAL_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    if (flags & PAL_MEM_FIXED)
        f |= MAP_FIXED;
    if (flags & PAL_MEM_NOREPLACE)
        f |= MAP_FIXED_NOREPLACE;
    void *a = mmap(*addr, size, p, f, h->fd, (off_t)offset);
    if (a == MAP_FAILED)
        return err(errno);
    *addr = a;
    return 0;
}

int pal_stream_set_length(pal_handle_t *h, uint64_t length) {
    return ftruncate(h->fd, (off_t)length) < 0 ? err(errno) : 0;
}

int pal_stream_flush(pal_handle_t *h) {
    return fsync(h->fd) < 0 ? err(errno) : 0;
}

static uint32_t pal_type(mode_t m) {
    switch (m & S_IFMT) {
    case S_IFDIR:
        return PAL_TYPE_DIR;
    case S_IFLNK:
        return PAL_TYPE_SYMLINK;
    case S_IFCHR:
        return PAL_TYPE_CHARDEV;
    case S_IFBLK:
        return PAL_TYPE_BLOCKDEV;
    case S_IFIFO:
        return PAL_TYPE_FIFO;
    case S_IFSOCK:
        return PAL_TYPE_SOCKET;
    default:
        return PAL_TYPE_FILE;
    }
}

static void fill_attr(const struct stat *s, struct pal_stream_attr *a) {
    memset(a, 0, sizeof(*a));
    a->type = pal_type(s->st_mode);
    a->mode = s->st_mode & 07777;
    a->size = s->st_size;
    a->inode = s->st_ino;
    a->dev = s->st_dev;
    a->rdev = s->st_rdev;
    a->nlink = s->st_nlink;
    a->uid = s->st_uid;
    a->gid = s->st_gid;
    a->blocks = s->st_blocks;
    a->blksize = s->st_blksize;
    a->atime_ns = s->st_atim.tv_sec * 1000000000LL + s->st_atim.tv_nsec;
    a->mtime_ns = s->st_mtim.tv_sec * 1000000000LL + s->st_mtim.tv_nsec;
    a->ctime_ns = s->st_ctim.tv_sec * 1000000000LL + s->st_ctim.tv_nsec;
}

int pal_stream_attr_query(const char *uri, bool nofollow, struct pal_stream_attr *attr) {
    record(uri);
    bool dir;
    const char *path = uri_path(uri, &dir);
    if (!path)
        return -PAL_ERR_NOTSUPPORTED;
    struct stat s;
    if ((nofollow ? lstat(path, &s) : stat(path, &s)) < 0)
        return err(errno);
    fill_attr(&s, attr);
    return 0;
}

int pal_console_get_mode(pal_handle_t *h, struct pal_term_mode *mode) {
    if (!h)
        return -PAL_ERR_BADHANDLE;
    return ioctl(h->fd, TCGETS, mode) < 0 ? err(errno) : 0; /* the kernel's termios */
}

int pal_console_set_mode(pal_handle_t *h, int when, const struct pal_term_mode *mode) {
    if (!h)
        return -PAL_ERR_BADHANDLE;
    return ioctl(h->fd, TCSETS + when, mode) < 0 ? err(errno) : 0;
}

int pal_stream_attr_query_handle(pal_handle_t *h, struct pal_stream_attr *attr) {
    struct stat s;
    if (fstat(h->fd, &s) < 0)
        return err(errno);
    fill_attr(&s, attr);
    if (h->console && isatty(h->fd))
        attr->type = PAL_TYPE_CONSOLE;
    int pending = 0;
    if (h->console && S_ISFIFO(s.st_mode) && ioctl(h->fd, FIONREAD, &pending) == 0)
        attr->size = pending; /* pipes: bytes waiting, as pal.h says */
    return 0;
}

int pal_stream_attr_set_handle(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *a) {
    if ((mask & PAL_ATTR_MODE) && fchmod(h->fd, a->mode) < 0)
        return err(errno);
    if (mask & PAL_ATTR_TIMES) {
        struct timespec ts[2] = {{a->atime_ns / 1000000000, a->atime_ns % 1000000000},
                                 {a->mtime_ns / 1000000000, a->mtime_ns % 1000000000}};
        if (futimens(h->fd, ts) < 0)
            return err(errno);
    }
    if (mask & PAL_ATTR_NONBLOCK) {
        int fl = fcntl(h->fd, F_GETFL);
        fcntl(h->fd, F_SETFL, a->nonblocking ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
    }
    return 0;
}

int pal_stream_rename(pal_handle_t *h, const char *new_uri) {
    record(new_uri);
    bool dir;
    const char *path = uri_path(new_uri, &dir);
    if (!path || !h->path)
        return -PAL_ERR_NOTSUPPORTED;
    if (rename(h->path, path) < 0)
        return err(errno);
    free(h->path);
    h->path = strdup(path);
    return 0;
}

int64_t pal_stream_readdir(pal_handle_t *h, void *buf, size_t size) {
    if (!h->dir) {
        h->dir = fdopendir(h->fd);
        if (!h->dir)
            return err(errno);
    }
    size_t used = 0;
    for (;;) {
        struct dirent *d = h->pending ? h->pending : readdir(h->dir);
        h->pending = NULL;
        if (!d)
            break;
        if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
            continue;
        size_t reclen = (sizeof(struct pal_dirent) + strlen(d->d_name) + 1 + 7) & ~7UL;
        if (used + reclen > size) {
            h->pending = d; /* valid until the next readdir() call */
            if (!used)
                return -PAL_ERR_INVAL;
            break;
        }
        struct pal_dirent *p = (void *)((char *)buf + used);
        memset(p, 0, reclen);
        p->reclen = reclen;
        p->inode = d->d_ino;
        p->type = d->d_type == DT_DIR   ? PAL_TYPE_DIR
                  : d->d_type == DT_REG ? PAL_TYPE_FILE
                  : d->d_type == DT_LNK ? PAL_TYPE_SYMLINK
                                        : PAL_TYPE_UNKNOWN;
        strcpy(p->name, d->d_name);
        used += reclen;
    }
    return used;
}

int64_t pal_stream_readlink(const char *uri, char *buf, size_t size) {
    record(uri);
    bool dir;
    const char *path = uri_path(uri, &dir);
    if (!path)
        return -PAL_ERR_NOTSUPPORTED;
    ssize_t n = readlink(path, buf, size);
    return n < 0 ? err(errno) : n;
}

int pal_stream_link(const char *target, const char *uri, bool symbolic) {
    record(uri);
    bool dir;
    const char *path = uri_path(uri, &dir);
    if (!path)
        return -PAL_ERR_NOTSUPPORTED;
    if (symbolic)
        return symlink(target, path) < 0 ? err(errno) : 0;
    record(target);
    const char *old = uri_path(target, &dir);
    if (!old)
        return -PAL_ERR_NOTSUPPORTED;
    return link(old, path) < 0 ? err(errno) : 0;
}

unsigned long g_fake_mem_allocs; /* calls, for the heap's tests */

int pal_mem_alloc(void **addr, size_t size, uint32_t prot, uint32_t flags) {
    g_fake_mem_allocs++;
    int f = MAP_PRIVATE | MAP_ANONYMOUS | ((flags & PAL_MEM_FIXED) ? MAP_FIXED : 0) |
            ((flags & PAL_MEM_NOREPLACE) ? MAP_FIXED_NOREPLACE : 0);
    void *a = mmap((flags & (PAL_MEM_FIXED | PAL_MEM_HINT | PAL_MEM_NOREPLACE)) ? *addr : NULL,
                   size, PROT_READ | PROT_WRITE, f, -1, 0);
    if (a == MAP_FAILED)
        return errno == EEXIST ? -PAL_ERR_EXISTS : -PAL_ERR_NOMEM;
    *addr = a;
    return pal_mem_protect(a, size, prot);
}

int pal_mem_remap(void *old, size_t old_size, size_t new_size, uint32_t flags, void **addr) {
    int f = ((flags & PAL_REMAP_MAYMOVE) ? MREMAP_MAYMOVE : 0) |
            ((flags & PAL_REMAP_FIXED) ? MREMAP_MAYMOVE | MREMAP_FIXED : 0);
    void *a = mremap(old, old_size, new_size, f, (flags & PAL_REMAP_FIXED) ? *addr : NULL);
    if (a == MAP_FAILED)
        return err(errno);
    *addr = a;
    return 0;
}

int pal_mem_free(void *addr, size_t size) {
    return munmap(addr, size) < 0 ? err(errno) : 0;
}

int pal_mem_protect(void *addr, size_t size, uint32_t prot) {
    int p = ((prot & PAL_PROT_READ) ? PROT_READ : 0) | ((prot & PAL_PROT_WRITE) ? PROT_WRITE : 0) |
            ((prot & PAL_PROT_EXEC) ? PROT_EXEC : 0);
    return mprotect(addr, size, p) < 0 ? err(errno) : 0;
}

void pal_thread_yield(void) {
    sched_yield();
}

int pal_time_get(enum pal_clock clock, uint64_t *ns) {
    struct timespec ts;
    clock_gettime(clock == PAL_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    *ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
    return 0;
}

int pal_random(void *buf, size_t size) {
    return getrandom(buf, size, 0) == (ssize_t)size ? 0 : -PAL_ERR_IO;
}
