/* mount/session.h - one mount of the filesystem under test behind the tap:
 * mount, socketpair, filesystem process, relay, a watchdog that aborts
 * the connection when the filesystem dies, misbehaves or hangs, and an
 * orderly end that leaves no mount and no process behind. */
#ifndef FC_SESSION_H
#define FC_SESSION_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include "mount/attach.h"
#include "capture/evlog.h"
#include "mount/fsproc.h"
#include "capture/tap.h"
#include "wire/proto.h"

struct session_opts {
	const char *fs_cmd;    /* template: {mountpoint}, optional {control} */
	uint32_t max_pages;    /* INIT cap, 0 = default */
	uint64_t init_set;     /* INIT flags the tap adds, if offered */
	uint32_t reply_delay_us;
	int32_t relay_spin_us;   /* -1: TAP_DEFAULT_SPIN_US */
	int out_fd;            /* the filesystem's stdout/stderr */
	uint32_t conn;         /* connection number for the MOUNT event */
	int init_timeout_ms;   /* how long INIT may take */
	int attach;            /* enum attach_method; 0: /dev/fd/N */
	unsigned request_timeout_ms; /* oldest request unanswered: break */
	int fs_as_user;        /* run the filesystem as fs_uid/fs_gid */
	int fs_host_pidns;     /* FSPROC_HOST_PIDNS (--fs-pidns host) */
	uid_t fs_uid;
	gid_t fs_gid;
};

/* What live control may ask of the judge.  The run layer supplies it
 * (run/body.c), so that the mount layer needs no judge of its own; every
 * call is made under the event log's lock, so no event reaches the judge
 * meanwhile.  Any member may be NULL. */
struct judge_view {
	void *arg;
	/* the names behind outstanding references, deepest first, in one
	 * malloc'd block: 0 or -errno */
	int (*named_refs)(void *arg, struct fc_dentry **out, size_t *n);
	/* the nodeids behind outstanding references, deepest first, in
	 * one malloc'd array: 0 or -errno */
	int (*referenced_ids)(void *arg, uint64_t **out, size_t *n);
	/* how many nodeids the kernel still holds references to */
	size_t (*referenced)(void *arg);
	/* what the judge knows of a request awaiting its reply: path and
	 * scenario line, for a message */
	void (*describe)(void *arg, uint64_t unique, char *buf, size_t size);
	/* the scenario line a waiting request came from (0: none) */
	uint32_t (*line_of)(void *arg, uint64_t unique);
};

/* The filesystem ended while the kernel waited for it: what the watchdog
 * saw, for the finding the run layer records (PR-FS-DIED). */
struct session_death {
	int died;              /* set once, by the watchdog */
	uint64_t unique;       /* the request it left unanswered (the
				  oldest waiting, else the last sent) */
	uint32_t opcode;
	uint32_t line;         /* its scenario line, 0 when none */
	char what[400];        /* the judge's description of it */
	char how[128];         /* "killed by signal 11 (Segmentation
				  fault)", "exited with status 1" ... */
};

struct session {
	char mnt[PATH_MAX];
	int devfd, sock, ctl;
	dev_t dev;
	struct tap tap;
	struct fsproc fs;
	struct evlog *log;
	struct judge_view judge;  /* set by the caller after session_start */
	int mounted;
	struct attach att;     /* how the filesystem got its socket */
	int fs_as_user;        /* the program drops to these before exec */
	uid_t fs_uid;
	gid_t fs_gid;
	int attach;            /* the method that worked */

	pthread_t watchdog;
	int watching;
	volatile int stopping;
	pthread_mutex_t lock;
	uint64_t deadline_ns;  /* 0: none */
	uint64_t request_timeout_ns; /* 0: none */
	char broken[512];      /* why the session broke, "" while healthy */
	struct session_death death;
	/* how the filesystem ended at unmount (session_stop): by itself
	 * (exited_alone) with what status, or ended by fusecheck */
	int exited_alone;
	int exit_status;       /* wait status when exited_alone */
	char exit_how[160];
};

/* Mount at mnt (an existing empty directory) and start the filesystem
 * attached by o->attach (auto: each method in turn, the one that worked
 * in s->attach); waits until INIT has been answered.  err says what
 * failed. */
int session_start(struct session *s, const char *mnt,
		  const struct session_opts *o, struct evlog *log,
		  char *err, size_t errlen);
/* Unmount, end the filesystem, stop the relay.  Always leaves nothing
 * mounted.  Returns 1 when the session broke (reason in s->broken). */
int session_stop(struct session *s);
/* Abort the connection if still running after `ms` from now (0: off). */
void session_set_deadline(struct session *s, unsigned ms);
/* 1 while the filesystem is alive and the relay healthy. */
int session_healthy(struct session *s);
/* Break the session: abort the connection, remember why. */
void session_break(struct session *s, const char *why);
/* Ask the reference filesystem for its ledger (control channel).
 * *out is malloc'd, *len its size.  -ENOTCONN without a channel. */
int session_snapshot(struct session *s, uint32_t line,
		     struct fc_ev_fs_ledger **out, uint32_t *len);

#endif
