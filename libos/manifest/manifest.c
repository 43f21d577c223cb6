/* Manifest schema: checks the TOML tree against the keys Sabot knows and
 * builds struct libos_manifest. Two passes: a generic walk over the schema
 * tables below rejects unknown keys and wrong types (in document order), then
 * each section is read and its values checked (paths, enums, sizes). Every
 * error is "NAME:LINE:COLUMN: KEY: message". docs/manifest.md is the user's
 * view of the same schema: keep them in step. */
#include "libos_manifest.h"

#include "libos.h"
#include "libos_toml.h"

enum kind {
    K_TABLE = 1,   /* table with members in sub */
    K_TABLE_ARRAY, /* array of tables, each with members in sub */
    K_STRING,
    K_ABSPATH, /* string starting with '/' */
    K_STR_ARRAY,
    K_STR_TABLE,  /* table whose members are all strings */
    K_SIZE,       /* "64M" or an integer > 0 */
    K_LIMIT,      /* integer > 0 or "unlimited" */
    K_SIZE_LIMIT, /* a size or "unlimited" */
    K_ID,         /* uid/gid: 0 .. 2^32-2 */
    K_BOOL,
    K_LATER, /* reserved for a later issue: any value is "not supported yet" */
};

struct key_spec {
    const char *name;
    int kind;
    const struct key_spec *sub;
};

static const struct key_spec s_loader[] = {
    {"entrypoint", K_ABSPATH, NULL},
    {"argv", K_STR_ARRAY, NULL},
    {"argv_from_cli", K_BOOL, NULL},
    {"env", K_STR_TABLE, NULL},
    {"env_passthrough", K_STR_ARRAY, NULL},
    {"uid", K_ID, NULL},
    {"gid", K_ID, NULL},
    {NULL, 0, NULL},
};

/* fs.root is a mount without 'path' (it is "/"). */
static const struct key_spec s_mount[] = {
    {"path", K_ABSPATH, NULL},
    {"type", K_STRING, NULL},
    {"source", K_ABSPATH, NULL},
    {"readonly", K_BOOL, NULL},
    {"size", K_SIZE, NULL},
    {"key", K_LATER, NULL},
    {NULL, 0, NULL},
};
#define S_ROOT_MOUNT (s_mount + 1)

