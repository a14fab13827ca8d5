/* ops_entry.c - the handlers that hand out or take back lookup references
 * and change the namespace: lookup, forget, forget_multi, mknod, mkdir,
 * symlink, link, create, unlink, rmdir, rename.  Each is a memfs_do_*
 * helper returning 0 or -errno under the lock, and a thin handler that
 * sleeps (--delay-ms, outside the lock) and replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>

#include "memfs.h"
#include "faults.h"

#define ULL(x) ((unsigned long long)(x))

/* What an entry reply carries, so a refused reply can be undone. */
struct memfs_entry_out {
	struct fuse_entry_param e;
	bool counted; /* nlookup was raised for this reply */
	bool opened;  /* nopen was raised (create) */
};

static struct memfs_inode *get_dir(fuse_ino_t nodeid, int *err)
{
	struct memfs_inode *dir = memfs_get_live(nodeid, err);

	if (!dir)
		return NULL;
	if (!S_ISDIR(dir->mode))
		*err = -ENOTDIR;
	else if (dir->nlink == 0)
		*err = -ENOENT; /* removed directory: no new names in it */
	else
		return dir;
	return NULL;
}

static void reply_entry(fuse_req_t req, int err, struct memfs_entry_out *out,
			const char *op)
{
	memfs_delay();
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	if (fuse_reply_entry(req, &out->e) != 0 && out->counted)
		memfs_undo_failed(out->e.ino, 1, 0, op);
}

/* FAULT lookup-forget-race: the handler keeps the inode it found while
 * it drops the lock (as passthrough_hp kept a raw pointer before
 * 1e19235c).  The window is held open until a FORGET that brings the
 * inode to 0 has run, or 50 ms: then the count goes to an entry the
 * forget erased, so it is lost.  true when it was lost. */
static bool lookup_raced(struct memfs_inode **inp)
{
	struct memfs_inode *in = *inp;
	uint64_t nodeid = in->nodeid;
	uint32_t forgotten = in->forgotten;
	struct timespec until;

	if (!in->nlookup)
		return false; /* nothing for a forget to drop */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 50 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while ((in = memfs_get(nodeid)) && in->forgotten == forgotten &&
	       !pthread_cond_timedwait(&memfs.forgot, &memfs.lock, &until))
		;
	*inp = in;
	return !in || in->forgotten != forgotten;
}

/* LOOKUP "." or ".." (FUSE_EXPORT_SUPPORT): the kernel opens a file
 * handle whose inode it no longer holds (fs/fuse/inode.c
 * fuse_get_dentry), or reconnects a directory to its parent
 * (fuse_get_parent).  The entry is a reference like any other.  Called
 * under the lock. */
static int lookup_dot(fuse_ino_t nodeid, const char *name,
		      struct memfs_entry_out *out)
{
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *in;
	int err = 0;

	in = memfs_get_live(nodeid, &err);
	if (in && name[1] && !S_ISDIR(in->mode)) {
		err = -ENOTDIR;
		in = NULL;
	} else if (in && name[1] && in->parent) {
		in = in->parent; /* the root is its own parent */
	}
	if (!in) {
		memfs_log("lookup nodeid=%llu name=%s -> error=%d", ULL(nodeid),
			  memfs_log_name(esc, sizeof(esc), name), -err);
		return err;
	}
	/* FAULT export-dot-no-ref: the dots of a handle lookup taken for
	 * the dots of readdirplus, which are no reference */
	if (!memfs_fault(MEMFS_F_EXPORT_DOT_NO_REF)) {
		memfs_ref(in);
		out->counted = true;
	}
	memfs_fill_entry(in, &out->e);
	memfs_log("lookup nodeid=%llu name=%s -> nodeid=%llu nlookup=%llu%s",
		  ULL(nodeid), memfs_log_name(esc, sizeof(esc), name),
		  ULL(in->nodeid), ULL(in->nlookup),
		  out->counted ? "" : " (not counted: fault)");
	return 0;
}

