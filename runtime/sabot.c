/* libsabot's entry points that start the libos: sabot_exec and sabot_run.
 * Everything that can fail is resolved first (sabot_prepare), so once
 * pal_linux_boot() is called only the app's own exit ends the process. */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libos_manifest.h"
#include "pal_linux_boot.h"
#include "sabot_internal.h"
#include "sabot_sandbox.h"
#include "sabot_tmpfs.h"
#include "tender.h"

/* sabot-pal-child, installed next to the sabot binary (or whatever embeds
 * libsabot); NULL when absent: forks then use the host fork only. */
static const char *child_loader(void) {
    static char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    strcpy(slash + 1, "sabot-pal-child");
    return access(path, X_OK) == 0 ? path : NULL;
}

/* sabot_prepare, then the sandbox plan for its manifest (runtime/sandbox.c):
 * a kernel that cannot enforce it is an error here, before anything runs. */
static int prepare(const struct sabot_options *opts, struct sabot_prepared *p,
                   struct sabot_sandbox *sb) {
    int r = sabot_prepare(opts, p);
    if (r < 0)
        return r;
    char dummy[8];
    char *err = opts->err && opts->err_size ? opts->err : dummy;
    size_t err_size = opts->err && opts->err_size ? opts->err_size : sizeof(dummy);
    struct libos_manifest *m;
    r = (int)libos_manifest_parse(p->manifest, p->manifest_size, p->manifest_name, &m, err,
                                  err_size);
    if (r >= 0) {
        r = sabot_sandbox_prepare(m, child_loader(), sb, err, err_size);
        libos_manifest_free(m);
    }
    if (r < 0)
        sabot_prepared_free(p);
    return r;
}

/* --pal kvm: this process becomes the tender of the program's VM and
 * exits with the program's status. */
static __attribute__((noreturn)) void boot_kvm(struct sabot_prepared *p,
                                               const struct sabot_sandbox *sb) {
    static const char *const empty_argv[] = {NULL};
    char err[512];
    /* The same Landlock plan as the Linux PAL's: the tender applies it to
     * itself once the VM is set up. */
    int landlock_fd = sabot_sandbox_landlock_fd(sb, err, sizeof(err));
    if (landlock_fd < -1) {
        fprintf(stderr, "sabot: %s\n", err);
        _exit(126);
    }
    struct kvm_tender_config cfg = {
        .manifest = p->manifest,
        .manifest_size = p->manifest_size,
        .manifest_name = p->manifest_name,
        .argv = p->argv[0] ? (const char *const *)p->argv : empty_argv,
        .exec_path = p->exec_path,
        .envp = p->envp,
        .host_cwd = p->host_cwd,
        .log_fd = p->log_fd,
        .trace_fd = p->trace_fd,
        .log_level = p->log_level,
        .gdb_port = p->gdb_port,
        .syscall_rewrite = p->syscall_rewrite,
        .landlock_fd = landlock_fd,
    };
    int status;
    fflush(NULL);
    if (kvm_tender_run(&cfg, &status, err, sizeof(err)) < 0) {
        fprintf(stderr, "sabot: %s\n", err);
        _exit(126);
    }
    _exit(status);
}

/* glibc registers an rseq area for this thread, which becomes the app's;
 * the kernel writes it whenever the thread resumes after preemption or a
 * signal. Neither the PAL nor the libos uses it, and after every fast fork
 * that write cost the parent and the child a copy-on-write fault each. */
static void drop_rseq(void) {
    if (!__rseq_size)
        return;
    void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
    /* Unregistering needs the registered length: glibc registers at least
     * the original 32-byte area even where __rseq_size counts fewer. */
    syscall(SYS_rseq, area, __rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
}

/* The pages of segment ph: [lo, hi), its end rounded up (all its pages) or
 * down (only pages it fills: RELRO's last one may hold .data too). */
static void segment_pages(const struct dl_phdr_info *info, const ElfW(Phdr) * ph, bool end_up,
                          uintptr_t *lo, uintptr_t *hi) {
    uintptr_t mask = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
    uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
    *lo = start & mask;
    *hi = end_up ? (end + ~mask) & mask : end & mask;
}

/* Shapes the booting process's mappings for its fast-fork children: each
 * mapping a fork copies costs it (and the child's exit) microseconds.
 * - The shared libraries' mappings are not inherited (MADV_DONTFORK): the
 *   libos process runs none of their code or data (the PAL, libos and shim
 *   are freestanding). Kept: the vDSO, and ld.so, which holds r_debug, the
 *   list the PAL extends for gdb (pal_debug_map_add). The usual build is
 *   static-PIE and has no such libraries; this is for the sanitizer build.
 * - The program's RELRO is made writable again, so that it merges back into
 *   .data: it guards the runtime's pointers while it parses its input, and
 *   nothing the app, sharing this address space, could not write anyway. */
static int shape_for_forks(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size, (void)data;
    const char *name = info->dlpi_name;
    bool program = !name || !name[0];
    if (!program && (info->dlpi_addr == getauxval(AT_BASE) ||
                     (void *)info->dlpi_addr == (void *)getauxval(AT_SYSINFO_EHDR)))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo, hi;
        if (!program && ph->p_type == PT_LOAD) {
            segment_pages(info, ph, true, &lo, &hi);
            madvise((void *)lo, hi - lo, MADV_DONTFORK); /* best effort: only speed */
        } else if (program && ph->p_type == PT_GNU_RELRO) {
            segment_pages(info, ph, false, &lo, &hi);
            if (hi > lo)
                mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE); /* only speed if it fails */
        }
    }
    return 0;
}

