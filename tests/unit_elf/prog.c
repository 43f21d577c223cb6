/* A program for the loader tests: data, bss and code segments. */
#include <stdio.h>
static char big_bss[100000];
int initialized = 42;
int main(int argc, char **argv) {
    big_bss[argc] = 1;
    printf("%d %d\n", initialized, big_bss[1]);
    return 0;
}
