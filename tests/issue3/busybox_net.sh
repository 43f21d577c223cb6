#!/bin/sh
# Debian's busybox as a network program under sabot, with peers outside it.
# usage: busybox_net.sh [--native] SABOT BUSYBOX PEER WORKDIR CASE
#   --native  run busybox natively instead (checks the test itself)
#   PEER      the host-built tests/issue3/peer.c
# CASE:
#   httpd      busybox httpd -f -p 127.0.0.1:PORT -h DIR under sabot; busybox
#              wget outside fetches a small and a 300 KiB file (byte-exact)
#              and a missing one (404)
#   nc_client  busybox nc 127.0.0.1 PORT under sabot against a native peer:
#              200 KiB each way
#   nc_server  busybox nc -l -p PORT under sabot, a native peer connects
#   nc_denied  no [net] grant: connect and listen are refused and the log
#              names the manifest key (net.connect, net.bind)
# Ports are picked at run time; each run gets a manifest granting only them.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
native=0
[ "${1:-}" = --native ] && { native=1; shift; }
[ $# = 5 ] || { echo "usage: busybox_net.sh [--native] SABOT BUSYBOX PEER WORKDIR CASE" >&2; exit 2; }
sabot=$1 bb=$2 peer=$3 work=$4 case=$5

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
cd "$work"

fail() {
    echo "FAIL: $*"
    for f in *.err; do
        [ -s "$f" ] || continue
        echo "---- $f (last 20 lines) ----"
        tail -n 20 "$f"
    done
    exit 1
}

# bb BIND CONNECT ARGS...: busybox under sabot with a manifest granting
# BIND / CONNECT ("-" for none), or natively.
bb() {
    b=$1 c=$2
    shift 2
    if [ $native = 1 ]; then
        "$bb" "$@"
    else
        sh "$here/manifest.sh" "$work" "$b" "$c" >"$work/manifest.$$.toml"
        "$sabot" run -m "$work/manifest.$$.toml" -- "$bb" "$@"
    fi
}

# bb_bg BIND CONNECT ARGS...: bb in the background, with $! the pid of
# sabot (or busybox) itself, not of a subshell, so stop() ends the server.
bb_bg() {
    b=$1 c=$2
    shift 2
    if [ $native = 1 ]; then
        # fd 3 carries stdin past the /dev/null an async list would get
        { "$bb" "$@" <&3 3<&- & } 3<&0
    else
        sh "$here/manifest.sh" "$work" "$b" "$c" >"$work/manifest.bg.toml"
        { "$sabot" run -m "$work/manifest.bg.toml" -- "$bb" "$@" <&3 3<&- & } 3<&0
    fi
}

head -c 204800 /dev/urandom >input.bin
head -c 204923 /dev/urandom >reply.bin

# stop PID: end a background process we started, whatever state it is in
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# wait_file FILE SECS: wait until FILE exists and is not empty
wait_file() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt $(($2 * 10)) ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$1" ]
}

case $case in
httpd)
    mkdir www
    printf '<html>sabot issue 3: %s</html>\n' "$(date +%s)" >www/index.html
    head -c 307200 /dev/urandom >www/big.bin
    port=$("$peer" freeport)
    bb_bg "127.0.0.1:$port" - httpd -f -p "127.0.0.1:$port" -h "$work/www" >httpd.out 2>httpd.err
    pid=$!
    ok=0
    for i in $(seq 1 100); do
        if "$bb" wget -q -O index.got "http://127.0.0.1:$port/index.html" 2>wget.err; then
            ok=1
            break
        fi
        kill -0 $pid 2>/dev/null || fail "httpd exited early (port $port)"
        sleep 0.1
    done
    [ $ok = 1 ] || { stop $pid; fail "httpd on 127.0.0.1:$port never answered"; }
    cmp -s www/index.html index.got || { stop $pid; fail "index.html differs from what httpd served"; }
    "$bb" wget -q -O big.got "http://127.0.0.1:$port/big.bin" 2>wget.err || {
        stop $pid
        fail "wget big.bin failed"
    }
    cmp www/big.bin big.got || { stop $pid; fail "big.bin (300 KiB) differs"; }
    if "$bb" wget -q -O missing.got "http://127.0.0.1:$port/missing.html" 2>wget404.err; then
        stop $pid
        fail "wget of a missing file succeeded"
    fi
    grep -q 404 wget404.err || { stop $pid; fail "missing file: no 404 in: $(cat wget404.err)"; }
    kill -0 $pid 2>/dev/null || fail "httpd died while serving"
    stop $pid
    echo "PASS: httpd on 127.0.0.1:$port served index.html, 300 KiB big.bin and a 404"
    ;;
nc_client)
    "$peer" serve port.txt reply.bin peer.got 2>peer.err &
    ppid=$!
    wait_file port.txt 10 || fail "peer did not start"
    port=$(cat port.txt)
    set +e
    bb - "127.0.0.1:$port" nc 127.0.0.1 "$port" <input.bin >nc.got 2>nc.err
    rc=$?
    set -e
    [ $rc = 0 ] || { stop $ppid; fail "busybox nc client exited with $rc"; }
    wait $ppid || fail "native peer failed"
    cmp input.bin peer.got || fail "the peer did not get the 200 KiB nc sent"
    cmp reply.bin nc.got || fail "nc did not print the 200 KiB reply"
    echo "PASS: nc client to 127.0.0.1:$port: 200 KiB each way, byte-exact"
    ;;
nc_server)
    port=$("$peer" freeport)
    bb_bg "0.0.0.0:$port,[::]:$port" - nc -l -p "$port" <input.bin >nc.got 2>nc.err
    npid=$!
    "$peer" connect "$port" reply.bin peer.got 2>peer.err || {
        stop $npid
        fail "native peer could not talk to nc -l -p $port"
    }
    wait $npid || fail "busybox nc -l exited with $?"
    cmp input.bin peer.got || fail "the peer did not get the 200 KiB nc -l sent"
    cmp reply.bin nc.got || fail "nc -l did not print the 200 KiB the peer sent"
    echo "PASS: nc -l -p $port: 200 KiB each way, byte-exact"
    ;;
nc_denied)
    [ $native = 0 ] || { echo "PASS: (sabot only)"; exit 0; }
    "$peer" serve port.txt reply.bin peer.got 2>peer.err &
    ppid=$!
    wait_file port.txt 10 || fail "peer did not start"
    port=$(cat port.txt)
    set +e
    bb - - nc 127.0.0.1 "$port" </dev/null >nc.out 2>nc.err
    rc=$?
    set -e
    stop $ppid
    [ $rc != 0 ] || fail "nc connected without a net.connect grant"
    grep -q 'net\.connect' nc.err || fail "no log line naming net.connect"
    grep -qi 'permission denied\|refused' nc.err || fail "nc did not report EACCES/ECONNREFUSED"
    [ ! -s peer.got ] || fail "the peer received data"
    set +e
    bb "127.0.0.1:1-2" - nc -l -p "$port" </dev/null >ncl.out 2>ncl.err
    rc=$?
    set -e
    [ $rc != 0 ] || fail "nc -l listened without a net.bind grant"
    grep -q 'net\.bind' ncl.err || fail "no log line naming net.bind"
    echo "PASS: connect and bind refused, log names net.connect and net.bind"
    ;;
*)
    echo "busybox_net.sh: unknown case $case" >&2
    exit 2
    ;;
esac
rm -rf "$work"
