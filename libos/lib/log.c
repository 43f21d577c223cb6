/* Log lines to the boot log stream, one write per line so concurrent
 * writers do not interleave mid-line. */
#include "libos.h"

int g_log_level = LOG_WARN;

int libos_write_all(pal_handle_t *h, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        int64_t n = pal_stream_write(h, PAL_OFFSET_NONE, p, len);
        if (n == -PAL_ERR_INTERRUPTED || n == -PAL_ERR_AGAIN)
            continue;
        if (n <= 0)
            return n < 0 ? (int)n : -PAL_ERR_IO;
        p += n;
        len -= n;
    }
    return 0;
}

static void log_line(const char *prefix, const char *fmt, va_list ap) {
    char line[1024];
    int n = libos_snprintf(line, sizeof(line), "sabot: %s", prefix);
    if (n > (int)sizeof(line) - 2)
        n = sizeof(line) - 2;
    int m = libos_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    n = MIN(n + m, (int)sizeof(line) - 2);
    line[n++] = '\n';
    if (g_boot && g_boot->log)
        libos_write_all(g_boot->log, line, n);
    else
        pal_debug_log(line, n);
}

void libos_log(int level, const char *fmt, ...) {
    static const char *const names[] = {"", "error: ", "warning: ", "", "debug: "};
    if (level > g_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level < (int)ARRAY_SIZE(names) ? names[level] : "", fmt, ap);
    va_end(ap);
}

void libos_log_denied(const char *key, const char *fmt, ...) {
    if (g_log_level < LOG_WARN)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    libos_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    libos_log(LOG_WARN, "denied: %s; to allow it: %s", msg, key);
}

void libos_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_line("panic: ", fmt, ap);
    va_end(ap);
    pal_process_exit(127);
}
