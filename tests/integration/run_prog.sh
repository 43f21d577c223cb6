#!/bin/sh
# Runs one test program natively or under sabot in a fresh scratch directory
# and checks its exit status and output.
#
# usage: run_prog.sh [--sabot SABOT [--fork MODE]] --workdir DIR [--rc N]
#                    [--line TEXT]... [--stdout TEXT] -- PROG [ARGS...]
#   --sabot   run as `SABOT run -- PROG ARGS` (default manifest); else natively
#   --fork    the sabot fork path: fast (default) or checkpoint
#   --workdir scratch directory (recreated); it is the cwd, so under the
#             default manifest it is the read-write mount. @WORK@ in ARGS
#             is replaced by its absolute path.
#   --rc      expected exit status (default 0)
#   --line    a line that must appear in stdout exactly (repeatable)
#   --stdout  the whole expected stdout (compared with diff -u)
# The environment is fixed (env -i) so native and sabot runs see the same.
set -eu

nl='
'
sabot= work= rc_want=0 stdout_want= have_stdout=0 lines= fork=fast
while [ $# -gt 0 ]; do
    case $1 in
    --sabot) sabot=$2; shift 2 ;;
    --fork) fork=$2; shift 2 ;;
    --workdir) work=$2; shift 2 ;;
    --rc) rc_want=$2; shift 2 ;;
    --line) lines=$lines$2$nl; shift 2 ;;
    --stdout) stdout_want=$2; have_stdout=1; shift 2 ;;
    --) shift; break ;;
    *) echo "run_prog.sh: bad option $1" >&2; exit 2 ;;
    esac
done
[ -n "$work" ] && [ $# -gt 0 ] || { echo "run_prog.sh: need --workdir and a program" >&2; exit 2; }

# Paths given relative to where the script was started still work after cd.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
out=$work.stdout err=$work.stderr

prog=$1; shift
case $prog in */*) prog=$(abspath "$prog") ;; esac
[ -z "$sabot" ] || sabot=$(abspath "$sabot")
n=$#
i=0
while [ $i -lt $n ]; do # substitute @WORK@ in the arguments, keeping word boundaries
    a=$1; shift
    case $a in *@WORK@*) a=$(printf '%s' "$a" | sed "s|@WORK@|$work|g") ;; esac
    set -- "$@" "$a"
    i=$((i + 1))
done

cd "$work"
set +e
if [ -n "$sabot" ]; then
    env -i PATH=/usr/bin:/bin SABOT_TEST_VAR="value with spaces" \
        "$sabot" run --fork "$fork" -- "$prog" "$@" >"$out" 2>"$err"
else
    env -i PATH=/usr/bin:/bin SABOT_TEST_VAR="value with spaces" \
        "$prog" "$@" >"$out" 2>"$err"
fi
rc=$?
set -e

fail=0
if [ "$rc" != "$rc_want" ]; then
    echo "FAIL: exit status $rc, want $rc_want"
    fail=1
fi
printf '%s' "$lines" >"$work.lines"
while IFS= read -r l; do
    if ! grep -qxF -- "$l" "$out"; then
        echo "FAIL: stdout lacks the line: $l"
        fail=1
    fi
done <"$work.lines"
if [ $have_stdout = 1 ]; then
    if ! printf '%s\n' "$stdout_want" | diff -u --label expected --label actual - "$out"; then
        echo "FAIL: stdout differs (diff above: - expected, + actual)"
        fail=1
    fi
fi
# Every check line the programs print starts with "FAIL" when it broke.
if grep -q '^FAIL' "$out"; then
    echo "FAIL: the program reported failed checks:"
    grep '^FAIL' "$out" | sed 's/^/  /'
    fail=1
fi

echo "command: ${sabot:+$sabot run -- }$prog $*   (cwd $work)"
if [ $fail = 1 ]; then
    echo "---- stdout (last 60 lines) ----"
    tail -n 60 "$out"
    echo "---- stderr (last 60 lines) ----"
    tail -n 60 "$err"
    exit 1
fi
echo "PASS: exit status $rc; $(grep -c '^ok' "$out" || true) checks ok"
rm -rf "$work" "$out" "$err" "$work.lines"
