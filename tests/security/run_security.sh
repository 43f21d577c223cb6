#!/bin/sh
# Escape attempts under sabot. Builds a scratch tree, writes the manifests
# for the case, runs the escape program (see escape.c for the operation
# syntax) and then checks, from the host, that nothing outside changed.
#
# usage: run_security.sh SABOT ESCAPE WORKDIR CASE [ATTACK]
#   rofs          default manifest: writes into the read-only host / fail
#                 with EROFS (EXDEV across mounts) and the denial names fs.mounts
#   jail_root     a host directory mounted at /: .., symlinks (absolute, relative,
#                 to host paths) all stay inside it
#   jail_data     only /data and /bin mounted: nothing else of the host exists
#   private_tmp   default manifest: /tmp is the program's own, not the host's
#   dotdot symlinks proc_root proc_cwd proc_fd openat_dirfd openat2 hardlinks
#   rename_mounts ro_mount hidden_file shadowed_file
#                 the "jail" layout (see jail_setup): each op list runs under
#                 sabot and, where unshare works, natively in a chroot with the
#                 same mounts (bind, read-only bind, tmpfs, proc), so Linux
#                 itself confirms every expected errno. "ENOSYS~ENOENT" marks
#                 calls the libos does not offer (openat2, xattrs, mknod,
#                 name_to_handle_at): ENOSYS under sabot, Linux's answer natively
#   mem_mprotect mem_mmap mem_munmap mem_mremap mem_args proc_mem
#                 attack.c aims memory calls (and syscall buffers) at every host
#                 mapping that is not the program's, taken from /proc/PID/maps
#                 of the sabot process; afterwards each is still there unchanged
#   jit_rwx jit_wx jit_alias jit_stack
#                 raw `syscall` from code the program wrote still enters the libos
#   ptrace process_vm
#                 ENOSYS: the libos has no ptrace, process_vm_*, kcmp, pidfd_open
#                 (the answer of a kernel without them; nothing is traced/poked)
#   personality   READ_IMPLIES_EXEC|ADDR_NO_RANDOMIZE weakens nothing
#   kill_host     host pids are not visible: kill() gives ESRCH, the host process lives
#   net_connect net_bind
#                 only the granted port is reached; the denial names net.connect/bind
#   forkbomb fd_limit memory_limit
#                 [sys] processes/open_files/memory: EAGAIN/EMFILE/ENOMEM, the host
#                 process count stays at the limit, setrlimit cannot lift them
set -eu

# Paths given relative to where the script was started still work after cd.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
sabot=$(abspath "$1") escape=$(abspath "$2") w=$3 case=$4
attack=$(abspath "${5:-$2}")

rm -rf "$w"
mkdir -p "$w"
w=$(cd "$w" && pwd -P)

# Host files the program must not reach. The secret sits next to the jail,
# so a host-side ".." from the jail would find it.
mkdir -p "$w/outside/ro/emptydir" "$w/cwd" "$w/jail/etc" "$w/jail/data" "$w/jail/bin"
echo HOST-SECRET >"$w/outside/secret.txt"
echo ORIGINAL >"$w/outside/ro/victim.txt"
cp "$escape" "$w/outside/prog" # a host program the jail cannot run
echo JAIL-PASSWD >"$w/jail/etc/passwd"
echo DATA >"$w/jail/data/file.txt"
cp "$escape" "$w/jail/escape"
cp "$escape" "$w/jail/bin/escape"
ln -s /etc/passwd "$w/jail/data/abs"
ln -s ../../../../../../../../etc/passwd "$w/jail/data/up"
ln -s "$w/outside/secret.txt" "$w/jail/data/hostabs"
ln -s ../../outside "$w/jail/data/outlink" # on the host: $w/outside
ln -s / "$w/jail/data/rootlink"
# Everything under outside/: names, modes, sizes, mtimes and the contents.
snapshot() {
    (cd "$w/outside" && find . -exec ls -ld --time-style=+%s {} + | sort &&
        cat secret.txt ro/victim.txt)
}
snapshot >"$w/before"
probe=/etc/sabot-escape-probe.$$
trap 'rm -f "$probe"' EXIT


