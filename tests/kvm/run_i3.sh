#!/bin/sh
# An issue 3 showcase program on the KVM PAL: run3.sh with a `sabot`
# that always adds --pal kvm. Skipped (77) where /dev/kvm is not usable.
#   run_i3.sh SABOT WRAPPER_DIR RUN3_ARGS...
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
exec sh "$here/../issue3/run3.sh" --sabot "$WD/sabot-kvm" "$@"
