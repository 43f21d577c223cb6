# A file position shared with forked children and data written by them:
# each command below runs in a child of the shell.
f=/tmp/sabot-offset-$$
{ echo a; sh -c 'echo b'; echo c; } > "$f"
cat "$f"
sh -c "echo d >> $f"
echo e >> "$f"
tr '\n' ' ' < "$f"
echo
( echo f; sh -c 'echo g' ) >> "$f"
wc -l < "$f"
rm -f "$f"
ls /dev/shm >/dev/null && echo "/dev/shm is there"
echo "offset: done"
