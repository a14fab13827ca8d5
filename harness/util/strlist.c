/* util/strlist.c - small string helpers (util/strlist.h). */
#include <stdlib.h>
#include <string.h>
#include "util/strlist.h"

char *str_replace_all(const char *s, const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(s, key); p; p = strstr(p + klen, key))
		n++;
	out = malloc(strlen(s) + n * vlen + 1);
	if (!out)
		return NULL;
	for (o = out; (p = strstr(s, key)); s = p + klen) {
		memcpy(o, s, (size_t)(p - s));
		o += p - s;
		memcpy(o, val, vlen);
		o += vlen;
	}
	strcpy(o, s);
	return out;
}

int str_in_comma_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	if (!n)
		return 0;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

void strv_free(char **list)
{
	char **p;

	if (!list)
		return;
	for (p = list; *p; p++)
		free(*p);
	free(list);
}
