/* execve/execveat: the new program replaces the old one in this process.
 * Everything that can fail cleanly (finding the file, #! lines, the ELF
 * header, argument sizes) is checked while the old program still exists;
 * after that the old memory goes and a failure ends the process, as on
 * Linux. The new program starts when the syscall's register context is
 * replaced (the dispatcher then returns into it). */
#include "libos_elf.h"
#include "libos_fs.h"
#include "libos_futex.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_signal.h"
#include "libos_syscalls.h"

#define ARG_MAX_BYTES (2UL << 20)             /* what Linux allows with an 8 MiB stack */
#define ARG_STRLEN_MAX (32 * LIBOS_PAGE_SIZE) /* one string with its NUL (MAX_ARG_STRLEN) */
#define SHEBANG_MAX 256
#define SHEBANG_DEPTH 4

struct strvec {
    char **v;
    size_t n, cap, bytes; /* cap: slots in v, the final NULL's included */
};

static void strvec_free(struct strvec *s) {
    for (size_t i = 0; i < s->n; i++)
        libos_free(s->v[i]);
    libos_free(s->v);
    s->v = NULL;
    s->n = 0;
}

static long strvec_push(struct strvec *s, const char *str, size_t at) {
    if (s->n + 2 > s->cap) { /* doubling: a long environment is not copied over and over */
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **nv = libos_realloc(s->v, cap * sizeof(char *));
        if (!nv)
            return -ENOMEM;
        s->v = nv;
        s->cap = cap;
    }
    char *copy = libos_strdup(str);
    if (!copy)
        return -ENOMEM;
    memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(char *));
    s->v[at] = copy;
    s->n++;
    s->v[s->n] = NULL;
    s->bytes += strlen(str) + 1 + sizeof(char *);
    return s->bytes > ARG_MAX_BYTES ? -E2BIG : 0;
}

/* Copy an app string vector (NULL-ended); NULL vector = empty. Strings
 * go through a path-sized buffer (a heap size class); one longer than that
 * takes a buffer of Linux's limit, made only then (a host mapping). */
static long copy_vec(char *const *uv, struct strvec *out) {
    out->v = libos_calloc(16, sizeof(char *));
    if (!out->v)
        return -ENOMEM;
    out->cap = 16;
    char small[LIBOS_PATH_MAX], *big = NULL;
    long r = 0;
    for (size_t i = 0; uv && r == 0; i++) {
        if (!libos_user_range_ok(&uv[i], sizeof(char *), false)) {
            r = -EFAULT;
            break;
        }
        if (!uv[i])
            break;
        char *buf = small;
        long n = libos_copy_user_string(small, sizeof(small), uv[i]);
        if (n == -ENAMETOOLONG) {
            if (!big && !(big = libos_malloc(ARG_STRLEN_MAX))) {
                r = -ENOMEM;
                break;
            }
            buf = big;
            n = libos_copy_user_string(big, ARG_STRLEN_MAX, uv[i]);
        }
        r = n == -ENAMETOOLONG ? -E2BIG : n < 0 ? n : strvec_push(out, buf, out->n);
    }
    libos_free(big);
    return r;
}

/* If path is a "#!" script, rewrite argv for its interpreter and return
 * the interpreter's path in *next (heap); 0 when it is not a script. */
static long shebang(const char *path, struct strvec *argv, char **next) {
    struct libos_file *f;
    long r = libos_vfs_open(AT_FDCWD, path, O_RDONLY, 0, &f);
    if (r < 0)
        return r;
    char line[SHEBANG_MAX + 1];
    uint64_t pos = 0;
    int64_t n = f->ops->read ? f->ops->read(f, line, SHEBANG_MAX, &pos) : -EACCES;
    libos_file_put(f);
    *next = NULL;
    if (n < 2 || line[0] != '#' || line[1] != '!')
        return n < 0 ? n : 0;
    line[n] = '\0';
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    char *p = line + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return -ENOEXEC;
    char *interp = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    char *arg = NULL;
    if (*p) {
        *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p) { /* Linux passes the rest of the line as one argument */
            arg = p;
            size_t len = strlen(arg);
            while (len && (arg[len - 1] == ' ' || arg[len - 1] == '\t'))
                arg[--len] = '\0';
        }
    }
    /* argv becomes: interp [arg] path argv[1..] */
    if (argv->n) {
        libos_free(argv->v[0]);
        memmove(&argv->v[0], &argv->v[1], argv->n * sizeof(char *));
        argv->n--;
    }
    if ((r = strvec_push(argv, path, 0)) < 0 || (arg && (r = strvec_push(argv, arg, 0)) < 0) ||
        (r = strvec_push(argv, interp, 0)) < 0)
        return r;
    *next = libos_strdup(interp);
    return *next ? 1 : -ENOMEM;
}

