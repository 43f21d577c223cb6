#!/bin/bash
# `sabot manifest show` round trip: what it prints is a manifest that
# `manifest check` accepts and that shows the same again (the first line
# names the file, so it differs).
# usage: manifest_show.sh SABOT WORKDIR [MANIFEST]
set -u
sabot=$1 work=$2
shift 2
mkdir -p "$work"
if ! "$sabot" manifest show "$@" >"$work/a.toml"; then
    echo "FAIL: manifest show $*"; exit 1
fi
if ! out=$("$sabot" manifest check "$work/a.toml" 2>&1); then
    echo "FAIL: manifest check of the shown manifest: $out"; cat "$work/a.toml"; exit 1
fi
"$sabot" manifest show "$work/a.toml" >"$work/b.toml" || exit 1
if ! diff <(tail -n +2 "$work/a.toml") <(tail -n +2 "$work/b.toml") 2>/dev/null; then
    echo "FAIL: the shown manifest shows differently"; exit 1
fi
for key in 'memory = ' 'stack = ' 'brk = ' 'open_files = ' 'threads = ' 'processes = ' \
    'fork = ' 'name = ' 'syscall_rewrite = ' 'level = ' 'connect = ' 'bind = ' 'uid = ' \
    'argv_from_cli = ' 'insecure__no_seccomp = '; do
    grep -q "^$key" "$work/a.toml" || { echo "FAIL: no '$key' in the shown manifest"; exit 1; }
done
echo "PASS: manifest show $* round-trips"
