/* spawn [-i IN] [env VAR=VAL...] CMD...: runs CMD once with stdin on IN
 * (default /dev/null), stdout and stderr on /dev/null, and prints its wall
 * time from posix_spawn to its reaping, in us; exits with CMD's status. A
 * leading `env` (bench/run's column prefixes) is applied here, so that
 * env's own exec (about 0.6 ms) is not timed.
 * bench/run's start-to-exit rows used `date` before and after a shell
 * command, whose own forks added about 2 ms to every row. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
    const char *in = "/dev/null";
    if (argc > 2 && !strcmp(argv[1], "-i")) {
        in = argv[2];
        argv += 2, argc -= 2;
    }
    if (argc > 1 && !strcmp(argv[1], "env")) {
        argv++, argc--;
        while (argc > 1 && strchr(argv[1], '='))
            putenv(argv[1]), argv++, argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: spawn [-i IN] [env VAR=VAL...] CMD [ARG...]\n");
        return 2;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    struct timespec t0, t1;
    pid_t pid;
    int st;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ) != 0 ||
        waitpid(pid, &st, 0) != pid) {
        perror(argv[1]);
        return 127;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%lld\n",
           (long long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
