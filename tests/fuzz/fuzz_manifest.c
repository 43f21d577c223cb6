/* libFuzzer target for the manifest parser: TOML syntax, the schema and
 * libos_parse_size. Besides memory errors (ASan/UBSan) it checks that every
 * error message has the "NAME:LINE:COLUMN: " form with a position inside the
 * input, that every node of an accepted tree has a sane position and
 * printable path, and that an accepted manifest's mounts are sane. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libos_manifest.h"
#include "libos_toml.h"

static void check_error(const char *err, const uint8_t *data, size_t size) {
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    const char *prefix = "f.toml:";
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        abort();
    char *end;
    long line = strtol(err + strlen(prefix), &end, 10);
    if (line < 1 || line > lines || *end != ':')
        abort();
    long col = strtol(end + 1, &end, 10);
    if (col < 1 || (size_t)col > size + 1 || strncmp(end, ": ", 2) != 0 || end[2] == '\0')
        abort();
}

static void check_tree(const struct libos_toml *n, int lines) {
    char path[64];
    for (const struct libos_toml *c = n->child; c; c = c->next) {
        if (c->parent != n || c->line < 1 || c->line > lines || c->depth != n->depth + 1)
            abort();
        if (c->col < 1 || c->key_col < 1)
            abort();
        if (c->depth > LIBOS_TOML_MAX_DEPTH)
            abort();
        if (c->type == LIBOS_TOML_STRING && !c->str)
            abort();
        if ((n->type == LIBOS_TOML_TABLE) != (c->key != NULL))
            abort();
        /* Truncation must still terminate the buffer. */
        libos_toml_path(c, path, sizeof(path));
        if (memchr(path, '\0', sizeof(path)) == NULL)
            abort();
        check_tree(c, lines);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';

    /* Exact-size copy so ASan sees any read past len. */
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);

    struct libos_toml *root = NULL;
    long rc = libos_toml_parse(text, size, "f.toml", &root, err, sizeof(err));
    if (rc == 0) {
        check_tree(root, lines);
        libos_toml_free(root);
    } else {
        check_error(err, data, size);
    }

    struct libos_manifest *m = NULL;
    rc = libos_manifest_parse(text, size, "f.toml", &m, err, sizeof(err));
    if (rc == 0) {
        for (size_t i = 0; i < m->mount_count; i++) {
            const struct libos_mount_spec *ms = &m->mounts[i];
            if (ms->path[0] != '/' || ms->line < 1 || !ms->key)
                abort();
            if (ms->type == LIBOS_MOUNT_HOST && (!ms->source || ms->source_line < 1))
                abort();
            for (size_t j = 0; j < i; j++) /* duplicates are errors */
                if (strcmp(m->mounts[j].path, ms->path) == 0)
                    abort();
        }
        for (size_t i = 0; i < m->warning_count; i++)
            if (strncmp(m->warnings[i], "f.toml:", 7) != 0)
                abort();
        libos_manifest_free(m);
    } else {
        check_error(err, data, size);
    }
    free(text);

    /* Sizes: a NUL-terminated copy of (a prefix of) the input. */
    char s[32];
    size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
    memcpy(s, data, n);
    s[n] = '\0';
    uint64_t v;
    libos_parse_size(s, &v);
    return 0;
}
