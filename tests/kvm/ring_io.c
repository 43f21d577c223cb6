/* File I/O through the KVM PAL's request rings (docs/kvm.md): several
 * threads (one ring each, one server for all) and forked children (the
 * child tender builds its own server) open, write, read, stat, list and
 * remove files, and check every byte. Natively it must pass the same way.
 *   ring_io threads|fork */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 2000
static int g_bad;

static void bad(const char *what, long id, int i) {
    if (__atomic_fetch_add(&g_bad, 1, __ATOMIC_RELAXED) < 10)
        printf("not ok: %s (worker %ld, round %d)\n", what, id, i);
}

/* One worker: its own file, written and read back a byte at a time, and
 * the shared alphabet file opened, read and closed again and again. */
static void *work(void *arg) {
    long id = (long)arg;
    char name[64], c, d;
    snprintf(name, sizeof(name), "ring_io.%ld.%d", id, (int)getpid());
    int w = open(name, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (w < 0)
        bad("open own file", id, 0);
    for (int i = 0; i < ROUNDS && w >= 0; i++) {
        c = (char)('a' + (i + id) % 26);
        if (pwrite(w, &c, 1, i % 100) != 1)
            bad("pwrite", id, i);
        if (pread(w, &d, 1, i % 100) != 1 || d != c)
            bad("pread own file", id, i);
        int fd = open("ring_io.abc", O_RDONLY);
        if (fd < 0 || pread(fd, &d, 1, i % 26) != 1 || d != 'a' + i % 26)
            bad("pread alphabet", id, i);
        close(fd);
        struct stat st;
        if (i % 50 == 0 && (fstat(w, &st) < 0 || st.st_size != (i < 99 ? i + 1 : 100)))
            bad("fstat size", id, i);
    }
    close(w);
    if (unlink(name) < 0)
        bad("unlink", id, 0);
    return NULL;
}

static int count_entries(void) {
    DIR *d = opendir(".");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += !strcmp(e->d_name, "ring_io.abc");
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "threads";
    int fd = open("ring_io.abc", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "abcdefghijklmnopqrstuvwxyz", 26) != 26) {
        printf("not ok: cannot write ring_io.abc\n");
        return 1;
    }
    close(fd);
    if (!strcmp(mode, "threads")) {
        pthread_t t[6];
        for (long i = 0; i < 6; i++)
            if (pthread_create(&t[i], NULL, work, (void *)i) != 0)
                bad("pthread_create", i, 0);
        for (int i = 0; i < 6; i++)
            pthread_join(t[i], NULL);
    } else {
        for (int k = 0; k < 3; k++) {
            pid_t p = fork();
            if (p == 0) {
                work((void *)(long)(10 + k));
                _exit(g_bad ? 1 : 0);
            }
            work((void *)(long)k);
            int st = 0;
            if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
                bad("child", k, 0);
        }
    }
    if (count_entries() != 1)
        bad("readdir", 0, 0);
    unlink("ring_io.abc");
    if (g_bad)
        printf("ring_io: FAILED (%d bad)\n", g_bad);
    else
        printf("ring_io: ALL OK\n");
    return g_bad != 0;
}
