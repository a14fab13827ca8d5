# mergerfs pools two branches.  It bundles its own libfuse, which runs
# mergerfs-fusermount: the shim stands in for it (found beside the usual
# helpers; named here too).  No use_ino: st_ino renumbering is measured.
description = mergerfs: two directories pooled (bundled libfuse, high-level)
setup = mkdir a b
command = mergerfs -f -o cache.files=off {workdir}/a:{workdir}/b {mountpoint}
attach = auto
fusermount = mergerfs-fusermount
