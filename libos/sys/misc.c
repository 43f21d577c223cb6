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

struct linux_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char _f[4];
};

/* Memory as the sandbox sees it: sys.memory if set, else the host's. */
long libos_sys_sysinfo(struct linux_sysinfo *info) {
    if (!libos_user_range_ok(info, sizeof(*info), true))
        return -EFAULT;
    memset(info, 0, sizeof(*info));
    uint64_t ns = 0;
    pal_time_get(PAL_CLOCK_MONOTONIC, &ns);
    info->uptime = (int64_t)(ns / 1000000000ULL);
    struct pal_mem_info mi;
    if (pal_mem_query(&mi) < 0)
        mi = g_boot->mem;
    uint64_t limit = g_process.rlimits[RLIMIT_AS].rlim_cur;
    info->totalram = limit != RLIM_INFINITY && limit < mi.total ? limit : mi.total;
    info->freeram = MIN(mi.available, info->totalram);
    info->procs = 1;
    info->mem_unit = 1;
    return 0;
}
