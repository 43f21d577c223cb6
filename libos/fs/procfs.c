/* /proc: the process's own view (self, <pid>, task/<tid>) built from libos
 * state (threads, VMAs, fds, mounts, rlimits), and system-wide files from
 * the PAL (cpuid, memory, host info). Only this process is listed: other
 * sandbox processes live in other libos instances. */
#include "libos_futex.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_pseudo.h"
#include "libos_wait.h"

#define CLK_TCK 100 /* AT_CLKTCK */

/* What exec.c built (libos_procfs_exec). */
static struct {
    char *path;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t *auxv;
    size_t auxv_words;
    uint64_t start_ns; /* monotonic */
    char boot_id[37];
} g_exec;
static int g_oom_score_adj;

static void make_uuid(char out[37]) {
    uint8_t r[16];
    pal_random(r, sizeof(r));
    r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
    r[8] = (r[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    int n = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[n++] = '-';
        n += libos_snprintf(out + n, 3, "%02x", r[i]);
    }
    out[36] = '\0';
}

void libos_procfs_exec(const char *exec_path, uint64_t arg_start, uint64_t arg_end,
                       uint64_t env_start, uint64_t env_end, const uint64_t *auxv,
                       size_t auxv_words) {
    struct libos_lookup lk;
    char *path = NULL;
    if (!libos_vfs_lookup(AT_FDCWD, exec_path, LIBOS_LOOKUP_FOLLOW, &lk)) {
        path = lk.path; /* canonical, as /proc/self/exe shows it */
        lk.path = NULL;
    }
    libos_free(g_exec.path);
    g_exec.path = path ? path : libos_strdup(exec_path);
    g_exec.arg_start = arg_start;
    g_exec.arg_end = arg_end;
    g_exec.env_start = env_start;
    g_exec.env_end = env_end;
    libos_free(g_exec.auxv);
    g_exec.auxv = libos_malloc(auxv_words * sizeof(uint64_t));
    g_exec.auxv_words = g_exec.auxv ? auxv_words : 0;
    if (g_exec.auxv)
        memcpy(g_exec.auxv, auxv, auxv_words * sizeof(uint64_t));
    pal_time_get(PAL_CLOCK_MONOTONIC, &g_exec.start_ns);
    if (!g_exec.boot_id[0])
        make_uuid(g_exec.boot_id);
    /* Other processes read our /proc/<pid> from the process table. */
    const char *base = strrchr(exec_path, '/');
    size_t args = arg_end > arg_start ? arg_end - arg_start : 0;
    libos_proc_exec(g_exec.path ? g_exec.path : exec_path, (const char *)arg_start, args,
                    base ? base + 1 : exec_path);
}

static uint64_t auxv_get(uint64_t type) {
    for (size_t i = 0; i + 1 < g_exec.auxv_words; i += 2)
        if (g_exec.auxv[i] == type)
            return g_exec.auxv[i + 1];
    return 0;
}

/* ------------------------------------------------------------ helpers */

static uint32_t ncpu(void) {
    return g_boot && g_boot->host.cpu_count ? g_boot->host.cpu_count : 1;
}

static uint64_t mono_ns(void) {
    uint64_t t = 0;
    pal_time_get(PAL_CLOCK_MONOTONIC, &t);
    return t;
}

static uint64_t cpu_ticks(void) {
    uint64_t t = 0;
    pal_time_get(PAL_CLOCK_PROCESS_CPU, &t);
    return t / (1000000000 / CLK_TCK);
}

/* Threads of the process, copied under the thread-list lock. */
struct thread_snap {
    uint32_t tid;
    char comm[16];
    uint64_t sigmask, sigpending;
};
struct threads {
    struct thread_snap *t;
    size_t n, cap;
};

static void count_thread(struct libos_thread *t, void *arg) {
    if (!t->internal && !t->exited)
        (*(size_t *)arg)++;
}

static void copy_thread(struct libos_thread *t, void *arg) {
    struct threads *ts = arg;
    if (t->internal || t->exited || ts->n == ts->cap)
        return;
    struct thread_snap *s = &ts->t[ts->n++];
    s->tid = t->tid;
    memcpy(s->comm, t->comm, sizeof(s->comm));
    s->comm[15] = '\0';
    s->sigmask = t->sigmask;
    s->sigpending = t->sigpending;
}

/* Snapshot of the threads, sorted by tid; false on no memory. */
static bool threads_get(struct threads *ts) {
    size_t n = 0;
    libos_thread_for_each(count_thread, &n);
    ts->cap = n + 8; /* room for threads made meanwhile */
    ts->n = 0;
    ts->t = libos_calloc(ts->cap, sizeof(*ts->t));
    if (!ts->t)
        return false;
    libos_thread_for_each(copy_thread, ts);
    for (size_t i = 1; i < ts->n; i++)
        for (size_t j = i; j > 0 && ts->t[j - 1].tid > ts->t[j].tid; j--) {
            struct thread_snap x = ts->t[j];
            ts->t[j] = ts->t[j - 1];
            ts->t[j - 1] = x;
        }
    return true;
}

static bool thread_get(uint32_t tid, struct thread_snap *out) {
    struct libos_thread *t = libos_thread_find(tid);
    if (!t)
        return false;
    out->tid = t->tid;
    memcpy(out->comm, t->comm, sizeof(out->comm));
    out->comm[15] = '\0';
    out->sigmask = t->sigmask;
    out->sigpending = t->sigpending;
    libos_thread_put(t);
    return true;
}

static size_t thread_count(void) {
    size_t n = 0;
    libos_thread_for_each(count_thread, &n);
    return n;
}

/* The pid of /proc/<pid>/... and the thread it is about: the <tid> of
 * task/<tid>/..., else <pid> itself (which may name any thread). */
static uint32_t path_tid(const struct libos_pseudo_path *p) {
    if (p->depth >= 3 && !strcmp(p->name[1], "task"))
        return libos_pseudo_num(p, 2);
    return libos_pseudo_num(p, 0);
}

static bool is_our_tid(long tid) {
    struct libos_thread *t = tid > 0 ? libos_thread_find(tid) : NULL;
    if (t)
        libos_thread_put(t);
    return t != NULL;
}

/* Signal sets of the process: ignored and caught dispositions. */
static void sig_sets(uint64_t *ign, uint64_t *cgt) {
    *ign = *cgt = 0;
    for (int s = 1; s <= LINUX_NSIG; s++) {
        uint64_t h = g_process.sigactions[s - 1].handler;
        if (h == SIG_IGN)
            *ign |= 1ULL << (s - 1);
        else if (h != SIG_DFL)
            *cgt |= 1ULL << (s - 1);
    }
}

/* Merged VMAs (adjacent pieces alike, as Linux shows them). */
struct vmas {
    struct libos_vma *v;
    size_t n, cap;
    bool oom;
};

static bool vma_continues(const struct libos_vma *a, const struct libos_vma *b) {
    if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->kind != b->kind)
        return false;
    if (a->kind != VMA_FILE)
        return true;
    return a->file_dev == b->file_dev && a->file_ino == b->file_ino &&
           a->file_off + (a->end - a->start) == b->file_off;
}

static void collect_vma(const struct libos_vma *v, void *arg) {
    struct vmas *vs = arg;
    if (vs->oom || v->kind == VMA_RESERVED)
        return; /* brk room: address space Linux would not show */
    if (vs->n && vma_continues(&vs->v[vs->n - 1], v)) {
        vs->v[vs->n - 1].end = v->end;
        return;
    }
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 64;
        struct libos_vma *nv = libos_realloc(vs->v, cap * sizeof(*nv));
        if (!nv) {
            vs->oom = true;
            return;
        }
        vs->v = nv;
        vs->cap = cap;
    }
    vs->v[vs->n++] = *v;
}

