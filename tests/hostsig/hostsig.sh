#!/bin/sh
# Host SIGTERM/SIGINT/SIGHUP sent to the sabot process reach the program:
# a handler runs (and interrupts sleep), or the default action ends it
# with 128+signal, as it would natively.
# usage: hostsig.sh SABOT PROGRAM WORKDIR
set -u
sabot=$1 prog=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0
run() { # run SIGNAL HANDLE(yes/no) WANT_RC WANT_LINE
    if [ "$2" = yes ]; then arg=handle; else arg=; fi
    rm -f out.txt err.txt
    # A non-interactive shell starts background jobs with SIGINT ignored;
    # reset it so the program starts with default dispositions.
    env --default-signal=INT "$sabot" run -- "$prog" $arg >out.txt 2>err.txt &
    pid=$!
    i=0
    while ! grep -q ready out.txt 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    kill -s "$1" $pid
    wait $pid
    rc=$?
    if [ $rc != "$3" ] || ! grep -q "$4" out.txt; then
        echo "FAIL: SIG$1 (handler: $2): exit $rc, want $3; output:"
        cat out.txt err.txt | sed 's/^/  | /'
        fail=1
    fi
}
run TERM yes 0 "signal 15, sleep interrupted: yes"
run INT yes 0 "signal 2, sleep interrupted: yes"
run HUP yes 0 "signal 1, sleep interrupted: yes"
run TERM no 143 ready
run INT no 130 ready
# Dispositions the program inherits: an ignored SIGHUP stays ignored (nohup).
rm -f out.txt
env --ignore-signal=HUP "$sabot" run -- "$prog" >out.txt 2>err.txt &
pid=$!
i=0
while ! grep -q ready out.txt 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -s HUP $pid
sleep 0.3
if ! kill -0 $pid 2>/dev/null; then
    echo "FAIL: an inherited ignored SIGHUP ended the program"
    fail=1
fi
kill -s TERM $pid
wait $pid
# raise(SIGSTOP) stops the process (state T) until the host sends SIGCONT.
rm -f out.txt
"$sabot" run -- "$prog" stop >out.txt 2>err.txt &
pid=$!
i=0
while [ "$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)" != T ] && [ $i -lt 100 ]; do
    sleep 0.05
    i=$((i + 1))
done
state=$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)
kill -s CONT $pid
wait $pid
rc=$?
if [ "$state" != T ] || [ $rc != 0 ] || ! grep -q resumed out.txt; then
    echo "FAIL: raise(SIGSTOP): state '$state' (want T), exit $rc, output:"
    cat out.txt err.txt | sed 's/^/  | /'
    fail=1
fi
[ $fail = 0 ] && echo "hostsig: ALL OK"
exit $fail
