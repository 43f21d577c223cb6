/* /proc and /sys: structure and semantics that hold on Linux and under
 * sabot alike (no host-specific values). usage: procfs WORKDIR */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char g_buf[1 << 20];

/* Whole file into g_buf (NUL-terminated); length or -1. */
static long slurp(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, g_buf + n, sizeof(g_buf) - 1 - n)) > 0)
        n += r;
    close(fd);
    g_buf[n] = '\0';
    return r < 0 ? -1 : n;
}

/* Value after "key" at a line start, or NULL. */
static const char *field(const char *text, const char *key) {
    size_t k = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, k))
            return l + k;
    return NULL;
}

static long field_num(const char *text, const char *key) {
    const char *v = field(text, key);
    return v ? strtol(v, NULL, 10) : -1;
}

static unsigned long long field_hex(const char *text, const char *key) {
    const char *v = field(text, key);
    return v ? strtoull(v, NULL, 16) : ~0ULL;
}

static int dir_has(const char *dir, const char *name, int *type) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (!strcmp(e->d_name, name)) {
            found = 1;
            if (type)
                *type = e->d_type;
        }
    closedir(d);
    return found;
}

static void link_is(const char *path, const char *want) {
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(n > 0 && !strcmp(buf, want), "readlink %s = '%s' (want '%s')", path, buf, want);
}

static void link_starts(const char *path, const char *want) {
    char buf[4096];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(n > 0 && !strncmp(buf, want, strlen(want)), "readlink %s = '%s' (want '%s...')", path,
          buf, want);
}

static volatile int g_thread_go;
static pid_t g_thread_tid;

static void *thread_fn(void *arg) {
    prctl(PR_SET_NAME, "procfs-worker");
    g_thread_tid = syscall(SYS_gettid);
    while (!g_thread_go)
        usleep(1000);
    return NULL;
}

static void on_hup(int s) {}

static void test_links(const char *argv0, const char *work) {
    char want[4096];
    snprintf(want, sizeof(want), "%d", getpid());
    link_is("/proc/self", want);
    snprintf(want, sizeof(want), "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
    link_is("/proc/thread-self", want);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd");
    link_is("/proc/self/cwd", cwd);
    link_is("/proc/self/root", "/");
    struct stat a, b;
    CHECK(stat("/proc/self/exe", &a) == 0 && stat(argv0, &b) == 0 && a.st_ino == b.st_ino &&
              a.st_dev == b.st_dev,
          "/proc/self/exe is the program");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0 && exe[0] == '/', "exe link is absolute");
    /* A link through /proc/self/cwd reaches the working directory. */
    CHECK(stat("/proc/self/cwd/.", &a) == 0 && stat(".", &b) == 0 && a.st_ino == b.st_ino,
          "/proc/self/cwd/. is .");
    (void)work;
}

