/* test_u64tab.c - the shared hash table: every operation against a plain
 * reference model over many random steps, so backward-shift deletion and
 * growth cannot lose or invent a record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/u64tab.h"

struct rec {
	uint64_t key;
	uint64_t value;
};

static void test_u64tab__empty_table_finds_nothing(void **state)
{
	struct u64tab t;
	size_t pos = 0;

	u64tab_init(&t, sizeof(struct rec));
	assert_null(u64tab_find(&t, 1));
	assert_null(u64tab_next(&t, &pos));
	u64tab_fini(&t);
}

static void test_u64tab__key_zero_is_refused(void **state)
{
	struct u64tab t;
	int created = 7;

	u64tab_init(&t, sizeof(struct rec));
	assert_null(u64tab_insert(&t, 0, &created));
	assert_int_equal(created, 0);
	assert_int_equal(t.count, 0);
	u64tab_fini(&t);
}

static void test_u64tab__insert_returns_existing(void **state)
{
	struct u64tab t;
	struct rec *r;
	int created;

	u64tab_init(&t, sizeof(struct rec));
	r = u64tab_insert(&t, 42, &created);
	assert_non_null(r);
	assert_int_equal(created, 1);
	assert_int_equal(r->value, 0);
	r->value = 9;
	r = u64tab_insert(&t, 42, &created);
	assert_int_equal(created, 0);
	assert_int_equal(r->value, 9);
	assert_int_equal(t.count, 1);
	u64tab_fini(&t);
}

/* Keys from a small range so that runs collide, steps mixing inserts and
 * removes, the model a plain array indexed by key. */
static void test_u64tab__random_steps_match_model(void **state)
{
	enum { RANGE = 3000, STEPS = 200000 };
	static uint64_t model[RANGE + 1];
	struct u64tab t;
	struct rec *r;
	size_t i, pos, seen, live = 0;
	unsigned seed = 12345;
	int created;

	memset(model, 0, sizeof(model));
	u64tab_init(&t, sizeof(struct rec));
	for (i = 0; i < STEPS; i++) {
		uint64_t key = (uint64_t)(rand_r(&seed) % RANGE) + 1;

		/* sequential-ish keys too, as uniques and nodeids are */
		if (i % 3 == 0)
			key = (i / 3) % RANGE + 1;
		if (rand_r(&seed) % 3) {
			r = u64tab_insert(&t, key, &created);
			assert_non_null(r);
			assert_int_equal(created, model[key] == 0);
			live += created;
			r->value = i + 1;
			model[key] = i + 1;
		} else {
			r = u64tab_find(&t, key);
			if (model[key]) {
				assert_non_null(r);
				assert_int_equal(r->value, model[key]);
				u64tab_remove(&t, r);
				model[key] = 0;
				live--;
			} else {
				assert_null(r);
			}
		}
	}
	assert_int_equal(t.count, live);
	for (i = 1; i <= RANGE; i++) {
		r = u64tab_find(&t, i);
		if (model[i]) {
			assert_non_null(r);
			assert_int_equal(r->value, model[i]);
		} else {
			assert_null(r);
		}
	}
	for (pos = 0, seen = 0; (r = u64tab_next(&t, &pos)); seen++)
		assert_int_equal(model[r->key], r->value);
	assert_int_equal(seen, live);
	u64tab_clear(&t);
	assert_int_equal(t.count, 0);
	assert_null(u64tab_find(&t, 1));
	u64tab_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64tab__empty_table_finds_nothing),
		cmocka_unit_test(test_u64tab__key_zero_is_refused),
		cmocka_unit_test(test_u64tab__insert_returns_existing),
		cmocka_unit_test(test_u64tab__random_steps_match_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
