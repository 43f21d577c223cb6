/* Waits in sleep(); with an argument it handles SIGTERM/SIGINT/SIGHUP and
 * reports which arrived (and that sleep was cut short). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_got;

static void on_signal(int sig) {
    g_got = sig;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "stop") == 0) {
        printf("stopping\n");
        fflush(stdout);
        raise(SIGSTOP); /* default action: the process stops until SIGCONT */
        printf("resumed\n");
        return 0;
    }
    if (argc > 1) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
    }
    printf("ready\n");
    fflush(stdout);
    unsigned left = sleep(30);
    printf("signal %d, sleep interrupted: %s\n", (int)g_got, left > 0 ? "yes" : "no");
    return 0;
}