static const struct key_spec s_fs[] = {
    {"cwd", K_ABSPATH, NULL},
    {"root", K_TABLE, S_ROOT_MOUNT},
    {"mounts", K_TABLE_ARRAY, s_mount},
    {"trusted_files", K_LATER, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_sys[] = {
    {"memory", K_SIZE_LIMIT, NULL}, {"stack", K_SIZE, NULL},
    {"brk", K_SIZE, NULL},          {"open_files", K_LIMIT, NULL},
    {"threads", K_LIMIT, NULL},     {"processes", K_LIMIT, NULL},
    {"fork", K_STRING, NULL},       {NULL, 0, NULL},
};

static const struct key_spec s_pal[] = {
    {"name", K_STRING, NULL},
    {"syscall_rewrite", K_BOOL, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_log[] = {
    {"level", K_STRING, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_net[] = {
    {"connect", K_STR_ARRAY, NULL},
    {"bind", K_STR_ARRAY, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_root[] = {
    {"loader", K_TABLE, s_loader},
    {"fs", K_TABLE, s_fs},
    {"sys", K_TABLE, s_sys},
    {"pal", K_TABLE, s_pal},
    {"log", K_TABLE, s_log},
    {"net", K_TABLE, s_net},
    {NULL, 0, NULL},
};

/* Options that weaken isolation. Every one is listed here, by schema path
 * (array elements without index), with what it gives up, and nowhere else:
 * a key starting with "insecure__" that is not in this table is an error.
 * Set to true, each adds a warning to m->warnings. */
static const struct insecure_spec {
    const char *path;
    size_t offset; /* of its bool in struct libos_manifest */
    const char *what;
} s_insecure[] = {
    {"sys.insecure__no_seccomp", __builtin_offsetof(struct libos_manifest, insecure_no_seccomp),
     "no seccomp filter: a program that bypasses the libos reaches every host system call"},
    {"sys.insecure__no_landlock", __builtin_offsetof(struct libos_manifest, insecure_no_landlock),
     "no Landlock: host files and TCP ports are confined only by the libos"},
    {"sys.insecure__weak_landlock",
     __builtin_offsetof(struct libos_manifest, insecure_weak_landlock),
     "starts even where the kernel's Landlock cannot enforce every rule"},
};

#define INSECURE_PREFIX "insecure__"

/* Keys that moved: the message says where. */
static const struct {
    const char *path, *hint;
} s_moved[] = {
    {"limits", "[limits] is now [sys]"},
};

struct ctx {
    const char *name;
    char *err;
    size_t err_size;
};

/* Path of a node for messages ("fs.mounts[1].path"). */
struct pathbuf {
    char s[160];
};

static const char *npath(const struct libos_toml *n, struct pathbuf *b) {
    libos_toml_path(n, b->s, sizeof(b->s));
    return b->s;
}

static long merr_va(struct ctx *c, int line, int col, const struct libos_toml *n, const char *fmt,
                    va_list ap) {
    if (c->err_size == 0)
        return -EINVAL;
    struct pathbuf p;
    int k = n && n->parent ? libos_snprintf(c->err, c->err_size, "%s:%d:%d: %s: ", c->name, line,
                                            col, npath(n, &p))
                           : libos_snprintf(c->err, c->err_size, "%s:%d:%d: ", c->name, line, col);
    if (k >= 0 && (size_t)k < c->err_size)
        libos_vsnprintf(c->err + k, c->err_size - k, fmt, ap);
    return -EINVAL;
}

/* An error about the value of n (at the value). */
static long verr(struct ctx *c, const struct libos_toml *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static long verr(struct ctx *c, const struct libos_toml *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    long r = merr_va(c, n->line, n->col, n, fmt, ap);
    va_end(ap);
    return r;
}

/* An error about the key of n (at the key). */
static long kerr(struct ctx *c, const struct libos_toml *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static long kerr(struct ctx *c, const struct libos_toml *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    long r = merr_va(c, n->line, n->key_col, n, fmt, ap);
    va_end(ap);
    return r;
}

static long nomem(struct ctx *c) {
    if (c->err_size)
        libos_snprintf(c->err, c->err_size, "%s: out of memory", c->name);
    return -ENOMEM;
}

/* ------------------------------------------------------------ pass 1: shape */

/* Edit distance (insert/delete/substitute/transpose) for "did you mean". */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return (size_t)-1;
    uint8_t d[41][41]; /* small: this may run on a libos stack */
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (uint8_t)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (uint8_t)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = MIN(d[i - 1][j] + 1u, d[i][j - 1] + 1u);
            v = MIN(v, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                v = MIN(v, d[i - 2][j - 2] + 1u);
            d[i][j] = (uint8_t)v;
        }
    }
    return d[la][lb];
}

static const char *suggest(const char *key, const struct key_spec *spec) {
    const char *best = NULL;
    size_t best_d = 3; /* at most two edits away */
    for (; spec->name; spec++) {
        size_t d = edit_distance(key, spec->name);
        if (d < best_d && d < strlen(spec->name)) {
            best_d = d;
            best = spec->name;
        }
    }
    return best;
}

static long unknown_key(struct ctx *c, const struct libos_toml *n, const struct key_spec *spec,
                        const char *schema_path) {
    struct pathbuf pp;
    for (size_t i = 0; i < ARRAY_SIZE(s_moved); i++)
        if (strcmp(schema_path, s_moved[i].path) == 0)
            return kerr(c, n, "unknown key (%s)", s_moved[i].hint);
    const char *guess = suggest(n->key, spec);
    if (!guess)
        return kerr(c, n, "unknown key");
    if (n->parent && n->parent->parent)
        return kerr(c, n, "unknown key (did you mean '%s.%s'?)", npath(n->parent, &pp), guess);
    return kerr(c, n, "unknown key (did you mean '%s'?)", guess);
}

/* "a string", "an integer", ... for "must be X, not Y". */
static const char *a_type(int type) {
    switch (type) {
    case LIBOS_TOML_TABLE:
        return "a table";
    case LIBOS_TOML_ARRAY:
        return "an array";
    case LIBOS_TOML_STRING:
        return "a string";
    case LIBOS_TOML_INT:
        return "an integer";
    }
    return "a boolean";
}

static long check_members(struct ctx *c, const struct libos_toml *t, const struct key_spec *spec,
                          const char *schema_path);

static bool is_unlimited(const struct libos_toml *n) {
    return n->type == LIBOS_TOML_STRING && strcmp(n->str, "unlimited") == 0;
}

static long check_kind(struct ctx *c, const struct libos_toml *n, const struct key_spec *ks,
                       const char *schema_path) {
    const struct libos_toml *e;
    switch (ks->kind) {
    case K_TABLE:
        if (n->type != LIBOS_TOML_TABLE)
            return verr(c, n, "must be a table, not %s", a_type(n->type));
        return check_members(c, n, ks->sub, schema_path);
    case K_TABLE_ARRAY:
        if (n->type != LIBOS_TOML_ARRAY)
            return verr(c, n, "must be an array of tables ([[%s]]), not %s", schema_path,
                        a_type(n->type));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_TABLE)
                return verr(c, e, "must be a table, not %s", a_type(e->type));
            long rc = check_members(c, e, ks->sub, schema_path);
            if (rc < 0)
                return rc;
        }
        return 0;
    case K_STRING:
        if (n->type != LIBOS_TOML_STRING)
            return verr(c, n, "must be a string, not %s", a_type(n->type));
        return 0;
    case K_ABSPATH:
        if (n->type != LIBOS_TOML_STRING)
            return verr(c, n, "must be an absolute path (a string starting with '/'), not %s",
                        a_type(n->type));
        if (n->str[0] != '/')
            return verr(c, n, "must be an absolute path (starting with '/'), not \"%s\"", n->str);
        return 0;
    case K_STR_ARRAY:
        if (n->type != LIBOS_TOML_ARRAY)
            return verr(c, n, "must be an array of strings, not %s", a_type(n->type));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_STRING)
                return verr(c, e, "must be a string, not %s", a_type(e->type));
        }
        return 0;
    case K_STR_TABLE:
        if (n->type != LIBOS_TOML_TABLE)
            return verr(c, n, "must be a table of strings, not %s", a_type(n->type));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_STRING)
                return verr(c, e, "must be a string, not %s", a_type(e->type));
        }
        return 0;
    case K_SIZE:
        if (n->type != LIBOS_TOML_STRING && n->type != LIBOS_TOML_INT)
            return verr(c, n, "must be a size such as \"64M\" or an integer, not %s",
                        a_type(n->type));
        return 0;
    case K_SIZE_LIMIT:
        if (n->type != LIBOS_TOML_STRING && n->type != LIBOS_TOML_INT)
            return verr(c, n, "must be a size such as \"64M\", an integer or \"unlimited\", not %s",
                        a_type(n->type));
        return 0;
    case K_LIMIT:
        if (is_unlimited(n))
            return 0;
        if (n->type != LIBOS_TOML_INT)
            return verr(c, n, "must be an integer > 0 or \"unlimited\", not %s", a_type(n->type));
        if (n->integer <= 0)
            return verr(c, n, "must be an integer > 0 or \"unlimited\", not %lld",
                        (long long)n->integer);
        return 0;
    case K_ID:
        if (n->type != LIBOS_TOML_INT)
            return verr(c, n, "must be an integer, not %s", a_type(n->type));
        if (n->integer < 0 || n->integer > 0xfffffffeLL)
            return verr(c, n, "must be from 0 to 4294967294, not %lld", (long long)n->integer);
        return 0;
    case K_BOOL:
        if (n->type != LIBOS_TOML_BOOL)
            return verr(c, n, "must be true or false, not %s", a_type(n->type));
        return 0;
    case K_LATER:
        return kerr(c, n, "not supported yet (reserved for a later version; see docs/manifest.md)");
    }
    return verr(c, n, "internal: bad schema kind");
}

static const struct key_spec *find_spec(const struct key_spec *spec, const char *name) {
    for (; spec->name; spec++)
        if (strcmp(spec->name, name) == 0)
            return spec;
    return NULL;
}

static const struct insecure_spec *find_insecure(const char *path) {
    for (size_t i = 0; i < ARRAY_SIZE(s_insecure); i++)
        if (strcmp(s_insecure[i].path, path) == 0)
            return &s_insecure[i];
    return NULL;
}

static long check_members(struct ctx *c, const struct libos_toml *t, const struct key_spec *spec,
                          const char *schema_path) {
    static const struct key_spec bool_spec = {"insecure", K_BOOL, NULL};
    const struct libos_toml *n;
    libos_toml_foreach(n, t) {
        char sub[128];
        int len = libos_snprintf(sub, sizeof(sub), "%s%s%s", schema_path, *schema_path ? "." : "",
                                 n->key);
        if (len >= (int)sizeof(sub))
            return kerr(c, n, "unknown key");
        const struct key_spec *ks = find_spec(spec, n->key);
        if (!ks && libos_str_starts_with(n->key, INSECURE_PREFIX)) {
            if (!find_insecure(sub))
                return kerr(c, n, "unknown insecure option (known: see docs/manifest.md)");
            ks = &bool_spec;
        }
        if (!ks)
            return unknown_key(c, n, spec, sub);
        long rc = check_kind(c, n, ks, sub);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ sizes */

/* ------------------------------------------------------------ sizes */

long libos_parse_size(const char *s, uint64_t *out) {
    uint64_t v = 0;
    const char *p = s;
    if (!s || *p < '0' || *p > '9')
        return -EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -ERANGE;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    unsigned shift = 0;
    switch (*p) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    }
    if (shift) {
        p++;
        if (*p == 'i' || *p == 'I') {
            p++;
            if (*p != 'b' && *p != 'B')
                return -EINVAL;
        }
    }
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        return -EINVAL;
    if (shift && v > UINT64_MAX >> shift)
        return -ERANGE;
    *out = v << shift;
    return 0;
}

/* ------------------------------------------------------------ pass 2: values */

/* A size; "unlimited" (0) only where the schema allows it (K_SIZE_LIMIT). */
static long get_size_or_unlimited(struct ctx *c, const struct libos_toml *n, uint64_t *out,
                                  bool unlimited_ok) {
    if (!n)
        return 0;
    if (is_unlimited(n)) {
        if (unlimited_ok)
            return 0;
        return verr(c, n, "must be a size such as \"64M\" or an integer (not \"unlimited\")");
    }
    if (n->type == LIBOS_TOML_INT) {
        if (n->integer <= 0)
            return verr(c, n, "must be > 0");
        *out = (uint64_t)n->integer;
        return 0;
    }
    long rc = libos_parse_size(n->str, out);
    if (rc == -ERANGE)
        return verr(c, n, "size \"%s\" is too large", n->str);
    if (rc < 0)
        return verr(c, n, "invalid size \"%s\" (use e.g. \"4096\", \"64K\", \"8M\", \"1G\")",
                    n->str);
    if (*out == 0)
        return verr(c, n, "must be > 0");
    return 0;
}

static long get_size(struct ctx *c, const struct libos_toml *n, uint64_t *out) {
    return get_size_or_unlimited(c, n, out, false);
}

static bool valid_env_name(const char *s) {
    return *s && !strchr(s, '=');
}

/* NULL-ended copy of an array of strings. */
static char **dup_str_array(const struct libos_toml *a, size_t *count) {
    char **v = libos_calloc(a->count + 1, sizeof(char *));
    if (!v)
        return NULL;
    size_t i = 0;
    const struct libos_toml *e;
    libos_toml_foreach(e, a) {
        if (!(v[i++] = libos_strdup(e->str)))
            return v; /* caller frees; v[i-1] NULL ends it */
    }
    if (count)
        *count = i;
    return v;
}

static void free_str_array(char **v) {
    if (!v)
        return;
    for (char **p = v; *p; p++)
        libos_free(*p);
    libos_free(v);
}

static bool dup_to(char **dst, const struct libos_toml *n) {
    if (!n)
        return true;
    *dst = libos_strdup(n->str);
    return *dst != NULL;
}

static long read_loader(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    const struct libos_toml *n, *e;
    if (!dup_to(&m->entrypoint, libos_toml_member(t, "entrypoint")))
        return nomem(c);
    if ((n = libos_toml_member(t, "argv"))) {
        m->argv = dup_str_array(n, NULL);
        if (!m->argv || (n->count && !m->argv[n->count - 1]))
            return nomem(c);
    }
    /* The command line's words are argv unless the manifest fixes them. */
    m->argv_from_cli = m->argv == NULL;
    if ((n = libos_toml_member(t, "argv_from_cli"))) {
        if (n->boolean && m->argv)
            return verr(c, n, "cannot be true when loader.argv is set");
        if (!n->boolean && !m->entrypoint)
            return verr(c, n,
                        "false needs loader.entrypoint (else the command line names the "
                        "program)");
        m->argv_from_cli = n->boolean;
    }
    int64_t id;
    if (libos_toml_int(libos_toml_member(t, "uid"), &id))
        m->uid = id;
    if (libos_toml_int(libos_toml_member(t, "gid"), &id))
        m->gid = id;
    if ((n = libos_toml_member(t, "env"))) {
        m->env = libos_calloc(n->count ? n->count : 1, sizeof(*m->env));
        if (!m->env)
            return nomem(c);
        libos_toml_foreach(e, n) {
            if (!valid_env_name(e->key))
                return kerr(c, e, "invalid variable name");
            struct libos_env_var *v = &m->env[m->env_count++];
            v->name = libos_strdup(e->key);
            v->value = libos_strdup(e->str);
            if (!v->name || !v->value)
                return nomem(c);
        }
    }
    if ((n = libos_toml_member(t, "env_passthrough"))) {
        libos_toml_foreach(e, n) {
            if (!valid_env_name(e->str))
                return verr(c, e, "invalid variable name \"%s\"", e->str);
        }
        m->env_passthrough = dup_str_array(n, &m->env_passthrough_count);
        if (!m->env_passthrough || m->env_passthrough_count != n->count)
            return nomem(c);
    }
    return 0;
}

/* Canonical form of an absolute libos path: no "//", no "." parts, no
 * trailing '/'. ".." is refused rather than resolved (mount points are
 * plain directories; a ".." there is almost surely a mistake). */
static char *normalize_path(const char *s, bool *dotdot) {
    size_t len = strlen(s);
    char *out = libos_malloc(len + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    *dotdot = false;
    while (*s) {
        while (*s == '/')
            s++;
        const char *part = s;
        while (*s && *s != '/')
            s++;
        size_t n = s - part;
        if (n == 0 || (n == 1 && part[0] == '.'))
            continue;
        if (n == 2 && part[0] == '.' && part[1] == '.')
            *dotdot = true;
        out[o++] = '/';
        memcpy(out + o, part, n);
        o += n;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

/* One mount: an element of fs.mounts, or fs.root (path "/"). Mounts may
 * nest (a mount inside another one's tree, as Linux allows); two at the
 * same path are an error. */
static long read_mount(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t,
                       bool is_root) {
    struct pathbuf q;
    struct libos_mount_spec *ms = &m->mounts[m->mount_count];
    const struct libos_toml *path = libos_toml_member(t, "path");
    const struct libos_toml *type = libos_toml_member(t, "type");
    const struct libos_toml *source = libos_toml_member(t, "source");
    const struct libos_toml *ro = libos_toml_member(t, "readonly");
    const struct libos_toml *size = libos_toml_member(t, "size");
    if (!path && !is_root)
        return verr(c, t, "needs a 'path' (where the mount appears, e.g. \"/data\")");
    if (!type)
        return verr(c, t, "needs a 'type' (\"host\" or \"tmpfs\")");
    if (strcmp(type->str, "host") == 0) {
        ms->type = LIBOS_MOUNT_HOST;
        if (!source)
            return verr(c, t, "needs a 'source' (host directory) for type \"host\"");
        if (size)
            return kerr(c, size, "is only for type \"tmpfs\"");
    } else if (strcmp(type->str, "tmpfs") == 0) {
        ms->type = LIBOS_MOUNT_TMPFS;
        if (source)
            return kerr(c, source, "is not allowed for type \"tmpfs\"");
    } else if (strcmp(type->str, "encrypted") == 0) {
        return verr(c, type, "type \"encrypted\" is not supported yet");
    } else {
        return verr(c, type, "must be \"host\" or \"tmpfs\", not \"%s\"", type->str);
    }
    bool dotdot = false;
    ms->path = normalize_path(path ? path->str : "/", &dotdot);
    ms->key = libos_strdup(npath(t, &q));
    if (!ms->path || !ms->key)
        return nomem(c);
    ms->line = t->line;
    m->mount_count++; /* owned by m from here on */
    if (dotdot)
        return verr(c, path, "must not contain '..'");
    for (size_t i = 0; i + 1 < m->mount_count; i++) {
        const struct libos_mount_spec *o = &m->mounts[i];
        if (strcmp(o->path, ms->path) == 0)
            return verr(c, path ? path : t, "\"%s\" is already mounted by %s (line %d)", ms->path,
                        o->key, o->line);
    }
    if (!dup_to(&ms->source, source))
        return nomem(c);
    if (source) {
        ms->source_line = source->line;
        ms->source_col = source->col;
    }
    ms->readonly = ms->type == LIBOS_MOUNT_HOST; /* host: read-only unless asked */
    if (ro)
        ms->readonly = ro->boolean;
    return get_size(c, size, &ms->size);
}

static long read_fs(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    const struct libos_toml *n = libos_toml_member(t, "mounts"), *e;
    const struct libos_toml *root = libos_toml_member(t, "root");
    if (!dup_to(&m->cwd, libos_toml_member(t, "cwd")))
        return nomem(c);
    size_t count = (n ? n->count : 0) + (root ? 1 : 0);
    m->mounts = libos_calloc(count ? count : 1, sizeof(*m->mounts));
    if (!m->mounts)
        return nomem(c);
    long rc = root ? read_mount(c, m, root, true) : 0;
    if (n) {
        libos_toml_foreach(e, n) {
            if (rc == 0)
                rc = read_mount(c, m, e, false);
        }
    }
    return rc;
}

/* K_LIMIT was checked in pass 1: an integer > 0, or "unlimited" (0). */
static void get_limit(const struct libos_toml *n, uint64_t *out) {
    int64_t v;
    if (libos_toml_int(n, &v))
        *out = (uint64_t)v;
}

static long read_sys(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    long rc = get_size_or_unlimited(c, libos_toml_member(t, "memory"), &m->limit_memory, true);
    if (rc == 0)
        rc = get_size(c, libos_toml_member(t, "stack"), &m->limit_stack);
    if (rc == 0)
        rc = get_size(c, libos_toml_member(t, "brk"), &m->limit_brk);
    if (rc < 0)
        return rc;
    get_limit(libos_toml_member(t, "open_files"), &m->limit_open_files);
    get_limit(libos_toml_member(t, "threads"), &m->limit_threads);
    get_limit(libos_toml_member(t, "processes"), &m->limit_processes);
    const struct libos_toml *n = libos_toml_member(t, "fork");
    if (n) {
        if (strcmp(n->str, "checkpoint") == 0)
            m->fork_checkpoint = true;
        else if (strcmp(n->str, "fast") != 0)
            return verr(c, n, "must be \"fast\" or \"checkpoint\", not \"%s\"", n->str);
    }
    return 0;
}

/* insecure__ keys were checked in pass 1; here they are set and warned of. */
static long read_insecure(struct ctx *c, struct libos_manifest *m) {
    m->warnings = libos_calloc(ARRAY_SIZE(s_insecure), sizeof(char *));
    if (!m->warnings)
        return nomem(c);
    for (size_t i = 0; i < ARRAY_SIZE(s_insecure); i++) {
        const struct libos_toml *n = libos_toml_get(m->root, s_insecure[i].path);
        if (!n || !n->boolean)
            continue;
        *(bool *)((char *)m + s_insecure[i].offset) = true;
        size_t len = strlen(c->name) + strlen(s_insecure[i].path) + strlen(s_insecure[i].what) + 48;
        char *w = libos_malloc(len);
        if (!w)
            return nomem(c);
        libos_snprintf(w, len, "%s:%d:%d: %s: %s", c->name, n->line, n->key_col, s_insecure[i].path,
                       s_insecure[i].what);
        m->warnings[m->warning_count++] = w;
    }
    return 0;
}

static const char *const s_pal_names[] = {"linux", "kvm"};
/* Index is the log level; "trace" is one above LOG_DEBUG. */
static const char *const s_log_levels[] = {"none", "error", "warning", "info", "debug", "trace"};

static long read_pal(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    bool b;
    if (libos_toml_bool(libos_toml_member(t, "syscall_rewrite"), &b))
        m->syscall_rewrite = b;
    const struct libos_toml *n = libos_toml_member(t, "name");
    if (!n)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(s_pal_names); i++) {
        if (strcmp(n->str, s_pal_names[i]) == 0)
            return dup_to(&m->pal, n) ? 0 : nomem(c);
    }
    return verr(c, n, "must be \"linux\" or \"kvm\", not \"%s\"", n->str);
}

static long read_log(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    const struct libos_toml *n = libos_toml_member(t, "level");
    if (!n)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(s_log_levels); i++) {
        if (strcmp(n->str, s_log_levels[i]) == 0) {
            m->log_level = (int)i;
            return 0;
        }
    }
    return verr(c, n,
                "must be \"none\", \"error\", \"warning\", \"info\", \"debug\" or \"trace\", not "
                "\"%s\"",
                n->str);
}

/* ------------------------------------------------------------ [net]
 * Each entry of net.connect / net.bind is "ADDRESS:PORTS":
 *   ADDRESS  an IPv4 literal ("127.0.0.1"), an IPv6 literal in brackets
 *            ("[::1]"), either with a CIDR prefix ("10.0.0.0/8",
 *            "[fe80::]/10"), "localhost" (127.0.0.0/8 and [::1]) or "*"
 *            (any address of either family). A literal matches only
 *            itself: "0.0.0.0:8080" grants binding the wildcard address.
 *   PORTS    a port ("80"), a range ("1000-2000") or "*" (0-65535).
 * Nothing is granted by default, loopback included. */

static bool parse_num(const char **s, uint32_t max, int base, uint32_t *out) {
    uint32_t v = 0;
    int n = 0;
    for (;; n++) {
        char c = **s;
        int d = c >= '0' && c <= '9'                 ? c - '0'
                : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
                : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                     : -1;
        if (d < 0 || n > 8)
            break;
        v = v * (uint32_t)base + (uint32_t)d;
        if (v > max)
            return false;
        (*s)++;
    }
    *out = v;
    return n > 0 && n <= 8;
}

static bool parse_v4(const char **s, uint8_t out[4]) {
    for (int i = 0; i < 4; i++) {
        uint32_t v;
        if (i && *(*s)++ != '.')
            return false;
        if (!parse_num(s, 255, 10, &v))
            return false;
        out[i] = (uint8_t)v;
    }
    return true;
}

/* IPv6 text up to (not including) ']': groups with one optional "::". */
static bool parse_v6(const char **s, uint8_t out[16]) {
    uint16_t w[8] = {0};
    int n = 0, gap = -1;
    if ((*s)[0] == ':' && (*s)[1] == ':') {
        gap = 0;
        *s += 2;
    }
    while (**s && **s != ']') {
        uint32_t v;
        if (n == 8 || !parse_num(s, 0xffff, 16, &v))
            return false;
        w[n++] = (uint16_t)v;
        if (**s == ':') {
            (*s)++;
            if (**s == ':') {
                if (gap >= 0)
                    return false;
                gap = n;
                (*s)++;
            } else if (**s == ']' || !**s) {
                return false;
            }
        }
    }
    if (gap < 0 ? n != 8 : n > 7)
        return false;
    memset(out, 0, 16);
    int head = gap < 0 ? n : gap, tail = n - head;
    for (int i = 0; i < head; i++) {
        out[2 * i] = (uint8_t)(w[i] >> 8);
        out[2 * i + 1] = (uint8_t)w[i];
    }
    for (int i = 0; i < tail; i++) {
        int k = 8 - tail + i;
        out[2 * k] = (uint8_t)(w[head + i] >> 8);
        out[2 * k + 1] = (uint8_t)w[head + i];
    }
    return true;
}

long libos_net_rule_parse(const char *s, struct libos_net_rule out[2]) {
    struct libos_net_rule r;
    memset(&r, 0, sizeof(r));
    long count = 1;
    uint32_t v;
    if (libos_str_starts_with(s, "localhost:")) {
        s += 9;
        r.family = 4;
        r.prefix = 8;
        r.addr[0] = 127;
        count = 2;
    } else if (s[0] == '*' && s[1] == ':') {
        s += 1;
    } else {
        if (*s == '[') {
            s++;
            r.family = 6;
            if (!parse_v6(&s, r.addr) || *s++ != ']')
                return -EINVAL;
        } else {
            r.family = 4;
            if (!parse_v4(&s, r.addr))
                return -EINVAL;
        }
        r.prefix = r.family == 4 ? 32 : 128;
        if (*s == '/') {
            s++;
            if (!parse_num(&s, r.prefix, 10, &v))
                return -EINVAL;
            r.prefix = (uint8_t)v;
        }
    }
    if (*s++ != ':')
        return -EINVAL;
    if (s[0] == '*' && s[1] == '\0') {
        r.port_lo = 0;
        r.port_hi = 65535;
    } else {
        if (!parse_num(&s, 65535, 10, &v))
            return -EINVAL;
        r.port_lo = r.port_hi = (uint16_t)v;
        if (*s == '-') {
            s++;
            if (!parse_num(&s, 65535, 10, &v) || v < r.port_lo)
                return -EINVAL;
            r.port_hi = (uint16_t)v;
        }
        if (*s)
            return -EINVAL;
    }
    out[0] = r;
    if (count == 2) {
        out[1] = r;
        out[1].family = 6;
        out[1].prefix = 128;
        memset(out[1].addr, 0, 16);
        out[1].addr[15] = 1;
    }
    return count;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits) {
    for (unsigned i = 0; bits; i++) {
        unsigned n = bits < 8 ? bits : 8;
        uint8_t mask = (uint8_t)(0xff00 >> n);
        if ((a[i] ^ b[i]) & mask)
            return false;
        bits -= n;
    }
    return true;
}

bool libos_net_rules_allow(const struct libos_net_rule *rules, size_t count, int family,
                           const uint8_t *addr, uint16_t port) {
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == 6 && memcmp(addr, v4mapped, 12) == 0) {
        family = 4;
        addr += 12;
    }
    for (size_t i = 0; i < count; i++) {
        const struct libos_net_rule *r = &rules[i];
        if (port < r->port_lo || port > r->port_hi)
            continue;
        if (r->family == 0 || (r->family == family && prefix_match(r->addr, addr, r->prefix)))
            return true;
    }
    return false;
}

static long read_net_rules(struct ctx *c, const struct libos_toml *n, struct libos_net_rule **out,
                           size_t *count) {
    const struct libos_toml *e;
    if (!n)
        return 0;
    *out = libos_calloc(n->count * 2 + 1, sizeof(**out));
    if (!*out)
        return nomem(c);
    libos_toml_foreach(e, n) {
        long k = libos_net_rule_parse(e->str, *out + *count);
        if (k < 0)
            return verr(c, e,
                        "invalid entry \"%s\" (use ADDRESS:PORTS, e.g. \"127.0.0.1:8080\", "
                        "\"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")",
                        e->str);
        for (long i = 0; i < k; i++)
            (*out)[*count + i].line = e->line;
        *count += (size_t)k;
    }
    return 0;
}

static long read_net(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    long rc =
        read_net_rules(c, libos_toml_member(t, "connect"), &m->net_connect, &m->net_connect_count);
    if (rc == 0)
        rc = read_net_rules(c, libos_toml_member(t, "bind"), &m->net_bind, &m->net_bind_count);
    return rc;
}

const char *libos_manifest_insecure(const struct libos_manifest *m, size_t i, bool *value) {
    if (i >= ARRAY_SIZE(s_insecure))
        return NULL;
    *value = *(const bool *)((const char *)m + s_insecure[i].offset);
    return s_insecure[i].path;
}

void libos_manifest_free(struct libos_manifest *m) {
    if (!m)
        return;
    libos_free(m->name);
    libos_free(m->entrypoint);
    free_str_array(m->argv);
    for (size_t i = 0; i < m->env_count; i++) {
        libos_free(m->env[i].name);
        libos_free(m->env[i].value);
    }
    libos_free(m->env);
    free_str_array(m->env_passthrough);
    for (size_t i = 0; i < m->mount_count; i++) {
        libos_free(m->mounts[i].path);
        libos_free(m->mounts[i].source);
        libos_free(m->mounts[i].key);
    }
    libos_free(m->mounts);
    libos_free(m->cwd);
    libos_free(m->pal);
    libos_free(m->net_connect);
    libos_free(m->net_bind);
    for (size_t i = 0; i < m->warning_count; i++)
        libos_free(m->warnings[i]);
    libos_free(m->warnings);
    libos_toml_free(m->root);
    libos_free(m);
}

long libos_manifest_parse(const char *text, size_t len, const char *name,
                          struct libos_manifest **out, char *err, size_t err_size) {
    struct ctx c = {.name = name ? name : "manifest", .err = err, .err_size = err_size};
    *out = NULL;
    struct libos_manifest *m = libos_calloc(1, sizeof(*m));
    if (!m)
        return nomem(&c);
    m->log_level = -1;
    m->uid = m->gid = -1;
    m->argv_from_cli = true;
    m->syscall_rewrite = true;
    long rc = libos_toml_parse(text, len, c.name, &m->root, err, err_size);
    if (rc == 0 && !(m->name = libos_strdup(c.name)))
        rc = nomem(&c);
    if (rc == 0)
        rc = check_members(&c, m->root, s_root, "");
    static const struct {
        const char *table;
        long (*read)(struct ctx *, struct libos_manifest *, const struct libos_toml *);
    } sections[] = {
        {"loader", read_loader}, {"fs", read_fs},   {"sys", read_sys},
        {"pal", read_pal},       {"log", read_log}, {"net", read_net},
    };
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(sections); i++) {
        const struct libos_toml *t = libos_toml_member(m->root, sections[i].table);
        if (t)
            rc = sections[i].read(&c, m, t);
    }
    if (rc == 0)
        rc = read_insecure(&c, m);
    if (rc < 0) {
        libos_manifest_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
