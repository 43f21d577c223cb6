/* mmap, munmap, mprotect, brk, madvise. The PAL does the mapping; the VMA
 * list (mm/vma.c) decides what the app may touch. */
#include "libos_checkpoint.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_syscalls.h"
#include "libos_vfs.h"

/* Address-space changes (mmap, munmap, mprotect, mremap, brk) are made one
 * at a time, as under Linux's mmap_lock: each is a host call and then a
 * VMA-list update, and another thread's change in between leaves the list
 * wrong (an munmap once dropped from the list a mapping that another
 * thread's mmap had just been given in the freed range). A fork holds the
 * lock too: the checkpoint fork reads memory while the other threads run,
 * and the fast fork's child must inherit a list that matches its memory. */
static LIBOS_FORK_HOT struct libos_lock g_mm_lock = LIBOS_LOCK_INIT;

static void mm_lock(void) {
    libos_lock(&g_mm_lock);
}

static void mm_unlock(void) {
    libos_unlock(&g_mm_lock);
}

void libos_mm_freeze(void) {
    mm_lock();
}

void libos_mm_thaw(void) {
    mm_unlock();
}

/* A host-forked child: only the forking thread, which held the lock. */
LIBOS_FORK_TEXT void libos_mm_after_fork(void) {
    g_mm_lock = (struct libos_lock)LIBOS_LOCK_INIT;
}

/* Is [start, end) free of app memory? */
static bool range_free(uint64_t start, uint64_t end) {
    struct libos_vma v;
    return !libos_vma_next(start, &v) || v.start >= end;
}

/* Before MAP_FIXED replaces [start, end): every page there must be app
 * memory or free. Free gaps are claimed with NOREPLACE so a fixed mapping
 * can never land on the libos, the PAL or the runtime. */
/* Calls fn on each gap of [start, end) that holds no app memory, gap by
 * gap (page by page, a huge range would take minutes); stops at the first
 * failure and returns it. */
static long for_each_gap(uint64_t start, uint64_t end,
                         long (*fn)(uint64_t s, uint64_t e, void *arg), void *arg) {
    struct libos_vma v;
    for (uint64_t at = start; at < end;) {
        if (libos_vma_lookup(at, &v)) {
            at = v.end;
            continue;
        }
        uint64_t gap_end = libos_vma_next(at, &v) ? MIN(v.start, end) : end;
        long r = fn(at, gap_end, arg);
        if (r < 0)
            return r;
        at = gap_end;
    }
    return 0;
}

static long claim_gap(uint64_t s, uint64_t e, void *failed_at) {
    void *addr = (void *)s;
    if (pal_mem_alloc(&addr, e - s, PAL_PROT_NONE, PAL_MEM_NOREPLACE) == 0)
        return 0;
    log_warn("mmap: MAP_FIXED at %#lx overlaps memory that is not the program's", (unsigned long)s);
    *(uint64_t *)failed_at = s;
    return -ENOMEM;
}

static long release_gap(uint64_t s, uint64_t e, void *arg) {
    pal_mem_free((void *)s, e - s);
    return 0;
}

