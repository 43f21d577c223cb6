/* Kills itself with SIGABRT through abort(); the shell (and sabot) report
 * 128 + 6 = 134. Output printed before must not be lost. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("abortself: calling abort()\n");
    fflush(stdout);
    abort();
}
