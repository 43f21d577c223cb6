/* The portable fork: checkpoint and restore. The parent writes its libos
 * state and the app's memory to a new, empty instance of the libos made by
 * pal_process_create; that instance rebuilds them and resumes the forking
 * thread with fork() returning 0. Used where the PAL has no fast fork, or
 * when the manifest asks for it (sys.fork = "checkpoint").
 *
 * The stream carries, in order: a header and the manifest text, the
 * process and thread records, the memory map with a memfd holding the
 * pages' contents, the open files (their PAL handles ride along), and an
 * end mark. Both ends are the same build, so records are plain structs.
 * The child answers with one word: 0, or the errno that stopped it. */
#include "libos_checkpoint.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_net.h"
#include "libos_proc.h"
#include "libos_signal.h"
#include "libos_syscalls.h"
#include "libos_time.h"
#include "libos_vfs.h"

#define CK_MAGIC 0x73636b70U /* "pkcs" */
#define CK_VERSION 1
#define CK_END 0xffffffffU

struct ck_header {
    uint32_t magic, version;
    uint32_t layout; /* ck_layout(): both ends must be the same build */
    uint64_t manifest_size;
    int32_t log_level;
    uint32_t name_len;
};

struct ck_process {
    uint32_t pid, ppid, pgid, sid;
    uint32_t uid, gid, euid, egid, suid, sgid, umask;
    int32_t pdeathsig, dumpable;
    uint8_t no_new_privs;
    struct linux_rlimit rlimits[RLIMIT_NLIMITS];
    struct linux_sigaction sigactions[LINUX_NSIG];
    uint64_t brk_start, brk_cur, brk_max;
    uint64_t vdso_base;
};

struct ck_thread {
    struct pal_context ctx; /* fpregs: see fx */
    uint8_t fx[512] __attribute__((aligned(16)));
    uint8_t has_fx;
    uint64_t fs_base, sigmask, robust_list, clear_child_tid, set_child_tid;
    uint64_t altstack_sp, altstack_size;
    uint32_t altstack_flags;
    char comm[16];
};

/* One mapping; its non-zero pages follow as nruns ck_run records. A
 * shared file mapping is mapped again instead: from its handle, which
 * follows, or else from its path, which follows. */
enum { REMAP_NONE = 0, REMAP_HANDLE, REMAP_PATH };
struct ck_vma {
    struct libos_vma v;
    uint32_t nruns;
    uint8_t remap;
};
struct ck_run {
    uint64_t addr, len, data_off; /* data_off: where in the memfd */
};

/* One open file description; fds pointing to it refer to its index. */
struct ck_file {
    uint32_t kind; /* enum libos_ckpt_kind */
    uint32_t flags;
    uint64_t pos;
    uint8_t has_handle;
    uint32_t seals;     /* memfd */
    uint32_t state_len; /* socket state bytes that follow the path */
};
struct ck_fd {
    int32_t fd; /* CK_END after the last */
    uint32_t file;
    uint8_t cloexec;
};

/* The record sizes: a parent and a child loader from different builds
 * (a stale sabot-pal-child) refuse each other instead of misreading. */
static uint32_t ck_layout(void) {
    return (uint32_t)(sizeof(struct ck_process) * 31 + sizeof(struct ck_thread) * 7 +
                      sizeof(struct ck_vma) * 5 + sizeof(struct ck_file) * 3 +
                      sizeof(struct ck_fd));
}

/* ------------------------------------------------------------- stream I/O */

static long wait_for(pal_handle_t *s, uint32_t ev) {
    uint32_t got = 0;
    int r = pal_wait_handles(1, &s, &ev, &got, NULL);
    return r < 0 && r != -PAL_ERR_INTERRUPTED ? libos_errno_from_pal(r) : 0;
}

/* The stream is non-blocking: r from a PAL call on it means "wait for ev
 * and call again" (1), or it is final (0), or the wait failed (<0). */
