# sshfs to an sshd started with the mount on 127.0.0.1, on a free port
# picked for each mount, keys made by setup: sshfs_serve.sh, beside this
# profile, starts sshd in the filesystem's own mount and pid namespaces
# (a private /run for its privilege separation directory; it ends with
# the mount) and waits until it listens before it becomes sshfs.
description = sshfs: SFTP to an sshd on 127.0.0.1 started with the mount (libfuse3, high-level)
setup = mkdir export
	ssh-keygen -q -t ed25519 -N '' -f host_key
	ssh-keygen -q -t ed25519 -N '' -f user_key
	cp user_key.pub authorized_keys
	printf '%s\n' "ListenAddress 127.0.0.1" "HostKey $WORKDIR/host_key" "AuthorizedKeysFile $WORKDIR/authorized_keys" "PermitRootLogin prohibit-password" "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" "PidFile none" "Subsystem sftp internal-sftp" > sshd_config
command = sh {profiledir}/sshfs_serve.sh {workdir} {mountpoint}
attach = fd
fresh = run
