/* Thread churn must not leak: 3000 threads created and joined one after
 * another, run with a host file limit of 256 (each libos thread holds a
 * host wake event while it lives; a leaked one per thread ran out of host
 * descriptors at about the 244th thread). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *nothing(void *arg) {
    return arg;
}

int main(void) {
    for (int i = 0; i < 3000; i++) {
        pthread_t t;
        int e = pthread_create(&t, NULL, nothing, NULL);
        if (e) {
            printf("pthread_create %d: %s\n", i, strerror(e));
            return 1;
        }
        void *ret;
        if (pthread_join(t, &ret) || ret != NULL) {
            printf("pthread_join %d failed\n", i);
            return 1;
        }
    }
    puts("churn: ALL OK");
    return 0;
}