static int memfs_do_lookup(fuse_ino_t parent, const char *name,
			   struct memfs_entry_out *out)
{
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *dir, *in;
	struct memfs_dirent *de;
	int err = memfs_check_name(name);

	if (err)
		return err;
	pthread_mutex_lock(&memfs.lock);
	if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) {
		err = lookup_dot(parent, name, out);
		goto unlock;
	}
	dir = memfs_get_live(parent, &err);
	if (!dir)
		goto log;
	if (!S_ISDIR(dir->mode)) {
		err = -ENOTDIR;
		goto log;
	}
	de = memfs_dir_find(dir, name);
	if (!de) {
		err = -ENOENT;
		goto log;
	}
	in = de->inode;
	if (memfs_fault(MEMFS_F_LOOKUP_FORGET_RACE) && lookup_raced(&in)) {
		if (!in) {
			err = -ENOENT;
			goto log;
		}
		memfs_fill_entry(in, &out->e);
		memfs_log("lookup parent=%llu name=%s -> nodeid=%llu "
			  "nlookup=%llu (count lost to a forget: fault)",
			  ULL(parent), memfs_log_name(esc, sizeof(esc), name),
			  ULL(in->nodeid), ULL(in->nlookup));
		goto unlock;
	}
	/* FAULT relookup-new-nodeid: a name the kernel holds gets a new id */
	if (memfs_fault(MEMFS_F_RELOOKUP_NEW_NODEID) && in->nlookup &&
	    in->nodeid != MEMFS_ROOT_ID) {
		err = memfs_renumber(in);
		if (err)
			goto log;
	}
	memfs_ref(in);
	out->counted = true;
	memfs_fill_entry(in, &out->e);
	memfs_log("lookup parent=%llu name=%s -> nodeid=%llu nlookup=%llu",
		  ULL(parent), memfs_log_name(esc, sizeof(esc), name),
		  ULL(in->nodeid), ULL(in->nlookup));
	goto unlock;
log:
	memfs_log("lookup parent=%llu name=%s -> error=%d", ULL(parent),
		  memfs_log_name(esc, sizeof(esc), name), -err);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct memfs_entry_out out = {0};
	int err = memfs_do_lookup(parent, name, &out);

	/* The kernel interrupted this LOOKUP before memfs began it (the
	 * FUSE_INTERRUPT came first): EINTR is an answer it accepts, and
	 * the reference counted for an entry that does not go out is
	 * returned */
	if (!err && fuse_req_interrupted(req)) {
		if (out.counted && !memfs_fault(MEMFS_F_INTERRUPTED_LOOKUP_KEPT))
			memfs_undo_failed(out.e.ino, 1, 0, "interrupted lookup");
		else if (out.counted)
			memfs_log("interrupted lookup nodeid=%llu: reference "
				  "kept (fault)", ULL(out.e.ino));
		err = -EINTR;
	}
	reply_entry(req, err, &out, "lookup");
}

/* Return n references to nodeid.  Called under the lock. */
static void forget_one(fuse_ino_t nodeid, uint64_t n, const char *op)
{
	struct memfs_inode *in = memfs_get(nodeid);
	uint64_t dec = n;

	if (!in) {
		memfs_log("%s nodeid=%llu n=%llu -> unknown", op, ULL(nodeid),
			  ULL(n));
		return;
	}
	if (memfs_fault(MEMFS_F_FORGET_BY_ONE))
		dec = 1; /* FAULT forget-by-one */
	if (dec > in->nlookup) {
		memfs_log("%s nodeid=%llu n=%llu -> underflow nlookup=%llu", op,
			  ULL(nodeid), ULL(n), ULL(in->nlookup));
		if (memfs_fault(MEMFS_F_NLOOKUP_UNDERFLOW_ABORT)) {
			/* FAULT nlookup-underflow-abort */
			memfs_log_flush();
			abort();
		}
		dec = in->nlookup;
	}
	in->nlookup -= dec;
	if (!in->nlookup && dec) {
		in->forgotten++;
		pthread_cond_broadcast(&memfs.forgot);
	}
	memfs_log("%s nodeid=%llu n=%llu -> nlookup=%llu", op, ULL(nodeid),
		  ULL(n), ULL(in->nlookup));
	if (nodeid == MEMFS_ROOT_ID && memfs_fault(MEMFS_F_ROOT_FORGETTABLE)) {
		/* FAULT root-forgettable */
		in->nlookup = 0;
		memfs_force_free(in);
		return;
	}
	memfs_maybe_free(in);
}

