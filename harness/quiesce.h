/* quiesce.h - bring the connection to rest so lookup counts can be
 * judged: sync, drop the kernel's dentry and inode caches, and wait for
 * the FORGETs that follow to stop arriving. */
#ifndef FC_QUIESCE_H
#define FC_QUIESCE_H

#include <stdint.h>
#include "session.h"

struct quiesce_opts {
	unsigned settle_ms;    /* no FORGET for this long = settled */
	unsigned timeout_ms;   /* give up (settled = 0) after this */
};

/* Quiesce and log FC_EV_QUIESCE (and, with a reference filesystem, its
 * ledger as FC_EV_FS_LEDGER).  `full`: descriptors were closed first.
 * *method gets enum fc_quiesce_method.  0 or -errno. */
int quiesce_run(struct session *s, const struct quiesce_opts *q,
		uint32_t line, int full, uint32_t *method);
/* 1 when this process may write /proc/sys/vm/drop_caches */
int quiesce_can_drop(void);

#endif
