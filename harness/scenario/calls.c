/* scenario/calls.c - the tables of the scenario language: one row per call
 * (arguments, checks, requirements, executor), errno names, open and
 * rename flag names, requirement names.  Adding a call is adding a row
 * here and an executor in scenario/exec.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "scenario/scn_int.h"

#define P SCN_A_PATH
#define D SCN_A_FD
#define B SCN_A_DATA
#define N SCN_A_NAME
#define I SCN_A_INT
#define M SCN_A_MODE
#define W SCN_REQ_WRITE
#define CW SCN_CF_WRITES
#define H SCN_CF_HARNESS

/* name, args, nreq, nopt, tail, dflt_len, reqs, flags, check, exec, verify */
static const struct scn_call calls[] = {
	{"open", {D, P, SCN_A_OFLAGS, M}, 3, 1, 0, -1, 0, SCN_CF_BINDS_FD, 0,
	 scn_x_open, NULL},
	{"close", {D}, 1, 0, 0, -1, 0, 0, 0, scn_x_close, NULL},
	{"handle", {N, P}, 2, 0, 0, -1, 0, 0, 0, scn_x_handle, NULL},
	{"open-handle", {D, N, SCN_A_OFLAGS}, 3, 0, 0, -1, SCN_REQ_EXPORT,
	 SCN_CF_BINDS_FD, 0, scn_x_open_handle, NULL},
	{"mmap", {N, D, I}, 3, 0, 0, -1, SCN_REQ_MMAP, 0, 0, scn_x_mmap,
	 NULL},
	{"munmap", {N}, 1, 0, 0, -1, 0, 0, 0, scn_x_munmap, NULL},
	{"mread", {N, I, I, B}, 3, 1, 0, -1, 0, SCN_CF_MAPPED, 0, scn_x_mread,
	 scn_v_data},
	{"mwrite", {N, I, B}, 3, 0, 0, 2, W, CW | SCN_CF_MAPPED, 0,
	 scn_x_mwrite, NULL},
	{"msync", {N}, 1, 0, 0, -1, 0, SCN_CF_MAPPED, 0, scn_x_msync, NULL},
	{"create", {P, M}, 2, 0, 0, -1, W, CW, 0, scn_x_create, NULL},
	{"read", {D, I, B}, 2, 1, 0, -1, 0, 0, 0, scn_x_read, scn_v_data},
	{"pread", {D, I, I, B}, 3, 1, 0, -1, 0, 0, 0, scn_x_pread,
	 scn_v_data},
	{"write", {D, B}, 2, 0, 0, 1, W, CW, 0, scn_x_write, NULL},
	{"pwrite", {D, B, I}, 3, 0, 0, 1, W, CW, 0, scn_x_pwrite, NULL},
	{"ftruncate", {D, I}, 2, 0, 0, -1, W, CW, 0, scn_x_ftruncate, NULL},
	{"truncate", {P, I}, 2, 0, 0, -1, W, CW, 0, scn_x_truncate, NULL},
	{"fsync", {D}, 1, 0, 0, -1, 0, 0, 0, scn_x_fsync, NULL},
	{"stat", {P}, 1, 0, SCN_T_STAT, -1, 0, 0, 0, scn_x_stat, scn_v_stat},
	{"lstat", {P}, 1, 0, SCN_T_STAT, -1, 0, 0, 0, scn_x_lstat,
	 scn_v_stat},
	{"fstat", {D}, 1, 0, SCN_T_STAT, -1, 0, 0, 0, scn_x_fstat,
	 scn_v_stat},
	{"mkdir", {P, M}, 2, 0, 0, -1, W, CW, 0, scn_x_mkdir, NULL},
	{"rmdir", {P}, 1, 0, 0, -1, W, CW, 0, scn_x_rmdir, NULL},
	{"unlink", {P}, 1, 0, 0, -1, W, CW, 0, scn_x_unlink, NULL},
	{"mkfifo", {P, M}, 2, 0, 0, -1, W | SCN_REQ_MKNOD, CW, 0,
	 scn_x_mkfifo, NULL},
	{"symlink", {SCN_A_TARGET, P}, 2, 0, 0, -1, W | SCN_REQ_SYMLINK, CW,
	 0, scn_x_symlink, NULL},
	{"walk", {P}, 1, 0, SCN_T_WALK, -1, 0, 0, 0, scn_x_walk, scn_v_walk},
	{"readlink", {P, B}, 1, 1, 0, -1, SCN_REQ_SYMLINK, 0, 0,
	 scn_x_readlink, scn_v_data},
	{"link", {P, P}, 2, 0, 0, -1, W | SCN_REQ_HARDLINK, CW, 0, scn_x_link,
	 NULL},
	{"rename", {P, P}, 2, 0, 0, -1, W, CW, 0, scn_x_rename, NULL},
	{"renameat2", {P, P, SCN_A_RFLAGS}, 3, 0, 0, -1, W, CW, 0,
	 scn_x_renameat2, NULL},
	{"setxattr", {P, N, B}, 3, 0, 0, -1, W | SCN_REQ_XATTR, CW, 0,
	 scn_x_setxattr, NULL},
	{"getxattr", {P, N, B}, 2, 1, 0, -1, SCN_REQ_XATTR, 0, 0,
	 scn_x_getxattr, scn_v_data},
	{"listxattr", {P}, 1, 0, SCN_T_NAMES, -1, SCN_REQ_XATTR, 0, 0,
	 scn_x_listxattr, scn_v_listxattr},
	{"removexattr", {P, N}, 2, 0, 0, -1, W | SCN_REQ_XATTR, CW, 0,
	 scn_x_removexattr, NULL},
	{"readdir", {P}, 1, 0, SCN_T_DIR, -1, 0, 0, 0, scn_x_readdir,
	 scn_v_readdir},
	{"chdir", {SCN_A_CHDIR}, 1, 0, 0, -1, 0, SCN_CF_NOBLOCK, 0,
	 scn_x_chdir, NULL},
	{"mkfiles", {P, I}, 2, 0, 0, -1, W, CW, 0, scn_x_mkfiles, NULL},
	{"mktree", {P, I}, 2, 0, 0, -1, W, CW, 0, scn_x_mktree, NULL},
	{"rmtree", {P}, 1, 0, 0, -1, W, CW, 0, scn_x_rmtree, NULL},
	{"sleep", {I}, 1, 0, 0, -1, 0, H, 0, scn_x_sleep, NULL},
	{"evict", {P}, 1, 0, 0, -1, 0, H, 0, scn_x_evict, NULL},
	{"delay", {SCN_A_OPCODE, I}, 2, 0, 0, -1, 0, H, 0, scn_x_delay, NULL},
	{"delay-reply", {SCN_A_OPCODE, I}, 2, 0, 0, -1, 0, H, 0,
	 scn_x_delay_reply, NULL},
	{"interrupt", {I}, 1, 0, 0, -1, 0, H, 0, scn_x_interrupt, NULL},
	{"barrier", {0}, 0, 0, 0, -1, 0, SCN_CF_INPAR | H, 0, scn_x_barrier,
	 NULL},
	{"quiesce", {0}, 0, 0, 0, -1, SCN_REQ_DROP_CACHES,
	 SCN_CF_SERIAL | H, 0, scn_x_quiesce, NULL},
	{"settle", {0}, 0, 0, 0, -1, SCN_REQ_DROP_CACHES, SCN_CF_SERIAL | H,
	 0, scn_x_settle, NULL},
	{"balanced", {0}, 0, 0, 0, -1, SCN_REQ_DROP_CACHES,
	 SCN_CF_SERIAL | H, FC_CHECK_BALANCED, scn_x_check, NULL},
	{"outstanding", {SCN_A_TAG, SCN_A_REFS}, 2, 0, 0, -1, 0,
	 SCN_CF_SERIAL | H, FC_CHECK_OUTSTANDING, scn_x_check, NULL},
	/* the reference ledger's statements need no requirement: where
	 * there is no such ledger they are not judged (counted), so that a
	 * scenario runs on every filesystem and is exact where it can be */
	{"alive", {SCN_A_TAG}, 1, 0, 0, -1, 0, SCN_CF_SERIAL | H,
	 FC_CHECK_ALIVE, scn_x_check, NULL},
	{"freed", {SCN_A_TAG}, 1, 0, 0, -1, 0, SCN_CF_SERIAL | H,
	 FC_CHECK_FREED, scn_x_check, NULL},
	{"fscounts", {0}, 0, 0, 0, -1, 0, SCN_CF_SERIAL | H, FC_CHECK_COUNTS,
	 scn_x_check, NULL},
	/* exact counts on the wire, any filesystem (LC-COUNTED) */
	{"watch", {SCN_A_TAG}, 1, 0, 0, -1, 0, SCN_CF_SERIAL | H,
	 FC_CHECK_WATCH, scn_x_check, NULL},
	{"handed", {SCN_A_TAG, SCN_A_REFS}, 2, 0, 0, -1, 0, SCN_CF_SERIAL | H,
	 FC_CHECK_HANDED, scn_x_check, NULL},
	{"forgotten", {SCN_A_TAG, SCN_A_REFS}, 2, 0, 0, -1, 0,
	 SCN_CF_SERIAL | H, FC_CHECK_FORGOTTEN, scn_x_check, NULL},
};

