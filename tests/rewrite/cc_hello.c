#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char buf[64] = {0};
    int fd = open("/proc/self/cmdline", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    printf("hello from sabot-cc: pid %d, read %zd, ppid ok %d\n", getpid(), n, getppid() >= 0);
    return argc > 1 ? 3 : 0;
}
