/* cli/options.c - the options `run`, `exec` and `probe-leaks` share,
 * parsed into struct run_opts (run/harness.h), with each command's own
 * options in the same getopt_long table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <limits.h>
#include <unistd.h>
#include "cli/options.h"
#include "mount/attach.h"
#include "mount/quiesce.h"
#include "wire/proto.h"

enum {
	OPT_FS = 256, OPT_OUT, OPT_ONLY, OPT_JUNIT, OPT_TAP, OPT_MEMFS_ARGS,
	OPT_MAX_PAGES, OPT_REPLY_DELAY, OPT_RELAY_SPIN, OPT_SETTLE, OPT_QTIMEOUT, OPT_COLOR,
	OPT_NO_COLOR, OPT_ATTACH, OPT_PROFILE, OPT_REQ_TIMEOUT,
	OPT_TIMELINE, OPT_INIT_SET, OPT_FS_USER, OPT_PLAIN_LOG, OPT_QUIESCE,
	OPT_TIME_SCALE, OPT_LIBFUSE, OPT_REPEAT, OPT_FS_PIDNS,
};

static const struct option shared_longopts[] = {
	{ "fs", required_argument, NULL, OPT_FS },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "fs-user", required_argument, NULL, OPT_FS_USER },
	{ "fs-pidns", required_argument, NULL, OPT_FS_PIDNS },
	{ "plain-log", no_argument, NULL, OPT_PLAIN_LOG },
	{ "quiesce", required_argument, NULL, OPT_QUIESCE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "only", required_argument, NULL, OPT_ONLY },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "tap", no_argument, NULL, OPT_TAP },
	{ "memfs-args", required_argument, NULL, OPT_MEMFS_ARGS },
	{ "max-pages", required_argument, NULL, OPT_MAX_PAGES },
	{ "init-set", required_argument, NULL, OPT_INIT_SET },
	{ "reply-delay-us", required_argument, NULL, OPT_REPLY_DELAY },
	{ "relay-spin-us", required_argument, NULL, OPT_RELAY_SPIN },
	{ "settle-ms", required_argument, NULL, OPT_SETTLE },
	{ "quiesce-timeout-ms", required_argument, NULL, OPT_QTIMEOUT },
	{ "request-timeout", required_argument, NULL, OPT_REQ_TIMEOUT },
	{ "time-scale", required_argument, NULL, OPT_TIME_SCALE },
	{ "libfuse", required_argument, NULL, OPT_LIBFUSE },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "color", no_argument, NULL, OPT_COLOR },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --fs-user USER|UID: the uid and primary gid the filesystem runs as. */
static int user_arg(const char *arg, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(arg);
	char *end;
	unsigned long v;

	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || v >= (uid_t)-1) {
		fprintf(stderr, "fusecheck: --fs-user takes a user name or a "
			"uid, not '%s'\n", arg);
		return -EINVAL;
	}
	pw = getpwuid((uid_t)v);
	*uid = (uid_t)v;
	*gid = pw ? pw->pw_gid : (gid_t)v;
	return 0;
}

/* --init-set: INIT flag names (as the reports print them) to bits. */
static int init_flags_arg(const char *arg, uint64_t *flags)
{
	char *copy = strdup(arg), *tok, *save;
	unsigned bit;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		for (bit = 0; bit < 64; bit++)
			if (proto_init_flag_name(bit) &&
			    !strcmp(proto_init_flag_name(bit), tok))
				break;
		if (bit == 64) {
			fprintf(stderr, "fusecheck: --init-set: '%s' is not an "
				"INIT flag name\n", tok);
			err = -EINVAL;
		} else {
			*flags |= 1ull << bit;
		}
	}
	free(copy);
	return err;
}

/* --libfuse PREFIX|LIBDIR: the directory holding libfuse3.so.3 goes
 * first on LD_LIBRARY_PATH, so that memfs and the filesystem under test
 * (every program fusecheck starts) load that build; the report says
 * which one the filesystem mapped (mount/libseen.c). */
static int libfuse_arg(const char *arg)
{
	static const char *const under[] = {
		"", "/lib/x86_64-linux-gnu", "/lib64", "/lib",
	};
	const char *old = getenv("LD_LIBRARY_PATH");
	char dir[PATH_MAX], lib[PATH_MAX + 32], *val;
	size_t i;

	for (i = 0; i < sizeof(under) / sizeof(under[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", arg, under[i]);
		snprintf(lib, sizeof(lib), "%s/libfuse3.so.3", dir);
		if (!access(lib, R_OK))
			break;
	}
	if (i == sizeof(under) / sizeof(under[0]) ||
	    !realpath(dir, lib)) {
		fprintf(stderr, "fusecheck: --libfuse %s: no libfuse3.so.3 "
			"there or in its lib/, lib64/ or lib/x86_64-linux-gnu/\n",
			arg);
		return -ENOENT;
	}
	if (asprintf(&val, "%s%s%s", lib, old && *old ? ":" : "",
		     old ? old : "") < 0)
		return -ENOMEM;
	setenv("LD_LIBRARY_PATH", val, 1);
	free(val);
	return 0;
}

/* The number an option takes, or -1 with a message. */
long opt_number(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "fusecheck: --%s takes a number from %ld to "
			"%ld, not '%s'\n", opt, lo, hi, s);
		return -1;
	}
	return v;
}

