/* fsproc.h - the filesystem under test as a child process: its command
 * line from a template, its start, its end, and how it ended. */
#ifndef FC_FSPROC_H
#define FC_FSPROC_H

#include <stddef.h>
#include <sys/types.h>

struct fsproc {
	pid_t pid;
	int reaped;
	int status;       /* wait status once reaped */
};

/* Split `tmpl` like a shell would (quotes, no command substitution) and
 * replace {mountpoint} and {control} in every word.  {mountpoint} must
 * appear.  *argv is NULL-terminated; free with fsproc_argv_free. */
int fsproc_argv(const char *tmpl, const char *mountpoint, const char *control,
		char ***argv, char *err, size_t errlen);
void fsproc_argv_free(char **argv);

/* Start argv[0] (PATH searched) with the descriptors in keep[] inherited
 * and stdout/stderr on out_fd.  It dies with us (PR_SET_PDEATHSIG).
 * -errno with err saying what failed, e.g. that the binary is missing. */
int fsproc_spawn(struct fsproc *p, char **argv, const int *keep, int nkeep,
		 int out_fd, char *err, size_t errlen);
/* fsproc_spawn, with hook(arg) run in the child just before exec (the
 * attach method's environment and filter); its -errno fails the start. */
int fsproc_spawn_hook(struct fsproc *p, char **argv, const int *keep,
		      int nkeep, int out_fd, int (*hook)(void *), void *arg,
		      char *err, size_t errlen);
/* Wait up to timeout_ms for it to end: 1 ended, 0 still running. */
int fsproc_wait(struct fsproc *p, int timeout_ms);
/* End it: SIGTERM, then SIGKILL after grace_ms; always reaps. */
void fsproc_end(struct fsproc *p, int grace_ms);
/* Become the reaper of every process our children leave behind, so a
 * filesystem that daemonizes stays ours to wait for and to end. */
int fsproc_become_subreaper(void);
/* Reap every child that has ended; SIGTERM (then, after grace_ms,
 * SIGKILL) those still running, e.g. a daemon that outlived its
 * connection.  Call when no child of ours should be left.  Returns how
 * many had to be signalled. */
int fsproc_end_orphans(int grace_ms);
/* "exited with status 1", "killed by signal 9 (Killed)", "running" */
void fsproc_describe(const struct fsproc *p, char *buf, size_t size);

#endif
