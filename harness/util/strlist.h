/* util/strlist.h - small string helpers used in more than one place:
 * substitution of a placeholder, membership in a comma list, and freeing
 * a NULL-terminated list of strings. */
#ifndef FC_UTIL_STRLIST_H
#define FC_UTIL_STRLIST_H

/* s with every key replaced by val, malloc'd; NULL when out of memory. */
char *str_replace_all(const char *s, const char *key, const char *val);
/* 1 when name is one of the comma-separated items of list ("a,b"), or
 * list is NULL (nothing chosen means everything). */
int str_in_comma_list(const char *list, const char *name);
/* Free every string of the NULL-terminated list, then the list; NULL is
 * no list. */
void strv_free(char **list);

#endif
