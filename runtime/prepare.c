/* libsabot's hosted half: options, the default manifest, manifest checks
 * and program resolution. Nothing here needs the PAL, so the unit tests
 * link it without the core. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libos_manifest.h"
#include "libos_toml.h"
#include "sabot_internal.h"

extern char **environ;

static void set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t size, const char *fmt, ...) {
    if (!err || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

void sabot_options_init(struct sabot_options *opts) {
    memset(opts, 0, sizeof(*opts));
    opts->log_level = -1;
    opts->trace_fd = -1;
    opts->log_fd = 2;
}

int sabot_log_level_from_name(const char *name) {
    static const char *const names[] = {"none", "error", "warning", "info", "debug", "trace"};
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (!strcmp(name, names[i]))
            return i;
    if (!strcmp(name, "warn"))
        return SABOT_LOG_WARNING;
    return -1;
}

/* Host mounts must name an existing host directory: found now, with the
 * key's position, rather than as an odd failure inside the program. */
static int check_host_mounts(const struct libos_manifest *m, char *err, size_t err_size) {
    for (size_t i = 0; i < m->mount_count; i++) {
        const struct libos_mount_spec *ms = &m->mounts[i];
        if (ms->type != LIBOS_MOUNT_HOST)
            continue;
        struct stat st;
        const char *why = NULL;
        if (stat(ms->source, &st) < 0)
            why = errno == ENOENT ? "does not exist" : strerror(errno);
        else if (!S_ISDIR(st.st_mode))
            why = "is not a directory";
        if (why) {
            set_err(err, err_size, "%s:%d:%d: %s.source: host directory %s %s", m->name,
                    ms->source_line, ms->source_col, ms->key, ms->source, why);
            return -ENOENT;
        }
    }
    return 0;
}

int sabot_manifest_load(const char *text, size_t len, const char *name, struct libos_manifest **out,
                        char *err, size_t err_size) {
    struct libos_manifest *m = NULL;
    long r = libos_manifest_parse(text, len, name, &m, err, err_size);
    if (r < 0)
        return (int)r;
    r = check_host_mounts(m, err, err_size);
    if (r < 0) {
        libos_manifest_free(m);
        return (int)r;
    }
    *out = m;
    return 0;
}

void sabot_manifest_warn(const struct libos_manifest *m, int fd) {
    for (size_t i = 0; i < m->warning_count; i++)
        dprintf(fd, "sabot: warning: %s\n", m->warnings[i]);
}

int sabot_manifest_check(const char *text, size_t len, const char *name, char *err,
                         size_t err_size) {
    struct libos_manifest *m = NULL;
    int r = sabot_manifest_load(text, len, name, &m, err, err_size);
    if (r < 0)
        return r;
    libos_manifest_free(m);
    return 0;
}

/* ------------------------------------------------------------ manifest text */

/* A growing string; on allocation failure it goes NULL and stays so. */
struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n) {
    if (!b->s)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            free(b->s);
            b->s = NULL;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) {
    sb_add(b, s, strlen(s));
}

static bool sb_init(struct sbuf *b) {
    b->len = 0;
    b->cap = 256;
    b->s = malloc(b->cap);
    if (b->s)
        b->s[0] = '\0';
    return b->s != NULL;
}

/* Escapes what a TOML basic string cannot hold raw: quote, backslash and
 * control characters. Bytes >= 0x80 pass through (TOML text is UTF-8). */
char *sabot_toml_quote(const char *s) {
    struct sbuf b;
    if (!sb_init(&b))
        return NULL;
    sb_puts(&b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"':
            sb_puts(&b, "\\\"");
            break;
        case '\\':
            sb_puts(&b, "\\\\");
            break;
        case '\n':
            sb_puts(&b, "\\n");
            break;
        case '\t':
            sb_puts(&b, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                sb_puts(&b, esc);
            } else {
                sb_add(&b, (const char *)p, 1);
            }
        }
    }
    sb_puts(&b, "\"");
    return b.s;
}

static void sb_mount(struct sbuf *b, const char *path, const char *type, const char *source,
                     bool readonly) {
    char *qp = sabot_toml_quote(path);
    char *qs = source ? sabot_toml_quote(source) : NULL;
    if (!qp || (source && !qs)) {
        free(b->s);
        b->s = NULL;
    }
    sb_puts(b, "\n[[fs.mounts]]\npath = ");
    sb_puts(b, qp ? qp : "");
    sb_puts(b, "\ntype = \"");
    sb_puts(b, type);
    sb_puts(b, "\"\n");
    if (qs) {
        sb_puts(b, "source = ");
        sb_puts(b, qs);
        sb_puts(b, "\n");
    }
    sb_puts(b, readonly ? "readonly = true\n" : "readonly = false\n");
    free(qp);
    free(qs);
}

