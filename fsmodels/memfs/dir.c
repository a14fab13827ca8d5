/* dir.c - memfs directories: entries in cookie order with a hash index of
 * their names, so that lookup, create, unlink and rename by name cost O(1)
 * expected time and a listing resumes at any cookie in O(log n).
 *
 * Cookies are the readdir offsets the kernel hands back; it may resume a
 * listing at any cookie it was given, so they never change: a removed
 * entry stays as a hole (name NULL) and the array is compacted, in order,
 * only once holes are half of it.  The index maps a name to its position
 * and is rebuilt whenever positions move (compaction, growth).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfs.h"

/* FNV-1a: names are short and this is not exposed to a hash-flooding
 * peer that could choose them faster than memfs handles them */
static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static void index_put(struct memfs_inode *dir, size_t pos)
{
	size_t mask = dir->index_cap - 1, i = dir->ents[pos].hash & mask;

	while (dir->index[i])
		i = (i + 1) & mask;
	dir->index[i] = (uint32_t)pos + 1;
}

/* rebuild the index at a capacity fit for nlive + 1 entries; it never
 * shrinks, so a rebuild that does not grow it cannot fail */
static int index_rebuild(struct memfs_inode *dir)
{
	size_t cap = dir->index_cap ? dir->index_cap : 16;

	while (cap * 3 < (dir->nlive + 1) * 4)
		cap *= 2;
	if (cap != dir->index_cap) {
		uint32_t *ni = calloc(cap, sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		free(dir->index);
		dir->index = ni;
		dir->index_cap = cap;
	} else {
		memset(dir->index, 0, cap * sizeof(*dir->index));
	}
	for (size_t pos = 0; pos < dir->nents; pos++)
		if (dir->ents[pos].name)
			index_put(dir, pos);
	return 0;
}

/* the index slot that holds name, or index_cap when absent */
static size_t index_slot(const struct memfs_inode *dir, const char *name,
			 uint32_t hash)
{
	size_t mask = dir->index_cap - 1, i;

	if (!dir->index_cap)
		return dir->index_cap;
	for (i = hash & mask; dir->index[i]; i = (i + 1) & mask) {
		const struct memfs_dirent *de = &dir->ents[dir->index[i] - 1];

		if (de->hash == hash && strcmp(de->name, name) == 0)
			return i;
	}
	return dir->index_cap;
}

/* remove slot i from a linear-probing table, shifting later members of
 * its cluster back so that no probe chain is cut */
static void index_delete(struct memfs_inode *dir, size_t i)
{
	size_t mask = dir->index_cap - 1, j = i, home;

	dir->index[i] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!dir->index[j])
			return;
		home = dir->ents[dir->index[j] - 1].hash & mask;
		/* j's entry may move to i unless its home lies in (i, j] */
		if ((i <= j) ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		dir->index[i] = dir->index[j];
		dir->index[j] = 0;
		i = j;
	}
}

struct memfs_dirent *memfs_dir_find(struct memfs_inode *dir, const char *name)
{
	size_t i = index_slot(dir, name, name_hash(name));

	return i < dir->index_cap ? &dir->ents[dir->index[i] - 1] : NULL;
}

int memfs_dir_add(struct memfs_inode *dir, const char *name,
		  struct memfs_inode *in)
{
	struct memfs_dirent *ents;
	char *copy;
	int err;

	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (dir->nents == dir->ents_cap) {
		size_t cap = dir->ents_cap ? dir->ents_cap * 2 : 16;

		ents = realloc(dir->ents, cap * sizeof(*ents));
		if (!ents) {
			free(copy);
			return -ENOMEM;
		}
		dir->ents = ents;
		dir->ents_cap = cap;
	}
	if (dir->nents >= UINT32_MAX - 1) {
		free(copy);
		return -ENOSPC;
	}
	dir->ents[dir->nents] = (struct memfs_dirent){
	    .name = copy, .inode = in, .cookie = dir->next_cookie++,
	    .hash = name_hash(copy)};
	/* grow the index before it is 3/4 full */
	if ((dir->nlive + 1) * 4 > dir->index_cap * 3) {
		err = index_rebuild(dir);
		if (err) {
			free(copy);
			dir->next_cookie--;
			return err;
		}
	}
	index_put(dir, dir->nents);
	dir->nents++;
	dir->nlive++;
	if (S_ISDIR(in->mode)) {
		in->parent = dir;
		dir->nlink++;
	}
	memfs_touch(&dir->mtime);
	dir->ctime = dir->mtime;
	return 0;
}

/* Close the holes, keeping cookie order; positions move: the index is
 * rebuilt at its capacity (which cannot fail). */
static void compact(struct memfs_inode *dir)
{
	size_t to = 0;

	for (size_t from = 0; from < dir->nents; from++)
		if (dir->ents[from].name)
			dir->ents[to++] = dir->ents[from];
	dir->nents = to;
	index_rebuild(dir);
}

/* Drops the entry only; the caller adjusts the child's nlink. */
void memfs_dir_remove(struct memfs_inode *dir, struct memfs_dirent *de)
{
	size_t i = index_slot(dir, de->name, de->hash);

	if (S_ISDIR(de->inode->mode))
		dir->nlink--;
	if (i < dir->index_cap)
		index_delete(dir, i);
	free(de->name);
	de->name = NULL;
	de->inode = NULL;
	dir->nlive--;
	if (dir->nents > 64 && dir->nlive < dir->nents / 2)
		compact(dir);
	memfs_touch(&dir->mtime);
	dir->ctime = dir->mtime;
}

/* index of the first entry whose cookie is > off (entries, holes too, are
 * in cookie order), so a listing resumes after the last entry the kernel
 * took */
size_t memfs_dir_first_after(struct memfs_inode *dir, uint64_t off)
{
	size_t lo = 0, hi = dir->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dir->ents[mid].cookie <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