/* May path be executed? Checks the file and its ELF header. */
static long check_executable(const char *path) {
    struct libos_file *f;
    elf64_ehdr eh;
    uint64_t size;
    long r = libos_elf_open(path, &f, &eh, &size);
    if (r == 0)
        libos_file_put(f);
    return r;
}

/* Drop every app mapping of the old program: one host unmap per run of
 * adjacent mappings (a program's segments and its bss are usually one). */
static void drop_old_memory(void) {
    struct libos_vma v;
    uint64_t at = 0;
    while (libos_vma_next(at, &v)) {
        uint64_t start = v.start, end = v.end;
        while (libos_vma_next(end, &v) && v.start == end)
            end = v.end;
        pal_mem_free((void *)start, end - start);
        libos_vma_remove(start, end);
        at = end;
    }
}

/* POSIX: caught signals go back to default; ignored ones stay ignored. */
static void reset_signals(struct libos_thread *t) {
    libos_lock(&g_process.lock);
    for (int i = 0; i < LINUX_NSIG; i++) {
        struct linux_sigaction *sa = &g_process.sigactions[i];
        if (sa->handler != SIG_IGN)
            *sa = (struct linux_sigaction){0};
    }
    libos_unlock(&g_process.lock);
    t->altstack_sp = t->altstack_size = 0;
    t->altstack_flags = 0;
}

/* The new program starts with clean x87/SSE/AVX state. */
static void reset_fpu(struct pal_context *ctx) {
    if (!ctx->fpregs)
        return;
    uint8_t *fx = ctx->fpregs;
    memset(fx, 0, 464);              /* keep the software-reserved words at 464..511 */
    *(uint16_t *)fx = 0x37f;         /* FCW */
    *(uint32_t *)(fx + 24) = 0x1f80; /* MXCSR */
    const uint32_t *sw = (const uint32_t *)(fx + 464);
    if (sw[0] == 0x46505853U && sw[1] > 512) /* XSAVE image: all components to init */
        *(uint64_t *)(fx + 512) = 0;
}

/* ------------------------------------------------- other threads (de_thread) */

static struct libos_thread *g_exec_thread; /* the thread running execve */

LIBOS_FORK_TEXT void libos_exec_doomed_check(void) {
    struct libos_thread *x = __atomic_load_n(&g_exec_thread, __ATOMIC_ACQUIRE);
    struct libos_thread *t = libos_current_thread();
    if (x && x != t && t && !t->internal)
        libos_thread_exit(0); /* never the last thread: the exec'ing one stays */
}

/* A pending SIGKILL makes every wait of t end; t then leaves on its way
 * back to the app (libos_exec_doomed_check runs before any delivery). */
static void doom(struct libos_thread *t, void *self) {
    if (t == self || t->exited)
        return;
    libos_lock(&g_process.lock);
    t->sigpending |= 1ULL << (SIGKILL - 1);
    libos_unlock(&g_process.lock);
    libos_thread_wake(t);
    if (t->pal_thread)
        pal_thread_interrupt(t->pal_thread);
}

/* Linux de_thread: the other threads are gone before the new image runs,
 * and the exec'ing thread takes the process's id as its tid. */
static void end_other_threads(struct libos_thread *self) {
    if (libos_thread_count_app() > 1) {
        __atomic_store_n(&g_exec_thread, self, __ATOMIC_RELEASE);
        while (libos_thread_count_app() > 1) {
            libos_thread_for_each(doom, self);
            uint64_t us = 1000;
            pal_event_wait(NULL, &us);
        }
        __atomic_store_n(&g_exec_thread, NULL, __ATOMIC_RELEASE);
    }
    self->tid = g_process.pid;
}

