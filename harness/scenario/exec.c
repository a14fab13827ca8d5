/* scenario/exec.c - the executors of the call table: one syscall (or a short
 * composite walk) each, returning the result or -errno for the runner to
 * judge, and the verifiers that compare what a successful call returned
 * (stat fields, data, names) with the statement's checks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "scenario/scn_int.h"
#include "util/dents.h"
#include "util/treerm.h"

#define SCN_XATTR_MAX 65536
#define SCN_DENTS_BUF 32768
/* A listing larger than this is a directory that never ends (a hostile
 * or broken filesystem can keep getdents64 returning entries): the call
 * fails with EFBIG instead of growing without bound. */
#define SCN_LIST_MAX_ENTRIES (1u << 21)
#define SCN_LIST_MAX_BYTES (64u << 20)

static long res(long rc)
{
	return rc < 0 ? -errno : rc;
}

/* make t->buf at least size bytes (+1 for a NUL); -ENOMEM */
static int scratch(struct scn_thr *t, size_t size)
{
	char *nb = realloc(t->buf, size + 1);

	if (!nb)
		return -ENOMEM;
	t->buf = nb;
	t->buflen = 0;
	return 0;
}

/* a path's parent directory, resolved beneath the working directory,
 * and its last component */
struct scn_at {
	int fd;
	char name[PATH_MAX];
};

static int at_get(struct scn_thr *t, const char *rel, struct scn_at *a)
{
	a->fd = scn_path_parent(scn_root(t), rel, a->name, sizeof(a->name));
	return a->fd < 0 ? a->fd : 0;
}

/* the result of an *at call, with the parent closed */
static long at_done(struct scn_at *a, long rc)
{
	int e = errno;

	close(a->fd);
	return rc < 0 ? -e : rc;
}

/* One call on a parent and last component: at_get, the call, at_done. */
#define AT_CALL(t, rel, a, call)                                     \
	({                                                           \
		long rc_ = at_get((t), (rel), (a));                  \
		rc_ ? rc_ : at_done((a), (long)(call));              \
	})

/* a path followed to its inode, as /proc/self/fd/N in proc for the calls
 * that only take a path; the fd to close, or -errno */
static int follow(struct scn_thr *t, const char *rel, char *proc,
		  size_t size)
{
	int fd = scn_path_open(scn_root(t), rel, O_PATH, 0);

	if (fd >= 0)
		scn_path_proc(fd, proc, size);
	return fd;
}

/* One call by a followed path: follow, the call, close. */
#define FOLLOW_CALL(t, rel, proc, call)                              \
	({                                                           \
		int fd_ = follow((t), (rel), (proc), sizeof(proc));  \
		long rc_ = fd_;                                      \
		if (fd_ >= 0) {                                      \
			rc_ = res((long)(call));                     \
			close(fd_);                                  \
		}                                                    \
		rc_;                                                 \
	})

static long keep_len(struct scn_thr *t, long ret)
{
	if (ret >= 0)
		t->buflen = (size_t)ret;
	return ret;
}

/* --- descriptors --- */

/* Bind a descriptor just opened to its name; a name already open is the
 * scenario's mistake (the new descriptor is closed). */
static void bind_opened(struct scn_thr *t, const struct scn_stmt *st,
			const char *name, int fd)
{
	if (!scn_fd_bind(t, name, fd))
		return;
	close(fd);
	scn_fail(t, st, SCN_EX_SCENARIO, "descriptor name %s is already open",
		 name);
}

/* room for any file handle (name_to_handle_at, open_by_handle_at) */
struct scn_fh {
	struct file_handle fh;
	unsigned char room[MAX_HANDLE_SZ];
};

SCN_EXEC(open)
{
	int mode = st->nargs > 3 ? (int)v[3].num : 0;
	/* O_CLOEXEC always: the filesystem under test is a child of the
	 * harness and must never inherit a reference into its own mount */
	int fd = scn_path_open(scn_root(t), v[1].s, (int)v[2].num | O_CLOEXEC,
			       (mode_t)mode);

	if (fd < 0)
		return fd;
	bind_opened(t, st, v[0].fdname, fd);
	return 0;
}

