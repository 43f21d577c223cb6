/* Process identity, exit and resource limits. */
#include "libos_futex.h"
#include "libos_manifest.h"
#include "libos_proc.h"
#include "libos_syscalls.h"

long libos_sys_exit(int status) {
    libos_thread_exit(status & 0xff); /* the last thread's exit ends the process */
}

LIBOS_FORK_TEXT long libos_sys_exit_group(int status) {
    libos_exit_process(status & 0xff);
}

long libos_sys_getpid(void) {
    return g_process.pid;
}
long libos_sys_getppid(void) {
    return libos_proc_ppid(); /* orphans move to the first process */
}
LIBOS_FORK_TEXT long libos_sys_gettid(void) {
    return libos_current_thread()->tid;
}
long libos_sys_getuid(void) {
    return g_process.uid;
}
long libos_sys_geteuid(void) {
    return g_process.euid;
}
long libos_sys_getgid(void) {
    return g_process.gid;
}
long libos_sys_getegid(void) {
    return g_process.egid;
}
long libos_sys_getpgrp(void) {
    return libos_proc_pgid(); /* our parent may have moved us */
}

static long put_ids(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t rv, uint32_t ev, uint32_t sv) {
    if (!libos_user_range_ok(r, 4, true) || !libos_user_range_ok(e, 4, true) ||
        !libos_user_range_ok(s, 4, true))
        return -EFAULT;
    *r = rv, *e = ev, *s = sv;
    return 0;
}

long libos_sys_getresuid(uint32_t *r, uint32_t *e, uint32_t *s) {
    return put_ids(r, e, s, g_process.uid, g_process.euid, g_process.suid);
}

long libos_sys_getresgid(uint32_t *r, uint32_t *e, uint32_t *s) {
    return put_ids(r, e, s, g_process.gid, g_process.egid, g_process.sgid);
}

/* Supplementary groups: start as the primary group, as a plain login. */
#define NGROUPS_MAX_LIBOS 256
static uint32_t g_groups[NGROUPS_MAX_LIBOS];
static int g_ngroups = -1; /* -1: not set yet, {gid} */

long libos_sys_getgroups(int size, uint32_t *list) {
    if (size < 0)
        return -EINVAL;
    int n = g_ngroups < 0 ? 1 : g_ngroups;
    if (size == 0)
        return n;
    if (size < n)
        return -EINVAL;
    if (!libos_user_range_ok(list, n * sizeof(uint32_t), true))
        return -EFAULT;
    if (g_ngroups < 0)
        list[0] = g_process.gid;
    else
        memcpy(list, g_groups, n * sizeof(uint32_t));
    return n;
}

long libos_sys_setgroups(int size, const uint32_t *list) {
    if (size < 0 || size > NGROUPS_MAX_LIBOS)
        return -EINVAL;
    if (g_process.euid != 0)
        return -EPERM;
    if (size && !libos_user_range_ok(list, size * sizeof(uint32_t), false))
        return -EFAULT;
    memcpy(g_groups, list, size * sizeof(uint32_t));
    g_ngroups = size;
    return 0;
}

/* Identity changes are the libos's own bookkeeping (the host process keeps
 * its identity); the rules are Linux's: euid 0 may set anything, others
 * only what they already have as real, effective or saved id. */
#define ID_KEEP ((uint32_t)-1)

static bool may_take(uint32_t id, uint32_t r, uint32_t e, uint32_t s) {
    return g_process.euid == 0 || id == r || id == e || id == s;
}

static long set_res(uint32_t *r, uint32_t *e, uint32_t *s, uint32_t nr, uint32_t ne, uint32_t ns) {
    if ((nr != ID_KEEP && !may_take(nr, *r, *e, *s)) ||
        (ne != ID_KEEP && !may_take(ne, *r, *e, *s)) ||
        (ns != ID_KEEP && !may_take(ns, *r, *e, *s)))
        return -EPERM;
    libos_lock(&g_process.lock);
    if (nr != ID_KEEP)
        *r = nr;
    if (ne != ID_KEEP)
        *e = ne;
    if (ns != ID_KEEP)
        *s = ns;
    libos_unlock(&g_process.lock);
    libos_proc_ids_changed();
    return 0;
}

long libos_sys_setresuid(uint32_t r, uint32_t e, uint32_t s) {
    return set_res(&g_process.uid, &g_process.euid, &g_process.suid, r, e, s);
}

