/* libos_start: from the PAL's boot info to the first instruction of the
 * program. */
#include "libos_checkpoint.h"
#include "libos_elf.h"
#include "libos_futex.h"
#include "libos_manifest.h"
#include "libos_mm.h"
#include "libos_proc.h"
#include "libos_syscalls.h"
#include "libos_vfs.h"

const struct pal_boot_info *g_boot;
struct libos_manifest *g_manifest;
/* With the other globals a fork writes (LIBOS_FORK_HOT): their big
 * per-signal tables are kept apart. */
static struct linux_sigaction g_process_sigactions[LINUX_NSIG];
static struct linux_siginfo g_process_siginfo[LINUX_NSIG], g_main_siginfo[LINUX_NSIG];
LIBOS_FORK_HOT struct libos_process g_process __attribute__((aligned(64))) = {
    .sigactions = g_process_sigactions, .siginfo = g_process_siginfo};
static LIBOS_FORK_HOT struct libos_thread g_main_thread = {.siginfo = g_main_siginfo};

void shim_init(void);

LIBOS_FORK_TEXT void libos_exit_process(int status) {
    libos_proc_exiting();
    libos_proc_report_exit((status & 0xff) << 8);
    pal_process_exit(status);
}

void libos_exit_by_signal(int sig) {
    libos_proc_exiting();
    libos_proc_report_exit(sig & 0x7f);
    pal_process_exit(128 + sig); /* what a shell shows for a killed program */
}

static void set_rlimit(int res, uint64_t cur, uint64_t max) {
    g_process.rlimits[res].rlim_cur = cur;
    g_process.rlimits[res].rlim_max = max;
}

static void process_init(void) {
    g_process.pid = g_process.pgid = g_process.sid = 1;
    g_process.ppid = 0;
    g_process.uid = g_process.euid = g_process.suid = g_boot->host.host_uid;
    g_process.gid = g_process.egid = g_process.sgid = g_boot->host.host_gid;
    if (g_manifest->uid >= 0) /* loader.uid/gid: the ids the program is shown */
        g_process.uid = g_process.euid = g_process.suid = (uint32_t)g_manifest->uid;
    if (g_manifest->gid >= 0)
        g_process.gid = g_process.egid = g_process.sgid = (uint32_t)g_manifest->gid;
    g_process.umask = 022;
    g_process.dumpable = 1;
    for (int i = 0; i < RLIMIT_NLIMITS; i++)
        set_rlimit(i, RLIM_INFINITY, RLIM_INFINITY);
    uint64_t stack = g_manifest->limit_stack ? g_manifest->limit_stack : 8 << 20;
    set_rlimit(RLIMIT_STACK, stack, RLIM_INFINITY);
    uint64_t files = g_manifest->limit_open_files;
    set_rlimit(RLIMIT_NOFILE, files ? files : 1024, files ? files : 65536);
    set_rlimit(RLIMIT_CORE, 0, RLIM_INFINITY);
    set_rlimit(RLIMIT_MEMLOCK, 8 << 20, 8 << 20);
    if (g_manifest->limit_processes)
        set_rlimit(RLIMIT_NPROC, g_manifest->limit_processes, g_manifest->limit_processes);
    if (g_manifest->limit_memory)
        set_rlimit(RLIMIT_AS, g_manifest->limit_memory, g_manifest->limit_memory);

    g_main_thread.tid = g_process.pid;
    g_main_thread.refcount = 2; /* its own and one for the static storage: never freed */
    g_main_thread.pal_thread = g_boot->main_thread;
    pal_tcb_libos_set(&g_main_thread);
    if (libos_thread_init(&g_main_thread) < 0)
        libos_panic("cannot create the main thread's wake event");
    libos_thread_register(&g_main_thread);
}

