/* Linux PAL streams: "file:", "dir:" and "console:" URIs on host fds.
 *
 * PAL access/create/option flags become host O_ flags here and nowhere else.
 * Every host fd is opened close-on-exec. Host errors go through
 * pal_linux_err(). Sockets and pipes come later (PAL_ERR_NOTSUPPORTED). */
#include "pal_linux.h"
#include "pal_net.h"

#define HOST_S_IFMT 0170000
#define HOST_S_IFSOCK 0140000
#define HOST_S_IFLNK 0120000
#define HOST_S_IFREG 0100000
#define HOST_S_IFBLK 0060000
#define HOST_S_IFDIR 0040000
#define HOST_S_IFCHR 0020000
#define HOST_S_IFIFO 0010000

#define HOST_TCGETS 0x5401
#define HOST_TIOCGWINSZ 0x5413

#define HOST_DT_FIFO 1
#define HOST_DT_CHR 2
#define HOST_DT_DIR 4
#define HOST_DT_BLK 6
#define HOST_DT_REG 8
#define HOST_DT_LNK 10
#define HOST_DT_SOCK 12

#define DIRBUF_SIZE 4096
/* Linux caps one read/write at this; keeps the int64_t result exact. */
#define MAX_IO 0x7ffff000UL

struct host_winsize {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

enum uri_scheme { URI_BAD, URI_FILE, URI_DIR, URI_CONSOLE, URI_NET, URI_LATER, URI_MEMFD };

/* Splits "scheme:rest"; *rest points into uri. */
static enum uri_scheme uri_parse(const char *uri, const char **rest) {
    static const struct {
        const char *prefix;
        enum uri_scheme scheme;
    } table[] = {
        {"file:", URI_FILE},   {"dir:", URI_DIR},        {"console:", URI_CONSOLE},
        {"pipe:", URI_LATER},  {"pipe.srv:", URI_LATER}, {"tcp:", URI_NET},
        {"tcp.srv:", URI_NET}, {"udp:", URI_NET},        {"udp.srv:", URI_NET},
        {"unix:", URI_NET},    {"unix.srv:", URI_NET},   {"eventfd:", URI_LATER},
        {"memfd:", URI_MEMFD},
    };
    if (!uri)
        return URI_BAD;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n = pal_strlen(table[i].prefix);
        if (pal_strncmp(uri, table[i].prefix, n) == 0) {
            *rest = uri + n;
            return table[i].scheme;
        }
    }
    return URI_BAD;
}

/* A host path from a "file:" or "dir:" URI; NULL if uri is neither or empty. */
static const char *uri_path(const char *uri, enum uri_scheme *scheme) {
    const char *rest;
    enum uri_scheme s = uri_parse(uri, &rest);
    if (scheme)
        *scheme = s;
    if ((s != URI_FILE && s != URI_DIR) || rest[0] == '\0')
        return NULL;
    return rest;
}

/* The error for a URI that uri_path() rejected. */
static int uri_error(const char *uri) {
    const char *rest;
    enum uri_scheme s = uri_parse(uri, &rest);
    return s == URI_LATER || s == URI_NET ? -PAL_ERR_NOTSUPPORTED : -PAL_ERR_INVAL;
}

static int err(long host_ret) {
    /* ELOOP is what O_NOFOLLOW reports for a final symlink. */
    if (host_ret == -ELOOP)
        return -PAL_ERR_LOOP;
    return pal_linux_err(host_ret);
}

static uint32_t type_from_mode(uint32_t mode) {
    switch (mode & HOST_S_IFMT) {
    case HOST_S_IFREG:
        return PAL_TYPE_FILE;
    case HOST_S_IFDIR:
        return PAL_TYPE_DIR;
    case HOST_S_IFLNK:
        return PAL_TYPE_SYMLINK;
    case HOST_S_IFCHR:
        return PAL_TYPE_CHARDEV;
    case HOST_S_IFBLK:
        return PAL_TYPE_BLOCKDEV;
    case HOST_S_IFIFO:
        return PAL_TYPE_FIFO;
    case HOST_S_IFSOCK:
        return PAL_TYPE_SOCKET;
    default:
        return PAL_TYPE_UNKNOWN;
    }
}

