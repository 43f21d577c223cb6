set -e
echo start
x=$(echo sub | tr a-z A-Z); echo "cs: $x"
ls / | sort | head -2
( echo in-subshell; exit 0 )
sleep 0.3 & bg=$!
wait $bg; echo "waited: $?"
trap 'echo got-usr1' USR1
kill -USR1 $$
sleep 5 &
kill %1 2>/dev/null || kill $!
wait $! || echo "bg killed: $?"
f() { echo "func $1"; }
f arg
for i in 1 2 3; do echo -n "$i "; done; echo
{ echo aaa; /bin/echo bbb; echo ccc; } > shared-offset.txt
cat shared-offset.txt
echo done
