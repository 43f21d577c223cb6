/* inotify on the scratch directory (host mount under sabot) and on /tmp
 * (tmpfs under sabot): the events of creating, writing, closing,
 * chmod, renaming and deleting, IN_DELETE_SELF/IN_IGNORED, reading
 * (non-blocking, blocking, too small), poll, rm_watch. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "ptest.h"

#define MASK                                                                                       \
    (IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |            \
     IN_ATTRIB | IN_DELETE_SELF)

static char g_buf[4096] __attribute__((aligned(8)));
static int g_len, g_off;

/* The next event, reading more when needed (non-blocking). */
static struct inotify_event *next_event(int fd) {
    if (g_off >= g_len) {
        g_len = read(fd, g_buf, sizeof(g_buf));
        g_off = 0;
        if (g_len <= 0)
            return NULL;
    }
    struct inotify_event *e = (void *)(g_buf + g_off);
    g_off += sizeof(*e) + e->len;
    return e;
}

static void creat_later(void *arg) {
    close(open(arg, O_WRONLY | O_CREAT, 0644));
}

static void expect(int fd, int wd, uint32_t mask, const char *name, uint32_t *cookie) {
    struct inotify_event *e = next_event(fd);
    if (!e) {
        CHECK(0, "want event %x %s, got none (%s)", mask, name ? name : "", strerror(errno));
        return;
    }
    const char *n = e->len ? e->name : NULL;
    bool ok = e->wd == wd && e->mask == mask && (name ? n && !strcmp(n, name) : n == NULL);
    CHECK(ok, "event wd %d mask %x name %s (want %d %x %s)", e->wd, e->mask, n ? n : "-", wd, mask,
          name ? name : "-");
    if (cookie)
        *cookie = e->cookie;
}

static void run(const char *dir) {
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0, "inotify_init1 -> %d", in);
    CHECK(fcntl(in, F_GETFD) == FD_CLOEXEC, "IN_CLOEXEC");
    char path[256], p2[256];
    snprintf(path, sizeof(path), "%s/in.d", dir);
    mkdir(path, 0755);
    int wd = inotify_add_watch(in, path, MASK);
    CHECK(wd > 0, "add_watch %s -> %d", path, wd);
    CHECK(inotify_add_watch(in, path, IN_MODIFY | IN_MASK_ADD) == wd, "same object: same wd");
    CHECK_ERR(read(in, g_buf, sizeof(g_buf)), EAGAIN);

    snprintf(path, sizeof(path), "%s/in.d/a", dir);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    write(fd, "x", 1);
    write(fd, "y", 1); /* merged with the previous IN_MODIFY */
    close(fd);
    chmod(path, 0600);
    snprintf(p2, sizeof(p2), "%s/in.d/b", dir);
    rename(path, p2);
    unlink(p2);
    snprintf(path, sizeof(path), "%s/in.d/sub", dir);
    mkdir(path, 0755);
    rmdir(path);

    int n = 0;
    CHECK(ioctl(in, FIONREAD, &n) == 0 && n > 0, "FIONREAD %d", n);
    struct pollfd pfd = {in, POLLIN, 0};
    CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN, "poll: readable");
    expect(in, wd, IN_CREATE, "a", NULL);
    expect(in, wd, IN_MODIFY, "a", NULL);
    expect(in, wd, IN_CLOSE_WRITE, "a", NULL);
    expect(in, wd, IN_ATTRIB, "a", NULL);
    uint32_t c1 = 0, c2 = 1;
    expect(in, wd, IN_MOVED_FROM, "a", &c1);
    expect(in, wd, IN_MOVED_TO, "b", &c2);
    CHECK(c1 == c2 && c1 != 0, "move cookies pair: %u %u", c1, c2);
    expect(in, wd, IN_DELETE, "b", NULL);
    expect(in, wd, IN_CREATE | IN_ISDIR, "sub", NULL);
    expect(in, wd, IN_DELETE | IN_ISDIR, "sub", NULL);
    CHECK(next_event(in) == NULL && errno == EAGAIN, "queue drained");

    /* A watch on a file: its own events, then DELETE_SELF and IGNORED. */
    snprintf(path, sizeof(path), "%s/in.d/f", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    close(fd);
    next_event(in); /* CREATE f on the directory watch */
    next_event(in); /* CLOSE_WRITE f */
    int wf = inotify_add_watch(in, path, IN_MODIFY | IN_DELETE_SELF);
    CHECK(wf > 0 && wf != wd, "file watch %d", wf);
    CHECK(inotify_rm_watch(in, wd) == 0, "rm_watch dir");
    expect(in, wd, IN_IGNORED, NULL, NULL);
    fd = open(path, O_WRONLY);
    write(fd, "z", 1);
    close(fd);
    unlink(path);
    expect(in, wf, IN_MODIFY, NULL, NULL);
    expect(in, wf, IN_DELETE_SELF, NULL, NULL);
    expect(in, wf, IN_IGNORED, NULL, NULL);
    CHECK_ERR(inotify_rm_watch(in, wf), EINVAL);

    /* A blocking read waits for the event another thread causes. */
    snprintf(path, sizeof(path), "%s/in.d", dir);
    wd = inotify_add_watch(in, path, IN_CREATE | IN_ONLYDIR);
    fcntl(in, F_SETFL, 0);
    snprintf(p2, sizeof(p2), "%s/in.d/late", dir);
    struct later l;
    long long t0 = now_ms();
    later_start(&l, 100, creat_later, p2);
    g_len = g_off = 0;
    expect(in, wd, IN_CREATE, "late", NULL);
    CHECK(now_ms() - t0 >= 80, "blocking read waited %lld ms", now_ms() - t0);
    later_join(&l);
    unlink(p2);
    creat_later(p2); /* an event with a name: too big for a bare header */
    CHECK_ERR(read(in, g_buf, sizeof(struct inotify_event)), EINVAL);
    g_len = g_off = 0;
    expect(in, wd, IN_CREATE, "late", NULL);
    unlink(p2);
    rmdir(path);
    CHECK_ERR(inotify_add_watch(in, "no/such", IN_CREATE), ENOENT);
    CHECK_ERR(inotify_add_watch(in, path, 0), EINVAL);
    CHECK_ERR(inotify_add_watch(0, ".", IN_CREATE), EINVAL);
    CHECK_ERR(inotify_add_watch(99, ".", IN_CREATE), EBADF);
    CHECK_ERR(inotify_init1(5), EINVAL);
    close(in);
}

int main(int argc, char **argv) {
    check_init("inotify");
    if (argc < 2) {
        printf("usage: inotify WORKDIR\n");
        return 2;
    }
    run(argv[1]);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "/tmp/sabot-inotify-%d", (int)getpid());
    mkdir(tmp, 0755);
    run(tmp);
    rmdir(tmp);
    return check_done();
}
