/* The sandbox-wide process table, checked against Linux: kill to a
 * grandchild, a sibling and a group; orphans reparented to the reaper
 * (pid 1 under sabot, a PR_SET_CHILD_SUBREAPER natively); wait status
 * transitions stop/continue/exit (wait4 and waitid, SIGCHLD codes);
 * /proc/<pid> of another process; execve from a 4-thread process.
 * usage: ptable all | tty | exec4 | after-exec PID */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void msleep(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static volatile sig_atomic_t g_got_sig, g_got_pid;

static void on_sig(int sig, siginfo_t *si, void *uc) {
    g_got_pid = si->si_pid;
    g_got_sig = sig;
}

static void catch (int sig) {
    struct sigaction sa = {.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO};
    sigaction(sig, &sa, NULL);
}

/* Child helper: wait for sig, then write the sender's pid to fd. */
static void await_and_report(int sig, int fd) {
    sigset_t none;
    sigemptyset(&none);
    while (g_got_sig != sig)
        sigsuspend(&none);
    int pid = g_got_pid;
    write(fd, &pid, sizeof(pid));
}

static int read_int(int fd) {
    int v = -1;
    return read(fd, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

static int exit_code(pid_t pid) {
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* ------------------------------------------------------------------ kill */

static void test_kill(void) {
    int p[2];
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, NULL); /* children unblock in sigsuspend */
    catch (SIGUSR1);
    catch (SIGUSR2);

    /* A grandchild: not our child, still reachable. */
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            int me = getpid();
            write(p[1], &me, sizeof(me));
            await_and_report(SIGUSR1, p[1]);
            _exit(0);
        }
        _exit(exit_code(g));
    }
    int g = read_int(p[0]);
    CHECK(g > 0 && g != c, "grandchild %d (child %d)", g, c);
    CHECK_OK(kill(g, SIGUSR1));
    CHECK(read_int(p[0]) == getpid(), "the grandchild saw si_pid == our pid");
    CHECK(exit_code(c) == 0, "child and grandchild ended");

    /* A sibling signals a sibling. */
    pid_t s1 = fork();
    if (s1 == 0) {
        await_and_report(SIGUSR2, p[1]);
        _exit(0);
    }
    pid_t s2 = fork();
    if (s2 == 0)
        _exit(kill(s1, SIGUSR2) == 0 ? 0 : 1);
    CHECK(read_int(p[0]) == s2, "sibling %d got SIGUSR2 from sibling %d", s1, s2);
    CHECK(exit_code(s2) == 0, "the sender's kill succeeded");
    CHECK(exit_code(s1) == 0, "the receiver ended");
    close(p[0]);
    close(p[1]);

    /* A group of two, signalled by -pgid from outside it. */
    pid_t a = fork();
    if (a == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(a, a);
    pid_t b = fork();
    if (b == 0) {
        setpgid(0, a);
        for (;;)
            pause();
    }
    setpgid(b, a);
    CHECK(getpgid(b) == a, "getpgid of a child in another group: %d", (int)getpgid(b));
    CHECK(getsid(b) == getsid(0), "getsid of a child: our session");
    CHECK_OK(kill(-a, SIGTERM));
    int st1 = 0, st2 = 0;
    pid_t w1 = waitpid(-a, &st1, 0), w2 = waitpid(-a, &st2, 0); /* by group */
    CHECK(w1 + w2 == a + b && WIFSIGNALED(st1) && WTERMSIG(st1) == SIGTERM && WIFSIGNALED(st2) &&
              WTERMSIG(st2) == SIGTERM,
          "waitpid(-pgid) reaped both members, killed by SIGTERM");
    CHECK_ERR(waitpid(-a, NULL, WNOHANG), ECHILD);
    CHECK_ERR(kill(-a, 0), ESRCH);
    CHECK_ERR(kill(b, 0), ESRCH);
    CHECK_ERR(getpgid(b), ESRCH);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

/* --------------------------------------------------------------- setpgid */

static void test_setpgid(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(p[0], &x, 1);
        execl("/bin/sleep", "sleep", "5", (char *)NULL);
        _exit(127);
    }
    CHECK_ERR(setpgid(c, 999999), EPERM); /* no such group in our session */
    CHECK_OK(setpgid(c, c));
    CHECK(getpgid(c) == c, "child moved to its own group");
    write(p[1], "x", 1);
    /* After the child's execve, Linux refuses with EACCES. */
    int r = -1, e = 0;
    for (int i = 0; i < 500; i++) {
        char buf[64] = "";
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", c);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            read(fd, buf, sizeof(buf) - 1);
            close(fd);
        }
        if (!strcmp(buf, "sleep\n"))
            break;
        msleep(10);
    }
    errno = 0;
    r = setpgid(c, getpgrp());
    e = errno;
    CHECK(r == -1 && e == EACCES, "setpgid after the child's execve: %d %s", r, errname(e));
    CHECK_ERR(setpgid(getppid() > 1 ? 1 : 999999, 0), ESRCH); /* not our child */
    kill(c, SIGKILL);
    CHECK(exit_code(c) == 1000 + SIGKILL, "sleep killed");
    close(p[0]);
    close(p[1]);
}

/* --------------------------------------------------------------- orphans */

static void test_orphan(void) {
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* natively: be the orphans' reaper */
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        pid_t first = getpid();
        pid_t o = fork();
        if (o == 0) {
            for (int i = 0; i < 500 && getppid() == first; i++)
                msleep(10);
            int pp = getppid();
            write(p[1], &pp, sizeof(pp));
            _exit(7);
        }
        write(p[1], &o, sizeof(o));
        _exit(0);
    }
    int o = read_int(p[0]);
    CHECK(exit_code(c) == 0, "the orphan's parent ended");
    int pp = read_int(p[0]);
    CHECK(pp == getpid(), "orphan %d: getppid %d, want the reaper %d", o, pp, getpid());
    CHECK(exit_code(o) == 7, "the reaper waited for the orphan");
    CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
    close(p[0]);
    close(p[1]);
}

