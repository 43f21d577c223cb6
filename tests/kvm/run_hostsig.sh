#!/bin/sh
# Host signals to `sabot run --pal kvm`: PROG MODE runs natively and under
# the KVM PAL; once it prints "ready" it gets SIGINT, SIGHUP, SIGQUIT and
# SIGTERM (mode default: SIGINT, then SIGTERM: a background job of a
# non-interactive sh starts with SIGINT ignored, which the KVM PAL must
# honour too, and SIGTERM kills). Output and exit status must match the
# native run. Skipped (77) where /dev/kvm is not usable.
#   run_hostsig.sh SABOT WORKDIR PROG MODE
SABOT=$1 WD=$2 PROG=$3 MODE=$4
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
rm -rf "$WD" && mkdir -p "$WD" && cd "$WD" || exit 1
# The default manifest mounts the working directory: the program goes there.
cp "$PROG" ./hostsig || exit 1

# run NAME CMD...: the command's stdout in NAME.out, its status in NAME.rc
run() {
    name=$1
    shift
    "$@" > "$name.out" 2> "$name.err" &
    pid=$!
    i=0
    while ! grep -q '^ready$' "$name.out" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
            echo "FAIL: $name: no 'ready' line"
            cat "$name.err"
            kill -KILL $pid 2>/dev/null
            return 1
        fi
        sleep 0.1
    done
    if [ "$MODE" = default ]; then
        kill -INT $pid
        sleep 0.2
        kill -TERM $pid
    else
        for s in INT HUP QUIT TERM; do kill -$s $pid; done
    fi
    wait $pid
    echo $? > "$name.rc"
}

run native ./hostsig "$MODE" || exit 1
run kvm "$SABOT" run --pal kvm -- ./hostsig "$MODE" || exit 1
bad=0
if ! diff -u native.out kvm.out; then
    echo "FAIL: output differs (native vs kvm)"
    bad=1
fi
if [ "$(cat native.rc)" != "$(cat kvm.rc)" ]; then
    echo "FAIL: status $(cat kvm.rc) under kvm, $(cat native.rc) natively"
    cat kvm.err
    bad=1
fi
[ $bad = 0 ] && echo "hostsig $MODE: ALL OK (status $(cat kvm.rc))"
exit $bad
