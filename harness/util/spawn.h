/* util/spawn.h - run a helper program (dpkg-deb, apt-get, qemu) to its
 * end, its output into a file, bounded in time. */
#ifndef FC_SPAWN_H
#define FC_SPAWN_H

/* Run argv[0] (searched in PATH) in `cwd` (NULL: ours) with stdin from
 * /dev/null and stdout and stderr appended to `log` (NULL: /dev/null).
 * Waits at most timeout_ms (0: no limit), then kills the child (by its
 * pid, SIGKILL) and returns -ETIMEDOUT.  Otherwise 0 with *status the
 * wait status, or -errno when it could not be started. */
int spawn_wait(char *const argv[], const char *cwd, const char *log,
	       unsigned timeout_ms, int *status);

/* spawn_wait, and `watch(arg, waited_ms)` every 20 ms while the child
 * runs: nonzero kills the child (by pid) and returns -ECANCELED. */
int spawn_wait_watched(char *const argv[], const char *cwd, const char *log,
		       unsigned timeout_ms, int *status,
		       int (*watch)(void *arg, unsigned waited_ms),
		       void *arg);

/* "exited with status 1", "killed by signal 9": for messages. */
const char *spawn_status_text(int status, char *buf, unsigned size);

#endif
