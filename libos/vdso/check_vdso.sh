#!/bin/sh
# The vDSO is mapped without a loader: it must need no relocations and no
# other object. usage: check_vdso.sh VDSO.so
set -eu
if readelf -rW "$1" | grep -q 'R_X86_64'; then
    echo "check_vdso: $1 has relocations:" >&2
    readelf -rW "$1" >&2
    exit 1
fi
if readelf -dW "$1" | grep -q NEEDED; then
    echo "check_vdso: $1 needs other objects" >&2
    exit 1
fi
