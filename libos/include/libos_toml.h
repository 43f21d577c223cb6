/* A TOML parser for the subset manifests use, producing a generic tree.
 *
 * Supported (TOML 1.0 semantics): tables [a.b], arrays of tables [[a.b]],
 * dotted and quoted keys, basic/literal strings (single- and multi-line,
 * escapes \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX), integers (decimal, 0x,
 * 0o, 0b, underscores), booleans, arrays (multi-line, trailing comma),
 * inline tables, comments. Floats and dates are rejected with a clear
 * message. Duplicate keys and redefined tables are errors. Every error is
 * "NAME:LINE:COLUMN: message" (columns count characters from 1); every node
 * remembers where its key and its value start.
 *
 * Freestanding: uses only libos.h helpers, so the libos and the hosted
 * runtime parse the same bytes the same way. */
#ifndef SABOT_LIBOS_TOML_H
#define SABOT_LIBOS_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum libos_toml_type {
    LIBOS_TOML_TABLE = 1,
    LIBOS_TOML_ARRAY,
    LIBOS_TOML_STRING,
    LIBOS_TOML_INT,
    LIBOS_TOML_BOOL,
};

/* Deepest nesting of tables/arrays the parser accepts (bounds recursion). */
#define LIBOS_TOML_MAX_DEPTH 32

/* A node. Read-only for users; walk tables and arrays with child/next
 * (members and elements in document order). */
struct libos_toml {
    int type;                  /* enum libos_toml_type */
    int line;                  /* 1-based line where it was defined */
    int col;                   /* 1-based column of the value (of '[' for headers) */
    int key_col;               /* column of its key (= col in arrays) */
    char *key;                 /* key in the parent table; NULL in arrays and at the root */
    struct libos_toml *parent; /* NULL at the root */
    struct libos_toml *next;   /* next member/element of the parent */
    struct libos_toml *child;  /* first member (table) or element (array) */
    struct libos_toml *last;
    size_t count;    /* number of members/elements */
    char *str;       /* LIBOS_TOML_STRING: NUL-terminated, no NUL inside */
    int64_t integer; /* LIBOS_TOML_INT */
    bool boolean;    /* LIBOS_TOML_BOOL */
    unsigned flags;  /* parser-internal */
    unsigned depth;  /* root is 0 */
};

/* Parses len bytes of text. On success *out is the root table (free it with
 * libos_toml_free) and 0 is returned. On error returns -EINVAL (or -ENOMEM)
 * and writes "NAME:LINE:COLUMN: message" into err (if err_size > 0). */
long libos_toml_parse(const char *text, size_t len, const char *name, struct libos_toml **out,
                      char *err, size_t err_size);
void libos_toml_free(struct libos_toml *root);

/* Member of a table by its exact key, or NULL (also when t is not a table). */
struct libos_toml *libos_toml_member(const struct libos_toml *t, const char *key);
/* Follows a dotted path of bare keys ("fs.cwd") through tables; NULL when
 * any part is missing or not a table. */
struct libos_toml *libos_toml_get(const struct libos_toml *t, const char *path);
/* Element i of an array (or member i of a table), NULL when out of range. */
struct libos_toml *libos_toml_at(const struct libos_toml *t, size_t i);

/* Typed accessors: return false / NULL when the node is missing or has another type. */
const char *libos_toml_str(const struct libos_toml *n);
bool libos_toml_int(const struct libos_toml *n, int64_t *out);
bool libos_toml_bool(const struct libos_toml *n, bool *out);
/* True for an array whose elements are all strings (an empty array counts). */
bool libos_toml_is_str_array(const struct libos_toml *n);

/* "table", "array", "string", "integer", "boolean". */
const char *libos_toml_type_name(int type);
/* Writes the node's path for messages, e.g. fs.mounts[1].path (keys that are
 * not bare are quoted). Returns the length it would have, like snprintf. */
size_t libos_toml_path(const struct libos_toml *n, char *buf, size_t size);

#define libos_toml_foreach(it, node) for ((it) = (node)->child; (it); (it) = (it)->next)

#endif
