#!/bin/sh
# sabot-cc: builds cc_hello.c, checks that no `syscall` instruction is left
# in the program, and runs it under sabot with the trampoline (rewrite on)
# and without it (SABOT_REWRITE=0: every call reaches the libos through the
# PAL's fault path instead).
# usage: sabot_cc.sh SABOT_CC SABOT WORKDIR
set -eu
cc=$1 sabot=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$cc" -O2 -o hello "$here/cc_hello.c"
n=$(objdump -d hello | grep -c 'syscall *$' || true)
[ "$n" = 0 ] || { echo "FAIL: $n syscall instructions left"; exit 1; }
n=$(objdump -d hello | grep -c 'call  *\*%rax' || true)
[ "$n" -gt 5 ] || { echo "FAIL: only $n call *%rax sites"; exit 1; }
for rw in 1 0; do
    set +e
    env -i PATH=/usr/bin:/bin SABOT_REWRITE=$rw "$sabot" run -- ./hello x >out 2>err
    rc=$?
    set -e
    grep -qx 'hello from sabot-cc: pid 1, read 10, ppid ok 1' out && [ $rc = 3 ] || {
        echo "FAIL (SABOT_REWRITE=$rw): rc $rc"; cat out err; exit 1; }
done
echo "PASS: sabot-cc program runs with and without the trampoline"
cd / && rm -rf "$work"
