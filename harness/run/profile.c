/* run/profile.c - reading NAME.profile (key = value lines, indented lines
 * continue a value), running its setup once in a fresh work directory,
 * and the capabilities it declares. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "util/paths.h"
#include "util/strlist.h"
#include "mount/attach.h"
#include "run/profile.h"
#include "scenario/scn.h"
#include "judge/rules.h"

/* What the harness measures itself, whatever a profile declares: the
 * reference ledger and quiesce are the harness's; st_ino stability and
 * the name limit, and whether file handles outlive the kernel's
 * forgetting, are properties the probe observes. */
#define HARNESS_CAPS (SCN_REQ_REFLEDGER | SCN_REQ_DROP_CACHES | \
		      SCN_REQ_STABLE_INO | SCN_REQ_NAMEMAX_255 | \
		      SCN_REQ_EXPORT)

struct key_info {
	const char *key;
	int (*set)(struct profile *p, const char *val, char *err,
		   size_t errlen);
};

static int set_text(char **dst, const char *val)
{
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : -ENOMEM;
}

static int set_command(struct profile *p, const char *val, char *err,
		       size_t errlen)
{
	if (!strstr(val, "{mountpoint}")) {
		snprintf(err, errlen, "'command' has no {mountpoint}");
		return -EINVAL;
	}
	return set_text(&p->command, val);
}

static int set_setup(struct profile *p, const char *val, char *err,
		     size_t errlen)
{
	return set_text(&p->setup, val);
}

/* known = SCENARIO RULE WHY...: one deviation a line (repeat the key, or
 * continue on indented lines) */
static int set_known(struct profile *p, const char *val, char *err,
		     size_t errlen)
{
	char *copy = strdup(val), *line, *save = NULL, *scn, *rule, *why, *s2;
	struct profile_known *k;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		scn = strtok_r(line, " \t", &s2);
		rule = scn ? strtok_r(NULL, " \t", &s2) : NULL;
		why = rule ? s2 + strspn(s2, " \t") : NULL;
		if (!why || !*why || !rule_find(rule)) {
			snprintf(err, errlen, "'known' is SCENARIO RULE WHY "
				 "(a rule of docs/rules.md and a reason)%s%s",
				 rule && !rule_find(rule) ? ": no rule " : "",
				 rule && !rule_find(rule) ? rule : "");
			rc = -EINVAL;
		} else if (p->nknown == PROFILE_KNOWN_MAX ||
			   strlen(scn) >= sizeof(k->scn)) {
			snprintf(err, errlen, "'known': too many, or a "
				 "scenario name too long");
			rc = -EINVAL;
		} else {
			k = &p->known[p->nknown++];
			snprintf(k->scn, sizeof(k->scn), "%s", scn);
			snprintf(k->rule, sizeof(k->rule), "%s", rule);
			snprintf(k->why, sizeof(k->why), "%s", why);
		}
	}
	free(copy);
	return rc;
}

static int set_description(struct profile *p, const char *val, char *err,
			   size_t errlen)
{
	return set_text(&p->description, val);
}

static int set_attach(struct profile *p, const char *val, char *err,
		      size_t errlen)
{
	if (attach_parse(val, &p->attach)) {
		snprintf(err, errlen, "'attach' is fd, fusermount or auto, not "
			 "'%s'", val);
		return -EINVAL;
	}
	return 0;
}

static int set_provides(struct profile *p, const char *val, char *err,
			size_t errlen)
{
	char *copy = strdup(val), *tok, *save = NULL;
	unsigned bit;

	if (!copy)
		return -ENOMEM;
	p->has_provides = 1;
	p->provides = 0;
	for (tok = strtok_r(copy, " \t\n,", &save); tok;
	     tok = strtok_r(NULL, " \t\n,", &save)) {
		bit = scn_req_bit(tok);
		if (!bit) {
			snprintf(err, errlen, "'provides': unknown requirement "
				 "'%s'", tok);
			free(copy);
			return -EINVAL;
		}
		p->provides |= bit;
	}
	free(copy);
	return 0;
}

/* fresh = mount | run: set up the store before every mount, or once */
static int set_fresh(struct profile *p, const char *val, char *err,
		     size_t errlen)
{
	if (strcmp(val, "mount") && strcmp(val, "run")) {
		snprintf(err, errlen, "'fresh' is mount or run, not '%s'",
			 val);
		return -EINVAL;
	}
	p->fresh = !strcmp(val, "mount") ? PROFILE_FRESH_MOUNT :
					   PROFILE_FRESH_RUN;
	return 0;
}

/* fusermount = NAME...: helpers the filesystem runs under other names
 * (its own bundled libfuse's), for the shim to stand in for too */
