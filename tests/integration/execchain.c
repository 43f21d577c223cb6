/* execve: a chain of three images of this program, with close-on-exec,
 * signal dispositions, a #! script, the errors of a failed exec (the old
 * program must go on) and Linux's limit on one argument or environment
 * string (MAX_ARG_STRLEN: 128 KiB with its NUL); each image's AT_HWCAP.
 * Usage: execchain WORKDIR [STAGE FD_KEEP FD_CLOEXEC | long ARG] */
#include <cpuid.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void on_usr1(int sig) {}

/* AT_HWCAP as the kernel (or libos) passed it: glibc's getauxval reports
 * its own value for it on x86-64. */
static unsigned long raw_hwcap(void) {
    unsigned long pair[2], v = ~0UL;
    FILE *f = fopen("/proc/self/auxv", "rb");
    while (f && fread(pair, sizeof(pair), 1, f) == 1 && pair[0])
        if (pair[0] == 16 /* AT_HWCAP */)
            v = pair[1];
    if (f)
        fclose(f);
    return v;
}

#define MAX_ARG_STRLEN (32 * 4096)

/* A string of n 'a's (heap). */
static char *long_string(size_t n) {
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    s[n] = '\0';
    return s;
}

/* Runs this program with a long argument and environment string of n
 * bytes each; returns execv's errno in the child, 0 if the exec worked
 * and the new image saw both strings whole. */
static int exec_long(const char *self, const char *work, size_t n) {
    pid_t pid = fork();
    if (pid == 0) {
        char *arg = long_string(n), *env = long_string(n); /* env: LONG=aaa... */
        memcpy(env, "LONG=", 5);
        char *args[] = {(char *)self, (char *)work, "long", arg, NULL};
        char *envs[] = {env, NULL};
        execve(self, args, envs);
        _exit(errno);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

int main(int argc, char **argv) {
    check_init("execchain");
    if (argc == 4 && !strcmp(argv[2], "long")) { /* exec_long's new image */
        const char *env = getenv("LONG");
        return strlen(argv[3]) == MAX_ARG_STRLEN - 1 && env && strlen(env) == MAX_ARG_STRLEN - 6
                   ? 0
                   : 1;
    }
    if (argc == 5) { /* a later stage */
        int stage = atoi(argv[2]), keep = atoi(argv[3]), cloexec = atoi(argv[4]);
        CHECK(fcntl(keep, F_GETFD) == 0, "stage %d: inherited fd %d is open", stage, keep);
        CHECK(fcntl(cloexec, F_GETFD) == -1 && errno == EBADF,
              "stage %d: close-on-exec fd %d is closed", stage, cloexec);
        struct sigaction sa;
        sigaction(SIGUSR1, NULL, &sa);
        CHECK(sa.sa_handler == SIG_DFL, "stage %d: caught SIGUSR1 is back to default", stage);
        sigaction(SIGUSR2, NULL, &sa);
        CHECK(sa.sa_handler == SIG_IGN, "stage %d: ignored SIGUSR2 stays ignored", stage);
        unsigned a = 0, b = 0, c = 0, d = 0;
        __get_cpuid(1, &a, &b, &c, &d);
        CHECK(raw_hwcap() == d, "stage %d: AT_HWCAP %#lx is CPUID 1's EDX %#x", stage, raw_hwcap(),
              d);
        if (stage < 3) {
            char next[16];
            snprintf(next, sizeof(next), "%d", stage + 1);
            char *args[] = {argv[0], argv[1], next, argv[3], argv[4], NULL};
            execv("/proc/self/exe", args);
            CHECK(0, "execv of the next stage failed: %s", strerror(errno));
        } else {
            printf("execchain: reached stage 3\n");
        }
        return check_done();
    }
    const char *work = argv[1];
    /* Failures leave the program running with errno set. */
    char *none[] = {"x", NULL};
    CHECK_ERR(execv("/nonexistent/prog", none), ENOENT);
    char path[512];
    snprintf(path, sizeof(path), "%s/notexec", work);
    FILE *f = fopen(path, "w");
    fputs("data\n", f);
    fclose(f);
    chmod(path, 0644);
    CHECK_ERR(execv(path, none), EACCES);
    chmod(path, 0755);
    CHECK_ERR(execv(path, none), ENOEXEC);
    /* A #! script run in a child. */
    snprintf(path, sizeof(path), "%s/script.sh", work);
    f = fopen(path, "w");
    fputs("#!/bin/sh -e\necho \"script $0 $1\"\nexit 5\n", f);
    fclose(f);
    chmod(path, 0755);
    pid_t pid = fork();
    if (pid == 0) {
        char *sargs[] = {"script.sh", "arg1", NULL};
        execv(path, sargs);
        _exit(99);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "#! script ran and exited 5 (status %#x)", st);
    /* One string may take MAX_ARG_STRLEN bytes with its NUL, no more. */
    char self[512];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[sl > 0 ? sl : 0] = '\0';
    CHECK(exec_long(self, work, MAX_ARG_STRLEN - 1) == 0,
          "an argument and an environment string of %d bytes with the NUL pass whole",
          MAX_ARG_STRLEN);
    CHECK(exec_long(self, work, MAX_ARG_STRLEN) == E2BIG, "one byte more: E2BIG");
    /* The chain: stage 1 execs 2 execs 3. */
    int keep = CHECK_OK(open("/dev/null", O_RDONLY));
    int cloexec = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    char k[16], c[16];
    snprintf(k, sizeof(k), "%d", keep);
    snprintf(c, sizeof(c), "%d", cloexec);
    char *args[] = {argv[0], argv[1], "1", k, c, NULL};
    execv("/proc/self/exe", args);
    CHECK(0, "execv of stage 1 failed: %s", strerror(errno));
    return check_done();
}
