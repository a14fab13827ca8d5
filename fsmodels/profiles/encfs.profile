# encfs over a directory of its own, the standard configuration, the
# password from --extpass.  encfs links libfuse 2: the shim attaches it.
description = encfs: encrypted directory (libfuse2, high-level)
setup = mkdir raw
command = encfs -f --standard --extpass='echo fusecheck' {workdir}/raw {mountpoint}
attach = fusermount
fresh = run
