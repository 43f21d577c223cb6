/* The one place PAL error codes become Linux errno values. */
#include "libos.h"

static const uint8_t g_pal_to_errno[PAL_ERR__COUNT] = {
    [PAL_ERR_NOTIMPLEMENTED] = ENOSYS,
    [PAL_ERR_NOTSUPPORTED] = EOPNOTSUPP,
    [PAL_ERR_INVAL] = EINVAL,
    [PAL_ERR_NOMEM] = ENOMEM,
    [PAL_ERR_NOTFOUND] = ENOENT,
    [PAL_ERR_EXISTS] = EEXIST,
    [PAL_ERR_DENIED] = EACCES,
    [PAL_ERR_READONLY] = EROFS,
    [PAL_ERR_BADHANDLE] = EBADF,
    [PAL_ERR_ISDIR] = EISDIR,
    [PAL_ERR_NOTDIR] = ENOTDIR,
    [PAL_ERR_NOTEMPTY] = ENOTEMPTY,
    [PAL_ERR_NOSPACE] = ENOSPC,
    [PAL_ERR_TOOLONG] = ENAMETOOLONG,
    [PAL_ERR_LOOP] = ELOOP,
    [PAL_ERR_XDEV] = EXDEV,
    [PAL_ERR_BUSY] = EBUSY,
    [PAL_ERR_AGAIN] = EAGAIN,
    [PAL_ERR_INTERRUPTED] = EINTR,
    [PAL_ERR_TIMEOUT] = ETIMEDOUT,
    [PAL_ERR_IO] = EIO,
    [PAL_ERR_FBIG] = EFBIG,
    [PAL_ERR_OVERFLOW] = EOVERFLOW,
    [PAL_ERR_RANGE] = ERANGE,
    [PAL_ERR_PIPE] = EPIPE,
    [PAL_ERR_CONNREFUSED] = ECONNREFUSED,
    [PAL_ERR_CONNRESET] = ECONNRESET,
    [PAL_ERR_NOTCONN] = ENOTCONN,
    [PAL_ERR_INPROGRESS] = EINPROGRESS,
    [PAL_ERR_ADDRINUSE] = EADDRINUSE,
    [PAL_ERR_ADDRNOTAVAIL] = EADDRNOTAVAIL,
    [PAL_ERR_NOTTY] = ENOTTY,
    [PAL_ERR_SECURITY] = EACCES,
    [PAL_ERR_MSGSIZE] = EMSGSIZE,
    [PAL_ERR_NETUNREACH] = ENETUNREACH,
    [PAL_ERR_HOSTUNREACH] = EHOSTUNREACH,
    [PAL_ERR_CONNABORTED] = ECONNABORTED,
    [PAL_ERR_ISCONN] = EISCONN,
    [PAL_ERR_ALREADY] = EALREADY,
};

long libos_errno_from_pal(int pal_err) {
    if (pal_err < 0)
        pal_err = -pal_err;
    if (pal_err == 0)
        return 0;
    if (pal_err >= PAL_ERR__COUNT || !g_pal_to_errno[pal_err])
        return -EIO;
    return -(long)g_pal_to_errno[pal_err];
}
