/* run/provoke.h - a scenario's provocation statements made real: `evict`
 * drops one cached name of the mount by notification, `delay` holds an
 * opcode's requests in the tap.  Both are logged (FC_EV_PROVOKE) so that
 * the live judge and `replay` see the same stream. */
#ifndef FC_RUN_PROVOKE_H
#define FC_RUN_PROVOKE_H

#include <stdint.h>

struct run_ctx;
struct session;

/* Evict `path` (relative to the scenario's working directory `workrel`,
 * itself relative to the mount's root, "" for the root).  The name is
 * found through the wire ledger: one the kernel was never given is not
 * cached, and evicting it is done at once.  0 whether or not the kernel
 * held the name; -ENOTCONN once the connection is gone; -errno when the
 * kernel refused otherwise. */
int provoke_evict(struct run_ctx *rc, struct session *sess,
		  const char *workrel, uint32_t line, const char *path);
/* Hold requests of opcode (with `replies`: the replies to them) for us
 * microseconds from now on (0: stop). */
int provoke_delay(struct run_ctx *rc, struct session *sess, uint32_t line,
		  uint32_t opcode, uint32_t us, int replies);
/* End every delay (the scenario is over). */
void provoke_reset(struct session *sess);

#endif
