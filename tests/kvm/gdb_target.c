/* The program gdb debugs through the tender's gdbstub (run_gdb.sh): a main
 * with a distinctive callee and a global the session reads. Exits 7 when
 * run to the end untouched. */
#include <stdio.h>

int g_counter = 41;

__attribute__((noinline)) int gdb_kvm_work(int n) {
    int sum = 0;
    for (int i = 1; i <= n; i++)
        sum += i;
    return sum;
}

int main(int argc, char **argv) {
    int s = gdb_kvm_work(argc > 1 ? 5 : 3);
    g_counter += s;
    printf("gdb_target: %d %d %s\n", s, g_counter, argv[argc - 1]);
    return g_counter == 56 ? 7 : 1;
}
