#!/bin/sh
# gdb_no_main.sh GDB BINARY: passes when gdb finds no function named main in
# BINARY (symbol table or DWARF), i.e. "info functions ^main$" lists nothing
# under its header line.
out=$("$1" -nx -batch -ex 'info functions ^main$' "$2" 2>&1) || exit 1
echo "$out"
[ "$(echo "$out" | tail -n 1)" = 'All functions matching regular expression "^main$":' ]
