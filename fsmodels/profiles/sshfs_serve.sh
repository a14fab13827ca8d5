#!/bin/sh
# sshfs_serve.sh WORKDIR MOUNTPOINT - for the sshfs profile: start an sshd
# on a free port of 127.0.0.1 with the keys and config setup made in
# WORKDIR, wait until it takes connections, then become sshfs.  Runs in
# the filesystem's own mount and pid namespaces: /run is a private tmpfs
# (sshd's privilege separation directory), and sshd ends with the mount.
set -e
work=$1
mnt=$2
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mount -t tmpfs -o mode=755 none /run
mkdir /run/sshd
/usr/sbin/sshd -f "$work/sshd_config" -o "Port=$port" -E "$work/sshd.log"
# sshd may return before it listens: wait (5 s at most)
/usr/bin/python3 -c '
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit("sshd does not listen on port " + sys.argv[1])' "$port"
exec sshfs -f -o "IdentityFile=$work/user_key,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,LogLevel=ERROR,port=$port" "root@127.0.0.1:$work/export" "$mnt"