static long record_gap(uint64_t s, uint64_t e, void *arg) {
    return libos_vma_insert(s, e, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
}

/* Claims the gaps of [start, end) so a fixed mapping can go there, or
 * fails without a trace: a gap the host uses (libos or PAL memory) is not
 * the program's to replace. Claims are recorded only once all succeeded,
 * so after a failure the gaps before it are exactly what this call took. */
static long claim_fixed_range(uint64_t start, uint64_t end) {
    uint64_t failed_at = end;
    long r = for_each_gap(start, end, claim_gap, &failed_at);
    if (r < 0) {
        for_each_gap(start, failed_at, release_gap, NULL);
        return r;
    }
    return for_each_gap(start, end, record_gap, NULL);
}

/* MAP_SHARED|MAP_ANONYMOUS: as in Linux, an unnamed memory file, so the
 * pages stay shared with forked children. A PAL without memory files
 * gives private memory (shared only within the process). */
/* *keep gets the memfd (NULL if the PAL has none): a fork made by
 * checkpoint maps it again in the child. */
static long map_shared_anon(void **where, size_t size, int prot, uint32_t placement,
                            pal_handle_t **keep) {
    pal_handle_t *h;
    *keep = NULL;
    if (pal_stream_open("memfd:anon", PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &h) < 0)
        return libos_errno_from_pal(pal_mem_alloc(where, size, libos_pal_prot(prot), placement));
    int r = pal_stream_set_length(h, size);
    if (!r)
        r = pal_stream_map(h, where, libos_pal_prot(prot), PAL_MAP_SHARED | placement, 0, size);
    if (r < 0)
        pal_stream_close(h);
    else
        *keep = h;
    return libos_errno_from_pal(r);
}

/* ------------------------------------------------------------ sys.memory
 * The app's mappings (ELF, stacks, mmap, brk; not the brk reservation nor
 * libos memory) may not exceed RLIMIT_AS, itself capped by sys.memory. */

struct mem_sum {
    uint64_t start, end; /* a range about to be replaced: not counted */
    uint64_t total;
};

static void sum_vma(const struct libos_vma *v, void *arg) {
    struct mem_sum *m = arg;
    if (v->kind == VMA_RESERVED)
        return;
    uint64_t size = v->end - v->start;
    uint64_t lo = MAX(v->start, m->start), hi = MIN(v->end, m->end);
    m->total += size - (lo < hi ? hi - lo : 0);
}

/* May the app map grow more bytes, [start, end) being replaced? */
static bool mem_limit_ok(uint64_t start, uint64_t end, uint64_t grow) {
    uint64_t limit = g_process.rlimits[RLIMIT_AS].rlim_cur;
    if (g_manifest && g_manifest->limit_memory)
        limit = MIN(limit, g_manifest->limit_memory);
    if (limit == RLIM_INFINITY || limit == 0)
        return limit != 0 || grow == 0;
    struct mem_sum m = {start, end, 0};
    libos_vma_for_each(sum_vma, &m);
    return m.total + grow <= limit && m.total + grow >= grow;
}

/* Linux places nothing within stack_guard_gap (256 pages) below a
 * MAP_GROWSDOWN mapping, so a touch below it grows it. The host's own
 * placement knows nothing of that, and would put the libos's memory (or
 * the app's next mapping) right there: a touch below would then write it.
 * So the gap is held, as a no-access reservation that growth turns into the
 * mapping (libos_mm_grow_stack). */
#define STACK_GUARD_GAP (256 * LIBOS_PAGE_SIZE)

static bool is_stack_guard(const struct libos_vma *v) {
    return v->kind == VMA_RESERVED && (v->flags & MAP_GROWSDOWN);
}

static long map_growsdown(uint64_t addr, size_t size, int prot, int flags, uint32_t placement) {
    void *where = addr ? (void *)(addr - MIN(addr, STACK_GUARD_GAP)) : NULL;
    long r = libos_errno_from_pal(
        pal_mem_alloc(&where, STACK_GUARD_GAP + size, PAL_PROT_NONE, placement));
    if (r < 0)
        return r == -EEXIST ? -ENOMEM : r;
    uint64_t guard = (uint64_t)where, start = guard + STACK_GUARD_GAP;
    r = libos_errno_from_pal(pal_mem_protect((void *)start, size, libos_pal_prot(prot)));
    if (r == 0)
        r = libos_vma_insert(start, start + size, prot, flags, VMA_ANON);
    if (r == 0)
        r = libos_vma_insert(guard, start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
                             VMA_RESERVED);
    if (r < 0) {
        libos_vma_remove(start, start + size);
        pal_mem_free(where, STACK_GUARD_GAP + size);
        return r;
    }
    return (long)start;
}

long libos_mm_map(uint64_t addr, size_t len, int prot, int flags, struct libos_file *f,
                  uint64_t off) {
    int type = flags & MAP_TYPE;
    if (!len || (off & (LIBOS_PAGE_SIZE - 1)) ||
        (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE))
        return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    size_t size = ALIGN_UP(len, LIBOS_PAGE_SIZE);
    if (size < len)
        return -ENOMEM;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && (addr & (LIBOS_PAGE_SIZE - 1)))
        return -EINVAL;
    if (addr + size < addr)
        return -ENOMEM;
    if (!mem_limit_ok(fixed ? addr : 0, fixed ? addr + size : 0, size))
        return -ENOMEM;
    if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !range_free(addr, addr + size))
        return -EEXIST;
    if (flags & MAP_FIXED) {
        long r = claim_fixed_range(addr, addr + size);
        if (r < 0)
            return r;
    }
    uint32_t placement = (flags & MAP_FIXED)             ? PAL_MEM_FIXED
                         : (flags & MAP_FIXED_NOREPLACE) ? PAL_MEM_NOREPLACE
                         : addr                          ? PAL_MEM_HINT
                                                         : 0;
    if (!f && type == MAP_PRIVATE && (flags & MAP_GROWSDOWN) && !fixed)
        return map_growsdown(addr, size, prot, flags, placement);
    void *where = (void *)addr;
    pal_handle_t *anon = NULL; /* the memfd of a shared anonymous mapping */
    long r;
    if (f) {
        if (!f->ops->mmap)
            return -ENODEV;
        int acc = f->flags & O_ACCMODE;
        if (acc == O_WRONLY || (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR))
            return -EACCES;
        if (placement != PAL_MEM_FIXED && placement != PAL_MEM_NOREPLACE && !addr)
            where = NULL;
        int fl = (flags & ~(MAP_FIXED | MAP_FIXED_NOREPLACE)) |
                 (placement == PAL_MEM_FIXED       ? MAP_FIXED
                  : placement == PAL_MEM_NOREPLACE ? MAP_FIXED_NOREPLACE
                                                   : 0);
        r = f->ops->mmap(f, &where, size, prot, fl, off);
    } else if (type != MAP_PRIVATE) {
        r = map_shared_anon(&where, size, prot, placement, &anon);
    } else {
        r = libos_errno_from_pal(pal_mem_alloc(&where, size, libos_pal_prot(prot), placement));
    }
    if (r < 0)
        return r == -EEXIST && !(flags & MAP_FIXED_NOREPLACE) ? -ENOMEM : r;
    uint64_t start = (uint64_t)where;
    struct linux_stat st = {0};
    struct pal_stream_attr a;
    if (f && f->ops->stat)
        f->ops->stat(f, &st);
    if (f && f->path)
        libos_vma_file_name_set(st.st_dev, st.st_ino, f->path); /* for /proc/self/maps */
    if (anon && pal_stream_attr_query_handle(anon, &a) == 0) {
        /* Shared anonymous memory is a file, as in Linux ("/dev/zero"):
         * shared futexes key on it, a checkpoint fork maps it again. */
        st.st_dev = a.dev, st.st_ino = a.inode;
        libos_vma_file_name_set(a.dev, a.inode, "/dev/zero (deleted)");
    } else if (anon) {
        pal_stream_close(anon);
        anon = NULL;
    }
    r = f || anon
            ? libos_vma_insert_file(start, start + size, prot, flags, st.st_dev, st.st_ino, off)
            : libos_vma_insert(start, start + size, prot, flags, VMA_ANON);
    if (r < 0) {
        if (anon)
            pal_stream_close(anon);
        pal_mem_free(where, size);
        return r;
    }
    if (type != MAP_PRIVATE && (f || anon))
        libos_shared_map_note(st.st_dev, st.st_ino, f, anon);
    return (long)start;
}

