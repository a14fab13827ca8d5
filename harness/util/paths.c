/* util/paths.c - locating the bundled parts and listing scenario files. */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/strlist.h"
#include "util/paths.h"

#ifndef FC_SOURCE_ROOT
#define FC_SOURCE_ROOT ""
#endif
#ifndef FC_LIBEXECDIR
#define FC_LIBEXECDIR "/usr/local/libexec/fusecheck"
#endif
#ifndef FC_DATADIR
#define FC_DATADIR "/usr/local/share/fusecheck"
#endif

static int exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	dirname(buf);
	return 0;
}

static int first_existing(char *buf, size_t size, const char *const *cands,
			  int mode)
{
	for (; *cands; cands++) {
		if (!**cands)
			continue;
		if (access(*cands, mode) == 0) {
			snprintf(buf, size, "%s", *cands);
			return 0;
		}
	}
	return -ENOENT;
}

int paths_memfs(char *buf, size_t size)
{
	char dir[4096], build[4200];
	const char *env = getenv("FUSECHECK_MEMFS");
	const char *cands[] = { env ? env : "", build,
				FC_LIBEXECDIR "/memfs", NULL };

	build[0] = 0;
	if (exe_dir(dir, sizeof(dir)) == 0)
		snprintf(build, sizeof(build), "%s/../fsmodels/memfs/memfs",
			 dir);
	return first_existing(buf, size, cands, X_OK);
}

int paths_shim(char *buf, size_t size)
{
	const char *env = getenv("FUSECHECK_SHIM");
	char dir[4096], build[4200], real[PATH_MAX];
	const char *cands[] = { build, FC_LIBEXECDIR "/" PATHS_SHIM_NAME,
				NULL };

	/* a shim named by the environment must be there: no fallback */
	if (env && *env) {
		if (access(env, X_OK) < 0)
			return -errno;
		cands[0] = env;
		cands[1] = NULL;
	} else {
		build[0] = 0;
		if (exe_dir(dir, sizeof(dir)) == 0)
			snprintf(build, sizeof(build), "%s/shim/" PATHS_SHIM_NAME,
				 dir);
	}
	if (first_existing(real, sizeof(real), cands, X_OK))
		return -ENOENT;
	/* bound over fusermount in another mount namespace: absolute */
	if (!realpath(real, buf))
		return -errno;
	(void)size;
	return 0;
}

int paths_profile(const char *name, char *buf, size_t size)
{
	const char *env = getenv("FUSECHECK_PROFILES");
	const char *dirs[] = { env ? env : "", FC_SOURCE_ROOT
			       "/fsmodels/profiles", FC_DATADIR "/profiles",
			       NULL };
	const char *const *d;
	size_t len = strlen(name);

	if (strchr(name, '/') ||
	    (len > 8 && !strcmp(name + len - 8, ".profile"))) {
		snprintf(buf, size, "%s", name);
		return 0;
	}
	for (d = dirs; *d; d++) {
		if (!**d || (*d)[0] != '/')
			continue;
		snprintf(buf, size, "%s/%s.profile", *d, name);
		if (access(buf, R_OK) == 0)
			return 0;
	}
	snprintf(buf, size, "looked in FUSECHECK_PROFILES, %s/fsmodels/"
		 "profiles and %s/profiles", FC_SOURCE_ROOT, FC_DATADIR);
	return -ENOENT;
}

int paths_scenarios(char *buf, size_t size)
{
	const char *env = getenv("FUSECHECK_SCENARIOS");
	const char *cands[] = { env ? env : "", FC_SOURCE_ROOT "/scenarios",
				FC_DATADIR "/scenarios", NULL };

	return first_existing(buf, size, cands, R_OK);
}

static int push(char ***list, size_t *n, size_t *cap, const char *s)
{
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		char **nl = realloc(*list, nc * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		*list = nl;
		*cap = nc;
	}
	(*list)[*n] = strdup(s);
	if (!(*list)[*n])
		return -ENOMEM;
	(*n)++;
	(*list)[*n] = NULL;
	return 0;
}

/* Every DIR/ *.scn, sorted (glob's order); a directory name is taken
 * literally, its glob metacharacters escaped. */
static int add_dir(const char *dir, char ***list, size_t *n, size_t *cap)
{
	char pattern[8192], *o = pattern;
	const char *p;
	glob_t g;
	size_t i;
	int rc, err = 0;

	for (p = dir; *p && o < pattern + sizeof(pattern) - 16; p++) {
		if (strchr("*?[\\", *p))
			*o++ = '\\';
		*o++ = *p;
	}
	if (*p)
		return -ENAMETOOLONG;
	strcpy(o, "/*.scn");
	rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		/* GLOB_ABORTED leaves the failed opendir's errno */
		return rc == GLOB_NOSPACE ? -ENOMEM : errno ? -errno : -EIO;
	for (i = 0; i < g.gl_pathc && !err; i++)
		err = push(list, n, cap, g.gl_pathv[i]);
	globfree(&g);
	return err;
}

int paths_scenario_files(char **args, size_t nargs, char ***files,
			 size_t *nfiles, char *err, size_t errlen)
{
	char **list = NULL;
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = 0;

	for (i = 0; i < nargs && !rc; i++) {
		if (stat(args[i], &st) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read scenario '%s': %s",
				 args[i], strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_dir(args[i], &list, &n, &cap);
			if (rc)
				snprintf(err, errlen, "cannot list '%s': %s",
					 args[i], strerror(-rc));
		} else {
			rc = push(&list, &n, &cap, args[i]);
		}
	}
	if (!rc && n == 0) {
		rc = -ENOENT;
		snprintf(err, errlen, "no scenario files found");
	}
	if (rc) {
		strv_free(list);
		return rc;
	}
	*files = list;
	*nfiles = n;
	return 0;
}