static void test_fds(const char *work) {
    char path[4096], link[64], want[4096];
    snprintf(path, sizeof(path), "%s/procfs-file", work);
    int fd = CHECK_OK(open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    CHECK_OK(write(fd, "hello", 5));
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    char real[4096];
    CHECK(realpath(path, real) != NULL, "realpath");
    link_is(link, real);
    char name[16];
    snprintf(name, sizeof(name), "%d", fd);
    int type = -1;
    CHECK(dir_has("/proc/self/fd", name, &type) && type == DT_LNK, "fd/%d listed as a link", fd);
    snprintf(link, sizeof(link), "/proc/self/fdinfo/%d", fd);
    CHECK(slurp(link) > 0, "read %s", link);
    CHECK(field_num(g_buf, "pos:") == 5, "fdinfo pos 5");
    const char *fl = field(g_buf, "flags:");
    long flags = fl ? strtol(fl, NULL, 8) : -1;
    CHECK(fl && (flags & O_ACCMODE) == O_RDWR && (flags & O_CLOEXEC), "fdinfo flags 0%lo", flags);
    /* Opening the link opens the file. */
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    int fd2 = CHECK_OK(open(link, O_RDONLY));
    char buf[8] = {0};
    CHECK(read(fd2, buf, 8) == 5 && !memcmp(buf, "hello", 5), "read through fd link");
    close(fd2);
    /* A high fd, so the listing's own directory fd cannot take its number. */
    CHECK_OK(dup2(fd, 77));
    close(fd);
    snprintf(name, sizeof(name), "%d", 77);
    CHECK(dir_has("/proc/self/fd", name, NULL), "fd/77 listed");
    close(77);
    snprintf(link, sizeof(link), "/proc/self/fd/%d", 77);
    CHECK(!dir_has("/proc/self/fd", name, NULL), "closed fd gone from fd/");
    CHECK_ERR(readlink(link, want, sizeof(want)), ENOENT);

    int p[2];
    CHECK_OK(pipe(p));
    snprintf(link, sizeof(link), "/proc/self/fd/%d", p[0]);
    link_starts(link, "pipe:[");
    close(p[0]);
    close(p[1]);
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
    link_starts(link, "socket:[");
    close(s);
}

static void test_status(const char *argv0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGHUP, on_hup);
    CHECK(slurp("/proc/self/status") > 0, "read status");
    const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
    char comm[16];
    snprintf(comm, sizeof(comm), "%.15s", base);
    const char *name = field(g_buf, "Name:\t");
    CHECK(name && !strncmp(name, comm, strlen(comm)) && name[strlen(comm)] == '\n', "Name: %s",
          comm);
    CHECK(field_num(g_buf, "Pid:\t") == getpid(), "Pid");
    CHECK(field_num(g_buf, "Tgid:\t") == getpid(), "Tgid");
    CHECK(field_num(g_buf, "PPid:\t") == getppid(), "PPid");
    CHECK(field_num(g_buf, "Uid:\t") == (long)getuid(), "Uid");
    CHECK(field_num(g_buf, "Gid:\t") == (long)getgid(), "Gid");
    CHECK(field_num(g_buf, "Threads:\t") == 1, "Threads: 1");
    CHECK(field_num(g_buf, "Umask:\t") >= 0, "Umask");
    CHECK(field(g_buf, "State:\tR"), "State R (the reader runs)");
    CHECK(field_hex(g_buf, "SigBlk:\t") & (1ULL << (SIGUSR1 - 1)), "SigBlk has SIGUSR1");
    CHECK(field_hex(g_buf, "SigIgn:\t") & (1ULL << (SIGUSR2 - 1)), "SigIgn has SIGUSR2");
    CHECK(field_hex(g_buf, "SigCgt:\t") & (1ULL << (SIGHUP - 1)), "SigCgt has SIGHUP");
    CHECK(field_num(g_buf, "VmSize:") > 0 && field_num(g_buf, "VmRSS:") > 0, "VmSize, VmRSS");
    CHECK(field(g_buf, "Cpus_allowed_list:\t") != NULL, "Cpus_allowed_list");
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    CHECK(slurp("/proc/self/stat") > 0, "read stat");
    char c[64], st;
    int pid, ppid;
    CHECK(sscanf(g_buf, "%d (%63[^)]) %c %d", &pid, c, &st, &ppid) == 4 && pid == getpid() &&
              !strcmp(c, comm) && ppid == getppid(),
          "stat: pid (comm) state ppid");
    /* Field 20 is num_threads; 22 starttime; 23 vsize. */
    const char *r = strrchr(g_buf, ')') + 2;
    long v[60];
    int n = 0;
    for (char *e; n < 60 && *r && *r != '\n'; r = e) {
        if (n == 0) {
            e = (char *)r + 1;
            v[n++] = 0;
            continue;
        }
        v[n++] = strtol(r, &e, 10);
        if (e == r)
            break;
    }
    CHECK(n >= 50, "stat has %d fields after comm (>= 50)", n + 2);
    CHECK(v[17] == 1, "stat num_threads 1");
    CHECK(v[20] > 0, "stat vsize > 0");

    CHECK(slurp("/proc/self/statm") > 0, "read statm");
    long size, res;
    CHECK(sscanf(g_buf, "%ld %ld", &size, &res) == 2 && size >= res && res > 0,
          "statm size %ld >= resident %ld > 0", size, res);
}

