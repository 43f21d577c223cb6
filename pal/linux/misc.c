/* Time, randomness, CPU, segments, host facts, debugger hooks. */
#include "pal_linux.h"

int pal_time_get(enum pal_clock clock, uint64_t *ns) {
    static const int host_clock[] = {
        [PAL_CLOCK_REALTIME] = HOST_CLOCK_REALTIME,
        [PAL_CLOCK_MONOTONIC] = HOST_CLOCK_MONOTONIC,
        [PAL_CLOCK_PROCESS_CPU] = HOST_CLOCK_PROCESS_CPUTIME_ID,
        [PAL_CLOCK_THREAD_CPU] = HOST_CLOCK_THREAD_CPUTIME_ID,
    };
    if ((unsigned)clock > PAL_CLOCK_THREAD_CPU)
        return -PAL_ERR_INVAL;
    struct host_timespec ts;
    long r = host_syscall2(__NR_clock_gettime, host_clock[clock], &ts);
    if (host_is_err(r))
        return pal_linux_err(r);
    *ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
    return 0;
}

int pal_random(void *buf, size_t size) {
    char *p = buf;
    while (size) {
        long r = host_syscall3(__NR_getrandom, p, size, 0);
        if (r == -EINTR)
            continue;
        if (host_is_err(r))
            return pal_linux_err(r);
        p += r;
        size -= r;
    }
    return 0;
}

int pal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    __asm__ volatile("cpuid"
                     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
                     : "a"(leaf), "c"(subleaf));
    return 0;
}

int pal_segment_base_set(enum pal_segment seg, uint64_t base) {
    if (seg != PAL_SEG_FS)
        return -PAL_ERR_DENIED; /* GS belongs to the PAL */
    long r = host_syscall2(__NR_arch_prctl, HOST_ARCH_SET_FS, base);
    if (host_is_err(r))
        return pal_linux_err(r);
    return 0;
}

int pal_segment_base_get(enum pal_segment seg, uint64_t *base) {
    long r = host_syscall2(__NR_arch_prctl, seg == PAL_SEG_FS ? HOST_ARCH_GET_FS : HOST_ARCH_GET_GS,
                           base);
    return pal_linux_err(r);
}

static void copy_field(char *dst, size_t size, const char *src) {
    size_t n = pal_strlen(src);
    if (n >= size)
        n = size - 1;
    pal_memcpy(dst, src, n);
    dst[n] = '\0';
}

int pal_host_info(struct pal_host_info *info) {
    pal_memset(info, 0, sizeof(*info));
    copy_field(info->pal_name, sizeof(info->pal_name), "linux");
    struct host_utsname u;
    if (!host_is_err(host_syscall1(__NR_uname, &u))) {
        copy_field(info->hostname, sizeof(info->hostname), u.nodename);
        copy_field(info->os_release, sizeof(info->os_release), u.release);
    }
    uint64_t mask[16];
    long n = host_syscall3(__NR_sched_getaffinity, 0, sizeof(mask), mask);
    for (long i = 0; !host_is_err(n) && i < n / 8; i++)
        for (uint64_t m = mask[i]; m; m &= m - 1) /* count bits without libgcc */
            info->cpu_count++;
    if (!info->cpu_count)
        info->cpu_count = 1;
    info->page_size = 4096;
    struct pal_mem_info mi;
    if (pal_mem_query(&mi) == 0)
        info->mem_total = mi.total;
    info->host_uid = (uint32_t)host_syscall0(__NR_getuid);
    info->host_gid = (uint32_t)host_syscall0(__NR_getgid);
    return 0;
}

int pal_debug_log(const char *msg, size_t len) {
    long r = host_syscall3(__NR_write, 2, msg, len);
    return host_is_err(r) ? pal_linux_err(r) : 0;
}

/* Debugger registration: gdb follows the loader's r_debug list of the
 * sabot process itself (ld.so's, or glibc's own in the static-PIE build),
 * so loaded app objects are appended there and r_brk (where gdb keeps a
 * breakpoint) is called, as the loader does. */
