/* Tiny check helpers shared by the integration and security programs.
 * Every check prints one line, so a failing run shows exactly which
 * expectation broke and what Linux would have given. */
#ifndef SABOT_TEST_CHECK_H
#define SABOT_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failures;
static const char *g_prog = "test";

/* Unbuffered stdout so a crash under the libos still shows every line. */
static inline void check_init(const char *prog) {
    g_prog = prog;
    setvbuf(stdout, NULL, _IONBF, 0);
}

/* Every errno a test may expect, by name (errname, errno_from_name). */
#define CHECK_ERRNOS(X)                                                                            \
    X(EPERM)                                                                                       \
    X(ENOENT)                                                                                      \
    X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM)   \
        X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL)   \
            X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) X(ESPIPE) X(EROFS)         \
                X(EMLINK) X(EPIPE) X(ERANGE) X(ENAMETOOLONG) X(ENOSYS) X(ENOTEMPTY) X(ELOOP)       \
                    X(ENODATA) X(EOPNOTSUPP) X(ENOTSOCK) X(EADDRINUSE) X(EADDRNOTAVAIL)            \
                        X(ENETUNREACH) X(ECONNREFUSED) X(ECONNRESET) X(ETIMEDOUT) X(EHOSTUNREACH)  \
                            X(EALREADY) X(EINPROGRESS) X(EAFNOSUPPORT) X(EPROTONOSUPPORT)          \
                                X(EDESTADDRREQ) X(EOVERFLOW) X(EDQUOT) X(ESTALE) X(ENOTCONN)       \
                                    X(EISCONN)

static inline const char *errname(int e) {
    static char buf[16];
    if (e == 0)
        return "0";
#define CHECK_NAME(n)                                                                              \
    if (e == n)                                                                                    \
        return #n;
    CHECK_ERRNOS(CHECK_NAME)
#undef CHECK_NAME
    snprintf(buf, sizeof(buf), "E#%d", e);
    return buf;
}

static inline int errno_from_name(const char *s) {
#define CHECK_VAL(n)                                                                               \
    if (!strcmp(s, #n))                                                                            \
        return n;
    CHECK_ERRNOS(CHECK_VAL)
#undef CHECK_VAL
    return -1;
}

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            printf("ok   %s:%d: ", g_prog, __LINE__);                                              \
        } else {                                                                                   \
            printf("FAIL %s:%d: (%s) ", g_prog, __LINE__, #cond);                                  \
            g_failures++;                                                                          \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

/* CALL must return -1 (or NULL-ish cast to long -1) with errno == ERR. */
#define CHECK_ERR(call, err)                                                                       \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long r_ = (long)(call);                                                                    \
        int e_ = errno;                                                                            \
        if (r_ == -1 && e_ == (err)) {                                                             \
            printf("ok   %s:%d: %s -> %s\n", g_prog, __LINE__, #call, errname(err));               \
        } else {                                                                                   \
            printf("FAIL %s:%d: %s -> %ld errno %s(%d), want -1 %s(%d)\n", g_prog, __LINE__,       \
                   #call, r_, errname(e_), e_, errname(err), err);                                 \
            g_failures++;                                                                          \
        }                                                                                          \
    } while (0)

/* CALL must not return -1; yields the result. */
#define CHECK_OK(call)                                                                             \
    ({                                                                                             \
        errno = 0;                                                                                 \
        long r_ = (long)(call);                                                                    \
        if (r_ == -1) {                                                                            \
            printf("FAIL %s:%d: %s -> -1 errno %s(%d)\n", g_prog, __LINE__, #call, errname(errno), \
                   errno);                                                                         \
            g_failures++;                                                                          \
        } else {                                                                                   \
            printf("ok   %s:%d: %s -> %ld\n", g_prog, __LINE__, #call, r_);                        \
        }                                                                                          \
        r_;                                                                                        \
    })

/* Final line the runner looks for; exit status is the verdict. */
static inline int check_done(void) {
    if (g_failures) {
        printf("%s: %d FAILED\n", g_prog, g_failures);
        return 1;
    }
    printf("%s: ALL OK\n", g_prog);
    return 0;
}

#endif