static long do_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off) {
    if (flags & MAP_ANONYMOUS)
        return libos_mm_map((uint64_t)addr, len, prot, flags, NULL, 0);
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -EBADF;
    long r = libos_mm_map((uint64_t)addr, len, prot, flags, f, (uint64_t)off);
    libos_file_put(f);
    return r;
}

long libos_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off) {
    mm_lock();
    long r = do_mmap(addr, len, prot, flags, fd, off);
    mm_unlock();
    return r;
}

/* Apply fn to every app-owned piece of [start, end). */
static long for_each_app_piece(uint64_t start, uint64_t end,
                               long (*fn)(uint64_t s, uint64_t e, void *arg), void *arg) {
    uint64_t at = start;
    struct libos_vma v;
    while (at < end) {
        if (!libos_vma_lookup(at, &v)) {
            at += LIBOS_PAGE_SIZE;
            continue;
        }
        uint64_t e = MIN(v.end, end);
        long r = fn(at, e, arg);
        if (r < 0)
            return r;
        at = e;
    }
    return 0;
}

static long unmap_piece(uint64_t s, uint64_t e, void *arg) {
    pal_mem_free((void *)s, e - s);
    return 0;
}

static long do_munmap(void *addr, size_t len) {
    uint64_t a = (uint64_t)addr;
    if ((a & (LIBOS_PAGE_SIZE - 1)) || !len)
        return -EINVAL;
    uint64_t end = ALIGN_UP(a + len, LIBOS_PAGE_SIZE);
    if (end < a)
        return -EINVAL;
    /* A MAP_GROWSDOWN mapping's guard is unmapped space for Linux: nothing
     * to unmap there. It goes with the mapping's bottom page. */
    struct libos_vma v, g;
    bool found = libos_vma_lookup(a, &v);
    if (found && is_stack_guard(&v) && end <= v.end)
        return 0;
    bool bottom = found && !is_stack_guard(&v) && (v.flags & MAP_GROWSDOWN) && v.start == a;
    /* Only app memory is released; libos memory in the range stays. */
    for_each_app_piece(a, end, unmap_piece, NULL);
    libos_vma_remove(a, end);
    if (bottom && libos_vma_lookup(a - LIBOS_PAGE_SIZE, &g) && is_stack_guard(&g) && g.end == a) {
        pal_mem_free((void *)g.start, g.end - g.start);
        libos_vma_remove(g.start, g.end);
    }
    return 0;
}