static void test_args(int argc, char **argv, char **envp) {
    long n = slurp("/proc/self/cmdline");
    char want[8192];
    long w = 0;
    for (int i = 0; i < argc; i++) {
        strcpy(want + w, argv[i]);
        w += strlen(argv[i]) + 1;
    }
    CHECK(n == w && !memcmp(g_buf, want, w), "cmdline is argv (%ld bytes)", n);
    n = slurp("/proc/self/environ");
    w = 0;
    for (char **e = envp; *e && w < 8000; e++) {
        strcpy(want + w, *e);
        w += strlen(*e) + 1;
    }
    CHECK(n == w && !memcmp(g_buf, want, w), "environ is the initial environment (%ld bytes)", n);
    n = slurp("/proc/self/auxv");
    unsigned long *a = (unsigned long *)g_buf;
    int pagesz = 0, entry = 0, end = 0;
    for (long i = 0; i + 1 < n / 8; i += 2) {
        if (a[i] == AT_PAGESZ && a[i + 1] == 4096)
            pagesz = 1;
        if (a[i] == AT_ENTRY && a[i + 1] == getauxval(AT_ENTRY))
            entry = 1;
        if (a[i] == AT_NULL && i + 2 == n / 8)
            end = 1;
    }
    CHECK(n > 0 && n % 16 == 0 && pagesz && entry && end,
          "auxv: AT_PAGESZ, AT_ENTRY, AT_NULL last");
}

/* The maps line containing addr, copied into line. */
static int maps_line(uint64_t addr, char *line, size_t size) {
    if (slurp("/proc/self/maps") <= 0)
        return 0;
    for (char *l = g_buf; *l;) {
        char *e = strchr(l, '\n');
        unsigned long lo, hi;
        if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
            size_t n = e ? (size_t)(e - l) : strlen(l);
            snprintf(line, size, "%.*s", (int)n, l);
            return 1;
        }
        l = e ? e + 1 : l + strlen(l);
    }
    return 0;
}

static int ends_with(const char *s, const char *t) {
    size_t a = strlen(s), b = strlen(t);
    return a >= b && !strcmp(s + a - b, t);
}