# The "jail" layout: / is $w/jail (rw), /ro a read-only host mount, /data2
# a second rw host mount, /shadow a tmpfs hiding the host's jail/shadow/key.
# The host's outside/ (secret.txt, prog) is not visible at all.
jail_setup() {
    rm -rf "$w/jail" "$w/rodir" "$w/data2"
    mkdir -p "$w/jail/etc" "$w/jail/data" "$w/jail/ro" "$w/jail/data2" "$w/jail/shadow" \
        "$w/jail/proc" "$w/jail/dev" "$w/jail/sys" "$w/jail/tmp" "$w/jail/bin" \
        "$w/rodir/emptydir" "$w/rodir/sub" "$w/data2"
    echo JAIL-PASSWD >"$w/jail/etc/passwd"
    echo DATA >"$w/jail/data/file.txt"
    echo ORIGINAL >"$w/rodir/victim.txt"
    echo HIDDEN-KEY >"$w/jail/shadow/key"
    echo DATA2 >"$w/data2/two.txt"
    cp "$escape" "$w/jail/escape"
    cp "$escape" "$w/jail/bin/escape"
    cp "$attack" "$w/jail/attack"
    d=$w/jail/data
    ln -s /etc/passwd "$d/abs"
    ln -s ../../../../../../../../etc/passwd "$d/up"
    ln -s "$w/outside/secret.txt" "$d/hostabs"
    ln -s ../../outside "$d/outlink"
    ln -s / "$d/rootlink"
    ln -s ../.. "$d/dirlink"
    ln -s chain2 "$d/chain1"
    ln -s chain3 "$d/chain2"
    ln -s hostabs "$d/chain3"
    ln -s loop2 "$d/loop1"
    ln -s loop1 "$d/loop2"
    ln -s selfloop "$d/selfloop"
    ln -s "$w/jail/data/made.txt" "$d/hostmade" # host path of a jail file
    ln -s /data/made.txt "$d/mk"
    # l0 -> l1 -> ... -> l40 -> file.txt: 41 links (Linux follows 40).
    i=0
    while [ $i -lt 40 ]; do
        ln -s "l$((i + 1))" "$d/l$i"
        i=$((i + 1))
    done
    ln -s file.txt "$d/l40"
    cat >"$w/jail.toml" <<EOT
[[fs.mounts]]
path = "/"
type = "host"
source = "$w/jail"
readonly = false

[[fs.mounts]]
path = "/ro"
type = "host"
source = "$w/rodir"
readonly = true

[[fs.mounts]]
path = "/data2"
type = "host"
source = "$w/data2"
readonly = false

[[fs.mounts]]
path = "/shadow"
type = "tmpfs"
EOT
}

# Runs the escape ops in the jail, natively (if user namespaces work) and
# under sabot, each on a fresh jail; rc != 0 if either run fails.
jail_run() {
    rc=0
    if unshare -rmpf true 2>/dev/null; then
        jail_setup
        set +e
        unshare -rmpf sh -c 'j=$1; shift
            mount --bind "$j/../rodir" "$j/ro" && mount -o remount,bind,ro "$j/ro" &&
            mount --bind "$j/../data2" "$j/data2" && mount -t tmpfs tmpfs "$j/shadow" &&
            mount -t proc proc "$j/proc" && exec chroot "$j" /escape --native "$@"' \
            sh "$w/jail" "$@" >"$w/native.out" 2>&1
        nrc=$?
        set -e
        if [ $nrc != 0 ] || ! grep -q '^escape: ALL OK$' "$w/native.out"; then
            echo "FAIL: natively (Linux in an equivalent chroot) the expectations do not hold:"
            grep -v '^ok' "$w/native.out" | sed 's/^/  /'
            rc=1
        fi
    else
        echo "note: unshare -rmpf does not work here: no native cross-check"
    fi
    jail_setup
    snapshot_jail >"$w/jail.before"
    set +e
    "$sabot" run -m "$w/jail.toml" -- /escape "$@" >"$w/out" 2>"$w/err"
    src=$?
    set -e
    [ $src = 0 ] || rc=$src
    snapshot_jail >"$w/jail.after"
    if ! diff -u --label before --label after "$w/jail.before" "$w/jail.after"; then
        echo "FAIL: the read-only mount or the host directory under the tmpfs changed"
        rc=1
    fi
}
snapshot_jail() {
    (cd "$w" && find rodir jail/shadow -exec ls -ld --time-style=+%s {} + | sort &&
        cat rodir/victim.txt jail/shadow/key)
}
S=$w/outside/secret.txt
P=$w/outside/prog

