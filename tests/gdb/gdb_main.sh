#!/bin/sh
# gdb must stop at `break main` in the app run under sabot, show it as frame
# #0 in bt, and let it run to a normal exit.
#
# usage: gdb_main.sh SABOT|native SABOT_GDB_PY PROGRAM WORKDIR [libos-bt]
# "native" runs PROGRAM under gdb directly: it checks that gdb itself works
# here (ptrace allowed), so a failure of the sabot run is sabot's.
# libos-bt: stop in the libos instead (serving the app's getppid, trapped
# and then through the rewritten site) and check that bt goes on into the
# app's frames both times. It turns the rewrite on (SABOT_REWRITE=1: the
# build may have it off by default) and skips where it cannot be had.
set -eu

# Paths given relative to where the script was started still work after cd.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
sabot=$1 gdbpy=$(abspath "$2") prog=$(abspath "$3") work=$4 mode=${5:-main}
[ "$sabot" = native ] || sabot=$(abspath "$sabot")
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v gdb >/dev/null 2>&1; then
    echo "SKIP: gdb is not installed"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
cd "$work"

if [ "$sabot" = native ]; then
    set -- gdb -nx -batch -x "$here/main.gdb" --args "$prog" hello
else
    if [ ! -f "$gdbpy" ]; then
        echo "FAIL: $gdbpy (the SIGSYS handling script) is missing"
        exit 1
    fi
    script=$here/main.gdb
    [ "$mode" = libos-bt ] && script=$here/libos_bt.gdb && export SABOT_REWRITE=1
    set -- gdb -nx -batch -x "$gdbpy" -x "$script" --args "$sabot" run -- "$prog" hello
fi
echo "command: $*"
set +e
timeout 100 "$@" </dev/null >out.txt 2>&1
rc=$?
set -e

fail=0
check() { # check REGEX WHAT
    if ! grep -Eq "$1" out.txt; then
        echo "FAIL: $2 (no line matching: $1)"
        fail=1
    fi
}
if [ "$mode" = libos-bt ]; then
    if grep -q 'fast syscalls off' out.txt; then
        echo "SKIP: no syscall rewrite here: $(grep -m1 'fast syscalls off' out.txt)"
        exit 77
    fi
    check '^Breakpoint 1, (.* in )?libos_sys_getppid' "gdb did not stop in the libos's getppid"
    check '^#[0-9]+ +<signal handler called>' "bt did not cross the SIGSYS frame"
    check '^#[0-9]+ .* in pal_rewrite_dispatch ' "the second call did not come through the rewrite"
    for f in gdb_target_work main; do
        n=$(grep -Ec "^#[0-9]+ .*$f \(.*\) at .*gdb_target\.c:[0-9]+" out.txt)
        [ "$n" -ge 2 ] || { echo "FAIL: $f in $n of the 2 backtraces"; fail=1; }
    done
else
    check '^Breakpoint 1, main \(.*\) at .*gdb_target\.c:[0-9]+' \
        "gdb did not stop at the app's main (gdb_target.c)"
    check '^#0  main \(.*\) at .*gdb_target\.c:[0-9]+' "bt frame #0 is not the app's main"
fi
check '^gdb_target: sum 15$' "the program's output is missing"
check '^\[Inferior 1 \(process [0-9]+\) exited normally\]' "the program did not exit normally"
if [ $rc = 124 ]; then
    echo "FAIL: gdb timed out"
    fail=1
fi
if [ $fail = 1 ]; then
    echo "---- gdb output (last 80 lines; gdb exit status $rc) ----"
    tail -n 80 out.txt
    exit 1
fi
grep -E '^(Breakpoint 1,|#[0-9]|\[Inferior)' out.txt
echo "PASS"
cd / && rm -rf "$work"
