#!/bin/sh
# KVM PAL vs Linux PAL vs native, side by side: start to main (a static
# hello), a null syscall (getppid), 1-byte and 4 KiB read loops on a file,
# fork+exit+wait. Then the KVM PAL's file reads with its request-ring
# server off (SABOT_KVM_RING_SERVER=0: one VM exit per call, as plain
# hypercalls) and on (docs/kvm.md "Request rings"), run alternately.
#   bench/kvm.sh [BUILD_DIR]   (default: build)
B=${1:-build}
SABOT=$B/runtime/sabot
[ -x "$SABOT" ] || { echo "no $SABOT: build first"; exit 1; }
[ -w /dev/kvm ] || { echo "/dev/kvm not accessible: nothing to compare"; exit 1; }
T=$(mktemp -d -p "$PWD" .kvmbench.XXXXXX) # not /tmp: private inside sabot
trap 'rm -rf "$T"' EXIT
cat > "$T/b.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
    if (argc < 3) return 0; /* start-to-main: nothing to do */
    long n = atol(argv[2]);
    double t0 = now();
    if (!strcmp(argv[1], "null")) {
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
    } else if (!strcmp(argv[1], "fork")) {
        for (long i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) _exit(0);
            waitpid(p, 0, 0);
        }
    } else {
        int fd = open(argv[3], O_RDONLY);
        static char buf[4096];
        size_t len = !strcmp(argv[1], "read4k") ? 4096 : 1;
        for (long i = 0; i < n; i++) pread(fd, buf, len, 0);
    }
    printf("%.0f\n", (now() - t0) / n);
    return 0;
}
C
musl-gcc -static -O2 -o "$T/b" "$T/b.c" || exit 1
head -c 8192 /dev/zero > "$T/f"
ms() { # average wall ms of N runs of a command
    n=$1; shift
    s=$(date +%s%N)
    i=0; while [ $i -lt $n ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
    echo $(( ($(date +%s%N) - s) / n / 1000 ))
}
printf '%-22s %12s %12s %12s %10s %10s\n' what native linux-PAL kvm-PAL kvm/native kvm/linux
row() { # name unit native linux kvm
    printf '%-22s %10s%s %10s%s %10s%s %10s %10s\n' "$1" "$3" "$2" "$4" "$2" "$5" "$2" \
        "$(echo "scale=1; $5 / ($3 + 0.001)" | bc)x" "$(echo "scale=1; $5 / ($4 + 0.001)" | bc)x"
}
row "start to main+exit" us "$(ms 20 "$T/b")" "$(ms 20 "$SABOT" run -- "$T/b")" \
    "$(ms 20 "$SABOT" run --pal kvm -- "$T/b")"
row "null syscall" ns "$("$T/b" null 1000000)" "$("$SABOT" run -- "$T/b" null 200000)" \
    "$("$SABOT" run --pal kvm -- "$T/b" null 100000)"
row "1-byte pread" ns "$("$T/b" read 1000000 "$T/f")" "$("$SABOT" run -- "$T/b" read 200000 "$T/f")" \
    "$("$SABOT" run --pal kvm -- "$T/b" read 20000 "$T/f")"
row "4 KiB pread" ns "$("$T/b" read4k 1000000 "$T/f")" \
    "$("$SABOT" run -- "$T/b" read4k 200000 "$T/f")" \
    "$("$SABOT" run --pal kvm -- "$T/b" read4k 20000 "$T/f")"
row "fork+exit+wait" ns "$("$T/b" fork 500)" "$("$SABOT" run -- "$T/b" fork 200)" \
    "$("$SABOT" run --pal kvm -- "$T/b" fork 100)"
# Ring server off vs on: the median of 5 alternating runs each (the
# machine is shared: single runs vary a lot).
med() { sort -n | sed -n 3p; }
ring_row() { # name mode
    off=""; on=""
    for i in 1 2 3 4 5; do
        off="$off $(SABOT_KVM_RING_SERVER=0 "$SABOT" run --pal kvm -- "$T/b" "$2" 20000 "$T/f")"
        on="$on $("$SABOT" run --pal kvm -- "$T/b" "$2" 20000 "$T/f")"
    done
    off=$(echo $off | tr ' ' '\n' | med); on=$(echo $on | tr ' ' '\n' | med)
    printf '%-22s %10sns %10sns %10s\n' "$1" "$off" "$on" "$(echo "scale=1; $off / ($on + 0.001)" | bc)x"
}
printf '\n%-22s %12s %12s %10s\n' "KVM PAL file reads" ring-off ring-on off/on
ring_row "1-byte pread" read
ring_row "4 KiB pread" read4k
