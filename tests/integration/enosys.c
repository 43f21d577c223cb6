/* An unimplemented system call answers ENOSYS every time (the libos logs
 * its name once; trace_log.sh checks the log). */
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

int main(void) {
    check_init("enosys");
    for (int i = 0; i < 3; i++) {
        errno = 0;
        long r = syscall(444 /* landlock_create_ruleset */, NULL, 0, 0);
        CHECK(r == -1 && errno == ENOSYS, "call %d: -1 ENOSYS (got %ld %s)", i, r, errname(errno));
    }
    return check_done();
}
