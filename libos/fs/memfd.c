/* memfd_create: an anonymous regular file backed by a PAL "memfd:" stream
 * (a host memfd on the Linux PAL), so MAP_SHARED mappings of it share
 * pages with each other and with read/write, and survive fork. Seals
 * (F_ADD_SEALS/F_GET_SEALS) are kept and enforced here. */
#include "libos_checkpoint.h"
#include "libos_fs.h"
#include "libos_syscalls.h"

#define MFD_CLOEXEC 1U
#define MFD_ALLOW_SEALING 2U
#define MFD_HUGETLB 4U
#define MFD_NOEXEC_SEAL 8U
#define MFD_EXEC 0x10U
#define MFD_NAME_MAX 249

#define F_SEAL_SEAL 1U
#define F_SEAL_SHRINK 2U
#define F_SEAL_GROW 4U
#define F_SEAL_WRITE 8U
#define F_SEAL_FUTURE_WRITE 0x10U
#define F_SEAL_EXEC 0x20U
#define F_SEAL_ALL 0x3fU

/* Shared by every open file of one memfd (dup and fork share the file). */
struct memfd {
    uint32_t seals;
};

static long pal_ret(long r) {
    return r < 0 ? libos_errno_from_pal((int)r) : r;
}

static uint32_t seals_of(struct libos_file *f) {
    return __atomic_load_n(&((struct memfd *)f->priv)->seals, __ATOMIC_ACQUIRE);
}

static int mf_stat(struct libos_file *f, struct linux_stat *st) {
    struct pal_stream_attr a;
    long r = pal_ret(pal_stream_attr_query_handle(f->handle, &a));
    if (!r)
        libos_stat_from_pal(&a, st);
    return r;
}

static int64_t mf_size(struct libos_file *f) {
    struct linux_stat st;
    long r = mf_stat(f, &st);
    return r ? r : st.st_size;
}

static int64_t mf_read(struct libos_file *f, void *buf, size_t n, uint64_t *pos) {
    int64_t r = pal_ret(pal_stream_read(f->handle, *pos, buf, n));
    if (r > 0)
        *pos += r;
    return r;
}

static int64_t mf_write(struct libos_file *f, const void *buf, size_t n, uint64_t *pos) {
    uint32_t seals = seals_of(f);
    if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
        return -EPERM;
    uint64_t at = *pos;
    if ((f->flags & O_APPEND) || (seals & F_SEAL_GROW)) {
        int64_t size = mf_size(f);
        if (size < 0)
            return size;
        if (f->flags & O_APPEND)
            at = size;
        if ((seals & F_SEAL_GROW) && at + n > (uint64_t)size) {
            if (at >= (uint64_t)size)
                return -EPERM;
            n = size - at; /* Linux writes up to the sealed size */
        }
    }
    int64_t r = pal_ret(pal_stream_write(f->handle, at, buf, n));
    if (r >= 0)
        *pos = at + r;
    return r;
}

static int64_t mf_seek(struct libos_file *f, int64_t off, int whence) {
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
    case SEEK_DATA:
    case SEEK_HOLE:
        base = mf_size(f);
        if (base < 0)
            return base;
        if (whence == SEEK_END)
            break;
        if (off < 0 || off >= base)
            return -ENXIO;
        f->pos = whence == SEEK_DATA ? off : base;
        return f->pos;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = base + off;
    return f->pos;
}

static int mf_truncate(struct libos_file *f, uint64_t len) {
    int64_t size = mf_size(f);
    if (size < 0)
        return size;
    uint32_t seals = seals_of(f);
    if ((len < (uint64_t)size && (seals & F_SEAL_SHRINK)) ||
        (len > (uint64_t)size && (seals & F_SEAL_GROW)))
        return -EPERM;
    return pal_ret(pal_stream_set_length(f->handle, len));
}