struct debug_link_map {
    uint64_t l_addr;
    char *l_name;
    void *l_ld;
    struct debug_link_map *l_next, *l_prev;
};
struct debug_r_debug {
    int r_version;
    struct debug_link_map *r_map;
    void (*r_brk)(void);
    enum { RT_CONSISTENT, RT_ADD, RT_DELETE } r_state;
    uint64_t r_ldbase;
};
/* The dynamic loader publishes its r_debug in the DT_DEBUG entry of the
 * executable's dynamic section; gdb finds it the same way. */
struct debug_dyn {
    int64_t tag;
    uint64_t val;
};
extern struct debug_dyn _DYNAMIC[] __attribute__((weak));
#define DT_DEBUG 21

static struct debug_r_debug *r_debug(void) {
    for (struct debug_dyn *d = _DYNAMIC; d && d->tag; d++)
        if (d->tag == DT_DEBUG)
            return (struct debug_r_debug *)d->val;
    return 0;
}

static void debug_notify(struct debug_r_debug *r, int state) {
    r->r_state = state;
    if (r->r_brk)
        r->r_brk();
}

/* Part of the loader's list lives in memory a fast-fork child does not
 * have (glibc's heap, which the runtime marks MADV_DONTFORK): at boot the
 * list gets copies of its entries in PAL memory, so a child that execs can
 * still append to it. gdb reads only these public fields of an entry. */
void pal_linux_debug_init(void) {
    struct debug_r_debug *r = r_debug();
    if (!r || !r->r_map)
        return;
    struct debug_link_map *head = NULL, *prev = NULL;
    for (struct debug_link_map *m = r->r_map; m; m = m->l_next) {
        struct debug_link_map *c = pal_linux_malloc(sizeof(*c));
        char *name = pal_linux_strdup(m->l_name ? m->l_name : "");
        if (!c || !name)
            return; /* keep the loader's list: only exec in a fork child loses */
        c->l_addr = m->l_addr;
        c->l_name = name;
        c->l_ld = m->l_ld;
        c->l_next = NULL;
        c->l_prev = prev;
        if (prev)
            prev->l_next = c;
        else
            head = c;
        prev = c;
    }
    debug_notify(r, RT_ADD);
    r->r_map = head;
    debug_notify(r, RT_CONSISTENT);
}

int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic) {
    struct debug_r_debug *r = r_debug();
    if (!r || !r->r_map)
        return -PAL_ERR_NOTSUPPORTED;
    struct debug_link_map *m = pal_linux_malloc(sizeof(*m));
    if (!m)
        return -PAL_ERR_NOMEM;
    pal_memset(m, 0, sizeof(*m));
    m->l_addr = base;
    m->l_ld = (void *)dynamic;
    m->l_name = pal_linux_strdup(name);
    debug_notify(r, RT_ADD);
    struct debug_link_map *last = r->r_map;
    while (last->l_next)
        last = last->l_next;
    last->l_next = m;
    m->l_prev = last;
    debug_notify(r, RT_CONSISTENT);
    return 0;
}

int pal_debug_map_remove(uint64_t base) {
    struct debug_r_debug *r = r_debug();
    if (!r || !r->r_map)
        return -PAL_ERR_NOTSUPPORTED;
    for (struct debug_link_map *m = r->r_map->l_next; m; m = m->l_next) {
        if (m->l_addr != base || !m->l_name)
            continue;
        debug_notify(r, RT_DELETE);
        m->l_prev->l_next = m->l_next;
        if (m->l_next)
            m->l_next->l_prev = m->l_prev;
        debug_notify(r, RT_CONSISTENT);
        return 0;
    }
    return -PAL_ERR_NOTFOUND;
}

int pal_attestation_report(const void *user_data, size_t user_size, void *target_info,
                           size_t *target_size, void *report, size_t *report_size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_attestation_quote(const void *user_data, size_t user_size, void *quote,
                          size_t *quote_size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_get_key(const char *name, void *key, size_t *size) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