static uint8_t type_from_dtype(uint8_t d_type) {
    switch (d_type) {
    case HOST_DT_REG:
        return PAL_TYPE_FILE;
    case HOST_DT_DIR:
        return PAL_TYPE_DIR;
    case HOST_DT_LNK:
        return PAL_TYPE_SYMLINK;
    case HOST_DT_CHR:
        return PAL_TYPE_CHARDEV;
    case HOST_DT_BLK:
        return PAL_TYPE_BLOCKDEV;
    case HOST_DT_FIFO:
        return PAL_TYPE_FIFO;
    case HOST_DT_SOCK:
        return PAL_TYPE_SOCKET;
    default:
        return PAL_TYPE_UNKNOWN;
    }
}

static void attr_from_stat(const struct stat *st, struct pal_stream_attr *attr) {
    pal_memset(attr, 0, sizeof(*attr));
    attr->type = type_from_mode(st->st_mode);
    attr->mode = st->st_mode & 07777;
    attr->size = st->st_size;
    attr->inode = st->st_ino;
    attr->dev = st->st_dev;
    attr->rdev = st->st_rdev;
    attr->nlink = st->st_nlink;
    attr->uid = st->st_uid;
    attr->gid = st->st_gid;
    attr->blocks = st->st_blocks;
    attr->blksize = st->st_blksize;
    attr->atime_ns = (int64_t)st->st_atime * 1000000000 + (int64_t)st->st_atime_nsec;
    attr->mtime_ns = (int64_t)st->st_mtime * 1000000000 + (int64_t)st->st_mtime_nsec;
    attr->ctime_ns = (int64_t)st->st_ctime * 1000000000 + (int64_t)st->st_ctime_nsec;
}

static uint32_t host_prot(uint32_t prot) {
    return ((prot & PAL_PROT_READ) ? PROT_READ : 0) | ((prot & PAL_PROT_WRITE) ? PROT_WRITE : 0) |
           ((prot & PAL_PROT_EXEC) ? PROT_EXEC : 0);
}

#define HOST_O_PATH 010000000
#define HOST_AT_EMPTY_PATH 0x1000

static int host_open_flags(uint32_t access, uint32_t create, uint32_t options) {
    int flags = O_CLOEXEC;
    if (options & PAL_OPTION_LINK) /* the name itself: O_PATH never follows it */
        return create == PAL_CREATE_NEVER ? flags | HOST_O_PATH | O_NOFOLLOW : -1;
    switch (access & PAL_ACCESS_MASK) {
    case PAL_ACCESS_RDONLY:
        flags |= O_RDONLY;
        break;
    case PAL_ACCESS_WRONLY:
        flags |= O_WRONLY;
        break;
    case PAL_ACCESS_RDWR:
        flags |= O_RDWR;
        break;
    default:
        return -1;
    }
    if (access & PAL_ACCESS_APPEND)
        flags |= O_APPEND;
    if (create == PAL_CREATE_TRY)
        flags |= O_CREAT;
    else if (create == PAL_CREATE_ALWAYS)
        flags |= O_CREAT | O_EXCL;
    else if (create != PAL_CREATE_NEVER)
        return -1;
    if (options & PAL_OPTION_NONBLOCK)
        flags |= O_NONBLOCK;
    if (options & PAL_OPTION_TRUNCATE)
        flags |= O_TRUNC;
    if (options & PAL_OPTION_NOFOLLOW)
        flags |= O_NOFOLLOW;
    if (options & PAL_OPTION_DIRECTORY)
        flags |= O_DIRECTORY;
    return flags;
}

/* Wraps a fresh host fd in a handle; closes the fd on failure. */
static int handle_wrap(uint32_t kind, int fd, uint32_t access, uint32_t options, const char *path,
                       pal_handle_t **out) {
    struct pal_handle *h = pal_linux_handle_new(kind, fd);
    if (!h) {
        host_syscall1(__NR_close, fd);
        return -PAL_ERR_NOMEM;
    }
    h->access = access;
    h->options = options;
    if (path) {
        h->path = pal_linux_strdup(path);
        if (!h->path) {
            host_syscall1(__NR_close, fd);
            pal_linux_handle_free(h);
            return -PAL_ERR_NOMEM;
        }
    }
    *out = h;
    return 0;
}

