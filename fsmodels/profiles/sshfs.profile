# sshfs to an sshd started with the mount on 127.0.0.1, on a free port
# picked for each mount (the last mount's sshd may still be on its way
# out), keys made by setup.  The command runs in the filesystem's own
# mount and pid namespaces: sshd gets a private /run for its privilege
# separation directory, and ends with the mount.
description = sshfs: SFTP to an sshd on 127.0.0.1 started with the mount (libfuse3, high-level)
setup = mkdir export
	ssh-keygen -q -t ed25519 -N '' -f host_key
	ssh-keygen -q -t ed25519 -N '' -f user_key
	cp user_key.pub authorized_keys
	printf '%s\n' "ListenAddress 127.0.0.1" "HostKey $WORKDIR/host_key" "AuthorizedKeysFile $WORKDIR/authorized_keys" "PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" "PidFile none" "Subsystem sftp internal-sftp" > sshd_config
command = sh -c 'port=$(/usr/bin/python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") && mount -t tmpfs -o mode=755 none /run && mkdir /run/sshd && /usr/sbin/sshd -f {workdir}/sshd_config -o Port=$port -E {workdir}/sshd.log && exec sshfs -f -o IdentityFile={workdir}/user_key,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,port=$port root@127.0.0.1:{workdir}/export {mountpoint}'
attach = fd
fresh = run
