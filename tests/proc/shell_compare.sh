#!/bin/sh
# Runs a shell script with Debian's busybox natively and under sabot and
# compares output and exit status exactly.
# usage: shell_compare.sh SABOT BUSYBOX SCRIPT WORKDIR [FORK_MODE]
set -u
sabot=$1 bb=$2 script=$3 work=$4 fork=${5:-fast}
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
"$bb" sh "$script" >native.txt 2>&1
nrc=$?
# Sabot's own log lines are off so stderr interleaves as natively.
"$sabot" run --log-level none --fork "$fork" -- "$bb" sh "$script" >sabot.txt 2>&1
src=$?
if [ $nrc != $src ] || ! cmp -s native.txt sabot.txt; then
    echo "FAIL: exit $src under sabot, $nrc natively; output diff (native vs sabot):"
    diff -u native.txt sabot.txt
    exit 1
fi
echo "shell: ALL OK"
