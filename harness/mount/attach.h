/* mount/attach.h - how the filesystem under test gets its end of the tap.
 *
 * fusecheck mounts FUSE itself and relays /dev/fuse to a socketpair; the
 * filesystem must be handed the other end.  Two methods, in a table:
 *
 *   fd          {mountpoint} becomes /dev/fd/N (libfuse >= 3.3,
 *               pyfuse3, go-fuse ...).
 *   fusermount  {mountpoint} becomes an empty directory; libfuse's own
 *               mount(2) is refused (seccomp, EPERM), so it falls back to
 *               fusermount[3], which is fusecheck's shim: it passes the
 *               socket back over _FUSE_COMMFD (libfuse2 programs, and
 *               libfuse3 ones that do not take /dev/fd/N).
 *   auto        fd, then fusermount if the filesystem ended or did not
 *               answer INIT.
 *
 * Under either method the filesystem may not mount or unmount anything
 * (mount-family system calls fail with EPERM): every request it serves
 * comes through the tap.  docs/attach.md has the details.
 */
#ifndef FC_ATTACH_H
#define FC_ATTACH_H

#include <limits.h>
#include <stddef.h>

enum attach_method {
	ATTACH_FD = 0,          /* today's default for zeroed options */
	ATTACH_FUSERMOUNT,
	ATTACH_AUTO,
	ATTACH_NMETHODS,
};

/* "fd" "fusermount" "auto" -> *method; -EINVAL for anything else. */
int attach_parse(const char *name, int *method);
const char *attach_name(int method);

/* One attempt: what the filesystem's command line and environment get. */
struct attach {
	int method;                  /* ATTACH_FD or ATTACH_FUSERMOUNT */
	int fd;                      /* the filesystem's end of the tap */
	char mountpoint[PATH_MAX];   /* what {mountpoint} becomes */
	char label[PATH_MAX + 16];   /* "/dev/fd/7", "fusermount" */
	char fd_env[48];             /* FUSECHECK_SHIM_FD=N */
	char path_env[8192];         /* PATH=<shim dir>:$PATH */
	/* fusecheck's own mount of this session: detached in the mount
	 * namespace the filesystem gets under ATTACH_FD, where a copy of it
	 * would keep the connection alive past fusecheck's unmount */
	char hide[PATH_MAX];
};

/* Fill *a for `method` with the filesystem's end `fd`.  For fusermount
 * this sets up, once per process, the shim directory and (inside our
 * private mount namespace only) binds the shim over the system's
 * fusermount binaries.  -errno with err. */
int attach_prepare(struct attach *a, int method, int fd, char *err,
		   size_t errlen);

/* In the child between fork and exec (an fsproc hook; arg is the struct
 * attach): environment for the shim, PATH, and the seccomp filter.
 * 0 or -errno; async-signal-safe enough for a fork child (no malloc). */
int attach_child(void *arg);

/* One try of a method; returns 0, or -errno with err saying why and
 * label naming what was tried (struct attach's label). */
typedef int (*attach_try_fn)(void *ctx, int method, char *label,
			     size_t labellen, char *err, size_t errlen);

/* Try `method` (auto: each in turn while the failure is the
 * filesystem's: it ended or did not answer INIT).  *used is the method
 * that worked.  When all fail that way, err is "cannot attach to 'CMD':
 * LABEL: why[; LABEL: why]" and the result is -ECHILD or -ETIMEDOUT; a
 * failure of any other kind is passed through as it is. */
int attach_start(int method, const char *fs_cmd, attach_try_fn try_fn,
		 void *ctx, int *used, char *err, size_t errlen);

/* 1 when err (a try's result) means the filesystem did not take the
 * method, so another may be tried. */
int attach_refused(int err);

/* Another name the fusermount shim stands in for (a filesystem's own
 * bundled helper, "mergerfs-fusermount"): before the first attach_prepare
 * of the fusermount method.  0, -EINVAL for a name with '/', -E2BIG. */
int attach_add_helper(const char *name);
/* Add PROGRAM-fusermount when the system has it beside the usual ones
 * (PROGRAM: the first word of fs_cmd, without its directory). */
void attach_detect_helpers(const char *fs_cmd);

#endif