static void reply_forget(fuse_req_t req)
{
	if (memfs_fault(MEMFS_F_FORGET_REPLY))
		fuse_reply_err(req, 0); /* FAULT forget-reply */
	else
		fuse_reply_none(req);
}

/* FAULT forget-filtered: an access filter that admits only requests from
 * a user drops every forget: the kernel sends them with uid 0. */
static bool forget_filtered(fuse_req_t req, const char *op)
{
	if (!memfs_fault(MEMFS_F_FORGET_FILTERED) || fuse_req_ctx(req)->uid)
		return false;
	memfs_log("%s from uid 0 -> dropped (fault)", op);
	pthread_mutex_lock(&memfs.lock);
	memfs.forget_msgs++; /* taken, though not applied */
	pthread_mutex_unlock(&memfs.lock);
	fuse_reply_none(req);
	return true;
}

static void memfs_forget(fuse_req_t req, fuse_ino_t nodeid, uint64_t nlookup)
{
	if (forget_filtered(req, "forget"))
		return;
	pthread_mutex_lock(&memfs.lock);
	forget_one(nodeid, nlookup, "forget");
	memfs.forget_msgs++;
	pthread_mutex_unlock(&memfs.lock);
	reply_forget(req);
}

static void memfs_forget_multi(fuse_req_t req, size_t count,
			       struct fuse_forget_data *forgets)
{
	if (forget_filtered(req, "forget_multi"))
		return;
	pthread_mutex_lock(&memfs.lock);
	if (memfs_fault(MEMFS_F_BATCH_FORGET_IGNORED)) {
		/* FAULT batch-forget-ignored */
		memfs_log("forget_multi count=%zu -> ignored (fault)", count);
		count = 0;
	}
	for (size_t i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup, "forget_multi");
	memfs.forget_msgs++;
	pthread_mutex_unlock(&memfs.lock);
	reply_forget(req);
}

/* Everything that makes a new inode: mknod, mkdir, symlink, create. */
struct make_args {
	const char *op;
	fuse_ino_t parent;
	const char *name;
	mode_t mode;
	dev_t rdev;
	const char *target; /* symlink */
	bool open;	    /* create: the reply also opens it */
	bool no_ref;	    /* a fault says: do not count the reply */
};

static int memfs_do_make(fuse_req_t req, const struct make_args *a,
			 struct memfs_entry_out *out)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *dir, *in;
	int err = memfs_check_name(a->name);

	if (err)
		return err;
	pthread_mutex_lock(&memfs.lock);
	dir = get_dir(a->parent, &err);
	if (!dir)
		goto unlock;
	if (memfs_dir_find(dir, a->name)) {
		err = -EEXIST;
		goto unlock;
	}
	err = memfs_new_inode(a->mode, a->rdev, &in);
	if (err)
		goto unlock;
	in->uid = ctx->uid;
	in->gid = ctx->gid;
	if (a->target) {
		in->target = strdup(a->target);
		if (!in->target) {
			err = -ENOMEM;
			goto discard_inode;
		}
	}
	err = memfs_dir_add(dir, a->name, in);
	if (err)
		goto discard_inode;
	if (!a->no_ref) {
		memfs_ref(in);
		out->counted = true;
	}
	if (a->open) {
		in->nopen++;
		out->opened = true;
	}
	memfs_fill_entry(in, &out->e);
	memfs_log("%s parent=%llu name=%s -> nodeid=%llu nlookup=%llu%s", a->op,
		  ULL(a->parent), memfs_log_name(esc, sizeof(esc), a->name),
		  ULL(in->nodeid), ULL(in->nlookup),
		  a->no_ref ? " (fault: not counted)" : "");
	goto unlock;

