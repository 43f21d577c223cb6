# Sourced by the speed scripts: check DESCRIPTION CONDITION... prints ok or
# FAIL and remembers a failure; need_child RUN PID WHAT stops at once when
# PID is empty (no such process was found); finish RUN PID NAME kills PID,
# checks that RUN's wait ended well and reports.
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
finish() {
    kill "$2"
    wait "$1"
    rc=$?
    check "the parent's wait ended (exit $rc)" test $rc -eq 0
    [ $fail = 0 ] && echo "$3: ALL OK"
    exit $fail
}