# Runs /attack ARGS under sabot in the background (pid in $spid).
attack_bg() {
    "$sabot" run -m "$w/jail.toml" -- /attack "$@" >"$w/out" 2>"$w/err" &
    spid=$!
}
# Waits for the program's NAME.ready in /data; 0 when it appeared.
wait_ready() {
    i=0
    while [ ! -e "$w/jail/data/$1.ready" ]; do
        i=$((i + 1))
        if [ $i -gt 3000 ] || ! kill -0 $spid 2>/dev/null; then return 1; fi
        sleep 0.02
    done
}
go() { : >"$w/jail/data/$1.go"; }
# The host process running the libos: sabot itself (it execs nothing).
libos_pid() { echo $spid; }
# Host processes of the sandbox: $spid and everything below it.
# Host processes in $spid's tree and host session: the runtime's tmpfs
# watcher, forked before the sandbox into its own session, is not counted
# (sandboxed processes cannot change their host session: no setsid).
descendants() {
    ps -e -o pid=,ppid=,sid= | awk -v root=$spid '
        { parent[$1] = $2; sid[$1] = $3 } END {
            n = 0
            for (p in parent) { q = p
                while (q in parent && q != root && q > 1) q = parent[q]
                if (q == root && sid[p] == sid[root]) n++ }
            print n }'
}
finish_bg() {
    set +e
    wait $spid
    rc=$?
    set -e
}

sec=$w/outside/secret.txt
ro=$w/outside/ro
want_log=
case $case in
rofs)
    cd "$w/cwd"
    set +e
    "$sabot" run -- "$escape" \
        "read|$ro/victim.txt|=ORIGINAL" \
        "write|$ro/victim.txt|EROFS" \
        "create|$ro/new.txt|EROFS" \
        "create|$probe|EROFS" \
        "trunc|$ro/victim.txt|EROFS" \
        "unlink|$ro/victim.txt|EROFS" \
        "mkdir|$ro/newdir|EROFS" \
        "mkdir|$ro/emptydir|EEXIST" \
        "rmdir|$ro/emptydir|EROFS" \
        "rename|$ro/victim.txt|$ro/moved.txt|EROFS" \
        "rename|$ro/victim.txt|$w/cwd/stolen.txt|EXDEV" \
        "link|$ro/victim.txt|$ro/hard.txt|EROFS" \
        "symlink|/etc/passwd|$ro/sym|EROFS" \
        "chmod|$ro/victim.txt|EROFS" \
        "create|$w/cwd/allowed.txt|ok" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=fs.mounts
    ;;
private_tmp)
    # The default manifest gives the program its own /tmp: host files in
    # /tmp are invisible and what the program writes there never reaches it.
    hostfile=/tmp/sabot-host-probe.$$
    echo HOST-TMP >"$hostfile"
    trap 'rm -f "$probe" "$hostfile" /tmp/sabot-private-probe.$$' EXIT
    cd "$w/cwd"
    set +e
    "$sabot" run -- "$escape" \
        "read|$hostfile|ENOENT" \
        "create|/tmp/sabot-private-probe.$$|ok" \
        "read|/tmp/sabot-private-probe.$$|=" \
        "list|/tmp|=sabot-private-probe.$$" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    if [ -e /tmp/sabot-private-probe.$$ ]; then
        echo "FAIL: the program's /tmp file appeared in the host's /tmp"
        rc=1
    fi
    ;;
jail_root)
    cat >"$w/jail.toml" <<EOT
[fs]
cwd = "/data"

[[fs.mounts]]
path = "/"
type = "host"
source = "$w/jail"
readonly = false
EOT
    cd "$w/cwd"
    set +e
    "$sabot" run -m "$w/jail.toml" -- /escape \
        "getcwd|=/data" \
        "read|/etc/passwd|=JAIL-PASSWD" \
        "read|/../../../etc/passwd|=JAIL-PASSWD" \
        "read|../../../../etc/passwd|=JAIL-PASSWD" \
        "readat|/data|../../../etc/passwd|=JAIL-PASSWD" \
        "read|/etc/hostname|ENOENT" \
        "read|$sec|ENOENT" \
        "read|/data/../../outside/secret.txt|ENOENT" \
        "readlink|/data/abs|=/etc/passwd" \
        "read|/data/abs|=JAIL-PASSWD" \
        "read|/data/up|=JAIL-PASSWD" \
        "read|/data/hostabs|ENOENT" \
        "read|/data/outlink/secret.txt|ENOENT" \
        "write|/data/outlink/secret.txt|ENOENT" \
        "create|/data/outlink/new.txt|ENOENT" \
        "read|/data/rootlink/../../etc/passwd|=JAIL-PASSWD" \
        "list|/..|!outside" \
        "list|/..|!work" \
        "list|/data/rootlink/..|!outside" \
        "chdir|/data/../..|ok" \
        "getcwd|=/" \
        "read|data/file.txt|=DATA" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    ;;