static void test_maps(void) {
    char line[512];
    int local;
    CHECK(maps_line((uint64_t)&local, line, sizeof(line)) && ends_with(line, "[stack]"),
          "stack variable in [stack]: %s", line);
    CHECK(maps_line((uint64_t)&test_maps, line, sizeof(line)) && strstr(line, " r-xp "),
          "code in r-xp: %s", line);
    uint64_t vdso = getauxval(AT_SYSINFO_EHDR);
    if (vdso)
        CHECK(maps_line(vdso, line, sizeof(line)) && ends_with(line, "[vdso]"), "[vdso]: %s", line);
    char *m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");
    mprotect(m + 4096, 4096, PROT_READ | PROT_WRITE);
    unsigned long lo, hi, off, ino;
    char perm[8];
    CHECK(maps_line((uint64_t)m + 4096, line, sizeof(line)) &&
              sscanf(line, "%lx-%lx %7s %lx %*s %lu", &lo, &hi, perm, &off, &ino) == 5 &&
              lo == (uint64_t)m + 4096 && hi == lo + 4096 && !strcmp(perm, "rw-p") && ino == 0,
          "mprotect split middle page: %s", line);
    CHECK(maps_line((uint64_t)m, line, sizeof(line)) && strstr(line, " r--p "), "first page r--p");
    munmap(m, 3 * 4096);
    CHECK(!maps_line((uint64_t)m + 4096, line, sizeof(line)), "unmapped region gone");

    m = mmap(NULL, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(slurp("/proc/self/smaps") > 0, "read smaps");
    char head[64];
    snprintf(head, sizeof(head), "%lx-", (unsigned long)m);
    const char *at = strstr(g_buf, head);
    CHECK(at && field_num(strchr(at, '\n') + 1, "Size:") == 20, "smaps Size: 20 kB for 5 pages");
    CHECK(at && strstr(at, "VmFlags:"), "smaps VmFlags");
    munmap(m, 5 * 4096);
}

static void test_misc_pid(void) {
    CHECK(slurp("/proc/self/mounts") > 0 && strstr(g_buf, " /proc proc "), "mounts has /proc");
    CHECK(slurp("/proc/mounts") > 0 && strstr(g_buf, " /proc proc "), "/proc/mounts too");
    CHECK(slurp("/proc/self/mountinfo") > 0 && strstr(g_buf, " - proc "), "mountinfo has proc");
    CHECK(slurp("/proc/self/limits") > 0 && !strncmp(g_buf, "Limit ", 6), "limits header");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK(field_num(g_buf, "Max open files") == (long)rl.rlim_cur, "limits: open files %ld",
          (long)rl.rlim_cur);

    /* comm: write sets the thread's name. */
    int fd = CHECK_OK(open("/proc/self/comm", O_WRONLY));
    CHECK(write(fd, "renamed", 7) == 7, "write comm");
    close(fd);
    char nm[16] = {0};
    prctl(PR_GET_NAME, nm);
    CHECK(!strcmp(nm, "renamed"), "PR_GET_NAME after comm write: %s", nm);
    CHECK(slurp("/proc/self/comm") > 0 && !strcmp(g_buf, "renamed\n"), "comm reads back");

    fd = CHECK_OK(open("/proc/self/oom_score_adj", O_RDWR));
    CHECK(write(fd, "100", 3) == 3, "write oom_score_adj");
    close(fd);
    CHECK(slurp("/proc/self/oom_score_adj") > 0 && !strcmp(g_buf, "100\n"), "oom_score_adj 100");
    fd = open("/proc/self/oom_score_adj", O_WRONLY);
    CHECK_ERR(write(fd, "5000", 4), EINVAL);
    close(fd);
    /* Writing a read-only file never succeeds (EACCES at open, or the
     * write fails when root may open it). */
    fd = open("/proc/self/status", O_WRONLY);
    CHECK(fd < 0 || write(fd, "x", 1) < 0, "status cannot be written");
    if (fd >= 0)
        close(fd);
    fd = open("/proc/cpuinfo", O_WRONLY);
    CHECK(fd < 0 || write(fd, "x", 1) < 0, "cpuinfo cannot be written");
    if (fd >= 0)
        close(fd);
    CHECK(mkdir("/proc/procfs-test", 0755) < 0, "no mkdir in /proc");
    CHECK(open("/proc/procfs-test", O_CREAT | O_WRONLY, 0644) < 0, "no new files in /proc");
    CHECK(unlink("/proc/self/status") < 0, "no unlink in /proc");

    /* Threads appear in task/ and status. */
    pthread_t t;
    pthread_create(&t, NULL, thread_fn, NULL);
    while (!__atomic_load_n(&g_thread_tid, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(10000);
    char name[32], path[128];
    snprintf(name, sizeof(name), "%d", g_thread_tid);
    CHECK(dir_has("/proc/self/task", name, NULL), "task/%s listed", name);
    snprintf(name, sizeof(name), "%d", getpid());
    CHECK(dir_has("/proc/self/task", name, NULL), "task/<pid> listed");
    CHECK(slurp("/proc/self/status") > 0 && field_num(g_buf, "Threads:\t") == 2, "Threads: 2");
    snprintf(path, sizeof(path), "/proc/self/task/%d/comm", g_thread_tid);
    CHECK(slurp(path) > 0 && !strcmp(g_buf, "procfs-worker\n"), "thread comm: %s", g_buf);
    snprintf(path, sizeof(path), "/proc/self/task/%d/status", g_thread_tid);
    CHECK(slurp(path) > 0 && field_num(g_buf, "Pid:\t") == g_thread_tid &&
              field_num(g_buf, "Tgid:\t") == getpid(),
          "task status Pid is the tid");
    snprintf(path, sizeof(path), "/proc/%d/status", g_thread_tid);
    CHECK(slurp(path) > 0, "/proc/<tid> resolves too");
    g_thread_go = 1;
    pthread_join(t, NULL);
}

static void test_modes(void) {
    struct stat st, st2;
    CHECK(stat("/proc", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555,
          "/proc 0555 dir");
    CHECK(lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0777,
          "/proc/self link 0777");
    CHECK(stat("/proc/self/status", &st) == 0 && S_ISREG(st.st_mode) &&
              (st.st_mode & 07777) == 0444 && stat("/proc/self/status", &st2) == 0 &&
              st.st_ino == st2.st_ino,
          "status 0444 file, stable inode");
    CHECK(stat("/proc/self/fd", &st) == 0 && (st.st_mode & 07777) == 0500, "fd/ 0500");
    CHECK(stat("/proc/self/comm", &st) == 0 && (st.st_mode & 07777) == 0644, "comm 0644");
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    int type = -1;
    CHECK(dir_has("/proc", pid, &type) && type == DT_DIR, "/proc lists our pid as a dir");
    CHECK(dir_has("/proc", "self", &type) && type == DT_LNK, "/proc/self listed as a link");
    CHECK(dir_has("/proc/self", "exe", &type) && type == DT_LNK, "exe is DT_LNK");
    CHECK(dir_has("/proc/self", "fd", &type) && type == DT_DIR, "fd is DT_DIR");
    CHECK(dir_has("/proc/self", "status", &type) && type == DT_REG, "status is DT_REG");
    CHECK(stat("/proc/99999999", &st) < 0 && errno == ENOENT, "no such pid");
}

static int online_count(const char *list) {
    int count = 0;
    for (const char *s = list; *s && *s != '\n';) {
        char *e;
        long a = strtol(s, &e, 10), b = a;
        if (*e == '-')
            b = strtol(e + 1, &e, 10);
        count += b - a + 1;
        s = *e == ',' ? e + 1 : e;
        if (e == s && *s != ',')
            break;
    }
    return count;
}

static void test_system(void) {
    CHECK(slurp("/proc/cpuinfo") > 0, "read cpuinfo");
    int procs = 0;
    for (const char *l = g_buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, "processor\t: ", 12))
            procs++;
    CHECK(procs > 0 && field(g_buf, "model name\t: ") && field(g_buf, "flags\t\t: "),
          "cpuinfo: %d processors, model name, flags", procs);
    CHECK(slurp("/sys/devices/system/cpu/online") > 0, "read cpu/online");
    int online = online_count(g_buf);
    CHECK(online == procs, "cpu/online '%.*s' counts %d = cpuinfo's %d", (int)strcspn(g_buf, "\n"),
          g_buf, online, procs);
    CHECK(slurp("/sys/devices/system/cpu/possible") > 0 && online_count(g_buf) >= online,
          "cpu/possible");
    CHECK(slurp("/sys/devices/system/cpu/cpu0/topology/core_id") > 0 && g_buf[0] >= '0' &&
              g_buf[0] <= '9',
          "cpu0/topology/core_id");
    CHECK(slurp("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list") > 0,
          "cpu0 thread_siblings_list");
    int type = -1;
    CHECK(dir_has("/sys/devices/system/cpu", "cpu0", &type) && type == DT_DIR, "cpu0 dir");
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) == online, "sysconf NPROCESSORS_ONLN %ld",
          sysconf(_SC_NPROCESSORS_ONLN));

    CHECK(slurp("/proc/meminfo") > 0 && !strncmp(g_buf, "MemTotal:", 9), "meminfo");
    long total = field_num(g_buf, "MemTotal:"), avail = field_num(g_buf, "MemAvailable:");
    CHECK(total > 0 && avail >= 0 && avail <= total, "MemAvailable %ld <= MemTotal %ld", avail,
          total);
    CHECK(slurp("/proc/stat") > 0 && !strncmp(g_buf, "cpu ", 4), "stat: cpu line");
    long btime = field_num(g_buf, "btime ");
    CHECK(btime > 1000000000 && btime <= time(NULL), "btime %ld", btime);
    CHECK(field(g_buf, "cpu0 ") != NULL && field(g_buf, "processes ") != NULL, "cpu0, processes");
    double up = 0, idle = 0;
    CHECK(slurp("/proc/uptime") > 0 && sscanf(g_buf, "%lf %lf", &up, &idle) == 2 && up > 0,
          "uptime %f", up);
    double l1, l5, l15;
    int run, all;
    CHECK(slurp("/proc/loadavg") > 0 &&
              sscanf(g_buf, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &run, &all) == 5 && run >= 1 &&
              all >= run,
          "loadavg");
    CHECK(slurp("/proc/version") > 0 && !strncmp(g_buf, "Linux version ", 14), "version");
    CHECK(slurp("/proc/filesystems") > 0 && strstr(g_buf, "\tproc\n"), "filesystems has proc");

    struct utsname u;
    uname(&u);
    char want[128];
    snprintf(want, sizeof(want), "%s\n", u.release);
    CHECK(slurp("/proc/sys/kernel/osrelease") > 0 && !strcmp(g_buf, want), "osrelease");
    snprintf(want, sizeof(want), "%s\n", u.nodename);
    CHECK(slurp("/proc/sys/kernel/hostname") > 0 && !strcmp(g_buf, want), "hostname");
    CHECK(slurp("/proc/sys/kernel/ostype") > 0 && !strcmp(g_buf, "Linux\n"), "ostype");
    CHECK(slurp("/proc/sys/kernel/pid_max") > 0 && atol(g_buf) > getpid(), "pid_max");
    CHECK(slurp("/proc/sys/vm/overcommit_memory") > 0 && g_buf[0] >= '0' && g_buf[0] <= '2',
          "overcommit_memory");
    CHECK(slurp("/proc/sys/net/core/somaxconn") > 0 && atol(g_buf) > 0, "somaxconn");
    char id1[64], id2[64];
    slurp("/proc/sys/kernel/random/boot_id");
    strcpy(id1, g_buf);
    slurp("/proc/sys/kernel/random/boot_id");
    CHECK(strlen(id1) == 37 && !strcmp(id1, g_buf), "boot_id stable");
    slurp("/proc/sys/kernel/random/uuid");
    strcpy(id2, g_buf);
    slurp("/proc/sys/kernel/random/uuid");
    CHECK(strlen(id2) == 37 && strcmp(id2, g_buf), "uuid fresh each read");
    int fd = open("/proc/sys/kernel/pid_max", O_WRONLY);
    CHECK(fd < 0 || geteuid() == 0, "sysctl not writable by a user");
    if (fd >= 0)
        close(fd);
}

int main(int argc, char **argv, char **envp) {
    check_init("procfs");
    const char *work = argc > 1 ? argv[1] : ".";
    test_args(argc, argv, envp);
    test_links(argv[0], work);
    test_fds(work);
    test_status(argv[0]);
    test_maps();
    test_modes();
    test_system();
    test_misc_pid(); /* renames the process: last */
    /* /dev/fd is /proc/self/fd, as on Linux. */
    {
        char lnk[64] = "";
        CHECK(readlink("/dev/fd", lnk, sizeof(lnk) - 1) == 13 && !strcmp(lnk, "/proc/self/fd"),
              "/dev/fd -> %s", lnk);
        int fd = open("/proc/self/exe", O_RDONLY);
        char p[64], a[4] = "", b[4] = "";
        snprintf(p, sizeof(p), "/dev/fd/%d", fd);
        int fd2 = open(p, O_RDONLY);
        CHECK(fd2 >= 0 && read(fd, a, 4) == 4 && read(fd2, b, 4) == 4 && !memcmp(a, b, 4),
              "open(/dev/fd/N) opens the same file");
        close(fd);
        close(fd2);
    }
    return check_done();
}
