/* test_ledger.c - the ledger's two indexes through growth: nodes found by
 * nodeid and by name after the nodeid index has doubled many times (the
 * tag in every dentry slot narrows then), names that move, leave and are
 * remembered, and a reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "judge/ledger.h"

#define NAMED 300
#define MANY 200000

static int setup(void **state)
{
	static struct ledger l;

	if (ledger_init(&l))
		return -1;
	*state = &l;
	return 0;
}

static int teardown(void **state)
{
	ledger_destroy(*state);
	return 0;
}

static void name_of(char *buf, size_t size, uint64_t i)
{
	snprintf(buf, size, "file-%llu", (unsigned long long)i);
}

static uint64_t find_name(const struct ledger *l, uint64_t parent,
			  uint64_t i)
{
	char name[32];

	name_of(name, sizeof(name), i);
	return ledger_lookup_name(l, parent, name, strlen(name));
}

/* Names indexed while the nodeid index was small still resolve after it
 * doubled to hold 200,000 nodes (each doubling moves a bit of every
 * dentry slot from tag to position). */
static void test_ledger__names_survive_nodeid_growth(void **state)
{
	struct ledger *l = *state;
	char name[32];
	uint64_t i;

	for (i = 0; i < NAMED; i++) {
		name_of(name, sizeof(name), i);
		assert_int_equal(ledger_set_name(l, 1000 + i, 1, name,
						 strlen(name)), 0);
	}
	for (i = 0; i < MANY; i++)
		assert_non_null(ledger_get(l, 0x10000000ull + i * 4096));
	for (i = 0; i < NAMED; i++)
		assert_int_equal(find_name(l, 1, i), 1000 + i);
	for (i = 0; i < MANY; i += 997)
		assert_int_equal(ledger_find(l, 0x10000000ull + i * 4096)->nodeid,
				 0x10000000ull + i * 4096);
	assert_null(ledger_find(l, 3));
	assert_int_equal(find_name(l, 2, 0), 0);
	assert_int_equal(find_name(l, 1, NAMED), 0);
}

/* Nodes never move: the first chunks are mapped one by one and later
 * ones a slab at a time, and a node keeps its address through both, and
 * through every doubling of the index, with its neighbours intact. */
static void test_ledger__nodes_stay_put_across_slabs(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *first, *mid;
	uint64_t i;

	first = ledger_get(l, 7);
	assert_non_null(first);
	first->refs = 11;
	for (i = 0; i < MANY; i++) {
		struct ledger_node *n = ledger_get(l, 100 + i);

		assert_non_null(n);
		n->refs = (uint32_t)i;
	}
	mid = ledger_find(l, 100 + MANY / 2);
	for (i = MANY; i < 2 * MANY; i++)
		assert_non_null(ledger_get(l, 100 + i));
	assert_ptr_equal(ledger_find(l, 7), first);
	assert_ptr_equal(ledger_find(l, 100 + MANY / 2), mid);
	assert_int_equal(first->refs, 11);
	for (i = 0; i < MANY; i += 101)
		assert_int_equal(ledger_find(l, 100 + i)->refs, i);
	assert_int_equal(l->count, 2 * MANY + 1);
}

/* Many names in many directories, then some renamed and some unlinked:
 * every name leads where the last change put it. */
static void test_ledger__names_move_and_leave(void **state)
{
	struct ledger *l = *state;
	char name[32], to[32];
	uint64_t i;

	for (i = 0; i < MANY; i++) {
		name_of(name, sizeof(name), i);
		assert_int_equal(ledger_set_name(l, 10 + i, 2 + i % 7, name,
						 strlen(name)), 0);
	}
	for (i = 0; i < MANY; i += 3)
		ledger_unlink_name(l, 10 + i);
	for (i = 1; i < MANY; i += 3) {
		snprintf(to, sizeof(to), "moved-%llu", (unsigned long long)i);
		assert_int_equal(ledger_set_name(l, 10 + i, 1, to, strlen(to)),
				 0);
	}
	for (i = 0; i < MANY; i++) {
		uint64_t want = i % 3 == 2 ? 10 + i : 0;

		assert_int_equal(find_name(l, 2 + i % 7, i), want);
		/* gone or moved: still seen (a revalidation may come) */
		name_of(name, sizeof(name), i);
		assert_true(ledger_name_seen(l, 2 + i % 7, name,
					     strlen(name)));
	}
	assert_int_equal(ledger_lookup_name(l, 1, "moved-4", 7), 14);
	assert_true(ledger_find(l, 10)->flags & LEDGER_F_UNLINKED);
	assert_false(ledger_name_seen(l, 1, "never", 5));
}