discard_inode:
	memfs_discard(in);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode, dev_t rdev)
{
	struct make_args a = {.op = "mknod",
			      .parent = parent,
			      .name = name,
			      .mode = mode,
			      .rdev = rdev};
	struct memfs_entry_out out = {0};
	int err;

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFSOCK:
		err = memfs_do_make(req, &a, &out);
		break;
	default:
		err = -EINVAL;
	}
	reply_entry(req, err, &out, "mknod");
}

static void memfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode)
{
	struct make_args a = {.op = "mkdir",
			      .parent = parent,
			      .name = name,
			      .mode = (mode & 07777) | S_IFDIR};
	struct memfs_entry_out out = {0};
	int err = memfs_do_make(req, &a, &out);

	reply_entry(req, err, &out, "mkdir");
}

static void memfs_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
			  const char *name)
{
	struct make_args a = {.op = "symlink",
			      .parent = parent,
			      .name = name,
			      .mode = S_IFLNK | 0777,
			      .target = target};
	struct memfs_entry_out out = {0};
	int err = memfs_do_make(req, &a, &out);

	reply_entry(req, err, &out, "symlink");
}

static void memfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	struct make_args a = {
	    .op = "create",
	    .parent = parent,
	    .name = name,
	    .mode = (mode & 07777) | S_IFREG,
	    .open = true,
	    /* FAULT create-no-ref */
	    .no_ref = memfs_fault(MEMFS_F_CREATE_NO_REF),
	};
	struct memfs_entry_out out = {0};
	int err = memfs_do_make(req, &a, &out);

	memfs_delay();
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = out.e.ino;
	if (fuse_reply_create(req, &out.e, fi) != 0)
		memfs_undo_failed(out.e.ino, out.counted, out.opened, "create");
}

