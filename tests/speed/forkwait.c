/* A fork child that waits to be looked at: fork_maps.sh reads the host
 * mappings of both processes, then kills the child. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t p = fork();
    if (p < 0)
        return 1;
    if (p == 0) {
        sleep(60);
        _exit(0);
    }
    printf("forked\n");
    fflush(stdout);
    int st;
    return waitpid(p, &st, 0) == p ? 0 : 1;
}
