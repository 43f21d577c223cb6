#!/bin/sh
# usage: fork_maps.sh SABOT FORKWAIT
# A fast-fork child does not inherit the host mappings of the runtime's
# shared libraries or glibc's heap (the libos process uses neither once
# booted): the child's host /proc/PID/maps has no libc and no [heap] while
# its parent's has libc; ld.so stays in both (the PAL extends its r_debug
# list for gdb), and so does the initial stack (the host's view of the
# command line).
sabot=$1 prog=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$sabot" run -- "$prog" >"$out" &
run=$!
i=0
while ! grep -q forked "$out" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
# The fork child runs the program, and so does its parent (the host process
# the libos booted in), both with the program in their command line.
parent= child=
for p in $(pgrep -f "$prog"); do
    pp=$(awk '/^PPid:/ { print $2 }' /proc/$p/status 2>/dev/null)
    if grep -q "$prog" /proc/$pp/cmdline 2>/dev/null && grep -q "$prog" /proc/$p/cmdline; then
        parent=$pp child=$p
    fi
done
fail=0
check() { # DESCRIPTION CONDITION...
    d=$1
    shift
    if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
if [ -z "$child" ]; then
    echo "FAIL: no fork child found"
    kill $run 2>/dev/null
    exit 1
fi
check "parent maps libc" grep -q 'libc[.-]' /proc/$parent/maps
check "child maps no libc" sh -c "! grep -q 'libc[.-]' /proc/$child/maps"
check "child keeps ld.so (gdb's r_debug)" grep -q 'ld-linux' /proc/$child/maps
check "child has no glibc heap (the PAL copied what it needs)" sh -c "! grep -q '\[heap\]' /proc/$child/maps"
check "child keeps its command line" grep -q forkwait /proc/$child/cmdline
check "child has fewer mappings" test "$(wc -l </proc/$child/maps)" -lt "$(wc -l </proc/$parent/maps)"
kill $child
wait $run
rc=$?
check "the parent's wait ended (exit $rc)" test $rc -eq 0
[ $fail = 0 ] && echo "fork_maps: ALL OK"
exit $fail