/* A reset forgets nodes, names and the names that left. */
static void test_ledger__reset_forgets(void **state)
{
	struct ledger *l = *state;

	assert_int_equal(ledger_set_name(l, 5, 1, "a", 1), 0);
	ledger_unlink_name(l, 5);
	assert_true(ledger_name_seen(l, 1, "a", 1));
	ledger_reset(l);
	assert_null(ledger_find(l, 5));
	assert_false(ledger_name_seen(l, 1, "a", 1));
	assert_int_equal(ledger_set_name(l, 6, 1, "a", 1), 0);
	assert_int_equal(ledger_lookup_name(l, 1, "a", 1), 6);
}

/* Open handles and rejected references live beside the node: counted
 * up and down, never below 0, and the record goes when both are 0. */
static void test_ledger__extras_count(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *n = ledger_get(l, 7), *m = ledger_get(l, 8);

	assert_int_equal(ledger_nopen(l, n), 0);
	ledger_count_open(l, n, -1);
	assert_int_equal(ledger_nopen(l, n), 0);
	ledger_count_open(l, n, 1);
	ledger_count_open(l, n, 1);
	ledger_count_rejected(l, m);
	assert_int_equal(ledger_nopen(l, n), 2);
	assert_int_equal(ledger_nopen(l, m), 0);
	assert_int_equal(ledger_rejected(l, m), 1);
	assert_int_equal(ledger_rejected(l, n), 0);
	ledger_count_open(l, n, -1);
	ledger_count_open(l, n, -1);
	ledger_count_open(l, n, -1);
	assert_int_equal(ledger_nopen(l, n), 0);
	assert_false(n->flags & LEDGER_F_EXTRA);
	assert_true(m->flags & LEDGER_F_EXTRA);
	assert_int_equal(l->extras.count, 1);
}

/* ino and generation keep their low halves in the node and any high
 * half in extras, which the node leaves again once both fit. */
static void test_ledger__wide_identity(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *n = ledger_get(l, 7), *m = ledger_get(l, 8);
	uint64_t big = 0x123456789abcdef0ull;

	assert_int_equal(ledger_set_identity(l, m, 42, 3), 0);
	assert_false(m->flags & LEDGER_F_EXTRA);
	assert_int_equal(ledger_set_identity(l, n, big, 5), 0);
	assert_true(n->flags & LEDGER_F_EXTRA);
	assert_true(ledger_ino(l, n) == big);
	assert_int_equal(ledger_generation(l, n), 5);
	assert_int_equal(ledger_set_identity(l, n, 9, big + 1), 0);
	assert_int_equal(ledger_ino(l, n), 9);
	assert_true(ledger_generation(l, n) == big + 1);
	/* an open handle keeps the record when the identity narrows */
	ledger_count_open(l, n, 1);
	assert_int_equal(ledger_set_identity(l, n, 10, 11), 0);
	assert_true(n->flags & LEDGER_F_EXTRA);
	assert_int_equal(ledger_generation(l, n), 11);
	ledger_count_open(l, n, -1);
	assert_false(n->flags & LEDGER_F_EXTRA);
	assert_int_equal(l->extras.count, 0);
	assert_int_equal(ledger_ino(l, n), 10);
	assert_int_equal(ledger_ino(l, m), 42);
	assert_int_equal(ledger_generation(l, m), 3);
}

/* The parent is kept as a position: a name in a directory the ledger
 * never saw gives that directory a node, and the path walks up. */