/* --------------------------------------------------------- stop/continue */

static volatile sig_atomic_t g_codes[8], g_ncodes;

static void on_chld(int sig, siginfo_t *si, void *uc) {
    if (g_ncodes < 8)
        g_codes[g_ncodes++] = si->si_code;
}

static void wait_codes(int n) {
    for (int i = 0; i < 300 && g_ncodes < n; i++)
        msleep(10);
}

static char proc_state(pid_t pid) {
    char path[64], buf[512] = "";
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    read(fd, buf, sizeof(buf) - 1);
    close(fd);
    char *s = strstr(buf, "State:\t");
    return s ? s[7] : '!';
}

static void test_stop(void) {
    struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigaction(SIGCHLD, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    int st = -1;
    CHECK(waitpid(c, &st, WNOHANG) == 0, "WNOHANG on a running child: 0");
    CHECK_OK(kill(c, SIGSTOP));
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
          "WUNTRACED: stopped by SIGSTOP (status %#x)", st);
    CHECK(proc_state(c) == 'T', "/proc/%d/status: State T (%c)", c, proc_state(c));
    CHECK(waitpid(c, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
    CHECK_OK(kill(c, SIGCONT));
    CHECK(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "WCONTINUED (status %#x)", st);
    wait_codes(2); /* Linux raises CLD_CONTINUED once the child runs again */
    CHECK_OK(kill(c, SIGTERM));
    CHECK(waitpid(c, &st, WUNTRACED | WCONTINUED) == c && WIFSIGNALED(st) &&
              WTERMSIG(st) == SIGTERM,
          "then killed by SIGTERM (status %#x)", st);
    wait_codes(3);
    CHECK(g_ncodes == 3 && g_codes[0] == CLD_STOPPED && g_codes[1] == CLD_CONTINUED &&
              g_codes[2] == CLD_KILLED,
          "SIGCHLD codes: %d: %d %d %d", (int)g_ncodes, g_codes[0], g_codes[1], g_codes[2]);

    /* A child that stops itself; waitid's view. */
    g_ncodes = 0;
    int p[2];
    pipe(p);
    c = fork();
    if (c == 0) {
        /* A group of its own whose parent (us) is in another group of the
         * session: not orphaned, so Linux does not discard the SIGTSTP
         * even when our own group is orphaned (as under a CI runner). */
        setpgid(0, 0);
        raise(SIGTSTP);
        char x;
        read(p[0], &x, 1); /* exited, it could no longer report WCONTINUED */
        _exit(5);
    }
    siginfo_t si = {0};
    CHECK_OK(waitid(P_PID, c, &si, WSTOPPED));
    CHECK(si.si_pid == c && si.si_code == CLD_STOPPED && si.si_status == SIGTSTP,
          "waitid WSTOPPED: code %d status %d", si.si_code, si.si_status);
    CHECK_OK(kill(c, SIGCONT));
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, c, &si, WCONTINUED));
    CHECK(si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
          "waitid WCONTINUED: code %d status %d", si.si_code, si.si_status);
    write(p[1], "x", 1);
    close(p[0]);
    close(p[1]);
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, c, &si, WEXITED));
    CHECK(si.si_code == CLD_EXITED && si.si_status == 5, "waitid WEXITED: code %d status %d",
          si.si_code, si.si_status);

    /* SA_NOCLDSTOP: only the exit raises SIGCHLD. */
    sa.sa_flags |= SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    g_ncodes = 0;
    c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(6);
    }
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), "stopped again");
    kill(c, SIGCONT);
    CHECK(exit_code(c) == 6, "continued and exited 6");
    wait_codes(1);
    CHECK(g_ncodes == 1 && g_codes[0] == CLD_EXITED, "SA_NOCLDSTOP: %d SIGCHLD, code %d",
          (int)g_ncodes, g_codes[0]);
    signal(SIGCHLD, SIG_DFL);
}

