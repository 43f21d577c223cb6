/* Host signals sent to the program's process (the KVM tender): SIGINT,
 * SIGHUP, SIGQUIT and SIGTERM reach the app's handlers, while it sleeps in
 * a system call ("sleep") or spins in its own code ("spin"); without
 * handlers ("default") the default actions (and inherited SIG_IGN) hold. Prints "ready" when the
 * handlers are in place; run_hostsig.sh sends the signals and compares with a native run.   usage:
 * hostsig sleep|spin|default */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_got[32];

static void on_signal(int sig) {
    g_got[sig]++;
}

static int all_seen(void) {
    return g_got[SIGINT] && g_got[SIGHUP] && g_got[SIGQUIT] && g_got[SIGTERM];
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "sleep";
    if (strcmp(mode, "default")) {
        int sigs[] = {SIGINT, SIGHUP, SIGQUIT, SIGTERM};
        for (int i = 0; i < 4; i++)
            signal(sigs[i], on_signal);
    }
    printf("ready\n");
    fflush(stdout);
    /* Up to ~20 s (the runner sends the signals at once; no timing is
     * asserted, the bound only ends a run whose signals were lost). */
    for (int i = 0; i < 800 && !all_seen(); i++) {
        if (!strcmp(mode, "spin")) {
            for (volatile long k = 0; k < 5000000 && !all_seen(); k++) {
            }
        } else {
            usleep(25000);
        }
    }
    printf("INT %d HUP %d QUIT %d TERM %d\n", (int)g_got[SIGINT], (int)g_got[SIGHUP],
           (int)g_got[SIGQUIT], (int)g_got[SIGTERM]);
    return 0;
}
