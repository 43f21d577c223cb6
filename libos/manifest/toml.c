/* TOML subset parser (see libos_toml.h). Single pass over the text with a
 * cursor; the tree is built in place and freed whole on any error. */
#include "libos_toml.h"

#include "libos.h"

/* How a table came to exist; decides what may extend or redefine it. */
#define TF_IMPLICIT 0x1 /* created as a parent of a [header]; may be defined later */
#define TF_HEADER 0x2   /* defined by a [header] or a [[header]] element */
#define TF_DOTTED 0x4   /* created by a dotted key; only dotted keys may extend it */
#define TF_INLINE 0x8   /* inline table { }: closed once written */
#define TF_AOT 0x10     /* array created by [[header]]; static arrays lack it */

#define MAX_KEY_PARTS 32

struct parser {
    const char *p, *end;
    const char *name;
    int line;
    const char *line_start; /* first byte of the current line, for columns */
    char *err;
    size_t err_size;
    struct libos_toml *root;
    struct libos_toml *cur; /* table that key = value lines go to */
};

/* Growable byte buffer for decoded strings. */
struct sbuf {
    char *d;
    size_t len, cap;
};

/* 1-based column of at on a line starting at start, in characters (UTF-8
 * continuation bytes do not count; a tab is one column). */
static int column(const char *start, const char *at) {
    int col = 1;
    for (const char *c = start; c < at; c++)
        col += ((unsigned char)*c & 0xc0) != 0x80;
    return col;
}

static int col_here(struct parser *ps) {
    return column(ps->line_start, ps->p);
}