static long again(pal_handle_t *s, int64_t r, uint32_t ev) {
    if (r != -PAL_ERR_AGAIN && r != -PAL_ERR_INTERRUPTED)
        return 0;
    long w = wait_for(s, ev);
    return w < 0 ? w : 1;
}

/* Moves exactly len bytes. Reads never take more: a handle sent after
 * them must stay where it is. */
static long ck_move(pal_handle_t *s, void *buf, size_t len, bool write) {
    char *p = buf;
    while (len) {
        int64_t n = write ? pal_stream_write(s, PAL_OFFSET_NONE, p, len)
                          : pal_stream_read(s, PAL_OFFSET_NONE, p, len);
        long w = again(s, n, write ? PAL_WAIT_WRITE : PAL_WAIT_READ);
        if (w < 0)
            return w;
        if (w)
            continue;
        if (n <= 0)
            return n < 0 ? libos_errno_from_pal((int)n) : -EPIPE;
        p += n;
        len -= n;
    }
    return 0;
}

static long ck_write(pal_handle_t *s, const void *buf, size_t len) {
    return ck_move(s, (void *)buf, len, true);
}

static long ck_read(pal_handle_t *s, void *buf, size_t len) {
    return ck_move(s, buf, len, false);
}

static long ck_send_handle(pal_handle_t *s, pal_handle_t *h) {
    int r;
    long w;
    while ((w = again(s, r = pal_stream_send_handle(s, h), PAL_WAIT_WRITE)) == 1)
        ;
    return w < 0 ? w : r < 0 ? libos_errno_from_pal(r) : 0;
}

static long ck_recv_handle(pal_handle_t *s, pal_handle_t **h) {
    int r;
    long w;
    while ((w = again(s, r = pal_stream_recv_handle(s, h), PAL_WAIT_READ)) == 1)
        ;
    return w < 0 ? w : r < 0 ? libos_errno_from_pal(r) : 0;
}

static long ck_write_str(pal_handle_t *s, const char *str) {
    uint32_t len = str ? strlen(str) : 0;
    long r = ck_write(s, &len, sizeof(len));
    return r < 0 ? r : ck_write(s, str, len);
}

/* A string of at most max bytes, NUL-terminated, in a new buffer. */
static long ck_read_str(pal_handle_t *s, size_t max, char **out) {
    uint32_t len;
    long r = ck_read(s, &len, sizeof(len));
    if (r < 0)
        return r;
    if (len > max)
        return -EINVAL;
    char *str = libos_malloc(len + 1);
    if (!str)
        return -ENOMEM;
    r = ck_read(s, str, len);
    if (r < 0) {
        libos_free(str);
        return r;
    }
    str[len] = '\0';
    *out = str;
    return 0;
}

/* --------------------------------------------------------------- memory */

static bool page_is_zero(const uint64_t *p) {
    for (size_t i = 0; i < LIBOS_PAGE_SIZE / 8; i++)
        if (p[i])
            return false;
    return true;
}

struct mem_writer {
    pal_handle_t *data; /* the memfd with the contents */
    uint64_t data_off;
    struct ck_run *runs; /* of the mapping being copied */
    uint32_t nruns, cap;
};

