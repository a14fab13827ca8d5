/* ops_file.c - open files: open, read, write, flush, release, fsync.  An
 * open handle is counted in nopen from the open (or create) reply to the
 * release, so an unlinked file lives until its last close. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "memfs.h"
#include "faults.h"

static int memfs_do_open(fuse_ino_t nodeid, int flags)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (S_ISDIR(in->mode)) {
		err = -EISDIR;
		goto unlock;
	}
	if ((flags & O_TRUNC) && S_ISREG(in->mode)) {
		/* FUSE_CAP_ATOMIC_O_TRUNC: no SETATTR comes for it */
		err = memfs_set_size(in, 0);
		if (err)
			goto unlock;
		memfs_touch(&in->mtime);
		in->ctime = in->mtime;
	}
	in->nopen++;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_open(fuse_req_t req, fuse_ino_t nodeid,
		       struct fuse_file_info *fi)
{
	int err = memfs_do_open(nodeid, fi->flags);

	memfs_delay();
	if (err) {
		fuse_reply_err(req, -err);
		return;
	}
	fi->fh = nodeid;
	if (fuse_reply_open(req, fi) != 0)
		memfs_undo_failed(nodeid, 0, 1, "open");
}

static int memfs_do_read(fuse_ino_t nodeid, size_t size, off_t off, char **buf,
			 size_t *len)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (!S_ISREG(in->mode)) {
		err = S_ISDIR(in->mode) ? -EISDIR : -EINVAL;
		goto unlock;
	}
	*len = 0;
	if (off >= 0 && (size_t)off < in->size)
		*len = in->size - (size_t)off < size ? in->size - (size_t)off
						     : size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		err = -ENOMEM;
		goto unlock;
	}
	if (*len)	/* an empty file has no data buffer at all */
		memcpy(*buf, in->data + off, *len);
	memfs_touch(&in->atime);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_read(fuse_req_t req, fuse_ino_t nodeid, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	char *buf = NULL;
	size_t len = 0;
	int err = memfs_do_read(nodeid, size, off, &buf, &len);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

static int memfs_do_write(fuse_ino_t nodeid, const char *buf, size_t size,
			  off_t off)
{
	struct memfs_inode *in;
	int err = 0;

	if (off < 0)
		return -EINVAL;
	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (!S_ISREG(in->mode)) {
		err = -EINVAL;
		goto unlock;
	}
	if ((size_t)off + size > in->size) {
		err = memfs_set_size(in, (size_t)off + size);
		if (err)
			goto unlock;
	}
	if (size)
		memcpy(in->data + off, buf, size);
	memfs_touch(&in->mtime);
	in->ctime = in->mtime;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_write(fuse_req_t req, fuse_ino_t nodeid, const char *buf,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	int err = memfs_do_write(nodeid, buf, size, off);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_write(req, size);
}

static void memfs_flush(fuse_req_t req, fuse_ino_t nodeid,
			struct fuse_file_info *fi)
{
	struct memfs_inode *in;

	/* FAULT free-at-flush: close(2) of the last descriptor taken for
	 * the end of the file; a mapping still has it open */
	if (memfs_fault(MEMFS_F_FREE_AT_FLUSH)) {
		pthread_mutex_lock(&memfs.lock);
		in = memfs_get(nodeid);
		if (in && !in->nlink && in->nopen == 1 && !S_ISDIR(in->mode)) {
			memfs_log("flush nodeid=%llu: freed (fault)",
				  (unsigned long long)nodeid);
			memfs_force_free(in);
		}
		pthread_mutex_unlock(&memfs.lock);
	}
	memfs_delay();
	fuse_reply_err(req, 0);
}

static void memfs_fsync(fuse_req_t req, fuse_ino_t nodeid, int datasync,
			struct fuse_file_info *fi)
{
	memfs_delay();
	fuse_reply_err(req, 0);
}

/* Shared with releasedir: one open handle goes away. */
void memfs_close_handle(fuse_ino_t nodeid, const char *op)
{
	struct memfs_inode *in;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get(nodeid);
	if (!in) {
		memfs_log("%s nodeid=%llu -> unknown", op,
			  (unsigned long long)nodeid);
	} else {
		if (in->nopen)
			in->nopen--;
		/* FAULT free-at-release: gone with its last handle, the
		 * lookup the kernel still holds notwithstanding */
		if (!in->nopen && !in->nlink && !S_ISDIR(in->mode) &&
		    memfs_fault(MEMFS_F_FREE_AT_RELEASE))
			memfs_force_free(in);
		else
			memfs_maybe_free(in);
	}
	pthread_mutex_unlock(&memfs.lock);
}

static void memfs_release(fuse_req_t req, fuse_ino_t nodeid,
			  struct fuse_file_info *fi)
{
	memfs_close_handle(nodeid, "release");
	memfs_delay();
	fuse_reply_err(req, 0);
}

void memfs_ops_file(struct fuse_lowlevel_ops *ops)
{
	ops->open = memfs_open;
	ops->read = memfs_read;
	ops->write = memfs_write;
	ops->flush = memfs_flush;
	ops->fsync = memfs_fsync;
	ops->release = memfs_release;
}