jail_data)
    # No mount at /: the host root is not part of the libos tree at all.
    cat >"$w/data.toml" <<EOT
[fs]
cwd = "/data"

[[fs.mounts]]
path = "/data"
type = "host"
source = "$w/jail/data"
readonly = false

[[fs.mounts]]
path = "/bin"
type = "host"
source = "$w/jail/bin"
readonly = true
EOT
    cd "$w/cwd"
    set +e
    "$sabot" run -m "$w/data.toml" -- /bin/escape \
        "read|/data/file.txt|=DATA" \
        "read|file.txt|=DATA" \
        "read|/etc/passwd|ENOENT" \
        "read|/data/../etc/passwd|ENOENT" \
        "read|../../../../etc/passwd|ENOENT" \
        "readat|/data|../../etc/passwd|ENOENT" \
        "read|$sec|ENOENT" \
        "read|/data/abs|ENOENT" \
        "read|/data/up|ENOENT" \
        "read|/data/hostabs|ENOENT" \
        "read|/data/outlink/secret.txt|ENOENT" \
        "create|/data/outlink/new.txt|ENOENT" \
        "stat|/data/rootlink/etc/passwd|ENOENT" \
        "list|/data/..|!etc" \
        "list|/data/..|!outside" \
        >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    want_log=
    ;;
dotdot)
    jail_run \
        "read|/data/../../../etc/passwd|=JAIL-PASSWD" \
        "read|/../../..$S|ENOENT" \
        "stat|/data/../../outside/secret.txt|ENOENT" \
        "chdir|/data|ok" \
        "stat|../../../../../../..$S|ENOENT" \
        "read|../../../../etc/passwd|=JAIL-PASSWD" \
        "lstat|/data/../../../outside|ENOENT" \
        "list|/data/../..|!outside" \
        "list|/..|=attack,bin,data,data2,dev,escape,etc,proc,ro,shadow,sys,tmp" \
        "exec|/data/../../outside/prog|ENOENT" \
        "exec|/../../../..$P|ENOENT" \
        "chdir|/data/../../..|ok" \
        "getcwd|=/" \
        "chdir|..|ok" \
        "getcwd|=/"
    ;;
symlinks)
    jail_run \
        "read|/data/abs|=JAIL-PASSWD" \
        "read|/data/up|=JAIL-PASSWD" \
        "readlink|/data/hostabs|=$S" \
        "read|/data/hostabs|ENOENT" \
        "stat|/data/hostabs|ENOENT" \
        "opencreat|/data/hostabs|ENOENT" \
        "read|/data/chain1|ENOENT" \
        "readlink|/data/chain1|=chain2" \
        "read|/data/loop1|ELOOP" \
        "stat|/data/loop2|ELOOP" \
        "read|/data/selfloop|ELOOP" \
        "opencreat|/data/loop1|ELOOP" \
        "read|/data/l1|=DATA" \
        "read|/data/l0|ELOOP" \
        "read|/data/outlink/secret.txt|ENOENT" \
        "create|/data/outlink/new.txt|ENOENT" \
        "list|/data/dirlink/..|!outside" \
        "read|/data/dirlink/../etc/passwd|=JAIL-PASSWD" \
        "stat|/data/rootlink/../../../outside|ENOENT" \
        "read|/data/rootlink/data/../../etc/passwd|=JAIL-PASSWD" \
        "read|/data/hostmade|ENOENT" \
        "opencreat|/data/mk|ok" \
        "read|/data/made.txt|=" \
        "symlink|$S|/data/newlink|ok" \
        "read|/data/newlink|ENOENT" \
        "exec|/data/rootlink/../outside/prog|ENOENT"
    ;;
