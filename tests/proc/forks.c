/* fork at volume, fork from a thread while others run and hold locks, the
 * process limit, and what a child shares with its parent: shared memory,
 * file offsets, pipes; and address-space changes racing in two threads.
 * Usage: forks loop|threads|mmthreads|mmrace|limit|shared|vfork N */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../integration/check.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fork_wait(int code) {
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    int st = -1;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_stop;

static void *busy(void *arg) {
    while (!g_stop) {
        pthread_mutex_lock(&g_mu);
        void *p = malloc(64 + (uintptr_t)arg);
        free(p);
        pthread_mutex_unlock(&g_mu);
    }
    return NULL;
}

/* Maps, fills, protects and unmaps memory while another thread forks: the
 * child is a snapshot (a checkpoint fork once read memory another thread
 * had just unmapped, and crashed). */
static void *churn(void *arg) {
    while (!g_stop) {
        size_t len = 64 * 4096;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            continue;
        for (size_t i = 0; i < len; i += 4096)
            p[i] = 1;
        mprotect(p, len / 2, PROT_NONE);
        munmap(p, len);
    }
    return NULL;
}

/* Maps a page, uses it as a syscall buffer, unmaps it, while churn() maps
 * and unmaps next to it: the kernel hands out the range churn just freed,
 * and a page the program holds must stay its memory (an munmap racing
 * with an mmap once dropped the new page from sabot's view: EFAULT). */
static int g_page_errno;
static void *page_user(void *arg) {
    int fd = *(int *)arg, bad = 0;
    for (int i = 0; i < 20000 && !bad; i++) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            continue;
        p[0] = 'x';
        if (write(fd, p, 1) != 1) {
            bad = i + 1;
            g_page_errno = errno;
        }
        munmap(p, 4096);
    }
    return (void *)(intptr_t)bad;
}

static void *forker(void *arg) {
    int bad = 0;
    for (int i = 0; i < 50; i++) {
        pid_t pid = fork();
        if (pid == 0) { /* only this thread exists here; malloc must work */
            char *p = malloc(1000);
            _exit(p ? 0 : 1);
        }
        int st = -1;
        pid_t w = waitpid(pid, &st, 0);
        if (w != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            if (!bad++) /* what went wrong, once */
                printf("info fork %d: pid %d, waitpid %d (errno %d), status %#x\n", i, (int)pid,
                       (int)w, errno, st);
        }
    }
    return (void *)(intptr_t)bad;
}

/* What fork shares: MAP_SHARED anonymous memory and memfd mappings stay
 * one memory, MAP_PRIVATE memory is a copy, an open file keeps one offset,
 * a pipe made before fork connects the two. */
