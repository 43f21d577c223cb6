#!/bin/sh
# A signal from the host reaches the program's handler: runs
# `signals hostsig` (natively or under sabot), waits for "ready", sends
# SIG to the process from outside and expects "got SIG from outside", exit 0.
# usage: hostsig.sh [--sabot SABOT] WORKDIR PROG SIG
set -eu
sabot=
[ "$1" = --sabot ] && { sabot=$2; shift 2; }
work=$1 prog=$2 sig=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
if [ -n "$sabot" ]; then
    "$sabot" run -- "$prog" hostsig >out.txt 2>err.txt &
else
    "$prog" hostsig >out.txt 2>err.txt &
fi
pid=$!
i=0
while ! grep -q '^ready$' out.txt 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
fail() {
    echo "FAIL: $*"
    echo "---- stdout ----"; cat out.txt
    echo "---- stderr ----"; cat err.txt
    exit 1
}
grep -q '^ready$' out.txt || { kill -KILL $pid 2>/dev/null || true; fail "program never printed ready"; }
kill -s "$sig" $pid
set +e
wait $pid
rc=$?
set -e
[ $rc = 0 ] || fail "exit status $rc after SIG$sig, want 0 (the handler exits 0)"
grep -qx "got SIG$sig from outside" out.txt || fail "handler did not report 'got SIG$sig from outside'"
echo "PASS: SIG$sig from the host ran the program's handler"
cd /
rm -rf "$work"