static long vmas_get(struct vmas *vs) {
    memset(vs, 0, sizeof(*vs));
    libos_vma_for_each(collect_vma, vs);
    if (vs->oom) {
        libos_free(vs->v);
        return -ENOMEM;
    }
    return 0;
}

struct mem_stats {
    uint64_t size, rss, data, stack, exe, lib, file, anon; /* bytes */
};

/* Estimates from the VMA list: every accessible page counts as resident. */
static void mem_stats(struct mem_stats *ms) {
    struct vmas vs;
    memset(ms, 0, sizeof(*ms));
    if (vmas_get(&vs))
        return;
    for (size_t i = 0; i < vs.n; i++) {
        const struct libos_vma *v = &vs.v[i];
        uint64_t len = v->end - v->start;
        ms->size += len;
        if (!v->prot)
            continue;
        ms->rss += len;
        if (v->kind == VMA_FILE)
            ms->file += len;
        else
            ms->anon += len;
        if (v->kind == VMA_STACK)
            ms->stack += len;
        else if ((v->prot & PROT_WRITE) && (v->flags & MAP_TYPE) == MAP_PRIVATE)
            ms->data += len;
        if (v->kind == VMA_FILE && (v->prot & PROT_EXEC)) {
            char name[LIBOS_PATH_MAX];
            bool exe = g_exec.path &&
                       libos_vma_file_name(v->file_dev, v->file_ino, name, sizeof(name)) &&
                       !strcmp(name, g_exec.path);
            *(exe ? &ms->exe : &ms->lib) += len;
        }
    }
    libos_free(vs.v);
}

static long parse_int(const char *buf, size_t n, long *out) {
    size_t i = 0;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    bool neg = i < n && buf[i] == '-';
    if (neg || (i < n && buf[i] == '+'))
        i++;
    size_t digits = 0;
    long v = 0;
    for (; i < n && buf[i] >= '0' && buf[i] <= '9' && digits < 12; i++, digits++)
        v = v * 10 + (buf[i] - '0');
    while (i < n && (buf[i] == '\n' || buf[i] == ' ' || buf[i] == '\0'))
        i++;
    if (!digits || i != n)
        return -EINVAL;
    *out = neg ? -v : v;
    return 0;
}

/* "0-N" list of all CPUs, and their mask in /proc's hex-with-commas form. */
static void cpu_list(struct libos_strbuf *b) {
    if (ncpu() == 1)
        libos_strbuf_printf(b, "0");
    else
        libos_strbuf_printf(b, "0-%u", ncpu() - 1);
}

static void cpu_mask(struct libos_strbuf *b) {
    uint32_t n = ncpu();
    uint32_t digits = (n + 3) / 4;
    for (uint32_t d = digits; d-- > 0;) {
        uint32_t bits = n - d * 4 >= 4 ? 4 : n - d * 4;
        libos_strbuf_printf(b, "%x", (1u << bits) - 1);
        if (d && d % 8 == 0)
            libos_strbuf_add(b, ",", 1);
    }
}

/* --------------------------------------------------- /proc/<pid>/ files */

/* What status and stat both show of thread tid: -ESRCH if it is gone. */
struct pid_view {
    struct thread_snap t;
    struct mem_stats ms;
    uint64_t ign, cgt;
    bool running;
};

static long pid_view(uint32_t tid, struct pid_view *v) {
    if (!thread_get(tid, &v->t))
        return -ESRCH;
    mem_stats(&v->ms);
    sig_sets(&v->ign, &v->cgt);
    v->running = libos_current_thread() && libos_current_thread()->tid == tid;
    return 0;
}

static long pid_status(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct pid_view v;
    uint32_t tid = path_tid(p);
    if (pid_view(tid, &v) < 0)
        return -ESRCH;
    struct thread_snap t = v.t;
    struct mem_stats ms = v.ms;
    uint64_t ign = v.ign, cgt = v.cgt;
    struct libos_process *pr = &g_process;
    bool running = v.running;
    libos_strbuf_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n", t.comm, pr->umask,
                        running ? "R (running)" : "S (sleeping)");
    libos_strbuf_printf(b, "Tgid:\t%u\nNgid:\t0\nPid:\t%u\nPPid:\t%u\nTracerPid:\t0\n", pr->pid,
                        tid, libos_proc_ppid());
    libos_strbuf_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", pr->uid, pr->euid, pr->suid, pr->euid);
    libos_strbuf_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", pr->gid, pr->egid, pr->sgid, pr->egid);
    libos_strbuf_printf(
        b, "FDSize:\t64\nGroups:\t\nNStgid:\t%u\nNSpid:\t%u\nNSpgid:\t%u\nNSsid:\t%u\n", pr->pid,
        tid, libos_proc_pgid(), libos_proc_sid());
    static const char *const fmt = "%-8s%8lu kB\n";
    libos_strbuf_printf(b, fmt, "VmPeak:", (unsigned long)(ms.size >> 10));
    libos_strbuf_printf(b, fmt, "VmSize:", (unsigned long)(ms.size >> 10));
    libos_strbuf_printf(b, fmt, "VmLck:", 0UL);
    libos_strbuf_printf(b, fmt, "VmPin:", 0UL);
    libos_strbuf_printf(b, fmt, "VmHWM:", (unsigned long)(ms.rss >> 10));
    libos_strbuf_printf(b, fmt, "VmRSS:", (unsigned long)(ms.rss >> 10));
    libos_strbuf_printf(b, "RssAnon:\t%8lu kB\nRssFile:\t%8lu kB\nRssShmem:\t%8lu kB\n",
                        (unsigned long)(ms.anon >> 10), (unsigned long)(ms.file >> 10), 0UL);
    libos_strbuf_printf(b, fmt, "VmData:", (unsigned long)(ms.data >> 10));
    libos_strbuf_printf(b, fmt, "VmStk:", (unsigned long)(ms.stack >> 10));
    libos_strbuf_printf(b, fmt, "VmExe:", (unsigned long)(ms.exe >> 10));
    libos_strbuf_printf(b, fmt, "VmLib:", (unsigned long)(ms.lib >> 10));
    libos_strbuf_printf(b, fmt, "VmPTE:", (unsigned long)(ms.size >> 19)); /* ~8 B per page */
    libos_strbuf_printf(b, fmt, "VmSwap:", 0UL);
    libos_strbuf_printf(b, "HugetlbPages:\t%8lu kB\nCoreDumping:\t0\nTHP_enabled:\t1\n", 0UL);
    uint64_t sigq = pr->rlimits[RLIMIT_SIGPENDING].rlim_cur;
    libos_strbuf_printf(b, "Threads:\t%zu\nSigQ:\t0/%lu\n", thread_count(),
                        (unsigned long)(sigq == RLIM_INFINITY ? 63581 : sigq));
    libos_strbuf_printf(b, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n",
                        (unsigned long)t.sigpending, (unsigned long)pr->sigpending,
                        (unsigned long)t.sigmask);
    libos_strbuf_printf(b, "SigIgn:\t%016lx\nSigCgt:\t%016lx\n", (unsigned long)ign,
                        (unsigned long)cgt);
    /* No capabilities inside the sandbox (capget reports none either). */
    libos_strbuf_printf(b,
                        "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\n"
                        "CapAmb:\t%016x\n",
                        0, 0, 0, 0, 0);
    libos_strbuf_printf(b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n",
                        pr->no_new_privs ? 1 : 0);
    libos_strbuf_printf(b, "Speculation_Store_Bypass:\tthread vulnerable\n"
                           "SpeculationIndirectBranch:\tconditional enabled\n");
    libos_strbuf_printf(b, "Cpus_allowed:\t");
    cpu_mask(b);
    libos_strbuf_printf(b, "\nCpus_allowed_list:\t");
    cpu_list(b);
    libos_strbuf_printf(b, "\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n"
                           "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    return 0;
}