const struct scn_call *scn_call_find(const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++)
		if (!strcmp(calls[k].name, name))
			return &calls[k];
	return NULL;
}

const char *scn_arg_kind_name(int kind)
{
	static const char *const names[] = {
		[SCN_A_PATH] = "PATH", [SCN_A_CHDIR] = "PATH|-",
		[SCN_A_TARGET] = "TARGET", [SCN_A_FD] = "FD",
		[SCN_A_DATA] = "DATA", [SCN_A_NAME] = "NAME",
		[SCN_A_INT] = "N", [SCN_A_MODE] = "MODE",
		[SCN_A_OFLAGS] = "FLAGS", [SCN_A_RFLAGS] = "FLAGS",
		[SCN_A_TAG] = "@TAG", [SCN_A_OPCODE] = "OPCODE",
		[SCN_A_REFS] = "N|N+",
	};

	if (kind <= 0 || kind > SCN_A_REFS)
		return "?";
	return names[kind];
}

struct scn_name_val {
	const char *name;
	long val;
};

#define E(x) {#x, x}
static const struct scn_name_val errnos[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENOSTR),
	E(ENODATA), E(ETIME), E(ENOSR), E(ENOLINK), E(EPROTO), E(EBADMSG),
	E(EOVERFLOW), E(EILSEQ), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(EOPNOTSUPP), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ECONNABORTED), E(ECONNRESET),
	E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT), E(ECANCELED),
	E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ENOMEDIUM), E(EMEDIUMTYPE),
	E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED),
	E(ERFKILL), E(EHWPOISON), E(EREMOTEIO), E(EUCLEAN), E(EBADFD),
	/* aliases last, so that a value prints under its usual name */
	E(ENOTSUP), E(EWOULDBLOCK), E(EDEADLOCK),
};

