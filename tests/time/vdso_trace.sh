#!/bin/sh
# The vDSO serves time without trapping: under --trace a static program
# calling clock_gettime/gettimeofday/time/getcpu in a loop for a second
# shows at most 8 of those syscalls (the libos calibrates the TSC lazily:
# the first calls of a process trap until the eighth waits out the rest
# of its 0.5 ms interval), and its realtime falls between two host `date`
# readings.
# usage: vdso_trace.sh SABOT PROGRAM WORKDIR
set -eu
sabot=$1 prog=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail=0
t0=$(date +%s%N)
"$sabot" run --trace="$work/trace.txt" -- "$prog" "$work" 1 >out.txt 2>err.txt || {
    echo "FAIL: $prog failed:"; cat out.txt err.txt; fail=1; }
t1=$(date +%s%N)
grep '^FAIL' out.txt && fail=1
grep -q '^vdso: ALL OK$' out.txt || { echo "FAIL: no ALL OK line"; cat out.txt; fail=1; }
n=$(grep -cE '^\[[0-9]+\] (clock_gettime|gettimeofday|time|getcpu)\(' trace.txt || true)
if [ "$n" -gt 8 ]; then
    echo "FAIL: $n time syscalls trapped:"
    grep -E '^\[[0-9]+\] (clock_gettime|gettimeofday|time|getcpu)\(' trace.txt | head -5
    fail=1
fi
grep -q 'exit_group' trace.txt || { echo "FAIL: the trace is empty"; fail=1; }
rt=$(sed -n 's/^realtime //p' out.txt)
# The program's last clock reading lies between the two host readings.
if [ -z "$rt" ] || [ "$rt" -lt $((t0 - 5000000)) ] || [ "$rt" -gt $((t1 + 5000000)) ]; then
    echo "FAIL: realtime ${rt:-none} not within [$t0, $t1] (5 ms slack)"
    fail=1
fi
[ $fail = 0 ] && echo "vdso_trace: ALL OK"
exit $fail
