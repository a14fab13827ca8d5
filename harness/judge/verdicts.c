/* judge/verdicts.c - scenario statuses from the event stream, alongside the
 * checker's rules (which also turn FC_EV_EXPECT into violations). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fuse.h>
#include "judge/verdicts.h"
#include "wire/proto.h"

int verdicts_init(struct verdicts *v, struct fc_checker *c)
{
	memset(v, 0, sizeof(*v));
	v->checker = c;
	v->current = -1;
	return 0;
}

static struct verdict_scn *scn_at(struct verdicts *v, uint32_t index)
{
	/* More scenarios than any run has (the checker's cap too): a
	 * damaged log, not a reason to allocate up to 4G slots. */
	if (index >= FC_SCN_INDEX_MAX)
		return NULL;
	if (index >= v->capscn) {
		size_t nc = v->capscn ? v->capscn * 2 : 64;
		struct verdict_scn *ns;

		while (nc <= index)
			nc *= 2;
		ns = realloc(v->scn, nc * sizeof(*ns));
		if (!ns)
			return NULL;
		memset(ns + v->capscn, 0, (nc - v->capscn) * sizeof(*ns));
		v->scn = ns;
		v->capscn = nc;
	}
	if (index >= v->nscn)
		v->nscn = index + 1;
	return &v->scn[index];
}

/* A string inside a payload, bounded by its end. */
static char *dup_bounded(const char *s, const char *end)
{
	size_t n = (size_t)(end - s);
	const char *nul = memchr(s, 0, n);

	return strndup(s, nul ? (size_t)(nul - s) : n);
}

static void on_scenario(struct verdicts *v, const struct fc_event *ev)
{
	const struct fc_ev_scenario *se = ev->data;
	const char *end = (const char *)ev->data + ev->len;
	const char *reason;
	struct verdict_scn *s;

	if (ev->len < sizeof(*se) + 1)
		return;
	s = scn_at(v, se->index);
	if (!s)
		return;
	if (!s->file)
		s->file = dup_bounded(se->text, end);
	if (se->phase == FC_SCN_BEGIN) {
		v->current = se->index;
		s->begin_ns = ev->time_ns;
		return;
	}
	reason = memchr(se->text, 0, (size_t)(end - se->text));
	s->ended = 1;
	s->status = se->status;
	s->end_ns = ev->time_ns;
	free(s->reason);
	s->reason = reason && reason + 1 < end ?
			    dup_bounded(reason + 1, end) : NULL;
	if (s->reason && !s->reason[0]) {
		free(s->reason);
		s->reason = NULL;
	}
	v->current = -1;
}

/* The header names the opcode; only a READDIR's size needs the body
 * decoded (the checker decodes every request already: not twice). */
static void count_request(struct fc_request_mix *mix,
			  const struct fc_event *ev)
{
	struct fuse_in_header ih;
	struct fc_req req;

	if (ev->len < sizeof(ih))
		return;
	memcpy(&ih, ev->data, sizeof(ih));
	if (ih.opcode != FUSE_READDIR && ih.opcode != FUSE_READDIRPLUS) {
		if (ih.opcode < FC_MIX_OPS)
			mix->count[ih.opcode]++;
		else
			mix->other++;
		return;
	}
	if (proto_decode_request(ev->data, ev->len, &req))
		return;
	mix->count[req.opcode]++;
	if (req.size > mix->readdir_size_max)
		mix->readdir_size_max = req.size;
}

void verdicts_feed(struct verdicts *v, const struct fc_event *ev)
{
	size_t busy;

	checker_feed(v->checker, ev);
	if (ev->kind == FC_EV_SCENARIO)
		on_scenario(v, ev);
	if (ev->kind == FC_EV_UNMOUNT && ev->len && v->current >= 0 &&
	    (size_t)v->current < v->nscn) {
		free(v->scn[v->current].fs_exit);
		v->scn[v->current].fs_exit =
			dup_bounded(ev->data, (const char *)ev->data + ev->len);
	}
	if (v->current >= 0 && (size_t)v->current < v->nscn) {
		if (ev->kind == FC_EV_REQUEST)
			count_request(&v->scn[v->current].mix, ev);
		busy = checker_inflight(v->checker);
		if (busy > v->scn[v->current].max_inflight)
			v->scn[v->current].max_inflight = busy;
	}
}

void verdicts_fini(struct verdicts *v)
{
	size_t i;

	for (i = 0; i < v->nscn; i++) {
		free(v->scn[i].file);
		free(v->scn[i].reason);
		free(v->scn[i].fs_exit);
	}
	free(v->scn);
	memset(v, 0, sizeof(*v));
}

void verdicts_sink(void *arg, const struct fc_event *ev)
{
	verdicts_feed(arg, ev);
}
