# A read-only tree served through pyfuse3 (fsmodels/profiles/pyfuse3_tree.py,
# beside this profile): Python's binding of libfuse's low-level API.
description = pyfuse3_tree: a read-only tree served through pyfuse3 (Python, libfuse3 low-level)
command = /usr/bin/python3 {profiledir}/pyfuse3_tree.py {mountpoint}
attach = fd
provides =