static long pid_stat(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct pid_view v;
    uint32_t tid = path_tid(p);
    if (pid_view(tid, &v) < 0)
        return -ESRCH;
    struct thread_snap t = v.t;
    struct mem_stats ms = v.ms;
    uint64_t ign = v.ign, cgt = v.cgt;
    struct libos_process *pr = &g_process;
    bool running = v.running;
    uint64_t rsslim = pr->rlimits[RLIMIT_RSS].rlim_cur;
    uint64_t phdr = auxv_get(AT_PHDR);
    libos_strbuf_printf(b, "%u (%s) %c %u %u %u 0 -1 4194560 0 0 0 0 ", tid, t.comm,
                        running ? 'R' : 'S', libos_proc_ppid(), libos_proc_pgid(),
                        libos_proc_sid());
    libos_strbuf_printf(b, "%lu 0 0 0 20 0 %zu 0 %lu %lu %lu %lu ", (unsigned long)cpu_ticks(),
                        thread_count(), (unsigned long)(g_exec.start_ns / (1000000000 / CLK_TCK)),
                        (unsigned long)ms.size, (unsigned long)(ms.rss / LIBOS_PAGE_SIZE),
                        (unsigned long)rsslim);
    libos_strbuf_printf(b, "%lu %lu %lu 0 0 %lu %lu %lu %lu 0 0 0 17 0 0 0 0 0 0 ",
                        (unsigned long)ALIGN_DOWN(phdr, LIBOS_PAGE_SIZE),
                        (unsigned long)auxv_get(AT_ENTRY), (unsigned long)g_exec.arg_start,
                        (unsigned long)(pr->sigpending | t.sigpending), (unsigned long)t.sigmask,
                        (unsigned long)ign, (unsigned long)cgt);
    libos_strbuf_printf(b, "0 0 0 %lu %lu %lu %lu 0\n", (unsigned long)g_exec.arg_start,
                        (unsigned long)g_exec.arg_end, (unsigned long)g_exec.env_start,
                        (unsigned long)g_exec.env_end);
    return 0;
}

static long pid_statm(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct mem_stats ms;
    mem_stats(&ms);
    libos_strbuf_printf(b, "%lu %lu %lu %lu 0 %lu 0\n", (unsigned long)(ms.size >> 12),
                        (unsigned long)(ms.rss >> 12), (unsigned long)(ms.file >> 12),
                        (unsigned long)(ms.exe >> 12), (unsigned long)((ms.data + ms.stack) >> 12));
    return 0;
}

/* Copy app memory [start, end) if it is still readable app memory. */
static bool copy_app(struct libos_strbuf *b, uint64_t start, uint64_t end) {
    if (end <= start || !libos_user_range_ok((void *)start, end - start, false))
        return false;
    libos_strbuf_add(b, (const void *)start, end - start);
    return true;
}

static long pid_cmdline(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    if (!copy_app(b, g_exec.arg_start, g_exec.arg_end))
        return 0;
    /* Linux: a program that wrote its title over the NUL (setproctitle)
     * gets it read on into the environment area, up to a NUL. */
    if (b->len && b->s[b->len - 1] != '\0' &&
        libos_user_range_ok((void *)g_exec.env_start, g_exec.env_end - g_exec.env_start, false)) {
        const char *e = (const char *)g_exec.env_start;
        size_t n = strnlen(e, g_exec.env_end - g_exec.env_start);
        libos_strbuf_add(b, e, n);
    }
    return 0;
}

static long pid_environ(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    copy_app(b, g_exec.env_start, g_exec.env_end);
    return 0;
}

static long pid_auxv(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    size_t n = 0;
    while (n + 1 < g_exec.auxv_words && g_exec.auxv[n] != AT_NULL)
        n += 2;
    if (n + 1 < g_exec.auxv_words)
        n += 2; /* the AT_NULL pair too */
    libos_strbuf_add(b, g_exec.auxv, n * sizeof(uint64_t));
    return 0;
}

static void vma_line(struct libos_strbuf *b, const struct libos_vma *v, uint64_t vdso) {
    uint32_t major = ((v->file_dev >> 8) & 0xfff) | ((v->file_dev >> 32) & ~0xfffu);
    uint32_t minor = (v->file_dev & 0xff) | ((v->file_dev >> 12) & ~0xffu);
    bool file = v->kind == VMA_FILE;
    size_t before = b->len;
    libos_strbuf_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", (unsigned long)v->start,
                        (unsigned long)v->end, (v->prot & PROT_READ) ? 'r' : '-',
                        (v->prot & PROT_WRITE) ? 'w' : '-', (v->prot & PROT_EXEC) ? 'x' : '-',
                        (v->flags & MAP_TYPE) == MAP_PRIVATE ? 'p' : 's',
                        (unsigned long)(file ? v->file_off : 0), file ? major : 0, file ? minor : 0,
                        (unsigned long)(file ? v->file_ino : 0));
    char name[LIBOS_PATH_MAX];
    name[0] = '\0';
    if (file)
        libos_vma_file_name(v->file_dev, v->file_ino, name, sizeof(name));
    else if (v->kind == VMA_BRK)
        libos_strlcpy(name, "[heap]", sizeof(name));
    else if (v->kind == VMA_STACK)
        libos_strlcpy(name, "[stack]", sizeof(name));
    else if (vdso && v->start == vdso)
        libos_strlcpy(name, "[vdso]", sizeof(name));
    if (name[0]) {
        /* Linux pads the name to column 73. */
        while (b->len - before < 73 && !b->oom)
            libos_strbuf_add(b, " ", 1);
        libos_strbuf_printf(b, "%s", name);
    }
    libos_strbuf_add(b, "\n", 1);
}

static long maps_common(struct libos_strbuf *b, bool smaps) {
    struct vmas vs;
    long r = vmas_get(&vs);
    if (r)
        return r;
    uint64_t vdso = auxv_get(AT_SYSINFO_EHDR);
    static const char *const kb = "%-16s%8lu kB\n";
    for (size_t i = 0; i < vs.n; i++) {
        const struct libos_vma *v = &vs.v[i];
        vma_line(b, v, vdso);
        if (!smaps)
            continue;
        unsigned long size = (v->end - v->start) >> 10;
        unsigned long rss = v->prot ? size : 0;
        bool anon = v->kind != VMA_FILE;
        bool shared = (v->flags & MAP_TYPE) != MAP_PRIVATE;
        libos_strbuf_printf(b, kb, "Size:", size);
        libos_strbuf_printf(b, kb, "KernelPageSize:", 4UL);
        libos_strbuf_printf(b, kb, "MMUPageSize:", 4UL);
        libos_strbuf_printf(b, kb, "Rss:", rss);
        libos_strbuf_printf(b, kb, "Pss:", rss);
        libos_strbuf_printf(b, kb, "Pss_Dirty:", anon ? rss : 0);
        libos_strbuf_printf(b, kb, "Shared_Clean:", shared && !anon ? rss : 0);
        libos_strbuf_printf(b, kb, "Shared_Dirty:", shared && anon ? rss : 0);
        libos_strbuf_printf(b, kb, "Private_Clean:", !shared && !anon ? rss : 0);
        libos_strbuf_printf(b, kb, "Private_Dirty:", !shared && anon ? rss : 0);
        libos_strbuf_printf(b, kb, "Referenced:", rss);
        libos_strbuf_printf(b, kb, "Anonymous:", anon ? rss : 0);
        static const char *const zero[] = {
            "KSM:",           "LazyFree:",       "AnonHugePages:",   "ShmemPmdMapped:",
            "FilePmdMapped:", "Shared_Hugetlb:", "Private_Hugetlb:", "Swap:",
            "SwapPss:",       "Locked:"};
        for (size_t z = 0; z < ARRAY_SIZE(zero); z++)
            libos_strbuf_printf(b, kb, zero[z], 0UL);
        libos_strbuf_printf(b, "THPeligible:    0\nVmFlags:%s%s%s%s%s%s%s\n",
                            (v->prot & PROT_READ) ? " rd" : "", (v->prot & PROT_WRITE) ? " wr" : "",
                            (v->prot & PROT_EXEC) ? " ex" : "", shared ? " sh" : "", " mr mw me",
                            v->kind == VMA_STACK ? " gd" : "", anon ? " ac" : "");
    }
    libos_free(vs.v);
    return 0;
}

