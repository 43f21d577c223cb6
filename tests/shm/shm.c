/* POSIX shared memory and semaphores between forked processes, as glibc
 * does them (files in /dev/shm mapped MAP_SHARED, futexes in the pages),
 * and tmpfs files shared with forked children: MAP_SHARED coherence with
 * read/write, a shared file position, unlink and ftruncate of mapped
 * files. Prints the same lines natively and under sabot. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf(" (errno %d)\n", errno);                                                        \
            g_failed = 1;                                                                          \
        }                                                                                          \
    } while (0)

static char g_name[64], g_sem_name[64], g_tmp[64];

/* Waits for pid and returns its exit status, or 128+signal. */
static int reap(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void *map_shm(const char *name, int flags, size_t size) {
    int fd = shm_open(name, flags, 0600);
    CHECK(fd >= 0, "shm_open %s", name);
    if (fd < 0)
        return NULL;
    if (flags & O_CREAT)
        CHECK(ftruncate(fd, size) == 0, "ftruncate shm");
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    CHECK(p != MAP_FAILED, "mmap shm");
    return p == MAP_FAILED ? NULL : p;
}

static void test_shm_open(void) {
    char *p = map_shm(g_name, O_CREAT | O_EXCL | O_RDWR, 4096);
    if (!p)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(p, "written by the child");
        /* A second mapping by name in the child sees the same pages. */
        char *q = map_shm(g_name, O_RDWR, 4096);
        _exit(q && !strcmp(q, p) ? 0 : 1);
    }
    CHECK(reap(pid) == 0, "child status");
    printf("shm_open: parent reads \"%s\"\n", p);
    struct stat st;
    int fd = shm_open(g_name, O_RDONLY, 0);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 4096, "shm size");
    close(fd);
    munmap(p, 4096);
}

static void test_named_sem(void) {
    sem_t *s = sem_open(g_sem_name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(s != SEM_FAILED, "sem_open");
    if (s == SEM_FAILED)
        return;
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* Opened again by name: the same semaphore. */
        sem_t *t = sem_open(g_sem_name, 0);
        if (t == SEM_FAILED || sem_wait(t) != 0)
            _exit(1);
        *shared = 42;
        _exit(0);
    }
    usleep(50000); /* the child is asleep in sem_wait by now */
    CHECK(*shared == 0, "child waited");
    CHECK(sem_post(s) == 0, "sem_post");
    CHECK(reap(pid) == 0, "child status");
    printf("sem_open: child woke and wrote %d\n", *shared);
    int v = -1;
    sem_getvalue(s, &v);
    printf("sem_open: value after the handoff %d\n", v);
    sem_close(s);
    munmap(shared, 4096);
}

/* Two unnamed semaphores in shared memory: ping-pong between processes. */
struct pingpong {
    sem_t ping, pong;
    int count;
};

static void test_pingpong(void) {
    struct pingpong *pp =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(pp != MAP_FAILED, "mmap anon shared");
    sem_init(&pp->ping, 1, 0);
    sem_init(&pp->pong, 1, 0);
    enum { ROUNDS = 2000 };
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            sem_wait(&pp->ping);
            pp->count++;
            sem_post(&pp->pong);
        }
        _exit(0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        sem_post(&pp->ping);
        sem_wait(&pp->pong);
        pp->count++;
    }
    CHECK(reap(pid) == 0, "child status");
    printf("pingpong: count %d\n", pp->count);
    munmap(pp, 4096);
}

/* A process-shared mutex and condition variable in MAP_SHARED|ANONYMOUS. */
struct locked {
    pthread_mutex_t m;
    pthread_cond_t c;
    int counter, ready;
};

static void test_pshared_mutex(void) {
    struct locked *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&l->m, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&l->c, &ca);
    enum { N = 3, ITER = 20000 };
    pid_t pids[N];
    for (int k = 0; k < N; k++) {
        if ((pids[k] = fork()) == 0) {
            pthread_mutex_lock(&l->m);
            while (!l->ready)
                pthread_cond_wait(&l->c, &l->m);
            pthread_mutex_unlock(&l->m);
            for (int i = 0; i < ITER; i++) {
                pthread_mutex_lock(&l->m);
                l->counter++;
                pthread_mutex_unlock(&l->m);
            }
            _exit(0);
        }
    }
    usleep(20000);
    pthread_mutex_lock(&l->m);
    l->ready = 1;
    pthread_cond_broadcast(&l->c);
    pthread_mutex_unlock(&l->m);
    for (int k = 0; k < N; k++)
        CHECK(reap(pids[k]) == 0, "child status");
    printf("pshared mutex: counter %d\n", l->counter);
    munmap(l, 4096);
}

static void test_listing_and_unlink(void) {
    DIR *d = opendir("/dev/shm");
    CHECK(d != NULL, "opendir /dev/shm");
    int seen_shm = 0, seen_sem = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        seen_shm |= !strcmp(e->d_name, g_name + 1);
        seen_sem |= !strncmp(e->d_name, "sem.", 4) && !strcmp(e->d_name + 4, g_sem_name + 1);
    }
    if (d)
        closedir(d);
    printf("/dev/shm lists the memory %d and the semaphore %d\n", seen_shm, seen_sem);
    CHECK(shm_unlink(g_name) == 0, "shm_unlink");
    CHECK(sem_unlink(g_sem_name) == 0, "sem_unlink");
    errno = 0;
    int fd = shm_open(g_name, O_RDWR, 0);
    printf("after shm_unlink: shm_open %s\n", fd < 0 && errno == ENOENT ? "ENOENT" : "opens");
    errno = 0;
    sem_t *s = sem_open(g_sem_name, 0);
    printf("after sem_unlink: sem_open %s\n",
           s == SEM_FAILED && errno == ENOENT ? "ENOENT" : "opens");
}

