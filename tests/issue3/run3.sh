#!/bin/sh
# Runs one issue 3 test program natively or under sabot in a fresh scratch
# directory and checks its exit status and output (like
# ../integration/run_prog.sh, plus a generated manifest for network grants).
#
# usage: run3.sh [--sabot SABOT] [--net] --workdir DIR [--rc N] [--line TEXT]...
#                -- PROG [ARGS...]
#   --sabot   run under sabot; else natively
#   --net     (sabot) run with manifest.sh's manifest: the default policy
#             plus loopback bind/connect grants; else the built-in default
#   --workdir scratch directory (recreated; the cwd and the read-write mount)
#   --rc      expected exit status (default 0)
#   --line    a line that must appear in stdout exactly (repeatable)
# Every line starting with "FAIL" in stdout fails the test.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
nl='
'
sabot= net=0 work= rc_want=0 lines=
while [ $# -gt 0 ]; do
    case $1 in
    --sabot) sabot=$2; shift 2 ;;
    --net) net=1; shift ;;
    --workdir) work=$2; shift 2 ;;
    --rc) rc_want=$2; shift 2 ;;
    --line) lines=$lines$2$nl; shift 2 ;;
    --) shift; break ;;
    *) echo "run3.sh: bad option $1" >&2; exit 2 ;;
    esac
done
[ -n "$work" ] && [ $# -gt 0 ] || { echo "run3.sh: need --workdir and a program" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
out=$work.stdout err=$work.stderr
prog=$1
shift

cd "$work"
set +e
if [ -n "$sabot" ] && [ $net = 1 ]; then
    sh "$here/manifest.sh" "$work" >"$work.toml"
    env -i PATH=/usr/bin:/bin "$sabot" run -m "$work.toml" -- "$prog" "$@" >"$out" 2>"$err"
elif [ -n "$sabot" ]; then
    env -i PATH=/usr/bin:/bin "$sabot" run -- "$prog" "$@" >"$out" 2>"$err"
else
    env -i PATH=/usr/bin:/bin "$prog" "$@" >"$out" 2>"$err"
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
if grep -q '^FAIL' "$out"; then
    echo "FAIL: the program reported failed checks (expected vs got in each line):"
    grep '^FAIL' "$out" | sed 's/^/  /'
    fail=1
fi

how=
[ -z "$sabot" ] || how="$sabot run -- "
[ -z "$sabot" ] || [ $net = 0 ] || how="$sabot run -m $work.toml -- "
echo "command: $how$prog $*   (cwd $work)"
if [ $fail = 1 ]; then
    echo "---- stdout (last 40 lines) ----"
    tail -n 40 "$out"
    echo "---- stderr (last 40 lines) ----"
    tail -n 40 "$err"
    exit 1
fi
grep '^info' "$out" || true
echo "PASS: exit status $rc; $(grep -c '^ok' "$out" || true) checks ok"
rm -rf "$work" "$out" "$err" "$work.lines" "$work.toml"