long libos_sys_munmap(void *addr, size_t len) {
    mm_lock();
    long r = do_munmap(addr, len);
    mm_unlock();
    return r;
}

static long protect_piece(uint64_t s, uint64_t e, void *arg) {
    int prot = *(int *)arg;
    struct libos_vma v;
    libos_vma_lookup(s, &v);
    if (v.kind == VMA_RESERVED)
        return -ENOMEM;
    long r = libos_errno_from_pal(pal_mem_protect((void *)s, e - s, libos_pal_prot(prot)));
    if (r < 0)
        return r;
    libos_vma_set_prot(s, e, prot);
    return 0;
}

static long do_mprotect(void *addr, size_t len, int prot) {
    uint64_t a = (uint64_t)addr;
    if (a & (LIBOS_PAGE_SIZE - 1))
        return -EINVAL;
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    uint64_t end = ALIGN_UP(a + len, LIBOS_PAGE_SIZE);
    if (end < a)
        return -ENOMEM;
    if (!libos_vma_covered(a, end))
        return -ENOMEM;
    return for_each_app_piece(a, end, protect_piece, &prot);
}

long libos_sys_mprotect(void *addr, size_t len, int prot) {
    mm_lock();
    long r = do_mprotect(addr, len, prot);
    mm_unlock();
    return r;
}

static long dontneed_piece(uint64_t s, uint64_t e, void *arg) {
    struct libos_vma v;
    libos_vma_lookup(s, &v);
    if (v.kind == VMA_FILE || (v.flags & MAP_TYPE) != MAP_PRIVATE)
        return 0; /* file-backed pages would be re-read; keep them */
    void *where = (void *)s;
    /* Fresh zero pages, like the kernel gives on the next touch. */
    return libos_errno_from_pal(
        pal_mem_alloc(&where, e - s, libos_pal_prot(v.prot), PAL_MEM_FIXED));
}