proc_root)
    jail_run \
        "readlink|/proc/self/root|=/" \
        "read|/proc/self/root/etc/passwd|=JAIL-PASSWD" \
        "read|/proc/self/root/../../etc/passwd|=JAIL-PASSWD" \
        "list|/proc/self/root/../..|!outside" \
        "read|/proc/self/root/../../outside/secret.txt|ENOENT" \
        "read|/proc/self/root$S|ENOENT" \
        "read|/proc/1/root/../etc/passwd|=JAIL-PASSWD" \
        "stat|/proc/self/root/proc/self/root/../..$S|ENOENT" \
        "exec|/proc/self/root/../../outside/prog|ENOENT" \
        "chdir|/proc/self/root/..|ok" \
        "getcwd|=/"
    ;;
proc_cwd)
    jail_run \
        "chdir|/data|ok" \
        "readlink|/proc/self/cwd|=/data" \
        "read|/proc/self/cwd/file.txt|=DATA" \
        "read|/proc/self/cwd/../etc/passwd|=JAIL-PASSWD" \
        "read|/proc/self/cwd/../../../outside/secret.txt|ENOENT" \
        "list|/proc/self/cwd/../..|!outside" \
        "chdir|/proc/self/cwd/../../..|ok" \
        "getcwd|=/" \
        "fchdir|/ro|ok" \
        "readlink|/proc/self/cwd|=/ro" \
        "read|/proc/self/cwd/../../etc/passwd|=JAIL-PASSWD" \
        "create|/proc/self/cwd/new|EROFS" \
        "fchdir|/data|ok" \
        "stat|/proc/self/cwd/../..$S|ENOENT"
    ;;
proc_fd)
    jail_run \
        "readviafd|/data|file.txt|=DATA" \
        "readviafd|/data|../etc/passwd|=JAIL-PASSWD" \
        "readviafd|/data|../../../outside/secret.txt|ENOENT" \
        "readviafd|/data|../../..$S|ENOENT" \
        "listviafd|/|..|!outside" \
        "listviafd|/data|../..|!outside" \
        "readviafd|/ro|../../etc/passwd|=JAIL-PASSWD" \
        "readviafd|/shadow|key|ENOENT" \
        "readviafd|/data|hostabs|ENOENT"
    ;;
openat_dirfd)
    jail_run \
        "readat|/data|../etc/passwd|=JAIL-PASSWD" \
        "readat|/data|../../../../etc/passwd|=JAIL-PASSWD" \
        "readat|/ro|../../outside/secret.txt|ENOENT" \
        "readat|/data|$S|ENOENT" \
        "readat|/data|abs|=JAIL-PASSWD" \
        "readat|/data|outlink/secret.txt|ENOENT" \
        "readat|/proc/self|root/../../etc/passwd|=JAIL-PASSWD" \
        "readat|/shadow|../shadow/key|ENOENT" \
        "linkat|/data|../../outside/secret.txt|stolen|ENOENT" \
        "renameat|/data|../../outside/secret.txt|stolen|ENOENT" \
        "renameat|/data|file.txt|../../outside/file.txt|ENOENT"
    ;;
openat2)
    # openat2 is not implemented by the libos: ENOSYS (libcs fall back).
    jail_run \
        "openat2|/data|file.txt||ENOSYS~=DATA" \
        "openat2|/data|../etc/passwd|beneath|ENOSYS~EXDEV" \
        "openat2|/data|/etc/passwd|beneath|ENOSYS~EXDEV" \
        "openat2|/data|../../etc/passwd|in_root|ENOSYS~ENOENT" \
        "openat2|/data|abs|no_symlinks|ENOSYS~ELOOP" \
        "openat2|/|proc/self/root/etc/passwd|no_magiclinks|ENOSYS~ELOOP" \
        "openat2|/|ro/victim.txt|no_xdev|ENOSYS~EXDEV" \
        "openat2|/data|hostabs|in_root|ENOSYS~ENOENT"
    ;;
hardlinks)
    jail_run \
        "link|$S|/data/stolen|ENOENT" \
        "link|/data/outlink/secret.txt|/data/stolen|ENOENT" \
        "link|/shadow/key|/data/stolen|ENOENT" \
        "link|/data/hostabs|/data/linkedsym|ok" \
        "read|/data/linkedsym|ENOENT" \
        "link|/ro/victim.txt|/data/hard|EXDEV" \
        "link|/data/file.txt|/data2/hard|EXDEV" \
        "link|/data/file.txt|/ro/hard|EROFS" \
        "link|/data/file.txt|/shadow/hard|EXDEV" \
        "linkat|/|data/file.txt|data2/hard|EXDEV" \
        "link|/data/file.txt|$S|ENOENT" \
        "link|/data/file.txt|/data/hard|ok" \
        "read|/data/hard|=DATA"
    ;;