/* A stop stops every thread of the child. */
static int g_tick_fd;

static void *ticker(void *arg) {
    for (;;) {
        write(g_tick_fd, "x", 1);
        msleep(1);
    }
    return NULL;
}

static int drain(int fd) {
    char buf[4096];
    int n = 0, r;
    while ((r = read(fd, buf, sizeof(buf))) > 0)
        n += r;
    return n;
}

/* Ticks arrive within 3 s (a loaded machine may be slow to run the child). */
static bool ticks(int fd) {
    for (int i = 0; i < 300; i++) {
        if (drain(fd) > 0)
            return true;
        msleep(10);
    }
    return false;
}

static void test_stop_threads(void) {
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t[2]; /* whichever takes SIGSTOP, the other stops too */
        g_tick_fd = p[1];
        pthread_create(&t[0], NULL, ticker, NULL);
        pthread_create(&t[1], NULL, ticker, NULL);
        for (;;)
            pause();
    }
    CHECK(ticks(p[0]), "the child's threads tick");
    kill(c, SIGSTOP);
    int st = -1;
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st), "stopped (status %#x)", st);
    msleep(50);
    drain(p[0]);
    msleep(150);
    int n = drain(p[0]);
    CHECK(n == 0, "no ticks while stopped (%d)", n);
    kill(c, SIGCONT);
    CHECK(ticks(p[0]), "ticks again after SIGCONT");
    kill(c, SIGKILL);
    CHECK(exit_code(c) == 1000 + SIGKILL, "killed");
    close(p[0]);
    close(p[1]);
}

/* ----------------------------------------------------- /proc/<other pid> */

