/* Freestanding helpers and the PAL-private heap. */
#include "pal_linux.h"

size_t pal_strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int pal_strncmp(const char *a, const char *b, size_t n) {
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

void *pal_memcpy(void *d, const void *s, size_t n) {
    char *dp = d;
    const char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *pal_memset(void *d, int c, size_t n) {
    char *dp = d;
    while (n--)
        *dp++ = (char)c;
    return d;
}

PAL_FORK_TEXT int pal_linux_err(long r) {
    if (!r)
        return 0; /* before the table: one rodata page less in a fork child */
    switch (-r) {
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
    case EDQUOT:
        return -PAL_ERR_NOSPACE;
    case ENAMETOOLONG:
        return -PAL_ERR_TOOLONG;
    case ELOOP:
        return -PAL_ERR_LOOP;
    case EXDEV:
        return -PAL_ERR_XDEV;
    case EBUSY:
    case ETXTBSY:
        return -PAL_ERR_BUSY;
    case EAGAIN:
        return -PAL_ERR_AGAIN;
    case EINTR:
        return -PAL_ERR_INTERRUPTED;
    case ETIMEDOUT:
        return -PAL_ERR_TIMEOUT;
    case ENOMEM:
        return -PAL_ERR_NOMEM;
    case EINVAL:
        return -PAL_ERR_INVAL;
    case EFBIG:
        return -PAL_ERR_FBIG;
    case EOVERFLOW:
        return -PAL_ERR_OVERFLOW;
    case ERANGE:
        return -PAL_ERR_RANGE;
    case EPIPE:
        return -PAL_ERR_PIPE;
    case ECONNREFUSED:
        return -PAL_ERR_CONNREFUSED;
    case ECONNRESET:
        return -PAL_ERR_CONNRESET;
    case ENOTCONN:
        return -PAL_ERR_NOTCONN;
    case EINPROGRESS:
        return -PAL_ERR_INPROGRESS;
    case EADDRINUSE:
        return -PAL_ERR_ADDRINUSE;
    case EADDRNOTAVAIL:
        return -PAL_ERR_ADDRNOTAVAIL;
    case ENOTTY:
        return -PAL_ERR_NOTTY;
    case ENOSYS:
        return -PAL_ERR_NOTIMPLEMENTED;
    case EOPNOTSUPP:
    case ENODEV:
    case ESPIPE:
        return -PAL_ERR_NOTSUPPORTED;
    default:
        return -PAL_ERR_IO;
    }
}

/* PAL heap: 16..2048-byte size classes from 64 KiB arenas, bigger blocks
 * straight from mmap. A 16-byte header records the size. Arenas are carved
 * as blocks are asked for: every touched page is copied by each fork. */
#define HEAP_CLASSES 8
#define ARENA 65536
struct free_node {
    struct free_node *next;
};
static PAL_FORK_HOT struct free_node *g_pal_free[HEAP_CLASSES];
static PAL_FORK_HOT char *g_pal_carve[HEAP_CLASSES], *g_pal_carve_end[HEAP_CLASSES];
static PAL_FORK_HOT volatile int g_pal_heap_lock;

static void heap_lock(void) {
    while (__atomic_exchange_n(&g_pal_heap_lock, 1, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
}
static void heap_unlock(void) {
    __atomic_store_n(&g_pal_heap_lock, 0, __ATOMIC_RELEASE);
}

/* The flags are the libos's (pal_mem_alloc): neighbouring mappings with the
 * same flags merge into one host VMA, and each VMA costs every fork. */
void *pal_linux_mmap_anon(size_t size) {
    long r = host_syscall6(__NR_mmap, 0, size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return host_is_err(r) ? NULL : (void *)r;
}

PAL_FORK_TEXT void *pal_linux_malloc(size_t size) {
    int c = 0;
    while (c < HEAP_CLASSES && (16UL << c) < size)
        c++;
    if (c == HEAP_CLASSES) {
        size_t total = (size + 16 + 4095) & ~4095UL;
        char *p = pal_linux_mmap_anon(total);
        if (!p)
            return NULL;
        *(size_t *)p = total;
        return p + 16;
    }
    heap_lock();
    struct free_node *n = g_pal_free[c];
    size_t bs = (16UL << c) + 16;
    if (n) {
        g_pal_free[c] = n->next;
    } else {
        if (g_pal_carve_end[c] - g_pal_carve[c] < (long)bs) {
            char *a = pal_linux_mmap_anon(ARENA);
            if (!a) {
                heap_unlock();
                return NULL;
            }
            g_pal_carve[c] = a;
            g_pal_carve_end[c] = a + ARENA;
        }
        n = (struct free_node *)g_pal_carve[c];
        g_pal_carve[c] += bs;
    }
    heap_unlock();
    *(size_t *)n = (size_t)c;
    return (char *)n + 16;
}

PAL_FORK_TEXT void pal_linux_free(void *p) {
    if (!p)
        return;
    char *base = (char *)p - 16;
    size_t tag = *(size_t *)base;
    if (tag >= HEAP_CLASSES) {
        host_syscall2(__NR_munmap, base, tag);
        return;
    }
    struct free_node *n = (struct free_node *)base;
    heap_lock();
    n->next = g_pal_free[tag];
    g_pal_free[tag] = n;
    heap_unlock();
}

char *pal_linux_strdup(const char *s) {
    size_t n = pal_strlen(s) + 1;
    char *p = pal_linux_malloc(n);
    if (p)
        pal_memcpy(p, s, n);
    return p;
}

static struct pal_handle *handle_init(struct pal_handle *h, uint32_t kind, int fd) {
    if (h) {
        pal_memset(h, 0, sizeof(*h));
        h->kind = kind;
        h->fd = fd;
    }
    return h;
}

struct pal_handle *pal_linux_handle_new(uint32_t kind, int fd) {
    return handle_init(pal_linux_malloc(sizeof(struct pal_handle)), kind, fd);
}

/* Handles of fork links (pal_process_fork). Right after the host fork the
 * parent closes the child's end and the child the parent's: on a heap page
 * each close would write a page the fork has just made copy-on-write, a
 * fault on both sides. These slots are on the fork-hot page, which both
 * write anyway; links beyond them come from the heap. */
#define HOT_HANDLES 4
static PAL_FORK_HOT struct pal_handle g_hot_handles[HOT_HANDLES];
static PAL_FORK_HOT uint8_t g_hot_busy[HOT_HANDLES];

struct pal_handle *pal_linux_handle_new_hot(uint32_t kind, int fd) {
    for (int i = 0; i < HOT_HANDLES; i++)
        if (!__atomic_exchange_n(&g_hot_busy[i], 1, __ATOMIC_ACQUIRE))
            return handle_init(&g_hot_handles[i], kind, fd);
    return pal_linux_handle_new(kind, fd);
}

PAL_FORK_TEXT void pal_linux_handle_free(struct pal_handle *h) {
    if (!h)
        return;
    pal_linux_free(h->path);
    pal_linux_free(h->dirbuf);
    if (h >= g_hot_handles && h < g_hot_handles + HOT_HANDLES)
        __atomic_store_n(&g_hot_busy[h - g_hot_handles], 0, __ATOMIC_RELEASE);
    else
        pal_linux_free(h);
}
