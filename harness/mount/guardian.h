/* mount/guardian.h - a helper process that aborts our FUSE connection when
 * fusecheck is killed (SIGKILL) while a scenario thread waits for a
 * reply.  Such a thread cannot die until the request ends, so the
 * process cannot exit, its /dev/fuse descriptor is never released and
 * the filesystem (killed by PR_SET_PDEATHSIG) never answers: only a
 * fusectl abort ends it.  The guardian lives in a private mount
 * namespace of its own and knows only the connection we name, so it never
 * touches anyone else's. */
#ifndef FC_GUARDIAN_H
#define FC_GUARDIAN_H

#include <sys/types.h>

/* Fork the guardian (before becoming a child subreaper); 0 or
 * -errno.  Without it, everything works but a SIGKILL during a request
 * leaves the process stuck until the request ends. */
int guardian_start(void);
/* The connection to abort if we are killed; 0: none (after unmount). */
void guardian_watch(dev_t dev);

#endif
