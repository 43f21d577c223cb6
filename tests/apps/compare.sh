#!/bin/bash
# Runs one Debian program natively and under sabot, each in a fresh scratch
# directory (under sabot: the cwd and the read-write mount of the default
# policy), and checks that exit status and stdout are equal, and that the
# native run printed the lines given with --line (so an empty or failing
# run on both sides cannot pass).
#
# usage: compare.sh SABOT WORKDIR [--copy FILE]... [--setup CMD]... [--stdin FILE]
#                   [--line TEXT]... [--timeout S] -- PROG [ARGS...]
#   --copy    file copied into both scratch directories
#   --setup   shell command run (natively) in both scratch directories first
#   --stdin   file (in the scratch directory) given as standard input
#   --line    a line the native stdout must contain exactly (repeatable)
#   --timeout seconds per run (default 300)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

sabot=$1 work=$2
shift 2
copies=() setups=() lines=() stdin=/dev/null limit=300
while [ $# -gt 0 ]; do
    case $1 in
    --copy) copies+=("$2"); shift 2 ;;
    --setup) setups+=("$2"); shift 2 ;;
    --stdin) stdin=$2; shift 2 ;;
    --line) lines+=("$2"); shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "compare.sh: bad option $1" >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] || { echo "compare.sh: no program" >&2; exit 2; }
need "$1" "$sabot"

work=$(fresh_dir "$work")
# run MODE: runs the program in $work/MODE; leaves MODE.out/.err/.rc/.time.
run() {
    local d=$work/$1 t0 t1
    mkdir "$d"
    for f in "${copies[@]}"; do cp "$f" "$d/"; done
    for c in "${setups[@]}"; do (cd "$d" && eval "$c") || { echo "FAIL: setup: $c"; exit 1; }; done
    t0=$(date +%s.%N)
    if [ "$1" = sabot ]; then
        (cd "$d" && env -i PATH=/usr/bin:/bin HOME="$d" timeout -k 5 "$limit" \
            "$sabot" run -- "${@:2}" <"$stdin") >"$work/$1.out" 2>"$work/$1.err"
    else
        (cd "$d" && env -i PATH=/usr/bin:/bin HOME="$d" timeout -k 5 "$limit" \
            "${@:2}" <"$stdin") >"$work/$1.out" 2>"$work/$1.err"
    fi
    echo $? >"$work/$1.rc"
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }' >"$work/$1.time"
}
# The program comes after the mode: run MODE PROG ARGS...
run native "$@"
run sabot "$@"

fail=0
nrc=$(cat "$work/native.rc") src=$(cat "$work/sabot.rc")
if [ "$nrc" != 0 ]; then
    echo "FAIL: the native run exited with $nrc (the test itself is broken)"
    fail=1
fi
if [ "$src" != "$nrc" ]; then
    echo "FAIL: exit status under sabot $src, natively $nrc"
    fail=1
fi
for l in "${lines[@]}"; do
    if ! grep -qxF -- "$l" "$work/native.out"; then
        echo "FAIL: native stdout lacks the line: $l"
        fail=1
    fi
done
if ! cmp -s "$work/native.out" "$work/sabot.out"; then
    echo "FAIL: stdout differs (- native, + sabot):"
    diff -u "$work/native.out" "$work/sabot.out" | head -n 60
    fail=1
fi
echo "command: (cd $work/sabot && $sabot run -- $*)"
echo "time: native $(cat "$work/native.time")s, sabot $(cat "$work/sabot.time")s;" \
    "$(wc -l <"$work/native.out") lines of output compared"
if [ $fail = 1 ]; then
    echo "---- sabot stderr (last 40 lines) ----"
    tail -n 40 "$work/sabot.err"
    echo "---- native stderr (last 10 lines) ----"
    tail -n 10 "$work/native.err"
    exit 1
fi
echo "PASS: exit status $src, stdout equal to native"
rm -rf "$work"
