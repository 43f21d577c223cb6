#!/bin/sh
# Runs one busybox command natively and under sabot (default manifest) and
# compares stdout and exit status exactly; prints a diff when they differ.
#
# usage: busybox_compare.sh SABOT BUSYBOX WORKDIR CASE
# Each side runs in its own scratch directory (WORKDIR/native, WORKDIR/sabot)
# holding the same input files, so relative paths print the same. Under
# the default manifest that directory is the read-write mount.
set -eu

# Paths given relative to where the script was started still work after cd.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
sabot=$(abspath "$1") bb=$2 work=$3 case=$4

rm -rf "$work"
mkdir -p "$work/native" "$work/sabot"
work=$(cd "$work" && pwd -P)

# Same inputs on both sides.
for side in native sabot; do
    d=$work/$side
    printf 'pear\napple\nfig\nbanana\n\n  spaced line\nzebra 10\nzebra 9\n' >"$d/input.txt"
    "$bb" seq 1 50000 >"$d/big.txt"
done

fail=0
expect_output=1 # compare() insists on nonempty output unless a case clears this
# run_both [--env VAR=VAL...] -- ARGS: runs "busybox ARGS" on both sides
# with a fixed environment (env -i), keeps stdout/stderr/status per side.
run_both() {
    envs="PATH=/usr/bin:/bin"
    if [ "$1" = --env ]; then
        envs=$2
        shift 2
    fi
    [ "$1" = -- ] && shift
    # shellcheck disable=SC2086 # envs is a list of VAR=VAL words
    (cd "$work/native" && env -i $envs "$bb" "$@" >"$work/native.out" 2>"$work/native.err") &&
        rc_native=0 || rc_native=$?
    # shellcheck disable=SC2086
    (cd "$work/sabot" && env -i $envs "$sabot" run -- "$bb" "$@" >"$work/sabot.out" \
        2>"$work/sabot.err") && rc_sabot=0 || rc_sabot=$?
    echo "command: busybox $*"
}

# compare [FILTER]: stdout (through FILTER, a sed/grep command) and status.
compare() {
    filter=${1:-cat}
    sh -c "$filter" <"$work/native.out" >"$work/native.cmp" || true
    sh -c "$filter" <"$work/sabot.out" >"$work/sabot.cmp" || true
    if [ "$rc_native" != "$rc_sabot" ]; then
        echo "FAIL: exit status native $rc_native, sabot $rc_sabot"
        fail=1
    fi
    if ! diff -u --label native --label sabot "$work/native.cmp" "$work/sabot.cmp"; then
        echo "FAIL: stdout differs (diff above: - native, + sabot)"
        fail=1
    fi
    if [ "$expect_output" = 1 ] && [ ! -s "$work/native.cmp" ]; then
        echo "FAIL: native run printed nothing; the comparison would prove nothing"
        fail=1
    fi
}

# For failing commands the error message (errno text) must match too; the
# libos may add its own log lines, so only busybox's lines are compared.
compare_stderr() {
    app=$1
    grep "^$app: " "$work/native.err" >"$work/native.errl" || true
    grep "^$app: " "$work/sabot.err" >"$work/sabot.errl" || true
    if ! diff -u --label native-stderr --label sabot-stderr "$work/native.errl" \
        "$work/sabot.errl"; then
        echo "FAIL: error message differs"
        fail=1
    fi
}

# tree DIR: a listing of what is under DIR (type and relative path).
tree() {
    (cd "$1" && find . | sort | while IFS= read -r p; do
        if [ -d "$p" ]; then echo "d $p"; else echo "f $p"; fi
    done)
}

case $case in
echo)
    run_both -- echo hello "two  spaces" -n
    compare ;;
ls_root)
    # /dev, /tmp, /proc, /sys and /run are the libos's own file systems
    # inside sabot by design (private tmpfs, emulated devices and kernel
    # views), so their entries differ from the host's; and the "total"
    # line sums block counts over all entries, those included. Everything
    # else in / comes from the read-only host mount and must match.
    run_both -- ls -l /
    compare "grep -Ev '^total |[0-9] (dev|tmp|proc|sys|run)( -> .*)?\$'" ;;
cat)
    run_both -- cat input.txt big.txt
    compare ;;
wc)
    run_both -- wc input.txt big.txt
    compare ;;
sha256sum)
    run_both -- sha256sum input.txt big.txt
    compare ;;
sort)
    run_both -- sort input.txt
    compare
    run_both -- sort -n -r big.txt
    compare ;;
find_conf)
    run_both -- find /etc -name '*.conf'
    compare ;;
env)
    # The same fixed environment on both sides: env -i sets it for busybox
    # natively and for sabot, whose default manifest passes the host
    # environment through unchanged.
    run_both --env FOO=bar -- env
    compare ;;
env_manifest)
    # Environment from the manifest instead: loader.env sets FOO and
    # env_passthrough = [] keeps the host's out.
    cat >"$work/env.toml" <<EOT
[loader]
env = { FOO = "bar" }
env_passthrough = []

[[fs.mounts]]
path = "/"
type = "host"
source = "/"
readonly = true
EOT
    (cd "$work/native" && env -i FOO=bar "$bb" env >"$work/native.out" 2>"$work/native.err") &&
        rc_native=0 || rc_native=$?
    (cd "$work/sabot" && env -i HOSTONLY=1 "$sabot" run -m "$work/env.toml" -- "$bb" env \
        >"$work/sabot.out" 2>"$work/sabot.err") && rc_sabot=0 || rc_sabot=$?
    echo "command: busybox env (sabot: loader.env FOO=bar, no passthrough)"
    compare ;;
date)
    run_both -- date +%Y-%m-%d
    compare ;;
mkdir_rm)
    # mkdir -p and rm -r in the read-write mount; the resulting trees and
    # the exit statuses must match at every step.
    expect_output=0
    run_both -- mkdir -p scratch/a/b/c scratch/d
    compare
    tree "$work/native" >"$work/native.tree"
    tree "$work/sabot" >"$work/sabot.tree"
    if ! diff -u --label native --label sabot "$work/native.tree" "$work/sabot.tree"; then
        echo "FAIL: trees after mkdir -p differ"
        fail=1
    fi
    grep -qx 'd ./scratch/a/b/c' "$work/sabot.tree" || {
        echo "FAIL: scratch/a/b/c not created"
        fail=1
    }
    run_both -- mkdir scratch/d
    compare
    compare_stderr mkdir
    run_both -- rm -r scratch
    compare
    for side in native sabot; do
        if [ -e "$work/$side/scratch" ]; then
            echo "FAIL: $side: scratch still exists after rm -r"
            fail=1
        fi
    done ;;
cat_missing)
    expect_output=0
    run_both -- cat missing.txt
    compare
    compare_stderr cat ;;
ls_missing)
    expect_output=0
    run_both -- ls -l /nonexistent/path
    compare
    compare_stderr ls ;;
false)
    expect_output=0
    run_both -- false
    compare ;;
*)
    echo "busybox_compare.sh: unknown case $case" >&2
    exit 2 ;;
esac

if [ $fail = 1 ]; then
    echo "---- native stderr ----"
    tail -n 20 "$work/native.err"
    echo "---- sabot stderr ----"
    tail -n 40 "$work/sabot.err"
    exit 1
fi
echo "PASS: busybox $case (exit status $rc_native)"
rm -rf "$work"