static int memfs_do_link(fuse_ino_t nodeid, fuse_ino_t newparent,
			 const char *newname, struct memfs_entry_out *out)
{
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *dir, *in;
	int err = memfs_check_name(newname);

	if (err)
		return err;
	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (S_ISDIR(in->mode)) {
		err = -EPERM;
		goto unlock;
	}
	dir = get_dir(newparent, &err);
	if (!dir)
		goto unlock;
	if (memfs_dir_find(dir, newname)) {
		err = -EEXIST;
		goto unlock;
	}
	err = memfs_dir_add(dir, newname, in);
	if (err)
		goto unlock;
	in->nlink++;
	memfs_touch(&in->ctime);
	if (!memfs_fault(MEMFS_F_LINK_NO_REF)) { /* FAULT link-no-ref */
		memfs_ref(in);
		out->counted = true;
	}
	memfs_fill_entry(in, &out->e);
	memfs_log("link nodeid=%llu parent=%llu name=%s -> nodeid=%llu "
		  "nlookup=%llu nlink=%u%s",
		  ULL(nodeid), ULL(newparent),
		  memfs_log_name(esc, sizeof(esc), newname), ULL(in->nodeid),
		  ULL(in->nlookup), in->nlink,
		  out->counted ? "" : " (fault: not counted)");
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_link(fuse_req_t req, fuse_ino_t nodeid, fuse_ino_t newparent,
		       const char *newname)
{
	struct memfs_entry_out out = {0};
	int err = memfs_do_link(nodeid, newparent, newname, &out);

	reply_entry(req, err, &out, "link");
}

/* The last name of `in` is gone.  Called under the lock. */
static void name_dropped(struct memfs_inode *in, bool unlink)
{
	if (in->nlink) {
		return;
	}
	if (unlink && (memfs_fault(MEMFS_F_REUSE_NODEID) ||
		       memfs_fault(MEMFS_F_REUSE_NODEID_TYPE))) {
		/* FAULT reuse-nodeid(-type): believe the id is free */
		memfs.reuse_id = in->nodeid;
		memfs.reuse_type = in->mode & S_IFMT;
		memfs_force_free(in);
		return;
	}
	if (memfs_fault(MEMFS_F_FREE_AT_UNLINK)) {
		memfs_force_free(in); /* FAULT free-at-unlink */
		return;
	}
	memfs_maybe_free(in);
}

static int memfs_do_remove(fuse_ino_t parent, const char *name, bool is_rmdir)
{
	const char *op = is_rmdir ? "rmdir" : "unlink";
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *dir, *in;
	struct memfs_dirent *de;
	int err = memfs_check_name(name);

	if (err)
		return err;
	pthread_mutex_lock(&memfs.lock);
	dir = get_dir(parent, &err);
	if (!dir)
		goto unlock;
	de = memfs_dir_find(dir, name);
	if (!de) {
		err = -ENOENT;
		goto unlock;
	}
	in = de->inode;
	if (is_rmdir && !S_ISDIR(in->mode)) {
		err = -ENOTDIR;
		goto unlock;
	}
	if (!is_rmdir && S_ISDIR(in->mode)) {
		err = -EISDIR;
		goto unlock;
	}
	if (is_rmdir && in->nlive) {
		err = -ENOTEMPTY;
		goto unlock;
	}
	/* FAULT unlink-internal-lookup: the victim looked up on the way, a
	 * count no reply hands out */
	if (!is_rmdir && memfs_fault(MEMFS_F_UNLINK_INTERNAL_LOOKUP))
		memfs_ref(in);
	memfs_dir_remove(dir, de);
	if (is_rmdir) {
		in->nlink = 0;
		in->parent = NULL; /* its parent may go before it does */
	} else {
		in->nlink--;
	}
	memfs_touch(&in->ctime);
	memfs_log("%s parent=%llu name=%s -> nodeid=%llu nlink=%u "
		  "nlookup=%llu nopen=%u",
		  op, ULL(parent), memfs_log_name(esc, sizeof(esc), name),
		  ULL(in->nodeid), in->nlink, ULL(in->nlookup), in->nopen);
	name_dropped(in, !is_rmdir);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = memfs_do_remove(parent, name, false);

	memfs_delay();
	fuse_reply_err(req, -err);
}

static void memfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	int err = memfs_do_remove(parent, name, true);

	memfs_delay();
	fuse_reply_err(req, -err);
}

/* true when `dir` is `in` or lies below it */
static bool is_within(const struct memfs_inode *dir,
		      const struct memfs_inode *in)
{
	for (;;) {
		if (dir == in)
			return true;
		if (!dir->parent || dir->parent == dir)
			return false;
		dir = dir->parent;
	}
}

static int rename_exchange(struct memfs_inode *sdir, struct memfs_dirent *sde,
			   struct memfs_inode *ddir, struct memfs_dirent *dde)
{
	struct memfs_inode *a = sde->inode, *b = dde->inode;

	if (sdir != ddir) {
		if (S_ISDIR(a->mode) && is_within(ddir, a))
			return -EINVAL;
		if (S_ISDIR(b->mode) && is_within(sdir, b))
			return -EINVAL;
		if (S_ISDIR(a->mode)) {
			sdir->nlink--;
			ddir->nlink++;
			a->parent = ddir;
		}
		if (S_ISDIR(b->mode)) {
			ddir->nlink--;
			sdir->nlink++;
			b->parent = sdir;
		}
	}
	sde->inode = b;
	dde->inode = a;
	memfs_touch(&a->ctime);
	b->ctime = a->ctime;
	sdir->mtime = sdir->ctime = ddir->mtime = ddir->ctime = a->ctime;
	return 0;
}

/* Checks a plain rename over an existing target `t`. */
static int rename_target_ok(const struct memfs_inode *src,
			    const struct memfs_inode *t)
{
	if (S_ISDIR(src->mode) && !S_ISDIR(t->mode))
		return -ENOTDIR;
	if (!S_ISDIR(src->mode) && S_ISDIR(t->mode))
		return -EISDIR;
	if (S_ISDIR(t->mode) && t->nlive)
		return -ENOTEMPTY;
	return 0;
}