static int set_fusermount(struct profile *p, const char *val, char *err,
			  size_t errlen)
{
	char *copy = strdup(val), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t\n,", &save); tok && !rc;
	     tok = strtok_r(NULL, " \t\n,", &save)) {
		if (p->nhelpers == PROFILE_HELPERS_MAX || strchr(tok, '/') ||
		    strlen(tok) >= sizeof(p->helpers[0])) {
			snprintf(err, errlen, "'fusermount': '%s' is not a "
				 "program name, or too many", tok);
			rc = -EINVAL;
			break;
		}
		snprintf(p->helpers[p->nhelpers++], sizeof(p->helpers[0]),
			 "%s", tok);
	}
	free(copy);
	return rc;
}

/* pidns = own | host: the filesystem's pid namespace (--fs-pidns) */
static int set_pidns(struct profile *p, const char *val, char *err,
		     size_t errlen)
{
	if (strcmp(val, "own") && strcmp(val, "host")) {
		snprintf(err, errlen, "'pidns' is own or host, not '%s'", val);
		return -EINVAL;
	}
	p->pidns = !strcmp(val, "host") ? 2 : 1;
	return 0;
}

static const struct key_info keys[] = {
	{ "command", set_command },
	{ "fusermount", set_fusermount },
	{ "fresh", set_fresh },
	{ "setup", set_setup },
	{ "attach", set_attach },
	{ "pidns", set_pidns },
	{ "provides", set_provides },
	{ "description", set_description },
	{ "known", set_known },
	{ NULL, NULL },
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* Apply the pending key's value (key "" = none pending). */
static int apply(struct profile *p, const char *key, const char *val,
		 unsigned line, char *err, size_t errlen)
{
	const struct key_info *k;
	char why[512];
	int rc;

	if (!key[0])
		return 0;
	for (k = keys; k->key; k++)
		if (!strcmp(k->key, key))
			break;
	if (!k->key) {
		snprintf(err, errlen, "%s:%u: unknown key '%s'", p->path, line,
			 key);
		return -EINVAL;
	}
	why[0] = 0;
	rc = k->set(p, val, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "%s:%u: %s", p->path, line,
			 why[0] ? why : strerror(-rc));
	return rc;
}

static int append(char **val, size_t *len, const char *s, int newline)
{
	size_t n = strlen(s);
	char *nv = realloc(*val, *len + n + 2);

	if (!nv)
		return -ENOMEM;
	if (newline)
		nv[(*len)++] = '\n';
	memcpy(nv + *len, s, n + 1);
	*len += n;
	*val = nv;
	return 0;
}

static int parse(FILE *f, struct profile *p, char *err, size_t errlen)
{
	char line[4096], key[64] = "", *val = NULL, *eq, *t;
	unsigned no = 0, keyline = 0;
	size_t vlen = 0;
	int rc = 0;

	while (!rc && fgets(line, sizeof(line), f)) {
		no++;
		t = trim(line);
		if (!*t || *t == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			/* An indented line continues the value above. */
			if (!key[0]) {
				snprintf(err, errlen, "%s:%u: continuation "
					 "line without a key", p->path, no);
				rc = -EINVAL;
				break;
			}
			rc = append(&val, &vlen, t, vlen > 0);
			continue;
		}
		rc = apply(p, key, val ? val : "", keyline, err, errlen);
		if (rc)
			break;
		eq = strchr(t, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'",
				 p->path, no);
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		snprintf(key, sizeof(key), "%s", trim(t));
		keyline = no;
		vlen = 0;
		free(val);
		val = NULL;
		rc = append(&val, &vlen, trim(eq + 1), 0);
	}
	if (!rc)
		rc = apply(p, key, val ? val : "", keyline, err, errlen);
	free(val);
	return rc;
}

int profile_load(const char *name, struct profile *p, char *err,
		 size_t errlen)
{
	char path[4096], *base, *dot;
	FILE *f;
	int rc;

	memset(p, 0, sizeof(*p));
	p->attach = -1;
	if (paths_profile(name, path, sizeof(path))) {
		snprintf(err, errlen, "no profile '%s' (%s)", name, path);
		return -ENOENT;
	}
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read profile '%s': %s", path,
			 strerror(errno));
		return rc;
	}
	p->path = strdup(path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strstr(base, ".profile");
	if (dot && !dot[8])
		*dot = 0;
	p->name = strdup(base);
	rc = p->path && p->name ? parse(f, p, err, errlen) : -ENOMEM;
	fclose(f);
	if (rc)
		profile_free(p);
	return rc;
}

