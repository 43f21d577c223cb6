#!/bin/sh
# The shared tmpfs's host directory (/dev/shm/sabot-<pid>-XXXXXX) lives as
# long as any process of its run and no longer; a new run removes what a
# dead run left behind, and nothing of a live one.
# usage: cleanup.sh SABOT BUSYBOX
set -u
sabot=$1 bb=$2
base=/dev/shm
[ -d $base ] && [ -w $base ] || { echo "SKIP: no writable /dev/shm"; exit 0; }
work=$(mktemp -d) || exit 1
cd "$work" || exit 1
fail() { echo "FAIL: $*"; rm -rf "$work"; exit 1; }
dirs_of() { ls -d $base/sabot-$1-* 2>/dev/null; }

# While the run's processes live (the first waits for a background child),
# the directory stays; once the run is over, it goes.
"$sabot" run --log-level none -- $bb sh -c '(sleep 1; cat /tmp/x > /tmp/y) & echo x > /tmp/x; wait' &
p=$!
sleep 0.5
kill -0 $p 2>/dev/null || fail "the run ended early"
[ -n "$(dirs_of $p)" ] || fail "directory gone while a process of the run lives"
wait $p || fail "run failed"
i=0
while [ -n "$(dirs_of $p)" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
[ -z "$(dirs_of $p)" ] || fail "directory left after the run: $(dirs_of $p)"
echo "removed after the last process"

# Leftovers: a dead pid's directory goes; one whose pid lives, or whose
# lock is held, stays.
sh -c 'exit 0' &
dead=$!
wait $dead
sleep 30 >/dev/null 2>&1 &
live=$!
mkdir -p $base/sabot-$dead-aaaaaa/2 $base/sabot-$live-bbbbbb/2 $base/sabot-$dead-cccccc/2
echo data > $base/sabot-$dead-aaaaaa/2/file
locker=""
if command -v flock >/dev/null; then
    (exec 9<$base/sabot-$dead-cccccc && flock -s 9 && exec sleep 30) >/dev/null 2>&1 &
    locker=$!
    sleep 0.3
else
    rmdir $base/sabot-$dead-cccccc/2 $base/sabot-$dead-cccccc
fi
"$sabot" run --log-level none -- $bb true || fail "run failed"
[ ! -e $base/sabot-$dead-aaaaaa ] || fail "a dead run's directory was left"
[ -d $base/sabot-$live-bbbbbb/2 ] || fail "a live pid's directory was removed"
if [ -n "$locker" ]; then
    [ -d $base/sabot-$dead-cccccc/2 ] || fail "a locked directory was removed"
    kill $locker
fi
kill $live
rm -rf $base/sabot-$live-bbbbbb $base/sabot-$dead-cccccc "$work"
echo "cleanup: done"