static int read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static void test_procfs(void) {
    pid_t c = fork();
    if (c == 0) {
        execl("/bin/sleep", "sleep", "7", (char *)NULL);
        _exit(127);
    }
    char path[64], buf[1024];
    int n = -1;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", c);
    for (int i = 0; i < 500; i++) { /* until the exec is done */
        n = read_file(path, buf, sizeof(buf));
        if (n == 8 && !memcmp(buf,
                              "sleep\0"
                              "7\0",
                              8))
            break;
        msleep(10);
    }
    CHECK(n == 8 && !memcmp(buf,
                            "sleep\0"
                            "7\0",
                            8),
          "/proc/%d/cmdline is sleep 7 (%d bytes)", c, n);
    snprintf(path, sizeof(path), "/proc/%d/status", c);
    CHECK(read_file(path, buf, sizeof(buf)) > 0, "read %s", path);
    char want[64];
    CHECK(strstr(buf, "Name:\tsleep\n") != NULL, "status Name: sleep");
    snprintf(want, sizeof(want), "\nPid:\t%d\n", c);
    CHECK(strstr(buf, want) != NULL, "status Pid: %d", c);
    snprintf(want, sizeof(want), "\nPPid:\t%d\n", getpid());
    CHECK(strstr(buf, want) != NULL, "status PPid: %d", getpid());
    snprintf(path, sizeof(path), "/proc/%d/comm", c);
    CHECK(read_file(path, buf, sizeof(buf)) > 0 && !strcmp(buf, "sleep\n"), "comm: sleep");
    snprintf(path, sizeof(path), "/proc/%d/stat", c);
    char st = 0;
    int ppid = 0;
    CHECK(read_file(path, buf, sizeof(buf)) > 0 &&
              sscanf(buf, "%*d (sleep) %c %d", &st, &ppid) == 2 && ppid == getpid(),
          "stat: state %c ppid %d", st, ppid);
    snprintf(path, sizeof(path), "/proc/%d/exe", c);
    n = readlink(path, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    CHECK(n > 6 && !strcmp(buf + n - 6, "/sleep"), "exe -> %s", buf);
    DIR *d = opendir("/proc");
    bool listed = false, self = false;
    for (struct dirent *e; d && (e = readdir(d));) {
        listed |= atoi(e->d_name) == c;
        self |= atoi(e->d_name) == getpid();
    }
    if (d)
        closedir(d);
    CHECK(listed && self, "/proc lists the child (%d) and us (%d)", listed, self);
    kill(c, SIGKILL);
    CHECK(exit_code(c) == 1000 + SIGKILL, "sleep killed");
    snprintf(path, sizeof(path), "/proc/%d/status", c);
    CHECK_ERR(open(path, O_RDONLY), ENOENT);
}

/* ------------------------------------------------- job control on a tty */

static void test_tty(void) {
    CHECK(isatty(0), "stdin is a terminal");
    /* Terminal modes reach the terminal: read back, and echo really off
     * (what a shell's line editor relies on). */
    struct termios t0, t1;
    CHECK_OK(tcgetattr(0, &t0));
    CHECK((t0.c_lflag & ICANON) && (t0.c_lflag & ECHO), "a fresh terminal is canonical with echo");
    t1 = t0;
    t1.c_lflag &= ~(ICANON | ECHO);
    t1.c_cc[VMIN] = 1;
    CHECK_OK(tcsetattr(0, TCSADRAIN, &t1));
    struct termios t2;
    CHECK(tcgetattr(0, &t2) == 0 && !(t2.c_lflag & (ICANON | ECHO)) && t2.c_cc[VMIN] == 1,
          "tcgetattr shows the new mode");
    CHECK_OK(tcsetattr(0, TCSANOW, &t0));
    CHECK(tcgetattr(0, &t2) == 0 && t2.c_lflag == t0.c_lflag, "the old mode is back");
    struct winsize ws;
    CHECK(ioctl(0, TIOCGWINSZ, &ws) == 0, "TIOCGWINSZ works (%ux%u)", ws.ws_row, ws.ws_col);
    pid_t me = getpgrp();
    CHECK(tcgetpgrp(0) == me, "we are the foreground group");
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        /* From the background: SIGTTOU stops us; once continued in the
         * foreground the call goes through. */
        if (tcsetpgrp(0, getpgrp()) < 0)
            _exit(2);
        signal(SIGTTOU, SIG_IGN); /* ignored: a background change is allowed */
        if (tcsetpgrp(0, me) < 0) /* me: the parent need not lead its group */
            _exit(3);
        _exit(0);
    }
    setpgid(c, c);
    int st = -1;
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU,
          "background tcsetpgrp: stopped by SIGTTOU (status %#x)", st);
    signal(SIGTTOU, SIG_IGN);
    CHECK_OK(tcsetpgrp(0, c));
    CHECK(tcgetpgrp(0) == c, "the child's group is in the foreground");
    CHECK_OK(kill(c, SIGCONT));
    CHECK(exit_code(c) == 0, "the child's tcsetpgrp calls succeeded");
    CHECK(tcgetpgrp(0) == me, "the child gave the terminal back");
    signal(SIGTTOU, SIG_DFL);

    /* A background read gets SIGTTIN. */
    c = fork();
    if (c == 0) {
        setpgid(0, 0);
        char x;
        read(0, &x, 1);
        _exit(9);
    }
    setpgid(c, c);
    CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN,
          "background read: stopped by SIGTTIN (status %#x)", st);
    kill(c, SIGKILL);
    CHECK(exit_code(c) == 1000 + SIGKILL, "killed while stopped");
    CHECK_ERR(tcsetpgrp(0, 999999), ESRCH); /* no such group */
}

