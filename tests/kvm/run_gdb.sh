#!/bin/sh
# gdb through the KVM tender's gdbstub (`sabot run --pal kvm --gdb PORT`):
#  session: batch gdb stops at main of a static musl program, shows bt and
#    rip, steps a line, reads a global, runs to the exit status (7);
#  garbage: malformed packets on the port get answers, the tender lives on
#    and still runs the program to its exit (gdb_garbage.py);
#  interrupt: Ctrl-C (gdb's SIGINT) while two threads spin in app code
#    (gdb_spin.c): gdb reports SIGINT, both vCPUs stay stopped while gdb
#    looks, and the program runs on to its exit (9) once gdb lets it.
#
# usage: run_gdb.sh session|garbage|interrupt SABOT WORKDIR [SABOT_KVM_GDB_PY]
set -u
mode=$1 sabot=$2 work=$3 helper=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
case $sabot in /*) ;; *) sabot=$PWD/$sabot ;; esac
case $helper in /* | "") ;; *) helper=$PWD/$helper ;; esac
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
for t in gdb musl-gcc python3; do
    if ! command -v $t >/dev/null 2>&1; then
        echo "SKIP: $t is not installed"
        exit 77
    fi
done
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
if [ "$mode" = interrupt ]; then
    musl-gcc -static -O0 -g -o target "$here/gdb_spin.c" -lpthread || exit 1
    targs= want_rc=9
else
    musl-gcc -static -O0 -g -o target "$here/gdb_target.c" || exit 1
    targs=hello want_rc=7
    native=0
    ./target hello >native.out || native=$?
    [ $native = 7 ] || { echo "FAIL: the native run exited $native, not 7"; exit 1; }
fi

# Usage errors: a port out of range, --gdb without the kvm PAL (exit 2).
for bad in "--gdb 0" "--gdb=70000" "--gdb=x" "--pal linux --gdb 40001"; do
    "$sabot" run $bad -- ./target hello >/dev/null 2>usage.err
    rc=$?
    if [ $rc != 2 ] || ! grep -q -- "--gdb" usage.err; then
        echo "FAIL: 'sabot run $bad' exited $rc, not 2 with a --gdb message"
        exit 1
    fi
done

# Starts the tender on a free port (a few random tries); sets $port, $pid.
start_tender() {
    for try in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + ($$ * 7 + try * 1237 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 40000 ))
        rm -f tender.err
        "$sabot" run --pal kvm --gdb $port -- ./target $targs >tender.out 2>tender.err &
        pid=$!
        i=0
        while [ $i -lt 100 ]; do
            grep -q "waiting for gdb" tender.err 2>/dev/null && return 0
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
            i=$((i + 1))
        done
        wait $pid 2>/dev/null
        grep -q "Address already in use" tender.err || { cat tender.err; return 1; }
    done
    return 1
}
start_tender || { echo "FAIL: the tender did not listen"; exit 1; }

fail=0
if [ "$mode" = garbage ]; then
    timeout 60 python3 "$here/gdb_garbage.py" $port || fail=1
elif [ "$mode" = interrupt ]; then
    # gdb continues; once the program spins, SIGINT to gdb makes it send
    # Ctrl-C (0x03). Two reads of each thread's counter 0.3 s apart must
    # be equal (every vCPU stopped), then g_stop lets the program end.
    cat >session.gdb <<G
set pagination off
set width 0
set confirm off
set trust-readonly-sections on
target remote 127.0.0.1:$port
continue
info threads
print g_iter[0]
print g_iter[1]
shell sleep 0.3
print g_iter[0]
print g_iter[1]
set var g_stop = 1
continue
G
    timeout 90 gdb -nx -batch -x session.gdb ./target >gdb.out 2>&1 </dev/null &
    gpid=$!
    i=0
    while [ $i -lt 300 ] && ! grep -q '^gdb_spin: spinning' tender.out 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5
    kill -INT $gpid
    wait $gpid
    check() { # check REGEX WHAT
        if ! grep -Eq "$1" gdb.out; then
            echo "FAIL: $2 (no line matching: $1)"
            fail=1
        fi
    }
    check 'received signal SIGINT' "gdb did not report SIGINT after Ctrl-C"
    check '^  2 +Thread 2 \(vCPU 1\)' "info threads does not list the second vCPU"
    v=$(grep -E '^\$[1-4] = ' gdb.out | sed 's/^\$\([0-9]\) = /\1 /')
    a1=$(echo "$v" | awk '$1 == 1 {print $2}') b1=$(echo "$v" | awk '$1 == 2 {print $2}')
    a2=$(echo "$v" | awk '$1 == 3 {print $2}') b2=$(echo "$v" | awk '$1 == 4 {print $2}')
    if [ -z "$a1" ] || [ "$a1" != "$a2" ] || [ "$b1" != "$b2" ] || [ "$a1" = 0 ] || [ "$b1" = 0 ]; then
        echo "FAIL: the threads did not stay stopped (or never ran): g_iter $a1/$a2, $b1/$b2"
        fail=1
    fi
    check '^\[Inferior 1 \(Remote target\) exited with code 011\]' \
        "gdb did not see the exit status 9"
    # A failed session may leave the tender waiting for gdb: end it, so that
    # its output below tells what happened (instead of a test timeout).
    [ $fail = 0 ] || { echo "---- gdb output ----"; cat gdb.out; kill $pid 2>/dev/null; }
else
    # With the helper (sabot-kvm-gdb.py): connect through it, which also
    # loads the guest image's symbols.
    if [ -n "$helper" ]; then
        connect="source $helper
sabot-kvm $port
info symbol \$pc"
    else
        connect="set trust-readonly-sections on
target remote 127.0.0.1:$port"
    fi
    cat >session.gdb <<G
set pagination off
set width 0
set confirm off
$connect
info threads
break main
continue
bt
info registers rip
next
print g_counter
print s
stepi
hbreak printf
continue
continue
G
    timeout 90 gdb -nx -batch -x session.gdb ./target >gdb.out 2>&1 </dev/null
    check() { # check REGEX WHAT
        if ! grep -Eq "$1" gdb.out; then
            echo "FAIL: $2 (no line matching: $1)"
            fail=1
        fi
    }
    check '^\* 1 +Thread 1 \(vCPU 0\)' "info threads does not list vCPU 0"
    [ -z "$helper" ] || check '^kvm_start in section \.text of .*sabot-kvm-guest\.elf' \
        "the helper did not load the guest image's symbols (pc at kvm_start)"
    check '^Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_target\.c:[0-9]+' \
        "gdb did not stop at main with its arguments"
    check '^#0  main \(argc=2, ' "bt frame #0 is not main"
    check '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <main\+[0-9]+>' "info registers rip is not in main"
    check '^[0-9]+[[:space:]]+g_counter \+= s;' "next did not step over the call to the next line"
    check '^\$1 = 41$' "the global g_counter did not read 41"
    check '^\$2 = 15$' "the local s did not read 15 after the step"
    check '^(Hardware assisted breakpoint|Breakpoint) 2, .*printf' \
        "hbreak (a hardware breakpoint, emulated) did not stop at printf"
    check '^\[Inferior 1 \(Remote target\) exited with code 07\]' \
        "gdb did not see the exit status 7"
    # A failed session may leave the tender waiting for gdb: end it, so that
    # its output below tells what happened (instead of a test timeout).
    [ $fail = 0 ] || { echo "---- gdb output ----"; cat gdb.out; kill $pid 2>/dev/null; }
fi
wait $pid
rc=$?
if [ $rc != $want_rc ]; then
    echo "FAIL: sabot exited $rc, not $want_rc"
    echo "---- tender stderr ----"
    cat tender.err
    fail=1
fi
if [ "$mode" = interrupt ]; then
    want_out='^gdb_spin: stopped$'
else
    want_out='^gdb_target: 15 56 hello$'
fi
if ! grep -q "$want_out" tender.out; then
    echo "FAIL: the program's output is missing"
    cat tender.out
    fail=1
fi
[ $fail = 0 ] || exit 1
[ "$mode" = session ] && grep -E '^(Breakpoint 1,|Breakpoint 2,|Hardware assisted breakpoint 2,|#0|rip|\$[12] =|\[Inferior)' gdb.out
[ "$mode" = interrupt ] && grep -E '(SIGINT|^\$[1-4] =|\[Inferior)' gdb.out
echo PASS
cd / && rm -rf "$work"
