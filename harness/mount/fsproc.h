/* mount/fsproc.h - the filesystem under test as a child process: its command
 * line from a template, its start, its end, and how it ended. */
#ifndef FC_FSPROC_H
#define FC_FSPROC_H

#include <stddef.h>
#include <sys/types.h>

struct fsproc {
	pid_t pid;        /* the keeper (mount/fsproc.c): the handle on it all */
	int statfd;       /* init tells the program's wait status here */
	int reaped;       /* the program's status is known */
	int status;       /* its wait status, once reaped */
	int all_gone;     /* the keeper was reaped: nothing is left */
	int host_pidns;   /* started with FSPROC_HOST_PIDNS */
};

/* fsproc_spawn_hook flags */
enum {
	/* the program stays in our pid namespace (mount/fsproc.c): what
	 * it forks may outlive the mount */
	FSPROC_HOST_PIDNS = 1u << 0,
};

/* Split `tmpl` like a shell would (quotes, no command substitution) and
 * replace {mountpoint} and {control} in every word.  {mountpoint} must
 * appear.  *argv is NULL-terminated; free with strv_free (util/strlist.h). */
int fsproc_argv(const char *tmpl, const char *mountpoint, const char *control,
		char ***argv, char *err, size_t errlen);

/* Start argv[0] (PATH searched) with the descriptors in keep[] inherited
 * and stdout/stderr on out_fd (-1: ours), contained in a pid namespace
 * of its own that ends with us (mount/fsproc.c), with hook(arg) run in the
 * program's process just before exec (the attach method's environment
 * and filter, the user it runs as); its -errno fails the start.  -errno
 * with err saying what failed, e.g. that the binary is missing. */
int fsproc_spawn_hook(struct fsproc *p, char **argv, const int *keep,
		      int nkeep, int out_fd, unsigned flags,
		      int (*hook)(void *), void *arg, char *err, size_t errlen);
/* Wait up to timeout_ms for the program itself to end (what it forked
 * may live on): 1 ended, 0 still running. */
int fsproc_wait(struct fsproc *p, int timeout_ms);
/* Send sig to every process of the namespace (SIGTERM, SIGCONT). */
void fsproc_signal(struct fsproc *p, int sig);
/* End the program and everything it started: SIGTERM to all, then after
 * grace_ms (0: at once) SIGKILL to the namespace; returns when nothing
 * is left.  Always safe to call again. */
void fsproc_end(struct fsproc *p, int grace_ms);
/* The program's pid in our namespace (for /proc), -1 when gone. */
pid_t fsproc_main_pid(const struct fsproc *p);
/* "exited with status 1", "killed by signal 9 (Killed)", "running" */
void fsproc_describe(const struct fsproc *p, char *buf, size_t size);

#endif
