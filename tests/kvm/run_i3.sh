#!/bin/sh
# A test program of another suite on the KVM PAL: its runner script
# (issue3/run3.sh, or RUNNER=integration/run_prog.sh) with a `sabot` that
# always adds --pal kvm. Skipped (77) where /dev/kvm is not usable.
#   [RUNNER=...] run_i3.sh SABOT WRAPPER_DIR RUNNER_ARGS...
SABOT=$1 WD=$2
shift 2
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
mkdir -p "$WD" || exit 1
# run3.sh calls "$sabot run [-m M] -- PROG ARGS" under env -i. Tests run
# in parallel: the wrapper is replaced atomically.
cat > "$WD/sabot-kvm.$$" <<W
#!/bin/sh
[ "\$1" = run ] && shift
exec "$SABOT" run --pal kvm "\$@"
W
chmod +x "$WD/sabot-kvm.$$" && mv -f "$WD/sabot-kvm.$$" "$WD/sabot-kvm" || exit 1
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/../${RUNNER:-issue3/run3.sh}" --sabot "$WD/sabot-kvm" "$@"
