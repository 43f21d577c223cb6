# Batch session: stop inside the libos serving the app's getppid, first as
# a trapped call (SIGSYS), then through the rewritten site; show the stack
# each time, run to the end.
set pagination off
set width 0
set confirm off
set breakpoint pending on
break libos_sys_getppid
run
bt
continue
bt
delete
continue