static int open_console(const char *rest, uint32_t access, uint32_t options, pal_handle_t **out) {
    if ((rest[0] != '0' && rest[0] != '1' && rest[0] != '2') || rest[1] != '\0')
        return -PAL_ERR_INVAL;
    /* A duplicate, so closing the handle never closes the host's stdio. */
    long fd = host_syscall3(__NR_fcntl, rest[0] - '0', F_DUPFD_CLOEXEC, 3);
    if (host_is_err(fd))
        return err(fd);
    return handle_wrap(HANDLE_CONSOLE, (int)fd, access, options, NULL, out);
}

static int open_dir(const char *path, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out) {
    if (create == PAL_CREATE_TRY || create == PAL_CREATE_ALWAYS) {
        long r = host_syscall3(__NR_mkdirat, HOST_AT_FDCWD, path, perm & 07777);
        if (host_is_err(r) && !(r == -EEXIST && create == PAL_CREATE_TRY))
            return err(r);
    } else if (create != PAL_CREATE_NEVER) {
        return -PAL_ERR_INVAL;
    }
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    if (options & PAL_OPTION_NOFOLLOW)
        flags |= O_NOFOLLOW;
    long fd = host_syscall4(__NR_openat, HOST_AT_FDCWD, path, flags, 0);
    if (host_is_err(fd))
        return err(fd);
    return handle_wrap(HANDLE_DIR, (int)fd, access, options, path, out);
}

static int open_file(const char *path, uint32_t access, uint32_t perm, uint32_t create,
                     uint32_t options, pal_handle_t **out) {
    int flags = host_open_flags(access, create, options);
    if (flags < 0)
        return -PAL_ERR_INVAL;
    long fd = host_syscall4(__NR_openat, HOST_AT_FDCWD, path, flags, perm & 07777);
    if (host_is_err(fd))
        return err(fd);
    /* "file:" on a directory opens it for reading: let readdir work on it. */
    struct stat st;
    long r = host_syscall2(__NR_fstat, fd, &st);
    if (host_is_err(r)) {
        host_syscall1(__NR_close, fd);
        return err(r);
    }
    uint32_t kind = (st.st_mode & HOST_S_IFMT) == HOST_S_IFDIR ? HANDLE_DIR : HANDLE_FILE;
    return handle_wrap(kind, (int)fd, access, options, path, out);
}

/* An anonymous memory file: a host memfd (shared mappings stay coherent
 * with read/write because they are the same host pages). */
static int open_memfd(const char *name, uint32_t access, uint32_t options, pal_handle_t **out) {
    if ((access & PAL_ACCESS_MASK) != PAL_ACCESS_RDWR)
        return -PAL_ERR_INVAL;
    long fd = host_syscall2(__NR_memfd_create, name, 1 /* MFD_CLOEXEC */);
    if (host_is_err(fd))
        return err(fd);
    return handle_wrap(HANDLE_FILE, (int)fd, access, options, NULL, out);
}

/* A memfd opened again through /proc/self/fd: a new open file description
 * of the same pages (memfds have no other name to open). */
