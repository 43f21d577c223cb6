/* The default example: a static program that reads and writes files, run
 * unmodified under Sabot by `make run`. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct utsname u;
    uname(&u);
    printf("hello from %s, running under Sabot on %s %s\n", argv[0], u.sysname, u.machine);

    /* /tmp is a private tmpfs inside Sabot: this file never reaches the host. */
    FILE *f = fopen("/tmp/sabot-example.txt", "w+");
    if (!f) {
        perror("fopen /tmp/sabot-example.txt");
        return 1;
    }
    fputs("written inside the sandbox\n", f);
    rewind(f);
    char line[64] = "";
    fgets(line, sizeof(line), f);
    fclose(f);
    printf("read back from the private /tmp: %s", line);

    /* The host root is read-only by default. */
    if (fopen("/etc/sabot-example", "w") == NULL)
        perror("writing /etc/sabot-example (denied by the default manifest)");
    return 0;
}
