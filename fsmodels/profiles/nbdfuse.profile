# nbdfuse (libnbd, high-level libfuse3): an NBD export seen as one file,
# here nbdkit's memory plugin (1 MiB), started by nbdfuse itself over a
# socketpair.  Given /dev/fd/N as its mountpoint it does not come up, so
# `auto` falls back to the fusermount shim.  Read-only for the
# scenarios: nothing can be created (the one file may be written, which
# no tree scenario does).
description = nbdfuse: an NBD export as one file (nbdkit memory plugin; libfuse3, high-level)
command = nbdfuse {mountpoint} --command nbdkit -s memory 1M
attach = auto
provides =
