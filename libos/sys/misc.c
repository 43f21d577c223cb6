/* Small syscalls without a family of their own. */
#include "libos_syscalls.h"

long libos_sys_getrandom(void *buf, size_t len, unsigned int flags) {
    if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
        return -EINVAL;
    if (len > 33554431) /* Linux caps one call at INT_MAX >> 6 */
        len = 33554431;
    if (!libos_user_range_ok(buf, len, true))
        return -EFAULT;
    long r = libos_errno_from_pal(pal_random(buf, len));
    return r < 0 ? r : (long)len;
}