/* Run the snippet with sh in the work directory. */
static int run_setup(struct profile *p, const char *script, int out_fd,
		     char *err, size_t errlen)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (out_fd >= 0) {
			dup2(out_fd, STDOUT_FILENO);
			dup2(out_fd, STDERR_FILENO);
		} else {
			/* stdout may carry TAP: keep it clean. */
			dup2(STDERR_FILENO, STDOUT_FILENO);
		}
		if (chdir(p->workdir) < 0)
			_exit(126);
		setenv("WORKDIR", p->workdir, 1);
		execl("/bin/sh", "sh", "-ec", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(err, errlen, "setup of profile '%s' failed (%s %d)", p->name,
		 WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -ECHILD;
}

/* Run `setup` in the work directory. */
/* {workdir} and {profiledir} (where the profile file is: a profile may
 * bring a program of its own beside it) in a template; malloc'd. */
static char *expand(const struct profile *p, const char *tmpl)
{
	char dir[PATH_MAX], *slash, *a, *b;

	/* absolute: the filesystem may run from another directory */
	if (!realpath(p->path, dir))
		snprintf(dir, sizeof(dir), "%s", p->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	a = str_replace_all(tmpl, "{workdir}", p->workdir);
	if (!a)
		return NULL;
	b = str_replace_all(a, "{profiledir}", dir);
	free(a);
	return b;
}

static int setup_store(struct profile *p, int out_fd, char *err,
		       size_t errlen)
{
	char *s;
	int rc;

	if (!p->setup)
		return 0;
	s = expand(p, p->setup);
	if (!s)
		return -ENOMEM;
	rc = run_setup(p, s, out_fd, err, errlen);
	free(s);
	return rc;
}

int profile_fresh_per_mount(const struct profile *p)
{
	if (p->fresh)
		return p->fresh == PROFILE_FRESH_MOUNT;
	/* a store a scenario can write to can be damaged by one */
	return p->setup && (!p->has_provides ||
			    (p->provides & SCN_REQ_WRITE));
}

int profile_setup(struct profile *p, int out_fd, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char *s;
	int rc;

	snprintf(p->workdir, sizeof(p->workdir), "%s/fusecheck-work.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p->workdir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot create '%s': %s", p->workdir,
			 strerror(errno));
		p->workdir[0] = 0;
		return rc;
	}
	rc = setup_store(p, out_fd, err, errlen);
	if (rc)
		return rc;
	if (p->command) {
		s = expand(p, p->command);
		if (!s)
			return -ENOMEM;
		free(p->command);
		p->command = s;
	}
	return 0;
}

unsigned profile_caps(const struct profile *p, unsigned probed)
{
	if (!p->has_provides)
		return probed;
	return (probed & HARNESS_CAPS) | (p->provides & ~HARNESS_CAPS);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	/* A read-only tree from setup (e.g. unpacked images): let the
	 * owner remove it. */
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int open_dirs(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static uid_t give_uid;
static gid_t give_gid;

static int give_entry(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return lchown(path, give_uid, give_gid) ? -1 : 0;
}

int profile_give(struct profile *p, uid_t uid, gid_t gid, char *err,
		 size_t errlen)
{
	if (!p->workdir[0])
		return 0;
	p->give = 1;
	p->uid = uid;
	p->gid = gid;
	give_uid = uid;
	give_gid = gid;
	/* FTW_PHYS: a link is changed itself, never what it points to */
	if (nftw(p->workdir, give_entry, 32, FTW_PHYS | FTW_MOUNT)) {
		snprintf(err, errlen, "cannot give '%s' to uid %u: %s",
			 p->workdir, (unsigned)uid, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Remove the work directory's contents (and, with it, itself). */
static void clear_workdir(struct profile *p)
{
	/* FTW_MOUNT: never descend into anything mounted there. */
	nftw(p->workdir, open_dirs, 32, FTW_PHYS | FTW_MOUNT);
	nftw(p->workdir, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int profile_refresh(struct profile *p, int out_fd, char *err, size_t errlen)
{
	int rc;

	if (!p->workdir[0])
		return 0;
	clear_workdir(p);
	if (mkdir(p->workdir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot make '%s' again: %s",
			 p->workdir, strerror(errno));
		return rc;
	}
	rc = setup_store(p, out_fd, err, errlen);
	if (!rc && p->give)
		rc = profile_give(p, p->uid, p->gid, err, errlen);
	return rc;
}

void profile_free(struct profile *p)
{
	if (p->workdir[0])
		clear_workdir(p);
	free(p->name);
	free(p->path);
	free(p->description);
	free(p->command);
	free(p->setup);
	memset(p, 0, sizeof(*p));
	p->attach = -1;
}
