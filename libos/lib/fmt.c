/* A small vsnprintf: enough for logs, traces and /proc text. No floating
 * point (the libos is built without SSE). Compiled freestanding and hosted. */
#include "libos.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c) {
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n) {
    while (n-- > 0)
        put(o, c);
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool upper, bool neg, int width,
                    bool left, char padc, const char *prefix) {
    char tmp[24];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int plen = (neg ? 1 : 0) + (int)strlen(prefix);
    int fill = width - n - plen;
    if (!left && padc == ' ')
        pad(o, ' ', fill);
    if (neg)
        put(o, '-');
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    if (!left && padc == '0')
        pad(o, '0', fill);
    while (n)
        put(o, tmp[--n]);
    if (left)
        pad(o, ' ', fill);
}

int libos_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
    struct out o = {buf, size, 0};
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        f++;
        bool left = false, alt = false;
        char padc = ' ';
        for (;; f++) {
            if (*f == '-')
                left = true;
            else if (*f == '0')
                padc = '0';
            else if (*f == '#')
                alt = true;
            else
                break;
        }
        int width = 0, prec = -1;
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        for (;; f++) {
            if (*f == 'l' || *f == 'z' || *f == 'j' || *f == 't')
                lng++;
            else if (*f == 'h')
                lng--;
            else
                break;
        }
        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v = lng > 0 ? va_arg(ap, long) : va_arg(ap, int);
            if (lng == -1)
                v = (short)v;
            else if (lng == -2)
                v = (signed char)v;
            put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, width, left, padc,
                    "");
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng > 0 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng == -2)
                v = (unsigned char)v;
            unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
            const char *prefix = alt && v ? (base == 16  ? (*f == 'X' ? "0X" : "0x")
                                             : base == 8 ? "0"
                                                         : "")
                                          : "";
            put_num(&o, v, base, *f == 'X', false, width, left, padc, prefix);
            break;
        }
        case 'p':
            put_num(&o, (uint64_t)va_arg(ap, void *), 16, false, false, width, left, padc, "0x");
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)(prec >= 0 ? strnlen(s, prec) : strlen(s));
            if (!left)
                pad(&o, ' ', width - len);
            for (int i = 0; i < len; i++)
                put(&o, s[i]);
            if (left)
                pad(&o, ' ', width - len);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            f--;
            break;
        default:
            put(&o, '%');
            put(&o, *f);
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int libos_snprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = libos_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
