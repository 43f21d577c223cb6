/* strace-like syscall trace (--trace): one line per call, arguments decoded
 * by the format string in the syscall table. */
#include "shim.h"

struct tbuf {
    char s[1024];
    size_t n;
};

static void tput(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tput(struct tbuf *b, const char *fmt, ...) {
    if (b->n >= sizeof(b->s))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = libos_vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    va_end(ap);
    b->n = MIN(b->n + (size_t)n, sizeof(b->s) - 1);
}

static void put_bytes(struct tbuf *b, const void *p, long len) {
    if (!p || len < 0 || !libos_user_range_ok(p, MIN(len, 32), false)) {
        tput(b, "%p", p);
        return;
    }
    const unsigned char *c = p;
    tput(b, "\"");
    for (long i = 0; i < MIN(len, 32); i++) {
        if (c[i] == '\n')
            tput(b, "\\n");
        else if (c[i] == '"' || c[i] == '\\')
            tput(b, "\\%c", c[i]);
        else if (c[i] >= 32 && c[i] < 127)
            tput(b, "%c", c[i]);
        else
            tput(b, "\\x%02x", c[i]);
    }
    tput(b, len > 32 ? "\"..." : "\"");
}

static void put_flags(struct tbuf *b, uint64_t v, const char *const *names, const uint64_t *bits,
                      size_t count, const char *zero) {
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        if (bits[i] && (v & bits[i]) == bits[i]) {
            tput(b, "%s%s", any ? "|" : "", names[i]);
            v &= ~bits[i];
            any = true;
        }
    }
    if (v)
        tput(b, any ? "|%#lx" : "%#lx", (unsigned long)v);
    else if (!any)
        tput(b, "%s", zero);
}

static void put_open_flags(struct tbuf *b, uint64_t v) {
    static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
    static const char *const names[] = {"O_CREAT",   "O_EXCL",     "O_NOCTTY",    "O_TRUNC",
                                        "O_APPEND",  "O_NONBLOCK", "O_DIRECTORY", "O_NOFOLLOW",
                                        "O_CLOEXEC", "O_PATH"};
    static const uint64_t bits[] = {O_CREAT,    O_EXCL,      O_NOCTTY,   O_TRUNC,   O_APPEND,
                                    O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH};
    tput(b, "%s", acc[v & O_ACCMODE]);
    v &= ~(uint64_t)O_ACCMODE & ~(uint64_t)O_LARGEFILE;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (v & bits[i]) {
            tput(b, "|%s", names[i]);
            v &= ~bits[i];
        }
    if (v)
        tput(b, "|%#lx", (unsigned long)v);
}

static void put_arg(struct tbuf *b, char f, const uint64_t *a, int i, long ret) {
    uint64_t v = a[i];
    static const char *const prot_names[] = {"PROT_READ", "PROT_WRITE", "PROT_EXEC"};
    static const uint64_t prot_bits[] = {PROT_READ, PROT_WRITE, PROT_EXEC};
    static const char *const map_names[] = {"MAP_SHARED",          "MAP_PRIVATE",   "MAP_FIXED",
                                            "MAP_ANONYMOUS",       "MAP_NORESERVE", "MAP_STACK",
                                            "MAP_FIXED_NOREPLACE", "MAP_GROWSDOWN", "MAP_POPULATE"};
    static const uint64_t map_bits[] = {MAP_SHARED,          MAP_PRIVATE,   MAP_FIXED,
                                        MAP_ANONYMOUS,       MAP_NORESERVE, MAP_STACK,
                                        MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_POPULATE};
    switch (f) {
    case 'd':
    case 'S':
        tput(b, "%ld", (long)(int)v == (long)v ? (long)v : (long)(int)v);
        break;
    case 'u':
        tput(b, "%lu", (unsigned long)v);
        break;
    case 'x':
        tput(b, "%#lx", (unsigned long)v);
        break;
    case 'm':
        tput(b, "%#lo", (unsigned long)v);
        break;
    case 'F':
        if ((int)v == AT_FDCWD)
            tput(b, "AT_FDCWD");
        else
            tput(b, "%d", (int)v);
        break;
    case 's': {
        char path[256];
        long r = v ? libos_copy_user_string(path, sizeof(path), (const char *)v) : -EFAULT;
        if (r < 0)
            tput(b, "%p", (void *)v);
        else
            tput(b, "\"%s\"", path);
        break;
    }
    case 'b':
        put_bytes(b, (const void *)v, (long)a[i + 1]);
        break;
    case 'B':
        if (ret >= 0)
            put_bytes(b, (const void *)v, ret);
        else
            tput(b, "%p", (void *)v);
        break;
    case 'o':
        put_open_flags(b, v);
        break;
    case 'P':
        put_flags(b, v, prot_names, prot_bits, ARRAY_SIZE(prot_bits), "PROT_NONE");
        break;
    case 'M':
        put_flags(b, v, map_names, map_bits, ARRAY_SIZE(map_bits), "0");
        break;
    default:
        tput(b, "%p", (void *)v);
    }
}

