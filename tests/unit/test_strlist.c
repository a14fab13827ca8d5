/* test_strlist.c - the shared string helpers (util/strlist.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/strlist.h"

static void comma_list_matches_whole_items(void **state)
{
	(void)state;
	assert_true(str_in_comma_list(NULL, "x"));
	assert_true(str_in_comma_list("a,bc,d", "bc"));
	assert_true(str_in_comma_list("a,bc,d", "a"));
	assert_true(str_in_comma_list("a,bc,d", "d"));
	/* a prefix, a suffix or a part of an item is not the item */
	assert_false(str_in_comma_list("a,bc,d", "b"));
	assert_false(str_in_comma_list("a,bc,d", "c"));
	assert_false(str_in_comma_list("abc", "ab"));
	assert_false(str_in_comma_list("xbc,bcx", "bc"));
	assert_true(str_in_comma_list("xbc,bc", "bc"));
	assert_false(str_in_comma_list("a,b", ""));
}

static void replace_all_replaces_every_key(void **state)
{
	char *s;

	(void)state;
	s = str_replace_all("cmd {m} x {m}", "{m}", "/dev/fd/3");
	assert_string_equal(s, "cmd /dev/fd/3 x /dev/fd/3");
	free(s);
	s = str_replace_all("none here", "{m}", "v");
	assert_string_equal(s, "none here");
	free(s);
	/* a value holding the key is not replaced again */
	s = str_replace_all("{m}{m}", "{m}", "{m}!");
	assert_string_equal(s, "{m}!{m}!");
	free(s);
}

static void strv_free_takes_null_and_lists(void **state)
{
	char **l = calloc(3, sizeof(*l));

	(void)state;
	strv_free(NULL);
	assert_non_null(l);
	l[0] = strdup("a");
	l[1] = strdup("b");
	strv_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(comma_list_matches_whole_items),
		cmocka_unit_test(replace_all_replaces_every_key),
		cmocka_unit_test(strv_free_takes_null_and_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