/* Nor does it use glibc's heap once booted (nor the TLS block a static
 * glibc puts there): the PAL keeps copies of what it is passed and of the
 * r_debug list's entries (pal_linux_boot). (The initial stack stays: the
 * host shows a process's command line from it.) */
static void skip_heap_in_forks(void) {
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return; /* only speed is lost */
    unsigned long lo = 0, hi = 0;
    char line[512];
    while (fgets(line, sizeof(line), f))
        if (strstr(line, " [heap]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            break;
    fclose(f);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTFORK);
}

static __attribute__((noreturn)) void boot(struct sabot_prepared *p, struct sabot_sandbox *sb) {
    if (p->pal_kvm)
        boot_kvm(p, sb);
    char err[512];
    /* The shared tmpfs's host directory, made in the process that boots
     * (after sabot_run's fork) and granted to the sandbox. */
    char *tmpfs_dir = NULL;
    struct libos_manifest *m;
    if (libos_manifest_parse(p->manifest, p->manifest_size, p->manifest_name, &m, err,
                             sizeof(err)) >= 0) {
        tmpfs_dir = sabot_tmpfs_dir_create(m);
        libos_manifest_free(m);
    }
    if (tmpfs_dir && sabot_sandbox_add_rw(sb, tmpfs_dir) < 0) {
        fprintf(stderr, "sabot: out of memory\n");
        _exit(126);
    }
    int landlock_fd = sabot_sandbox_landlock_fd(sb, err, sizeof(err));
    if (landlock_fd < -1) {
        fprintf(stderr, "sabot: %s\n", err);
        _exit(126);
    }
    static const char *const empty_argv[] = {NULL};
    struct pal_linux_config cfg = {
        .manifest = p->manifest,
        .manifest_size = p->manifest_size,
        .manifest_name = p->manifest_name,
        .argv = p->argv[0] ? (const char *const *)p->argv : empty_argv,
        .exec_path = p->exec_path,
        .envp = p->envp,
        .host_cwd = p->host_cwd,
        .log_fd = p->log_fd,
        .trace_fd = p->trace_fd,
        .log_level = p->log_level,
        .child_loader = child_loader(),
        .syscall_rewrite = p->syscall_rewrite,
        .seccomp_filter = sb->seccomp_filter,
        .seccomp_filter_len = sb->seccomp_filter_len,
        .landlock_fd = landlock_fd,
        .tmpfs_dir = tmpfs_dir,
    };
    /* No libc code runs after this: flush what it buffered, and give back
     * the heap's free pages (every fork would copy their page tables). */
    fflush(NULL);
    dl_iterate_phdr(shape_for_forks, NULL);
    skip_heap_in_forks();
    malloc_trim(0);
    drop_rseq();
    pal_linux_boot(&cfg);
}

/* The libos reaches host files through absolute paths, but a host cwd that
 * matches fs.cwd keeps relative host-side messages meaningful. */
static int enter_cwd(const struct sabot_options *opts, const struct sabot_prepared *p) {
    if (!p->chdir_needed || chdir(p->host_cwd) == 0)
        return 0;
    int e = errno;
    if (opts->err && opts->err_size)
        snprintf(opts->err, opts->err_size, "cannot change to '%s': %s", p->host_cwd, strerror(e));
    return -e;
}

int sabot_exec(const struct sabot_options *opts) {
    struct sabot_prepared p;
    struct sabot_sandbox sb;
    int r = prepare(opts, &p, &sb);
    if (r < 0)
        return r;
    r = enter_cwd(opts, &p);
    if (r < 0) {
        sabot_prepared_free(&p);
        sabot_sandbox_free(&sb);
        return r;
    }
    boot(&p, &sb);
}

int sabot_run(const struct sabot_options *opts, int *status) {
    struct sabot_prepared p;
    struct sabot_sandbox sb;
    int r = prepare(opts, &p, &sb);
    if (r < 0)
        return r;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        r = -errno;
        sabot_prepared_free(&p);
        sabot_sandbox_free(&sb);
        return r;
    }
    if (pid == 0) {
        if (enter_cwd(opts, &p) < 0) {
            if (opts->err)
                dprintf(2, "sabot: %s\n", opts->err);
            _exit(127);
        }
        boot(&p, &sb);
    }
    sabot_prepared_free(&p);
    sabot_sandbox_free(&sb);
    int ws;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    if (WIFEXITED(ws))
        *status = WEXITSTATUS(ws);
    else
        *status = 128 + WTERMSIG(ws);
    return 0;
}