long libos_sys_setresgid(uint32_t r, uint32_t e, uint32_t s) {
    return set_res(&g_process.gid, &g_process.egid, &g_process.sgid, r, e, s);
}

long libos_sys_setuid(uint32_t id) {
    if (g_process.euid == 0) /* root sets all three */
        return libos_sys_setresuid(id, id, id);
    return libos_sys_setresuid(ID_KEEP, id, ID_KEEP);
}

long libos_sys_setgid(uint32_t id) {
    if (g_process.euid == 0)
        return libos_sys_setresgid(id, id, id);
    return libos_sys_setresgid(ID_KEEP, id, ID_KEEP);
}

long libos_sys_setreuid(uint32_t r, uint32_t e) {
    /* The saved id follows the new effective one when the real one changes. */
    uint32_t s = (r != ID_KEEP || (e != ID_KEEP && e != g_process.uid))
                     ? (e != ID_KEEP ? e : g_process.euid)
                     : ID_KEEP;
    return libos_sys_setresuid(r, e, s);
}

long libos_sys_setregid(uint32_t r, uint32_t e) {
    uint32_t s = (r != ID_KEEP || (e != ID_KEEP && e != g_process.gid))
                     ? (e != ID_KEEP ? e : g_process.egid)
                     : ID_KEEP;
    return libos_sys_setresgid(r, e, s);
}

/* fsuid follows euid here; the call reports the previous value. */
long libos_sys_setfsuid(uint32_t id) {
    uint32_t old = g_process.euid;
    if (id != ID_KEEP && may_take(id, g_process.uid, g_process.euid, g_process.suid))
        g_process.euid = id;
    return old;
}

long libos_sys_setfsgid(uint32_t id) {
    uint32_t old = g_process.egid;
    if (id != ID_KEEP && may_take(id, g_process.gid, g_process.egid, g_process.sgid))
        g_process.egid = id;
    return old;
}

static bool is_self(int pid) {
    return pid == 0 || (uint32_t)pid == g_process.pid;
}

/* Groups and sessions live in the process table (libos/sys/proc.c). */
long libos_sys_getpgid(int pid) {
    return libos_proc_getpgid(pid);
}

long libos_sys_getsid(int pid) {
    return libos_proc_getsid(pid);
}

long libos_sys_setpgid(int pid, int pgid) {
    return libos_proc_setpgid(pid, pgid);
}

long libos_sys_setsid(void) {
    return libos_proc_setsid();
}

long libos_sys_set_tid_address(uint32_t *tidptr) {
    libos_current_thread()->clear_child_tid = tidptr;
    return libos_current_thread()->tid;
}

long libos_sys_set_robust_list(void *head, size_t len) {
    if (len != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    libos_current_thread()->robust_list = head;
    return 0;
}

long libos_sys_sched_yield(void) {
    pal_thread_yield();
    return 0;
}

long libos_sys_arch_prctl(int code, uint64_t addr) {
    uint64_t v;
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= (1ULL << 47))
            return -EPERM; /* not a canonical user address */
        return libos_errno_from_pal(pal_segment_base_set(PAL_SEG_FS, addr));
    case ARCH_GET_FS:
        if (!libos_user_range_ok((void *)addr, 8, true))
            return -EFAULT;
        if (pal_segment_base_get(PAL_SEG_FS, &v) < 0)
            return -EINVAL;
        *(uint64_t *)addr = v;
        return 0;
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        /* GS holds the PAL's per-thread block. */
        log_warn("arch_prctl: the GS base is reserved by sabot; refusing ARCH_%s_GS",
                 code == ARCH_SET_GS ? "SET" : "GET");
        return -EPERM;
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return -ENODEV; /* CPUID faulting is not offered */
    default:
        return -EINVAL;
    }
}

static bool manifest_caps(int resource) {
    const struct libos_manifest *m = g_manifest;
    return m && ((resource == RLIMIT_NOFILE && m->limit_open_files) ||
                 (resource == RLIMIT_NPROC && m->limit_processes) ||
                 (resource == RLIMIT_AS && m->limit_memory));
}

