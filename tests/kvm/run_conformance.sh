#!/bin/sh
# PAL conformance on the KVM PAL: LAUNCHER IMAGE SCRATCH KNOWN_FAILURES
# Fails on any "not ok" not listed in KNOWN_FAILURES, or when the run does
# not reach its "1..N" plan line (a crash of the guest or the tender).
L=$1 IMG=$2 S=$3 KNOWN=$4
rm -rf "$S" && mkdir -p "$S" && ln -s target "$S/link" || exit 1
out=$("$L" "$IMG" "$S" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
echo "$out" | grep -q '^1\.\.[0-9]' || { echo "FAIL: no plan line (crash?), status $rc"; exit 1; }
bad=0
echo "$out" | grep '^not ok' | sed 's/^not ok [0-9]* - //' > "$S.failed"
while IFS= read -r t; do
    grep -qxF "$t" "$KNOWN" || { echo "FAIL: unexpected failure: $t"; bad=1; }
done < "$S.failed"
echo "$(echo "$out" | grep -c '^ok') ok, $(wc -l < "$S.failed") known failures"
exit $bad
