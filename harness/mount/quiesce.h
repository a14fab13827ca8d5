/* mount/quiesce.h - bring the connection to rest so lookup counts can be
 * judged: sync, drop the kernel's dentry and inode caches, and wait for
 * the FORGETs that follow to stop arriving. */
#ifndef FC_QUIESCE_H
#define FC_QUIESCE_H

#include <stdint.h>
#include "mount/session.h"

/* How a quiesce makes the kernel let go of what it caches. */
enum quiesce_how {
	QUIESCE_AUTO = 0,      /* prune where the kernel speaks FUSE 7.45,
				  else notify; then drop_caches where
				  references remain after a full quiesce
				  and this process may write it */
	QUIESCE_DROP,          /* /proc/sys/vm/drop_caches: every
				  filesystem on the host; root */
	QUIESCE_NOTIFY,        /* FUSE_NOTIFY_INVAL_ENTRY of every name the
				  wire ledger holds (hard links' other
				  names too): this mount only, no
				  privilege */
	QUIESCE_PRUNE,         /* FUSE_NOTIFY_PRUNE of every nodeid the
				  kernel holds (FUSE 7.45; notify on an
				  older kernel): this mount only, no
				  privilege, no directory locks */
};

struct quiesce_opts {
	unsigned settle_ms;    /* extra quiet time after the barrier */
	unsigned timeout_ms;   /* give up (settled = 0) after this */
	int how;               /* enum quiesce_how */
};

/* "auto", "drop-caches", "notify", "prune" -> enum quiesce_how; -1
 * unknown */
int quiesce_how_parse(const char *s);

/* Quiesce and log FC_EV_QUIESCE (and, with a reference filesystem, its
 * ledger as FC_EV_FS_LEDGER).  `full`: descriptors were closed first.
 * *method gets enum fc_quiesce_method.  0 or -errno. */
int quiesce_run(struct session *s, const struct quiesce_opts *q,
		uint32_t line, int full, uint32_t *method);
/* 1 when this process may write /proc/sys/vm/drop_caches */
int quiesce_can_drop(void);
/* 1 when a quiesce can be done the way the run asked (set once, before
 * the capability probe) */
void quiesce_set_how(int how);
int quiesce_possible(void);

#endif
