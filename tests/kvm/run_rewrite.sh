#!/bin/sh
# tests/rewrite's programs on the KVM PAL: tests/rewrite/run.sh with a
# `sabot` that adds --pal kvm to `run` (made in the work directory: run.sh
# runs sabot under env -i).
#   run_rewrite.sh SABOT WORKDIR RUN.SH-ARGS...   (without --sabot)
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
SABOT=$1
W=$2
shift 2
mkdir -p "$W" || exit 1
cat > "$W/sabot-kvm" <<SH
#!/bin/sh
if [ "\$1" = run ]; then shift; exec "$SABOT" run --pal kvm "\$@"; fi
exec "$SABOT" "\$@"
SH
chmod +x "$W/sabot-kvm"
exec sh "$(dirname "$0")/../rewrite/run.sh" --sabot "$W/sabot-kvm" "$@"