/* A file handle (name_to_handle_at), kept under a name: what the kernel
 * encodes is the nodeid and generation (fs/fuse/inode.c fuse_encode_fh),
 * so the handle names the inode, not the path. */
SCN_EXEC(handle)
{
	struct scn_fh h;
	int fd, mnt_id, rc;

	/* resolved beneath the working directory like every path; the
	 * handle is taken of what is there, a symlink itself included */
	fd = scn_path_open(scn_root(t), v[1].s, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	rc = res(name_to_handle_at(fd, "", &h.fh, &mnt_id, AT_EMPTY_PATH));
	close(fd);
	if (rc < 0)
		return rc;
	rc = scn_handle_keep(t, v[0].s, &h.fh);
	if (rc == -ENOSPC)
		scn_fail(t, st, SCN_EX_SCENARIO, "more than 4096 handles");
	return rc == -ENOSPC ? 0 : rc;
}

/* Open a kept handle (open_by_handle_at), binding descriptor name FD.
 * Where the kernel no longer holds the inode it asks the filesystem
 * LOOKUP "." of the nodeid (fs/fuse/inode.c fuse_get_dentry); a
 * directory is then reconnected to the root by LOOKUP ".." upwards. */
SCN_EXEC(open_handle)
{
	struct scn_fh h;
	int mfd, fd, rc;

	rc = scn_handle_get(t, v[1].s, &h.fh, MAX_HANDLE_SZ);
	if (rc == -ENOENT) {
		scn_fail(t, st, SCN_EX_SCENARIO, "no handle is named %s "
			 "(its handle statement failed or never ran)",
			 v[1].s);
		return 0;
	}
	if (rc)
		return rc;
	/* an open descriptor on the mount (not O_PATH, which the kernel
	 * does not take here) says which filesystem decodes the handle */
	mfd = scn_path_open(scn_root(t), "", O_RDONLY | O_DIRECTORY, 0);
	if (mfd < 0)
		return mfd;
	fd = open_by_handle_at(mfd, &h.fh, (int)v[2].num | O_CLOEXEC);
	rc = fd < 0 ? -errno : 0;
	close(mfd);
	if (rc)
		return rc;
	bind_opened(t, st, v[0].fdname, fd);
	return 0;
}

/* --- mappings --- */

/* A shared mapping of an open file: it holds the file open after the
 * descriptor is closed, so the RELEASE comes at munmap (and a file
 * unlinked meanwhile must live until then). */
SCN_EXEC(mmap)
{
	int fl = fcntl(v[1].fd, F_GETFL);
	int prot = PROT_READ;
	void *addr;
	int rc;

	if (fl < 0)
		return -errno;
	if ((fl & O_ACCMODE) == O_RDWR)
		prot |= PROT_WRITE;
	addr = mmap(NULL, (size_t)v[2].num, prot, MAP_SHARED, v[1].fd, 0);
	if (addr == MAP_FAILED)
		return -errno;
	rc = scn_map_keep(t, v[0].s, addr, (size_t)v[2].num);
	if (rc) {
		munmap(addr, (size_t)v[2].num);
		if (rc == -EEXIST || rc == -ENOSPC) {
			scn_fail(t, st, SCN_EX_SCENARIO, rc == -EEXIST ?
				 "mapping name %s is already mapped" :
				 "more than 4096 mappings (at %s)", v[0].s);
			return 0;
		}
	}
	return rc;
}

/* The mapping named `name` (take: and forget it): 1, or 0 with the
 * scenario's failure recorded when no mapping has the name. */
static int map_named(struct scn_thr *t, const struct scn_stmt *st,
		     const char *name, int take, void **addr, size_t *len)
{
	if (!scn_map_find(t, name, take, addr, len))
		return 1;
	scn_fail(t, st, SCN_EX_SCENARIO, "no mapping is named %s", name);
	return 0;
}

SCN_EXEC(munmap)
{
	void *addr;
	size_t len;

	if (!map_named(t, st, v[0].s, 1, &addr, &len))
		return 0;
	return res(munmap(addr, len));
}

SCN_EXEC(msync)
{
	void *addr;
	size_t len;

	if (!map_named(t, st, v[0].s, 0, &addr, &len))
		return 0;
	return res(msync(addr, len, MS_SYNC));
}

/* The mapping's bytes [off, off+size) as an iovec, or 0 with a failure
 * recorded when the range is not inside it. */
static int map_range(struct scn_thr *t, const struct scn_stmt *st,
		     const char *name, long long off, size_t size,
		     struct iovec *out)
{
	void *addr;
	size_t len;

	if (!map_named(t, st, name, 0, &addr, &len))
		return 0;
	if (off < 0 || (size_t)off > len || size > len - (size_t)off) {
		scn_fail(t, st, SCN_EX_SCENARIO, "bytes %lld..%lld are outside "
			 "the %zu-byte mapping", off, off + (long long)size,
			 len);
		return 0;
	}
	out->iov_base = (char *)addr + off;
	out->iov_len = size;
	return 1;
}

/* Through the mapping, by process_vm_readv/writev on ourselves: a page
 * the filesystem cannot supply (I/O error, past the end of the file)
 * comes back as EFAULT instead of a SIGBUS that would end the harness. */
SCN_EXEC(mread)
{
	struct iovec local, remote;
	ssize_t n;

	if (!map_range(t, st, v[0].s, v[1].num, (size_t)v[2].num, &remote))
		return 0;
	if (scratch(t, remote.iov_len))
		return -ENOMEM;
	local.iov_base = t->buf;
	local.iov_len = remote.iov_len;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return keep_len(t, res(n));
}

SCN_EXEC(mwrite)
{
	struct iovec local, remote;

	if (!map_range(t, st, v[0].s, v[1].num, v[2].len, &remote))
		return (long)v[2].len; /* told already */
	local.iov_base = v[2].s;
	local.iov_len = v[2].len;
	return res(process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
}

SCN_EXEC(close)
{
	int fd = scn_fd_take(t, v[0].fdname);

	return res(close(fd));
}

SCN_EXEC(create)
{
	int fd = scn_path_open(scn_root(t), v[0].s, O_CREAT | O_EXCL | O_WRONLY,
			       (mode_t)v[1].num);

	if (fd < 0)
		return fd;
	return res(close(fd));
}

SCN_EXEC(read)
{
	if (scratch(t, (size_t)v[1].num))
		return -ENOMEM;
	return keep_len(t, res(read(v[0].fd, t->buf, (size_t)v[1].num)));
}

SCN_EXEC(pread)
{
	if (scratch(t, (size_t)v[1].num))
		return -ENOMEM;
	return keep_len(t, res(pread(v[0].fd, t->buf, (size_t)v[1].num,
				     (off_t)v[2].num)));
}

SCN_EXEC(write)
{
	return res(write(v[0].fd, v[1].s, v[1].len));
}

SCN_EXEC(pwrite)
{
	return res(pwrite(v[0].fd, v[1].s, v[1].len, (off_t)v[2].num));
}

SCN_EXEC(ftruncate)
{
	return res(ftruncate(v[0].fd, (off_t)v[1].num));
}

SCN_EXEC(truncate)
{
	char proc[64];

	return FOLLOW_CALL(t, v[0].s, proc, truncate(proc, (off_t)v[1].num));
}

SCN_EXEC(fsync)
{
	return res(fsync(v[0].fd));
}

/* --- paths --- */

SCN_EXEC(stat)
{
	int fd = scn_path_open(scn_root(t), v[0].s, O_PATH, 0);
	long rc;

	if (fd < 0)
		return fd;
	rc = res(fstatat(fd, "", &t->st, AT_EMPTY_PATH));
	close(fd);
	return rc;
}

SCN_EXEC(lstat)
{
	struct scn_at a;

	return AT_CALL(t, v[0].s, &a, fstatat(a.fd, a.name, &t->st,
					      AT_SYMLINK_NOFOLLOW));
}

SCN_EXEC(fstat)
{
	return res(fstat(v[0].fd, &t->st));
}

SCN_EXEC(mkdir)
{
	struct scn_at a;

	return AT_CALL(t, v[0].s, &a, mkdirat(a.fd, a.name, (mode_t)v[1].num));
}

SCN_EXEC(rmdir)
{
	struct scn_at a;

	return AT_CALL(t, v[0].s, &a, unlinkat(a.fd, a.name, AT_REMOVEDIR));
}

SCN_EXEC(unlink)
{
	struct scn_at a;

	return AT_CALL(t, v[0].s, &a, unlinkat(a.fd, a.name, 0));
}

SCN_EXEC(mkfifo)
{
	struct scn_at a;

	return AT_CALL(t, v[0].s, &a, mkfifoat(a.fd, a.name, (mode_t)v[1].num));
}

SCN_EXEC(symlink)
{
	struct scn_at a;

	/* the target is only text here; it is confined whenever a later
	 * call resolves through the link */
	return AT_CALL(t, v[1].s, &a, symlinkat(v[0].s, a.fd, a.name));
}

SCN_EXEC(readlink)
{
	struct scn_at a;

	if (scratch(t, PATH_MAX))
		return -ENOMEM;
	return keep_len(t, AT_CALL(t, v[0].s, &a, readlinkat(a.fd, a.name,
							     t->buf, PATH_MAX)));
}

/* two paths, each resolved to its parent: for link and rename */
static long two_at(struct scn_thr *t, const char *from, const char *to,
		   int op, unsigned flags)
{
	struct scn_at a, b;
	long rc = at_get(t, from, &a);

	if (rc)
		return rc;
	rc = at_get(t, to, &b);
	if (rc) {
		close(a.fd);
		return rc;
	}
	rc = op ? renameat2(a.fd, a.name, b.fd, b.name, flags)
		: linkat(a.fd, a.name, b.fd, b.name, 0);
	rc = rc < 0 ? -errno : rc;
	close(b.fd);
	close(a.fd);
	return rc;
}

SCN_EXEC(link)
{
	return two_at(t, v[0].s, v[1].s, 0, 0);
}

SCN_EXEC(rename)
{
	return two_at(t, v[0].s, v[1].s, 1, 0);
}

SCN_EXEC(renameat2)
{
	return two_at(t, v[0].s, v[1].s, 1, (unsigned)v[2].num);
}

SCN_EXEC(setxattr)
{
	char proc[64];

	return FOLLOW_CALL(t, v[0].s, proc, setxattr(proc, v[1].s, v[2].s,
						     v[2].len, 0));
}

SCN_EXEC(getxattr)
{
	char proc[64];

	if (scratch(t, SCN_XATTR_MAX))
		return -ENOMEM;
	return keep_len(t, FOLLOW_CALL(t, v[0].s, proc,
				       getxattr(proc, v[1].s, t->buf,
						SCN_XATTR_MAX)));
}

SCN_EXEC(listxattr)
{
	char proc[64];

	if (scratch(t, SCN_XATTR_MAX))
		return -ENOMEM;
	return keep_len(t, FOLLOW_CALL(t, v[0].s, proc,
				       listxattr(proc, t->buf,
						 SCN_XATTR_MAX)));
}

SCN_EXEC(removexattr)
{
	char proc[64];

	return FOLLOW_CALL(t, v[0].s, proc, removexattr(proc, v[1].s));
}

SCN_EXEC(chdir)
{
	int fd, rc;

	if (!strcmp(v[0].s, "-"))
		return scn_cwd_leave(t);
	fd = scn_path_open(scn_root(t), v[0].s, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	rc = scn_cwd_enter(t, fd);
	close(fd);
	return rc;
}

SCN_EXEC(sleep)
{
	struct timespec ts = {0, 50 * 1000000L};
	long long left = v[0].num;

	/* in slices: a run given up (timeout, interrupt, broken session)
	 * must not keep a detached thread sleeping for an hour */
	for (; left > 0 && !scn_stopping(t); left -= 50) {
		if (left < 50)
			ts.tv_nsec = (long)left * 1000000L;
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		ts.tv_nsec = 50 * 1000000L;
	}
	return 0;
}

/* --- directories, walked with getdents64 --- */

/* Read every name of the open directory fd but "." and ".." into a list
 * of NUL-terminated names (*names, *len bytes); types into *types when
 * asked.  0 or -errno. */
static int list_dir(int fd, size_t bufsize, char **names, size_t *len,
		    unsigned char **types, size_t *count)
{
	char *buf = malloc(bufsize), *out = NULL, *no;
	const struct dent64 *d;
	unsigned char *ty = NULL, *nt;
	size_t at = 0, n = 0, pos, nl;
	long got;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	while ((got = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		for (pos = 0; (d = dents_next(buf, (size_t)got, &pos));) {
			nl = dent_name_len(d);
			if (dent_is_dot(d))
				continue;
			if (n >= SCN_LIST_MAX_ENTRIES ||
			    at + nl + 1 > SCN_LIST_MAX_BYTES) {
				rc = -EFBIG;
				goto out;
			}
			no = realloc(out, at + nl + 1);
			nt = realloc(ty, n + 1);
			if (no)
				out = no;
			if (nt)
				ty = nt;
			if (!no || !nt) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(out + at, d->d_name, nl);
			out[at + nl] = '\0';
			at += nl + 1;
			ty[n++] = d->d_type;
		}
	}
	if (got < 0)
		rc = -errno;
out:
	free(buf);
	if (rc) {
		free(out);
		free(ty);
		return rc;
	}
	*names = out;
	*len = at;
	*count = n;
	if (types)
		*types = ty;
	else
		free(ty);
	return 0;
}

SCN_EXEC(readdir)
{
	char *names;
	size_t len, n;
	int fd = scn_path_open(scn_root(t), v[0].s, O_RDONLY | O_DIRECTORY, 0);
	size_t bufsize = SCN_DENTS_BUF, k;
	int rc;

	if (fd < 0)
		return fd;
	/* a small buffer: the kernel still links every entry of each
	 * READDIRPLUS reply, and asks again from where the caller stopped */
	for (k = 0; k < st->nchecks; k++)
		if (st->checks[k].key == SCN_C_BUFSIZE)
			bufsize = (size_t)st->checks[k].num;
	rc = list_dir(fd, bufsize, &names, &len, NULL, &n);
	close(fd);
	if (rc)
		return rc;
	free(t->buf);
	t->buf = names;
	t->buflen = len;
	return 0;
}

SCN_EXEC(mkfiles)
{
	char name[32];
	long long k;
	int dfd = scn_path_open(scn_root(t), v[0].s, O_PATH | O_DIRECTORY, 0);
	int fd;

	if (dfd < 0)
		return dfd;
	for (k = 0; k < v[1].num; k++) {
		snprintf(name, sizeof(name), "f%lld", k);
		fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			    0644);
		if (fd < 0 || close(fd)) {
			int e = errno;

			snprintf(t->detail, sizeof(t->detail), "at %s", name);
			close(dfd);
			return -e;
		}
	}
	close(dfd);
	return 0;
}

SCN_EXEC(mktree)
{
	struct scn_at a;
	long long k;
	int fd, nfd;

	if (at_get(t, v[0].s, &a))
		return a.fd;
	if (mkdirat(a.fd, a.name, 0755))
		return at_done(&a, -1);
	fd = openat(a.fd, a.name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
					  O_CLOEXEC);
	if (fd < 0)
		return at_done(&a, -1);
	close(a.fd);
	for (k = 0; k < v[1].num; k++) {
		if (mkdirat(fd, "d", 0755))
			goto fail;
		nfd = openat(fd, "d", O_PATH | O_DIRECTORY | O_NOFOLLOW |
					      O_CLOEXEC);
		if (nfd < 0)
			goto fail;
		close(fd);
		fd = nfd;
	}
	close(fd);
	return 0;
fail:
	nfd = -errno;
	snprintf(t->detail, sizeof(t->detail), "at depth %lld", k + 1);
	close(fd);
	return nfd;
}

SCN_EXEC(rmtree)
{
	struct scn_at a;
	long rc = at_get(t, v[0].s, &a);

	if (rc)
		return rc;
	rc = treerm_at(a.fd, a.name, t->detail, sizeof(t->detail));
	close(a.fd);
	return rc;
}

/* --- statements of the harness --- */

SCN_EXEC(barrier)
{
	scn_run_barrier(t);
	return 0;
}

SCN_EXEC(quiesce)
{
	return scn_run_quiesce(t, st, 1);
}

SCN_EXEC(settle)
{
	return scn_run_quiesce(t, st, 0);
}

SCN_EXEC(check)
{
	return scn_run_check(t, st, v);
}

SCN_EXEC(evict)
{
	return scn_run_provoke(t, st, v);
}

SCN_EXEC(delay)
{
	return scn_run_provoke(t, st, v);
}

SCN_EXEC(delay_reply)
{
	return scn_run_provoke(t, st, v);
}

/* arms the thread's next call (interp.c run_call); the parser made sure
 * that one follows in this block */
SCN_EXEC(interrupt)
{
	(void)st;
	t->intr_ms = (unsigned)v[0].num;
	return 0;
}

/* --- verifiers --- */

static const char *type_name(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "reg";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "lnk";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFSOCK: return "sock";
	}
	return "?";
}

static void check_ino(struct scn_thr *t, const struct scn_stmt *st,
		      const struct scn_check *c)
{
	const char *tag = scn_tag_name(t, c->num);
	uint64_t ino = t->st.st_ino, want;

	if (c->key == SCN_C_INO && scn_tag_bind(t, c->num, ino))
		return;
	if (scn_tag_get(t, c->num, &want)) {
		scn_fail(t, st, SCN_EX_SCENARIO, "tag @%s is not bound (the "
			 "statement that binds it failed)", tag);
		return;
	}
	if (c->key == SCN_C_INO && ino != want && scn_tag_judged(t, c->num))
		scn_fail(t, st, SCN_EX_INO_STABLE,
			 "ino expected @%s (%llu), got %llu", tag,
			 (unsigned long long)want, (unsigned long long)ino);
	if (c->key == SCN_C_INO_NOT && ino == want)
		scn_fail(t, st, SCN_EX_INO_DISTINCT,
			 "ino expected other than @%s, got %llu", tag,
			 (unsigned long long)ino);
}

SCN_VERIFY(stat)
{
	const struct stat *s = &t->st;
	size_t k;

	for (k = 0; k < st->nchecks; k++) {
		const struct scn_check *c = &st->checks[k];

		switch (c->key) {
		case SCN_C_TYPE:
			if ((s->st_mode & S_IFMT) != (unsigned)c->num)
				scn_fail(t, st, SCN_EX_ATTR, "type expected %s, got %s",
					 type_name((unsigned)c->num),
					 type_name(s->st_mode));
			break;
		case SCN_C_NLINK:
			if ((long long)s->st_nlink != c->num)
				scn_fail(t, st, SCN_EX_ATTR, "nlink expected %lld, got %llu",
					 c->num,
					 (unsigned long long)s->st_nlink);
			break;
		case SCN_C_SIZE:
			if ((long long)s->st_size != c->num)
				scn_fail(t, st, SCN_EX_ATTR, "size expected %lld, got %lld",
					 c->num, (long long)s->st_size);
			break;
		case SCN_C_MODE:
			if ((s->st_mode & 07777) != (unsigned)c->num)
				scn_fail(t, st, SCN_EX_ATTR, "mode expected %04llo, got "
						"%04o",
					 c->num, s->st_mode & 07777);
			break;
		case SCN_C_INO:
		case SCN_C_INO_NOT:
			check_ino(t, st, c);
			break;
		}
	}
}

/* the expected bytes: the statement's last argument when it is DATA */
SCN_VERIFY(data)
{
	size_t k = st->nargs - 1;
	char want[300], got[300];

	if (!st->nargs || st->call->args[k] != SCN_A_DATA ||
	    k < st->call->nreq)
		return;
	if ((size_t)ret == v[k].len && !memcmp(t->buf, v[k].s, v[k].len))
		return;
	scn_quote(v[k].s, v[k].len, want, sizeof(want));
	scn_quote(t->buf, (size_t)ret, got, sizeof(got));
	scn_fail(t, st, SCN_EX_DATA, "expected %s, got %s (%ld bytes)", want,
		 got, ret);
}

static int listed(const char *names, size_t len, const char *name)
{
	const char *p;

	for (p = names; p < names + len; p += strlen(p) + 1)
		if (!strcmp(p, name))
			return 1;
	return 0;
}

static size_t count_names(const char *names, size_t len)
{
	const char *p;
	size_t n = 0;

	for (p = names; p < names + len; p += strlen(p) + 1)
		n++;
	return n;
}

SCN_VERIFY(listxattr)
{
	size_t k, n = count_names(t->buf, t->buflen), want_n = 0;
	char q[300];
	char *name;
	int ok = 1;

	t->buf[t->buflen] = '\0';
	for (k = 0; k < st->nnames; k++) {
		name = scn_word_expand(&st->names[k], t->i, t->n,
				       scn_name_max(t), NULL);
		if (!name)
			return;
		if (!listed(t->buf, t->buflen, name)) {
			scn_quote(name, strlen(name), q, sizeof(q));
			scn_fail(t, st, SCN_EX_DIRENTS, "%s not listed", q);
			ok = 0;
		}
		want_n++;
		free(name);
	}
	if (ok && n != want_n)
		scn_fail(t, st, SCN_EX_DIRENTS, "expected %zu names, got %zu", want_n, n);
}

/* --- walk: the tree that is there --- */

/* Bounds of one walk: a read-only filesystem may hold anything. */
#define WALK_MAX_ENTRIES 2000
#define WALK_MAX_DEPTH 8
#define WALK_READ_BYTES 4096
#define WALK_MAX_READS 200

struct walk_state {
	struct scn_thr *t;
	struct scn_walk *out;    /* the paths and inodes seen */
	unsigned reads;
	int err;                 /* -ENOMEM: give up */
};

static int walk_add(struct walk_state *w, const char *path, uint64_t ino)
{
	struct scn_walk_ent *ne;
	struct scn_walk *o = w->out;

	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;

		ne = realloc(o->ents, cap * sizeof(*ne));
		if (!ne)
			return w->err = -ENOMEM;
		o->ents = ne;
		o->cap = cap;
	}
	o->ents[o->n].path = strdup(path);
	if (!o->ents[o->n].path)
		return w->err = -ENOMEM;
	o->ents[o->n++].ino = ino;
	return 0;
}

/* Look at one entry as a user of the tree would: stat it (a LOOKUP),
 * read the start of a file, read a symlink's target, go into a
 * directory.  Errors of one entry are the tree's business, not the
 * walk's: what the kernel and the filesystem exchange is judged. */
static void walk_dir(struct walk_state *w, const char *rel, unsigned depth);

static void walk_entry(struct walk_state *w, int dfd, const char *rel,
		       const char *name, unsigned depth)
{
	char path[4096], buf[WALK_READ_BYTES];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, name) >=
	    sizeof(path))
		return;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (walk_add(w, path, st.st_ino))
		return;
	if (S_ISREG(st.st_mode) && w->reads < WALK_MAX_READS) {
		w->reads++;
		fd = scn_path_open(scn_root(w->t), path,
				   O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0)
				errno = 0;
			close(fd);
		}
	} else if (S_ISLNK(st.st_mode)) {
		if (readlinkat(dfd, name, buf, sizeof(buf)) < 0)
			errno = 0;
	} else if (S_ISDIR(st.st_mode) && depth < WALK_MAX_DEPTH) {
		walk_dir(w, path, depth + 1);
	}
}

