#!/bin/sh
# usage: pidns.sh SABOT BUSYBOX [checkpoint]
# The sandbox is a pid namespace: when its first process ends, the others
# are killed before `sabot run` returns, as when the init of a Linux pid
# namespace exits (compared with `unshare --pid --fork` where it works).
sabot=$1 busybox=$2 fork=${3:-fast}
mark="pidns-$$-$(date +%s%N)"
script="$busybox sleep 30 & $busybox sleep 31 & (trap '' TERM; $busybox sleep 32) & echo $mark; exit 3"
fail=0
left() { # PATTERN: processes still there a moment after the run returned
    i=0
    while pgrep -f "$1" >/dev/null && [ $i -lt 20 ]; do sleep 0.05; i=$((i + 1)); done
    pgrep -f "$1" >/dev/null
}
if unshare --pid --fork --mount-proc true 2>/dev/null; then
    unshare --pid --fork --mount-proc "$busybox" sh -c "$script" >/dev/null
    rc=$?
    if [ $rc = 3 ] && ! left "$mark"; then
        echo "ok   native (unshare --pid): exit 3, no process left"
    else
        echo "FAIL native: exit $rc (want 3), left: $(pgrep -fa "$mark")"
        fail=1
    fi
else
    echo "skip native twin: unshare --pid is not allowed here"
fi
"$sabot" run --fork "$fork" -- "$busybox" sh -c "$script" >/dev/null
rc=$?
if [ $rc = 3 ] && ! left "$mark"; then
    echo "ok   sabot: exit 3, no process left"
else
    echo "FAIL sabot: exit $rc (want 3), left: $(pgrep -fa "$mark")"
    pkill -9 -f "$mark"
    fail=1
fi
[ $fail = 0 ] && echo "pidns: ALL OK"
exit $fail