long libos_sys_madvise(void *addr, size_t len, int advice) {
    uint64_t a = (uint64_t)addr;
    if (a & (LIBOS_PAGE_SIZE - 1))
        return -EINVAL;
    uint64_t end = ALIGN_UP(a + len, LIBOS_PAGE_SIZE);
    switch (advice) {
    case MADV_DONTNEED:
        if (!libos_vma_covered(a, end))
            return -ENOMEM;
        return for_each_app_piece(a, end, dontneed_piece, NULL);
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_FREE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
        /* Hints only: correct to ignore (MADV_FREE may keep contents). */
        return libos_vma_covered(a, end) ? 0 : -ENOMEM;
    default:
        return -EINVAL;
    }
}

/* The program break: [g_brk_start, g_brk_cur) is RW app memory, up to
 * g_brk_max reserved (no access) so nothing else is placed there. */
static uint64_t g_brk_start, g_brk_cur, g_brk_max;
static struct libos_lock g_brk_lock = LIBOS_LOCK_INIT;

void libos_brk_init(uint64_t start, uint64_t max_size) {
    start = ALIGN_UP(start, LIBOS_PAGE_SIZE);
    void *where = (void *)start;
    /* Right after the program if there is room (as Linux does for
     * non-PIE programs); a PIE loaded by the PAL may have neighbours, so
     * then anywhere. */
    if (pal_mem_alloc(&where, max_size, PAL_PROT_NONE, PAL_MEM_NOREPLACE) < 0 &&
        pal_mem_alloc(&where, max_size, PAL_PROT_NONE, PAL_MEM_HINT) < 0) {
        log_warn("cannot reserve %lu bytes for brk; brk will fail", (unsigned long)max_size);
        g_brk_start = g_brk_cur = g_brk_max = start;
        return;
    }
    start = (uint64_t)where;
    libos_vma_insert(start, start + max_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_RESERVED);
    g_brk_start = g_brk_cur = start;
    g_brk_max = start + max_size;
}

void libos_brk_get(uint64_t *start, uint64_t *cur, uint64_t *max) {
    *start = g_brk_start, *cur = g_brk_cur, *max = g_brk_max;
}

/* A restored child: the memory is back already, only the bounds are not. */
void libos_brk_set(uint64_t start, uint64_t cur, uint64_t max) {
    g_brk_start = start, g_brk_cur = cur, g_brk_max = max;
}

static long do_brk(void *addr) {
    uint64_t want = (uint64_t)addr;
    libos_lock(&g_brk_lock);
    if (want < g_brk_start || want > g_brk_max) {
        want = g_brk_cur; /* Linux answers the current break on failure */
        goto out;
    }
    uint64_t old_top = ALIGN_UP(g_brk_cur, LIBOS_PAGE_SIZE);
    uint64_t new_top = ALIGN_UP(want, LIBOS_PAGE_SIZE);
    if (new_top > old_top) {
        if (!mem_limit_ok(0, 0, new_top - old_top)) {
            want = g_brk_cur;
            goto out;
        }
        if (pal_mem_protect((void *)old_top, new_top - old_top, PAL_PROT_READ | PAL_PROT_WRITE) <
            0) {
            want = g_brk_cur;
            goto out;
        }
        libos_vma_insert(old_top, new_top, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                         VMA_BRK);
    } else if (new_top < old_top) {
        /* Give the pages back zeroed and inaccessible. */
        void *where = (void *)new_top;
        pal_mem_alloc(&where, old_top - new_top, PAL_PROT_NONE, PAL_MEM_FIXED);
        libos_vma_insert(new_top, old_top, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_RESERVED);
    }
    g_brk_cur = want;
out:
    libos_unlock(&g_brk_lock);
    return (long)want;
}

long libos_sys_brk(void *addr) {
    mm_lock();
    long r = do_brk(addr);
    mm_unlock();
    return r;
}

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/* Shared file mappings on the Linux PAL are the host's page cache, so
 * they are already coherent with read/write; msync only has to check its
 * arguments. A PAL that maps files by copying must write back here. */
