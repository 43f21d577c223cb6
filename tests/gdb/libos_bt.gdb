# Batch session: stop inside the libos serving the app's write (the first
# call from its site: trapped, SIGSYS), show the stack, run to the end.
set pagination off
set width 0
set confirm off
set breakpoint pending on
break libos_sys_write
run
bt
delete
continue
