#!/bin/sh
# rw_edges (tests/kvm/rw_edges.c) natively and on the KVM PAL: the same
# stdout, and the site rewritten on KVM unless the rewrite is off.
#   run_rw_edges.sh SABOT PROG WORKDIR rewritten|syscall
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
SABOT=$1 PROG=$2 W=$3 SITE=$4
case ${SABOT_REWRITE:-} in 0) SITE=syscall ;; 1) SITE=rewritten ;; esac
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
"$PROG" >native.out 2>native.err
echo "native: exit $?"
"$SABOT" run --pal kvm -- "$PROG" >kvm.out 2>kvm.err
rc=$?
echo "kvm: exit $rc"
fail=0
[ $rc = 0 ] || fail=1
grep -qx 'rw_edges: done' native.out || { echo "FAIL: the native run did not finish"; fail=1; }
cmp -s native.out kvm.out || { echo "FAIL: output differs from native:"; diff native.out kvm.out; fail=1; }
grep -qx "site: $SITE" kvm.err || { echo "FAIL: the site is not '$SITE' on KVM"; fail=1; }
if [ $fail = 1 ]; then
    echo "---- kvm stderr ----"; grep -v 'unimplemented syscall' kvm.err | tail -20
    exit 1
fi
cat kvm.out