static long add_run(struct mem_writer *w, uint64_t a, uint64_t b) {
    if (w->nruns == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 64;
        struct ck_run *n = libos_realloc(w->runs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        w->runs = n;
        w->cap = cap;
    }
    w->runs[w->nruns++] = (struct ck_run){a, b - a, w->data_off};
    for (uint64_t done = 0; done < b - a;) {
        int64_t k = pal_stream_write(w->data, w->data_off, (void *)(a + done), b - a - done);
        if (k <= 0)
            return k < 0 ? libos_errno_from_pal((int)k) : -EIO;
        done += k;
        w->data_off += k;
    }
    return 0;
}

/* Copies the runs of non-zero pages of [start, end) into the memfd, in one
 * pass: other threads keep writing, so the runs are what this pass saw. */
static long copy_runs(struct mem_writer *w, uint64_t start, uint64_t end) {
    w->nruns = 0;
    for (uint64_t a = start; a < end;) {
        while (a < end && page_is_zero((const uint64_t *)a))
            a += LIBOS_PAGE_SIZE;
        uint64_t b = a;
        while (b < end && !page_is_zero((const uint64_t *)b))
            b += LIBOS_PAGE_SIZE;
        if (b > a) {
            long r = add_run(w, a, b);
            if (r < 0)
                return r;
        }
        a = b;
    }
    return 0;
}

static bool readable(const struct libos_vma *v) {
    return v->prot & (PROT_READ | PROT_EXEC);
}

static bool shared_file(const struct libos_vma *v) {
    return v->kind == VMA_FILE && (v->flags & MAP_SHARED);
}

/* VMAs are copied out first: writing runs must not hold the VMA lock. */
struct vma_list {
    struct libos_vma *v;
    size_t n, cap;
    bool failed; /* out of memory: the fork fails */
};

static void collect_vma(const struct libos_vma *v, void *arg) {
    struct vma_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct libos_vma *nv = libos_realloc(l->v, cap * sizeof(*nv));
        if (!nv) {
            l->failed = true;
            return;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *v;
}

static long send_memory_frozen(pal_handle_t *s) {
    struct vma_list l = {0};
    libos_vma_for_each(collect_vma, &l);
    if (l.failed) {
        libos_free(l.v);
        return -ENOMEM;
    }
    pal_handle_t *data;
    long r = libos_errno_from_pal(
        pal_stream_open("memfd:sabot-fork", PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &data));
    if (r < 0) {
        libos_free(l.v);
        return r;
    }
    struct mem_writer w = {data};
    uint32_t count = l.n;
    r = ck_write(s, &count, sizeof(count));
    if (!r)
        r = ck_send_handle(s, data);
    for (size_t i = 0; i < l.n && !r; i++) {
        struct ck_vma cv = {.v = l.v[i]};
        const struct libos_vma *v = &cv.v;
        pal_handle_t *mh =
            shared_file(v) ? libos_shared_map_handle(v->file_dev, v->file_ino) : NULL;
        cv.remap = mh ? REMAP_HANDLE : shared_file(v) ? REMAP_PATH : REMAP_NONE;
        bool copy = readable(v) && cv.remap == REMAP_NONE;
        r = copy ? copy_runs(&w, v->start, v->end) : 0;
        cv.nruns = copy ? w.nruns : 0;
        if (!r)
            r = ck_write(s, &cv, sizeof(cv));
        if (!r && cv.remap == REMAP_HANDLE)
            r = ck_send_handle(s, mh);
        if (!r && cv.remap == REMAP_PATH) {
            char path[LIBOS_PATH_MAX];
            r = ck_write_str(
                s, libos_vma_file_name(v->file_dev, v->file_ino, path, sizeof(path)) ? path : NULL);
        }
        if (!r && copy)
            r = ck_write(s, w.runs, cv.nruns * sizeof(*w.runs));
    }
    pal_stream_close(data); /* the child holds its own reference */
    libos_free(w.runs);
    libos_free(l.v);
    return r;
}

/* The other threads run on, but none changes the address space meanwhile
 * (as under Linux's mmap_lock). */
static long send_memory(pal_handle_t *s) {
    libos_mm_freeze();
    long r = send_memory_frozen(s);
    libos_mm_thaw();
    return r;
}

static long restore_shared_file(const struct libos_vma *v, const char *path) {
    struct libos_file *f;
    int fl = (v->prot & PROT_WRITE) ? O_RDWR : O_RDONLY;
    long r = path[0] ? libos_vfs_open(AT_FDCWD, path, fl, 0, &f) : -ENOENT;
    if (r < 0) {
        log_warn("fork: cannot map %s again in the child (%ld)", path[0] ? path : "a file", r);
        return r;
    }
    r = libos_mm_map(v->start, v->end - v->start, v->prot, v->flags | MAP_FIXED, f, v->file_off);
    libos_file_put(f);
    return r < 0 ? r : 0;
}

static long restore_vma(pal_handle_t *s, pal_handle_t *data, const struct ck_vma *cv) {
    const struct libos_vma *v = &cv->v;
    if (v->end <= v->start || (v->start | v->end) & (LIBOS_PAGE_SIZE - 1))
        return -EINVAL;
    if (cv->remap == REMAP_HANDLE) {
        pal_handle_t *h;
        long r = ck_recv_handle(s, &h);
        if (r < 0)
            return r;
        void *addr = (void *)v->start;
        r = libos_errno_from_pal(pal_stream_map(h, &addr, libos_pal_prot(v->prot),
                                                PAL_MAP_SHARED | PAL_MEM_NOREPLACE, v->file_off,
                                                v->end - v->start));
        if (r == 0)
            r = libos_vma_insert_file(v->start, v->end, v->prot, v->flags, v->file_dev, v->file_ino,
                                      v->file_off);
        if (r == 0) {
            libos_shared_map_note(v->file_dev, v->file_ino, NULL, h); /* for our own forks */
            return 0;
        }
        pal_stream_close(h);
        log_error("fork: the child cannot map shared memory at %#lx again (%ld)", (long)v->start,
                  r);
        return r;
    }
    if (cv->remap == REMAP_PATH) {
        char *path;
        long r = ck_read_str(s, LIBOS_PATH_MAX, &path);
        if (r < 0)
            return r;
        r = restore_shared_file(v, path);
        libos_free(path);
        return r;
    }
    void *addr = (void *)v->start;
    size_t len = v->end - v->start;
    long r = libos_errno_from_pal(
        pal_mem_alloc(&addr, len, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MEM_NOREPLACE));
    if (r < 0) {
        log_error("fork: the child cannot place memory at %#lx (%ld)", (long)v->start, r);
        return r;
    }
    for (uint32_t i = 0; i < cv->nruns && !r; i++) {
        struct ck_run run;
        r = ck_read(s, &run, sizeof(run));
        if (r < 0)
            break;
        if (run.addr < v->start || run.len > v->end - run.addr)
            return -EINVAL;
        for (uint64_t done = 0; done < run.len;) {
            int64_t k = pal_stream_read(data, run.data_off + done, (void *)(run.addr + done),
                                        run.len - done);
            if (k <= 0)
                return k < 0 ? libos_errno_from_pal((int)k) : -EIO;
            done += k;
        }
    }
    if (r < 0)
        return r;
    r = libos_errno_from_pal(pal_mem_protect(addr, len, libos_pal_prot(v->prot)));
    if (r < 0)
        return r;
    return v->kind == VMA_FILE ? libos_vma_insert_file(v->start, v->end, v->prot, v->flags,
                                                       v->file_dev, v->file_ino, v->file_off)
                               : libos_vma_insert(v->start, v->end, v->prot, v->flags, v->kind);
}

static long restore_memory(pal_handle_t *s) {
    uint32_t count;
    pal_handle_t *data;
    long r = ck_read(s, &count, sizeof(count));
    if (r < 0)
        return r;
    r = ck_recv_handle(s, &data);
    if (r < 0)
        return r;
    for (uint32_t i = 0; i < count && !r; i++) {
        struct ck_vma cv;
        r = ck_read(s, &cv, sizeof(cv));
        if (!r)
            r = restore_vma(s, data, &cv);
    }
    pal_stream_close(data);
    return r;
}

/* ---------------------------------------------------------------- files */

struct file_map {
    struct libos_file **f;
    size_t n, cap;
};

static long file_map_find(const struct file_map *m, const struct libos_file *f) {
    for (size_t i = 0; i < m->n; i++)
        if (m->f[i] == f)
            return i;
    return -1;
}

/* Appends f (NULL too: a file the child could not rebuild keeps its slot). */
static long file_map_add(struct file_map *m, struct libos_file *f) {
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        struct libos_file **nf = libos_realloc(m->f, cap * sizeof(*nf));
        if (!nf)
            return -ENOMEM;
        m->f = nf;
        m->cap = cap;
    }
    m->f[m->n] = f;
    return m->n++;
}

static long send_file(pal_handle_t *s, struct libos_file *f) {
    char state[LIBOS_CKPT_STATE_MAX];
    struct ck_file cf = {
        .kind = f->ops->ckpt_kind,
        .flags = f->flags,
        .pos = f->pos,
        .has_handle = f->handle && f->ops->ckpt_kind != LIBOS_CKPT_PATH_ONLY,
        .seals = libos_memfd_file_seals(f),
        .state_len = libos_socket_ckpt_state(f, state, sizeof(state)),
    };
    if (cf.kind == LIBOS_CKPT_NONE)
        cf.has_handle = false;
    long r = ck_write(s, &cf, sizeof(cf));
    if (!r)
        r = ck_write_str(s, f->path);
    if (!r)
        r = ck_write(s, state, cf.state_len);
    if (!r && cf.has_handle)
        r = ck_send_handle(s, f->handle);
    return r;
}

static long send_files(pal_handle_t *s) {
    struct file_map m = {0};
    long r = 0;
    for (int fd = libos_fd_next_used(0); fd >= 0 && !r; fd = libos_fd_next_used(fd + 1)) {
        struct libos_file *f = libos_fd_get(fd);
        if (!f)
            continue;
        long idx = file_map_find(&m, f);
        bool is_new = idx < 0;
        if (is_new && (idx = file_map_add(&m, f)) < 0)
            r = idx;
        struct ck_fd cfd = {fd, (uint32_t)idx, libos_fd_get_cloexec(fd) > 0};
        if (!r)
            r = ck_write(s, &cfd, sizeof(cfd));
        if (!r && is_new)
            r = send_file(s, f);
        libos_file_put(f);
    }
    struct ck_fd end = {(int32_t)CK_END};
    if (!r)
        r = ck_write(s, &end, sizeof(end));
    libos_free(m.f);
    return r;
}

static int console_index(const char *path) {
    return !strcmp(path, "/dev/stdin") ? 0 : !strcmp(path, "/dev/stdout") ? 1 : 2;
}

/* Rebuild one open file in the child. Files without a way across (libos
 * objects such as epoll or eventfd instances) come back closed, logged. */
static long restore_file(const struct ck_file *cf, const char *path, const void *state,
                         pal_handle_t *h, struct libos_file **out) {
    long r = -EOPNOTSUPP;
    int flags = cf->flags;
    switch (cf->kind) {
    case LIBOS_CKPT_CONSOLE:
        r = h ? libos_console_file_new(console_index(path), h, out) : -EINVAL;
        if (r == 0)
            h = NULL; /* the console file uses it from now on */
        break;
    case LIBOS_CKPT_MEMFD:
        r = h ? libos_memfd_file_from_handle(h, cf->seals, out) : -EINVAL;
        if (r == 0)
            h = NULL;
        break;
    case LIBOS_CKPT_STREAM:
        if (h && cf->state_len) {
            r = libos_socket_ckpt_restore(h, state, cf->state_len, flags, out);
        } else {
            *out = h ? libos_file_from_handle(h) : NULL;
            r = *out ? 0 : -EINVAL;
        }
        h = NULL; /* taken (or closed) */
        break;
    case LIBOS_CKPT_PATH:
    case LIBOS_CKPT_PATH_ONLY:
        r = libos_vfs_open(AT_FDCWD, path, flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0, out);
        if (r == 0 && h && (*out)->handle) {
            /* The parent's host description: shared position, as on Linux. */
            pal_stream_close((*out)->handle);
            (*out)->handle = h;
            h = NULL;
        }
        break;
    }
    if (h)
        pal_stream_close(h);
    if (r < 0)
        return r;
    (*out)->flags = flags;
    (*out)->pos = cf->pos;
    return 0;
}

static long restore_files(pal_handle_t *s) {
    struct file_map m = {0};
    long r = 0;
    for (int fd = libos_fd_next_used(0); fd >= 0; fd = libos_fd_next_used(fd + 1))
        libos_fd_close(fd); /* the boot stdio of this instance */
    for (;;) {
        struct ck_fd cfd;
        r = ck_read(s, &cfd, sizeof(cfd));
        if (r < 0 || cfd.fd == (int32_t)CK_END)
            break;
        struct libos_file *f = NULL;
        if (cfd.file > m.n) {
            r = -EINVAL;
            break;
        }
        if (cfd.file == m.n) {
            struct ck_file cf;
            char *path = NULL, state[LIBOS_CKPT_STATE_MAX];
            pal_handle_t *h = NULL;
            r = ck_read(s, &cf, sizeof(cf));
            if (!r)
                r = ck_read_str(s, LIBOS_PATH_MAX, &path);
            if (!r)
                r = cf.state_len <= sizeof(state) ? ck_read(s, state, cf.state_len) : -EINVAL;
            if (!r && cf.has_handle)
                r = ck_recv_handle(s, &h);
            if (r < 0) {
                libos_free(path);
                break;
            }
            log_debug("fork: fd %d: kind %u flags %#x path %s handle %d", cfd.fd, cf.kind, cf.flags,
                      path, cf.has_handle);
            long e = restore_file(&cf, path, state, h, &f);
            if (e < 0)
                log_warn("fork: fd %d (%s) cannot be carried to the child (%ld): closed there",
                         cfd.fd, path[0] ? path : "anonymous", e);
            libos_free(path);
            r = file_map_add(&m, f);
            if (r < 0) {
                if (f)
                    libos_file_put(f);
                break;
            }
            r = 0;
        }
        f = m.f[cfd.file];
        if (f)
            libos_fd_install_at(cfd.fd, f, cfd.cloexec);
    }
    for (size_t i = 0; i < m.n; i++)
        if (m.f[i])
            libos_file_put(m.f[i]);
    libos_free(m.f);
    return r;
}

/* ------------------------------------------------------------ the parent */

static void fill_process(struct ck_process *p, uint32_t child_pid) {
    p->pid = child_pid;
    p->ppid = g_process.pid;
    p->pgid = g_process.pgid;
    p->sid = g_process.sid;
    p->uid = g_process.uid, p->gid = g_process.gid;
    p->euid = g_process.euid, p->egid = g_process.egid;
    p->suid = g_process.suid, p->sgid = g_process.sgid;
    p->umask = g_process.umask;
    p->pdeathsig = 0; /* not inherited by fork */
    p->dumpable = g_process.dumpable;
    p->no_new_privs = g_process.no_new_privs;
    memcpy(p->rlimits, g_process.rlimits, sizeof(p->rlimits));
    memcpy(p->sigactions, g_process.sigactions, sizeof(p->sigactions));
    libos_brk_get(&p->brk_start, &p->brk_cur, &p->brk_max);
    p->vdso_base = libos_vdso_base();
}

static void fill_thread(struct ck_thread *t, const struct ck_fork_args *a) {
    struct libos_thread *self = libos_current_thread();
    t->ctx = *self->ctx;
    t->ctx.fpregs = NULL;
    if (self->ctx->fpregs) {
        memcpy(t->fx, self->ctx->fpregs, sizeof(t->fx)); /* XSAVE starts with FXSAVE */
        t->has_fx = 1;
    }
    t->ctx.rax = 0; /* fork() returns 0 in the child */
    if (a->newsp)
        t->ctx.rsp = a->newsp;
    pal_segment_base_get(PAL_SEG_FS, &t->fs_base);
    if (a->set_tls)
        t->fs_base = a->tls;
    t->sigmask = self->sigmask;
    t->robust_list = (uint64_t)self->robust_list;
    t->clear_child_tid = (uint64_t)a->clear_child_tid;
    t->set_child_tid = (uint64_t)a->set_child_tid;
    t->altstack_sp = self->altstack_sp;
    t->altstack_size = self->altstack_size;
    t->altstack_flags = self->altstack_flags;
    memcpy(t->comm, self->comm, sizeof(t->comm));
}

static long send_checkpoint(pal_handle_t *s, uint32_t child_pid, const struct ck_fork_args *a) {
    struct ck_header h = {CK_MAGIC,    CK_VERSION,
                          ck_layout(), g_manifest_text_size,
                          g_log_level, (uint32_t)strlen(g_manifest->name ? g_manifest->name : "")};
    struct ck_process p;
    struct ck_thread t = {0};
    char cwd[LIBOS_PATH_MAX];
    fill_process(&p, child_pid);
    fill_thread(&t, a);
    long r = libos_vfs_get_cwd(cwd, sizeof(cwd));
    if (r < 0)
        return r;
    r = ck_write(s, &h, sizeof(h));
    if (!r)
        r = ck_write(s, g_manifest_text, h.manifest_size);
    if (!r)
        r = ck_write(s, g_manifest->name, h.name_len);
    if (!r) /* the shared tmpfs's host directory, before the child mounts */
        r = ck_write_str(s, libos_tmpfs_host_dir());
    if (!r)
        r = ck_write(s, &p, sizeof(p));
    if (!r)
        r = ck_write(s, &t, sizeof(t));
    if (!r)
        r = ck_write_str(s, cwd);
    if (!r)
        r = ck_write_str(s, g_process.exec_path);
    if (!r)
        r = send_memory(s);
    if (!r)
        r = send_files(s);
    if (!r)
        r = ck_send_handle(s, libos_proc_table_handle());
    int32_t answer;
    if (!r)
        r = ck_read(s, &answer, sizeof(answer));
    return r < 0 ? r : answer;
}

long libos_checkpoint_fork(uint32_t child_pid, const struct ck_fork_args *a,
                           pal_handle_t **stream) {
    pal_handle_t *s;
    long r = libos_errno_from_pal(pal_process_create(NULL, &s));
    if (r < 0)
        return r == -EOPNOTSUPP || r == -ENOSYS ? -ENOSYS : r;
    r = send_checkpoint(s, child_pid, a);
    if (r < 0) {
        log_warn("fork: the checkpoint did not reach the child (%ld)", r);
        pal_stream_close(s); /* the child ends when it sees the stream end */
        return r == -EPIPE ? -EAGAIN : r;
    }
    *stream = s;
    return 0;
}

/* ------------------------------------------------------------- the child */

static void restore_fail(pal_handle_t *s, long err) {
    int32_t answer = (int32_t)(err < 0 ? err : -EIO);
    log_error("fork: the checkpoint could not be restored (%ld)", err);
    ck_write(s, &answer, sizeof(answer));
    pal_process_exit(126);
}

static void apply_process(const struct ck_process *p) {
    g_process.pid = p->pid;
    g_process.ppid = p->ppid;
    g_process.pgid = p->pgid;
    g_process.sid = p->sid;
    g_process.uid = p->uid, g_process.gid = p->gid;
    g_process.euid = p->euid, g_process.egid = p->egid;
    g_process.suid = p->suid, g_process.sgid = p->sgid;
    g_process.umask = p->umask;
    g_process.pdeathsig = p->pdeathsig;
    g_process.dumpable = p->dumpable;
    g_process.no_new_privs = p->no_new_privs;
    memcpy(g_process.rlimits, p->rlimits, sizeof(p->rlimits));
    memcpy(g_process.sigactions, p->sigactions, sizeof(p->sigactions));
}

static void apply_thread(const struct ck_thread *t) {
    struct libos_thread *self = libos_current_thread();
    self->sigmask = t->sigmask;
    self->robust_list = (void *)t->robust_list;
    self->clear_child_tid = (uint32_t *)t->clear_child_tid;
    self->altstack_sp = t->altstack_sp;
    self->altstack_size = t->altstack_size;
    self->altstack_flags = t->altstack_flags;
    memcpy(self->comm, t->comm, sizeof(self->comm));
}

void libos_restore(const struct pal_boot_info *boot) {
    pal_handle_t *s = boot->parent_stream;
    struct ck_header h;
    static struct ck_process p;
    static struct ck_thread t;
    long r = ck_read(s, &h, sizeof(h));
    if (r == 0 && (h.magic != CK_MAGIC || h.version != CK_VERSION || h.layout != ck_layout()))
        log_error("fork: the child loader is from another build of sabot (rebuild it)");
    if (r < 0 || h.magic != CK_MAGIC || h.version != CK_VERSION || h.layout != ck_layout() ||
        h.manifest_size > (64 << 20) || h.name_len > 4096)
        restore_fail(s, r < 0 ? r : -EINVAL);
    char *text = libos_malloc(h.manifest_size + 1), *name = libos_malloc(h.name_len + 1);
    if (!text || !name)
        restore_fail(s, -ENOMEM);
    r = ck_read(s, text, h.manifest_size);
    if (!r)
        r = ck_read(s, name, h.name_len);
    if (r < 0)
        restore_fail(s, r);
    text[h.manifest_size] = name[h.name_len] = '\0';
    char *tmpfs_dir = NULL;
    r = ck_read_str(s, LIBOS_PATH_MAX, &tmpfs_dir);
    if (r < 0)
        restore_fail(s, r);
    libos_tmpfs_set_host_dir(tmpfs_dir);
    libos_free(tmpfs_dir);
    g_log_level = h.log_level;
    libos_init_instance(text, h.manifest_size, name);

    char *cwd = NULL, *exe = NULL;
    r = ck_read(s, &p, sizeof(p));
    if (!r)
        r = ck_read(s, &t, sizeof(t));
    if (!r)
        r = ck_read_str(s, LIBOS_PATH_MAX, &cwd);
    if (!r)
        r = ck_read_str(s, LIBOS_PATH_MAX, &exe);
    if (r < 0)
        restore_fail(s, r);
    apply_process(&p);
    apply_thread(&t);
    g_process.exec_path = exe;
    libos_vfs_set_cwd(cwd);
    libos_free(cwd);
    r = restore_memory(s);
    if (!r)
        r = restore_files(s);
    pal_handle_t *table = NULL;
    if (!r)
        r = ck_recv_handle(s, &table);
    if (!r)
        r = libos_proc_table_attach(table);
    if (r < 0)
        restore_fail(s, r);
    libos_brk_set(p.brk_start, p.brk_cur, p.brk_max);
    if (p.vdso_base)
        libos_vdso_restore(p.vdso_base);
    libos_thread_after_fork(p.pid);
    libos_proc_restored(p.pid, p.ppid, s);
    int32_t ok = 0;
    r = ck_write(s, &ok, sizeof(ok));
    if (r < 0)
        restore_fail(s, r);
    int *tidp = (int *)t.set_child_tid;
    if (tidp && libos_user_range_ok(tidp, sizeof(int), true))
        *tidp = (int)p.pid;
    pal_segment_base_set(PAL_SEG_FS, t.fs_base);
    libos_context_jump(&t.ctx, t.has_fx ? t.fx : NULL);
}
