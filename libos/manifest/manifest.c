/* Manifest schema: checks the TOML tree against the keys Sabot knows and
 * builds struct libos_manifest. Two passes: a generic walk over the schema
 * tables below rejects unknown keys and wrong types (in document order), then
 * each section is read and its values checked (paths, enums, sizes). */
#include "libos_manifest.h"

#include "libos.h"
#include "libos_toml.h"

enum kind {
    K_TABLE = 1,   /* table with members in sub */
    K_TABLE_ARRAY, /* array of tables, each with members in sub */
    K_STRING,
    K_ABSPATH, /* string starting with '/' */
    K_STR_ARRAY,
    K_STR_TABLE, /* table whose members are all strings */
    K_SIZE,      /* "64M" or an integer */
    K_POSINT,    /* integer > 0 */
    K_BOOL,
};

struct key_spec {
    const char *name;
    int kind;
    const struct key_spec *sub;
};

static const struct key_spec s_loader[] = {
    {"entrypoint", K_ABSPATH, NULL},
    {"argv", K_STR_ARRAY, NULL},
    {"env", K_STR_TABLE, NULL},
    {"env_passthrough", K_STR_ARRAY, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_mount[] = {
    {"path", K_ABSPATH, NULL},  {"type", K_STRING, NULL}, {"source", K_ABSPATH, NULL},
    {"readonly", K_BOOL, NULL}, {NULL, 0, NULL},
};

static const struct key_spec s_fs[] = {
    {"cwd", K_ABSPATH, NULL},
    {"mounts", K_TABLE_ARRAY, s_mount},
    {NULL, 0, NULL},
};

static const struct key_spec s_limits[] = {
    {"memory", K_SIZE, NULL},
    {"stack", K_SIZE, NULL},
    {"brk", K_SIZE, NULL},
    {"open_files", K_POSINT, NULL},
    {"threads", K_POSINT, NULL},
    {"processes", K_POSINT, NULL},
    {NULL, 0, NULL},
};

static const struct key_spec s_pal[] = {
    {"name", K_STRING, NULL},
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
    {"limits", K_TABLE, s_limits},
    {"pal", K_TABLE, s_pal},
    {"log", K_TABLE, s_log},
    {"net", K_TABLE, s_net},
    {NULL, 0, NULL},
};

/* Options that weaken isolation. Every one is listed here, by schema path
 * (array elements without index, e.g. "fs.mounts.insecure__x"), and nowhere
 * else: a key starting with "insecure__" that is not in this table is an
 * error. Example entry: {"loader.insecure__use_host_env", K_BOOL, NULL}. */
static const struct key_spec s_insecure[] = {
    {NULL, 0, NULL},
};

#define INSECURE_PREFIX "insecure__"

struct ctx {
    const char *name;
    char *err;
    size_t err_size;
};

static long merr(struct ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static long merr(struct ctx *c, int line, const char *fmt, ...) {
    if (c->err_size == 0)
        return -EINVAL;
    int n = libos_snprintf(c->err, c->err_size, "%s:%d: ", c->name, line);
    if (n >= 0 && (size_t)n < c->err_size) {
        va_list ap;
        va_start(ap, fmt);
        libos_vsnprintf(c->err + n, c->err_size - n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static long nomem(struct ctx *c) {
    merr(c, 0, "out of memory");
    return -ENOMEM;
}

/* Path of a node for messages ("fs.mounts[1].path"). */
struct pathbuf {
    char s[160];
};

static const char *npath(const struct libos_toml *n, struct pathbuf *b) {
    libos_toml_path(n, b->s, sizeof(b->s));
    return b->s;
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

static long unknown_key(struct ctx *c, const struct libos_toml *n, const struct key_spec *spec) {
    struct pathbuf p, pp;
    const char *guess = suggest(n->key, spec);
    if (!guess)
        return merr(c, n->line, "unknown key '%s'", npath(n, &p));
    if (n->parent && n->parent->parent)
        return merr(c, n->line, "unknown key '%s' (did you mean '%s.%s'?)", npath(n, &p),
                    npath(n->parent, &pp), guess);
    return merr(c, n->line, "unknown key '%s' (did you mean '%s'?)", npath(n, &p), guess);
}

static long check_members(struct ctx *c, const struct libos_toml *t, const struct key_spec *spec,
                          const char *schema_path);

static long check_kind(struct ctx *c, const struct libos_toml *n, const struct key_spec *ks,
                       const char *schema_path) {
    struct pathbuf p;
    const struct libos_toml *e;
    switch (ks->kind) {
    case K_TABLE:
        if (n->type != LIBOS_TOML_TABLE)
            return merr(c, n->line, "%s must be a table", npath(n, &p));
        return check_members(c, n, ks->sub, schema_path);
    case K_TABLE_ARRAY:
        if (n->type != LIBOS_TOML_ARRAY)
            return merr(c, n->line, "%s must be an array of tables", npath(n, &p));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_TABLE)
                return merr(c, e->line, "%s must be an array of tables", npath(n, &p));
            long rc = check_members(c, e, ks->sub, schema_path);
            if (rc < 0)
                return rc;
        }
        return 0;
    case K_STRING:
        if (n->type != LIBOS_TOML_STRING)
            return merr(c, n->line, "%s must be a string", npath(n, &p));
        return 0;
    case K_ABSPATH:
        if (n->type != LIBOS_TOML_STRING || n->str[0] != '/')
            return merr(c, n->line, "%s must be an absolute path (a string starting with '/')",
                        npath(n, &p));
        return 0;
    case K_STR_ARRAY:
        if (n->type != LIBOS_TOML_ARRAY)
            return merr(c, n->line, "%s must be an array of strings", npath(n, &p));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_STRING)
                return merr(c, e->line, "%s must be an array of strings", npath(n, &p));
        }
        return 0;
    case K_STR_TABLE:
        if (n->type != LIBOS_TOML_TABLE)
            return merr(c, n->line, "%s must be a table of strings", npath(n, &p));
        libos_toml_foreach(e, n) {
            if (e->type != LIBOS_TOML_STRING)
                return merr(c, e->line, "%s must be a string", npath(e, &p));
        }
        return 0;
    case K_SIZE:
        if (n->type != LIBOS_TOML_STRING && n->type != LIBOS_TOML_INT)
            return merr(c, n->line, "%s must be a size such as \"64M\" or an integer",
                        npath(n, &p));
        return 0;
    case K_POSINT:
        if (n->type != LIBOS_TOML_INT || n->integer <= 0)
            return merr(c, n->line, "%s must be an integer > 0", npath(n, &p));
        return 0;
    case K_BOOL:
        if (n->type != LIBOS_TOML_BOOL)
            return merr(c, n->line, "%s must be true or false", npath(n, &p));
        return 0;
    }
    return merr(c, n->line, "internal: bad schema kind");
}

static const struct key_spec *find_spec(const struct key_spec *spec, const char *name) {
    for (; spec->name; spec++)
        if (strcmp(spec->name, name) == 0)
            return spec;
    return NULL;
}

static long check_members(struct ctx *c, const struct libos_toml *t, const struct key_spec *spec,
                          const char *schema_path) {
    const struct libos_toml *n;
    libos_toml_foreach(n, t) {
        char sub[128];
        int len = libos_snprintf(sub, sizeof(sub), "%s%s%s", schema_path, *schema_path ? "." : "",
                                 n->key);
        const struct key_spec *ks = find_spec(spec, n->key);
        if (!ks && libos_str_starts_with(n->key, INSECURE_PREFIX)) {
            struct pathbuf p;
            if (len >= (int)sizeof(sub) || !(ks = find_spec(s_insecure, sub)))
                return merr(c, n->line, "unknown insecure option '%s'", npath(n, &p));
        }
        if (!ks)
            return unknown_key(c, n, spec);
        long rc = check_kind(c, n, ks, sub);
        if (rc < 0)
            return rc;
    }
    return 0;
}

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

static long get_size(struct ctx *c, const struct libos_toml *n, uint64_t *out) {
    struct pathbuf p;
    if (!n)
        return 0;
    if (n->type == LIBOS_TOML_INT) {
        if (n->integer <= 0)
            return merr(c, n->line, "%s must be > 0", npath(n, &p));
        *out = (uint64_t)n->integer;
        return 0;
    }
    long rc = libos_parse_size(n->str, out);
    if (rc == -ERANGE)
        return merr(c, n->line, "%s: size \"%s\" is too large", npath(n, &p), n->str);
    if (rc < 0)
        return merr(c, n->line,
                    "%s: invalid size \"%s\" (use e.g. \"4096\", \"64K\", \"8M\", \"1G\")",
                    npath(n, &p), n->str);
    if (*out == 0)
        return merr(c, n->line, "%s must be > 0", npath(n, &p));
    return 0;
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
    struct pathbuf p;
    const struct libos_toml *n, *e;
    if (!dup_to(&m->entrypoint, libos_toml_member(t, "entrypoint")))
        return nomem(c);
    if ((n = libos_toml_member(t, "argv"))) {
        m->argv = dup_str_array(n, NULL);
        if (!m->argv || (n->count && !m->argv[n->count - 1]))
            return nomem(c);
    }
    if ((n = libos_toml_member(t, "env"))) {
        m->env = libos_calloc(n->count ? n->count : 1, sizeof(*m->env));
        if (!m->env)
            return nomem(c);
        libos_toml_foreach(e, n) {
            if (!valid_env_name(e->key))
                return merr(c, e->line, "%s: invalid variable name", npath(e, &p));
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
                return merr(c, e->line, "%s: invalid variable name \"%s\"", npath(n, &p), e->str);
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

static long read_mount(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    struct pathbuf p, q;
    struct libos_mount_spec *ms = &m->mounts[m->mount_count];
    const struct libos_toml *path = libos_toml_member(t, "path");
    const struct libos_toml *type = libos_toml_member(t, "type");
    const struct libos_toml *source = libos_toml_member(t, "source");
    const struct libos_toml *ro = libos_toml_member(t, "readonly");
    if (!path)
        return merr(c, t->line, "%s needs a 'path'", npath(t, &p));
    if (!type)
        return merr(c, t->line, "%s needs a 'type' (\"host\" or \"tmpfs\")", npath(t, &p));
    if (strcmp(type->str, "host") == 0) {
        ms->type = LIBOS_MOUNT_HOST;
        if (!source)
            return merr(c, t->line, "%s needs a 'source' (host directory) for type \"host\"",
                        npath(t, &p));
    } else if (strcmp(type->str, "tmpfs") == 0) {
        ms->type = LIBOS_MOUNT_TMPFS;
        if (source)
            return merr(c, source->line, "%s is not allowed for type \"tmpfs\"", npath(source, &p));
    } else {
        return merr(c, type->line, "%s must be \"host\" or \"tmpfs\"", npath(type, &p));
    }
    bool dotdot;
    ms->path = normalize_path(path->str, &dotdot);
    if (!ms->path)
        return nomem(c);
    ms->line = t->line;
    m->mount_count++; /* owned by m from here on */
    if (dotdot)
        return merr(c, path->line, "%s must not contain '..'", npath(path, &p));
    for (size_t i = 0; i + 1 < m->mount_count; i++) {
        if (strcmp(m->mounts[i].path, ms->path) == 0)
            return merr(c, path->line, "%s: \"%s\" is already mounted (line %d)", npath(path, &q),
                        ms->path, m->mounts[i].line);
    }
    if (!dup_to(&ms->source, source))
        return nomem(c);
    ms->readonly = ms->type == LIBOS_MOUNT_HOST; /* host: read-only unless asked */
    if (ro)
        ms->readonly = ro->boolean;
    return 0;
}

static long read_fs(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    const struct libos_toml *n, *e;
    if (!dup_to(&m->cwd, libos_toml_member(t, "cwd")))
        return nomem(c);
    if ((n = libos_toml_member(t, "mounts"))) {
        m->mounts = libos_calloc(n->count ? n->count : 1, sizeof(*m->mounts));
        if (!m->mounts)
            return nomem(c);
        libos_toml_foreach(e, n) {
            long rc = read_mount(c, m, e);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

static long read_limits(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    long rc = get_size(c, libos_toml_member(t, "memory"), &m->limit_memory);
    if (rc == 0)
        rc = get_size(c, libos_toml_member(t, "stack"), &m->limit_stack);
    if (rc == 0)
        rc = get_size(c, libos_toml_member(t, "brk"), &m->limit_brk);
    int64_t v;
    if (libos_toml_int(libos_toml_member(t, "open_files"), &v))
        m->limit_open_files = (uint64_t)v;
    if (libos_toml_int(libos_toml_member(t, "threads"), &v))
        m->limit_threads = (uint64_t)v;
    if (libos_toml_int(libos_toml_member(t, "processes"), &v))
        m->limit_processes = (uint64_t)v;
    return rc;
}

static const char *const s_pal_names[] = {"linux", "kvm", "enclave"};
/* Index is the log level; "trace" is one above LOG_DEBUG. */
static const char *const s_log_levels[] = {"none", "error", "warning", "info", "debug", "trace"};

static long read_pal(struct ctx *c, struct libos_manifest *m, const struct libos_toml *t) {
    const struct libos_toml *n = libos_toml_member(t, "name");
    if (!n)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(s_pal_names); i++) {
        if (strcmp(n->str, s_pal_names[i]) == 0)
            return dup_to(&m->pal, n) ? 0 : nomem(c);
    }
    return merr(c, n->line, "pal.name must be \"linux\", \"kvm\" or \"enclave\"");
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
    return merr(c, n->line,
                "log.level must be \"none\", \"error\", \"warning\", \"info\", \"debug\" or "
                "\"trace\"");
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
    struct pathbuf p;
    const struct libos_toml *e;
    if (!n)
        return 0;
    *out = libos_calloc(n->count * 2 + 1, sizeof(**out));
    if (!*out)
        return nomem(c);
    libos_toml_foreach(e, n) {
        long k = libos_net_rule_parse(e->str, *out + *count);
        if (k < 0)
            return merr(c, e->line,
                        "%s: invalid entry \"%s\" (use ADDRESS:PORTS, e.g. \"127.0.0.1:8080\", "
                        "\"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")",
                        npath(n, &p), e->str);
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
    }
    libos_free(m->mounts);
    libos_free(m->cwd);
    libos_free(m->pal);
    libos_free(m->net_connect);
    libos_free(m->net_bind);
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
    long rc = libos_toml_parse(text, len, c.name, &m->root, err, err_size);
    if (rc == 0 && !(m->name = libos_strdup(c.name)))
        rc = nomem(&c);
    if (rc == 0)
        rc = check_members(&c, m->root, s_root, "");
    static const struct {
        const char *table;
        long (*read)(struct ctx *, struct libos_manifest *, const struct libos_toml *);
    } sections[] = {
        {"loader", read_loader}, {"fs", read_fs},   {"limits", read_limits},
        {"pal", read_pal},       {"log", read_log}, {"net", read_net},
    };
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(sections); i++) {
        const struct libos_toml *t = libos_toml_member(m->root, sections[i].table);
        if (t)
            rc = sections[i].read(&c, m, t);
    }
    if (rc < 0) {
        libos_manifest_free(m);
        return rc;
    }
    *out = m;
    return 0;
}
