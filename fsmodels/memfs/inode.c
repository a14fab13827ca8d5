/* inode.c - the inode table and directory entries of memfs.  Everything
 * here runs under memfs.lock.  An inode leaves the table only through
 * memfs_maybe_free (nlookup, nlink and open handles all zero) or, when a
 * planted fault says so, memfs_force_free. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memfs.h"
#include "faults.h"

#define MEMFS_FIRST_COOKIE 3 /* 1 and 2 are "." and ".." */

struct memfs memfs = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .forgot = PTHREAD_COND_INITIALIZER,
};

void memfs_touch(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void memfs_delay(void)
{
	struct timespec ts;

	if (!memfs.opts.delay_ms)
		return;
	ts.tv_sec = memfs.opts.delay_ms / 1000;
	ts.tv_nsec = (long)(memfs.opts.delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* grow or shrink a regular file; new bytes read as zeros */
int memfs_set_size(struct memfs_inode *in, size_t size)
{
	if (size > in->cap) {
		size_t cap = in->cap ? in->cap : 4096;
		char *data;

		while (cap < size)
			cap *= 2;
		data = realloc(in->data, cap);
		if (!data)
			return -ENOMEM;
		in->data = data;
		in->cap = cap;
	}
	if (size > in->size)
		memset(in->data + in->size, 0, size - in->size);
	in->size = size;
	return 0;
}

int memfs_check_name(const char *name)
{
	if (strlen(name) > memfs.opts.namemax)
		return -ENAMETOOLONG;
	return 0;
}

static int table_reserve(uint64_t id)
{
	struct memfs_inode **tab;
	uint64_t cap = memfs.tab_cap ? memfs.tab_cap : 1024;

	if (id < memfs.tab_cap)
		return 0;
	while (cap <= id)
		cap *= 2;
	tab = realloc(memfs.tab, cap * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab + memfs.tab_cap, 0, (cap - memfs.tab_cap) * sizeof(*tab));
	memfs.tab = tab;
	memfs.tab_cap = cap;
	return 0;
}

int memfs_renumber(struct memfs_inode *in)
{
	uint64_t id = memfs.next_id;
	int err = table_reserve(id);

	if (err)
		return err;
	memfs.next_id++;
	memfs.tab[in->nodeid] = NULL;
	memfs.tab[id] = in;
	in->nodeid = id;
	return 0;
}

struct memfs_inode *memfs_get(fuse_ino_t nodeid)
{
	if (nodeid >= memfs.tab_cap)
		return NULL;
	return memfs.tab[nodeid];
}

struct memfs_inode *memfs_get_live(fuse_ino_t nodeid, int *err)
{
	struct memfs_inode *in = memfs_get(nodeid);

	/* a nodeid the kernel names but we do not have: a stale handle */
	if (!in)
		*err = -ESTALE;
	return in;
}

/* The id a new inode gets.  Normally the counter; the reuse faults hand
 * out the id of an unlinked inode that the kernel still references. */
static uint64_t next_nodeid(mode_t mode)
{
	uint64_t id = memfs.reuse_id;
	bool reuse = false;

	if (id && !memfs_get(id)) {
		/* FAULT reuse-nodeid / reuse-nodeid-type */
		if (memfs_fault(MEMFS_F_REUSE_NODEID))
			reuse = true;
		if (memfs_fault(MEMFS_F_REUSE_NODEID_TYPE) &&
		    (mode & S_IFMT) != memfs.reuse_type)
			reuse = true;
	}
	if (reuse) {
		memfs.reuse_id = 0;
		return id;
	}
	return memfs.next_id++;
}

int memfs_new_inode(mode_t mode, dev_t rdev, struct memfs_inode **out)
{
	struct memfs_inode *in;
	uint64_t id;
	int err;

	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	id = next_nodeid(mode);
	err = table_reserve(id);
	if (err)
		goto free_inode;
	in->nodeid = id;
	in->mode = mode;
	in->rdev = rdev;
	in->nlink = S_ISDIR(mode) ? 2 : 1;
	in->next_cookie = MEMFS_FIRST_COOKIE;
	memfs_touch(&in->atime);
	in->mtime = in->ctime = in->atime;
	memfs.tab[id] = in;
	memfs.live++;
	*out = in;
	return 0;

free_inode:
	free(in);
	return err;
}

static void inode_release(struct memfs_inode *in)
{
	struct memfs_xattr *x, *next;

	memfs.tab[in->nodeid] = NULL;
	memfs.live--;
	for (size_t i = 0; i < in->nents; i++)
		free(in->ents[i].name);
	for (x = in->xattrs; x; x = next) {
		next = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
	free(in->ents);
	free(in->index);
	free(in->data);
	free(in->target);
	free(in);
}

void memfs_maybe_free(struct memfs_inode *in)
{
	if (in->nodeid == MEMFS_ROOT_ID)
		return; /* the root lives as long as the mount */
	if (in->nlookup || in->nlink || in->nopen)
		return;
	memfs_log("free nodeid=%llu", (unsigned long long)in->nodeid);
	inode_release(in);
}

void memfs_force_free(struct memfs_inode *in)
{
	memfs_log("free nodeid=%llu nlookup=%llu nlink=%u nopen=%u (fault)",
		  (unsigned long long)in->nodeid,
		  (unsigned long long)in->nlookup, in->nlink, in->nopen);
	inode_release(in);
}

/* drop an inode that was never handed out (an operation failed) */
void memfs_discard(struct memfs_inode *in)
{
	inode_release(in);
}

void memfs_fill_stat(const struct memfs_inode *in, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	/* --renumber-ino: as a high-level libfuse filesystem without
	 * -o use_ino, a new number for every life in the kernel's cache */
	st->st_ino = memfs.opts.renumber_ino
			     ? in->nodeid | (uint64_t)in->forgotten << 40
			     : in->nodeid;
	st->st_mode = in->mode;
	st->st_nlink = in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_rdev = in->rdev;
	if (S_ISREG(in->mode))
		st->st_size = (off_t)in->size;
	else if (S_ISLNK(in->mode))
		st->st_size = (off_t)strlen(in->target);
	else if (S_ISDIR(in->mode))
		st->st_size = (off_t)(in->nents + 2) * 32;
	st->st_blksize = 4096;
	st->st_blocks = S_ISREG(in->mode) ? (st->st_size + 511) / 512 : 0;
	st->st_atim = in->atime;
	st->st_mtim = in->mtime;
	st->st_ctim = in->ctime;
}

void memfs_fill_entry(const struct memfs_inode *in, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = in->nodeid;
	e->generation = 0; /* ids are never reused, so 0 is unique enough */
	e->entry_timeout = memfs.opts.entry_timeout;
	e->attr_timeout = memfs.opts.attr_timeout;
	memfs_fill_stat(in, &e->attr);
}

void memfs_ref(struct memfs_inode *in)
{
	in->nlookup++;
}

/* The kernel refused a reply that carried `nlookup` references and
 * `nopen` handles (the request was interrupted): it holds none of them,
 * so neither do we. */
void memfs_undo_failed(fuse_ino_t nodeid, uint64_t nlookup, uint32_t nopen,
		       const char *why)
{
	struct memfs_inode *in;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get(nodeid);
	if (in) {
		in->nlookup =
		    in->nlookup >= nlookup ? in->nlookup - nlookup : 0;
		in->nopen = in->nopen >= nopen ? in->nopen - nopen : 0;
		memfs_log("reply-failed %s nodeid=%llu n=%llu -> nlookup=%llu "
			  "nopen=%u",
			  why, (unsigned long long)nodeid,
			  (unsigned long long)nlookup,
			  (unsigned long long)in->nlookup, in->nopen);
		memfs_maybe_free(in);
	}
	pthread_mutex_unlock(&memfs.lock);
}

int memfs_snapshot(struct fc_fs_inode **out, size_t *count,
		   uint32_t *forgets)
{
	struct fc_fs_inode *recs;
	size_t n = 0;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	recs = calloc(memfs.live ? memfs.live : 1, sizeof(*recs));
	if (!recs) {
		err = -ENOMEM;
		goto unlock;
	}
	for (uint64_t id = 0; id < memfs.tab_cap && n < memfs.live; id++) {
		struct memfs_inode *in = memfs.tab[id];

		if (!in)
			continue;
		recs[n++] = (struct fc_fs_inode){
		    .nodeid = in->nodeid,
		    .ino = in->nodeid,
		    .nlookup = in->nlookup,
		    .nlink = in->nlink,
		    .nopen = in->nopen,
		    .mode = in->mode,
		};
	}
	*out = recs;
	*count = n;
	*forgets = memfs.forget_msgs;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

int memfs_table_init(void)
{
	struct memfs_inode *root;
	int err;

	memfs.next_id = MEMFS_ROOT_ID;
	err = memfs_new_inode(S_IFDIR | 0755, 0, &root);
	if (err)
		return err;
	root->uid = getuid();
	root->gid = getgid();
	root->parent = root;
	return 0;
}

void memfs_table_destroy(void)
{
	for (uint64_t id = 0; id < memfs.tab_cap; id++)
		if (memfs.tab[id])
			inode_release(memfs.tab[id]);
	free(memfs.tab);
	memfs.tab = NULL;
	memfs.tab_cap = 0;
}
