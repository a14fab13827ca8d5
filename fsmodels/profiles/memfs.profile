# The bundled reference filesystem: libfuse3 low-level, with its own
# lookup ledger over the control channel.  No command: fusecheck starts
# its memfs (with --memfs-args and each scenario's memfs options).
description = fusecheck's reference filesystem (memfs, libfuse3 low-level)
attach = fd
