/* memfs.h - the reference filesystem's shared state: the inode table, the
 * one big lock, and the entry points the handler files share.  memfs is the
 * second witness of fusecheck: it keeps its own nlookup / nlink / open counts
 * per inode and frees an inode only when all three are zero.
 */
#ifndef MEMFS_H
#define MEMFS_H

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <fusecheck/event.h>

#define MEMFS_ROOT_ID FUSE_ROOT_ID
#define MEMFS_NAME_MAX 255

struct memfs_inode;

struct memfs_dirent {
	char *name;      /* NULL: removed (a hole until the next compaction) */
	struct memfs_inode *inode;
	uint64_t cookie; /* readdir offset; grows with every insertion */
	uint32_t hash;   /* of name, for the index */
};

struct memfs_xattr {
	struct memfs_xattr *next;
	char *name;
	char *value;
	size_t size;
};

struct memfs_inode {
	uint64_t nodeid; /* == st_ino; never reused (unless a fault says so) */
	uint64_t nlookup;
	uint32_t forgotten; /* times nlookup fell to 0 (--renumber-ino) */
	uint32_t nlink;
	uint32_t nopen;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	struct timespec atime, mtime, ctime;
	/* regular file */
	char *data;
	size_t size;
	size_t cap;
	/* symlink */
	char *target;
	/* directory: entries kept in cookie order, removed ones left as
	 * holes until they are half of the array (dir.c); a hash index of
	 * names beside it */
	struct memfs_dirent *ents;
	size_t nents;    /* array length, holes included */
	size_t nlive;    /* entries that are there */
	size_t ents_cap;
	uint32_t *index; /* open addressing: ents index + 1, 0 empty */
	size_t index_cap; /* a power of two, or 0 */
	uint64_t next_cookie;
	struct memfs_inode *parent;
	struct memfs_xattr *xattrs;
};

struct memfs_opts {
	int control_fd;
	const char *log_path;
	bool no_readdirplus;
	bool readdirplus_always; /* READDIRPLUS without _AUTO */
	bool writeback;
	bool no_parallel_dirops;
	double entry_timeout;
	double attr_timeout;
	unsigned delay_ms;
	int threads; /* max idle threads; -1: libfuse default */
	bool single;
	bool debug;
	bool renumber_ino; /* st_ino changes once the kernel forgot */
	unsigned namemax;  /* longest name, 1..MEMFS_NAME_MAX (statfs) */
	const char *mountpoint;
};

struct memfs {
	pthread_mutex_t lock; /* the one big lock: guards everything below */
	pthread_cond_t forgot; /* an inode's nlookup fell to 0 */
	struct memfs_inode **tab; /* indexed by nodeid */
	uint64_t tab_cap;
	uint64_t next_id;
	uint64_t live;
	uint32_t forget_msgs; /* FORGET/BATCH_FORGET handled (fusecheck/control.h) */
	/* reuse-nodeid faults: a nodeid the fs wrongly believes free */
	uint64_t reuse_id;
	mode_t reuse_type;
	struct memfs_opts opts;
};

extern struct memfs memfs;

/* inode.c */
int memfs_table_init(void);
void memfs_table_destroy(void);
struct memfs_inode *memfs_get(fuse_ino_t nodeid);
/* FAULT relookup-new-nodeid: move the inode to a fresh nodeid; the old
 * one is no longer known.  0 or -ENOMEM. */
int memfs_renumber(struct memfs_inode *in);
/* memfs_get, with *err = -ESTALE when the inode does not exist. */
struct memfs_inode *memfs_get_live(fuse_ino_t nodeid, int *err);
int memfs_new_inode(mode_t mode, dev_t rdev, struct memfs_inode **out);
void memfs_maybe_free(struct memfs_inode *in);
void memfs_force_free(struct memfs_inode *in);
void memfs_discard(struct memfs_inode *in);
struct memfs_dirent *memfs_dir_find(struct memfs_inode *dir, const char *name);
int memfs_dir_add(struct memfs_inode *dir, const char *name,
		  struct memfs_inode *in);
void memfs_dir_remove(struct memfs_inode *dir, struct memfs_dirent *de);
size_t memfs_dir_first_after(struct memfs_inode *dir, uint64_t off);
void memfs_fill_stat(const struct memfs_inode *in, struct stat *st);
void memfs_fill_entry(const struct memfs_inode *in, struct fuse_entry_param *e);
void memfs_touch(struct timespec *ts);
int memfs_set_size(struct memfs_inode *in, size_t size);
int memfs_check_name(const char *name);
/* every live inode, and the FORGET messages handled so far, at one
 * instant (under the lock) */
int memfs_snapshot(struct fc_fs_inode **out, size_t *count,
		   uint32_t *forgets);
void memfs_delay(void);

/* log.c */
int memfs_log_open(const char *path);
void memfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void memfs_log_flush(void);
void memfs_log_close(void);
/* escape `name` into `buf` (quoted, C escapes) */
const char *memfs_log_name(char *buf, size_t size, const char *name);
#define MEMFS_ESC_MAX (4 * MEMFS_NAME_MAX + 8)

/* control.c */
int memfs_control_start(int fd);
void memfs_control_stop(void);

/* ops_*.c */
void memfs_ops_entry(struct fuse_lowlevel_ops *ops);
void memfs_ops_attr(struct fuse_lowlevel_ops *ops);
void memfs_ops_file(struct fuse_lowlevel_ops *ops);
void memfs_ops_dir(struct fuse_lowlevel_ops *ops);
void memfs_close_handle(fuse_ino_t nodeid, const char *op);

/* shared by the entry handlers and readdirplus: give the kernel one
 * reference (log says why); undo it when the reply was not accepted. */
void memfs_ref(struct memfs_inode *in);
void memfs_undo_failed(fuse_ino_t nodeid, uint64_t nlookup, uint32_t nopen,
		       const char *why);

#endif