static const char *errno_name(long e) {
    static const char *const names[] = {
        [EPERM] = "EPERM",
        [ENOENT] = "ENOENT",
        [ESRCH] = "ESRCH",
        [EINTR] = "EINTR",
        [EIO] = "EIO",
        [EBADF] = "EBADF",
        [ECHILD] = "ECHILD",
        [EAGAIN] = "EAGAIN",
        [ENOMEM] = "ENOMEM",
        [EACCES] = "EACCES",
        [EFAULT] = "EFAULT",
        [EBUSY] = "EBUSY",
        [EEXIST] = "EEXIST",
        [EXDEV] = "EXDEV",
        [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR",
        [EINVAL] = "EINVAL",
        [EMFILE] = "EMFILE",
        [ENOTTY] = "ENOTTY",
        [EFBIG] = "EFBIG",
        [ENOSPC] = "ENOSPC",
        [ESPIPE] = "ESPIPE",
        [EROFS] = "EROFS",
        [EPIPE] = "EPIPE",
        [ERANGE] = "ERANGE",
        [ENAMETOOLONG] = "ENAMETOOLONG",
        [ENOSYS] = "ENOSYS",
        [ENOTEMPTY] = "ENOTEMPTY",
        [ELOOP] = "ELOOP",
        [EOVERFLOW] = "EOVERFLOW",
        [EOPNOTSUPP] = "EOPNOTSUPP",
        [ETIMEDOUT] = "ETIMEDOUT",
    };
    return e > 0 && e < (long)ARRAY_SIZE(names) && names[e] ? names[e] : "E?";
}

void shim_trace_syscall(long nr, const uint64_t args[6], long ret) {
    struct tbuf b = {.n = 0};
    const struct shim_syscall *s =
        (unsigned long)nr < SHIM_NR_SYSCALLS ? &g_shim_syscalls[nr] : NULL;
    tput(&b, "[%u] %s(", libos_current_thread()->tid, shim_syscall_name(nr));
    const char *fmt = s && s->fn ? s->args : "xxxxxx";
    for (int i = 0; fmt[i] && i < 6; i++) {
        if (i)
            tput(&b, ", ");
        put_arg(&b, fmt[i], args, i, ret);
    }
    bool noreturn = nr == 60 || nr == 231;
    if (noreturn)
        tput(&b, ") = ?\n");
    else if (ret < 0 && ret > -4096)
        tput(&b, ") = -1 %s (%ld)\n", errno_name(-ret), -ret);
    else if (s && s->ret_hex)
        tput(&b, ") = %#lx\n", (unsigned long)ret);
    else
        tput(&b, ") = %ld\n", ret);
    if (b.n == sizeof(b.s) - 1)
        b.s[b.n - 1] = '\n';
    libos_write_all(g_boot->trace, b.s, b.n);
}
