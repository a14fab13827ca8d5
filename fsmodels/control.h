/* control.h - the out-of-band channel between fusecheck and the reference
 * filesystem.  It never goes through the mount (that would itself create
 * lookups).  A SOCK_SEQPACKET socket passed as --control-fd=N.
 *
 * fusecheck sends one byte, FC_CTL_SNAPSHOT.  The filesystem answers with
 * one or more messages, each a struct fc_ctl_hdr followed by `count`
 * struct fc_fs_inode (event.h) records, at most FC_CTL_MAX_MSG bytes; the
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
	uint32_t pad;
};

#endif
