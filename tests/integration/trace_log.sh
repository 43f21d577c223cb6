#!/bin/sh
# --trace output and the once-per-syscall ENOSYS log line.
# usage: trace_log.sh SABOT BUSYBOX ENOSYS_PROGRAM WORKDIR
set -eu
sabot=$1 bb=$2 enosys=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work"
fail=0
expect() { # expect FILE REGEX WHAT
    if ! grep -Eq -- "$2" "$1"; then
        echo "FAIL: $3: no line matching /$2/ in $1:"
        sed 's/^/  | /' "$1" | tail -20
        fail=1
    fi
}

# --trace=FILE: every call with decoded arguments and its result.
"$sabot" run --trace="$work/trace.txt" -- "$bb" echo hello >out.txt
expect out.txt '^hello$' "program output"
expect trace.txt '^\[1\] write\(1, "hello\\n", 6\) = 6$' "write traced with its buffer"
expect trace.txt '^\[1\] exit_group\(0\) = \?$' "exit_group traced"
expect trace.txt '^\[1\] arch_prctl\(0x1002, 0x[0-9a-f]+\) = 0$' "arch_prctl traced"

# --trace to stderr: failures decoded like strace.
if "$sabot" run --trace -- "$bb" cat /nonexistent-sabot-file >out.txt 2>err.txt; then
    echo "FAIL: cat of a missing file succeeded"
    fail=1
fi
expect err.txt '^\[1\] open(at)?\((AT_FDCWD, )?"/nonexistent-sabot-file", O_RDONLY.*\) = -1 ENOENT \(2\)$' \
    "failed open traced with errno"

# ENOSYS: every call fails, the name is logged exactly once.
"$sabot" run -- "$enosys" >out.txt 2>err.txt || { echo "FAIL: $enosys failed:"; cat out.txt; fail=1; }
n=$(grep -c 'unimplemented syscall landlock_create_ruleset (444)' err.txt || true)
if [ "$n" != 1 ]; then
    echo "FAIL: expected one log line for landlock_create_ruleset, got $n:"
    cat err.txt
    fail=1
fi
[ $fail = 0 ] && echo "trace_log: ALL OK"
exit $fail
