/* ops_attr.c - attributes and metadata: getattr, setattr, readlink,
 * statfs, access and the four xattr operations.  No permission checks:
 * memfs is a witness of lookup counts, not of access control. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include "memfs.h"
#include "faults.h"

#define MEMFS_FAKE_BLOCKS (1ULL << 24)
#define MEMFS_FAKE_FILES (1ULL << 24)

static int memfs_do_getattr(fuse_ino_t nodeid, struct stat *st)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (in->nlink == 0 && memfs_fault(MEMFS_F_ENOENT_HELD)) {
		err = -ENOENT; /* FAULT enoent-held */
		goto unlock;
	}
	memfs_fill_stat(in, st);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_getattr(fuse_req_t req, fuse_ino_t nodeid,
			  struct fuse_file_info *fi)
{
	struct stat st;
	int err = memfs_do_getattr(nodeid, &st);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, memfs.opts.attr_timeout);
}

static void set_time(struct timespec *dst, const struct timespec *src, bool now)
{
	if (now)
		memfs_touch(dst);
	else
		*dst = *src;
}

static int memfs_do_setattr(fuse_ino_t nodeid, const struct stat *attr,
			    int to_set, struct stat *st)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (S_ISDIR(in->mode))
			err = -EISDIR;
		else if (!S_ISREG(in->mode))
			err = -EINVAL;
		else
			err = memfs_set_size(in, (size_t)attr->st_size);
		if (err)
			goto unlock;
		memfs_touch(&in->mtime);
	}
	if (to_set & FUSE_SET_ATTR_MODE)
		in->mode = (in->mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID)
		in->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID)
		in->gid = attr->st_gid;
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
		set_time(&in->atime, &attr->st_atim,
			 to_set & FUSE_SET_ATTR_ATIME_NOW);
	if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
		set_time(&in->mtime, &attr->st_mtim,
			 to_set & FUSE_SET_ATTR_MTIME_NOW);
	if (to_set & FUSE_SET_ATTR_CTIME)
		in->ctime = attr->st_ctim;
	else
		memfs_touch(&in->ctime);
	memfs_fill_stat(in, st);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_setattr(fuse_req_t req, fuse_ino_t nodeid, struct stat *attr,
			  int to_set, struct fuse_file_info *fi)
{
	struct stat st;
	int err = memfs_do_setattr(nodeid, attr, to_set, &st);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, memfs.opts.attr_timeout);
}

static int memfs_do_readlink(fuse_ino_t nodeid, char **target)
{
	struct memfs_inode *in;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	if (!S_ISLNK(in->mode)) {
		err = -EINVAL;
		goto unlock;
	}
	*target = strdup(in->target);
	if (!*target)
		err = -ENOMEM;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_readlink(fuse_req_t req, fuse_ino_t nodeid)
{
	char *target = NULL;
	int err = memfs_do_readlink(nodeid, &target);

	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_readlink(req, target);
	free(target);
}

static void memfs_statfs(fuse_req_t req, fuse_ino_t nodeid)
{
	struct statvfs sv = {
	    .f_bsize = 4096,
	    .f_frsize = 4096,
	    .f_blocks = MEMFS_FAKE_BLOCKS,
	    .f_bfree = MEMFS_FAKE_BLOCKS,
	    .f_bavail = MEMFS_FAKE_BLOCKS,
	    .f_files = MEMFS_FAKE_FILES,
	    .f_namemax = memfs.opts.namemax,
	};

	pthread_mutex_lock(&memfs.lock);
	sv.f_ffree = sv.f_favail = MEMFS_FAKE_FILES - memfs.live;
	pthread_mutex_unlock(&memfs.lock);
	memfs_delay();
	fuse_reply_statfs(req, &sv);
}

static void memfs_access(fuse_req_t req, fuse_ino_t nodeid, int mask)
{
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	memfs_get_live(nodeid, &err);
	pthread_mutex_unlock(&memfs.lock);
	memfs_delay();
	fuse_reply_err(req, -err);
}

static struct memfs_xattr **xattr_find(struct memfs_inode *in, const char *name)
{
	struct memfs_xattr **p;

	for (p = &in->xattrs; *p; p = &(*p)->next)
		if (strcmp((*p)->name, name) == 0)
			break;
	return p;
}

static int memfs_do_setxattr(fuse_ino_t nodeid, const char *name,
			     const char *value, size_t size, int flags)
{
	struct memfs_inode *in;
	struct memfs_xattr **p, *x;
	char *copy;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	p = xattr_find(in, name);
	if (*p && (flags & XATTR_CREATE)) {
		err = -EEXIST;
		goto unlock;
	}
	if (!*p && (flags & XATTR_REPLACE)) {
		err = -ENODATA;
		goto unlock;
	}
	copy = malloc(size ? size : 1);
	if (!copy) {
		err = -ENOMEM;
		goto unlock;
	}
	memcpy(copy, value, size);
	x = *p;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (x)
			x->name = strdup(name);
		if (!x || !x->name) {
			free(x);
			free(copy);
			err = -ENOMEM;
			goto unlock;
		}
		*p = x;
	}
	free(x->value);
	x->value = copy;
	x->size = size;
	memfs_touch(&in->ctime);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_setxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name,
			   const char *value, size_t size, int flags)
{
	int err = memfs_do_setxattr(nodeid, name, value, size, flags);

	memfs_delay();
	fuse_reply_err(req, -err);
}

