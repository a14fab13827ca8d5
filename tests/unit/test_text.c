/* test_text.c - the one escaper (util/text.c) under each policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util/text.h"

/* The event log's policy: printable ASCII only, quotes escaped. */
static void ascii_policy(void **state)
{
	static const char raw[] = { 'a', 0, '\n', (char)0x80, (char)0xff,
				    '\\', '"', '/' };
	const unsigned p = TEXT_ASCII | TEXT_QUOTES;
	char out[64];
	size_t n;
	unsigned i;

	(void)state;
	n = text_escape(raw, sizeof(raw), p, out, sizeof(out));
	assert_string_equal(out, "a\\x00\\x0a\\x80\\xff\\x5c\\x22/");
	assert_int_equal(n, strlen(out));
	for (i = 0; i < n; i++)
		assert_true(out[i] >= 0x20 && out[i] <= 0x7e);
	/* an escape is never cut in half; the whole length is returned */
	assert_int_equal(text_escape(raw, sizeof(raw), p, out, 4), n);
	assert_string_equal(out, "a");
	text_escape(raw, sizeof(raw), p, out, 1);
	assert_string_equal(out, "");
	assert_int_equal(text_escape(raw, sizeof(raw), p, NULL, 0), n);
	/* UTF-8 is escaped byte by byte */
	text_escape("caf\xc3\xa9", 5, p, out, sizeof(out));
	assert_string_equal(out, "caf\\xc3\\xa9");
}

/* The reports' policy: printable UTF-8 kept, backslash kept. */
static void utf8_policy(void **state)
{
	char buf[64];
	size_t n;

	(void)state;
	n = text_escape("caf\xc3\xa9", 5, TEXT_UTF8, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_string_equal(buf, "caf\xc3\xa9");
	/* invalid byte, C0, DEL, C1 (U+0085), overlong '/', surrogate */
	n = text_escape("\xff\x01\x7f\xc2\x85\xc0\xaf\xed\xa0\x80", 10,
			TEXT_UTF8, buf, sizeof(buf));
	assert_string_equal(buf, "\\xff\\x01\\x7f\\xc2\\x85\\xc0\\xaf"
				 "\\xed\\xa0\\x80");
	assert_int_equal(n, strlen(buf));
	/* a cut result never ends inside an escape */
	n = text_escape("ab\xff", 3, TEXT_UTF8, buf, 5);
	assert_int_equal(n, 6);
	assert_string_equal(buf, "ab");
	/* nor inside a character */
	text_escape("a\xc3\xa9", 3, TEXT_UTF8, buf, 3);
	assert_string_equal(buf, "a");
	assert_true(text_is_clean("d/a<&\"b\\", 8, TEXT_UTF8));
	assert_false(text_is_clean("d/a<&\"b\\", 8, TEXT_ASCII | TEXT_QUOTES));
	assert_false(text_is_clean("a\nb", 3, TEXT_UTF8));
}

/* TAP: '#' would start a directive in a test line. */
static void hash_policy(void **state)
{
	char *s;

	(void)state;
	s = text_escape_dup("a#b\x1b", TEXT_ASCII | TEXT_QUOTES | TEXT_HASH);
	assert_string_equal(s, "a\\x23b\\x1b");
	free(s);
	s = text_escape_dup(NULL, TEXT_UTF8);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_policy),
		cmocka_unit_test(utf8_policy),
		cmocka_unit_test(hash_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
