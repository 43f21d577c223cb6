#!/bin/sh
# usage: fork_maps.sh SABOT FORKWAIT
# A fast-fork child does not inherit glibc's heap or (in a dynamic build:
# the sanitizer one) the runtime's shared libraries, which the libos
# process does not use once booted: the child's host /proc/PID/maps has no
# [heap] while its parent's has one. sabot is static-PIE, so neither maps
# a shared library; in a dynamic build the parent maps libc and the child
# does not, and ld.so stays in both (it holds r_debug, which the PAL
# extends for gdb). The initial stack stays too (the host's view of the
# command line).
sabot=$1 prog=$2
. "$(dirname "$0")/checks.sh"
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$sabot" run -- "$prog" >"$out" &
run=$!
i=0
while ! grep -q forked "$out" && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
# The fork child runs the program, and so does its parent (the host process
# the libos booted in), both with the program in their command line and in
# one session (the runtime's tmpfs watcher, also a child, has its own).
sid() { awk '{ print $6 }' /proc/$1/stat 2>/dev/null; }
parent= child=
for p in $(pgrep -f "$prog"); do
    pp=$(awk '/^PPid:/ { print $2 }' /proc/$p/status 2>/dev/null)
    if grep -q "$prog" /proc/$pp/cmdline 2>/dev/null && grep -q "$prog" /proc/$p/cmdline &&
        [ "$(sid $p)" = "$(sid $pp)" ]; then
        parent=$pp child=$p
    fi
done
need_child $run "$child" "fork child"
if grep -q 'ld-linux' /proc/$parent/maps; then # a dynamic build
    check "parent maps libc" grep -q 'libc[.-]' /proc/$parent/maps
    check "child maps no libc" sh -c "! grep -q 'libc[.-]' /proc/$child/maps"
    check "child keeps ld.so (gdb's r_debug)" grep -q 'ld-linux' /proc/$child/maps
    check "child has fewer mappings" test "$(wc -l </proc/$child/maps)" -lt "$(wc -l </proc/$parent/maps)"
else
    check "sabot is static-PIE: no shared library in the parent" \
        sh -c "! grep -q '[.]so' /proc/$parent/maps"
fi
# Each private mapping a process has written is one more for every fork to
# copy (~2 us here): page 0 (the rewrite's trampolines, written once at
# set-up) is shared, and the runtime's RELRO, written by its relocation,
# is merged back into .data at boot: no read-only mapping of sabot holds
# anonymous (copied-on-write) pages.
if grep -q '^00000000-00001000' /proc/$parent/maps; then
    check "page 0 is a shared mapping" grep -q '^00000000-00001000 ..xs' /proc/$parent/maps
fi
sabot_file=$(readlink -f "$sabot")
relro=$(awk -v f="$sabot_file" '/^[0-9a-f]+-/ { ro = ($2 ~ /^r-/ && $6 == f) }
    ro && /^Anonymous:/ && $2 > 0 { n++ } END { print n + 0 }' /proc/$child/smaps)
check "no read-only copy-on-write mapping of sabot ($relro)" test "$relro" -eq 0
if ! grep -q 'ld-linux' /proc/$parent/maps; then
    n=$(grep -c " $sabot_file\$" /proc/$child/maps)
    check "sabot is two host mappings, code and data ($n)" test "$n" -eq 2
fi
check "parent has glibc's heap" grep -q '\[heap\]' /proc/$parent/maps
check "child has no glibc heap (the PAL copied what it needs)" sh -c "! grep -q '\[heap\]' /proc/$child/maps"
check "child keeps its command line" grep -q forkwait /proc/$child/cmdline
finish $run "$child" fork_maps
