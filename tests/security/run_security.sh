#!/bin/sh
# Escape attempts under sabot. Builds a scratch tree, writes the manifests
# for the case, runs the escape program (see escape.c for the operation
# syntax) and then checks, from the host, that nothing outside changed.
#
# usage: run_security.sh SABOT ESCAPE WORKDIR CASE
#   rofs          default manifest: writes into the read-only host / fail
#                 with EROFS (EXDEV across mounts) and the denial names fs.mounts
#   jail_root     a host directory mounted at /: .., symlinks (absolute, relative,
#                 to host paths) all stay inside it
#   jail_data     only /data and /bin mounted: nothing else of the host exists
#   private_tmp   default manifest: /tmp is the program's own, not the host's
set -eu

# Paths given relative to where the script was started still work after cd.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
sabot=$(abspath "$1") escape=$(abspath "$2") w=$3 case=$4

rm -rf "$w"
mkdir -p "$w"
w=$(cd "$w" && pwd -P)

# Host files the program must not reach. The secret sits next to the jail,
# so a host-side ".." from the jail would find it.
mkdir -p "$w/outside/ro/emptydir" "$w/cwd" "$w/jail/etc" "$w/jail/data" "$w/jail/bin"
echo HOST-SECRET >"$w/outside/secret.txt"
echo ORIGINAL >"$w/outside/ro/victim.txt"
echo JAIL-PASSWD >"$w/jail/etc/passwd"
echo DATA >"$w/jail/data/file.txt"
cp "$escape" "$w/jail/escape"
cp "$escape" "$w/jail/bin/escape"
ln -s /etc/passwd "$w/jail/data/abs"
ln -s ../../../../../../../../etc/passwd "$w/jail/data/up"
ln -s "$w/outside/secret.txt" "$w/jail/data/hostabs"
ln -s ../../outside "$w/jail/data/outlink" # on the host: $w/outside
ln -s / "$w/jail/data/rootlink"
# Everything under outside/: names, modes, sizes, mtimes and the contents.
snapshot() {
    (cd "$w/outside" && find . -exec ls -ld --time-style=+%s {} + | sort &&
        cat secret.txt ro/victim.txt)
}
snapshot >"$w/before"
probe=/etc/sabot-escape-probe.$$
trap 'rm -f "$probe"' EXIT

sec=$w/outside/secret.txt
ro=$w/outside/ro
case $case in
rofs)
    cd "$w/cwd"
    set +e
    "$sabot" run -- "$escape" \
        "read|$ro/victim.txt|=ORIGINAL" \
        "write|$ro/victim.txt|EROFS" \
        "create|$ro/new.txt|EROFS" \
        "create|$probe|EROFS" \
        "trunc|$ro/victim.txt|EROFS" \
        "unlink|$ro/victim.txt|EROFS" \
        "mkdir|$ro/newdir|EROFS" \
        "mkdir|$ro/emptydir|EEXIST" \
        "rmdir|$ro/emptydir|EROFS" \
        "rename|$ro/victim.txt|$ro/moved.txt|EROFS" \
        "rename|$ro/victim.txt|$w/cwd/stolen.txt|EXDEV" \
        "link|$ro/victim.txt|$ro/hard.txt|EROFS" \
        "symlink|/etc/passwd|$ro/sym|EROFS" \
        "chmod|$ro/victim.txt|EROFS" \
        "create|$w/cwd/allowed.txt|ok" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=fs.mounts
    ;;
private_tmp)
    # The default manifest gives the program its own /tmp: host files in
    # /tmp are invisible and what the program writes there never reaches it.
    hostfile=/tmp/sabot-host-probe.$$
    echo HOST-TMP >"$hostfile"
    trap 'rm -f "$probe" "$hostfile" /tmp/sabot-private-probe.$$' EXIT
    cd "$w/cwd"
    set +e
    "$sabot" run -- "$escape" \
        "read|$hostfile|ENOENT" \
        "create|/tmp/sabot-private-probe.$$|ok" \
        "read|/tmp/sabot-private-probe.$$|=" \
        "list|/tmp|=sabot-private-probe.$$" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    if [ -e /tmp/sabot-private-probe.$$ ]; then
        echo "FAIL: the program's /tmp file appeared in the host's /tmp"
        rc=1
    fi
    ;;