static long pid_maps(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    return maps_common(b, false);
}

static long pid_smaps(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    return maps_common(b, true);
}

static const char *fs_type(const struct libos_mount *m) {
    const char *n = m->ops->name;
    if (!strcmp(n, "dev"))
        return "devtmpfs";
    if (!strcmp(n, "host"))
        return "hostfs";
    return n;
}

static const char *mount_source(const struct libos_mount *m) {
    if (m->ops == &g_host_fs_ops)
        return m->source[0] ? m->source : "/";
    return fs_type(m);
}

static bool have_root_mount(void) {
    struct libos_mount *m;
    for (size_t i = 0; (m = libos_mount_at(i)); i++)
        if (!strcmp(m->path, "/"))
            return true;
    return false;
}

static const char *mount_opts(const struct libos_mount *m) {
    if (m->ops == &g_proc_fs.ops || m->ops == &g_sys_fs.ops)
        return "rw,nosuid,nodev,noexec,relatime";
    if (m->ops == &g_dev_fs_ops)
        return "rw,nosuid,relatime";
    return m->readonly ? "ro,relatime" : "rw,relatime";
}

static long pid_mounts(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    if (!have_root_mount())
        libos_strbuf_printf(b, "none / rootfs ro 0 0\n");
    struct libos_mount *m;
    for (size_t i = 0; (m = libos_mount_at(i)); i++)
        libos_strbuf_printf(b, "%s %s %s %s 0 0\n", mount_source(m), m->path, fs_type(m),
                            mount_opts(m));
    return 0;
}

/* Mount ids: 1 is the root (synthetic or mounted), others 20 + index. */
static int mount_id(size_t i, const struct libos_mount *m) {
    return strcmp(m->path, "/") ? 20 + (int)i : 1;
}

static long pid_mountinfo(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    if (!have_root_mount())
        libos_strbuf_printf(b, "1 1 0:9 / / ro,relatime - rootfs none ro\n");
    struct libos_mount *m, *o;
    for (size_t i = 0; (m = libos_mount_at(i)); i++) {
        /* Parent: the longest other mount whose path is a proper prefix. */
        int parent = 1;
        size_t best = 0;
        for (size_t j = 0; (o = libos_mount_at(j)); j++) {
            bool under = o->path_len == 1 ||
                         (!strncmp(m->path, o->path, o->path_len) && m->path[o->path_len] == '/');
            if (j != i && under && m->path_len > o->path_len && o->path_len >= best) {
                best = o->path_len;
                parent = mount_id(j, o);
            }
        }
        const char *root = m->ops == &g_host_fs_ops && m->source[0] ? m->source : "/";
        libos_strbuf_printf(b, "%d %d 0:%lu %s %s %s - %s %s %s\n", mount_id(i, m), parent,
                            (unsigned long)m->dev, root, m->path, mount_opts(m), fs_type(m),
                            mount_source(m), m->readonly ? "ro" : "rw");
    }
    return 0;
}

static long pid_limits(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    static const struct {
        const char *name, *unit;
    } lim[RLIMIT_NLIMITS] = {
        {"Max cpu time", "seconds"},     {"Max file size", "bytes"},
        {"Max data size", "bytes"},      {"Max stack size", "bytes"},
        {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
        {"Max processes", "processes"},  {"Max open files", "files"},
        {"Max locked memory", "bytes"},  {"Max address space", "bytes"},
        {"Max file locks", "locks"},     {"Max pending signals", "signals"},
        {"Max msgqueue size", "bytes"},  {"Max nice priority", NULL},
        {"Max realtime priority", NULL}, {"Max realtime timeout", "us"},
    };
    libos_strbuf_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit",
                        "Units");
    for (int i = 0; i < RLIMIT_NLIMITS; i++) {
        libos_strbuf_printf(b, "%-25s ", lim[i].name);
        uint64_t v[2] = {g_process.rlimits[i].rlim_cur, g_process.rlimits[i].rlim_max};
        for (int k = 0; k < 2; k++) {
            if (v[k] == RLIM_INFINITY)
                libos_strbuf_printf(b, "%-20s ", "unlimited");
            else
                libos_strbuf_printf(b, "%-20lu ", (unsigned long)v[k]);
        }
        if (lim[i].unit)
            libos_strbuf_printf(b, "%-10s\n", lim[i].unit);
        else
            libos_strbuf_add(b, "\n", 1);
    }
    return 0;
}

static long pid_comm(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct thread_snap t;
    if (!thread_get(path_tid(p), &t))
        return -ESRCH;
    libos_strbuf_printf(b, "%s\n", t.comm);
    return 0;
}

static long pid_comm_write(const struct libos_pseudo_path *p, const char *buf, size_t n) {
    struct libos_thread *t = libos_thread_find(path_tid(p));
    if (!t)
        return -ESRCH;
    char comm[16];
    size_t len = MIN(n, sizeof(comm) - 1);
    memcpy(comm, buf, len);
    comm[len] = '\0'; /* Linux keeps the bytes as written, newline and all */
    memcpy(t->comm, comm, sizeof(comm));
    libos_thread_put(t);
    return n;
}

static long pid_oom_adj(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%d\n", g_oom_score_adj);
    return 0;
}

static long pid_oom_adj_write(const struct libos_pseudo_path *p, const char *buf, size_t n) {
    long v;
    if (parse_int(buf, n, &v) || v < -1000 || v > 1000)
        return -EINVAL;
    g_oom_score_adj = v;
    return n;
}

static long pid_oom_score(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%d\n", g_oom_score_adj > 0 ? g_oom_score_adj : 0);
    return 0;
}

static long pid_cgroup(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "0::/\n");
    return 0;
}

static long pid_wchan(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "0");
    return 0;
}

static long link_exe(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    if (!g_exec.path)
        return -ENOENT;
    libos_strbuf_printf(b, "%s", g_exec.path);
    return 0;
}

static long link_cwd(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    char *buf = libos_malloc(LIBOS_PATH_MAX);
    if (!buf)
        return -ENOMEM;
    long r = libos_vfs_get_cwd(buf, LIBOS_PATH_MAX);
    if (r >= 0)
        libos_strbuf_printf(b, "%s", buf);
    libos_free(buf);
    return r < 0 ? r : 0;
}

static long link_root(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "/");
    return 0;
}

/* ------------------------------------------------------- fd/, fdinfo/ */

static bool fd_match(const struct libos_pseudo_path *p, const char *name) {
    if (!libos_pseudo_is_num(name))
        return false;
    long fd = 0;
    for (const char *s = name; *s; s++)
        fd = fd * 10 + (*s - '0');
    struct libos_file *f = libos_fd_get(fd);
    libos_file_put(f);
    return f != NULL;
}

static long fd_list(const struct libos_pseudo_path *p, struct libos_dirlist *l) {
    uint64_t lim = libos_fd_limit();
    for (uint64_t fd = 0; fd < lim; fd++) {
        struct libos_file *f = libos_fd_get(fd);
        if (!f)
            continue;
        libos_file_put(f);
        char name[16];
        libos_snprintf(name, sizeof(name), "%lu", (unsigned long)fd);
        long r = libos_dirlist_add(l, name, 0, 0);
        if (r)
            return r;
    }
    return 0;
}

static struct libos_file *path_file(const struct libos_pseudo_path *p) {
    return libos_fd_get(libos_pseudo_num(p, p->depth - 1));
}

static long fd_readlink(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct libos_file *f = path_file(p);
    if (!f)
        return -ENOENT;
    /* Files without a name (eventfd, signalfd, epoll) are anonymous inodes. */
    libos_strbuf_printf(b, "%s", f->path ? f->path : "anon_inode:[unknown]");
    libos_file_put(f);
    return 0;
}

