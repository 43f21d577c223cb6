#!/bin/bash
# Benchmarks Debian programs and system calls natively and under sabot in the
# same run and prints one table with the ratios. See bench/README.md.
#
# usage: bench/run.sh [-b BUILD] [-n REQUESTS] [-d SECONDS] [-m single|master]
#                     [-o redis,nginx,syscall]
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$root/tests/apps/common.sh"

build=$root/build requests=100000 duration=10 nginx_mode=single only=syscall,redis,nginx
while getopts b:n:d:m:o:h opt; do
    case $opt in
    b) build=$(cd "$OPTARG" && pwd) ;;
    n) requests=$OPTARG ;;
    d) duration=$OPTARG ;;
    m) nginx_mode=$OPTARG ;;
    o) only=$OPTARG ;;
    *) sed -n '2,7p' "$0"; exit 2 ;;
    esac
done
sabot=$build/runtime/sabot
[ -x "$sabot" ] || { echo "bench: no $sabot (build first: make, or pass -b BUILD)" >&2; exit 2; }
work=$(fresh_dir "$build/bench")
rows=$work/rows # lines: name|unit|native|sabot
: >"$rows"
want() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }
row() { echo "$1|$2|$3|$4" >>"$rows"; }
note() { echo "bench: $*" >&2; }

# ---- system calls: getpid (a trap into the libos) and clock_gettime (vDSO)
if want syscall; then
    if cc=$(command -v gcc || command -v cc); then
        "$cc" -O2 -o "$work/syscall" "$here/syscall.c"
        note "syscall microbenchmark"
        (cd "$work" && ./syscall 2000000) >"$work/sys.native"
        (cd "$work" && "$sabot" run -- ./syscall 500000) >"$work/sys.sabot"
        for k in getpid clock_gettime; do
            row "$k()" ns/call "$(awk -v k=$k '$1 == k { print $2 }' "$work/sys.native")" \
                "$(awk -v k=$k '$1 == k { print $2 }' "$work/sys.sabot")"
        done
    else
        note "no C compiler: syscall microbenchmark skipped"
    fi
fi

# start_server NAME native|sabot CMD...: runs CMD (under sabot with
# $work/NAME.toml granting $port) in the background; sets $pid.
start_server() {
    local name=$1 how=$2
    shift 2
    if [ "$how" = sabot ]; then
        manifest "$work" "[\"127.0.0.1:$port\"]" '[]' >"$work/$name.toml"
        set -- "$sabot" run -m "$work/$name.toml" -- "$@"
    fi
    # SABOT_REWRITE passes through (bench/run measures sabot with it 0 and 1)
    (cd "$work" && exec env -i PATH=/usr/bin:/bin ${SABOT_REWRITE:+SABOT_REWRITE=$SABOT_REWRITE} "$@") \
        >"$work/$name.$how.out" 2>&1 &
    pid=$!
    wait_port "$port" 30 $pid || { note "$name ($how) did not start: see $work/$name.$how.out"; return 1; }
}
stop_server() {
    kill -TERM $pid 2>/dev/null
    for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
}

# ---- redis-server with redis-benchmark outside
if want redis; then
    if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
        for how in native sabot; do
            port=$(free_port)
            note "redis ($how): redis-benchmark -q -n $requests -t set,get,incr,lpush,lpop"
            if start_server redis $how /usr/bin/redis-server --port "$port" --bind 127.0.0.1 \
                --save "" --appendonly no --daemonize no --dir "$work"; then
                redis-benchmark -p "$port" -q -n "$requests" -t set,get,incr,lpush,lpop 2>&1 |
                    tr '\r' '\n' | grep 'requests per second' >"$work/redis.$how"
            else
                : >"$work/redis.$how"
            fi
            stop_server
        done
        for t in SET GET INCR LPUSH LPOP; do
            row "redis $t" req/s "$(awk -v t=$t: '$1 == t { print $2 }' "$work/redis.native")" \
                "$(awk -v t=$t: '$1 == t { print $2 }' "$work/redis.sabot")"
        done
    else
        note "redis-server or redis-benchmark missing: skipped (apt-get install redis-server redis-tools)"
    fi
fi

# ---- nginx with wrk outside: static file (keep-alive), 1 MiB file, 404
if want nginx; then
    if [ -x /usr/sbin/nginx ] && command -v wrk >/dev/null; then
        for how in native sabot; do
            port=$(free_port)
            rm -rf "$work/nginx" && mkdir -p "$work/nginx"
            nginx_setup "$work/nginx" "$port" "$nginx_mode"
            note "nginx ($how, $nginx_mode): wrk -t2 -c32 -d${duration}s"
            if start_server nginx $how /usr/sbin/nginx -p "$work/nginx" \
                -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf"; then
                for p in index.html big.bin missing.html; do
                    wrk -t2 -c32 -d"${duration}s" "http://127.0.0.1:$port/$p" >"$work/wrk.$how.$p" 2>&1
                done
            fi
            stop_server
        done
        for p in index.html big.bin missing.html; do
            for how in native sabot; do
                f=$work/wrk.$how.$p
                v=$(awk '/^Requests\/sec/ { print $2 }' "$f" 2>/dev/null)
                grep -q 'Socket errors' "$f" 2>/dev/null && note "wrk $p ($how): $(grep 'Socket errors' "$f")"
                eval "v_$how=\$v"
            done
            row "nginx GET /$p" req/s "$v_native" "$v_sabot"
        done
    else
        note "nginx or wrk missing: skipped (apt-get install nginx-light wrk)"
    fi
fi

# ---- the table; ratio = sabot / native (above 1: slower for ns/call,
# faster for req/s)
echo
printf '%-24s %-9s %12s %12s %10s\n' benchmark unit native sabot sabot/nat
awk -F'|' '{
    r = ($3 > 0 && $4 != "") ? sprintf("%.2fx", $4 / $3) : "-"
    printf "%-24s %-9s %12s %12s %10s\n", $1, $2, ($3 == "" ? "-" : $3), ($4 == "" ? "failed" : $4), r
}' "$rows"
echo
echo "sabot: $("$sabot" --version 2>/dev/null | head -n 1); host: $(uname -sr), $(nproc) CPUs"
