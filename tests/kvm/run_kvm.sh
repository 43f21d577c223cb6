#!/bin/sh
# Programs on the KVM PAL (`sabot run --pal kvm`), each compared with the
# same command run natively: output and exit status.
#   run_kvm.sh SABOT WORKDIR
SABOT=$1
W=$2
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
mkdir -p "$W/kvm_prog" && cd "$W/kvm_prog" || exit 1
fail=0
printf 'one\ntwo\nthree\n' > in.txt
mkdir -p d && touch d/a d/b && mkdir -p d/c
cat > hello.c <<'C'
#include <stdio.h>
int main(int argc, char **argv) { printf("hello %d %s\n", argc, argv[argc - 1]); return 3; }
C
musl-gcc -static -O1 -o hello-musl hello.c || exit 1
# A signal to a thread that spins in app code (never enters the libos):
# the tender must stop its vCPU and send it through the PAL's interrupt
# path. Then 300 threads one after another (vCPU slots are reused) and
# 40 at once.
cat > threads.c <<'C'
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile int flag, started;
static void h(int s) { flag = 1; }
static void *spin(void *a) { started = 1; while (!flag) ; return 0; }
static void *add(void *a) { __atomic_add_fetch((int *)a, 1, __ATOMIC_RELAXED); return 0; }
int main(void) {
    signal(SIGUSR1, h);
    pthread_t t, ts[40];
    pthread_create(&t, 0, spin, 0);
    while (!started) ;
    usleep(10000);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, 0);
    printf("spinning thread interrupted\n");
    int n = 0;
    for (int i = 0; i < 300; i++) {
        if (pthread_create(&t, 0, add, &n)) { printf("create %d failed\n", i); return 1; }
        pthread_join(t, 0);
    }
    for (int i = 0; i < 40; i++) pthread_create(&ts[i], 0, add, &n);
    for (int i = 0; i < 40; i++) pthread_join(ts[i], 0);
    printf("%d threads ran\n", n);
    return 0;
}
C
musl-gcc -static -O1 -o threads threads.c -lpthread || exit 1

check() { # name, command...
    name=$1
    shift
    "$@" > native.out 2>&1
    ns=$?
    "$SABOT" run --pal kvm -- "$@" > kvm.out 2>&1
    ks=$?
    if [ $ns -ne $ks ] || ! cmp -s native.out kvm.out; then
        echo "not ok: $name (native $ns, kvm $ks)"
        diff native.out kvm.out | head -10
        fail=1
    else
        echo "ok: $name"
    fi
}
check musl-hello ./hello-musl a b
check threads ./threads
check python3 /usr/bin/python3 -c 'import sys; print(1, sys.argv)'
# fork: the tender forks, the child builds a VM over copy-on-write memory;
# the process table is shared memory both VMs map.
cat > forks.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    int sum = 0, shared = 5;
    for (int i = 0; i < 100; i++) {
        pid_t p = fork();
        if (p == 0) { shared = 99; _exit(i % 7); } /* the parent's copy is untouched */
        int st;
        if (waitpid(p, &st, 0) != p || !WIFEXITED(st)) { printf("wait %d failed\n", i); return 1; }
        sum += WEXITSTATUS(st);
    }
    printf("100 forks, status sum %d, shared %d\n", sum, shared);
    return 0;
}
C
musl-gcc -static -O1 -o forks forks.c || exit 1
check forks ./forks
check busybox-sh-pipeline busybox sh -c 'ls / | sort | head -3; echo $(( 6 * 7 )); (sleep 0.2; exit 3); echo $?'
check python3-subprocess /usr/bin/python3 -c 'import subprocess, os
print(subprocess.run(["busybox", "echo", "sub"], capture_output=True).stdout)
pid = os.fork()
if pid == 0: os._exit(7)
print(os.waitpid(pid, 0)[1] >> 8)'
check busybox-sh-builtins busybox sh -c 'x=6; echo $((x * 7)); for i in a b; do echo $i; done'
check busybox-echo busybox echo hi there
check busybox-ls busybox ls -a d
check busybox-cat busybox cat in.txt
check busybox-wc busybox wc -l in.txt
check busybox-false busybox false
check busybox-cat-missing busybox cat nosuchfile
check busybox-sha256 busybox sha256sum in.txt
# pal.name = "kvm" in a manifest selects the KVM PAL too.
cat > kvm.toml <<T
[pal]
name = "kvm"
[fs]
cwd = "$PWD"
[[fs.mounts]]
path = "/"
type = "host"
source = "/"
readonly = true
T
out=$("$SABOT" run -m kvm.toml -- /usr/bin/busybox uname -r)
[ "$out" = "$(uname -r)" ] && echo "ok: manifest pal.name" || { echo "not ok: manifest pal.name: $out"; fail=1; }
# After set-up the tender runs under its seccomp allowlist (filter mode 2).
"$SABOT" run --pal kvm -- busybox sleep 1 &
pid=$!
sleep 0.5
mode=$(grep '^Seccomp:' /proc/$pid/status 2>/dev/null | tr -dc 0-9)
nnp=$(grep '^NoNewPrivs:' /proc/$pid/status 2>/dev/null | tr -dc 0-9)
wait $pid
if [ "$mode" = 2 ] && [ "$nnp" = 1 ]; then
    echo "ok: tender confined (seccomp filter, no new privileges)"
else
    echo "not ok: tender Seccomp: '$mode' NoNewPrivs: '$nnp'"
    fail=1
fi
exit $fail
