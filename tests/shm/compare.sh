#!/bin/sh
# Runs PROG natively and under sabot (default manifest: the private /tmp
# is a tmpfs, /dev/shm the libos's own) and compares exit status and
# stdout exactly; the native run must print MARKER, so a run that fails
# the same way on both sides does not pass.
# usage: compare.sh SABOT WORKDIR MARKER [SABOT-RUN-OPTIONS...] -- PROG [ARGS...]
set -u
sabot=$1 work=$2 marker=$3
shift 3
opts=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    opts="$opts $1"
    shift
done
shift
rm -rf "$work" && mkdir -p "$work/native" "$work/sabot" || exit 1
(cd "$work/native" && env -i PATH=/usr/bin:/bin timeout 120 "$@" >../native.txt 2>../native.err)
nrc=$?
(cd "$work/sabot" && env -i PATH=/usr/bin:/bin timeout 120 "$sabot" run --log-level none $opts -- "$@" \
    >../sabot.txt 2>../sabot.err)
src=$?
cd "$work"
if ! grep -qxF "$marker" native.txt; then
    echo "FAIL: the native run did not print '$marker'"
    cat native.txt native.err
    exit 1
fi
if [ $nrc != $src ] || ! cmp -s native.txt sabot.txt; then
    echo "FAIL: exit $src under sabot, $nrc natively; output diff (native vs sabot):"
    diff -u native.txt sabot.txt
    cat sabot.err
    exit 1
fi
echo "compare: $marker"
