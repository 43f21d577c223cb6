#!/bin/sh
# usage: run_limits.sh SABOT|native PROG WORKDIR RC EXPECT "SYS/LOADER TOML" ULIMIT -- ARGS...
# Runs PROG ARGS under sabot with a manifest whose extra lines are TOML
# (e.g. "[sys]\nmemory = \"64M\""), or natively under `ulimit ULIMIT`, and
# checks the exit status and that stdout has the line EXPECT.
set -u
sabot=$1 prog=$2 work=$3 rc_want=$4 expect=$5 extra=$6 ulim=$7
shift 8
mkdir -p "$work"
out=$work/out.txt
if [ "$sabot" = native ]; then
    (if [ -n "$ulim" ]; then ulimit $ulim || exit 99; fi; exec "$prog" "$@") >"$out" 2>&1
    rc=$?
else
    m=$work/m.toml
    printf '%b\n[[fs.mounts]]\npath = "/"\ntype = "host"\nsource = "/"\n' "$extra" >"$m"
    "$sabot" run -m "$m" -- "$prog" "$@" >"$out" 2>&1
    rc=$?
fi
if [ "$rc" != "$rc_want" ] || ! grep -qxF "$expect" "$out"; then
    echo "FAIL: $sabot $prog $*: exit $rc (want $rc_want), want the line: $expect"
    sed 's/^/  /' "$out"
    exit 1
fi
echo "PASS: $*"
