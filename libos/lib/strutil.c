/* String helpers with libos names; compiled both freestanding and hosted. */
#include "libos.h"

size_t libos_strlcpy(char *dst, const char *src, size_t size) {
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

bool libos_str_starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *dup_len(const char *s, size_t len) {
    char *p = libos_malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *libos_strndup(const char *s, size_t n) {
    return dup_len(s, strnlen(s, n));
}

char *libos_strdup(const char *s) {
    return dup_len(s, strlen(s));
}
