#!/bin/sh
# Runs tests/rewrite/rewrite.c natively or under sabot and checks its lines.
# usage: run.sh [--sabot SABOT [--manifest-off]] --workdir DIR --expect-site
#               syscall|rewritten -- PROG SUBTEST
#   --manifest-off  run with pal.syscall_rewrite = false in the manifest
# Under sabot the site must read `rewritten` when the rewrite is on (else
# `syscall`): the runner proves the fast path was taken, not just that the
# results are right.
set -eu
sabot= off=0 work= site=
while [ $# -gt 0 ]; do
    case $1 in
    --sabot) sabot=$2; shift 2 ;;
    --manifest-off) off=1; shift ;;
    --workdir) work=$2; shift 2 ;;
    --expect-site) site=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: bad option $1" >&2; exit 2 ;;
    esac
done
# SABOT_REWRITE=0|1 in the environment overrides sabot's default (and ours).
if [ -n "$sabot" ] && [ $off = 0 ]; then
    case ${SABOT_REWRITE:-} in 0) site=syscall ;; 1) site=rewritten ;; esac
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work"
prog=$1
shift
set +e
if [ -z "$sabot" ]; then
    env -i PATH=/usr/bin:/bin "$prog" "$@" >out 2>err
elif [ $off = 1 ]; then
    # the default manifest for this directory, with the rewrite turned off
    "$sabot" manifest show | sed 's/^syscall_rewrite = true$/syscall_rewrite = false/' >m.toml
    grep -qx 'syscall_rewrite = false' m.toml || { echo "FAIL: no pal.syscall_rewrite in: $sabot manifest show"; exit 1; }
    env -i PATH=/usr/bin:/bin "$sabot" run -m m.toml -- "$prog" "$@" >out 2>err
else
    env -i PATH=/usr/bin:/bin ${SABOT_REWRITE:+SABOT_REWRITE=$SABOT_REWRITE} \
        "$sabot" run -- "$prog" "$@" >out 2>err
fi
rc=$?
set -e
fail=0
[ $rc = 0 ] || { echo "FAIL: exit status $rc"; fail=1; }
grep -qx 'rewrite: ALL OK' out || { echo "FAIL: no 'rewrite: ALL OK'"; fail=1; }
if grep -q '^FAIL' out; then fail=1; fi
# Every "...site: X" line must show the expected state.
if grep 'site: ' out | grep -v "site: $site\$" >/dev/null; then
    echo "FAIL: a site is not '$site':"
    grep 'site: ' out
    fail=1
fi
echo "command: ${sabot:+$sabot run -- }$prog $*   (cwd $work)"
if [ $fail = 1 ]; then
    echo "---- stdout ----"; cat out
    echo "---- stderr ----"; tail -n 40 err
    exit 1
fi
cat out
cd / && rm -rf "$work"