static size_t vec_len(const char *const *v) {
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static const char *host_env(const char *name) {
    size_t len = strlen(name);
    for (const char *const *e = g_boot->envp; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e;
    return NULL;
}

/* The environment the program sees: host variables the manifest lets
 * through (loader.env_passthrough), then loader.env on top. */
static char **build_env(void) {
    size_t cap = vec_len(g_boot->envp) + g_manifest->env_count + 1;
    char **env = libos_calloc(cap, sizeof(char *));
    size_t n = 0;
    if (!env)
        return NULL;
    bool all = false;
    for (size_t i = 0; i < g_manifest->env_passthrough_count; i++)
        all |= strcmp(g_manifest->env_passthrough[i], "*") == 0;
    if (all) {
        for (const char *const *e = g_boot->envp; e && *e; e++)
            env[n++] = (char *)*e;
    } else {
        for (size_t i = 0; i < g_manifest->env_passthrough_count; i++) {
            const char *v = host_env(g_manifest->env_passthrough[i]);
            if (v)
                env[n++] = (char *)v;
        }
    }
    for (size_t i = 0; i < g_manifest->env_count; i++) {
        const struct libos_env_var *ev = &g_manifest->env[i];
        size_t len = strlen(ev->name) + strlen(ev->value) + 2;
        char *s = libos_malloc(len);
        if (!s)
            return NULL;
        libos_snprintf(s, len, "%s=%s", ev->name, ev->value);
        size_t j = 0, nl = strlen(ev->name);
        while (j < n && !(strncmp(env[j], ev->name, nl) == 0 && env[j][nl] == '='))
            j++;
        env[j] = s;
        if (j == n)
            n++;
    }
    env[n] = NULL;
    return env;
}

static const char *errno_text(long e) {
    switch (-e) {
    case ENOENT:
        return "no such file or directory";
    case EACCES:
        return "permission denied";
    case ENOEXEC:
        return "exec format error";
    case ENOMEM:
        return "out of memory";
    case ENOTDIR:
        return "not a directory";
    case ELOOP:
        return "too many symbolic links";
    default:
        return "error";
    }
}

const char *g_manifest_text;
size_t g_manifest_text_size;

void libos_init_instance(const char *manifest, size_t size, const char *name) {
    g_manifest_text = manifest;
    g_manifest_text_size = size;
    char err[512];
    long r = libos_manifest_parse(manifest, size, name, &g_manifest, err, sizeof(err));
    if (r < 0) {
        log_error("%s", err);
        libos_exit_process(2);
    }
    if (g_log_level < 0)
        g_log_level = g_manifest->log_level >= 0 ? g_manifest->log_level : LOG_WARN;

    process_init();
    if (libos_proc_init() < 0)
        libos_panic("cannot set up the process table");
    shim_init();
    libos_signal_init();
    r = libos_vfs_init();
    if (r < 0) {
        log_error("cannot set up the file system: %s", errno_text(r));
        libos_exit_process(126);
    }
}

void libos_start(const struct pal_boot_info *boot) {
    g_boot = boot;
    if (boot->abi_version != PAL_ABI_VERSION)
        libos_panic("PAL ABI version %u, libos expects %u", boot->abi_version, PAL_ABI_VERSION);
    g_log_level = boot->log_level;
    libos_vdso_calibrate_begin(); /* overlaps the rest of start-up */
    if (boot->parent_stream)
        libos_restore(boot); /* a fork made by checkpoint: no program to load */
    libos_init_instance(boot->manifest, boot->manifest_size, boot->manifest_name);
    long r;

    const char *const *argv = (const char *const *)g_manifest->argv;
    if (!argv && boot->argv && boot->argv[0])
        argv = boot->argv;
    static const char *entry_argv[2];
    if (!argv && g_manifest->entrypoint) {
        entry_argv[0] = g_manifest->entrypoint; /* like a shell running it by path */
        argv = entry_argv;
    }
    const char *exec = g_manifest->entrypoint ? g_manifest->entrypoint
                       : boot->exec_path      ? boot->exec_path
                       : argv                 ? argv[0]
                                              : NULL;
    if (!exec || !argv || !argv[0]) {
        log_error("nothing to run: give a program on the command line or loader.entrypoint");
        libos_exit_process(2);
    }
    g_process.exec_path = libos_strdup(exec);
    const char *base = strrchr(exec, '/');
    libos_strlcpy(g_main_thread.comm, base ? base + 1 : exec, sizeof(g_main_thread.comm));

    struct libos_elf_image exe, interp;
    bool has_interp;
    r = libos_elf_load_program(exec, &exe, &interp, &has_interp);
    if (r < 0) {
        log_error("cannot run %s: %s", exec, errno_text(r));
        libos_exit_process(r == -ENOENT ? 127 : 126);
    }
    struct libos_elf_image *ip = has_interp ? &interp : NULL;

    char **envp = build_env();
    if (!envp)
        libos_panic("out of memory building the environment");
    libos_elf_start(&exe, ip, exec, (char *const *)argv, envp);
}
