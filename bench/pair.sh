#!/bin/sh
# Server and client in one sandbox (bench/run's "in" server rows): runs
# SERVER... in the background, waits until the shell command PROBE succeeds,
# runs the shell command CLIENT (its output is this script's), then stops
# the server. Plain POSIX sh: it runs as /bin/sh under sabot, gVisor, proot.
#
# usage: pair.sh PROBE CLIENT SERVER...
probe=$1 client=$2
shift 2
"$@" >pair.server.out 2>&1 &
pid=$!
i=0
until eval "$probe" >/dev/null 2>&1; do
    if ! kill -0 $pid 2>/dev/null; then
        echo "pair: the server exited (pair.server.out)" >&2
        exit 1
    fi
    i=$((i + 1))
    if [ $i -gt 600 ]; then
        echo "pair: the server did not answer in 60 s" >&2
        kill $pid
        exit 1
    fi
    sleep 0.1
done
eval "$client"
rc=$?
kill $pid
wait $pid
exit $rc
