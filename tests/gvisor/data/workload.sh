#!/bin/sh
# The workload recorded into runsc_workload.stream (see README.md there).
# Runs inside `runsc do`: each line exercises one kind of point.
cd /tmp
cat /etc/hostname > /dev/null                    # exec, clone, openat, read, write, close, exit
echo hello | cat > /tmp/kestrel-pipe-out         # pipe, dup2, creat-like open
bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null   # socket, connect (refused)
nc -l 127.0.0.1 7777 & sleep 0.3; echo ping | nc -N 127.0.0.1 7777; wait  # bind, listen, accept
/root/.pyenv/versions/3.11.7/bin/python3 /tmp/kestrel-workload.py 2>/dev/null
exit 3
