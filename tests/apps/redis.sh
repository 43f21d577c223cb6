#!/bin/bash
# Debian's redis-server inside sabot (or natively with --native), with a
# manifest that grants only its port on loopback; redis-cli and
# redis-benchmark outside. Checks a few commands, that
# `redis-benchmark -q -n N -t set,get,incr,lpush,lpop` reports every test
# without errors, and a clean SHUTDOWN.
#
# usage: redis.sh [--native] SABOT WORKDIR [N]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
native=0
[ "$1" = --native ] && { native=1; shift; }
sabot=$1 n=${3:-10000}
need /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/redis-benchmark "$sabot"
work=$(fresh_dir "$2")
port=$(free_port)
manifest "$work" "[\"127.0.0.1:$port\"]" '[]' >"$work/redis.toml"
srv=(/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no
     --daemonize no --dir "$work" --logfile "$work/redis.log")
if [ $native = 1 ]; then
    cmd=("${srv[@]}")
else
    cmd=("$sabot" run -m "$work/redis.toml" -- "${srv[@]}")
fi
echo "command: (cd $work && ${cmd[*]})"
cd "$work"
env -i PATH=/usr/bin:/bin "${cmd[@]}" >"$work/server.out" 2>"$work/server.err" &
pid=$!
fail=0
failed() { echo "FAIL: $*"; fail=1; }
finish() {
    if kill -0 $pid 2>/dev/null; then
        kill -KILL $pid 2>/dev/null
        wait $pid 2>/dev/null
    fi
    if [ $fail = 1 ]; then
        echo "---- server stderr (last 30 lines) ----"
        tail -n 30 "$work/server.err"
        echo "---- redis.log (last 30 lines) ----"
        tail -n 30 "$work/redis.log" 2>/dev/null
        exit 1
    fi
    echo "PASS"
    rm -rf "$work"
    exit 0
}

if ! wait_port "$port" 30 $pid; then
    failed "redis-server exited or did not listen on 127.0.0.1:$port within 30 s"
    finish
fi
cli() { timeout 20 /usr/bin/redis-cli -p "$port" "$@" 2>&1; }
check() { # check WANT CMD...
    local got
    got=$(cli "${@:2}")
    [ "$got" = "$1" ] || failed "redis-cli ${*:2}: got '$got', want '$1'"
}
check PONG ping
check OK set greeting "hello sabot"
check "hello sabot" get greeting
check 3 rpush list a b c
check "a
b
c" lrange list 0 -1
check 11 incrby counter 11
check 3 dbsize

out=$(timeout 300 /usr/bin/redis-benchmark -p "$port" -q -n "$n" -t set,get,incr,lpush,lpop 2>&1 |
    tr '\r' '\n')
echo "redis-benchmark -q -n $n -t set,get,incr,lpush,lpop:"
echo "$out" | grep 'requests per second' | sed 's/^ */  /'
for t in SET GET INCR LPUSH LPOP; do
    echo "$out" | grep -q "^$t: .*requests per second" || failed "redis-benchmark: no result for $t"
done
if echo "$out" | grep -qi 'error'; then
    failed "redis-benchmark reported errors:"
    echo "$out" | grep -i error | head -n 10
fi
check "hello sabot" get greeting

# BGSAVE forks a child that writes dump.rdb into --dir (the rw mount).
check "Background saving started" bgsave
for _ in $(seq 100); do
    cli info persistence | grep -q '^rdb_bgsave_in_progress:0' && break
    sleep 0.1
done
st=$(cli info persistence | tr -d '\r' | grep '^rdb_last_bgsave_status:')
[ "$st" = rdb_last_bgsave_status:ok ] || failed "BGSAVE: $st, want rdb_last_bgsave_status:ok"
[ -s "$work/dump.rdb" ] || failed "BGSAVE wrote no $work/dump.rdb"
head -c 5 "$work/dump.rdb" 2>/dev/null | grep -q REDIS || failed "dump.rdb does not start with REDIS"

cli shutdown nosave >/dev/null
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    failed "redis-server still running 10 s after SHUTDOWN"
else
    wait $pid
    rc=$?
    [ $rc = 0 ] || failed "redis-server exited with $rc after SHUTDOWN, want 0"
fi
finish
