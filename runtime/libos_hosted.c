/* Hosted (libc) versions of the libos.h helpers that libos code compiled
 * outside the libos needs: the manifest parser in the `sabot` command and
 * unit tests. Formatting and string helpers are not here: libos/lib/fmt.c
 * and libos/lib/strutil.c are compiled hosted as they are. */
#include <stdio.h>
#include <stdlib.h>

#include "libos.h"

int g_log_level = LOG_WARN;

void *libos_malloc(size_t size) {
    return malloc(size);
}

void *libos_calloc(size_t n, size_t size) {
    return calloc(n, size);
}

void *libos_realloc(void *p, size_t size) {
    return realloc(p, size);
}

void libos_free(void *p) {
    free(p);
}

/* The libos format subset is a subset of printf, so libc can print it. */
static void log_line(const char *tag, const char *fmt, va_list ap) {
    fputs("sabot: ", stderr);
    if (tag)
        fputs(tag, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void libos_log(int level, const char *fmt, ...) {
    if (level > g_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(NULL, fmt, ap);
    va_end(ap);
}

void libos_log_denied(const char *key, const char *fmt, ...) {
    if (g_log_level < LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("sabot: denied: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (allow with manifest key %s)\n", key);
    va_end(ap);
}

void libos_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_line("panic: ", fmt, ap);
    va_end(ap);
    abort();
}
