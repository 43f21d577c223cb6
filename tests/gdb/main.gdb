# Batch session: stop at the app's main, show the stack, run to the end.
set pagination off
set width 0
set confirm off
set breakpoint pending on
break main
run
bt
continue
