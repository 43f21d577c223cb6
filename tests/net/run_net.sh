#!/bin/sh
# Runs a network test program natively or under sabot with a manifest that
# grants loopback 127.0.0.1 and [::1] (bind and connect, any port) and
# nothing else, in a fresh work directory (the read-write mount and cwd;
# /tmp is a private tmpfs).
# usage: run_net.sh [--sabot SABOT] --workdir DIR [--expect-log TEXT]... -- PROG [ARGS...]
#   @WORK@ in ARGS becomes the work directory; the program's stdout must end
#   with a line "...: ALL OK"; each --expect-log text must appear in stderr.
set -eu
sabot= work= logs=
nl='
'
while [ $# -gt 0 ]; do
    case $1 in
    --sabot) sabot=$2; shift 2 ;;
    --workdir) work=$2; shift 2 ;;
    --expect-log) logs=$logs$2$nl; shift 2 ;;
    --) shift; break ;;
    *) echo "run_net.sh: bad option $1" >&2; exit 2 ;;
    esac
done
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
prog=$1; shift
n=$#; i=0
while [ $i -lt $n ]; do
    a=$1; shift
    case $a in *@WORK@*) a=$(printf '%s' "$a" | sed "s|@WORK@|$work|g") ;; esac
    set -- "$@" "$a"
    i=$((i + 1))
done
cat >"$work.toml" <<EOT
[loader]
env_passthrough = ["*"]
[fs]
cwd = "$work"
[[fs.mounts]]
path = "/"
type = "host"
source = "/"
[[fs.mounts]]
path = "$work"
type = "host"
source = "$work"
readonly = false
[[fs.mounts]]
path = "/tmp"
type = "tmpfs"
[net]
connect = ["127.0.0.1:*", "[::1]:*"]
bind = ["127.0.0.1:*", "[::1]:*"]
EOT
cd "$work"
set +e
if [ -n "$sabot" ]; then
    timeout 60 "$sabot" run -m "$work.toml" -- "$prog" "$@" >"$work.stdout" 2>"$work.stderr"
else
    timeout 60 "$prog" "$@" >"$work.stdout" 2>"$work.stderr"
fi
rc=$?
set -e
cat "$work.stdout"
if [ -s "$work.stderr" ]; then echo "--- stderr:"; cat "$work.stderr"; fi
[ $rc -eq 0 ] || { echo "run_net.sh: exit status $rc"; exit 1; }
tail -n 1 "$work.stdout" | grep -q ': ALL OK$' || { echo "run_net.sh: no ALL OK line"; exit 1; }
printf '%s' "$logs" | while IFS= read -r l; do
    [ -z "$l" ] && continue
    grep -qF -- "$l" "$work.stderr" || { echo "run_net.sh: stderr lacks: $l"; exit 1; }
done
