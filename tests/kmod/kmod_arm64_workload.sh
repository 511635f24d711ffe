# The arm64 guest's workload (busybox sh): a file read, a write, rename,
# unlink, a directory made and removed, a child shell, a failed exec.
/bin/cat /etc/passwd > /dev/null
echo data > /tmp/kestrel-a
/bin/mv /tmp/kestrel-a /tmp/kestrel-b
/bin/rm /tmp/kestrel-b
/bin/mkdir /tmp/kestrel-dir
/bin/rmdir /tmp/kestrel-dir
/bin/sh -c 'echo child-shell'
/nonexistent/prog 2>/dev/null
exit 0
