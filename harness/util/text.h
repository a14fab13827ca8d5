/* util/text.h - the one escaper: raw bytes (names from the filesystem,
 * scenario text) turned into display text that no reader misreads and no
 * terminal acts on.  Every byte that is not kept becomes the four
 * characters "\xNN"; a backslash is kept unless TEXT_QUOTES asks, so the
 * result is display text, not an exact encoding (report.json adds
 * path_hex for that).  Policies by use:
 *   reports (JSON, JUnit, human free text): TEXT_UTF8, printable UTF-8
 *     kept so that a name in any script stays readable, and the result is
 *     valid UTF-8 and XML 1.0 character data;
 *   the event log's lines and names in summaries: TEXT_ASCII | TEXT_QUOTES;
 *   TAP test lines: TEXT_ASCII | TEXT_HASH ('#' starts a directive). */
#ifndef FC_UTIL_TEXT_H
#define FC_UTIL_TEXT_H

#include <stddef.h>
#include <stdio.h>

enum text_policy {
	TEXT_UTF8 = 0,          /* printable, well-formed UTF-8 is kept */
	TEXT_ASCII = 1 << 0,    /* only printable ASCII is kept */
	TEXT_QUOTES = 1 << 1,   /* '\\' and '"' are escaped too */
	TEXT_HASH = 1 << 2,     /* '#' is escaped too */
};

/* Escape len bytes of s under policy into buf (size bytes, always
 * NUL-terminated when size > 0; a cut result never ends inside an escape
 * or a character).  Returns the length the whole result needs, so
 * text_escape(s, len, p, NULL, 0) + 1 sizes a buffer. */
size_t text_escape(const char *s, size_t len, unsigned policy, char *buf,
		   size_t size);
/* The same into a new string (NULL s gives ""); NULL when out of memory. */
char *text_escape_dup(const char *s, unsigned policy);
/* Write s escaped to out; "?" when memory runs out (a report still
 * comes).  NULL s writes "". */
void text_put(FILE *out, const char *s, unsigned policy);
/* 1 when text_escape would leave s unchanged. */
int text_is_clean(const char *s, size_t len, unsigned policy);

#endif
