#!/bin/sh
# expect.sh EXIT STDERR_REGEX [STDOUT_REGEX] -- COMMAND [ARGS...]
# Passes when COMMAND exits with EXIT and its stderr (and stdout, if a
# regex is given) match the extended regular expressions; the word EMPTY
# instead of a regex means the stream must be empty, "" means anything.
want=$1; errre=$2; shift 2
outre=
if [ "$1" != "--" ]; then outre=$1; shift; fi
shift
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
fail=0
matches() { # REGEX FILE
    if [ -z "$1" ]; then return 0; fi
    if [ "$1" = EMPTY ]; then [ ! -s "$2" ]; else grep -Eq -- "$1" "$2"; fi
}
if [ "$got" != "$want" ]; then
    echo "exit status $got, expected $want"; fail=1
fi
if ! matches "$errre" "$err"; then
    echo "stderr does not match /$errre/"; fail=1
fi
if [ -n "$outre" ] && ! matches "$outre" "$out"; then
    echo "stdout does not match /$outre/"; fail=1
fi
if [ $fail != 0 ]; then
    echo "--- command: $*"; echo "--- stdout:"; cat "$out"; echo "--- stderr:"; cat "$err"
fi
exit $fail