static const struct scn_name_val oflags[] = {
	E(O_RDONLY), E(O_WRONLY), E(O_RDWR), E(O_CREAT), E(O_EXCL),
	E(O_TRUNC), E(O_APPEND), E(O_DIRECTORY), E(O_NOFOLLOW),
	E(O_TMPFILE), E(O_DIRECT), E(O_PATH), E(O_NONBLOCK), E(O_SYNC),
	E(O_DSYNC), E(O_NOATIME), E(O_NOCTTY), E(O_CLOEXEC),
};

static const struct scn_name_val rflags[] = {
	{"0", 0}, E(RENAME_NOREPLACE), E(RENAME_EXCHANGE), E(RENAME_WHITEOUT),
};
#undef E

static long lookup(const struct scn_name_val *t, size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(t[k].name, name))
			return t[k].val;
	return -1;
}

const char *scn_errno_name(int e)
{
	size_t k;

	for (k = 0; k < sizeof(errnos) / sizeof(errnos[0]); k++)
		if (errnos[k].val == e)
			return errnos[k].name;
	return NULL;
}

int scn_errno_value(const char *name)
{
	long v = lookup(errnos, sizeof(errnos) / sizeof(errnos[0]), name);

	return v < 0 ? 0 : (int)v;
}

long scn_oflag_value(const char *name)
{
	return lookup(oflags, sizeof(oflags) / sizeof(oflags[0]), name);
}

long scn_rflag_value(const char *name)
{
	return lookup(rflags, sizeof(rflags) / sizeof(rflags[0]), name);
}

static const char *const req_names[SCN_NREQ] = {
	"write", "hardlink", "symlink", "mknod", "xattr", "tmpfile",
	"rename-exchange", "rename-noreplace", "refledger", "drop-caches",
	"stable-ino", "namemax-255", "export", "mmap",
};

const char *scn_req_name(unsigned index)
{
	return index < SCN_NREQ ? req_names[index] : NULL;
}

char *scn_req_list(unsigned reqs, char *buf, size_t size)
{
	size_t used = 0;
	unsigned k;

	if (size)
		buf[0] = '\0';
	for (k = 0; k < SCN_NREQ && used < size; k++)
		if (reqs & (1u << k))
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%s", used ? " " : "",
						 req_names[k]);
	return buf;
}

unsigned scn_req_bit(const char *name)
{
	unsigned k;

	for (k = 0; k < SCN_NREQ; k++)
		if (!strcmp(req_names[k], name))
			return 1u << k;
	return 0;
}

/* Errnos whose expectation names its own rule: the behaviour it stands
 * for, wherever it is expected or met. */
static const struct {
	int err;
	const char *rule;
} errno_rules[] = {
	{ ENAMETOOLONG, SCN_EX_NAME_MAX },
	{ ENOTEMPTY, SCN_EX_NOT_EMPTY },
};

int scn_expects_errno(const struct scn_stmt *st, int e)
{
	unsigned k;

	if (st->expect != SCN_EXP_ERRNO)
		return 0;
	for (k = 0; k < st->nexperr; k++)
		if (st->experr[k] == e)
			return 1;
	return 0;
}

const char *scn_result_rule(const struct scn_stmt *st, long ret)
{
	int want = st->expect == SCN_EXP_ERRNO;
	size_t k;

	for (k = 0; k < sizeof(errno_rules) / sizeof(errno_rules[0]); k++)
		if (scn_expects_errno(st, errno_rules[k].err) ||
		    ret == -(long)errno_rules[k].err)
			return errno_rules[k].rule;
	/* a call through a descriptor or a mapping that failed where it
	 * should work: the open file lost its use (deferred removal, stale
	 * handles); an open that failed had no file yet */
	if (st->call && !(st->call->flags & SCN_CF_BINDS_FD) &&
	    (st->call->args[0] == SCN_A_FD ||
	     (st->call->flags & SCN_CF_MAPPED)) && ret < 0 && !want)
		return SCN_EX_OPEN_FILE;
	return SCN_EX_RESULT;
}