static long fdinfo_read(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    int fd = libos_pseudo_num(p, p->depth - 1);
    struct libos_file *f = libos_fd_get(fd);
    if (!f)
        return -ENOENT;
    struct linux_stat st;
    uint64_t ino = libos_file_stat(f, &st) ? 0 : st.st_ino;
    int mnt = 0;
    struct libos_mount *m;
    for (size_t i = 0; (m = libos_mount_at(i)); i++)
        if (m == f->mount)
            mnt = mount_id(i, m);
    uint32_t flags = f->flags | (libos_fd_get_cloexec(fd) > 0 ? O_CLOEXEC : 0);
    libos_strbuf_printf(b, "pos:\t%lu\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n",
                        (unsigned long)f->pos, flags, mnt, (unsigned long)ino);
    libos_file_put(f);
    return 0;
}

/* --------------------------------------------------------- task/<tid> */

static bool task_match(const struct libos_pseudo_path *p, const char *name) {
    long tid = libos_pseudo_is_num(name) ? 0 : -1;
    for (const char *s = name; tid >= 0 && *s; s++)
        tid = tid * 10 + (*s - '0');
    return is_our_tid(tid);
}

static long task_list(const struct libos_pseudo_path *p, struct libos_dirlist *l) {
    struct threads ts;
    if (!threads_get(&ts))
        return -ENOMEM;
    long r = 0;
    for (size_t i = 0; i < ts.n && !r; i++) {
        char name[16];
        libos_snprintf(name, sizeof(name), "%u", ts.t[i].tid);
        r = libos_dirlist_add(l, name, 0, 0);
    }
    libos_free(ts.t);
    return r;
}

static const struct libos_pseudo_node g_fd_children[] = {
    {.type = LIBOS_PSEUDO_LINK,
     .perm = 0700,
     .match = fd_match,
     .list = fd_list,
     .readlink = fd_readlink},
    {0},
};

static const struct libos_pseudo_node g_fdinfo_children[] = {
    {.type = LIBOS_PSEUDO_FILE, .match = fd_match, .list = fd_list, .read = fdinfo_read},
    {0},
};

#define PID_FILE(n, fn)                                                                            \
    { .name = n, .type = LIBOS_PSEUDO_FILE, .read = fn }
#define PID_FILE_PERM(n, fn, p)                                                                    \
    { .name = n, .type = LIBOS_PSEUDO_FILE, .perm = p, .read = fn }

static const struct libos_pseudo_node g_task_entry_children[] = {
    PID_FILE("stat", pid_stat),
    PID_FILE("status", pid_status),
    PID_FILE("statm", pid_statm),
    PID_FILE("cmdline", pid_cmdline),
    {.name = "comm", .type = LIBOS_PSEUDO_FILE, .read = pid_comm, .write = pid_comm_write},
    {0},
};

static const struct libos_pseudo_node g_task_children[] = {
    {.type = LIBOS_PSEUDO_DIR,
     .match = task_match,
     .list = task_list,
     .children = g_task_entry_children},
    {0},
};

static const struct libos_pseudo_node g_pid_children[] = {
    {.name = "exe", .type = LIBOS_PSEUDO_LINK, .readlink = link_exe},
    {.name = "cwd", .type = LIBOS_PSEUDO_LINK, .readlink = link_cwd},
    {.name = "root", .type = LIBOS_PSEUDO_LINK, .readlink = link_root},
    {.name = "fd", .type = LIBOS_PSEUDO_DIR, .perm = 0500, .children = g_fd_children},
    {.name = "fdinfo", .type = LIBOS_PSEUDO_DIR, .perm = 0500, .children = g_fdinfo_children},
    {.name = "task", .type = LIBOS_PSEUDO_DIR, .children = g_task_children},
    PID_FILE("maps", pid_maps),
    PID_FILE("smaps", pid_smaps),
    PID_FILE("status", pid_status),
    PID_FILE("stat", pid_stat),
    PID_FILE("statm", pid_statm),
    PID_FILE("cmdline", pid_cmdline),
    PID_FILE_PERM("environ", pid_environ, 0400),
    PID_FILE_PERM("auxv", pid_auxv, 0400),
    PID_FILE("mounts", pid_mounts),
    PID_FILE("mountinfo", pid_mountinfo),
    PID_FILE("limits", pid_limits),
    PID_FILE("cgroup", pid_cgroup),
    PID_FILE("wchan", pid_wchan),
    PID_FILE("oom_score", pid_oom_score),
    {.name = "comm", .type = LIBOS_PSEUDO_FILE, .read = pid_comm, .write = pid_comm_write},
    {.name = "oom_score_adj",
     .type = LIBOS_PSEUDO_FILE,
     .read = pid_oom_adj,
     .write = pid_oom_adj_write},
    {0},
};

/* /proc/<pid>: our pid is listed; any of our tids also resolves (Linux). */
static bool pid_match(const struct libos_pseudo_path *p, const char *name) {
    return task_match(p, name);
}

static long pid_list(const struct libos_pseudo_path *p, struct libos_dirlist *l) {
    char name[16];
    libos_snprintf(name, sizeof(name), "%u", g_process.pid);
    return libos_dirlist_add(l, name, 0, 0);
}

/* ------------------------------------- /proc/<pid> of other processes */

/* Another process of the sandbox, from the process table. */
static bool other_get(const struct libos_pseudo_path *p, struct libos_proc_info *pi) {
    long pid = libos_pseudo_num(p, 0);
    return pid > 0 && (uint32_t)pid != g_process.pid && libos_proc_info(pid, pi) == 0;
}

static bool other_match(const struct libos_pseudo_path *p, const char *name) {
    struct libos_proc_info *pi = libos_malloc(sizeof(*pi));
    bool ok = false;
    if (pi && libos_pseudo_is_num(name)) {
        long n = 0;
        for (const char *c = name; *c; c++)
            n = n * 10 + (*c - '0');
        ok = (uint32_t)n != g_process.pid && libos_proc_info(n, pi) == 0;
    }
    libos_free(pi);
    return ok;
}

static long other_list(const struct libos_pseudo_path *p, struct libos_dirlist *l) {
    uint32_t pids[256];
    size_t n = libos_proc_pids(pids, ARRAY_SIZE(pids));
    for (size_t i = 0; i < n; i++) {
        char name[16];
        if (pids[i] == g_process.pid)
            continue;
        libos_snprintf(name, sizeof(name), "%u", pids[i]);
        long r = libos_dirlist_add(l, name, 0, 0);
        if (r < 0)
            return r;
    }
    return 0;
}

static char other_state(const struct libos_proc_info *pi, const char **word) {
    switch (pi->state) {
    case LIBOS_PROC_STOPPED:
        *word = "stopped";
        return 'T';
    case LIBOS_PROC_ZOMBIE:
        *word = "zombie";
        return 'Z';
    default:
        *word = "sleeping";
        return 'S';
    }
}

/* The reads below allocate the (large) snapshot instead of using the stack. */
#define OTHER_GET(pi)                                                                              \
    struct libos_proc_info *pi = libos_malloc(sizeof(*pi));                                        \
    if (!pi)                                                                                       \
        return -ENOMEM;                                                                            \
    if (!other_get(p, pi)) {                                                                       \
        libos_free(pi);                                                                            \
        return -ESRCH;                                                                             \
    }

