/* Process information syscalls answer as Linux does: sysinfo, uname,
 * prctl names, affinity, rlimits, scheduling queries. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    check_init("procinfo");
    struct sysinfo si;
    CHECK_OK(sysinfo(&si));
    CHECK(si.totalram > 0 && si.mem_unit >= 1, "sysinfo: totalram %lu unit %u", si.totalram,
          si.mem_unit);
    CHECK(si.freeram <= si.totalram, "sysinfo: freeram <= totalram");

    struct utsname u;
    CHECK_OK(uname(&u));
    CHECK(strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0, "uname: %s %s",
          u.sysname, u.machine);

    char name[16] = "";
    CHECK_OK(prctl(PR_SET_NAME, "worker-name-that-is-long"));
    CHECK_OK(prctl(PR_GET_NAME, name));
    CHECK(strcmp(name, "worker-name-tha") == 0, "PR_GET_NAME truncates to 15: '%s'", name);

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_OK(sched_getaffinity(0, sizeof(set), &set));
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(CPU_COUNT(&set) >= 1 && CPU_COUNT(&set) <= online, "affinity has %d CPUs of %ld online",
          CPU_COUNT(&set), online);
    CHECK_ERR(sched_getaffinity(0, 4, &set), EINVAL);
    /* musl stubs sched_getscheduler out; ask the kernel directly. */
    CHECK(syscall(SYS_sched_getscheduler, 0) == SCHED_OTHER, "scheduler is SCHED_OTHER");
    CHECK(sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1,
          "SCHED_FIFO priority range 1..99");
    CHECK_ERR(sched_get_priority_max(42), EINVAL);

    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK(rl.rlim_cur >= 64 && rl.rlim_cur <= rl.rlim_max, "RLIMIT_NOFILE %lu/%lu",
          (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
    struct rlimit lower = {rl.rlim_cur / 2, rl.rlim_max};
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &lower));
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK(rl.rlim_cur == lower.rlim_cur, "setrlimit took effect");
    struct rlimit bad = {rl.rlim_max + 1, rl.rlim_max};
    CHECK_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
    /* Dropping privileges, as servers do in their workers (needs root). */
    if (getuid() == 0) {
        pid_t pid = fork();
        if (pid == 0) {
            gid_t g = 65534;
            int ok = setgroups(1, &g) == 0 && setgid(65534) == 0 && setuid(65534) == 0 &&
                     getuid() == 65534 && geteuid() == 65534 && getgid() == 65534 &&
                     getgroups(1, &g) == 1 && g == 65534;
            ok &= setuid(0) == -1 && errno == EPERM;     /* no way back */
            ok &= setgroups(0, NULL) == -1 && errno == EPERM;
            _exit(ok ? 0 : 1);
        }
        int st = -1;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "child dropped to uid/gid 65534 and could not regain root (status %#x)", st);
    }
    return check_done();
}
