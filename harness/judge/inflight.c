/* judge/inflight.c - the in-flight request table (judge/inflight.h), on u64tab
 * keyed by unique; names up to a few dozen bytes stay inline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "judge/inflight.h"

int inflight_init(struct inflight *t)
{
	memset(t, 0, sizeof(*t));
	u64tab_init(&t->tab, sizeof(struct inflight_req));
	return 0;
}

void inflight_reset(struct inflight *t)
{
	struct inflight_req *r;
	size_t pos = 0;

	while ((r = u64tab_next(&t->tab, &pos)))
		free(r->heap);
	u64tab_clear(&t->tab);
}

void inflight_destroy(struct inflight *t)
{
	inflight_reset(t);
	u64tab_fini(&t->tab);
}

struct inflight_req *inflight_find(const struct inflight *t, uint64_t unique)
{
	return u64tab_find(&t->tab, unique);
}

struct inflight_req *inflight_add(struct inflight *t, uint64_t unique)
{
	struct inflight_req *r;
	int created;

	r = u64tab_insert(&t->tab, unique, &created);
	if (!r)
		return NULL;
	if (!created) {
		/* a unique reused before its reply: the old one is gone */
		free(r->heap);
		memset(r, 0, sizeof(*r));
		r->unique = unique;
	}
	if (t->tab.count > t->max)
		t->max = t->tab.count;
	return r;
}

void inflight_remove(struct inflight *t, struct inflight_req *r)
{
	free(r->heap);
	u64tab_remove(&t->tab, r);
}

size_t inflight_count(const struct inflight *t)
{
	return t->tab.count;
}

int inflight_set_names(struct inflight_req *r, const char *name,
		       size_t len, const char *name2, size_t len2)
{
	char *p = r->inl;
	size_t need;

	if (!name)
		len = 0;
	if (!name2)
		len2 = 0;
	need = len + 1 + len2 + 1;
	free(r->heap);
	r->heap = NULL;
	if (need > sizeof(r->inl)) {
		r->heap = malloc(need);
		if (!r->heap)
			return -ENOMEM;
		p = r->heap;
	}
	if (len)
		memcpy(p, name, len);
	p[len] = '\0';
	if (len2)
		memcpy(p + len + 1, name2, len2);
	p[len + 1 + len2] = '\0';
	r->name_len = (uint32_t)len;
	r->name2_len = (uint32_t)len2;
	return 0;
}

const char *inflight_name(const struct inflight_req *r)
{
	return r->heap ? r->heap : r->inl;
}

const char *inflight_name2(const struct inflight_req *r)
{
	return inflight_name(r) + r->name_len + 1;
}

struct inflight_req *inflight_next(const struct inflight *t, size_t *pos)
{
	return u64tab_next(&t->tab, pos);
}