rename_mounts)
    jail_run \
        "rename|/data/file.txt|/data2/moved|EXDEV" \
        "rename|/ro/victim.txt|/data/moved|EXDEV" \
        "rename|/data/file.txt|/ro/moved|EXDEV" \
        "rename|/data/file.txt|/shadow/moved|EXDEV" \
        "rename|/data2/two.txt|/data/moved|EXDEV" \
        "rename|/data|/data2/sub|EXDEV" \
        "rename|$S|/data/moved|ENOENT" \
        "rename|/data/file.txt|/../../outside/moved|ENOENT" \
        "rename|/data/file.txt|/data/outlink/moved|ENOENT" \
        "rename|/data/file.txt|/data/renamed|ok" \
        "read|/data/renamed|=DATA"
    ;;
ro_mount)
    jail_run \
        "read|/ro/victim.txt|=ORIGINAL" \
        "openw|/ro/victim.txt|EROFS" \
        "opentrunc|/ro/victim.txt|EROFS" \
        "opencreat|/ro/victim.txt|EROFS" \
        "opencreat|/ro/new.txt|EROFS" \
        "create|/ro/new.txt|EROFS" \
        "trunc|/ro/victim.txt|EROFS" \
        "chmod|/ro/victim.txt|EROFS" \
        "chown|/ro/victim.txt|EROFS" \
        "utimensat|/ro/victim.txt|EROFS" \
        "utimes|/ro/victim.txt|EROFS" \
        "unlink|/ro/victim.txt|EROFS" \
        "mkdir|/ro/newdir|EROFS" \
        "mkdir|/ro/emptydir|EEXIST" \
        "rmdir|/ro/emptydir|EROFS" \
        "symlink|/etc/passwd|/ro/sym|EROFS" \
        "rename|/ro/victim.txt|/ro/moved|EROFS" \
        "rename|/ro/emptydir|/ro/sub/moved|EROFS" \
        "link|/ro/victim.txt|/ro/hard|EROFS" \
        "mkfifo|/ro/fifo|ENOSYS~EROFS" \
        "setxattr|/ro/victim.txt|ENOSYS~EROFS" \
        "opath|/ro/victim.txt|ok" \
        "read|/ro/victim.txt|=ORIGINAL"
    ;;
hidden_file|shadowed_file)
    # Every path-taking call on a file the manifest does not show answers
    # exactly as for a name that does not exist (the host file is at $S;
    # the shadowed one is under the /shadow tmpfs).
    [ $case = hidden_file ] && H=$S || H=/shadow/key
    set -- "read|$H|ENOENT" "openw|$H|ENOENT" "opath|$H|ENOENT" "opentrunc|$H|ENOENT" \
        "readat|/|$H|ENOENT" \
        "stat|$H|ENOENT" "lstat|$H|ENOENT" "fstatat|$H|ENOENT" "statx|$H|ENOENT" \
        "access|$H|ENOENT" "faccessat2|$H|ENOENT" "readlink|$H|ENOENT" "exec|$H|ENOENT" \
        "chdir|$H|ENOENT" "trunc|$H|ENOENT" "chmod|$H|ENOENT" "chown|$H|ENOENT" \
        "lchown|$H|ENOENT" "utimensat|$H|ENOENT" "utimes|$H|ENOENT" \
        "getxattr|$H|ENOSYS~ENOENT" "lgetxattr|$H|ENOSYS~ENOENT" \
        "listxattr|$H|ENOSYS~ENOENT" "setxattr|$H|ENOSYS~ENOENT" \
        "removexattr|$H|ENOSYS~ENOENT" "nametohandle|$H|ENOSYS~ENOENT" \
        "link|$H|/data/l|ENOENT" "unlink|$H|ENOENT" \
        "rmdir|$H|ENOENT" "inotify|$H|ENOENT" "statfs|$H|ENOENT" "mkdir|$H/sub|ENOENT" \
        "create|$H/sub|ENOENT" "list|$H|ENOENT" "symlink|$H|/data/sl|ok" \
        "read|/data/sl|ENOENT" "stat|/data/sl|ENOENT"
    # rename compares the mounts before it looks up the old name.
    [ $case = shadowed_file ] && set -- "$@" "rename|$H|/data/r|EXDEV" "rename|$H|/shadow/r|ENOENT"
    [ $case = hidden_file ] && set -- "$@" "rename|$H|/data/r|ENOENT" "mkfifo|$H|ENOSYS~ENOENT" \
        "link|/data/file.txt|$H|ENOENT" "rename|/data/file.txt|$H|ENOENT" \
        "create|$H|ENOENT" "symlink|/etc/passwd|$H|ENOENT"
    jail_run "$@"
    ;;
