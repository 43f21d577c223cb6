# Sourced by the speed scripts: check DESCRIPTION CONDITION... prints ok or
# FAIL and remembers a failure; need_child RUN PID WHAT stops at once when
# PID is empty (no such process was found).
fail=0
check() {
    d=$1
    shift
    if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
need_child() {
    [ -n "$2" ] && return 0
    echo "FAIL: no $3 found"
    kill "$1" 2>/dev/null
    exit 1
}