/* Copies what a get/list request asks for: nothing but the length when
 * size is 0, ERANGE when the caller's buffer is too small. */
static void reply_xattr_data(fuse_req_t req, int err, const char *buf,
			     size_t len, size_t size)
{
	memfs_delay();
	if (err)
		fuse_reply_err(req, -err);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
}

static int memfs_do_getxattr(fuse_ino_t nodeid, const char *name, char **buf,
			     size_t *len)
{
	struct memfs_inode *in;
	struct memfs_xattr *x;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	x = *xattr_find(in, name);
	if (!x) {
		err = -ENODATA;
		goto unlock;
	}
	*buf = malloc(x->size ? x->size : 1);
	if (!*buf) {
		err = -ENOMEM;
		goto unlock;
	}
	memcpy(*buf, x->value, x->size);
	*len = x->size;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_getxattr(fuse_req_t req, fuse_ino_t nodeid, const char *name,
			   size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	int err = memfs_do_getxattr(nodeid, name, &buf, &len);

	reply_xattr_data(req, err, buf, len, size);
	free(buf);
}

static int memfs_do_listxattr(fuse_ino_t nodeid, char **buf, size_t *len)
{
	struct memfs_inode *in;
	struct memfs_xattr *x;
	size_t total = 0;
	char *p;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	for (x = in->xattrs; x; x = x->next)
		total += strlen(x->name) + 1;
	p = *buf = malloc(total ? total : 1);
	if (!p) {
		err = -ENOMEM;
		goto unlock;
	}
	for (x = in->xattrs; x; x = x->next) {
		size_t n = strlen(x->name) + 1;

		memcpy(p, x->name, n);
		p += n;
	}
	*len = total;
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_listxattr(fuse_req_t req, fuse_ino_t nodeid, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	int err = memfs_do_listxattr(nodeid, &buf, &len);

	reply_xattr_data(req, err, buf, len, size);
	free(buf);
}

static int memfs_do_removexattr(fuse_ino_t nodeid, const char *name)
{
	struct memfs_inode *in;
	struct memfs_xattr **p, *x;
	int err = 0;

	pthread_mutex_lock(&memfs.lock);
	in = memfs_get_live(nodeid, &err);
	if (!in)
		goto unlock;
	p = xattr_find(in, name);
	x = *p;
	if (!x) {
		err = -ENODATA;
		goto unlock;
	}
	*p = x->next;
	free(x->name);
	free(x->value);
	free(x);
	memfs_touch(&in->ctime);
unlock:
	pthread_mutex_unlock(&memfs.lock);
	return err;
}

static void memfs_removexattr(fuse_req_t req, fuse_ino_t nodeid,
			      const char *name)
{
	int err = memfs_do_removexattr(nodeid, name);

	memfs_delay();
	fuse_reply_err(req, -err);
}

void memfs_ops_attr(struct fuse_lowlevel_ops *ops)
{
	ops->getattr = memfs_getattr;
	ops->setattr = memfs_setattr;
	ops->readlink = memfs_readlink;
	ops->statfs = memfs_statfs;
	ops->access = memfs_access;
	ops->setxattr = memfs_setxattr;
	ops->getxattr = memfs_getxattr;
	ops->listxattr = memfs_listxattr;
	ops->removexattr = memfs_removexattr;
}
