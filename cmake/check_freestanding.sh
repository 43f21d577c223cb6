#!/bin/sh
# Fails when the libos/shim archives reference a symbol that is neither
# defined by themselves nor part of the PAL ABI (pal_*).
set -e
out=$1; shift
ld -r --whole-archive "$@" -o "$out"
bad=$(nm -u "$out" | awk '{print $2}' | grep -v -e '^pal_' -e '^_GLOBAL_OFFSET_TABLE_$' || true)
if [ -n "$bad" ]; then
    echo "error: libos/shim reference symbols outside pal.h:" >&2
    echo "$bad" | sed 's/^/  /' >&2
    exit 1
fi