jail_root)
    cat >"$w/jail.toml" <<EOT
[fs]
cwd = "/data"

[[fs.mounts]]
path = "/"
type = "host"
source = "$w/jail"
readonly = false
EOT
    cd "$w/cwd"
    set +e
    "$sabot" run -m "$w/jail.toml" -- /escape \
        "getcwd|=/data" \
        "read|/etc/passwd|=JAIL-PASSWD" \
        "read|/../../../etc/passwd|=JAIL-PASSWD" \
        "read|../../../../etc/passwd|=JAIL-PASSWD" \
        "readat|/data|../../../etc/passwd|=JAIL-PASSWD" \
        "read|/etc/hostname|ENOENT" \
        "read|$sec|ENOENT" \
        "read|/data/../../outside/secret.txt|ENOENT" \
        "readlink|/data/abs|=/etc/passwd" \
        "read|/data/abs|=JAIL-PASSWD" \
        "read|/data/up|=JAIL-PASSWD" \
        "read|/data/hostabs|ENOENT" \
        "read|/data/outlink/secret.txt|ENOENT" \
        "write|/data/outlink/secret.txt|ENOENT" \
        "create|/data/outlink/new.txt|ENOENT" \
        "read|/data/rootlink/../../etc/passwd|=JAIL-PASSWD" \
        "list|/..|!outside" \
        "list|/..|!work" \
        "list|/data/rootlink/..|!outside" \
        "chdir|/data/../..|ok" \
        "getcwd|=/" \
        "read|data/file.txt|=DATA" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    ;;
jail_data)
    # No mount at /: the host root is not part of the libos tree at all.
    cat >"$w/data.toml" <<EOT
[fs]
cwd = "/data"

[[fs.mounts]]
path = "/data"
type = "host"
source = "$w/jail/data"
readonly = false

[[fs.mounts]]
path = "/bin"
type = "host"
source = "$w/jail/bin"
readonly = true
EOT
    cd "$w/cwd"
    set +e
    "$sabot" run -m "$w/data.toml" -- /bin/escape \
        "read|/data/file.txt|=DATA" \
        "read|file.txt|=DATA" \
        "read|/etc/passwd|ENOENT" \
        "read|/data/../etc/passwd|ENOENT" \
        "read|../../../../etc/passwd|ENOENT" \
        "readat|/data|../../etc/passwd|ENOENT" \
        "read|$sec|ENOENT" \
        "read|/data/abs|ENOENT" \
        "read|/data/up|ENOENT" \
        "read|/data/hostabs|ENOENT" \
        "read|/data/outlink/secret.txt|ENOENT" \
        "create|/data/outlink/new.txt|ENOENT" \
        "stat|/data/rootlink/etc/passwd|ENOENT" \
        "list|/data/..|!etc" \
        "list|/data/..|!outside" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    ;;
*)
    echo "run_security.sh: unknown case $case" >&2
    exit 2 ;;
esac

fail=0
if [ $rc != 0 ] || ! grep -q '^escape: ALL OK$' "$w/out"; then
    echo "FAIL: escape program exit status $rc; failed checks:"
    grep '^FAIL' "$w/out" | sed 's/^/  /' || true
    fail=1
fi
snapshot >"$w/after"
if ! diff -u --label before --label after "$w/before" "$w/after"; then
    echo "FAIL: host files outside the sandbox changed (diff above)"
    fail=1
fi
if [ -e "$probe" ] || [ -e "$w/cwd/stolen.txt" ]; then
    echo "FAIL: a file was created on the host outside the read-write mount"
    fail=1
fi
if [ -n "$want_log" ] && ! grep -q "$want_log" "$w/err"; then
    echo "FAIL: no denial on stderr names the manifest key '$want_log'"
    fail=1
fi
if [ $fail = 1 ]; then
    echo "---- stdout ----"
    cat "$w/out"
    echo "---- stderr (last 40 lines) ----"
    tail -n 40 "$w/err"
    exit 1
fi
echo "PASS: $case: $(grep -c '^ok' "$w/out") escape attempts failed as they must"
rm -rf "$w"