static long perr(struct parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static long perr(struct parser *ps, int line, int col, const char *fmt, ...) {
    if (ps->err_size == 0)
        return -EINVAL;
    int n = libos_snprintf(ps->err, ps->err_size, "%s:%d:%d: ", ps->name, line, col);
    if (n >= 0 && (size_t)n < ps->err_size) {
        va_list ap;
        va_start(ap, fmt);
        libos_vsnprintf(ps->err + n, ps->err_size - n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* An error at the cursor. */
#define perr_here(ps, ...) perr((ps), (ps)->line, col_here(ps), __VA_ARGS__)

static long nomem(struct parser *ps) {
    perr_here(ps, "out of memory");
    return -ENOMEM;
}

static bool sbuf_put(struct sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = libos_realloc(b->d, cap);
        if (!d)
            return false;
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->len, s, n);
    b->len += n;
    b->d[b->len] = '\0';
    return true;
}

/* ------------------------------------------------------------ tree */

static struct libos_toml *node_new(struct parser *ps, struct libos_toml *parent, int type,
                                   char *key, int line, int col, int key_col) {
    struct libos_toml *n = libos_calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->type = type;
    n->line = line;
    n->col = col;
    n->key_col = key_col;
    n->key = key;
    n->parent = parent;
    if (parent) {
        n->depth = parent->depth + 1;
        if (parent->last)
            parent->last->next = n;
        else
            parent->child = n;
        parent->last = n;
        parent->count++;
    }
    return n;
}

void libos_toml_free(struct libos_toml *root) {
    /* Iterative post-order walk: no recursion, whatever the depth. */
    struct libos_toml *n = root;
    while (n) {
        struct libos_toml *c = n->child;
        if (c) {
            n->child = c->next;
            n = c;
            continue;
        }
        struct libos_toml *p = n == root ? NULL : n->parent;
        libos_free(n->key);
        libos_free(n->str);
        libos_free(n);
        n = p;
    }
}

struct libos_toml *libos_toml_member(const struct libos_toml *t, const char *key) {
    if (!t || t->type != LIBOS_TOML_TABLE)
        return NULL;
    for (struct libos_toml *c = t->child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

struct libos_toml *libos_toml_get(const struct libos_toml *t, const char *path) {
    char part[256];
    while (t) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, path, n);
        part[n] = '\0';
        struct libos_toml *m = libos_toml_member(t, part);
        if (!dot)
            return m;
        t = m;
        path = dot + 1;
    }
    return NULL;
}

struct libos_toml *libos_toml_at(const struct libos_toml *t, size_t i) {
    if (!t || (t->type != LIBOS_TOML_ARRAY && t->type != LIBOS_TOML_TABLE))
        return NULL;
    struct libos_toml *c = t->child;
    while (c && i--)
        c = c->next;
    return c;
}

const char *libos_toml_str(const struct libos_toml *n) {
    return n && n->type == LIBOS_TOML_STRING ? n->str : NULL;
}

bool libos_toml_int(const struct libos_toml *n, int64_t *out) {
    if (!n || n->type != LIBOS_TOML_INT)
        return false;
    *out = n->integer;
    return true;
}

bool libos_toml_bool(const struct libos_toml *n, bool *out) {
    if (!n || n->type != LIBOS_TOML_BOOL)
        return false;
    *out = n->boolean;
    return true;
}

bool libos_toml_is_str_array(const struct libos_toml *n) {
    if (!n || n->type != LIBOS_TOML_ARRAY)
        return false;
    for (struct libos_toml *c = n->child; c; c = c->next)
        if (c->type != LIBOS_TOML_STRING)
            return false;
    return true;
}

const char *libos_toml_type_name(int type) {
    switch (type) {
    case LIBOS_TOML_TABLE:
        return "table";
    case LIBOS_TOML_ARRAY:
        return "array";
    case LIBOS_TOML_STRING:
        return "string";
    case LIBOS_TOML_INT:
        return "integer";
    case LIBOS_TOML_BOOL:
        return "boolean";
    }
    return "?";
}

static bool is_bare_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_bare_key(const char *k) {
    if (!*k)
        return false;
    for (; *k; k++)
        if (!is_bare_char(*k))
            return false;
    return true;
}

/* Appends to buf at *pos without overflowing; *pos counts the full length. */
static void path_put(char *buf, size_t size, size_t *pos, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++, (*pos)++)
        if (*pos + 1 < size)
            buf[*pos] = s[i];
}

size_t libos_toml_path(const struct libos_toml *n, char *buf, size_t size) {
    /* Collect the chain root->n first; depth is bounded by the parser. */
    const struct libos_toml *chain[LIBOS_TOML_MAX_DEPTH + 2];
    size_t k = 0, pos = 0;
    for (; n && n->parent && k < ARRAY_SIZE(chain); n = n->parent)
        chain[k++] = n;
    while (k--) {
        const struct libos_toml *c = chain[k];
        if (c->parent->type == LIBOS_TOML_ARRAY) {
            size_t idx = 0;
            for (const struct libos_toml *s = c->parent->child; s != c; s = s->next)
                idx++;
            char num[32];
            int len = libos_snprintf(num, sizeof(num), "[%zu]", idx);
            path_put(buf, size, &pos, num, len);
            continue;
        }
        if (pos > 0)
            path_put(buf, size, &pos, ".", 1);
        bool bare = is_bare_key(c->key);
        if (!bare)
            path_put(buf, size, &pos, "\"", 1);
        path_put(buf, size, &pos, c->key, strlen(c->key));
        if (!bare)
            path_put(buf, size, &pos, "\"", 1);
    }
    if (size > 0)
        buf[pos < size ? pos : size - 1] = '\0';
    return pos;
}

/* ------------------------------------------------------------ lexing */

static bool at_eof(struct parser *ps) {
    return ps->p >= ps->end;
}

static char peek(struct parser *ps, size_t off) {
    return ps->p + off < ps->end ? ps->p[off] : '\0';
}

static void skip_ws(struct parser *ps) {
    while (!at_eof(ps) && (*ps->p == ' ' || *ps->p == '\t'))
        ps->p++;
}

static bool at_newline(struct parser *ps) {
    return peek(ps, 0) == '\n' || (peek(ps, 0) == '\r' && peek(ps, 1) == '\n');
}

static void eat_newline(struct parser *ps) {
    ps->p += *ps->p == '\r' ? 2 : 1;
    ps->line++;
    ps->line_start = ps->p;
}

/* Control characters TOML forbids in comments and strings (tab is fine). */
static bool is_bad_ctl(unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static long skip_comment(struct parser *ps) {
    while (!at_eof(ps) && !at_newline(ps)) {
        if (is_bad_ctl((unsigned char)*ps->p))
            return perr_here(ps, "control character in comment");
        ps->p++;
    }
    return 0;
}

/* Whitespace, newlines and comments (inside arrays). */
static long skip_ws_nl(struct parser *ps) {
    for (;;) {
        skip_ws(ps);
        if (at_newline(ps)) {
            eat_newline(ps);
        } else if (peek(ps, 0) == '#') {
            long rc = skip_comment(ps);
            if (rc < 0)
                return rc;
        } else {
            return 0;
        }
    }
}

/* After a header or key/value: only a comment may follow on the line. */
static long expect_eol(struct parser *ps, const char *after) {
    skip_ws(ps);
    if (peek(ps, 0) == '#') {
        long rc = skip_comment(ps);
        if (rc < 0)
            return rc;
    }
    if (at_eof(ps))
        return 0;
    if (!at_newline(ps))
        return perr_here(ps, "expected a new line after %s", after);
    eat_newline(ps);
    return 0;
}

/* Rejects NUL bytes and malformed UTF-8 up front so later code can trust
 * every byte sequence it copies into strings. */
static long check_utf8(struct parser *ps) {
    const unsigned char *s = (const unsigned char *)ps->p, *e = (const unsigned char *)ps->end;
    const unsigned char *ls = s; /* line start */
    int line = 1;
#define UTF8_ERR(msg) perr(ps, line, column((const char *)ls, (const char *)s), msg)
    while (s < e) {
        unsigned c = *s;
        if (c == '\n') {
            line++;
            ls = ++s;
            continue;
        }
        if (c == 0)
            return UTF8_ERR("NUL byte in file");
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return UTF8_ERR("invalid UTF-8");
        }
        if ((size_t)(e - s) < n)
            return UTF8_ERR("invalid UTF-8");
        for (size_t i = 1; i < n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return UTF8_ERR("invalid UTF-8");
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return UTF8_ERR("invalid UTF-8");
        s += n;
    }
    return 0;
#undef UTF8_ERR
}

static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after the backslash (ps->p points past it). */
static long parse_escape(struct parser *ps, struct sbuf *b) {
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    int at = col_here(ps) - 1; /* errors point at the backslash */
    char c = peek(ps, 0);
    const char *simple = c ? strchr(from, c) : NULL;
    if (!simple && c != 'u' && c != 'U') {
        if (c >= 0x20 && c < 0x7f)
            return perr(ps, ps->line, at, "invalid escape '\\%c'", c);
        return perr(ps, ps->line, at, "invalid escape in string");
    }
    ps->p++;
    if (simple)
        return sbuf_put(b, &to[simple - from], 1) ? 0 : nomem(ps);
    int digits = c == 'u' ? 4 : 8;
    uint32_t cp = 0;
    for (int i = 0; i < digits; i++) {
        int v = hexval(peek(ps, 0));
        if (v < 0)
            return perr(ps, ps->line, at, "\\%c needs %d hex digits", c, digits);
        cp = cp << 4 | (uint32_t)v;
        ps->p++;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return perr(ps, ps->line, at, "invalid unicode escape (U+%X)", cp);
    if (cp == 0)
        return perr(ps, ps->line, at, "NUL character is not allowed in strings");
    char u[4];
    return sbuf_put(b, u, utf8_encode(cp, u)) ? 0 : nomem(ps);
}

/* Single-line basic or literal string; ps->p is at the opening quote. */
static long parse_line_string(struct parser *ps, char **out) {
    int open_col = col_here(ps);
    char q = *ps->p++;
    struct sbuf b = {0};
    if (!sbuf_put(&b, "", 0))
        return nomem(ps);
    for (;;) {
        if (at_eof(ps) || at_newline(ps)) {
            libos_free(b.d);
            return perr(ps, ps->line, open_col, "unterminated string");
        }
        char c = *ps->p;
        if (c == q) {
            ps->p++;
            break;
        }
        long rc = 0;
        if (is_bad_ctl((unsigned char)c)) {
            rc = perr_here(ps, "control character in string");
        } else if (c == '\\' && q == '"') {
            ps->p++;
            rc = parse_escape(ps, &b);
        } else {
            const char *s = ps->p;
            while (ps->p < ps->end && *ps->p != q && *ps->p != '\\' &&
                   !is_bad_ctl((unsigned char)*ps->p))
                ps->p++;
            if (q == '\'' && ps->p < ps->end && *ps->p == '\\')
                ps->p++; /* literal strings keep backslashes */
            if (!sbuf_put(&b, s, ps->p - s))
                rc = nomem(ps);
        }
        if (rc < 0) {
            libos_free(b.d);
            return rc;
        }
    }
    *out = b.d;
    return 0;
}

/* Multi-line """ or ''' string; ps->p is at the first of three quotes. */
static long parse_ml_string(struct parser *ps, char **out) {
    int open_line = ps->line, open_col = col_here(ps);
    char q = *ps->p;
    ps->p += 3;
    struct sbuf b = {0};
    long rc = sbuf_put(&b, "", 0) ? 0 : nomem(ps);
    if (rc == 0 && at_newline(ps))
        eat_newline(ps); /* a newline right after the opening quotes is trimmed */
    while (rc == 0) {
        if (at_eof(ps)) {
            rc = perr(ps, open_line, open_col, "unterminated string");
            break;
        }
        char c = *ps->p;
        if (c == q && peek(ps, 1) == q && peek(ps, 2) == q) {
            size_t n = 3;
            while (n < 6 && peek(ps, n) == q)
                n++;
            if (n > 5) {
                rc = perr_here(ps, "too many quotes at the end of a string");
                break;
            }
            if (!sbuf_put(&b, ps->p, n - 3))
                rc = nomem(ps);
            ps->p += n;
            break;
        }
        if (at_newline(ps)) {
            eat_newline(ps);
            if (!sbuf_put(&b, "\n", 1))
                rc = nomem(ps);
        } else if (is_bad_ctl((unsigned char)c)) {
            rc = perr_here(ps, "control character in string");
        } else if (c == '\\' && q == '"') {
            /* Line-ending backslash: trim it and all whitespace after it. */
            const char *s = ps->p + 1;
            while (s < ps->end && (*s == ' ' || *s == '\t'))
                s++;
            if (s < ps->end && (*s == '\n' || (*s == '\r' && s + 1 < ps->end && s[1] == '\n'))) {
                ps->p = s;
                while (!at_eof(ps) && (at_newline(ps) || *ps->p == ' ' || *ps->p == '\t')) {
                    if (at_newline(ps))
                        eat_newline(ps);
                    else
                        ps->p++;
                }
            } else {
                ps->p++;
                rc = parse_escape(ps, &b);
            }
        } else {
            if (!sbuf_put(&b, ps->p, 1))
                rc = nomem(ps);
            ps->p++;
        }
    }
    if (rc < 0) {
        libos_free(b.d);
        return rc;
    }
    *out = b.d;
    return 0;
}

/* A dotted key: parts are returned as heap strings the caller frees, with
 * the column each starts at. */
static long parse_key(struct parser *ps, char **parts, int *cols, size_t *nparts) {
    *nparts = 0;
    for (;;) {
        skip_ws(ps);
        if (*nparts == MAX_KEY_PARTS)
            return perr_here(ps, "key has more than %d parts", MAX_KEY_PARTS);
        char c = peek(ps, 0);
        char *part = NULL;
        cols[*nparts] = col_here(ps);
        if (c == '"' || c == '\'') {
            if (peek(ps, 1) == c && peek(ps, 2) == c)
                return perr_here(ps, "multi-line strings cannot be keys");
            long rc = parse_line_string(ps, &part);
            if (rc < 0)
                return rc;
        } else if (is_bare_char(c)) {
            const char *s = ps->p;
            while (!at_eof(ps) && is_bare_char(*ps->p))
                ps->p++;
            part = libos_strndup(s, ps->p - s);
            if (!part)
                return nomem(ps);
        } else if (at_eof(ps) || at_newline(ps)) {
            return perr_here(ps, "expected a key");
        } else if (c > 0x20 && c < 0x7f) {
            return perr_here(ps, "expected a key, found '%c'", c);
        } else {
            return perr_here(ps, "expected a key");
        }
        parts[(*nparts)++] = part;
        skip_ws(ps);
        if (peek(ps, 0) != '.')
            return 0;
        ps->p++;
    }
}

static void free_parts(char **parts, size_t n) {
    for (size_t i = 0; i < n; i++)
        libos_free(parts[i]);
}

/* ------------------------------------------------------------ values */

static long parse_value(struct parser *ps, struct libos_toml *parent, char *key, int line,
                        int key_col);
static long parse_keyval(struct parser *ps, struct libos_toml *table);

static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

static bool is_value_end(char c) {
    return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' ||
           c == '}' || c == '#';
}

/* Integers: decimal with optional sign, 0x/0o/0b; '_' only between digits. */
static long parse_number(struct parser *ps, struct libos_toml *n) {
    const char *s = ps->p;
    while (!at_eof(ps) && (is_bare_char(*ps->p) || *ps->p == '+' || *ps->p == '.' || *ps->p == ':'))
        ps->p++;
    const char *e = ps->p;
    size_t len = e - s;
    const char *t = s;
    bool neg = false;
    int base = 10;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
        base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
        t = s + 2;
    } else {
        for (const char *c = s; c < e; c++)
            if (*c == ':' || (*c == '-' && c > s && c[-1] != 'e' && c[-1] != 'E'))
                return perr(ps, n->line, n->col, "dates and times are not supported");
        for (const char *c = s; c < e; c++)
            if (*c == '.' || *c == 'e' || *c == 'E' || *c == 'i' || *c == 'n')
                return perr(ps, n->line, n->col, "floats are not supported");
        if (*t == '+' || *t == '-')
            neg = *t++ == '-';
        if (e - t > 1 && t[0] == '0')
            return perr(ps, n->line, n->col, "leading zeros are not allowed in '%.*s'", (int)len,
                        s);
    }
    /* Negative values may reach 2^63; positive ones stop at 2^63 - 1. */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    bool prev_digit = false;
    if (t == e)
        return perr(ps, n->line, n->col, "invalid integer '%.*s'", (int)len, s);
    for (const char *c = t; c < e; c++) {
        if (*c == '_') {
            if (!prev_digit || c + 1 == e)
                return perr(ps, n->line, n->col, "invalid integer '%.*s'", (int)len, s);
            prev_digit = false;
            continue;
        }
        int d = hexval(*c);
        if (d < 0 || d >= base)
            return perr(ps, n->line, n->col, "invalid integer '%.*s'", (int)len, s);
        if (v > (limit - d) / base)
            return perr(ps, n->line, n->col, "integer '%.*s' is out of range", (int)len, s);
        v = v * base + d;
        prev_digit = true;
    }
    n->type = LIBOS_TOML_INT;
    n->integer = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static long parse_array(struct parser *ps, struct libos_toml *arr) {
    ps->p++; /* '[' */
    for (;;) {
        long rc = skip_ws_nl(ps);
        if (rc < 0)
            return rc;
        if (peek(ps, 0) == ']') {
            ps->p++;
            return 0;
        }
        if (at_eof(ps))
            return perr(ps, arr->line, arr->col, "unterminated array");
        rc = parse_value(ps, arr, NULL, ps->line, col_here(ps));
        if (rc < 0)
            return rc;
        rc = skip_ws_nl(ps);
        if (rc < 0)
            return rc;
        char c = peek(ps, 0);
        if (c == ',') {
            ps->p++;
        } else if (c == ']') {
            ps->p++;
            return 0;
        } else if (at_eof(ps)) {
            return perr(ps, arr->line, arr->col, "unterminated array");
        } else {
            return perr_here(ps, "expected ',' or ']' in array");
        }
    }
}

static long parse_inline_table(struct parser *ps, struct libos_toml *t) {
    ps->p++; /* '{' */
    skip_ws(ps);
    if (peek(ps, 0) == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (at_newline(ps))
            return perr_here(ps, "inline tables must be on one line");
        long rc = parse_keyval(ps, t);
        if (rc < 0)
            return rc;
        skip_ws(ps);
        char c = peek(ps, 0);
        if (c == ',') {
            ps->p++;
            skip_ws(ps);
            if (peek(ps, 0) == '}')
                return perr_here(ps, "trailing comma in inline table");
        } else if (c == '}') {
            ps->p++;
            return 0;
        } else if (at_eof(ps) || at_newline(ps)) {
            return perr_here(ps, "inline tables must be on one line");
        } else {
            return perr_here(ps, "expected ',' or '}' in inline table");
        }
    }
}

/* Parses a value at ps->p into a new node appended to parent (under key,
 * whose ownership passes to the node). */
static long parse_value(struct parser *ps, struct libos_toml *parent, char *key, int line,
                        int key_col) {
    struct libos_toml *n = node_new(ps, parent, LIBOS_TOML_BOOL, key, line, col_here(ps), key_col);
    if (!n) {
        libos_free(key);
        return nomem(ps);
    }
    if (n->depth > LIBOS_TOML_MAX_DEPTH)
        return perr(ps, line, n->col, "nesting deeper than %d levels", LIBOS_TOML_MAX_DEPTH);
    char c = peek(ps, 0);
    if (c == '"' || c == '\'') {
        n->type = LIBOS_TOML_STRING;
        if (peek(ps, 1) == c && peek(ps, 2) == c)
            return parse_ml_string(ps, &n->str);
        return parse_line_string(ps, &n->str);
    }
    if (c == '[') {
        n->type = LIBOS_TOML_ARRAY;
        return parse_array(ps, n);
    }
    if (c == '{') {
        n->type = LIBOS_TOML_TABLE;
        n->flags = TF_INLINE;
        return parse_inline_table(ps, n);
    }
    if (c == 't' || c == 'f') {
        size_t len = c == 't' ? 4 : 5;
        if ((size_t)(ps->end - ps->p) >= len &&
            memcmp(ps->p, c == 't' ? "true" : "false", len) == 0 && is_value_end(peek(ps, len))) {
            n->boolean = c == 't';
            ps->p += len;
            return 0;
        }
    }
    if (is_digit(c) || c == '+' || c == '-')
        return parse_number(ps, n);
    if (((c == 'i' && peek(ps, 1) == 'n' && peek(ps, 2) == 'f') ||
         (c == 'n' && peek(ps, 1) == 'a' && peek(ps, 2) == 'n')) &&
        is_value_end(peek(ps, 3)))
        return perr(ps, line, n->col, "floats are not supported");
    if (at_eof(ps) || at_newline(ps) || c == '#')
        return perr_here(ps, "expected a value");
    if (is_bare_char(c)) {
        const char *s = ps->p;
        size_t len = 0;
        while (len < 32 && s + len < ps->end && is_bare_char(s[len]))
            len++;
        return perr_here(ps, "invalid value '%.*s' (strings need quotes)", (int)len, s);
    }
    return perr_here(ps, "expected a value");
}

/* ------------------------------------------------------------ structure */

static long redefined(struct parser *ps, int line, int col, struct libos_toml *old) {
    char path[256];
    libos_toml_path(old, path, sizeof(path));
    return perr(ps, line, col, "'%s' is already defined (line %d)", path, old->line);
}

/* key = value into table; dotted keys create sub-tables. */
static long parse_keyval(struct parser *ps, struct libos_toml *table) {
    char *parts[MAX_KEY_PARTS];
    int cols[MAX_KEY_PARTS];
    size_t n;
    int line = ps->line;
    long rc = parse_key(ps, parts, cols, &n);
    if (rc < 0) {
        free_parts(parts, n);
        return rc;
    }
    struct libos_toml *t = table;
    size_t i;
    for (i = 0; i + 1 < n; i++) {
        struct libos_toml *c = libos_toml_member(t, parts[i]);
        if (!c) {
            c = node_new(ps, t, LIBOS_TOML_TABLE, parts[i], line, cols[i], cols[i]);
            if (!c) {
                free_parts(parts, n);
                return nomem(ps);
            }
            parts[i] = NULL;
            c->flags = TF_DOTTED;
            if (c->depth > LIBOS_TOML_MAX_DEPTH) {
                free_parts(parts, n);
                return perr(ps, line, cols[i], "nesting deeper than %d levels",
                            LIBOS_TOML_MAX_DEPTH);
            }
        } else if (c->type != LIBOS_TOML_TABLE || !(c->flags & TF_DOTTED)) {
            free_parts(parts, n);
            return redefined(ps, line, cols[i], c);
        }
        t = c;
    }
    struct libos_toml *old = libos_toml_member(t, parts[n - 1]);
    if (old) {
        free_parts(parts, n);
        return redefined(ps, line, cols[n - 1], old);
    }
    free_parts(parts, n - 1);
    skip_ws(ps);
    if (peek(ps, 0) != '=') {
        libos_free(parts[n - 1]);
        if (at_eof(ps) || at_newline(ps))
            return perr_here(ps, "expected '=' after key");
        return perr_here(ps, "expected '=' after key, found '%c'",
                         *ps->p > 0x20 && *ps->p < 0x7f ? *ps->p : '?');
    }
    ps->p++;
    skip_ws(ps);
    return parse_value(ps, t, parts[n - 1], line, cols[n - 1]);
}

/* [a.b] or [[a.b]]: selects the table that following key/values fill. */
static long parse_header(struct parser *ps) {
    int line = ps->line, col = col_here(ps);
    bool aot = peek(ps, 1) == '[';
    ps->p += aot ? 2 : 1;
    char *parts[MAX_KEY_PARTS];
    int cols[MAX_KEY_PARTS];
    size_t n;
    long rc = parse_key(ps, parts, cols, &n);
    if (rc < 0) {
        free_parts(parts, n);
        return rc;
    }
    skip_ws(ps);
    if (peek(ps, 0) != ']' || (aot && peek(ps, 1) != ']')) {
        free_parts(parts, n);
        return perr_here(ps,
                         aot ? "expected ']]' after table name" : "expected ']' after table name");
    }
    ps->p += aot ? 2 : 1;

    struct libos_toml *t = ps->root;
    for (size_t i = 0; i < n; i++) {
        bool final = i + 1 == n;
        struct libos_toml *c = libos_toml_member(t, parts[i]);
        if (!c) {
            c = node_new(ps, t, aot && final ? LIBOS_TOML_ARRAY : LIBOS_TOML_TABLE, parts[i], line,
                         cols[i], cols[i]);
            if (!c) {
                free_parts(parts, n);
                return nomem(ps);
            }
            parts[i] = NULL;
            c->flags = aot && final ? TF_AOT : final ? TF_HEADER : TF_IMPLICIT;
        } else if (final && !aot) {
            /* Only a table created implicitly by an earlier [a.b.c] may be defined now. */
            if (c->type != LIBOS_TOML_TABLE || c->flags != TF_IMPLICIT) {
                free_parts(parts, n);
                return redefined(ps, line, cols[i], c);
            }
            c->flags = TF_HEADER;
            c->line = line;
            c->col = c->key_col = cols[i];
        } else if (final && aot) {
            if (c->type != LIBOS_TOML_ARRAY || !(c->flags & TF_AOT)) {
                free_parts(parts, n);
                return redefined(ps, line, cols[i], c);
            }
        } else if (c->type == LIBOS_TOML_ARRAY && (c->flags & TF_AOT)) {
            c = c->last; /* [a.b] after [[a]] extends the last element */
        } else if (c->type != LIBOS_TOML_TABLE || (c->flags & TF_INLINE)) {
            free_parts(parts, n);
            return redefined(ps, line, cols[i], c);
        }
        if (c->depth > LIBOS_TOML_MAX_DEPTH) {
            free_parts(parts, n);
            return perr(ps, line, cols[i], "nesting deeper than %d levels", LIBOS_TOML_MAX_DEPTH);
        }
        t = c;
    }
    free_parts(parts, n);
    if (aot) {
        t = node_new(ps, t, LIBOS_TOML_TABLE, NULL, line, col, col);
        if (!t)
            return nomem(ps);
        t->flags = TF_HEADER;
        if (t->depth > LIBOS_TOML_MAX_DEPTH)
            return perr(ps, line, col, "nesting deeper than %d levels", LIBOS_TOML_MAX_DEPTH);
    }
    ps->cur = t;
    return 0;
}

long libos_toml_parse(const char *text, size_t len, const char *name, struct libos_toml **out,
                      char *err, size_t err_size) {
    struct parser ps = {
        .p = text,
        .end = text + len,
        .name = name ? name : "manifest",
        .line = 1,
        .line_start = text,
        .err = err,
        .err_size = err_size,
    };
    *out = NULL;
    if (err_size > 0)
        err[0] = '\0';
    long rc = check_utf8(&ps);
    if (rc < 0)
        return rc;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        ps.p += 3; /* byte order mark */
    ps.line_start = ps.p;
    ps.root = node_new(&ps, NULL, LIBOS_TOML_TABLE, NULL, 1, 1, 1);
    if (!ps.root)
        return nomem(&ps);
    ps.root->flags = TF_HEADER;
    ps.cur = ps.root;
    while (rc == 0) {
        skip_ws(&ps);
        if (at_eof(&ps))
            break;
        char c = *ps.p;
        if (c == '#') {
            rc = skip_comment(&ps);
        } else if (at_newline(&ps)) {
            eat_newline(&ps);
        } else if (c == '[') {
            rc = parse_header(&ps);
            if (rc == 0)
                rc = expect_eol(&ps, "table header");
        } else {
            rc = parse_keyval(&ps, ps.cur);
            if (rc == 0)
                rc = expect_eol(&ps, "value");
        }
    }
    if (rc < 0) {
        libos_toml_free(ps.root);
        return rc;
    }
    *out = ps.root;
    return 0;
}