static long do_execve(const char *path, struct strvec *argv, struct strvec *envp) {
    char *exec = libos_strdup(path);
    if (!exec)
        return -ENOMEM;
    long r = 0;
    for (int depth = 0;; depth++) {
        char *next;
        r = shebang(exec, argv, &next);
        if (r <= 0)
            break;
        libos_free(exec);
        exec = next;
        if (depth == SHEBANG_DEPTH) {
            r = -ELOOP;
            break;
        }
    }
    if (r == 0)
        r = check_executable(exec);
    if (r < 0) {
        libos_free(exec);
        return r;
    }
    /* Point of no return. */
    struct libos_thread *t = libos_current_thread();
    end_other_threads(t);
    libos_fd_close_on_exec();
    reset_signals(t);
    drop_old_memory();
    struct libos_elf_image img, interp;
    bool has_interp;
    r = libos_elf_load_program(exec, &img, &interp, &has_interp);
    if (r < 0) {
        log_error("execve %s: the new program could not be loaded (error %ld)", exec, -r);
        libos_exit_by_signal(SIGSEGV);
    }
    uint64_t sp = libos_elf_setup_stack(&img, has_interp ? &interp : NULL, exec, argv->v, envp->v);
    const char *base = strrchr(exec, '/');
    libos_strlcpy(t->comm, base ? base + 1 : exec, sizeof(t->comm));
    libos_free(g_process.exec_path);
    g_process.exec_path = exec;
    struct pal_context *ctx = t->ctx;
    void *fpregs = ctx->fpregs;
    memset(ctx, 0, sizeof(*ctx));
    ctx->fpregs = fpregs;
    ctx->rip = has_interp ? interp.entry : img.entry;
    ctx->rsp = sp;
    ctx->rflags = 0x202; /* IF, as a fresh process starts */
    reset_fpu(ctx);
    return 0;
}

static long execve_common(const char *path, char *const *uargv, char *const *uenvp) {
    struct strvec argv = {0}, envp = {0};
    long r = copy_vec(uargv, &argv);
    if (r == 0)
        r = copy_vec(uenvp, &envp);
    if (r == 0 && argv.bytes + envp.bytes > ARG_MAX_BYTES)
        r = -E2BIG;
    if (r == 0) {
        r = do_execve(path, &argv, &envp);
    }
    strvec_free(&argv);
    strvec_free(&envp);
    if (r < 0) /* the old program continues: hand it the error */
        libos_current_thread()->ctx->rax = (uint64_t)r;
    return r;
}

long libos_sys_execve(const char *upath, char *const *uargv, char *const *uenvp) {
    char path[LIBOS_PATH_MAX];
    long r = libos_copy_user_string(path, sizeof(path), upath);
    if (r < 0) {
        libos_current_thread()->ctx->rax = (uint64_t)r;
        return r;
    }
    if (!path[0]) {
        libos_current_thread()->ctx->rax = (uint64_t)-ENOENT;
        return -ENOENT;
    }
    return execve_common(path, uargv, uenvp);
}

long libos_sys_execveat(int dirfd, const char *upath, char *const *uargv, char *const *uenvp,
                        int flags) {
    char path[LIBOS_PATH_MAX];
    struct libos_thread *t = libos_current_thread();
    long r = libos_copy_user_string(path, sizeof(path), upath);
    if (r >= 0 && (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)))
        r = -EINVAL;
    if (r >= 0 && (path[0] != '/' || (!path[0] && (flags & AT_EMPTY_PATH)))) {
        /* Relative to dirfd (or dirfd itself): build the absolute path. */
        struct libos_file *f = dirfd == AT_FDCWD ? NULL : libos_fd_get(dirfd);
        const char *base = dirfd == AT_FDCWD ? libos_vfs_cwd() : f ? f->path : NULL;
        char full[LIBOS_PATH_MAX];
        if (!base)
            r = -EBADF;
        else if (!path[0])
            r = (long)libos_strlcpy(full, base, sizeof(full));
        else
            r = libos_snprintf(full, sizeof(full), "%s/%s", base, path);
        if (f)
            libos_file_put(f);
        if (r >= (long)sizeof(full))
            r = -ENAMETOOLONG;
        else if (r >= 0)
            libos_strlcpy(path, full, sizeof(path));
    }
    if (r >= 0 && !path[0])
        r = -ENOENT;
    if (r < 0) {
        t->ctx->rax = (uint64_t)r;
        return r;
    }
    return execve_common(path, uargv, uenvp);
}
