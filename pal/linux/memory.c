/* PAL memory calls on host mmap. */
#include "pal_linux.h"

static int host_prot(uint32_t prot) {
    return ((prot & PAL_PROT_READ) ? PROT_READ : 0) | ((prot & PAL_PROT_WRITE) ? PROT_WRITE : 0) |
           ((prot & PAL_PROT_EXEC) ? PROT_EXEC : 0);
}

int pal_linux_placement(uint32_t flags) {
    if (flags & PAL_MEM_FIXED)
        return MAP_FIXED;
    if (flags & PAL_MEM_NOREPLACE)
        return MAP_FIXED_NOREPLACE;
    return 0;
}

int pal_mem_alloc(void **addr, size_t size, uint32_t prot, uint32_t flags) {
    if (!size)
        return -PAL_ERR_INVAL;
    void *want = (flags & (PAL_MEM_FIXED | PAL_MEM_NOREPLACE | PAL_MEM_HINT)) ? *addr : 0;
    int share = (flags & PAL_MEM_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    long r =
        host_syscall6(__NR_mmap, want, size, host_prot(prot),
                      share | MAP_ANONYMOUS | MAP_NORESERVE | pal_linux_placement(flags), -1, 0);
    if (host_is_err(r))
        return pal_linux_err(r);
    *addr = (void *)r;
    return 0;
}

int pal_mem_remap(void *old, size_t old_size, size_t new_size, uint32_t flags, void **addr) {
    int host_flags = ((flags & PAL_REMAP_MAYMOVE) ? 1 /* MREMAP_MAYMOVE */ : 0) |
                     ((flags & PAL_REMAP_FIXED) ? 2 | 1 /* MREMAP_FIXED needs MAYMOVE */ : 0);
    long r = host_syscall5(__NR_mremap, old, old_size, new_size, host_flags,
                           (flags & PAL_REMAP_FIXED) ? *addr : 0);
    if (host_is_err(r))
        return pal_linux_err(r);
    *addr = (void *)r;
    return 0;
}

int pal_mem_free(void *addr, size_t size) {
    return pal_linux_err(host_syscall2(__NR_munmap, addr, size));
}

int pal_mem_protect(void *addr, size_t size, uint32_t prot) {
    return pal_linux_err(host_syscall3(__NR_mprotect, addr, size, host_prot(prot)));
}

struct host_sysinfo {
    long uptime;
    unsigned long loads[3];
    unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    unsigned short procs, pad;
    unsigned long totalhigh, freehigh;
    unsigned int mem_unit;
    char _f[8];
};

int pal_mem_query(struct pal_mem_info *info) {
    struct host_sysinfo si;
    long r = host_syscall1(__NR_sysinfo, &si);
    if (host_is_err(r))
        return pal_linux_err(r);
    info->total = (uint64_t)si.totalram * si.mem_unit;
    info->available = (uint64_t)si.freeram * si.mem_unit;
    info->page_size = 4096;
    info->alloc_granularity = 4096;
    return 0;
}