static long other_status(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    OTHER_GET(pi);
    const char *word;
    char st = other_state(pi, &word);
    libos_strbuf_printf(b, "Name:\t%s\nUmask:\t0022\nState:\t%c (%s)\n", pi->comm, st, word);
    libos_strbuf_printf(b, "Tgid:\t%u\nNgid:\t0\nPid:\t%u\nPPid:\t%u\nTracerPid:\t0\n", pi->pid,
                        pi->pid, pi->ppid);
    libos_strbuf_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", pi->uid, pi->euid, pi->euid, pi->euid);
    libos_strbuf_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", pi->gid, pi->egid, pi->egid, pi->egid);
    libos_strbuf_printf(
        b, "FDSize:\t64\nGroups:\t\nNStgid:\t%u\nNSpid:\t%u\nNSpgid:\t%u\nNSsid:\t%u\n", pi->pid,
        pi->pid, pi->pgid, pi->sid);
    libos_strbuf_printf(b, "Threads:\t%u\n", pi->nthreads ? pi->nthreads : 1);
    libos_free(pi);
    return 0;
}

static long other_stat(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    OTHER_GET(pi);
    const char *word;
    char st = other_state(pi, &word);
    libos_strbuf_printf(b, "%u (%s) %c %u %u %u 0 -1 4194560 0 0 0 0 ", pi->pid, pi->comm, st,
                        pi->ppid, pi->pgid, pi->sid);
    libos_strbuf_printf(b, "0 0 0 0 20 0 %u 0 %lu 0 0 18446744073709551615 ",
                        pi->nthreads ? pi->nthreads : 1,
                        (unsigned long)(pi->start_ns / (1000000000 / CLK_TCK)));
    libos_strbuf_printf(b, "0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    libos_free(pi);
    return 0;
}

static long other_cmdline(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    OTHER_GET(pi);
    if (pi->state != LIBOS_PROC_ZOMBIE)
        libos_strbuf_add(b, pi->cmdline, pi->cmdline_len);
    libos_free(pi);
    return 0;
}

static long other_comm(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    OTHER_GET(pi);
    libos_strbuf_printf(b, "%s\n", pi->comm);
    libos_free(pi);
    return 0;
}

static long other_exe(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    OTHER_GET(pi);
    long r = pi->exe[0] && pi->state != LIBOS_PROC_ZOMBIE ? 0 : -ENOENT;
    if (!r)
        libos_strbuf_printf(b, "%s", pi->exe);
    libos_free(pi);
    return r;
}

static const struct libos_pseudo_node g_other_children[] = {
    PID_FILE("status", other_status),
    PID_FILE("stat", other_stat),
    PID_FILE("cmdline", other_cmdline),
    PID_FILE("comm", other_comm),
    {.name = "exe", .type = LIBOS_PSEUDO_LINK, .readlink = other_exe},
    {0},
};

static long link_self(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%u", g_process.pid);
    return 0;
}

static long link_thread_self(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct libos_thread *t = libos_current_thread();
    libos_strbuf_printf(b, "%u/task/%u", g_process.pid, t ? t->tid : g_process.pid);
    return 0;
}

/* ------------------------------------------------------- system files */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    if (pal_cpuid(leaf, sub, r) < 0)
        r[0] = r[1] = r[2] = r[3] = 0;
}

/* Linux's names of CPUID feature bits (a common subset). */
static const struct cpu_flag {
    uint32_t leaf;
    uint8_t reg, bit; /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
    const char *name;
} g_cpu_flags[] = {
    {1, 3, 0, "fpu"},
    {1, 3, 1, "vme"},
    {1, 3, 2, "de"},
    {1, 3, 3, "pse"},
    {1, 3, 4, "tsc"},
    {1, 3, 5, "msr"},
    {1, 3, 6, "pae"},
    {1, 3, 7, "mce"},
    {1, 3, 8, "cx8"},
    {1, 3, 9, "apic"},
    {1, 3, 11, "sep"},
    {1, 3, 12, "mtrr"},
    {1, 3, 13, "pge"},
    {1, 3, 14, "mca"},
    {1, 3, 15, "cmov"},
    {1, 3, 16, "pat"},
    {1, 3, 17, "pse36"},
    {1, 3, 19, "clflush"},
    {1, 3, 23, "mmx"},
    {1, 3, 24, "fxsr"},
    {1, 3, 25, "sse"},
    {1, 3, 26, "sse2"},
    {1, 3, 27, "ss"},
    {1, 3, 28, "ht"},
    {0x80000001, 3, 11, "syscall"},
    {0x80000001, 3, 20, "nx"},
    {0x80000001, 3, 26, "pdpe1gb"},
    {0x80000001, 3, 27, "rdtscp"},
    {0x80000001, 3, 29, "lm"},
    {1, 2, 0, "pni"},
    {1, 2, 1, "pclmulqdq"},
    {1, 2, 3, "monitor"},
    {1, 2, 9, "ssse3"},
    {1, 2, 12, "fma"},
    {1, 2, 13, "cx16"},
    {1, 2, 17, "pcid"},
    {1, 2, 19, "sse4_1"},
    {1, 2, 20, "sse4_2"},
    {1, 2, 21, "x2apic"},
    {1, 2, 22, "movbe"},
    {1, 2, 23, "popcnt"},
    {1, 2, 25, "aes"},
    {1, 2, 26, "xsave"},
    {1, 2, 28, "avx"},
    {1, 2, 29, "f16c"},
    {1, 2, 30, "rdrand"},
    {1, 2, 31, "hypervisor"},
    {0x80000001, 2, 0, "lahf_lm"},
    {0x80000001, 2, 5, "abm"},
    {0x80000001, 2, 8, "3dnowprefetch"},
    {7, 1, 0, "fsgsbase"},
    {7, 1, 3, "bmi1"},
    {7, 1, 4, "hle"},
    {7, 1, 5, "avx2"},
    {7, 1, 7, "smep"},
    {7, 1, 8, "bmi2"},
    {7, 1, 9, "erms"},
    {7, 1, 10, "invpcid"},
    {7, 1, 11, "rtm"},
    {7, 1, 16, "avx512f"},
    {7, 1, 17, "avx512dq"},
    {7, 1, 18, "rdseed"},
    {7, 1, 19, "adx"},
    {7, 1, 20, "smap"},
    {7, 1, 21, "avx512ifma"},
    {7, 1, 23, "clflushopt"},
    {7, 1, 24, "clwb"},
    {7, 1, 28, "avx512cd"},
    {7, 1, 29, "sha_ni"},
    {7, 1, 30, "avx512bw"},
    {7, 1, 31, "avx512vl"},
    {7, 2, 1, "avx512vbmi"},
    {7, 2, 2, "umip"},
    {7, 2, 3, "pku"},
    {7, 2, 6, "avx512_vbmi2"},
    {7, 2, 8, "gfni"},
    {7, 2, 9, "vaes"},
    {7, 2, 10, "vpclmulqdq"},
    {7, 2, 11, "avx512_vnni"},
    {7, 2, 12, "avx512_bitalg"},
    {7, 2, 14, "avx512_vpopcntdq"},
    {7, 2, 22, "rdpid"},
    {7, 3, 4, "fsrm"},
    {7, 3, 10, "md_clear"},
    {7, 3, 26, "ibrs"},
    {7, 3, 27, "stibp"},
    {7, 3, 29, "arch_capabilities"},
    {7, 3, 31, "ssbd"},
};