long libos_sys_prlimit64(int pid, int resource, const struct linux_rlimit *new_limit,
                         struct linux_rlimit *old_limit) {
    if (!is_self(pid))
        return pid < 0 ? -EINVAL : -ESRCH;
    if (resource < 0 || resource >= RLIMIT_NLIMITS)
        return -EINVAL;
    struct linux_rlimit nl;
    if (new_limit) {
        if (!libos_user_range_ok(new_limit, sizeof(nl), false))
            return -EFAULT;
        nl = *new_limit;
        if (nl.rlim_cur > nl.rlim_max)
            return -EINVAL;
    }
    if (old_limit && !libos_user_range_ok(old_limit, sizeof(*old_limit), true))
        return -EFAULT;
    libos_lock(&g_process.lock);
    struct linux_rlimit *cur = &g_process.rlimits[resource];
    /* Not even uid 0 may go past the manifest's sys.* limits: they are the policy. */
    if (new_limit && nl.rlim_max > cur->rlim_max &&
        (g_process.euid != 0 || manifest_caps(resource))) {
        libos_unlock(&g_process.lock);
        return -EPERM;
    }
    if (old_limit)
        *old_limit = *cur;
    if (new_limit)
        *cur = nl;
    libos_unlock(&g_process.lock);
    return 0;
}

long libos_sys_getrlimit(int resource, struct linux_rlimit *rlim) {
    return libos_sys_prlimit64(0, resource, NULL, rlim);
}

long libos_sys_setrlimit(int resource, const struct linux_rlimit *rlim) {
    return libos_sys_prlimit64(0, resource, rlim, NULL);
}

long libos_sys_uname(struct linux_utsname *buf) {
    if (!libos_user_range_ok(buf, sizeof(*buf), true))
        return -EFAULT;
    memset(buf, 0, sizeof(*buf));
    libos_strlcpy(buf->sysname, "Linux", sizeof(buf->sysname));
    libos_strlcpy(buf->nodename, g_boot->host.hostname, sizeof(buf->nodename));
    /* The host's release: programs gate features on it (glibc needs >= 3.2). */
    libos_strlcpy(buf->release, g_boot->host.os_release[0] ? g_boot->host.os_release : "6.1.0",
                  sizeof(buf->release));
    libos_strlcpy(buf->version, "#1 SMP sabot", sizeof(buf->version));
    libos_strlcpy(buf->machine, "x86_64", sizeof(buf->machine));
    libos_strlcpy(buf->domainname, "(none)", sizeof(buf->domainname));
    return 0;
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_CAPBSET_READ 23
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39

long libos_sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
    struct libos_thread *t = libos_current_thread();
    switch (option) {
    case PR_SET_NAME: {
        char name[16];
        long r = libos_copy_user_string(name, sizeof(name), (const char *)a2);
        if (r == -ENAMETOOLONG) { /* Linux truncates silently */
            memcpy(name, (const char *)a2, 15);
            r = 0;
        }
        if (r < 0)
            return r;
        name[15] = '\0';
        libos_strlcpy(t->comm, name, sizeof(t->comm));
        return 0;
    }
    case PR_GET_NAME:
        if (!libos_user_range_ok((void *)a2, 16, true))
            return -EFAULT;
        memcpy((void *)a2, t->comm, 16);
        return 0;
    case PR_SET_PDEATHSIG:
        if (a2 > LINUX_NSIG)
            return -EINVAL;
        g_process.pdeathsig = (int)a2;
        return 0;
    case PR_GET_PDEATHSIG:
        if (!libos_user_range_ok((void *)a2, sizeof(int), true))
            return -EFAULT;
        *(int *)a2 = g_process.pdeathsig;
        return 0;
    case PR_GET_DUMPABLE:
        return g_process.dumpable;
    case PR_SET_DUMPABLE:
        if (a2 > 1)
            return -EINVAL;
        g_process.dumpable = (int)a2;
        return 0;
    case PR_SET_NO_NEW_PRIVS:
        if (a2 != 1 || a3 || a4 || a5)
            return -EINVAL;
        g_process.no_new_privs = true;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        return g_process.no_new_privs;
    case PR_SET_CHILD_SUBREAPER:
        return 0; /* orphans go to the first process of the sandbox */
    case PR_GET_CHILD_SUBREAPER:
        if (!libos_user_range_ok((void *)a2, sizeof(int), true))
            return -EFAULT;
        *(int *)a2 = libos_proc_ppid() == 0; /* the first process acts as init */
        return 0;
    case PR_CAPBSET_READ:
        return a2 <= 40 ? (g_process.euid == 0) : -EINVAL;
    default:
        return -EINVAL;
    }
}