mem_mprotect|mem_mmap|mem_munmap|mem_mremap|mem_args|proc_mem)
    # Memory calls aimed at every host mapping that is not the program's.
    jail_setup
    sub=$case
    [ $case = proc_mem ] && sub=mem_procmem
    attack_bg $sub
    if wait_ready maps; then
        lp=$(libos_pid)
        cp /proc/$lp/maps "$w/jail/data/hostmaps"
        go maps
        if wait_ready after; then
            cp /proc/$lp/maps "$w/maps.after"
            # Every libos/PAL mapping is still there with the same access,
            # or gone without a trace (the libos freed it meanwhile): none
            # was replaced by something else.
            awk 'function lt(a, b) { return length(a) < length(b) || (length(a) == length(b) && a < b) }
                 NR == FNR { split($1, r, "-"); s[NR] = r[1]; e[NR] = r[2]; pm[NR] = $2; n = NR; next }
                 { split($1, r, "-"); for (i = 1; i <= n; i++) {
                     if (!lt(r[1], e[i]) || !lt(s[i], r[2]))
                         continue # no overlap
                     if (pm[i] == $2 && !lt(s[i], r[1]) && !lt(r[2], e[i]))
                         ok[i] = 1
                     else
                         other[i] = 1 } }
                 END { for (i = 1; i <= n; i++) if (other[i] && !ok[i]) { print "FAIL: host mapping changed: " s[i] "-" e[i] " " pm[i]; bad = 1 }
                       exit bad }' "$w/jail/data/targets" "$w/maps.after" || rc_maps=1
        fi
        go after
    fi
    finish_bg
    [ "${rc_maps:-0}" = 0 ] || rc=1
    ;;
jit_rwx|jit_wx|jit_alias|jit_stack)
    # Raw syscall instructions in code the program wrote itself still
    # enter the libos (a host openat would find the host file).
    jail_setup
    set +e
    "$sabot" run -m "$w/jail.toml" -- /attack jit ${case#jit_} "$S" >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    ;;
ptrace|process_vm)
    jail_setup
    set +e
    "$sabot" run -m "$w/jail.toml" -- /attack $case >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    ;;
personality)
    jail_setup
    set +e
    "$sabot" run -m "$w/jail.toml" -- /attack personality "$S" >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    ;;
kill_host)
    # A host process outside the sandbox: its host pid means nothing inside.
    sleep 30 &
    victim=$!
    jail_setup
    set +e
    "$sabot" run -m "$w/jail.toml" -- /escape "kill|$victim|9|ESRCH" "kill|$victim|0|ESRCH" \
        "kill|-$victim|9|ESRCH" "kill|$$|15|ESRCH" >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    if ! kill -0 $victim 2>/dev/null; then
        echo "FAIL: the host process $victim was killed from inside the sandbox"
        rc=1
    fi
    kill $victim 2>/dev/null || true
    ;;
net_connect|net_bind)
    # Host listeners on a granted and a non-granted port; only the granted
    # one may see a connection.
    base=$((20000 + $$ % 20000))
    ok=$base no=$((base + 1)) no6=$((base + 2)) bok=$((base + 3)) bno=$((base + 4))
    python3 -c '
import socket, sys, threading
def serve(fam, addr, port, log):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(8)
    while True:
        c, _ = s.accept(); open(log, "a").write("conn %d\n" % port); c.close()
def udp(port, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port))
    while True:
        s.recv(100); open(log, "a").write("udp %d\n" % port)
log = sys.argv[1]
for fam, a, p in ((socket.AF_INET, "127.0.0.1", int(sys.argv[2])), (socket.AF_INET, "127.0.0.1", int(sys.argv[3])),
                  (socket.AF_INET6, "::1", int(sys.argv[4]))):
    threading.Thread(target=serve, args=(fam, a, p, log), daemon=True).start()
