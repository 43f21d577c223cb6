/* A program that never stops on its own: two threads spin in app code
 * until gdb sets g_stop (run_gdb.sh interrupt: Ctrl-C while it runs). */
#include <pthread.h>
#include <stdio.h>

volatile int g_stop;
volatile unsigned long g_iter[2];

static void *spin(void *arg) {
    int i = (int)(long)arg;
    while (!g_stop)
        g_iter[i]++;
    return NULL;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, spin, (void *)1L);
    printf("gdb_spin: spinning\n");
    fflush(stdout);
    spin(0);
    pthread_join(t, NULL);
    printf("gdb_spin: stopped\n");
    return 9;
}
