/* run/profile.h - a named recipe for testing one filesystem: its command,
 * a setup snippet run once before (images, lower/upper directories), the
 * attach method, and the requirements it meets.  Files are
 * fsmodels/profiles/NAME.profile; the format is in docs/attach.md. */
#ifndef FC_PROFILE_H
#define FC_PROFILE_H

#include <stddef.h>
#include <sys/types.h>

#define PROFILE_HELPERS_MAX 4
#define PROFILE_KNOWN_MAX 64

/* A deviation the filesystem is known for: scenario `scn` fails with
 * `rule`, for the reason `why` (docs/attach.md, `known`). */
struct profile_known {
	char scn[128];
	char rule[32];
	char why[384];
};

struct profile {
	char *name;          /* file name without ".profile" */
	char *path;          /* where it was read */
	char *description;
	char *command;       /* template; NULL: the bundled memfs */
	char *setup;         /* shell snippet, NULL: none */
	int attach;          /* enum attach_method, -1: not given */
	int has_provides;    /* provides given: it replaces the probe */
	unsigned provides;   /* enum scn_req bits */
	int fresh;           /* enum profile_fresh, 0: by default */
	int pidns;           /* 0 default, 1 own, 2 host (`pidns`) */
	/* helpers it runs under other names than fusermount[3] */
	char helpers[PROFILE_HELPERS_MAX][64];
	int nhelpers;
	struct profile_known known[PROFILE_KNOWN_MAX];
	int nknown;
	char workdir[4096];  /* made by profile_setup, "" before */
	int give;            /* profile_give was called: uid, gid */
	uid_t uid;
	gid_t gid;
};

/* `fresh`: when the store is set up (docs/attach.md). */
enum profile_fresh { PROFILE_FRESH_RUN = 1, PROFILE_FRESH_MOUNT };

/* Read NAME (looked up in FUSECHECK_PROFILES, the source tree's
 * fsmodels/profiles, then the installed data directory) or a path (with
 * a '/' or ending in ".profile").  err says file:line for a bad one. */
int profile_load(const char *name, struct profile *p, char *err,
		 size_t errlen);
/* Make the work directory, run `setup` in it (stdout and stderr to
 * out_fd), and replace {workdir} in `command`.  -errno with err. */
int profile_setup(struct profile *p, int out_fd, char *err, size_t errlen);
/* 1 when the store is set up again before every mount: `fresh = mount`,
 * or by default when setup made a store a scenario may write to. */
int profile_fresh_per_mount(const struct profile *p);
/* Empty the work directory and run setup again (a scenario may have
 * damaged the store): 0 or -errno with err. */
int profile_refresh(struct profile *p, int out_fd, char *err, size_t errlen);
/* The capabilities to test with: `provides` in place of the probe's
 * filesystem requirements (the harness's own, refledger and
 * drop-caches, stay as probed); without provides, probed as is. */
unsigned profile_caps(const struct profile *p, unsigned probed);
/* Free everything and remove the work directory with its contents. */
/* The working directory and what setup made in it, owned by uid:gid
 * (--fs-user: the filesystem must reach its own store). */
int profile_give(struct profile *p, uid_t uid, gid_t gid, char *err,
		 size_t errlen);
void profile_free(struct profile *p);

#endif
