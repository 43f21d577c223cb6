#!/bin/sh
# The Linux PAL sandbox against a program that gets around the libos
# (pal_jump.c): it calls the PAL's syscall stub with chosen registers, or
# turns Syscall User Dispatch off and issues raw syscalls. Landlock and
# seccomp must stop what the manifest does not grant.
#
# usage: run_sandbox.sh SABOT PAL_JUMP WORKDIR GROUP
#   landlock_fs   open/write/create/exec of host files outside the grants: EACCES
#   landlock_net  TCP connect/bind on ports not granted: EACCES
#   scope         kill of a host process, connect to a host abstract socket: EPERM
#   seccomp       syscalls not on the allowlist (or bad arguments): process stopped
#   ip_filter     raw syscalls once Syscall User Dispatch is off: process stopped
#   refuse        a kernel without (enough) Landlock: refuses, unless the manifest
#                 accepts it (SABOT_TEST_LANDLOCK_ABI pretends an older kernel)
#   insecure      insecure__no_landlock / insecure__no_seccomp really turn them off
set -u
sabot=$1 prog=$2 w=$3 group=$4
fails=0
rm -rf "$w" && mkdir -p "$w/bin" "$w/data" "$w/ro" || exit 1
cp "$prog" "$w/bin/pal_jump" || exit 1
echo public >"$w/ro/file.txt"
echo secret >"$w/secret.txt"
sabot_exe=$(readlink -f "$sabot")
# Another part of the binary (the KVM tender) may hold a copy of the stub:
# take the one in the region the Linux PAL hands to Syscall User Dispatch
# (the pal_syscall_region_end that pal_linux_sud_enable loads).
end_off=$(objdump -d --no-show-raw-insn --disassemble=pal_linux_sud_enable "$sabot_exe" |
    sed -n 's/.*# \([0-9a-f]*\) <pal_syscall_region_end>.*/\1/p' | head -n 1)
stub_off= best=
for c in $(nm "$sabot_exe" | awk '$3 == "pal_host_syscall" { print $1 }'); do
    d=$((0x${end_off:-0} - 0x$c))
    [ $d -gt 0 ] || continue
    if [ -z "$best" ] || [ $d -lt $best ]; then best=$d stub_off=$c; fi
done
sel_off=$(nm "$sabot_exe" | awk '$3 == "g_sud_selector" { print $1 }')
if [ -z "$stub_off" ] || [ -z "$sel_off" ]; then
    echo "FAIL: no pal_host_syscall/g_sud_selector symbol in $sabot_exe"
    exit 1
fi
llabi= # SABOT_TEST_LANDLOCK_ABI for the next runs
port_ok=$((20000 + $$ % 20000)) port_bad=$((20001 + $$ % 20000))

manifest() { # EXTRA_SYS_LINES
    cat >"$w/m.toml" <<EOT
[fs]
cwd = "/data"

[[fs.mounts]]
path = "/data"
type = "host"
source = "$w/data"
readonly = false

[[fs.mounts]]
path = "/bin"
type = "host"
source = "$w/bin"
readonly = true

[[fs.mounts]]
path = "/ro"
type = "host"
source = "$w/ro"
readonly = true

[net]
connect = ["127.0.0.1:$port_ok"]
bind = ["127.0.0.1:$port_ok"]

[sys]
$1
EOT
}
manifest ""

sleep 60 &
victim=$!
trap 'kill $victim 2>/dev/null' EXIT

# run WANT_RC STDERR_PATTERN CASE [ARGS...]: one pal_jump run under sabot.
run() {
    want_rc=$1 pattern=$2
    shift 2
    rm -f "$w/data/addr"
    env ${llabi:+SABOT_TEST_LANDLOCK_ABI=$llabi} "$sabot" run -m "$w/m.toml" -- \
        /bin/pal_jump /data "$@" >"$w/out" 2>"$w/err" &
    pid=$!
    base=
    i=0
    while [ -z "$base" ] && [ $i -lt 500 ]; do
        base=$(awk -v exe="$sabot_exe" '$6 == exe && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' \
            "/proc/$pid/maps" 2>/dev/null)
        [ -n "$base" ] || kill -0 $pid 2>/dev/null || break # refused: gone already
        [ -n "$base" ] || sleep 0.01
        i=$((i + 1))
    done
    if [ -n "$base" ]; then
        printf '%x %x %d\n' $((0x$base + 0x$stub_off)) $((0x$base + 0x$sel_off)) "$victim" \
            >"$w/data/addr.tmp" && mv "$w/data/addr.tmp" "$w/data/addr"
    fi
    wait $pid
    rc=$?
    ok=1
    [ "$rc" = "$want_rc" ] || ok=0
    if [ -n "$pattern" ] && ! cat "$w/out" "$w/err" | grep -q -- "$pattern"; then ok=0; fi
    if [ $ok = 1 ]; then
        echo "ok   $* (exit $rc)"
    else
        echo "FAIL $*: exit $rc (want $want_rc), stderr should contain '$pattern'"
        sed 's/^/     out: /' "$w/out"
        sed 's/^/     err: /' "$w/err"
        fails=$((fails + 1))
    fi
}