struct rename_args {
	fuse_ino_t parent;
	const char *name;
	fuse_ino_t newparent;
	const char *newname;
	unsigned int flags;
};

static int memfs_do_rename(const struct rename_args *r)
{
	char esc1[MEMFS_ESC_MAX], esc2[MEMFS_ESC_MAX];
	struct memfs_inode *sdir, *ddir, *src, *victim = NULL;
	struct memfs_dirent *sde, *dde;
	int err;

	if (r->flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((r->flags & RENAME_NOREPLACE) && (r->flags & RENAME_EXCHANGE))
		return -EINVAL;
	err = memfs_check_name(r->name);
	if (!err)
		err = memfs_check_name(r->newname);
	if (err)
		return err;
	pthread_mutex_lock(&memfs.lock);
	sdir = get_dir(r->parent, &err);
	if (!sdir)
		goto unlock;
	ddir = get_dir(r->newparent, &err);
	if (!ddir)
		goto unlock;
	sde = memfs_dir_find(sdir, r->name);
	if (!sde) {
		err = -ENOENT;
		goto unlock;
	}
	src = sde->inode;
	dde = memfs_dir_find(ddir, r->newname);
	if (r->flags & RENAME_EXCHANGE) {
		err = dde ? rename_exchange(sdir, sde, ddir, dde) : -ENOENT;
		goto log;
	}
	if (dde && (r->flags & RENAME_NOREPLACE)) {
		err = -EEXIST;
		goto unlock;
	}
	if (dde && dde->inode == src)
		goto log; /* two names of one inode: nothing to do */
	if (S_ISDIR(src->mode) && is_within(ddir, src)) {
		err = -EINVAL;
		goto unlock;
	}
	if (dde) {
		err = rename_target_ok(src, dde->inode);
		if (err)
			goto unlock;
		victim = dde->inode;
		memfs_dir_remove(ddir, dde);
		victim->nlink = S_ISDIR(victim->mode) ? 0 : victim->nlink - 1;
		if (S_ISDIR(victim->mode))
			victim->parent = NULL;
		memfs_touch(&victim->ctime);
		/* removal moved the array: find the source entry again */
		sde = memfs_dir_find(sdir, r->name);
	}
	/* add first: a failed add leaves the source name in place.  For a
	 * directory, add raises ddir's nlink and remove lowers sdir's. */
	err = memfs_dir_add(ddir, r->newname, src);
	if (err)
		goto log;
	sde = memfs_dir_find(sdir, r->name);
	memfs_dir_remove(sdir, sde);
	memfs_touch(&src->ctime);
log:
	memfs_log("rename parent=%llu name=%s newparent=%llu newname=%s "
		  "flags=%u -> error=%d nodeid=%llu replaced=%llu",
		  ULL(r->parent), memfs_log_name(esc1, sizeof(esc1), r->name),
		  ULL(r->newparent),
		  memfs_log_name(esc2, sizeof(esc2), r->newname), r->flags,
		  -err, ULL(src->nodeid), ULL(victim ? victim->nodeid : 0));
	if (victim && victim->nlink == 0 &&
	    memfs_fault(MEMFS_F_FREE_AT_RENAME_OVER))
		memfs_force_free(victim); /* FAULT free-at-rename-over */
	else if (victim)
		memfs_maybe_free(victim);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname,
			 unsigned int flags)
{
	struct rename_args r = {parent, name, newparent, newname, flags};
	int err = memfs_do_rename(&r);

	memfs_delay();
	fuse_reply_err(req, -err);
}

void memfs_ops_entry(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = memfs_lookup;
	ops->forget = memfs_forget;
	ops->forget_multi = memfs_forget_multi;
	ops->mknod = memfs_mknod;
	ops->mkdir = memfs_mkdir;
	ops->symlink = memfs_symlink;
	ops->link = memfs_link;
	ops->create = memfs_create;
	ops->unlink = memfs_unlink;
	ops->rmdir = memfs_rmdir;
	ops->rename = memfs_rename;
}