static long sys_cpuinfo(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    uint32_t l0[4], l1[4], e0[4], r[4];
    cpuid(0, 0, l0);
    cpuid(1, 0, l1);
    cpuid(0x80000000, 0, e0);
    char vendor[13];
    memcpy(vendor, &l0[1], 4);
    memcpy(vendor + 4, &l0[3], 4);
    memcpy(vendor + 8, &l0[2], 4);
    vendor[12] = '\0';
    uint32_t stepping = l1[0] & 0xf, model = (l1[0] >> 4) & 0xf, family = (l1[0] >> 8) & 0xf;
    if (family == 0xf)
        family += (l1[0] >> 20) & 0xff;
    if (family == 6 || family >= 0xf)
        model += ((l1[0] >> 16) & 0xf) << 4;
    char brand[49] = "";
    if (e0[0] >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(brand + i * 16, r, 16);
        }
        brand[48] = '\0';
    }
    const char *name = brand;
    while (*name == ' ')
        name++;
    /* Base frequency: CPUID 0x16, else the "@ x.yzGHz" of the brand. */
    uint32_t mhz = 0;
    if (l0[0] >= 0x16) {
        cpuid(0x16, 0, r);
        mhz = r[0] & 0xffff;
    }
    const char *at = strchr(name, '@');
    if (!mhz && at) {
        const char *s = at + 1;
        while (*s == ' ')
            s++;
        uint32_t ip = 0, frac = 0, fd = 0;
        while (*s >= '0' && *s <= '9')
            ip = ip * 10 + (*s++ - '0');
        if (*s == '.')
            for (s++; *s >= '0' && *s <= '9'; s++, fd++)
                if (fd < 3)
                    frac = frac * 10 + (*s - '0');
        while (fd++ < 3)
            frac *= 10;
        mhz = ip * 1000 + frac;
    }
    uint32_t cache_kb = 0, phys = 36, virt = 48;
    if (e0[0] >= 0x80000006) {
        cpuid(0x80000006, 0, r);
        cache_kb = r[2] >> 16;
    }
    if (e0[0] >= 0x80000008) {
        cpuid(0x80000008, 0, r);
        phys = r[0] & 0xff;
        virt = (r[0] >> 8) & 0xff;
    }
    uint32_t regs[3][4]; /* leaves 1, 7, 0x80000001 */
    memcpy(regs[0], l1, sizeof(l1));
    memset(regs[1], 0, sizeof(regs[1]));
    memset(regs[2], 0, sizeof(regs[2]));
    if (l0[0] >= 7)
        cpuid(7, 0, regs[1]);
    if (e0[0] >= 0x80000001)
        cpuid(0x80000001, 0, regs[2]);
    uint32_t n = ncpu();
    for (uint32_t c = 0; c < n; c++) {
        libos_strbuf_printf(b, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\n", c, vendor,
                            family);
        libos_strbuf_printf(b, "model\t\t: %u\nmodel name\t: %s\nstepping\t: %u\n", model, name,
                            stepping);
        libos_strbuf_printf(b, "microcode\t: 0xffffffff\ncpu MHz\t\t: %u.000\n", mhz);
        libos_strbuf_printf(b, "cache size\t: %u KB\nphysical id\t: 0\nsiblings\t: %u\n", cache_kb,
                            n);
        libos_strbuf_printf(b, "core id\t\t: %u\ncpu cores\t: %u\napicid\t\t: %u\n", c, n, c);
        libos_strbuf_printf(b, "initial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n", c);
        libos_strbuf_printf(b, "cpuid level\t: %u\nwp\t\t: yes\nflags\t\t:", l0[0]);
        for (size_t i = 0; i < ARRAY_SIZE(g_cpu_flags); i++) {
            const struct cpu_flag *f = &g_cpu_flags[i];
            int set = f->leaf == 1 ? 0 : f->leaf == 7 ? 1 : 2;
            if (regs[set][f->reg] & (1u << f->bit))
                libos_strbuf_printf(b, " %s", f->name);
        }
        libos_strbuf_printf(b, "\nbugs\t\t:\nbogomips\t: %u.00\n", mhz * 2);
        libos_strbuf_printf(b, "clflush size\t: %u\ncache_alignment\t: %u\n",
                            ((l1[1] >> 8) & 0xff) * 8, 64);
        libos_strbuf_printf(b,
                            "address sizes\t: %u bits physical, %u bits virtual\n"
                            "power management:\n\n",
                            phys, virt);
    }
    return 0;
}

static void mem_numbers(uint64_t *total, uint64_t *avail) {
    struct pal_mem_info mi = {0};
    if (pal_mem_query(&mi) < 0 && g_boot)
        mi = g_boot->mem;
    *total = mi.total;
    *avail = mi.available;
    uint64_t lim = g_manifest ? g_manifest->limit_memory : 0;
    if (lim && lim < *total) {
        /* The sandbox's own ceiling: what it already uses is not free. */
        struct mem_stats ms;
        mem_stats(&ms);
        *total = lim;
        *avail = MIN(*avail, lim > ms.rss ? lim - ms.rss : 0);
    }
    if (*avail > *total)
        *avail = *total;
}

static long sys_meminfo(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    uint64_t total, avail;
    mem_numbers(&total, &avail);
    const char *kb = "%-16s%8lu kB\n";
    unsigned long t = total >> 10, a = avail >> 10;
    libos_strbuf_printf(b, kb, "MemTotal:", t);
    libos_strbuf_printf(b, kb, "MemFree:", a);
    libos_strbuf_printf(b, kb, "MemAvailable:", a);
    static const char *const zero[] = {
        "Buffers:",      "Cached:",         "SwapCached:",   "Active:",         "Inactive:",
        "Active(anon):", "Inactive(anon):", "Active(file):", "Inactive(file):", "Unevictable:",
        "Mlocked:",      "SwapTotal:",      "SwapFree:",     "Dirty:",          "Writeback:",
        "AnonPages:",    "Mapped:",         "Shmem:",        "KReclaimable:",   "Slab:",
        "SReclaimable:", "SUnreclaim:",     "KernelStack:",  "PageTables:",     "NFS_Unstable:",
        "Bounce:",       "WritebackTmp:"};
    for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
        libos_strbuf_printf(b, kb, zero[i], 0UL);
    libos_strbuf_printf(b, kb, "CommitLimit:", t);
    libos_strbuf_printf(b, kb, "Committed_AS:", t - a);
    libos_strbuf_printf(b, kb, "VmallocTotal:", 34359738367UL);
    libos_strbuf_printf(b, kb, "VmallocUsed:", 0UL);
    libos_strbuf_printf(b, kb, "VmallocChunk:", 0UL);
    libos_strbuf_printf(b, kb, "AnonHugePages:", 0UL);
    libos_strbuf_printf(b, "HugePages_Total:       0\nHugePages_Free:        0\n"
                           "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
    libos_strbuf_printf(b, kb, "Hugepagesize:", 2048UL);
    libos_strbuf_printf(b, kb, "Hugetlb:", 0UL);
    return 0;
}

static long sys_stat(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    uint64_t up = mono_ns() / (1000000000 / CLK_TCK), used = cpu_ticks();
    uint32_t n = ncpu();
    uint64_t idle = up * n > used ? up * n - used : 0;
    libos_strbuf_printf(b, "cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", (unsigned long)used,
                        (unsigned long)idle);
    for (uint32_t c = 0; c < n; c++) {
        uint64_t u = c ? 0 : MIN(used, up);
        libos_strbuf_printf(b, "cpu%u %lu 0 0 %lu 0 0 0 0 0 0\n", c, (unsigned long)u,
                            (unsigned long)(up - u));
    }
    uint64_t real = 0;
    pal_time_get(PAL_CLOCK_REALTIME, &real);
    libos_strbuf_printf(b,
                        "intr 0\nctxt 0\nbtime %lu\nprocesses %u\nprocs_running 1\n"
                        "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
                        (unsigned long)((real - mono_ns()) / 1000000000), g_process.pid);
    return 0;
}

static long sys_uptime(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    uint64_t cs = mono_ns() / 10000000; /* hundredths */
    uint64_t idle = cs * ncpu();
    libos_strbuf_printf(b, "%lu.%02lu %lu.%02lu\n", (unsigned long)(cs / 100),
                        (unsigned long)(cs % 100), (unsigned long)(idle / 100),
                        (unsigned long)(idle % 100));
    return 0;
}

static long sys_loadavg(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    struct threads ts;
    uint32_t last = g_process.pid;
    size_t n = 1;
    if (threads_get(&ts)) {
        n = ts.n;
        for (size_t i = 0; i < ts.n; i++)
            last = MAX(last, ts.t[i].tid);
        libos_free(ts.t);
    }
    libos_strbuf_printf(b, "0.00 0.00 0.00 1/%zu %u\n", n, last);
    return 0;
}

static const char *os_release(void) {
    return g_boot && g_boot->host.os_release[0] ? g_boot->host.os_release : "6.1.0";
}

static long sys_version(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "Linux version %s (sabot@sabot) (sabot libos) #1 SMP sabot\n",
                        os_release());
    return 0;
}