allow="not on the PAL's allowlist"
outside="issued outside the PAL's syscall region"

case $group in
landlock_fs)
    run 0 "" open "$w/ro/file.txt" 0 # control: a granted file opens
    run 0 "" open "$w/secret.txt" -13
    run 0 "" open /etc/passwd -13
    run 0 "" open "$w" -13 # the directory holding the mounts
    run 0 "" write "$w/ro/file.txt"
    run 0 "" create "$w/new.txt"
    run 0 "" create "$w/ro/new.txt"
    run 0 "" memfd_reopen # what the PAL itself needs (pal_stream_reopen)
    run 0 "" exec /bin/true
    run 0 "" exec "$w/bin/pal_jump"
    for f in "$w/new.txt" "$w/ro/new.txt"; do
        [ ! -e "$f" ] || { echo "FAIL: $f was created on the host"; fails=$((fails + 1)); }
    done
    ;;
landlock_net)
    run 0 "" connect "$port_ok" -111 # control: granted, nobody listens
    run 0 "" connect "$port_bad" -13
    run 0 "" connect 22 -13
    run 0 "" bind "$port_ok" 0 # control
    run 0 "" bind "$port_bad" -13
    ;;
scope)
    run 0 "" kill
    kill -0 $victim || { echo "FAIL: the host process was killed"; fails=$((fails + 1)); }
    if command -v python3 >/dev/null; then
        name=sabot-sandbox-test-$$
        python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX); s.bind('\0$name'); s.listen(1)
open('$w/listening', 'w').close(); time.sleep(30)" &
        py=$!
        i=0
        while [ ! -e "$w/listening" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
        run 0 "" abstract "$name"
        kill $py
    else
        echo "skip abstract unix socket (no python3)"
    fi
    ;;
seccomp)
    for s in ptrace mount kexec_load bpf unshare clone_newuser tiocsti prctl_dumpable \
        socket_netlink process_vm_writev; do
        run 159 "$allow" syscall $s
    done
    ;;
ip_filter)
    run 159 "$outside" sud_off
    run 159 "$outside" selector
    ;;
refuse)
    llabi=0; run 2 "sabot: sandbox: the kernel has no Landlock (or it is off): host files and TCP ports cannot be confined; refusing to start (to accept it: sys.insecure__weak_landlock = true)" open /etc/passwd -13
    llabi=3; run 2 "Landlock ABI 3 < 4: host TCP ports cannot be confined; refusing" open /etc/passwd -13
    llabi=5; run 2 "Landlock ABI 5 < 6: abstract unix sockets" open /etc/passwd -13
    manifest "insecure__weak_landlock = true"
    # Accepted: files stay confined (ABI 3 has them), TCP ports do not.
    llabi=3; run 0 "Landlock ABI 3 < 4" open /etc/passwd -13
    run 0 "" connect "$port_bad" -111
    llabi=0; run 0 "no Landlock" open /etc/passwd 0
    ;;
insecure)
    manifest "insecure__no_landlock = true"
    run 0 "" open "$w/secret.txt" 0
    run 159 "$allow" syscall bpf # seccomp still on
    manifest "insecure__no_seccomp = true"
    run 1 "SURVIVED" syscall prctl_dumpable # comes back
    run 1 "SURVIVED" sud_off                 # raw syscalls reach the host
    run 0 "" open "$w/secret.txt" -13                    # Landlock still on
    ;;
*)
    echo "unknown group $group"
    exit 2
    ;;
esac
[ $fails = 0 ] && echo "PASS $group" && exit 0
echo "FAILED $group: $fails"
exit 1