int pal_stream_reopen(pal_handle_t *h, pal_handle_t **out) {
    if (!h || !out || h->kind != HANDLE_FILE || h->fd < 0 || h->path)
        return -PAL_ERR_BADHANDLE; /* memfd handles are the files with no path */
    /* Only a memory file: F_GET_SEALS fails on any other host file. */
    if (host_is_err(host_syscall2(__NR_fcntl, h->fd, 1034 /* F_GET_SEALS */)))
        return -PAL_ERR_BADHANDLE;
    char path[32] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    for (unsigned v = (unsigned)h->fd; n == 0 || v; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    size_t at = pal_strlen(path);
    while (n)
        path[at++] = digits[--n];
    path[at] = '\0';
    long fd = host_syscall4(__NR_openat, HOST_AT_FDCWD, path, O_RDWR | O_CLOEXEC, 0);
    if (host_is_err(fd))
        return err(fd);
    return handle_wrap(HANDLE_FILE, (int)fd, PAL_ACCESS_RDWR, h->options, NULL, out);
}

int pal_stream_open(const char *uri, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out) {
    const char *rest;
    if (!out)
        return -PAL_ERR_INVAL;
    switch (uri_parse(uri, &rest)) {
    case URI_CONSOLE:
        return open_console(rest, access, options, out);
    case URI_NET: {
        char scheme[16];
        size_t n = (size_t)(rest - uri) - 1; /* without the ':' */
        pal_memcpy(scheme, uri, n);
        scheme[n] = '\0';
        return pal_net_open(scheme, rest, options, out);
    }
    case URI_LATER:
        return -PAL_ERR_NOTSUPPORTED;
    case URI_MEMFD:
        return open_memfd(rest, access, options, out);
    case URI_BAD:
        return -PAL_ERR_INVAL;
    case URI_DIR:
        if (rest[0] == '\0')
            return -PAL_ERR_INVAL;
        return open_dir(rest, access, perm, create, options, out);
    case URI_FILE:
        if (rest[0] == '\0')
            return -PAL_ERR_INVAL;
        return open_file(rest, access, perm, create, options, out);
    }
    return -PAL_ERR_INVAL;
}

static bool handle_has_fd(pal_handle_t *h) {
    return h && h->fd >= 0 &&
           (h->kind == HANDLE_FILE || h->kind == HANDLE_DIR || h->kind == HANDLE_CONSOLE);
}

/* Consoles are unseekable: their offset is ignored, as pal.h says. */
static bool use_offset(pal_handle_t *h, uint64_t offset) {
    return offset != PAL_OFFSET_NONE && h->kind != HANDLE_CONSOLE;
}

int64_t pal_stream_read(pal_handle_t *h, uint64_t offset, void *buf, size_t size) {
    if (pal_net_handle(h))
        return pal_net_read(h, buf, size);
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (size > MAX_IO)
        size = MAX_IO;
    if (use_offset(h, offset) && offset > INT64_MAX)
        return -PAL_ERR_INVAL;
    long r;
    do {
        if (use_offset(h, offset))
            r = host_syscall4(__NR_pread64, h->fd, buf, size, offset);
        else
            r = host_syscall3(__NR_read, h->fd, buf, size);
        /* A FIFO reached through "file:" is unseekable too. */
        if (r == -ESPIPE)
            r = host_syscall3(__NR_read, h->fd, buf, size);
    } while (r == -EINTR);
    return host_is_err(r) ? err(r) : r;
}

int64_t pal_stream_write(pal_handle_t *h, uint64_t offset, const void *buf, size_t size) {
    if (pal_net_handle(h))
        return pal_net_write(h, buf, size);
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (size > MAX_IO)
        size = MAX_IO;
    if (use_offset(h, offset) && offset > INT64_MAX)
        return -PAL_ERR_INVAL;
    long r;
    do {
        if (use_offset(h, offset))
            r = host_syscall4(__NR_pwrite64, h->fd, buf, size, offset);
        else
            r = host_syscall3(__NR_write, h->fd, buf, size);
        if (r == -ESPIPE)
            r = host_syscall3(__NR_write, h->fd, buf, size);
    } while (r == -EINTR);
    return host_is_err(r) ? err(r) : r;
}

/* Closes any handle: streams, and also events/threads/processes, which
 * pal.h gives no other way to release. */
int64_t pal_stream_seek(pal_handle_t *h, int64_t offset, uint32_t whence) {
    if (!h || h->fd < 0 || (h->kind != HANDLE_FILE && h->kind != HANDLE_DIR))
        return -PAL_ERR_BADHANDLE;
    if (whence > PAL_SEEK_END)
        return -PAL_ERR_INVAL;
    /* PAL_SEEK_* have the host's SEEK_* values by design of the enum. */
    long r = host_syscall3(__NR_lseek, h->fd, offset, whence);
    return host_is_err(r) ? err(r) : r;
}

PAL_FORK_TEXT int pal_stream_close(pal_handle_t *h) {
    if (!h)
        return -PAL_ERR_BADHANDLE;
    /* Linux closes the fd even when close() reports an error; don't retry. */
    if (h->fd >= 0)
        host_syscall1(__NR_close, h->fd);
    h->fd = -1;
    pal_linux_handle_free(h); /* also frees path and dirbuf */
    return 0;
}

int pal_stream_delete(const char *uri) {
    enum uri_scheme scheme;
    const char *path = uri_path(uri, &scheme);
    if (!path)
        return uri_error(uri);
    long r =
        host_syscall3(__NR_unlinkat, HOST_AT_FDCWD, path, scheme == URI_DIR ? AT_REMOVEDIR : 0);
    return host_is_err(r) ? err(r) : 0;
}

/* Sockets come with a later issue; nothing else can be shut down. */
int pal_stream_shutdown(pal_handle_t *h, uint32_t how) {
    if (!h)
        return -PAL_ERR_BADHANDLE;
    if (pal_net_handle(h))
        return pal_net_shutdown(h, how);
    return -PAL_ERR_NOTSUPPORTED;
}

int pal_stream_map(pal_handle_t *h, void **addr, uint32_t prot, uint32_t flags, uint64_t offset,
                   size_t size) {
    if (!h || h->kind != HANDLE_FILE || h->fd < 0)
        return -PAL_ERR_BADHANDLE;
    if (!addr || size == 0 || (offset & 4095))
        return -PAL_ERR_INVAL;
    int mflags = (flags & PAL_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    void *want = NULL;
    if (flags & PAL_MEM_FIXED) {
        mflags |= MAP_FIXED;
        want = *addr;
    } else if (flags & PAL_MEM_NOREPLACE) {
        mflags |= MAP_FIXED_NOREPLACE;
        want = *addr;
    } else if (flags & PAL_MEM_HINT) {
        want = *addr;
    }
    long r = host_syscall6(__NR_mmap, want, size, host_prot(prot), mflags, h->fd, offset);
    if (host_is_err(r))
        return err(r);
    /* Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and treat it as a hint. */
    if ((flags & PAL_MEM_NOREPLACE) && (void *)r != want) {
        host_syscall2(__NR_munmap, r, size);
        return -PAL_ERR_EXISTS;
    }
    *addr = (void *)r;
    return 0;
}

int pal_stream_set_length(pal_handle_t *h, uint64_t length) {
    if (!h || h->kind != HANDLE_FILE || h->fd < 0)
        return -PAL_ERR_BADHANDLE;
    if (length > INT64_MAX)
        return -PAL_ERR_FBIG;
    long r = host_syscall2(__NR_ftruncate, h->fd, length);
    return host_is_err(r) ? err(r) : 0;
}

int pal_stream_flush(pal_handle_t *h) {
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    long r = host_syscall1(__NR_fsync, h->fd);
    /* Terminals and pipes have nothing to sync: that is not an error. */
    if (r == -EINVAL && h->kind == HANDLE_CONSOLE)
        return 0;
    return host_is_err(r) ? err(r) : 0;
}

/* Fills type/term size for a console: only a terminal is PAL_TYPE_CONSOLE. */
static void console_attr(int fd, struct pal_stream_attr *attr) {
    uint8_t termios[64];
    if (host_is_err(host_syscall3(__NR_ioctl, fd, HOST_TCGETS, termios)))
        return;
    attr->type = PAL_TYPE_CONSOLE;
    struct host_winsize ws;
    if (!host_is_err(host_syscall3(__NR_ioctl, fd, HOST_TIOCGWINSZ, &ws))) {
        attr->term_rows = ws.ws_row;
        attr->term_cols = ws.ws_col;
    }
}

/* struct pal_term_mode is the host's struct termios: TCGETS fills it. */
_Static_assert(sizeof(struct pal_term_mode) == 36, "termios layout");

int pal_console_get_mode(pal_handle_t *h, struct pal_term_mode *mode) {
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (h->kind != HANDLE_CONSOLE)
        return -PAL_ERR_NOTTY;
    long r = host_syscall3(__NR_ioctl, h->fd, HOST_TCGETS, mode);
    return host_is_err(r) ? err(r) : 0;
}

int pal_console_set_mode(pal_handle_t *h, int when, const struct pal_term_mode *mode) {
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (h->kind != HANDLE_CONSOLE)
        return -PAL_ERR_NOTTY;
    if (when < PAL_TERM_NOW || when > PAL_TERM_FLUSH)
        return -PAL_ERR_INVAL;
    /* TCSETS, TCSETSW, TCSETSF follow TCGETS in the same order. */
    long r = host_syscall3(__NR_ioctl, h->fd, HOST_TCGETS + 1 + when, mode);
    return host_is_err(r) ? err(r) : 0;
}

static int attr_of_fd(int fd, bool console, struct pal_stream_attr *attr) {
    struct stat st;
    long r = host_syscall2(__NR_fstat, fd, &st);
    if (host_is_err(r))
        return err(r);
    attr_from_stat(&st, attr);
    long fl = host_syscall2(__NR_fcntl, fd, F_GETFL);
    if (!host_is_err(fl))
        attr->nonblocking = (fl & O_NONBLOCK) != 0;
    if (console)
        console_attr(fd, attr);
    return 0;
}

int pal_stream_attr_query(const char *uri, bool nofollow, struct pal_stream_attr *attr) {
    const char *rest;
    if (!attr)
        return -PAL_ERR_INVAL;
    enum uri_scheme scheme = uri_parse(uri, &rest);
    if (scheme == URI_CONSOLE) {
        if ((rest[0] != '0' && rest[0] != '1' && rest[0] != '2') || rest[1] != '\0')
            return -PAL_ERR_INVAL;
        return attr_of_fd(rest[0] - '0', true, attr);
    }
    const char *path = uri_path(uri, NULL);
    if (!path)
        return uri_error(uri);
    struct stat st;
    long r = host_syscall4(__NR_newfstatat, HOST_AT_FDCWD, path, &st,
                           nofollow ? AT_SYMLINK_NOFOLLOW : 0);
    if (host_is_err(r))
        return err(r);
    attr_from_stat(&st, attr);
    return 0;
}

int pal_stream_attr_query_handle(pal_handle_t *h, struct pal_stream_attr *attr) {
    if (pal_net_handle(h) && attr)
        return pal_net_attr(h, attr);
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (!attr)
        return -PAL_ERR_INVAL;
    return attr_of_fd(h->fd, h->kind == HANDLE_CONSOLE, attr);
}

static int set_nonblock(int fd, bool on) {
    long fl = host_syscall2(__NR_fcntl, fd, F_GETFL);
    if (host_is_err(fl))
        return err(fl);
    fl = on ? (fl | O_NONBLOCK) : (fl & ~(long)O_NONBLOCK);
    long r = host_syscall3(__NR_fcntl, fd, F_SETFL, fl);
    return host_is_err(r) ? err(r) : 0;
}

/* A PAL_OPTION_LINK handle (O_PATH): the fd-based calls refuse it, so the
 * name itself is acted on (never a symlink's target). */
static int link_attr_set(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *attr) {
    struct stat st;
    long r = host_syscall2(__NR_fstat, h->fd, &st);
    if (host_is_err(r))
        return err(r);
    bool symlink = (st.st_mode & HOST_S_IFMT) == 0120000;
    if ((mask & PAL_ATTR_NONBLOCK) || ((mask & PAL_ATTR_MODE) && symlink) || !h->path)
        return -PAL_ERR_NOTSUPPORTED; /* Linux has no mode on a symlink */
    if (mask & PAL_ATTR_MODE) {
        r = host_syscall3(__NR_fchmodat, HOST_AT_FDCWD, h->path, attr->mode & 07777);
        if (host_is_err(r))
            return err(r);
    }
    if (mask & PAL_ATTR_TIMES) {
        if (attr->atime_ns < 0 || attr->mtime_ns < 0)
            return -PAL_ERR_INVAL;
        struct host_timespec ts[2] = {
            {attr->atime_ns / 1000000000, attr->atime_ns % 1000000000},
            {attr->mtime_ns / 1000000000, attr->mtime_ns % 1000000000},
        };
        r = host_syscall4(__NR_utimensat, HOST_AT_FDCWD, h->path, ts, AT_SYMLINK_NOFOLLOW);
        if (host_is_err(r))
            return err(r);
    }
    if (mask & PAL_ATTR_OWNER) {
        r = host_syscall5(__NR_fchownat, h->fd, "", attr->uid, attr->gid, HOST_AT_EMPTY_PATH);
        if (host_is_err(r))
            return err(r);
    }
    return 0;
}

int pal_stream_attr_set_handle(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *attr) {
    if (!handle_has_fd(h))
        return -PAL_ERR_BADHANDLE;
    if (!attr ||
        (mask & ~(uint32_t)(PAL_ATTR_MODE | PAL_ATTR_NONBLOCK | PAL_ATTR_TIMES | PAL_ATTR_OWNER)))
        return -PAL_ERR_INVAL;
    if (h->options & PAL_OPTION_LINK)
        return link_attr_set(h, mask, attr);
    if (mask & PAL_ATTR_MODE) {
        long r = host_syscall2(__NR_fchmod, h->fd, attr->mode & 07777);
        if (host_is_err(r))
            return err(r);
    }
    if (mask & PAL_ATTR_NONBLOCK) {
        int r = set_nonblock(h->fd, attr->nonblocking);
        if (r < 0)
            return r;
    }
    if (mask & PAL_ATTR_TIMES) {
        if (attr->atime_ns < 0 || attr->mtime_ns < 0)
            return -PAL_ERR_INVAL;
        struct host_timespec ts[2] = {
            {attr->atime_ns / 1000000000, attr->atime_ns % 1000000000},
            {attr->mtime_ns / 1000000000, attr->mtime_ns % 1000000000},
        };
        /* utimensat with a NULL path acts on the fd itself (futimens). */
        long r = host_syscall4(__NR_utimensat, h->fd, NULL, ts, 0);
        if (host_is_err(r))
            return err(r);
    }
    if (mask & PAL_ATTR_OWNER) {
        /* (uid_t)-1 keeps an id, as pal.h's UINT32_MAX does. */
        long r = host_syscall3(__NR_fchown, h->fd, attr->uid, attr->gid);
        if (host_is_err(r))
            return err(r);
    }
    return 0;
}

struct host_statfs {
    long f_type, f_bsize;
    unsigned long f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int f_fsid[2];
    long f_namelen, f_frsize, f_flags, f_spare[4];
};
#define HOST_ST_RDONLY 1

int pal_fs_info(const char *uri, struct pal_fs_info *info) {
    const char *path = uri_path(uri, NULL);
    if (!path)
        return uri_error(uri);
    if (!info)
        return -PAL_ERR_INVAL;
    struct host_statfs st;
    long r = host_syscall2(__NR_statfs, path, &st);
    if (host_is_err(r))
        return err(r);
    *info = (struct pal_fs_info){
        .type = (uint64_t)st.f_type,
        .block_size = st.f_bsize,
        .blocks = st.f_blocks,
        .blocks_free = st.f_bfree,
        .blocks_avail = st.f_bavail,
        .files = st.f_files,
        .files_free = st.f_ffree,
        .name_max = st.f_namelen,
        .readonly = (st.f_flags & HOST_ST_RDONLY) != 0,
    };
    return 0;
}

int pal_stream_rename(pal_handle_t *h, const char *new_uri) {
    if (!h || (h->kind != HANDLE_FILE && h->kind != HANDLE_DIR) || !h->path)
        return -PAL_ERR_BADHANDLE;
    const char *path = uri_path(new_uri, NULL);
    if (!path)
        return uri_error(new_uri);
    char *copy = pal_linux_strdup(path);
    if (!copy)
        return -PAL_ERR_NOMEM;
    long r = host_syscall4(__NR_renameat, HOST_AT_FDCWD, h->path, HOST_AT_FDCWD, path);
    if (host_is_err(r)) {
        pal_linux_free(copy);
        return err(r);
    }
    pal_linux_free(h->path);
    h->path = copy;
    return 0;
}

static bool is_dot_or_dotdot(const char *name) {
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Refills h->dirbuf from the host; returns 0, or -PAL_ERR_* (end: dir_eof). */
static int dir_refill(pal_handle_t *h) {
    if (!h->dirbuf) {
        h->dirbuf = pal_linux_malloc(DIRBUF_SIZE);
        if (!h->dirbuf)
            return -PAL_ERR_NOMEM;
    }
    long r;
    do {
        r = host_syscall3(__NR_getdents64, h->fd, h->dirbuf, DIRBUF_SIZE);
    } while (r == -EINTR);
    if (host_is_err(r))
        return err(r);
    h->dirbuf_len = (uint32_t)r;
    h->dirbuf_pos = 0;
    if (r == 0)
        h->dir_eof = true;
    return 0;
}

int64_t pal_stream_readdir(pal_handle_t *h, void *buf, size_t size) {
    if (!h || h->kind != HANDLE_DIR || h->fd < 0)
        return -PAL_ERR_BADHANDLE;
    if (!buf)
        return -PAL_ERR_INVAL;
    size_t used = 0;
    while (!h->dir_eof) {
        if (h->dirbuf_pos >= h->dirbuf_len) {
            int r = dir_refill(h);
            if (r < 0)
                return used ? (int64_t)used : r;
            continue;
        }
        struct host_linux_dirent64 *d = (void *)(h->dirbuf + h->dirbuf_pos);
        if (is_dot_or_dotdot(d->d_name)) {
            h->dirbuf_pos += d->d_reclen;
            continue;
        }
        size_t len = pal_strlen(d->d_name);
        size_t reclen = (sizeof(struct pal_dirent) + len + 1 + 7) & ~(size_t)7;
        if (used + reclen > size) {
            /* Not even one record fits: the caller's buffer is too small. */
            return used ? (int64_t)used : -PAL_ERR_INVAL;
        }
        struct pal_dirent *out = (void *)((char *)buf + used);
        out->reclen = (uint16_t)reclen;
        out->type = type_from_dtype(d->d_type);
        out->pad = 0;
        out->pad2 = 0;
        out->inode = d->d_ino;
        pal_memcpy(out->name, d->d_name, len + 1);
        used += reclen;
        h->dirbuf_pos += d->d_reclen;
    }
    return (int64_t)used;
}

int64_t pal_stream_readlink(const char *uri, char *buf, size_t size) {
    const char *path = uri_path(uri, NULL);
    if (!path)
        return uri_error(uri);
    if (size > MAX_IO)
        size = MAX_IO;
    long r = host_syscall4(__NR_readlinkat, HOST_AT_FDCWD, path, buf, size);
    return host_is_err(r) ? err(r) : r;
}

int pal_stream_link(const char *target, const char *uri, bool symbolic) {
    const char *path = uri_path(uri, NULL);
    if (!path)
        return uri_error(uri);
    long r;
    if (symbolic) {
        r = host_syscall3(__NR_symlinkat, target, HOST_AT_FDCWD, path);
    } else {
        const char *old = uri_path(target, NULL);
        if (!old)
            return uri_error(target);
        r = host_syscall5(__NR_linkat, HOST_AT_FDCWD, old, HOST_AT_FDCWD, path, 0);
    }
    return host_is_err(r) ? err(r) : 0;
}

/* Server streams and handle passing arrive with sockets and fork. */
int pal_stream_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client) {
    if (pal_net_handle(h))
        return pal_net_accept(h, options, client);
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_stream_send_handle(pal_handle_t *h, pal_handle_t *cargo) {
    if (pal_net_handle(h))
        return pal_net_send_handle(h, cargo);
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_stream_recv_handle(pal_handle_t *h, pal_handle_t **cargo) {
    if (pal_net_handle(h))
        return pal_net_recv_handle(h, cargo);
    return -PAL_ERR_NOTIMPLEMENTED;
}