static void walk_dir(struct walk_state *w, const char *rel, unsigned depth)
{
	char *names, *name;
	size_t len, n;
	int fd = scn_path_open(scn_root(w->t), rel, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		return;
	if (list_dir(fd, SCN_DENTS_BUF, &names, &len, NULL, &n) == 0) {
		for (name = names; name < names + len && !w->err &&
		     w->out->n < WALK_MAX_ENTRIES && !scn_stopping(w->t);
		     name += strlen(name) + 1)
			walk_entry(w, fd, rel, name, depth);
		free(names);
	}
	close(fd);
}

/* walk PATH [as=@W] [same=@W]: every entry below PATH, depth first; the
 * result is how many were seen.  The walk is kept for the checks. */
SCN_EXEC(walk)
{
	struct walk_state w = { .t = t, .out = &t->walk };
	int fd = scn_path_open(scn_root(t), v[0].s, O_RDONLY | O_DIRECTORY,
			       0);

	/* the start must be a directory that opens: that is an error of
	 * the call; what is below it is the tree's */
	if (fd < 0)
		return fd;
	close(fd);
	scn_walk_clear(&t->walk);
	walk_dir(&w, v[0].s, 0);
	if (w.err)
		return w.err;
	return (long)t->walk.n;
}

/* as=@W keeps the walk; same=@W compares the inode of every path both
 * walks saw (EX-INO-STABLE), as ino=@TAG does for one name. */
SCN_VERIFY(walk)
{
	const struct scn_walk *old;
	size_t k, i, j, mismatched = 0;

	for (k = 0; k < st->nchecks; k++) {
		const struct scn_check *c = &st->checks[k];

		if (c->key == SCN_C_WALK_AS) {
			scn_walk_keep(t, c->num, &t->walk);
			continue;
		}
		old = scn_walk_get(t, c->num);
		if (!old) {
			scn_fail(t, st, SCN_EX_SCENARIO, "walk @%s was not "
				 "kept (the walk that keeps it failed)",
				 scn_tag_name(t, c->num));
			continue;
		}
		/* both walks are in the same order (depth first over the
		 * same listings), so a merge finds common paths */
		for (i = 0, j = 0; i < old->n && j < t->walk.n;) {
			int cmp = strcmp(old->ents[i].path,
					 t->walk.ents[j].path);

			if (cmp) {
				/* listings may differ: step past the one
				 * that is not in the other, by search */
				size_t f;

				for (f = j; f < t->walk.n &&
				     strcmp(old->ents[i].path,
					    t->walk.ents[f].path); f++)
					;
				if (f == t->walk.n)
					i++;
				else
					j = f;
				continue;
			}
			if (old->ents[i].ino != t->walk.ents[j].ino &&
			    scn_walk_judged(t, c->num) &&
			    mismatched++ < 3)
				scn_fail(t, st, SCN_EX_INO_STABLE,
					 "%s: ino was %llu in walk @%s, now "
					 "%llu", old->ents[i].path,
					 (unsigned long long)old->ents[i].ino,
					 scn_tag_name(t, c->num),
					 (unsigned long long)
					 t->walk.ents[j].ino);
			i++;
			j++;
		}
		if (mismatched > 3)
			scn_fail(t, st, SCN_EX_INO_STABLE, "%zu more paths "
				 "changed their inode since walk @%s",
				 mismatched - 3, scn_tag_name(t, c->num));
	}
}

SCN_VERIFY(readdir)
{
	size_t k, n = count_names(t->buf, t->buflen);
	char q[300], *name;
	int has;

	for (k = 0; k < st->nchecks; k++) {
		const struct scn_check *c = &st->checks[k];

		if (c->key == SCN_C_BUFSIZE)
			continue;
		if (c->key == SCN_C_COUNT) {
			if ((long long)n != c->num)
				scn_fail(t, st, SCN_EX_DIRENTS, "count expected %lld, got %zu",
					 c->num, n);
			continue;
		}
		name = scn_word_expand(&c->w, t->i, t->n, scn_name_max(t), NULL);
		if (!name)
			return;
		has = listed(t->buf, t->buflen, name);
		scn_quote(name, strlen(name), q, sizeof(q));
		if (c->key == SCN_C_HAS && !has)
			scn_fail(t, st, SCN_EX_DIRENTS, "%s not listed", q);
		if (c->key == SCN_C_HAS_NOT && has)
			scn_fail(t, st, SCN_EX_DIRENTS, "%s listed, expected absent", q);
		free(name);
	}
}
