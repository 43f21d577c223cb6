#!/bin/bash
# Debian's nginx (nginx-light) inside sabot (or natively with --native), with
# its own configuration in the scratch directory (pid, logs and temp paths
# inside the read-write mount) and a manifest that grants only its port on
# loopback. curl checks a static file, a 1 MiB file (sendfile), a 404 and a
# dynamically loaded module (the Debian echo module, dlopen); then
# `wrk -t2 -c32 -d5s` on the static file must see no socket errors and only
# 2xx, and on a missing file only 404s. SIGTERM from the host must stop it.
#
# usage: nginx.sh [--native] SABOT WORKDIR master|single
#   master: master process + 1 worker (fork); single: master_process off
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
native=0
[ "$1" = --native ] && { native=1; shift; }
sabot=$1 mode=$3
need /usr/sbin/nginx /usr/bin/curl /usr/bin/wrk "$sabot"
work=$(fresh_dir "$2")
port=$(free_port)
manifest "$work" "[\"127.0.0.1:$port\"]" '[]' >"$work/nginx.toml"

nginx_setup "$work" "$port" "$mode"
ngx=(/usr/sbin/nginx -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf")
if [ $native = 1 ]; then
    cmd=("${ngx[@]}")
else
    cmd=("$sabot" run -m "$work/nginx.toml" -- "${ngx[@]}")
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
        echo "---- error.log (last 30 lines) ----"
        tail -n 30 "$work/logs/error.log" 2>/dev/null
        exit 1
    fi
    echo "PASS"
    rm -rf "$work"
    exit 0
}
if ! wait_port "$port" 30 $pid; then
    failed "nginx exited or did not listen on 127.0.0.1:$port within 30 s"
    finish
fi

url=http://127.0.0.1:$port
# get PATH WANT_STATUS [WANT_BODY_FILE]
get() {
    local code
    code=$(timeout 30 curl -s -o "$work/body" -w '%{http_code}' "$url$1")
    [ "$code" = "$2" ] || failed "curl $url$1: status $code, want $2"
    if [ -n "${3:-}" ] && ! cmp -s "$work/body" "$3"; then
        failed "curl $url$1: body differs from $3 ($(wc -c <"$work/body") bytes)"
    fi
}
get /index.html 200 "$work/www/index.html"
[ $fail = 0 ] || finish # nothing served: the rest would only time out
get / 200 "$work/www/index.html"
get /big.bin 200 "$work/www/big.bin"
get /missing.html 404
grep -q '<center>nginx' "$work/body" || failed "404 page is not nginx's"
if [ -f "$work/echo.on" ]; then
    printf 'echo module: GET 42\n' >"$work/echo.want"
    get "/echo?x=42" 200 "$work/echo.want"
fi
hdr=$(timeout 30 curl -sI "$url/index.html" | tr -d '\r')
echo "$hdr" | grep -qx 'Content-Length: 29' || failed "HEAD /index.html: no Content-Length: 29"

# wrk OUTFILE PATH SECONDS: requests completed
wrk_run() {
    timeout 60 /usr/bin/wrk -t2 -c32 -d"$3" "$url$2" >"$1" 2>&1
    awk '/requests in/ { print $1 }' "$1"
}
reqs=$(wrk_run "$work/wrk.out" /index.html 5s)
echo "wrk -t2 -c32 -d5s $url/index.html:"
grep -E 'Requests/sec|requests in|Socket errors|Non-2xx' "$work/wrk.out" | sed 's/^ */  /'
[ "${reqs:-0}" -gt 0 ] 2>/dev/null || failed "wrk completed no requests"
grep -q 'Socket errors' "$work/wrk.out" && failed "wrk: $(grep 'Socket errors' "$work/wrk.out")"
grep -q 'Non-2xx' "$work/wrk.out" && failed "wrk: $(grep 'Non-2xx' "$work/wrk.out")"

reqs=$(wrk_run "$work/wrk404.out" /missing.html 2s)
echo "wrk -t2 -c32 -d2s $url/missing.html:"
grep -E 'requests in|Socket errors|Non-2xx' "$work/wrk404.out" | sed 's/^ */  /'
grep -q 'Socket errors' "$work/wrk404.out" && failed "wrk 404: $(grep 'Socket errors' "$work/wrk404.out")"
non2xx=$(awk '/Non-2xx/ { print $NF }' "$work/wrk404.out")
[ "${reqs:-0}" -gt 0 ] 2>/dev/null && [ "$non2xx" = "$reqs" ] ||
    failed "wrk 404: $non2xx non-2xx responses of $reqs requests, want all"
get /index.html 200 "$work/www/index.html"

kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
    failed "nginx still running 10 s after SIGTERM"
else
    wait $pid
    rc=$?
    [ $rc = 0 ] || failed "nginx exited with $rc after SIGTERM, want 0"
fi
[ -e "$work/nginx.pid" ] && failed "nginx left its pid file behind"
grep -q '"GET /index.html HTTP/1.1" 200 29' "$work/logs/access.log" ||
    failed "access.log lacks the GET /index.html line"
finish
