/* Exits with the status given in argv[1] ("exitcode 42"); the parent sees
 * status & 0xff, as with exit(3) on Linux. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: exitcode N\n");
        return 2;
    }
    int code = atoi(argv[1]);
    printf("exitcode: exiting with %d\n", code);
    fflush(stdout);
    exit(code);
}