char *sabot_default_manifest(const char *cwd) {
    if (!cwd || cwd[0] != '/')
        return NULL;
    char *qcwd = sabot_toml_quote(cwd);
    struct sbuf b;
    if (!qcwd || !sb_init(&b)) {
        free(qcwd);
        return NULL;
    }
    bool cwd_is_root = !strcmp(cwd, "/");
    bool cwd_is_tmp = !strcmp(cwd, "/tmp");
    sb_puts(&b, "# Sabot default manifest (generated): host / read-only, the working\n"
                "# directory read-write, a private /tmp, the host environment.\n"
                "[loader]\nenv_passthrough = [\"*\"]\n\n[fs]\ncwd = ");
    sb_puts(&b, qcwd);
    sb_puts(&b, "\n");
    sb_mount(&b, "/", "host", "/", true);
    /* At "/" the working directory stays read-only: a writable host root
     * would undo the whole policy. */
    if (!cwd_is_root)
        sb_mount(&b, cwd, "host", cwd, false);
    /* Working in the host's /tmp means sharing it, not hiding it. */
    if (!cwd_is_tmp)
        sb_mount(&b, "/tmp", "tmpfs", NULL, false);
    free(qcwd);
    return b.s;
}

/* ------------------------------------------------------------ manifest show */

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n >= 0)
        sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void sb_key_str(struct sbuf *b, const char *key, const char *value) {
    char *q = sabot_toml_quote(value);
    if (!q) {
        free(b->s);
        b->s = NULL;
        return;
    }
    sb_printf(b, "%s = ", key);
    sb_puts(b, q);
    sb_puts(b, "\n");
    free(q);
}

static void sb_str_array(struct sbuf *b, const char *key, char *const *v, size_t n) {
    sb_printf(b, "%s = [", key);
    for (size_t i = 0; i < n; i++) {
        char *q = sabot_toml_quote(v[i]);
        if (!q) {
            free(b->s);
            b->s = NULL;
            return;
        }
        sb_puts(b, i ? ", " : "");
        sb_puts(b, q);
        free(q);
    }
    sb_puts(b, "]\n");
}

/* A TOML key: bare when possible, else quoted. */
static void sb_key(struct sbuf *b, const char *key) {
    bool bare = *key != '\0';
    for (const char *c = key; *c; c++)
        bare &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                *c == '_' || *c == '-';
    char *q = bare ? NULL : sabot_toml_quote(key);
    sb_puts(b, bare ? key : q ? q : "\"\"");
    free(q);
}

