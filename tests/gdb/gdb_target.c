/* The program gdb stops in: a main with a distinctive callee, so the test can
 * tell it from sabot's own entry. Exits 0 when run to the end. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A system call from one site each round: the libos serves the first
 * through a trap (SIGSYS), the others through the rewritten site. */
__attribute__((noinline)) int gdb_target_work(int n) {
    int sum = 0;
    for (int i = 1; i <= n; i++)
        sum += i + (getppid() < 0);
    return sum;
}

int main(int argc, char **argv) {
    int sum = gdb_target_work(argc > 1 ? (int)strlen(argv[1]) : 3);
    printf("gdb_target: sum %d\n", sum);
    return sum == 15 ? 0 : 1; /* run with one 5-character argument */
}