static int mf_mmap(struct libos_file *f, void **addr, size_t len, int prot, int flags,
                   uint64_t off) {
    bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
    if (shared && (prot & PROT_WRITE)) {
        if (seals_of(f) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
            return -EPERM;
        if ((f->flags & O_ACCMODE) != O_RDWR)
            return -EACCES;
    }
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EACCES;
    uint32_t pf = (shared ? PAL_MAP_SHARED : PAL_MAP_PRIVATE) | libos_pal_placement(flags, *addr);
    void *a = *addr;
    int r = pal_stream_map(f->handle, &a, libos_pal_prot(prot), pf, off, len);
    if (r < 0)
        return libos_errno_from_pal(r);
    *addr = a;
    return 0;
}

static int mf_fsync(struct libos_file *f) {
    return 0;
}

static void mf_release(struct libos_file *f) {
    if (f->handle)
        pal_stream_close(f->handle);
    f->handle = NULL;
    libos_free(f->priv);
}

static const struct libos_file_ops g_memfd_ops = {
    .ckpt_kind = LIBOS_CKPT_MEMFD,
    .read = mf_read,
    .write = mf_write,
    .seek = mf_seek,
    .stat = mf_stat,
    .mmap = mf_mmap,
    .truncate = mf_truncate,
    .fsync = mf_fsync,
    .release = mf_release,
};

static struct libos_file *memfd_file_new(uint32_t seals) {
    struct memfd *m = libos_calloc(1, sizeof(*m));
    struct libos_file *f = m ? libos_file_new(NULL, NULL, O_RDWR) : NULL;
    if (!f) {
        libos_free(m);
        return NULL;
    }
    m->seals = seals;
    f->priv = m;
    f->ops = &g_memfd_ops;
    return f;
}

uint32_t libos_memfd_file_seals(struct libos_file *f) {
    return f->ops == &g_memfd_ops ? seals_of(f) : 0;
}

long libos_memfd_file_from_handle(pal_handle_t *h, uint32_t seals, struct libos_file **out) {
    struct libos_file *f = memfd_file_new(seals);
    if (!f)
        return -ENOMEM;
    f->handle = h;
    *out = f;
    return 0;
}

long libos_sys_memfd_create(const char *uname, unsigned int flags) {
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
        return -EINVAL;
    if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
        return -EINVAL;
    if (flags & MFD_HUGETLB)
        return -EINVAL; /* no hugetlbfs here, as on a kernel without it */
    char name[MFD_NAME_MAX + 1 + 6];
    memcpy(name, "memfd:", 6);
    long r = libos_copy_user_string(name + 6, MFD_NAME_MAX + 1, uname);
    if (r < 0)
        return r == -ENAMETOOLONG ? -EINVAL : r;
    /* Without MFD_ALLOW_SEALING the file is born sealed against seals;
     * MFD_NOEXEC_SEAL implies sealing is allowed and seals exec. */
    struct libos_file *f = memfd_file_new((flags & MFD_NOEXEC_SEAL)       ? F_SEAL_EXEC
                                          : !(flags & MFD_ALLOW_SEALING) ? F_SEAL_SEAL
                                                                         : 0);
    if (!f)
        return -ENOMEM;
    pal_handle_t *h;
    r = pal_ret(pal_stream_open(name, PAL_ACCESS_RDWR, 0777, PAL_CREATE_ALWAYS, 0, &h));
    if (r) {
        libos_file_put(f);
        return r == -EINVAL ? -ENOSYS : r;
    }
    f->handle = h;
    r = libos_fd_install(f, 0, flags & MFD_CLOEXEC);
    libos_file_put(f);
    return r;
}

/* fcntl F_ADD_SEALS (add) and F_GET_SEALS, called from sys/fs2.c. */
long libos_memfd_seals(struct libos_file *f, bool add, uint32_t seals) {
    if (f->ops != &g_memfd_ops)
        return -EINVAL;
    struct memfd *m = f->priv;
    if (!add)
        return seals_of(f);
    if (seals & ~F_SEAL_ALL)
        return -EINVAL;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EPERM;
    uint32_t old = __atomic_load_n(&m->seals, __ATOMIC_ACQUIRE);
    do {
        if (old & F_SEAL_SEAL)
            return -EPERM;
    } while (!__atomic_compare_exchange_n(&m->seals, &old, old | seals, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return 0;
}