threading.Thread(target=udp, args=(int(sys.argv[3]), log), daemon=True).start()
open(log + ".up", "w").close()
threading.Event().wait(60)
' "$w/hostlog" $ok $no $no6 &
    lpid=$!
    i=0
    while [ ! -e "$w/hostlog.up" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
    jail_setup
    cat >>"$w/jail.toml" <<EOT

[net]
connect = ["127.0.0.1:$ok"]
bind = ["127.0.0.1:$bok"]
EOT
    set +e
    if [ $case = net_connect ]; then
        "$sabot" run -m "$w/jail.toml" -- /escape \
            "connect|tcp|127.0.0.1|$ok|ok" \
            "connect|tcp|127.0.0.1|$no|ECONNREFUSED" \
            "connect|tcp|::1|$no6|ECONNREFUSED" \
            "connect|tcp|::ffff:127.0.0.1|$no|ECONNREFUSED" \
            "connect|tcp|127.0.0.2|$ok|ECONNREFUSED" \
            "connect|tcp|0.0.0.0|$no|ECONNREFUSED" \
            "sendto|udp|127.0.0.1|$no|EACCES" \
            "connect|udp|127.0.0.1|$no|EACCES" \
            >"$w/out" 2>"$w/err"
        rc=$?
        want_log="to allow it: net.connect"
    else
        "$sabot" run -m "$w/jail.toml" -- /escape \
            "bind|tcp|127.0.0.1|$bok|ok" \
            "bind|tcp|127.0.0.1|$bno|EACCES" \
            "bind|tcp|0.0.0.0|$bok|EACCES" \
            "bind|tcp|::|$bno|EACCES" \
            "bind|tcp|::1|$bok|EACCES" \
            "bind|udp|127.0.0.1|$bno|EACCES" \
            >"$w/out" 2>"$w/err"
        rc=$?
        want_log="to allow it: net.bind"
    fi
    set -e
    sleep 0.2
    kill $lpid 2>/dev/null || true
    if [ "$(cat "$w/hostlog" 2>/dev/null)" != "$([ $case = net_connect ] && echo "conn $ok")" ]; then
        echo "FAIL: host listeners saw: $(cat "$w/hostlog" 2>/dev/null | tr '\n' ' ') (only 'conn $ok' is granted)"
        rc=1
    fi
    ;;
forkbomb)
    jail_setup
    printf '\n[sys]\nprocesses = 8\n' >>"$w/jail.toml"
    attack_bg forkbomb 7
    if wait_ready peak; then
        n=$(descendants)
        # The libos process and its 7 children; nothing else on the host.
        if [ "$n" != 8 ]; then
            echo "FAIL: $n host processes under sabot at the peak (want 8)"
            rc_host=1
        fi
        go peak
    fi
    finish_bg
    [ "${rc_host:-0}" = 0 ] || rc=1
    ;;
fd_limit)
    jail_setup
    printf '\n[sys]\nopen_files = 40\n' >>"$w/jail.toml"
    set +e
    "$sabot" run -m "$w/jail.toml" -- /attack fds 40 >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    ;;
memory_limit)
    jail_setup
    printf '\n[sys]\nmemory = "96M"\n' >>"$w/jail.toml"
    set +e
    "$sabot" run -m "$w/jail.toml" -- /attack memory $((96 << 20)) >"$w/out" 2>"$w/err"
    rc=$?
    set -e
    ;;
*)
    echo "run_security.sh: unknown case $case" >&2
    exit 2 ;;
esac

fail=0
if [ $rc != 0 ] || ! grep -Eq '^(escape|attack): ALL OK$' "$w/out"; then
    echo "FAIL: escape program exit status $rc; failed checks:"
    grep -E '^(FAIL|     )' "$w/out" | sed 's/^/  /' || true
    fail=1
fi
snapshot >"$w/after"
if ! diff -u --label before --label after "$w/before" "$w/after"; then
    echo "FAIL: host files outside the sandbox changed (diff above)"
    fail=1
fi
if [ -e "$probe" ] || [ -e "$w/cwd/stolen.txt" ]; then
    echo "FAIL: a file was created on the host outside the read-write mount"
    fail=1
fi
if [ -n "$want_log" ] && ! grep -q "$want_log" "$w/err"; then
    echo "FAIL: no denial on stderr names the manifest key '$want_log'"
    fail=1
fi
if [ $fail = 1 ]; then
    echo "---- stdout ----"
    cat "$w/out"
    echo "---- stderr (last 40 lines) ----"
    tail -n 40 "$w/err"
    exit 1
fi
echo "PASS: $case: $(grep -c '^ok' "$w/out") escape attempts failed as they must"
rm -rf "$w"
