#!/bin/sh
# redis-server on the KVM PAL served to redis-benchmark and redis-cli on
# the host (outside the VM).   run_redis.sh SABOT WORKDIR
SABOT=$1 W=$2
if [ ! -w /dev/kvm ] || [ ! -r /dev/kvm ]; then
    echo "SKIP: /dev/kvm is missing or not accessible"
    exit 77
fi
for p in redis-server redis-benchmark redis-cli; do
    command -v $p > /dev/null || { echo "SKIP: $p not installed"; exit 77; }
done
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
port=$((20000 + $$ % 20000))
cat > redis.toml <<T
[pal]
name = "kvm"
[fs]
cwd = "$W"
[[fs.mounts]]
path = "/"
type = "host"
source = "/"
readonly = true
[[fs.mounts]]
path = "$W"
type = "host"
source = "$W"
readonly = false
[net]
bind = ["127.0.0.1:$port"]
T
"$SABOT" run -m redis.toml -- /usr/bin/redis-server --port $port --bind 127.0.0.1 --save "" \
    --appendonly no > server.log 2>&1 &
srv=$!
i=0
until redis-cli -p $port ping > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "FAIL: server did not come up"; cat server.log; kill $srv; exit 1; }
    sleep 0.1
done
fail=0
redis-cli -p $port set k hello > /dev/null
[ "$(redis-cli -p $port get k)" = hello ] && echo "ok: set/get" || { echo "FAIL: get"; fail=1; }
out=$(redis-benchmark -p $port -t set,get -n 3000 -c 10 -q --csv 2>&1)
echo "$out"
for t in SET GET; do
    rps=$(echo "$out" | grep "^\"$t\"" | cut -d, -f2 | tr -d '"' | cut -d. -f1)
    [ -n "$rps" ] && [ "$rps" -gt 0 ] && echo "ok: $t $rps requests/s" ||
        { echo "FAIL: no $t figure"; fail=1; }
done
redis-cli -p $port shutdown nosave > /dev/null 2>&1
wait $srv
rc=$?
# SHUTDOWN: redis exits 0.
[ $rc -eq 0 ] && echo "ok: server exited 0" || { echo "FAIL: server exit $rc"; cat server.log; fail=1; }
exit $fail