/* A child killed with SIGTERM while it sleeps on a shared semaphore. */
static void test_sigterm_waiter(void) {
    sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(s, 1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        sem_wait(s);
        _exit(0);
    }
    usleep(50000);
    kill(pid, SIGTERM);
    printf("sigterm: waiter status %d\n", reap(pid));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    errno = 0;
    int r = sem_timedwait(s, &ts);
    printf("sem_timedwait: %d %s\n", r, errno == ETIMEDOUT ? "ETIMEDOUT" : "?");
    munmap(s, 4096);
}

/* A tmpfs file (the private /tmp under sabot): MAP_SHARED is coherent with
 * read/write, grows with ftruncate, outlives unlink. */
static void test_tmp_file_mapping(void) {
    int fd = open(g_tmp, O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(fd >= 0, "open %s", g_tmp);
    CHECK(write(fd, "hello", 5) == 5, "write");
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED, "mmap MAP_SHARED of a /tmp file");
    if (p == MAP_FAILED)
        return;
    printf("tmp map: sees write \"%.5s\"\n", p);
    memcpy(p, "HE", 2);
    char buf[16] = {0};
    pread(fd, buf, 5, 0);
    printf("tmp map: read sees map \"%s\"\n", buf);
    pwrite(fd, "LL", 2, 2);
    printf("tmp map: map sees pwrite \"%.5s\"\n", p);
    CHECK(ftruncate(fd, 6000) == 0, "ftruncate grow");
    p[5999] = 'Z';
    struct stat st;
    fstat(fd, &st);
    pread(fd, buf, 1, 5999);
    printf("tmp map: grown to %ld, last byte %c\n", (long)st.st_size, buf[0]);
    CHECK(unlink(g_tmp) == 0, "unlink");
    p[100] = 'U';
    pread(fd, buf, 1, 100);
    fstat(fd, &st);
    printf("tmp map: after unlink nlink %ld, byte %c\n", (long)st.st_nlink, buf[0]);
    /* A forked child's writes through the map and the fd reach us. */
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(p + 200, "kid", 3);
        pwrite(fd, "KID", 3, 300);
        _exit(0);
    }
    reap(pid);
    pread(fd, buf, 3, 200);
    printf("tmp map: child wrote \"%.3s\" and \"%.3s\"\n", buf, p + 300);
    munmap(p, 8192);
    close(fd);
}

/* The position of an open file is shared with a forked child:
 * `{ echo a; sh -c 'echo b'; echo c; } > f`. */
static void test_shared_offset(void) {
    int fd = open(g_tmp, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0, "open");
    write(fd, "a\n", 2);
    pid_t pid = fork();
    if (pid == 0) {
        write(fd, "b\n", 2);
        _exit(0);
    }
    reap(pid);
    write(fd, "c\n", 2);
    printf("offset: shared position %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    /* A file that existed before the fork: the child's data is ours. */
    pid = fork();
    if (pid == 0) {
        int f2 = open(g_tmp, O_WRONLY | O_APPEND);
        write(f2, "d\n", 2);
        _exit(0);
    }
    reap(pid);
    char buf[32] = {0};
    fd = open(g_tmp, O_RDONLY);
    read(fd, buf, sizeof(buf) - 1);
    close(fd);
    for (char *c = buf; *c; c++)
        if (*c == '\n')
            *c = ' ';
    printf("offset: file holds \"%s\"\n", buf);
    unlink(g_tmp);
}

/* A bound AF_UNIX path in /tmp is a socket file there (python's
 * forkserver chmods it, then connects to it). */
static void test_socket_node(void) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s.sock", g_tmp);
    int s = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(s, 1) == 0, "bind");
    struct stat st;
    int r = stat(a.sun_path, &st);
    printf("socket node: stat %d, a socket %d\n", r, r == 0 && S_ISSOCK(st.st_mode));
    printf("socket node: chmod %d, open %s\n", chmod(a.sun_path, 0600),
           open(a.sun_path, O_RDONLY) < 0 && errno == ENXIO ? "ENXIO" : "?");
    errno = 0;
    printf("socket node: bind again %s\n",
           bind(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRINUSE ? "EADDRINUSE"
                                                                                : "?");
    printf("socket node: connect %d\n", connect(c, (struct sockaddr *)&a, sizeof(a)));
    printf("socket node: unlink %d\n", unlink(a.sun_path));
    close(c);
    close(s);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    snprintf(g_name, sizeof(g_name), "/sabot-shm-%d", (int)getpid());
    snprintf(g_sem_name, sizeof(g_sem_name), "/sabot-sem-%d", (int)getpid());
    snprintf(g_tmp, sizeof(g_tmp), "/tmp/sabot-shm-test-%d", (int)getpid());
    test_shm_open();
    test_named_sem();
    test_pingpong();
    test_pshared_mutex();
    test_listing_and_unlink();
    test_sigterm_waiter();
    test_tmp_file_mapping();
    test_shared_offset();
    test_socket_node();
    printf(g_failed ? "shm: FAILED\n" : "shm: ALL OK\n");
    return g_failed;
}
