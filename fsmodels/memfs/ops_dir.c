/* ops_dir.c - directory handles and listings: opendir, readdir,
 * readdirplus, releasedir, fsyncdir.  Offsets are per-entry cookies, so a
 * large directory is listed in several batches, each resuming after the
 * last entry the kernel took.  Every READDIRPLUS entry but "." and ".."
 * gives the kernel a reference (fuse_lowlevel.h, readdirplus). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "memfs.h"
#include "faults.h"

#define ULL(x) ((unsigned long long)(x))
#define DOT_OFF 1
#define DOTDOT_OFF 2
#define MIN_DIRENT 24 /* no entry in a reply buffer is smaller */

struct dir_batch {
	char *buf;
	size_t len;
	uint64_t *counted; /* nodeids given a reference in this batch */
	size_t ncounted;
};

static int memfs_do_opendir(fuse_ino_t nodeid)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (in && !S_ISDIR(in->mode))
		err = -ENOTDIR;
	else if (in)
		in->nopen++;
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_opendir(fuse_req_t req, fuse_ino_t nodeid,
			  struct fuse_file_info *fi)
{
	int err = memfs_do_opendir(nodeid);

	memfs_delay();
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = nodeid;
	if (fuse_reply_open(req, fi) != 0)
		memfs_undo_failed(nodeid, 0, 1, "opendir");
}

/* Adds one entry; 0 when it did not fit.  In readdirplus `send` puts the
 * nodeid in the entry (a reference for the kernel) and `count` records
 * that reference in nlookup; the two differ only under a planted fault. */
static size_t add_entry(fuse_req_t req, struct dir_batch *b, size_t size,
			bool plus, const char *name, struct memfs_inode *in,
			bool send, bool count, uint64_t next_off)
{
	struct fuse_entry_param e;
	size_t room = size - b->len;
	size_t n;

	memfs_fill_entry(in, &e);
	if (!plus) {
		n = fuse_add_direntry(req, b->buf + b->len, room, name, &e.attr,
				      (off_t)next_off);
		if (n > room)
			return 0;
		b->len += n;
		/* FAULT readdir-ref: a plain entry counted as a lookup */
		if (send && memfs_fault(MEMFS_F_READDIR_REF))
			memfs_ref(in);
		return n;
	}
	if (!send) {
		/* nodeid 0: attributes only, no reference (kernel
		 * fuse_direntplus_link ignores it) */
		e.ino = 0;
		e.entry_timeout = e.attr_timeout = 0;
	}
	n = fuse_add_direntry_plus(req, b->buf + b->len, room, name, &e,
				   (off_t)next_off);
	if (n > room) {
		/* FAULT readdirplus-overflow-ref: counted before it was
		 * known not to fit, and never taken back */
		if (count && memfs_fault(MEMFS_F_READDIRPLUS_OVERFLOW_REF))
			memfs_ref(in);
		return 0;
	}
	b->len += n;
	if (count) {
		memfs_ref(in);
		b->counted[b->ncounted++] = in->nodeid;
	}
	return n;
}

static int memfs_do_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size,
			    off_t off, bool plus, struct dir_batch *b)
{
	const char *op = plus ? "readdirplus" : "readdir";
	bool dots_counted = plus && memfs_fault(MEMFS_F_READDIRPLUS_DOT_REF);
	bool ents_counted = plus && !memfs_fault(MEMFS_F_READDIRPLUS_NO_REF);
	char esc[MEMFS_ESC_MAX];
	struct memfs_inode *dir, *up;
	char *line = NULL;
	size_t line_len = 0, nents = 0;
	FILE *log;
	int err = 0;

	b->buf = malloc(size ? size : 1);
	b->counted = malloc((size / MIN_DIRENT + 2) * sizeof(*b->counted));
	if (!b->buf || !b->counted)
		return -ENOMEM;
	log = open_memstream(&line, &line_len);
	if (!log)
		return -ENOMEM;
	pthread_mutex_lock(&memfs.lock);
	dir = memfs_get_live(nodeid, &err);
	if (!dir)
		goto unlock;
	if (!S_ISDIR(dir->mode)) {
		err = -ENOTDIR;
		goto unlock;
	}
	up = dir->parent ? dir->parent : dir;
	/* FAULT readdirplus-dot-ref: dots counted when dots_counted */
	if (off < DOT_OFF) {
		if (!add_entry(req, b, size, plus, ".", dir, dots_counted,
			       dots_counted, DOT_OFF))
			goto done;
		fprintf(log, " \".\"=%llu", ULL(dir->nodeid));
		nents++;
	}
	if (off < DOTDOT_OFF) {
		if (!add_entry(req, b, size, plus, "..", up, dots_counted,
			       dots_counted, DOTDOT_OFF))
			goto done;
		fprintf(log, " \"..\"=%llu", ULL(up->nodeid));
		nents++;
	}
	/* FAULT readdirplus-no-ref: entries not counted unless ents_counted */
	for (size_t i = memfs_dir_first_after(dir, (uint64_t)off);
	     i < dir->nents; i++) {
		struct memfs_dirent *de = &dir->ents[i];
		size_t before = b->ncounted;

		if (!de->name)
			continue; /* removed: a hole */
		if (!add_entry(req, b, size, plus, de->name, de->inode, true,
			       ents_counted, de->cookie))
			break;
		nents++;
		fprintf(log, " %s=%llu",
			memfs_log_name(esc, sizeof(esc), de->name),
			ULL(de->inode->nodeid));
		if (b->ncounted > before)
			fprintf(log, "/nlookup=%llu", ULL(de->inode->nlookup));
	}
done:
	fclose(log);
	log = NULL;
	memfs_log("%s nodeid=%llu off=%lld size=%zu -> entries=%zu "
		  "counted=%zu:%s",
		  op, ULL(nodeid), (long long)off, size, nents, b->ncounted,
		  line ? line : "");
unlock:
	pthread_mutex_unlock(&memfs.lock);
	if (log)
		fclose(log);
	free(line);
	return err;
}

static void reply_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size,
			  off_t off, bool plus)
{
	struct dir_batch b = {0};
	int err = memfs_do_readdir(req, nodeid, size, off, plus, &b);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else if (fuse_reply_buf(req, b.buf, b.len) != 0)
		for (size_t i = 0; i < b.ncounted; i++)
			memfs_undo_failed(b.counted[i], 1, 0, "readdirplus");
	free(b.buf);
	free(b.counted);
}

static void memfs_readdir(fuse_req_t req, fuse_ino_t nodeid, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	reply_readdir(req, nodeid, size, off, false);
}

static void memfs_readdirplus(fuse_req_t req, fuse_ino_t nodeid, size_t size,
			      off_t off, struct fuse_file_info *fi)
{
	reply_readdir(req, nodeid, size, off, true);
}

static void memfs_releasedir(fuse_req_t req, fuse_ino_t nodeid,
			     struct fuse_file_info *fi)
{
	memfs_close_handle(nodeid, "releasedir");
	memfs_delay();
	fuse_reply_err(req, 0);
}

static void memfs_fsyncdir(fuse_req_t req, fuse_ino_t nodeid, int datasync,
			   struct fuse_file_info *fi)
{
	memfs_delay();
	fuse_reply_err(req, 0);
}

void memfs_ops_dir(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = memfs_opendir;
	ops->readdir = memfs_readdir;
	ops->readdirplus = memfs_readdirplus;
	ops->releasedir = memfs_releasedir;
	ops->fsyncdir = memfs_fsyncdir;
}
