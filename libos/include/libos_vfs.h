/* Files, fd table and the VFS (libos/fs/). */
#ifndef SABOT_LIBOS_VFS_H
#define SABOT_LIBOS_VFS_H

#include "libos.h"

struct libos_file;
struct libos_mount;
struct libos_waitq;

#define LINUX_POLLIN 0x001
#define LINUX_POLLPRI 0x002
#define LINUX_POLLOUT 0x004
#define LINUX_POLLERR 0x008
#define LINUX_POLLHUP 0x010
#define LINUX_POLLNVAL 0x020
#define LINUX_POLLRDNORM 0x040
#define LINUX_POLLRDBAND 0x080
#define LINUX_POLLWRNORM 0x100
#define LINUX_POLLWRBAND 0x200
#define LINUX_POLLRDHUP 0x2000

struct libos_poll_info {
    pal_handle_t *handle;      /* PAL stream to wait on, or NULL */
    uint32_t pal_events;       /* PAL_WAIT_* to wait for on handle */
    struct libos_waitq *waitq; /* internal object's wait queue, or NULL */
};

/* How the checkpoint fork carries an open file to a new instance. */
enum libos_ckpt_kind {
    LIBOS_CKPT_NONE = 0,  /* a libos object: not carried (closed in the child) */
    LIBOS_CKPT_PATH,      /* opened again by path, with the parent's handle */
    LIBOS_CKPT_PATH_ONLY, /* opened again by path only (devices, /proc) */
    LIBOS_CKPT_STREAM,    /* a pipe or socket: rebuilt from its handle */
    LIBOS_CKPT_CONSOLE,   /* boot stdio */
    LIBOS_CKPT_MEMFD,     /* memfd_create: its handle and seals */
};

struct libos_file_ops {
    /* pos: in/out file position for seekable files (NULL for pread-style
     * callers is never passed; pread passes a local copy). */
    int64_t (*read)(struct libos_file *f, void *buf, size_t n, uint64_t *pos);
    int64_t (*write)(struct libos_file *f, const void *buf, size_t n, uint64_t *pos);
    /* Returns the new position or -errno. NULL: -ESPIPE. */
    int64_t (*seek)(struct libos_file *f, int64_t off, int whence);
    int (*stat)(struct libos_file *f, struct linux_stat *st);
    /* Fills buf with linux_dirent64 records from f->pos on; returns bytes. */
    int64_t (*getdents64)(struct libos_file *f, void *buf, size_t size);
    long (*ioctl)(struct libos_file *f, unsigned int cmd, uint64_t arg);
    /* Map len bytes at off. flags/prot are Linux MAP_ and PROT_ values;
     * *addr in: placement (with MAP_FIXED), out: where it went. */
    int (*mmap)(struct libos_file *f, void **addr, size_t len, int prot, int flags, uint64_t off);
    int (*truncate)(struct libos_file *f, uint64_t len);
    int (*fsync)(struct libos_file *f);
    /* Readiness for poll/select/epoll: returns the Linux POLL* bits ready
     * now. A file backed by a PAL stream sets pi->handle (and
     * pi->pal_events) so pollers can wait on it; a libos-internal object
     * sets pi->waitq, which it wakes when its state changes. NULL op: the
     * file is always readable and writable (regular files, /dev/null). */
    uint32_t (*poll)(struct libos_file *f, uint32_t want, struct libos_poll_info *pi);
    /* Optional vectored I/O for streams where one call must stay one
     * operation (a datagram, or a read that may block only once). NULL:
     * readv/writev call read/write per element. iov is checked app memory. */
    int64_t (*readv)(struct libos_file *f, const struct linux_iovec *iov, int iovcnt);
    int64_t (*writev)(struct libos_file *f, const struct linux_iovec *iov, int iovcnt);
    void (*release)(struct libos_file *f);
    uint8_t ckpt_kind; /* enum libos_ckpt_kind */
};

struct libos_file {
    int refcount;
    const struct libos_file_ops *ops;
    uint32_t flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH ... */
    uint64_t pos;
    struct libos_lock lock;
    char *path; /* absolute libos path, for fchdir and tracing */
    struct libos_mount *mount;
    pal_handle_t *handle; /* PAL stream, if any */
    void *priv;           /* file-system specific */
    int owner;            /* F_SETOWN: pid (or -pgid) to get SIGIO */
    uint64_t io_seq;      /* counts reads/writes: epoll re-arms edges after I/O */
    /* Called by the last libos_file_put before ops->release: epoll drops
     * the file from interest lists (sys/epoll.c), with hook_data its own. */
    void (*release_hook)(struct libos_file *f);
    void *hook_data;
};

/* Every read or write attempt: epoll's edge emulation re-arms after it. */
static inline void libos_file_note_io(struct libos_file *f) {
    __atomic_add_fetch(&f->io_seq, 1, __ATOMIC_RELAXED);
}

void libos_file_get(struct libos_file *f);
void libos_file_put(struct libos_file *f);

/* fd table of the process. */
long libos_fd_install(struct libos_file *f, int min_fd, bool cloexec); /* takes a ref */
struct libos_file *libos_fd_get(int fd);                               /* new ref or NULL */
long libos_fd_close(int fd);

/* Set up mounts from the manifest, /dev, and fds 0-2 from boot stdio. */
long libos_vfs_init(void);

/* Open a path relative to dirfd (AT_FDCWD or an fd) with Linux open
 * flags, obeying mounts and the manifest. */
long libos_vfs_open(int dirfd, const char *path, int flags, uint32_t mode, struct libos_file **out);
/* Host path behind a file, for debugger registration; -ENOENT if none. */
long libos_vfs_host_path(struct libos_file *f, char *buf, size_t size);
/* The current working directory (libos path). */
const char *libos_vfs_cwd(void);

#endif
