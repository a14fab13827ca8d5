/* fusecheck/control.h - the out-of-band channel between fusecheck and the reference
 * filesystem.  It never goes through the mount (that would itself create
 * lookups).  A SOCK_SEQPACKET socket passed as --control-fd=N.
 *
 * fusecheck sends one byte, FC_CTL_SNAPSHOT.  The filesystem answers with
 * one or more messages, each a struct fc_ctl_hdr followed by `count`
 * struct fc_fs_inode (fusecheck/event.h) records, at most FC_CTL_MAX_MSG bytes; the
 * last message has last = 1.  Every live inode is listed, the root too.
 */
#ifndef FC_CONTROL_H
#define FC_CONTROL_H

#include <stdint.h>

#define FC_CTL_SNAPSHOT 'S'
#define FC_CTL_MAGIC 0x31534346u  /* "FCS1" little-endian */
#define FC_CTL_MAX_MSG 65536

struct fc_ctl_hdr {
	uint32_t magic;
	uint32_t count;
	uint32_t last;
	/* FORGET and BATCH_FORGET requests the filesystem had handled when
	 * it took the snapshot (mod 2^32): the harness compares it with
	 * what the tap relayed, so that a snapshot never predates a FORGET
	 * already on its way.  FC_CTL_FORGETS_UNKNOWN: not counted. */
	uint32_t forgets;
};

#define FC_CTL_FORGETS_UNKNOWN 0xffffffffu

#endif
