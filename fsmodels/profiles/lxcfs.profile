# lxcfs (high-level libfuse3): the container view of /proc and /sys that
# LXC and Incus mount into containers.  It answers each request from the
# caller's own namespaces, which it joins through the caller's pid, so it
# runs in fusecheck's pid namespace (pidns = host; a caller outside the
# filesystem's pid namespace has pid 0 in its requests and lxcfs waits
# out a timeout for every read).  Read-only: only scenarios without
# `requires` run, over the tree lxcfs serves.
description = lxcfs: the container view of /proc and /sys (libfuse3, high-level)
command = lxcfs -f {mountpoint}
attach = fd
pidns = host
provides =