static void test_ledger__parent_by_position(void **state)
{
	struct ledger *l = *state;
	char path[64];

	assert_non_null(ledger_get(l, 1));
	assert_int_equal(ledger_set_name(l, 40, 1, "d", 1), 0);
	assert_int_equal(ledger_set_name(l, 41, 40, "f", 1), 0);
	assert_int_equal(ledger_set_name(l, 50, 99, "g", 1), 0);
	assert_int_equal(ledger_parent(l, ledger_find(l, 41)), 40);
	assert_int_equal(ledger_parent(l, ledger_find(l, 50)), 99);
	assert_int_equal(ledger_parent(l, ledger_find(l, 99)), 0);
	ledger_path(l, 41, path, sizeof(path));
	assert_string_equal(path, "d/f");
	ledger_path(l, 50, path, sizeof(path));
	assert_string_equal(path, "<nodeid 99>/g");
	/* moved to another directory */
	assert_int_equal(ledger_set_name(l, 41, 1, "top", 3), 0);
	ledger_path(l, 41, path, sizeof(path));
	assert_string_equal(path, "top");
	assert_int_equal(ledger_lookup_name(l, 40, "f", 1), 0);
}

/* What a prune quiesce is given: every nodeid the kernel references,
 * the root and forgotten ones aside, a child always before its
 * directory, nodes without a name too. */