long libos_sys_msync(void *addr, size_t len, int flags) {
    uint64_t a = (uint64_t)addr;
    if ((a & (LIBOS_PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    uint64_t end = ALIGN_UP(a + len, LIBOS_PAGE_SIZE);
    if (end < a)
        return -ENOMEM;
    return libos_vma_covered(a, end) ? 0 : -ENOMEM;
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

/* Record v's attributes for [start, end), its contents having moved there
 * from v.start + (old offset). */
static long vma_move(const struct libos_vma *v, uint64_t old, uint64_t start, uint64_t end) {
    if (v->kind == VMA_FILE)
        return libos_vma_insert_file(start, end, v->prot, v->flags, v->file_dev, v->file_ino,
                                     v->file_off + (old - v->start));
    return libos_vma_insert(start, end, v->prot, v->flags, v->kind == VMA_BRK ? VMA_ANON : v->kind);
}

static long do_mremap(void *old_addr, size_t old_size, size_t new_size, int flags, void *new_addr) {
    uint64_t old = (uint64_t)old_addr, want = (uint64_t)new_addr;
    if ((old & (LIBOS_PAGE_SIZE - 1)) ||
        (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && (!(flags & MREMAP_MAYMOVE) || (want & (LIBOS_PAGE_SIZE - 1))))
        return -EINVAL;
    if (flags & MREMAP_DONTUNMAP)
        return -EINVAL; /* not offered: needs MAYMOVE of private anonymous memory only */
    old_size = ALIGN_UP(old_size, LIBOS_PAGE_SIZE);
    new_size = ALIGN_UP(new_size, LIBOS_PAGE_SIZE);
    if (!new_size || old + old_size < old)
        return -EINVAL;
    struct libos_vma v;
    /* The whole old range must be one mapping (Linux: EFAULT otherwise). */
    if (!libos_vma_lookup(old, &v) || old + MAX(old_size, LIBOS_PAGE_SIZE) > v.end ||
        v.kind == VMA_RESERVED)
        return -EFAULT;
    if (!old_size)
        return -EINVAL; /* duplicating shared mappings (old_size 0) is not offered */
    if (new_size > old_size && !mem_limit_ok(0, 0, new_size - old_size))
        return -ENOMEM;
    if (flags & MREMAP_FIXED) {
        if (want < old + old_size && old < want + new_size)
            return -EINVAL; /* overlapping source and target */
        long r = claim_fixed_range(want, want + new_size);
        if (r < 0)
            return r;
        void *to = (void *)want;
        r = libos_errno_from_pal(
            pal_mem_remap((void *)old, old_size, new_size, PAL_REMAP_FIXED, &to));
        if (r < 0)
            return r;
        libos_vma_remove(old, old + old_size);
        vma_move(&v, old, want, want + new_size);
        return (long)want;
    }
    if (new_size <= old_size) {
        if (new_size < old_size)
            do_munmap((void *)(old + new_size), old_size - new_size);
        return (long)old;
    }
    /* Grow in place when the pages after it are free. */
    if (range_free(old + old_size, old + new_size)) {
        void *to = (void *)old;
        if (pal_mem_remap((void *)old, old_size, new_size, 0, &to) == 0) {
            vma_move(&v, old, old, old + new_size);
            return (long)old;
        }
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    void *to = NULL;
    long r = libos_errno_from_pal(
        pal_mem_remap((void *)old, old_size, new_size, PAL_REMAP_MAYMOVE, &to));
    if (r < 0)
        return r;
    libos_vma_remove(old, old + old_size);
    vma_move(&v, old, (uint64_t)to, (uint64_t)to + new_size);
    return (long)to;
}

long libos_sys_mremap(void *old_addr, size_t old_size, size_t new_size, int flags, void *new_addr) {
    mm_lock();
    long r = do_mremap(old_addr, old_size, new_size, flags, new_addr);
    mm_unlock();
    return r;
}

/* Residency is the host's business: report every page of app memory as
 * resident, after checking the range as Linux does. */
long libos_sys_mincore(void *addr, size_t len, unsigned char *vec) {
    uint64_t a = (uint64_t)addr;
    if (a & (LIBOS_PAGE_SIZE - 1))
        return -EINVAL;
    uint64_t end = ALIGN_UP(a + len, LIBOS_PAGE_SIZE);
    if (end < a)
        return -ENOMEM;
    size_t pages = (end - a) / LIBOS_PAGE_SIZE;
    if (!libos_user_range_ok(vec, pages, true))
        return -EFAULT;
    if (!libos_vma_covered(a, end))
        return -ENOMEM;
    memset(vec, 1, pages);
    return 0;
}

#define MLOCK_ONFAULT 1
#define MCL_CURRENT 1
#define MCL_FUTURE 2
#define MCL_ONFAULT 4

/* Locking pages is a no-op here (the host may swap); arguments are checked
 * like Linux does. */
static long lock_range(void *addr, size_t len) {
    uint64_t a = ALIGN_DOWN((uint64_t)addr, LIBOS_PAGE_SIZE);
    uint64_t end = ALIGN_UP((uint64_t)addr + len, LIBOS_PAGE_SIZE);
    if (end < a)
        return -EINVAL;
    return libos_vma_covered(a, end) ? 0 : -ENOMEM;
}

long libos_sys_mlock(void *addr, size_t len) {
    return lock_range(addr, len);
}

long libos_sys_mlock2(void *addr, size_t len, int flags) {
    return (flags & ~MLOCK_ONFAULT) ? -EINVAL : lock_range(addr, len);
}

long libos_sys_munlock(void *addr, size_t len) {
    return lock_range(addr, len);
}

long libos_sys_mlockall(int flags) {
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
        return -EINVAL;
    return 0;
}

long libos_sys_munlockall(void) {
    return 0;
}

#define STACK_GROW_MAX (1UL << 20) /* how far below a stack a touch may grow it */

/* A fault just below a MAP_GROWSDOWN mapping grows it, as Linux does.
 * Returns true if the faulting access can be retried. */
bool libos_mm_grow_stack(uint64_t addr) {
    struct libos_vma v;
    uint64_t page = ALIGN_DOWN(addr, LIBOS_PAGE_SIZE);
    uint64_t probe = page;
    /* Find the growable mapping right above the fault, past its guard. */
    while (probe - page < STACK_GROW_MAX) {
        if (!libos_vma_lookup(probe, &v))
            probe += LIBOS_PAGE_SIZE;
        else if (is_stack_guard(&v))
            probe = v.end;
        else
            break;
    }
    if (probe - page >= STACK_GROW_MAX || !(v.flags & MAP_GROWSDOWN) || is_stack_guard(&v) ||
        v.start != probe || page >= v.start)
        return false;
    uint64_t limit = g_process.rlimits[RLIMIT_STACK].rlim_cur;
    if (limit != RLIM_INFINITY && v.end - page > limit)
        return false;
    /* The pages between: the guard's (made accessible) or free (mapped). */
    uint32_t prot = libos_pal_prot(v.prot);
    struct libos_vma g;
    if (libos_vma_lookup(page, &g)) {
        if (!is_stack_guard(&g) || g.end != v.start ||
            pal_mem_protect((void *)page, v.start - page, prot) < 0)
            return false;
        /* The guard moves down with the mapping where there is room. */
        void *more = (void *)(g.start - (v.start - page));
        if (g.start > v.start - page &&
            pal_mem_alloc(&more, v.start - page, PAL_PROT_NONE, PAL_MEM_NOREPLACE) == 0)
            libos_vma_insert((uint64_t)more, g.start, PROT_NONE, g.flags, VMA_RESERVED);
    } else {
        void *where = (void *)page; /* NOREPLACE: not through a guard's rest */
        if (pal_mem_alloc(&where, v.start - page, prot, PAL_MEM_NOREPLACE) < 0)
            return false;
    }
    libos_vma_insert(page, v.start, v.prot, v.flags, v.kind);
    return true;
}