static void shared(void) {
    int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int mfd = memfd_create("forks", 0);
    CHECK(anon != MAP_FAILED && priv != MAP_FAILED && mfd >= 0 && ftruncate(mfd, 4096) == 0,
          "set-up");
    int *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    int fd = open("offset.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int p[2];
    CHECK(mem != MAP_FAILED && fd >= 0 && pipe(p) == 0, "set-up 2");
    struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = "listen.sock"};
    unlink(sun.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == 0 && listen(ls, 1) == 0,
          "a listening socket");
    anon[0] = mem[0] = priv[0] = 1;
    pid_t c = fork();
    if (c == 0) {
        anon[0] = 2, mem[0] = 3, priv[0] = 4;
        anon[1] = priv[0] == 4; /* our own copy is writable */
        write(fd, "child ", 6);
        write(p[1], "via pipe", 8);
        int a = accept(ls, NULL, NULL); /* still listening in the child */
        _exit(a >= 0 && write(a, "accepted", 8) == 8 ? 0 : 1);
    }
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    char got[16] = {0};
    CHECK(cs >= 0 && connect(cs, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
              read(cs, got, sizeof(got) - 1) == 8 && !strcmp(got, "accepted"),
          "the child accepts on the socket it inherited: '%s'", got);
    int st = -1;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited 0");
    CHECK(anon[0] == 2 && anon[1] == 1, "MAP_SHARED|MAP_ANONYMOUS written by the child: %d",
          anon[0]);
    CHECK(mem[0] == 3, "memfd MAP_SHARED written by the child: %d", mem[0]);
    CHECK(priv[0] == 1, "MAP_PRIVATE stays ours: %d", priv[0]);
    char buf[16] = {0};
    CHECK(read(p[0], buf, sizeof(buf) - 1) == 8 && !strcmp(buf, "via pipe"), "pipe: '%s'", buf);
    write(fd, "parent", 6);
    CHECK(lseek(fd, 0, SEEK_CUR) == 12, "the offset is shared: %ld", (long)lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof(buf));
    CHECK(pread(fd, buf, 12, 0) == 12 && !strcmp(buf, "child parent"), "file: '%s'", buf);
}

/* vfork: the parent runs again only once the child has exec'd or ended. */
static void vforks(void) {
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    double t0 = now();
    pid_t c = vfork();
    if (c == 0) {
        usleep(200000); /* the parent must still be waiting after this */
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    double waited = now() - t0;
    CHECK(waited >= 0.18, "vfork returned after the child's exec: %.3f s", waited);
    int st = -1;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "true exited 0");
    t0 = now();
    c = vfork();
    if (c == 0) {
        usleep(200000);
        _exit(7); /* an exit lets the parent go on too */
    }
    waited = now() - t0;
    CHECK(waited >= 0.18, "vfork returned after the child's exit: %.3f s", waited);
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7, "exit status 7");
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv) {
    check_init("forks");
    if (!strcmp(argv[1], "vfork")) {
        vforks();
        return check_done();
    }
    if (!strcmp(argv[1], "shared")) {
        shared();
        return check_done();
    }
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    if (!strcmp(argv[1], "loop")) {
        double t0 = now();
        int bad = 0;
        for (int i = 0; i < n; i++)
            bad += fork_wait(i & 0x7f) != (i & 0x7f);
        double us = (now() - t0) / n * 1e6;
        CHECK(bad == 0, "%d forks with exit codes seen by waitpid (%d wrong)", n, bad);
        printf("info fork+wait: %.0f us each\n", us);
    } else if (!strcmp(argv[1], "threads") || !strcmp(argv[1], "mmthreads")) {
        bool mm = argv[1][0] == 'm'; /* one more thread changes the address space */
        pthread_t th[5], f;
        for (int i = 0; i < 4; i++)
            pthread_create(&th[i], NULL, busy, (void *)(uintptr_t)i);
        if (mm)
            pthread_create(&th[4], NULL, churn, NULL);
        void *bad;
        pthread_create(&f, NULL, forker, NULL);
        pthread_join(f, &bad);
        g_stop = 1;
        for (int i = 0; i < 4 + mm; i++)
            pthread_join(th[i], NULL);
        CHECK(bad == NULL, "50 forks from a thread while 4 others run malloc and locks%s (%d bad)",
              mm ? ", one maps and unmaps" : "", (int)(intptr_t)bad);
    } else if (!strcmp(argv[1], "mmrace")) {
        int fd = open("/dev/null", O_WRONLY);
        pthread_t c, u;
        void *bad;
        pthread_create(&c, NULL, churn, NULL);
        pthread_create(&u, NULL, page_user, &fd);
        pthread_join(u, &bad);
        g_stop = 1;
        pthread_join(c, NULL);
        CHECK(bad == NULL,
              "20000 pages mapped, written from and unmapped while another thread "
              "maps and unmaps (%s)",
              bad ? strerror(g_page_errno) : "every write went through");
    } else { /* limit: n processes in all may live */
        pid_t kids[64];
        int made = 0, err = 0;
        for (int i = 0; i < n + 1 && i < 64; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                sleep(2);
                _exit(0);
            }
            if (pid < 0) {
                err = errno;
                break;
            }
            kids[made++] = pid;
        }
        CHECK(made == n - 1 && err == EAGAIN, "%d children (want %d), then EAGAIN (got %s)", made,
              n - 1, errname(err));
        for (int i = 0; i < made; i++)
            kill(kids[i], SIGKILL), waitpid(kids[i], NULL, 0);
    }
    return check_done();
}
