/* judge/rules.c - the rule table (judge/rules.h).  One row per rule the checker or
 * the scenario runner can report; docs/rules.md is the long form. */
#include <string.h>

#include "judge/rules.h"

const struct fc_rule fc_rules[] = {
	{ "LC-ENTRY-REF", FC_RF_LOOKUP,
	  "a successful entry reply with a nonzero nodeid (and each "
	  "READDIRPLUS entry but \".\", \"..\" and nodeid 0) hands the "
	  "kernel one reference",
	  "linux fs/fuse/dir.c fuse_lookup_name, create_new_entry; "
	  "fs/fuse/readdir.c fuse_direntplus_link; libfuse "
	  "include/fuse_lowlevel.h fuse_reply_entry" },
	{ "LC-FORGET-EXCESS", FC_RF_LOOKUP,
	  "FORGET and BATCH_FORGET never return more references than the "
	  "filesystem handed out",
	  "libfuse include/fuse_lowlevel.h forget(); linux fs/fuse/inode.c "
	  "fuse_evict_inode" },
	{ "LC-UNREFERENCED-NODEID", FC_RF_LOOKUP,
	  "a request names only nodeids the kernel holds a reference to "
	  "(or the root)",
	  "linux fs/fuse/inode.c fuse_iget, fuse_evict_inode; libfuse "
	  "include/fuse_lowlevel.h forget()" },
	{ "LC-NODEID-REUSE", FC_RF_LOOKUP,
	  "a nodeid still referenced is not handed out for a different "
	  "inode (nodeid:generation is unique for the fs's lifetime)",
	  "linux include/uapi/linux/fuse.h struct fuse_entry_out; "
	  "fs/fuse/inode.c fuse_iget, fs/fuse/fuse_i.h fuse_stale_inode" },
	{ "LC-NODEID-UNSTABLE", FC_RF_LOOKUP,
	  "a LOOKUP of a name whose nodeid the kernel still holds returns "
	  "that nodeid, unless the name changed on the wire meanwhile",
	  "linux fs/fuse/dir.c fuse_dentry_revalidate (another nodeid: the "
	  "kernel forgets it at once and invalidates the dentry, so a cwd "
	  "or path in use vanishes); bazil/fuse#250 (rclone)" },
	{ "LC-FORGET-REPLY", FC_RF_LOOKUP,
	  "FORGET and BATCH_FORGET take no reply",
	  "linux fs/fuse/dev.c fuse_read_forget (no request is queued for "
	  "a reply); libfuse include/fuse_lowlevel.h fuse_reply_none" },
	{ "LC-QUIESCE-BALANCE", FC_RF_LOOKUP,
	  "after a full, settled quiesce every nodeid but the root has "
	  "zero outstanding references",
	  "linux fs/fuse/inode.c fuse_evict_inode (drop_caches evicts "
	  "unused inodes, each sends its FORGET)" },
	{ "LC-OUTSTANDING", FC_RF_LOOKUP,
	  "the nodeid of an inode has exactly the number of outstanding "
	  "references the scenario expects",
	  "scenario assertion `outstanding`; counting as LC-ENTRY-REF" },
	{ "LC-COUNTED", FC_RF_LOOKUP,
	  "the references entry replies handed to a watched inode's nodeid, "
	  "and those FORGETs returned for it, are the number the scenario "
	  "expects",
	  "scenario assertions `watch`, `handed`, `forgotten`; counting as "
	  "LC-ENTRY-REF and LC-FORGET-EXCESS; FreeBSD tests/sys/fs/fusefs "
	  "expect_forget" },
	{ "LF-FS-LEDGER", FC_RF_LIFECYCLE,
	  "the reference filesystem's nlookup of every inode equals the "
	  "wire ledger's count for its nodeid",
	  "libfuse include/fuse_lowlevel.h forget() and lookup count docs" },
	{ "LF-FREED-REFERENCED", FC_RF_LIFECYCLE,
	  "the reference filesystem keeps every inode the kernel still "
	  "references or holds open",
	  "libfuse include/fuse_lowlevel.h forget(): an inode lives until "
	  "its lookup count reaches zero" },
	{ "LF-NOT-FREED", FC_RF_LIFECYCLE,
	  "after a full, settled quiesce the reference filesystem has freed "
	  "every inode with no lookups, links or open handles",
	  "libfuse include/fuse_lowlevel.h forget()" },
	{ "LF-ALIVE", FC_RF_LIFECYCLE,
	  "an inode the scenario expects alive exists in the reference "
	  "filesystem",
	  "scenario assertion `alive`" },
	{ "LF-FREED", FC_RF_LIFECYCLE,
	  "an inode the scenario expects freed is gone from the reference "
	  "filesystem",
	  "scenario assertion `freed`" },
	{ "LF-LEAK-PROBE", FC_RF_LIFECYCLE,
	  "the filesystem process's resident memory and open descriptors do "
	  "not grow steadily over repeated create/unlink/forget cycles",
	  "libfuse include/fuse_lowlevel.h forget() (an inode may be freed "
	  "at nlookup 0); fusecheck probe-leaks, docs/selftest.md" },
	{ "PR-REPLY-LENGTH", FC_RF_PROTOCOL,
	  "a reply's header len equals the size of its message",
	  "linux fs/fuse/dev.c fuse_dev_do_write (oh.len != nbytes: EINVAL)" },
	{ "PR-REPLY-ERROR", FC_RF_PROTOCOL,
	  "a reply's error is 0 or a negated errno above -512",
	  "linux fs/fuse/dev.c fuse_dev_do_write (error <= -ERESTARTSYS or "
	  "> 0: EINVAL, the request keeps waiting)" },
	{ "PR-UNKNOWN-UNIQUE", FC_RF_PROTOCOL,
	  "a reply answers a request that awaits one, once",
	  "linux fs/fuse/dev.c fuse_dev_do_write (fuse_request_find fails: "
	  "ENOENT); libfuse include/fuse_lowlevel.h (one reply per request)" },
	{ "PR-DIRENT", FC_RF_PROTOCOL,
	  "every READDIR / READDIRPLUS record is whole, with a name of 1 to "
	  "1024 bytes and no '/' or NUL",
	  "linux fs/fuse/readdir.c parse_dirfile, parse_dirplusfile, "
	  "fuse_direntplus_link; include/uapi/linux/fuse.h FUSE_DIRENT_SIZE" },
	{ "PR-ENTRY-NODEID", FC_RF_PROTOCOL,
	  "a successful MKNOD, MKDIR, SYMLINK, LINK, CREATE or TMPFILE reply "
	  "names a nodeid (not 0)",
	  "linux fs/fuse/dir.c create_new_entry, fuse_create_open "
	  "(invalid_nodeid: EIO)" },
	{ "PR-INIT-SIZE", FC_RF_PROTOCOL,
	  "an INIT reply carries the whole fuse_init_out of the minor it "
	  "states (8 bytes below 7.5, 24 below 7.23, 64 from 7.23)",
	  "include/uapi/linux/fuse.h FUSE_COMPAT_INIT_OUT_SIZE, "
	  "FUSE_COMPAT_22_INIT_OUT_SIZE; libfuse lib/fuse_lowlevel.c "
	  "do_init" },
	{ "PR-FS-DIED", FC_RF_PROTOCOL,
	  "the filesystem answers every request it was given: it does not "
	  "end while the kernel waits for a reply",
	  "linux fs/fuse/dev.c fuse_dev_release (closing the device aborts "
	  "the connection, every waiting call fails with ENOTCONN); libfuse "
	  "include/fuse_lowlevel.h (every request but FORGET is answered "
	  "with one fuse_reply_*)" },
	{ "LK-PARENT-EXCL", FC_RF_LOCK,
	  "CREATE, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR and RENAME(2) "
	  "hold their parent directory (both for rename) exclusively: no "
	  "two of them on one directory are in flight together",
	  "linux Documentation/filesystems/locking.rst (inode_operations); "
	  "fs/namei.c filename_create, open_last_lookups, do_unlinkat, "
	  "do_rmdir, lock_rename" },
	{ "LK-LOOKUP-SHARED", FC_RF_LOCK,
	  "a LOOKUP from ->lookup holds its parent shared: it is never in "
	  "flight together with an exclusive operation on that directory "
	  "(revalidation and \".\"/\"..\" LOOKUPs are exempt)",
	  "linux fs/namei.c lookup_slow (inode_lock_shared); fs/fuse/dir.c "
	  "fuse_lookup, fuse_dentry_revalidate (no lock)" },
	{ "LK-READDIR-SHARED", FC_RF_LOCK,
	  "READDIR and READDIRPLUS hold the directory shared: never in "
	  "flight together with an exclusive operation on it",
	  "linux fs/readdir.c iterate_dir (iterate_shared); fs/fuse/readdir.c "
	  "fuse_readdir" },
	{ "LK-DIROPS-SERIAL", FC_RF_LOCK,
	  "without FUSE_PARALLEL_DIROPS, LOOKUPs and READDIRs on one "
	  "directory are never in flight together",
	  "linux fs/fuse/inode.c fuse_lock_inode (fi->mutex unless "
	  "parallel_dirops), called by fs/fuse/dir.c fuse_lookup and "
	  "fs/fuse/readdir.c fuse_readdir_uncached" },
	{ "LK-WRITE-INODE", FC_RF_LOCK,
	  "without the writeback cache, WRITEs to one inode from write(2) "
	  "are never in flight together (page-cache writeback, "
	  "FOPEN_PARALLEL_DIRECT_WRITES and async O_DIRECT are exempt)",
	  "linux fs/fuse/file.c fuse_cache_write_iter, "
	  "fuse_direct_write_iter, fuse_dio_wr_exclusive_lock; libfuse "
	  "docs (writes serialised unless writeback caching)" },
	{ "EX-RESULT", FC_RF_EXPECT,
	  "a syscall succeeds or fails with the errno POSIX and Linux give "
	  "for the situation the scenario made",
	  "POSIX.1-2017 (the call's ERRORS section); Linux man-pages" },
	{ "EX-NAME-MAX", FC_RF_EXPECT,
	  "names up to NAME_MAX bytes work and longer ones fail with "
	  "ENAMETOOLONG",
	  "POSIX.1-2017 <limits.h> NAME_MAX and ENAMETOOLONG; Linux "
	  "include/uapi/linux/limits.h NAME_MAX 255" },
	{ "EX-NOT-EMPTY", FC_RF_EXPECT,
	  "removing or renaming over a non-empty directory fails with "
	  "ENOTEMPTY (or EEXIST)",
	  "POSIX.1-2017 rmdir() and rename() ERRORS" },
	{ "EX-OPEN-FILE", FC_RF_EXPECT,
	  "a descriptor keeps working on its file, unlinked or not, until "
	  "it is closed (deferred removal)",
	  "POSIX.1-2017 unlink(): removal of the contents is postponed "
	  "until all references to the file are closed; close()" },
	{ "EX-INO-STABLE", FC_RF_EXPECT,
	  "st_ino of a file stays the same for as long as the file exists",
	  "POSIX.1-2017 <sys/stat.h>: st_ino and st_dev uniquely identify "
	  "a file within the system" },
	{ "EX-INO-DISTINCT", FC_RF_EXPECT,
	  "two files that exist at once have different st_ino",
	  "POSIX.1-2017 <sys/stat.h>: st_ino and st_dev uniquely identify "
	  "a file within the system" },
	{ "EX-ATTR", FC_RF_EXPECT,
	  "stat reports the type, link count, size and mode the scenario's "
	  "own calls gave the file",
	  "POSIX.1-2017 stat(), link(), unlink(), write(), ftruncate(), "
	  "chmod()" },
	{ "EX-DATA", FC_RF_EXPECT,
	  "bytes read back (file data, symlink target, xattr value) are the "
	  "bytes written",
	  "POSIX.1-2017 read() and write(); readlink(); Linux getxattr(2)" },
	{ "EX-DIRENTS", FC_RF_EXPECT,
	  "a directory listing shows exactly the names that exist",
	  "POSIX.1-2017 readdir()" },
	{ "SCN-EXPECT", FC_RF_SCENARIO,
	  "the scenario itself can go on: its descriptors and tags are "
	  "bound when a statement uses them",
	  "the scenario file" },
};

const unsigned fc_nrules = sizeof(fc_rules) / sizeof(fc_rules[0]);

const struct fc_rule *rule_find(const char *id)
{
	unsigned i;

	if (!id)
		return NULL;
	for (i = 0; i < fc_nrules; i++)
		if (!strcmp(fc_rules[i].id, id))
			return &fc_rules[i];
	return NULL;
}