/* Sizes as the shortest exact "8M"-style string; 0 = "unlimited". */
static void sb_size(struct sbuf *b, const char *key, uint64_t v) {
    static const char units[] = "KMGT";
    if (v == 0) {
        sb_printf(b, "%s = \"unlimited\"\n", key);
        return;
    }
    int u = -1;
    while (u < 3 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        sb_printf(b, "%s = %llu\n", key, (unsigned long long)v);
    else
        sb_printf(b, "%s = \"%llu%c\"\n", key, (unsigned long long)v, units[u]);
}

static void sb_limit(struct sbuf *b, const char *key, uint64_t v) {
    if (v)
        sb_printf(b, "%s = %llu\n", key, (unsigned long long)v);
    else
        sb_printf(b, "%s = \"unlimited\"\n", key);
}

/* The strings of a [net] list as written (rules do not keep their text). */
static void sb_net(struct sbuf *b, const struct libos_manifest *m, const char *key) {
    char path[16];
    snprintf(path, sizeof(path), "net.%s", key);
    const struct libos_toml *n = libos_toml_get(m->root, path), *e;
    sb_printf(b, "%s = [", key);
    if (n) {
        libos_toml_foreach(e, n) {
            char *q = sabot_toml_quote(e->str);
            sb_puts(b, e == n->child ? "" : ", ");
            sb_puts(b, q ? q : "\"\"");
            free(q);
        }
    }
    sb_puts(b, "]\n");
}

char *sabot_manifest_show(const struct libos_manifest *m) {
    static const char *const levels[] = {"none", "error", "warning", "info", "debug", "trace"};
    struct sbuf b;
    if (!sb_init(&b))
        return NULL;
    sb_printf(&b, "# Effective manifest of %s: every key, defaults filled in.\n\n[loader]\n",
              m->name);
    if (m->entrypoint)
        sb_key_str(&b, "entrypoint", m->entrypoint);
    else
        sb_puts(&b, "# entrypoint: not set; the command line names the program\n");
    if (m->argv) {
        size_t n = 0;
        while (m->argv[n])
            n++;
        sb_str_array(&b, "argv", m->argv, n);
    } else {
        sb_puts(&b, "# argv: not set; the command line gives it\n");
    }
    sb_printf(&b, "argv_from_cli = %s\n", m->argv_from_cli ? "true" : "false");
    sb_str_array(&b, "env_passthrough", m->env_passthrough, m->env_passthrough_count);
    sb_printf(&b, "uid = %lld\n", m->uid >= 0 ? (long long)m->uid : (long long)getuid());
    sb_printf(&b, "gid = %lld\n", m->gid >= 0 ? (long long)m->gid : (long long)getgid());
    sb_puts(&b, "\n[loader.env]\n");
    for (size_t i = 0; i < m->env_count; i++) {
        char *q = sabot_toml_quote(m->env[i].value);
        sb_key(&b, m->env[i].name);
        sb_puts(&b, " = ");
        sb_puts(&b, q ? q : "\"\"");
        sb_puts(&b, "\n");
        free(q);
    }
    sb_puts(&b, "\n[fs]\n");
    if (m->cwd)
        sb_key_str(&b, "cwd", m->cwd);
    else
        sb_puts(&b, "# cwd: not set; the host working directory if visible, else /\n");
    for (size_t i = 0; i < m->mount_count; i++) {
        const struct libos_mount_spec *ms = &m->mounts[i];
        sb_puts(&b, "\n[[fs.mounts]]\n");
        sb_key_str(&b, "path", ms->path);
        sb_printf(&b, "type = \"%s\"\n", ms->type == LIBOS_MOUNT_HOST ? "host" : "tmpfs");
        if (ms->source)
            sb_key_str(&b, "source", ms->source);
        sb_printf(&b, "readonly = %s\n", ms->readonly ? "true" : "false");
        if (ms->type == LIBOS_MOUNT_TMPFS && ms->size)
            sb_size(&b, "size", ms->size);
        else if (ms->type == LIBOS_MOUNT_TMPFS)
            sb_puts(&b, "# size: not set; limited by sys.memory only\n");
    }
    sb_puts(&b, "\n[sys]\n");
    sb_size(&b, "memory", m->limit_memory);
    sb_size(&b, "stack", m->limit_stack ? m->limit_stack : LIBOS_DEFAULT_STACK);
    sb_size(&b, "brk", m->limit_brk ? m->limit_brk : LIBOS_DEFAULT_BRK);
    sb_limit(&b, "open_files",
             m->limit_open_files ? m->limit_open_files : LIBOS_DEFAULT_OPEN_FILES);
    sb_limit(&b, "threads", m->limit_threads);
    sb_limit(&b, "processes", m->limit_processes);
    sb_printf(&b, "fork = \"%s\"\n", m->fork_checkpoint ? "checkpoint" : "fast");
    bool v;
    const char *key;
    for (size_t i = 0; (key = libos_manifest_insecure(m, i, &v)); i++)
        if (!strncmp(key, "sys.", 4))
            sb_printf(&b, "%s = %s\n", key + 4, v ? "true" : "false");
    sb_printf(&b, "\n[pal]\nname = \"%s\"\nsyscall_rewrite = %s\n", m->pal ? m->pal : "linux",
              m->syscall_rewrite ? "true" : "false");
    sb_printf(&b, "\n[log]\nlevel = \"%s\"\n",
              levels[m->log_level >= 0 && m->log_level <= 5 ? m->log_level : SABOT_LOG_WARNING]);
    sb_puts(&b, "\n[net]\n");
    sb_net(&b, m, "connect");
    sb_net(&b, m, "bind");
    return b.s;
}

/* -------------------------------------------------------- program lookup */

void sabot_clean_path(char *path) {
    char *out = path;
    const char *in = path;
    while (*in) {
        while (*in == '/')
            in++;
        size_t n = strcspn(in, "/");
        if (n == 0 || (n == 1 && in[0] == '.')) {
            in += n;
            continue;
        }
        *out++ = '/';
        memmove(out, in, n); /* out never passes in: it only drops bytes */
        out += n;
        in += n;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

static char *join_path(const char *dir, const char *name) {
    size_t dl = strlen(dir), nl = strlen(name);
    char *p = malloc(dl + nl + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

/* Absolute, cleaned host path of a relative or absolute name. */
static char *host_abs(const char *host_cwd, const char *name) {
    char *p = name[0] == '/' ? strdup(name) : join_path(host_cwd, name);
    if (p)
        sabot_clean_path(p);
    return p;
}

static bool is_executable_file(const char *path, int *err) {
    struct stat st;
    if (stat(path, &st) < 0) {
        *err = errno;
        return false;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
        *err = EACCES;
        return false;
    }
    return true;
}

/* execvp's search: the first executable regular file wins; EACCES is
 * reported only if nothing better is found. */
static int search_path(const char *program, const char *host_cwd, const char *path_env,
                       char **out) {
    const char *dirs = path_env ? path_env : "/bin:/usr/bin";
    int result = -ENOENT;
    for (const char *d = dirs;;) {
        const char *end = strchr(d, ':');
        size_t n = end ? (size_t)(end - d) : strlen(d);
        char *dir = n ? strndup(d, n) : strdup(".");
        char *cand = dir ? join_path(dir, program) : NULL;
        char *abs = cand ? host_abs(host_cwd, cand) : NULL;
        free(dir);
        free(cand);
        if (!abs)
            return -ENOMEM;
        int e = 0;
        if (is_executable_file(abs, &e)) {
            *out = abs;
            return 0;
        }
        free(abs);
        if (e == EACCES)
            result = -EACCES;
        if (!end)
            return result;
        d = end + 1;
    }
}

/* Does mount path/source `prefix` contain `path` (component-wise)? Returns
 * the length of the prefix to strip, or -1. */
static long prefix_len(const char *prefix, const char *path) {
    size_t n = strlen(prefix);
    if (n == 1 && prefix[0] == '/')
        return 0;
    if (strncmp(prefix, path, n) || (path[n] != '/' && path[n] != '\0'))
        return -1;
    return (long)n;
}

/* The mount the libos will use for an app path: the longest prefix. */
static const struct libos_mount_spec *mount_for_app_path(const struct libos_manifest *m,
                                                         const char *path) {
    const struct libos_mount_spec *best = NULL;
    long best_len = -1;
    for (size_t i = 0; i < m->mount_count; i++) {
        long l = prefix_len(m->mounts[i].path, path);
        if (l > best_len) {
            best = &m->mounts[i];
            best_len = l;
        }
    }
    return best;
}

/* Host path -> app path through the host mount with the longest source. */
static int host_to_app(const struct libos_manifest *m, const char *program, const char *host,
                       char **out, char *err, size_t err_size) {
    const struct libos_mount_spec *best = NULL;
    long best_len = -1;
    for (size_t i = 0; i < m->mount_count; i++) {
        const struct libos_mount_spec *ms = &m->mounts[i];
        if (ms->type != LIBOS_MOUNT_HOST || !ms->source)
            continue;
        long l = prefix_len(ms->source, host);
        if (l > best_len) {
            best = ms;
            best_len = l;
        }
    }
    if (!best) {
        set_err(err, err_size,
                "%s: host path %s is not visible inside the sandbox (no host mount in "
                "fs.mounts covers it)",
                program, host);
        return -ENOENT;
    }
    char *app = join_path(best->path, host + best_len);
    if (!app)
        return -ENOMEM;
    sabot_clean_path(app);
    if (mount_for_app_path(m, app) != best) {
        set_err(err, err_size, "%s: host path %s is hidden inside the sandbox by the mount at %s",
                program, host, mount_for_app_path(m, app)->path);
        free(app);
        return -ENOENT;
    }
    *out = app;
    return 0;
}

int sabot_resolve_program(const char *program, const char *host_cwd, const char *path_env,
                          const struct libos_manifest *m, char **out, char *err, size_t err_size) {
    if (!program[0]) {
        set_err(err, err_size, "empty program name");
        return -ENOENT;
    }
    if (program[0] == '/') {
        /* Already the app's path: the app sees absolute paths through its
         * own mounts, which may differ from the host's. */
        *out = strdup(program);
        return *out ? 0 : -ENOMEM;
    }
    char *host = NULL;
    int r;
    if (strchr(program, '/')) {
        host = host_abs(host_cwd, program);
        if (!host)
            return -ENOMEM;
        int e = 0;
        if (!is_executable_file(host, &e)) {
            set_err(err, err_size, "%s: %s", program, strerror(e));
            free(host);
            return -e;
        }
    } else {
        r = search_path(program, host_cwd, path_env, &host);
        if (r == -ENOENT)
            set_err(err, err_size, "%s: command not found in PATH", program);
        else if (r < 0)
            set_err(err, err_size, "%s: %s", program, strerror(-r));
        if (r < 0)
            return r;
    }
    r = host_to_app(m, program, host, out, err, err_size);
    free(host);
    return r;
}

/* ------------------------------------------------------------ preparation */

/* Reads a whole file into a NUL-terminated buffer; 0 or -errno. */
int sabot_read_file(const char *path, char **text, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    struct sbuf b;
    if (!sb_init(&b)) {
        fclose(f);
        return -ENOMEM;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sb_add(&b, chunk, n);
    int r = ferror(f) ? -(errno ? errno : EIO) : b.s ? 0 : -ENOMEM;
    fclose(f);
    if (r < 0) {
        free(b.s);
        return r;
    }
    *text = b.s;
    *size = b.len;
    return 0;
}

static const char *env_get(const char *const *envp, const char *name) {
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

static int load_manifest(const struct sabot_options *opts, struct sabot_prepared *p) {
    if (opts->fork && (opts->manifest_path || opts->manifest_text)) {
        set_err(opts->err, opts->err_size,
                "--fork applies to the default manifest only: set sys.fork in '%s'",
                opts->manifest_path ? opts->manifest_path : "the manifest");
        return -EINVAL;
    }
    if (opts->manifest_path) {
        int r = sabot_read_file(opts->manifest_path, &p->manifest, &p->manifest_size);
        if (r < 0) {
            set_err(opts->err, opts->err_size, "cannot read manifest '%s': %s", opts->manifest_path,
                    strerror(-r));
            return r;
        }
        p->manifest_name = strdup(opts->manifest_path);
    } else if (opts->manifest_text) {
        p->manifest_size = opts->manifest_size ? opts->manifest_size : strlen(opts->manifest_text);
        p->manifest = malloc(p->manifest_size + 1);
        if (p->manifest) {
            memcpy(p->manifest, opts->manifest_text, p->manifest_size);
            p->manifest[p->manifest_size] = '\0';
        }
        p->manifest_name = strdup(opts->manifest_name ? opts->manifest_name : "<manifest>");
    } else {
        p->manifest = sabot_default_manifest(p->host_cwd);
        if (p->manifest && opts->fork && !strcmp(opts->fork, "checkpoint")) {
            static const char sys[] = "\n[sys]\nfork = \"checkpoint\"\n";
            char *m = realloc(p->manifest, strlen(p->manifest) + sizeof(sys));
            if (m)
                strcat(m, sys);
            else
                free(p->manifest);
            p->manifest = m;
        }
        p->manifest_size = p->manifest ? strlen(p->manifest) : 0;
        p->manifest_name = strdup("<default manifest>");
    }
    return p->manifest && p->manifest_name ? 0 : -ENOMEM;
}

/* The libos runs loader.entrypoint when the manifest pins one (the words
 * of the command line are then only its argv), else exec_path: the
 * program's path inside the sandbox. */
static int build_argv(const struct sabot_options *opts, const struct libos_manifest *m,
                      struct sabot_prepared *p) {
    size_t argc = 0;
    while (opts->argv && opts->argv[argc])
        argc++;
    p->argv = calloc(argc + 2, sizeof(char *));
    if (!p->argv)
        return -ENOMEM;
    size_t first = 0;
    if (m->entrypoint && !m->argv_from_cli && argc) {
        set_err(opts->err, opts->err_size,
                "%s: the manifest fixes argv (loader.argv or loader.argv_from_cli = false): give "
                "no arguments after '--'",
                p->manifest_name);
        return -EINVAL;
    }
    if (m->entrypoint) {
        if (!argc && !opts->program) {
            p->argv[0] = strdup(m->entrypoint);
            return p->argv[0] ? 0 : -ENOMEM;
        }
        if (!argc)
            return (p->argv[0] = strdup(opts->program)) ? 0 : -ENOMEM;
    } else {
        if (!opts->program) {
            set_err(opts->err, opts->err_size,
                    "no program to run: give one after '--' or set loader.entrypoint in %s",
                    p->manifest_name);
            return -EINVAL;
        }
        const char *path_env =
            env_get(opts->envp ? opts->envp : (const char *const *)environ, "PATH");
        int r = sabot_resolve_program(opts->program, p->host_cwd, path_env, m, &p->exec_path,
                                      opts->err, opts->err_size);
        if (r < 0)
            return r;
        /* argv[0] stays as typed, as a shell would pass it. */
        p->argv[0] = strdup(argc ? opts->argv[0] : opts->program);
        if (!p->argv[0])
            return -ENOMEM;
        first = 1;
    }
    for (size_t i = first; i < argc; i++) {
        p->argv[i] = strdup(opts->argv[i]);
        if (!p->argv[i])
            return -ENOMEM;
    }
    return 0;
}

static int open_trace(const struct sabot_options *opts, struct sabot_prepared *p) {
    p->trace_fd = opts->trace_fd;
    if (p->trace_fd >= 0 || !opts->trace_path)
        return 0;
    p->trace_fd = open(opts->trace_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (p->trace_fd < 0) {
        int e = errno;
        set_err(opts->err, opts->err_size, "cannot open trace file '%s': %s", opts->trace_path,
                strerror(e));
        return -e;
    }
    p->trace_fd_owned = true;
    return 0;
}

int sabot_prepare(const struct sabot_options *opts, struct sabot_prepared *p) {
    memset(p, 0, sizeof(*p));
    p->trace_fd = -1;
    p->log_fd = opts->log_fd >= 0 ? opts->log_fd : 2;
    p->envp = opts->envp ? opts->envp : (const char *const *)environ;
    p->chdir_needed = opts->cwd != NULL;
    if (opts->err && opts->err_size)
        opts->err[0] = '\0';

    p->host_cwd = opts->cwd ? realpath(opts->cwd, NULL) : getcwd(NULL, 0);
    if (!p->host_cwd) {
        int e = errno;
        set_err(opts->err, opts->err_size, "cannot use working directory '%s': %s",
                opts->cwd ? opts->cwd : ".", strerror(e));
        return -e;
    }
    int r = load_manifest(opts, p);
    if (r < 0)
        goto fail;
    struct libos_manifest *m = NULL;
    r = sabot_manifest_load(p->manifest, p->manifest_size, p->manifest_name, &m, opts->err,
                            opts->err_size);
    if (r < 0)
        goto fail;
    r = build_argv(opts, m, p);
    if (opts->log_level >= 0)
        p->log_level = opts->log_level;
    else
        p->log_level = m->log_level >= 0 ? m->log_level : SABOT_LOG_WARNING;
    p->pal_kvm = opts->pal ? !strcmp(opts->pal, "kvm") : (m->pal && !strcmp(m->pal, "kvm"));
    p->gdb_port = opts->gdb_port;
    if (r == 0 && opts->gdb_port > 0 && !p->pal_kvm) {
        set_err(opts->err, opts->err_size,
                "--gdb needs the kvm PAL (on the linux PAL run sabot under gdb with "
                "sabot-gdb.py)");
        r = -EINVAL;
    }
    if (r == 0 && p->log_level >= SABOT_LOG_WARNING)
        sabot_manifest_warn(m, p->log_fd);
    /* SABOT_REWRITE=0|1 overrides the build's default (-DSABOT_REWRITE). */
    const char *rw = getenv("SABOT_REWRITE");
#ifdef SABOT_REWRITE_DEFAULT_OFF
    bool rw_on = rw && strcmp(rw, "1") == 0;
#else
    bool rw_on = !(rw && strcmp(rw, "0") == 0);
#endif
    p->syscall_rewrite = m->syscall_rewrite && rw_on;
    libos_manifest_free(m);
    if (r < 0)
        goto fail;
    r = open_trace(opts, p);
    if (r < 0)
        goto fail;
    return 0;
fail:
    if (opts->err && opts->err_size && !opts->err[0])
        set_err(opts->err, opts->err_size, "%s", strerror(-r));
    sabot_prepared_free(p);
    return r;
}

void sabot_prepared_free(struct sabot_prepared *p) {
    free(p->manifest);
    free(p->manifest_name);
    for (size_t i = 0; p->argv && p->argv[i]; i++)
        free(p->argv[i]);
    free(p->argv);
    free(p->exec_path);
    free(p->host_cwd);
    if (p->trace_fd_owned && p->trace_fd >= 0)
        close(p->trace_fd);
    memset(p, 0, sizeof(*p));
    p->trace_fd = -1;
}
