#!/bin/bash
# bench/run's server rows (issue 8) run under sabot: redis-benchmark SET/GET,
# nginx+wrk and mini-httpd+wrk (bench/httpd.c, also built with sabot-cc),
# with the client outside the sandbox (/out) and inside one sabot run with
# the server (/in, bench/pair.sh under /bin/sh: fork, exec, signals). Every
# cell must hold a figure (the rates themselves are not checked), and the
# sabotcc column n/a for the glibc servers. redis /in used to fail: the
# libos answered hiredis's second connect() with EALREADY.
#
# usage: servers.sh BUILD WORKDIR
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 work=$2
mkdir -p "$(dirname "$work")"
. "$root/tests/apps/common.sh"
need redis-server redis-benchmark redis-cli /usr/sbin/nginx wrk curl musl-gcc
out=$(bash "$root/bench/run" -b "$build" -w "$work" -o servers -c native,sud,rewrite,sabotcc \
    -R 1 -n 2000 -d 1 2>"$work.log")
rc=$?
[ $rc = 0 ] || { cat "$work.log"; echo "FAIL: bench/run exited $rc"; exit 1; }
echo "$out"
fails=0
num='^[0-9]+(\.[0-9]+)?$'
for row in redis-SET/out redis-SET/in redis-GET/out redis-GET/in nginx-index/out nginx-index/in \
    mini-httpd/out mini-httpd/in; do
    # name unit native sud rewrite sabotcc, the "(ratio)" words left out
    set -- $(echo "$out" | awk -v r="$row" '$1 == r' | tr ' ' '\n' | grep -v '^(')
    if [ $# -ne 6 ]; then
        echo "FAIL: row $row: $*"
        fails=$((fails + 1))
        continue
    fi
    native=$3 sud=$4 rewrite=$5 sabotcc=$6
    for cell in "native:$native" "sud:$sud" "rewrite:$rewrite"; do
        [[ ${cell#*:} =~ $num ]] || { echo "FAIL: $row ${cell%%:*}: ${cell#*:}"; fails=$((fails + 1)); }
    done
    case $row in
    mini-httpd/*) [[ $sabotcc =~ $num ]] || { echo "FAIL: $row sabotcc: $sabotcc"; fails=$((fails + 1)); } ;;
    *) [ "$sabotcc" = n/a ] || { echo "FAIL: $row sabotcc: $sabotcc (want n/a)"; fails=$((fails + 1)); } ;;
    esac
done
[ $fails = 0 ] || { cat "$work.log"; exit 1; }
echo "ok"
