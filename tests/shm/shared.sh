# One tmpfs for every process of the run, as on Linux: names, contents,
# modes and links made by children, grandchildren and siblings are seen by
# the others. Each command in quotes runs in a child shell.
d=/tmp/sabot-shared-$$
mkdir "$d" || exit 1
sh -c "echo x > $d/f"
cat "$d/f"
sh -c "sh -c 'echo grandchild > $d/g'"
cat "$d/g"
sh -c "mv $d/f $d/f2"
ls "$d"
sh -c "rm $d/g"
[ -e "$d/g" ] || echo "g removed by a child"
printf '3\n1\n2\n' > "$d/in"
sh -c "sort -o $d/sorted $d/in"
tr '\n' ' ' < "$d/sorted"
echo
sh -c "mkdir -p $d/sub/deeper && echo deep > $d/sub/deeper/file && chmod 640 $d/sub/deeper/file"
cat "$d/sub/deeper/file"
stat -c '%a %h' "$d/sub/deeper/file"
sh -c "ln $d/sub/deeper/file $d/hard && ln -s sub/deeper/file $d/soft"
stat -c '%h' "$d/sub/deeper/file"
cat "$d/soft"
readlink "$d/soft"
sh -c "ln -s sub/deeper/file $d/l1 && mv $d/l1 $d/l2 && touch -h -d '2001-02-03 04:05:06' $d/l2"
readlink "$d/l2"
stat -c '%y' "$d/l2" | cut -c1-19
# Two children append to one file the parent reads.
sh -c "echo one >> $d/log" &
sh -c "echo two >> $d/log" &
wait
sort "$d/log" | tr '\n' ' '
echo
# A sibling sees what another sibling made.
sh -c "echo sib > $d/sib"
sh -c "cat $d/sib"
# POSIX shm's directory too.
sh -c "echo shm > /dev/shm/sabot-shared-$$"
cat /dev/shm/sabot-shared-$$
rm -f /dev/shm/sabot-shared-$$
rm -rf "$d"
[ -e "$d" ] || echo "tree removed"
echo "shared: done"
