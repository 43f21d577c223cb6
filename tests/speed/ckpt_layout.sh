#!/bin/sh
# usage: ckpt_layout.sh SABOT FORKWAIT
# A checkpoint-fork child (a fresh sabot-pal-child process) maps the app's
# memory at its parent's addresses after its own first mappings. Its parent
# placed that memory top-down from a random base; the child's own mappings
# must not land on it, so the child is laid out bottom-up (an unlimited
# host stack limit): its own mappings, such as the shared process table,
# sit below its fixed image at 0x200000000000, the app's above it. Before,
# about one checkpoint fork in 30000 failed with "the child cannot place
# memory at ... (-17)".
sabot=$1 prog=$2
. "$(dirname "$0")/checks.sh"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$sabot" run --fork checkpoint -- "$prog" >"$out" &
run=$!
i=0
while ! grep -q forked "$out" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
# Ours, not another test's: a child of this run's process or of its child.
ppid() { awk '/^PPid:/ { print $2 }' /proc/$1/status 2>/dev/null; }
child=
for p in $(pgrep -f sabot-pal-child); do
    pp=$(ppid $p)
    if [ "$pp" = $run ] || [ "$(ppid "$pp")" = $run ]; then child=$p; fi
done
need_child $run "$child" "checkpoint child"
table=$(awk '/memfd:sabot-proc/ { split($1, a, "-"); print a[1]; exit }' /proc/$child/maps)
check "the child maps the process table ($table)" test -n "$table"
check "its own mappings lie below its image (table at $table)" \
    test "$(printf '%d' "0x$table")" -lt "$(printf '%d' 0x200000000000)"
check "the app's memory lies above it" \
    sh -c "awk '{ split(\$1, a, \"-\"); if (a[1] ~ /^7f/) n++ } END { exit n == 0 }' /proc/$child/maps"
finish $run "$child" ckpt_layout