/* ------------------------------------------------ execve from 4 threads */

static void *spin(void *arg) {
    for (;;)
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static void *sleeper(void *arg) {
    for (;;)
        pause();
    return NULL;
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;

static void *cond_waiter(void *arg) {
    pthread_mutex_lock(&g_mu);
    for (;;)
        pthread_cond_wait(&g_cv, &g_mu);
    return NULL;
}

static const char *g_self;

static void *execer(void *arg) {
    msleep(100); /* let the others settle in their loops */
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    execl(g_self, g_self, "after-exec", pid, (char *)NULL);
    return NULL;
}

static int count_tasks(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void test_exec4(void) {
    pthread_t t[4];
    pthread_create(&t[0], NULL, spin, NULL);
    pthread_create(&t[1], NULL, sleeper, NULL);
    pthread_create(&t[2], NULL, cond_waiter, NULL);
    msleep(50);
    CHECK(count_tasks() == 4, "4 threads before execve");
    pthread_create(&t[3], NULL, execer, NULL);
    pthread_join(t[3], NULL);
    CHECK(0, "execve did not replace the program");
}

static void after_exec(int pid) {
    CHECK(getpid() == pid, "same pid after execve: %d", getpid());
    CHECK(syscall(SYS_gettid) == getpid(), "the exec'ing thread took the leader's tid");
    CHECK(count_tasks() == 1, "only one thread after execve: %d", count_tasks());
    char buf[2048];
    read_file("/proc/self/status", buf, sizeof(buf));
    CHECK(strstr(buf, "\nThreads:\t1\n") != NULL, "status Threads: 1");
}

int main(int argc, char **argv) {
    check_init("ptable");
    g_self = argv[0];
    const char *mode = argc > 1 ? argv[1] : "all";
    if (!strcmp(mode, "all")) {
        test_kill();
        test_setpgid();
        test_orphan();
        test_stop();
        test_stop_threads();
        test_procfs();
    } else if (!strcmp(mode, "tty")) {
        test_tty();
    } else if (!strcmp(mode, "exec4")) {
        test_exec4();
    } else if (!strcmp(mode, "after-exec") && argc > 2) {
        after_exec(atoi(argv[2]));
    } else {
        printf("usage: ptable all|tty|exec4\n");
        return 2;
    }
    return check_done();
}