/* The shared rows, then the command's own, in one table: 0 or -E2BIG. */
#define LONGOPTS_MAX 64
static int merge_longopts(struct option *out, const struct own_opts *own)
{
	size_t n = 0, k;

	for (k = 0; shared_longopts[k].name; k++)
		out[n++] = shared_longopts[k];
	for (k = 0; own && own->longopts[k].name; k++) {
		if (n + 1 >= LONGOPTS_MAX)
			return -E2BIG;
		out[n++] = own->longopts[k];
	}
	memset(&out[n], 0, sizeof(out[n]));
	return 0;
}

int run_parse_args(int argc, char **argv, struct run_opts *o,
		   const char *usage, const struct own_opts *own)
{
	struct option longopts[LONGOPTS_MAX];
	long v;
	int c;

	if (merge_longopts(longopts, own))
		return 2;

	memset(o, 0, sizeof(*o));
	o->out_dir = "fusecheck-out";
	o->color = -1;
	o->attach = -1;
	o->settle_ms = 0;
	o->quiesce_timeout_ms = 10000;
	o->time_scale = 1;
	o->repeat = 1;
	o->request_timeout_s = 30;
	o->relay_spin_us = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c >= OPT_OWN && own) {
			int code = own->take(own->arg, c, optarg);

			if (code)
				return code;
			continue;
		}
		switch (c) {
		case OPT_FS: o->fs_cmd = optarg; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_FS_USER:
			if (user_arg(optarg, &o->fs_uid, &o->fs_gid))
				return 2;
			o->fs_as_user = 1;
			break;
		case OPT_FS_PIDNS:
			if (strcmp(optarg, "own") && strcmp(optarg, "host")) {
				fprintf(stderr, "fusecheck: --fs-pidns takes "
					"own or host, not '%s'\n", optarg);
				return 2;
			}
			o->fs_pidns = !strcmp(optarg, "host") ? 2 : 1;
			break;
		case OPT_ATTACH:
			if (attach_parse(optarg, &o->attach)) {
				fprintf(stderr, "fusecheck: --attach takes fd, "
					"fusermount or auto, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_OUT: o->out_dir = optarg; break;
		case OPT_ONLY: o->only = optarg; break;
		case OPT_JUNIT: o->junit = optarg; break;
		case OPT_TIMELINE: o->timeline_dir = optarg; break;
		case OPT_TAP: o->tap = 1; break;
		case OPT_PLAIN_LOG: o->plain_log = 1; break;
		case OPT_QUIESCE:
			o->quiesce_how = quiesce_how_parse(optarg);
			if (o->quiesce_how < 0) {
				fprintf(stderr, "fusecheck: --quiesce takes "
					"auto, prune, notify or drop-caches, "
					"not '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_MEMFS_ARGS: o->memfs_args = optarg; break;
		case OPT_COLOR: o->color = 1; break;
		case OPT_NO_COLOR: o->color = 0; break;
		case OPT_INIT_SET:
			if (init_flags_arg(optarg, &o->init_set))
				return 2;
			break;
		case OPT_MAX_PAGES:
			v = opt_number("max-pages", optarg, 1, 256);
			if (v < 0)
				return 2;
			o->max_pages = (uint32_t)v;
			if (v >= 16)
				fprintf(stderr, "fusecheck: note: --max-pages "
					"%ld: a filesystem that splices its "
					"replies may send them in pieces, which "
					"the tap refuses (PR-REPLY-LENGTH); 8, "
					"the default, keeps every reply one "
					"message\n", v);
			break;
		case OPT_REPLY_DELAY:
			v = opt_number("reply-delay-us", optarg, 0, 1000000);
			if (v < 0)
				return 2;
			o->reply_delay_us = (uint32_t)v;
			break;
		case OPT_RELAY_SPIN:
			v = opt_number("relay-spin-us", optarg, 0, 100000);
			if (v < 0)
				return 2;
			o->relay_spin_us = (int32_t)v;
			break;
		case OPT_SETTLE:
			v = opt_number("settle-ms", optarg, 0, 60000);
			if (v < 0)
				return 2;
			o->settle_ms = (unsigned)v;
			break;
		case OPT_QTIMEOUT:
			v = opt_number("quiesce-timeout-ms", optarg, 100,
				       600000);
			if (v < 0)
				return 2;
			o->quiesce_timeout_ms = (unsigned)v;
			break;
		case OPT_REQ_TIMEOUT:
			v = opt_number("request-timeout", optarg, 0, 86400);
			if (v < 0)
				return 2;
			o->request_timeout_s = (unsigned)v;
			break;
		case OPT_REPEAT:
			v = opt_number("repeat", optarg, 1, 1000);
			if (v < 0)
				return 2;
			o->repeat = (unsigned)v;
			break;
		case OPT_LIBFUSE:
			if (libfuse_arg(optarg))
				return 2;
			break;
		case OPT_TIME_SCALE:
			v = opt_number("time-scale", optarg, 1, 100);
			if (v < 0)
				return 2;
			o->time_scale = (unsigned)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "fusecheck: try 'fusecheck %s "
				"--help'\n", argv[0]);
			return 2;
		}
	}
	/* every bound on time grows by the factor: a slow machine (an
	 * emulated guest, `fusecheck vm`) is not a hung filesystem */
	o->quiesce_timeout_ms *= o->time_scale;
	o->request_timeout_s *= o->time_scale;
	o->scenario_args = argv + optind;
	o->nscenario_args = (size_t)(argc - optind);
	return -1;
}

