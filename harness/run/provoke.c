/* run/provoke.c - turn `evict` and `delay` into the harness's own actions
 * on the connection (docs/architecture.md, "Provocation").
 *
 * The judge knows which nodeid the kernel was given for each name; an
 * eviction asks it for the parent's nodeid under the log lock, then
 * writes the notification outside it: the write may wait on the
 * directory's lock, which a request of the scenario may hold while the
 * tap, needing the log lock, relays its reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture/tap.h"
#include "judge/checker.h"
#include "mount/evict.h"
#include "mount/session.h"
#include "run/body.h"
#include "run/provoke.h"

static void emit(struct evlog *log, const struct fc_ev_provoke *pv,
		 const char *name, size_t len)
{
	struct fc_ev_provoke *ev = calloc(1, sizeof(*ev) + len + 1);

	if (!ev)
		return;
	*ev = *pv;
	memcpy(ev->name, name, len);
	evlog_emit(log, FC_EV_PROVOKE, ev, (uint32_t)(sizeof(*ev) + len + 1),
		   0);
	free(ev);
}

int provoke_evict(struct run_ctx *rc, struct session *sess,
		  const char *workrel, uint32_t line, const char *path)
{
	struct fc_ev_provoke pv = { .what = FC_PROVOKE_EVICT, .line = line };
	const char *last = "";
	size_t lastlen = 0;
	char *full;
	int rc_;

	if (asprintf(&full, "%s%s%s", workrel, workrel[0] ? "/" : "",
		     path) < 0)
		return -ENOMEM;
	evlog_lock(rc->log);
	rc_ = checker_resolve(rc->judge, full, strlen(full), &pv.parent,
			      &pv.nodeid, &last, &lastlen);
	evlog_unlock(rc->log);
	if (rc_)
		goto out;
	/* a directory on the way the kernel never looked up: nothing
	 * below it is cached */
	pv.error = ENOENT;
	if (pv.parent) {
		rc_ = evict_entry(sess->devfd, pv.parent, last, lastlen);
		pv.error = -rc_;
	}
	emit(rc->log, &pv, last, lastlen);
	if (rc_ == -ENOENT)
		rc_ = 0;
out:
	free(full);
	return rc_;
}

int provoke_delay(struct run_ctx *rc, struct session *sess, uint32_t line,
		  uint32_t opcode, uint32_t us, int replies)
{
	struct fc_ev_provoke pv = {
		.what = replies ? FC_PROVOKE_DELAY_REPLY : FC_PROVOKE_DELAY,
		.line = line, .opcode = opcode, .value = us,
	};
	int err = replies ? tap_delay_replies(&sess->tap, opcode, us) :
			    tap_delay_requests(&sess->tap, opcode, us);

	if (err)
		return err;
	emit(rc->log, &pv, "", 0);
	return 0;
}

void provoke_reset(struct session *sess)
{
	for (uint32_t op = 0; op < TAP_DELAY_OPS; op++) {
		(void)tap_delay_requests(&sess->tap, op, 0);
		(void)tap_delay_replies(&sess->tap, op, 0);
	}
}