static long sys_filesystems(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n"
                           "nodev\thostfs\n");
    return 0;
}

static long sys_swaps(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    return 0;
}

static long link_mounts(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "self/mounts");
    return 0;
}

/* /proc/sys: fixed values, except what the host or boot knows. */
#define SYSCTL(n, text)                                                                            \
    { .name = n, .type = LIBOS_PSEUDO_FILE, .perm = 0444, .read = sysctl_fixed }

struct sysctl_value {
    const char *path, *text;
};
static const struct sysctl_value g_sysctls[] = {
    {"sys/kernel/ostype", "Linux"},
    {"sys/kernel/pid_max", "4194304"},
    {"sys/kernel/threads-max", "126991"},
    {"sys/kernel/ngroups_max", "65536"},
    {"sys/kernel/cap_last_cap", "40"},
    {"sys/kernel/domainname", "(none)"},
    {"sys/kernel/version", "#1 SMP sabot"},
    {"sys/kernel/random/entropy_avail", "256"},
    {"sys/kernel/random/poolsize", "256"},
    {"sys/vm/overcommit_memory", "0"},
    {"sys/vm/overcommit_ratio", "50"},
    {"sys/vm/max_map_count", "65530"},
    {"sys/net/core/somaxconn", "4096"},
    {"sys/net/ipv4/ip_local_port_range", "32768\t60999"},
    {"sys/fs/file-max", "9223372036854775807"},
    {"sys/fs/nr_open", "1048576"},
};

static long sysctl_fixed(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    char path[128] = "";
    size_t n = 0;
    for (int i = 0; i < p->depth; i++)
        n += libos_snprintf(path + n, sizeof(path) - MIN(n, sizeof(path)), "%s%s", i ? "/" : "",
                            p->name[i]);
    for (size_t i = 0; i < ARRAY_SIZE(g_sysctls); i++)
        if (!strcmp(g_sysctls[i].path, path)) {
            libos_strbuf_printf(b, "%s\n", g_sysctls[i].text);
            return 0;
        }
    return -ENOENT;
}

static long sysctl_osrelease(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%s\n", os_release());
    return 0;
}

static long sysctl_hostname(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    libos_strbuf_printf(b, "%s\n",
                        g_boot && g_boot->host.hostname[0] ? g_boot->host.hostname : "localhost");
    return 0;
}

static long sysctl_boot_id(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    if (!g_exec.boot_id[0])
        make_uuid(g_exec.boot_id);
    libos_strbuf_printf(b, "%s\n", g_exec.boot_id);
    return 0;
}

static long sysctl_uuid(const struct libos_pseudo_path *p, struct libos_strbuf *b) {
    char u[37];
    make_uuid(u);
    libos_strbuf_printf(b, "%s\n", u);
    return 0;
}

static const struct libos_pseudo_node g_sys_random[] = {
    {.name = "boot_id", .type = LIBOS_PSEUDO_FILE, .read = sysctl_boot_id},
    {.name = "uuid", .type = LIBOS_PSEUDO_FILE, .read = sysctl_uuid},
    SYSCTL("entropy_avail", ""),
    SYSCTL("poolsize", ""),
    {0},
};

static const struct libos_pseudo_node g_sys_kernel[] = {
    {.name = "osrelease", .type = LIBOS_PSEUDO_FILE, .read = sysctl_osrelease},
    {.name = "hostname", .type = LIBOS_PSEUDO_FILE, .read = sysctl_hostname},
    SYSCTL("ostype", ""),
    SYSCTL("pid_max", ""),
    SYSCTL("threads-max", ""),
    SYSCTL("ngroups_max", ""),
    SYSCTL("cap_last_cap", ""),
    SYSCTL("domainname", ""),
    SYSCTL("version", ""),
    {.name = "random", .type = LIBOS_PSEUDO_DIR, .children = g_sys_random},
    {0},
};

static const struct libos_pseudo_node g_sys_vm[] = {
    SYSCTL("overcommit_memory", ""),
    SYSCTL("overcommit_ratio", ""),
    SYSCTL("max_map_count", ""),
    {0},
};

static const struct libos_pseudo_node g_sys_net_core[] = {
    SYSCTL("somaxconn", ""),
    {0},
};

static const struct libos_pseudo_node g_sys_net_ipv4[] = {
    SYSCTL("ip_local_port_range", ""),
    {0},
};

static const struct libos_pseudo_node g_sys_net[] = {
    {.name = "core", .type = LIBOS_PSEUDO_DIR, .children = g_sys_net_core},
    {.name = "ipv4", .type = LIBOS_PSEUDO_DIR, .children = g_sys_net_ipv4},
    {0},
};

static const struct libos_pseudo_node g_sys_fs_dir[] = {
    SYSCTL("file-max", ""),
    SYSCTL("nr_open", ""),
    {0},
};

static const struct libos_pseudo_node g_sys_children[] = {
    {.name = "kernel", .type = LIBOS_PSEUDO_DIR, .children = g_sys_kernel},
    {.name = "vm", .type = LIBOS_PSEUDO_DIR, .children = g_sys_vm},
    {.name = "net", .type = LIBOS_PSEUDO_DIR, .children = g_sys_net},
    {.name = "fs", .type = LIBOS_PSEUDO_DIR, .children = g_sys_fs_dir},
    {0},
};

static const struct libos_pseudo_node g_proc_children[] = {
    {.name = "self", .type = LIBOS_PSEUDO_LINK, .readlink = link_self},
    {.name = "thread-self", .type = LIBOS_PSEUDO_LINK, .readlink = link_thread_self},
    {.name = "mounts", .type = LIBOS_PSEUDO_LINK, .readlink = link_mounts},
    {.name = "sys", .type = LIBOS_PSEUDO_DIR, .children = g_sys_children},
    PID_FILE("cpuinfo", sys_cpuinfo),
    PID_FILE("meminfo", sys_meminfo),
    PID_FILE("stat", sys_stat),
    PID_FILE("uptime", sys_uptime),
    PID_FILE("loadavg", sys_loadavg),
    PID_FILE("version", sys_version),
    PID_FILE("filesystems", sys_filesystems),
    PID_FILE("swaps", sys_swaps),
    {.type = LIBOS_PSEUDO_DIR, .match = pid_match, .list = pid_list, .children = g_pid_children},
    {.type = LIBOS_PSEUDO_DIR,
     .match = other_match,
     .list = other_list,
     .children = g_other_children},
    {0},
};

static const struct libos_pseudo_node g_proc_root = {
    .name = "", .type = LIBOS_PSEUDO_DIR, .children = g_proc_children};

/* Files of /proc/<pid> belong to the process's user, the rest to root. */
static void proc_stat_hook(const struct libos_pseudo_path *p, struct linux_stat *st) {
    if (p->depth >= 1 && !p->node[0]->name) {
        st->st_uid = g_process.euid;
        st->st_gid = g_process.egid;
        struct libos_proc_info *pi = NULL;
        if (p->node[0]->children == g_other_children && (pi = libos_malloc(sizeof(*pi))) &&
            other_get(p, pi)) {
            st->st_uid = pi->euid;
            st->st_gid = pi->egid;
        }
        libos_free(pi);
    }
}

const struct libos_pseudo_fs g_proc_fs = {
    .ops = LIBOS_PSEUDO_FS_OPS("proc"),
    .root = &g_proc_root,
    .create_errno = -ENOENT,
    .mkdir_errno = -ENOENT,
    .blksize = 1024,
    .stat_hook = proc_stat_hook,
};