static void test_ledger__referenced_ids_deepest_first(void **state)
{
	struct ledger *l = *state;
	uint64_t ids[] = { 20, 21, 22, 23, 24 }, *v;
	size_t n, i, at_of[30] = { 0 };

	ledger_get(l, 1)->refs = 1;
	/* 20/21/22 is a chain, 23 sits in the root, 24 has no name */
	assert_int_equal(ledger_set_name(l, 20, 1, "a", 1), 0);
	assert_int_equal(ledger_set_name(l, 21, 20, "b", 1), 0);
	assert_int_equal(ledger_set_name(l, 22, 21, "c", 1), 0);
	assert_int_equal(ledger_set_name(l, 23, 1, "d", 1), 0);
	for (i = 0; i < 5; i++)
		ledger_get(l, ids[i])->refs = 1;
	assert_int_equal(ledger_set_name(l, 25, 23, "gone", 4), 0);
	assert_int_equal(ledger_referenced_ids(l, &v, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		at_of[v[i]] = i + 1;
	free(v);
	for (i = 0; i < 5; i++)
		assert_true(at_of[ids[i]]);
	assert_false(at_of[25]);	/* no references */
	assert_true(at_of[22] < at_of[21] && at_of[21] < at_of[20]);
}

/* The inverse of the splitmix64 finalizer as it was public (no secret):
 * what a hostile filesystem could compute to choose its nodeids. */
static uint64_t inverse_odd(uint64_t a)
{
	uint64_t x = a;	/* Newton: right to 3 bits, doubling each step */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

static uint64_t unshift(uint64_t y, unsigned s)
{
	uint64_t x = y;
	unsigned i;

	for (i = 0; i < 64 / s + 1; i++)
		x = y ^ (x >> s);
	return x;
}

static uint64_t public_unmix(uint64_t h)
{
	h = unshift(h, 31);
	h *= inverse_odd(0x94d049bb133111ebULL);
	h = unshift(h, 27);
	h *= inverse_odd(0xbf58476d1ce4e5b9ULL);
	return unshift(h, 30);
}

/* Nodeids chosen to collide under the public mixer (every one's hash has
 * its low 32 bits zero) spread like any others: the mixer takes a secret
 * of the process, so the filesystem cannot make every probe walk the
 * whole index. */
static void test_ledger__chosen_nodeids_do_not_cluster(void **state)
{
	struct ledger *l = *state;
	uint64_t i;

	for (i = 1; i <= 20000; i++)
		assert_non_null(ledger_get(l, public_unmix(i << 32)));
	assert_int_equal(l->count, 20000);
	assert_true(ledger_longest_probe(l) < 1000);
}

/* A node keeps 32 bits of the seq that handed it out.  Up to 2^32
 * events the seq comes back exact; past them the base moves, and what
 * was handed out more than 2^31 events before reads "too long ago" (0,
 * still handed out) rather than a wrong seq. */
static void test_ledger__seq_ref_past_32_bits(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *a = ledger_get(l, 10), *b = ledger_get(l, 11);
	struct ledger_node *c = ledger_get(l, 12), *d = ledger_get(l, 13);
	const uint64_t big = (uint64_t)1 << 32;

	assert_false(ledger_handed_out(a));
	assert_int_equal(ledger_seq_ref(l, a), 0);
	ledger_set_seq_ref(l, a, 7);
	ledger_set_seq_ref(l, b, 3000000000u);
	assert_int_equal(ledger_seq_ref(l, a), 7);
	assert_int_equal(ledger_seq_ref(l, b), 3000000000u);
	/* past 2^32 events: a is too old to keep, b is not */
	ledger_set_seq_ref(l, c, big + 100);
	assert_int_equal(ledger_seq_ref(l, c), big + 100);
	assert_int_equal(ledger_seq_ref(l, b), 3000000000u);
	assert_int_equal(ledger_seq_ref(l, a), 0);
	assert_true(ledger_handed_out(a));
	/* a seq that goes backward past the base is not kept either */
	ledger_set_seq_ref(l, d, 5);
	assert_int_equal(ledger_seq_ref(l, d), 0);
	assert_true(ledger_handed_out(d));
	ledger_set_seq_ref(l, d, big + 200);
	assert_int_equal(ledger_seq_ref(l, d), big + 200);
}

/* Seqs that leap 2^32 at every event (a forged log) move the base only
 * after count / 64 settings since the last move, so each event does not
 * walk the ledger; meanwhile the node reads "too long ago", never a
 * wrong seq. */
static void test_ledger__seq_leaps_do_not_walk_every_time(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *n;
	uint64_t i, seq = 1;

	for (i = 1; i <= 6400; i++)
		ledger_set_seq_ref(l, ledger_get(l, 100 + i), seq++);
	/* 6,401 nodes, 6,400 settings: one move is allowed */
	seq += (uint64_t)1 << 32;
	n = ledger_get(l, 100);
	ledger_set_seq_ref(l, n, seq);
	assert_int_equal(ledger_seq_ref(l, n), seq);
	assert_int_equal(ledger_seq_ref(l, ledger_find(l, 101)), 0);
	/* the next leap finds 1 setting since: no move */
	seq += (uint64_t)1 << 32;
	ledger_set_seq_ref(l, n, seq);
	assert_int_equal(ledger_seq_ref(l, n), 0);
	assert_true(ledger_handed_out(n));
	/* after count / 64 settings near the base, a leap moves it again */
	for (i = 1; i <= 100; i++)
		ledger_set_seq_ref(l, ledger_find(l, 100 + i),
				   l->seq_base + 10 + i);
	ledger_set_seq_ref(l, n, seq);
	assert_int_equal(ledger_seq_ref(l, n), seq);
}

/* A reference count is 32 bits: one past the most leaves it there and
 * makes the node uncertain rather than wrapping to 0. */
static void test_ledger__refs_saturate(void **state)
{
	struct ledger *l = *state;
	struct ledger_node *n = ledger_get(l, 9);

	ledger_add_ref(n);
	assert_int_equal(n->refs, 1);
	assert_false(n->flags & LEDGER_F_UNCERTAIN);
	n->refs = LEDGER_REFS_MAX - 1;
	ledger_add_ref(n);
	assert_int_equal(n->refs, LEDGER_REFS_MAX);
	assert_false(n->flags & LEDGER_F_UNCERTAIN);
	ledger_add_ref(n);
	assert_int_equal(n->refs, LEDGER_REFS_MAX);
	assert_true(n->flags & LEDGER_F_UNCERTAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ledger__names_survive_nodeid_growth),
		T(test_ledger__names_move_and_leave),
		T(test_ledger__nodes_stay_put_across_slabs),
		T(test_ledger__reset_forgets),
		T(test_ledger__extras_count),
		T(test_ledger__wide_identity),
		T(test_ledger__parent_by_position),
		T(test_ledger__referenced_ids_deepest_first),
		T(test_ledger__chosen_nodeids_do_not_cluster),
		T(test_ledger__refs_saturate),
		T(test_ledger__seq_ref_past_32_bits),
		T(test_ledger__seq_leaps_do_not_walk_every_time),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
