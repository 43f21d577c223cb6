#!/bin/bash
# The manifests of examples/{python3,redis,nginx} are valid (`sabot check`)
# and the python3 example runs as its README says, on a scratch copy of its
# directory (so nothing is written into the source tree).
# usage: examples.sh SABOT WORKDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
sabot=$1
need "$sabot"
work=$(fresh_dir "$2")
ex=$here/../../examples
fail=0
for e in python3/python3 redis/redis nginx/nginx busybox/busybox; do
    sed "s|@HERE@|$work|g" "$ex/$e.toml" >"$work/${e#*/}.toml"
    # Host mounts must exist (sabot checks them before starting): make the
    # example's directories under the scratch copy.
    sed -n "s|^source = \"\($work/[^\"]*\)\"|\1|p" "$work/${e#*/}.toml" | while read -r d; do
        mkdir -p "$d"
    done
    if ! out=$("$sabot" check -m "$work/${e#*/}.toml" 2>&1); then
        echo "FAIL: sabot check -m examples/$e.toml: $out"
        fail=1
    fi
done
need /usr/bin/python3
mkdir -p "$work/python3/out"
cp "$ex/python3/hello.py" "$work/python3/"
sed "s|@HERE@|$work/python3|g" "$ex/python3/python3.toml" |
    (cd "$work" && timeout 120 "$sabot" run -m /dev/stdin) >"$work/py.out" 2>&1
want='hello from python3 under sabot: sum of squares 0..7 = 140'
if ! grep -qxF "$want" "$work/py.out"; then
    echo "FAIL: examples/python3 did not print: $want"
    sed 's/^/  /' "$work/py.out" | tail -n 20
    fail=1
fi
if ! grep -q '"sum": 140' "$work/python3/out/squares.json" 2>/dev/null; then
    echo "FAIL: examples/python3 wrote no out/squares.json with the sum"
    fail=1
fi
[ $fail = 0 ] || exit 1
echo "PASS: 3 example manifests valid; the python3 example ran"
rm -rf "$work"
