/* /sys: the little of sysfs that C libraries and runtimes read to size
 * themselves: CPU lists and topology (glibc get_nprocs, sysconf, python
 * os.cpu_count), NUMA nodes, transparent huge pages (redis). No cgroups. */
#include "libos_pseudo.h"

static uint32_t ncpu(void) {
    return g_boot && g_boot->host.cpu_count ? g_boot->host.cpu_count : 1;
}

static void cpu_range(struct libos_strbuf *b) {
    if (ncpu() == 1)
        libos_strbuf_printf(b, "0\n");
    else
        libos_strbuf_printf(b, "0-%u\n", ncpu() - 1);
}

static long read_cpu_range(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    cpu_range(b);
    return 0;
}

static long read_empty_line(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "\n");
    return 0;
}

static long read_zero(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "0\n");
    return 0;
}

static long read_one(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "1\n");
    return 0;
}

static long read_kernel_max(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "8191\n");
    return 0;
}

/* cpu<N>: every CPU is its own core in one package. */
static long cpu_num(const char *name) {
    if (strncmp(name, "cpu", 3) || !libos_pseudo_is_num(name + 3))
        return -1;
    long v = 0;
    for (const char *s = name + 3; *s; s++)
        v = v * 10 + (*s - '0');
    return v;
}

static bool cpu_match(const struct libos_pseudo_path *p, const char *name) {
    long c = cpu_num(name);
    return c >= 0 && c < ncpu();
}

static long cpu_list_dir(const struct libos_pseudo_path *p, struct libos_dirlist *l) {
    for (uint32_t c = 0; c < ncpu(); c++) {
        char name[16];
        libos_snprintf(name, sizeof(name), "cpu%u", c);
        long r = libos_dirlist_add(l, name, 0, 0);
        if (r)
            return r;
    }
    return 0;
}

/* The CPU of .../cpu<N>/topology/<file>. */
static long path_cpu(const struct libos_pseudo_path *p) {
    for (int i = 0; i < p->depth; i++)
        if (!p->node[i]->name && p->node[i]->match == cpu_match)
            return cpu_num(p->name[i]);
    return 0;
}

static long topo_self_list(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%ld\n", path_cpu(p));
    return 0;
}

static long topo_core_id(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%ld\n", path_cpu(p));
    return 0;
}

/* Hex mask of a set of CPUs, in 32-bit words separated by commas. */
static void mask_print(struct libos_strbuf *b, long only) {
    uint32_t n = ncpu();
    uint32_t words = (n + 31) / 32;
    for (uint32_t w = words; w-- > 0;) {
        uint32_t m = 0;
        for (uint32_t bit = 0; bit < 32; bit++) {
            uint32_t c = w * 32 + bit;
            if (c < n && (only < 0 || c == (uint32_t)only))
                m |= 1u << bit;
        }
        libos_strbuf_printf(b, words > 1 && w + 1 < words ? "%08x" : "%x", m);
        if (w)
            libos_strbuf_add(b, ",", 1);
    }
    libos_strbuf_add(b, "\n", 1);
}

static long topo_self_mask(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    mask_print(b, path_cpu(p));
    return 0;
}

static long topo_all_mask(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    mask_print(b, -1);
    return 0;
}

#define FILE_R(n, fn)                                                                              \
    { .name = n, .type = LIBOS_PSEUDO_FILE, .read = fn }

static const struct libos_pseudo_node g_topology[] = {
    FILE_R("physical_package_id", read_zero),
    FILE_R("die_id", read_zero),
    FILE_R("cluster_id", read_zero),
    FILE_R("core_id", topo_core_id),
    FILE_R("core_cpus", topo_self_mask),
    FILE_R("core_cpus_list", topo_self_list),
    FILE_R("thread_siblings", topo_self_mask),
    FILE_R("thread_siblings_list", topo_self_list),
    FILE_R("core_siblings", topo_all_mask),
    FILE_R("core_siblings_list", read_cpu_range),
    FILE_R("package_cpus", topo_all_mask),
    FILE_R("package_cpus_list", read_cpu_range),
    FILE_R("die_cpus", topo_all_mask),
    FILE_R("die_cpus_list", read_cpu_range),
    {0},
};

static const struct libos_pseudo_node g_cpu_n[] = {
    FILE_R("online", read_one),
    {.name = "topology", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_topology},
    {0},
};

static const struct libos_pseudo_node g_cpu_dir[] = {
    FILE_R("online", read_cpu_range),
    FILE_R("possible", read_cpu_range),
    FILE_R("present", read_cpu_range),
    FILE_R("offline", read_empty_line),
    FILE_R("kernel_max", read_kernel_max),
    {.type = LIBOS_PSEUDO_DIR,
     .perm = 0755,
     .match = cpu_match,
     .list = cpu_list_dir,
     .children = g_cpu_n},
    {0},
};

static long node_cpulist(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    cpu_range(b);
    return 0;
}

static const struct libos_pseudo_node g_node0[] = {
    FILE_R("cpulist", node_cpulist),
    FILE_R("cpumap", topo_all_mask),
    {0},
};

static const struct libos_pseudo_node g_node_dir[] = {
    FILE_R("online", read_zero),
    FILE_R("possible", read_zero),
    FILE_R("has_cpu", read_zero),
    FILE_R("has_memory", read_zero),
    {.name = "node0", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_node0},
    {0},
};

static const struct libos_pseudo_node g_system[] = {
    {.name = "cpu", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_cpu_dir},
    {.name = "node", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_node_dir},
    {0},
};

static const struct libos_pseudo_node g_devices[] = {
    {.name = "system", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_system},
    {0},
};

static long thp_enabled(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "always [madvise] never\n");
    return 0;
}

static long thp_defrag(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "always defer defer+madvise [madvise] never\n");
    return 0;
}

static const struct libos_pseudo_node g_thp[] = {
    FILE_R("enabled", thp_enabled),
    FILE_R("defrag", thp_defrag),
    {0},
};

static const struct libos_pseudo_node g_kernel_mm[] = {
    {.name = "transparent_hugepage", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_thp},
    {0},
};

static const struct libos_pseudo_node g_kernel[] = {
    {.name = "mm", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_kernel_mm},
    {0},
};

static const struct libos_pseudo_node g_sys_children[] = {
    {.name = "devices", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_devices},
    {.name = "kernel", .type = LIBOS_PSEUDO_DIR, .perm = 0755, .children = g_kernel},
    {0},
};

static const struct libos_pseudo_node g_sys_root = {
    .name = "", .type = LIBOS_PSEUDO_DIR, .perm = 0555, .children = g_sys_children};

const struct libos_pseudo_fs g_sys_fs = {
    .ops = LIBOS_PSEUDO_FS_OPS("sysfs"),
    .root = &g_sys_root,
    .create_errno = -EACCES,
    .mkdir_errno = -EPERM,
    .blksize = 4096,
};
