/* util/text.c - the one escaper (util/text.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/text.h"

/* Length of the printable UTF-8 character at s (1..4), or 0 when the byte
 * at s must be escaped: a control (C0, DEL, C1), a byte that does not
 * start a well-formed shortest-form sequence, a surrogate, or a
 * noncharacter XML 1.0 forbids (U+FFFE, U+FFFF). */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t n, i;

	if (c >= 0x20 && c < 0x7f)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else {
		n = 4;
		cp = c & 0x07;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp < 0xa0 || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* How many bytes at s are kept as they are under policy (0: escape the
 * byte at s). */
static size_t kept_len(const unsigned char *s, size_t len, unsigned policy)
{
	unsigned char c = s[0];

	if (((policy & TEXT_QUOTES) && (c == '\\' || c == '"')) ||
	    ((policy & TEXT_HASH) && c == '#'))
		return 0;
	if (policy & TEXT_ASCII)
		return c >= 0x20 && c < 0x7f;
	return utf8_char_len(s, len);
}

size_t text_escape(const char *s, size_t len, unsigned policy, char *buf,
		   size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, w = 0, n;
	const char *piece;
	char esc[4];

	while (i < len) {
		n = kept_len(p + i, len - i, policy);
		piece = (const char *)p + i;
		if (n) {
			i += n;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[p[i] >> 4];
			esc[3] = hex[p[i] & 15];
			piece = esc;
			n = 4;
			i++;
		}
		/* w stops growing at the first piece that does not fit, so a
		 * cut result never ends in half a character or escape */
		if (w == o && o + n < size) {
			memcpy(buf + o, piece, n);
			w += n;
		}
		o += n;
	}
	if (size)
		buf[w] = '\0';
	return o;
}

char *text_escape_dup(const char *s, unsigned policy)
{
	size_t len, need;
	char *buf;

	if (!s)
		s = "";
	len = strlen(s);
	need = text_escape(s, len, policy, NULL, 0) + 1;
	buf = malloc(need);
	if (!buf)
		return NULL;
	text_escape(s, len, policy, buf, need);
	return buf;
}

void text_put(FILE *out, const char *s, unsigned policy)
{
	char *e = text_escape_dup(s, policy);

	fputs(e ? e : "?", out);
	free(e);
}

int text_is_clean(const char *s, size_t len, unsigned policy)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = kept_len(p + i, len - i, policy);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}
