/* cli/cmd_run.c - `fusecheck run`: parse the options, check every input
 * before mounting anything, then probe, run each scenario on a fresh
 * mount in a private mount namespace, and write the reports. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <fuse_lowlevel.h>
#include "mount/attach.h"
#include "cli/cmd.h"
#include "mount/guardian.h"
#include "mount/interrupt.h"
#include "run/harness.h"
#include "mount/mount.h"
#include "run/paths.h"
#include "mount/caps.h"
#include "wire/proto.h"
#include "mount/quiesce.h"
#include "report/report.h"
#include "report/build.h"
#include "run/body.h"
#include "report/timeline.h"
#include "judge/verdicts.h"


static const char run_usage[] =
"usage: fusecheck run [OPTIONS] [SCENARIO|DIR]...\n"
"\n"
"Mount a FUSE filesystem behind the wire tap, run scenarios, check every\n"
"rule, print a summary and write reports.  Without --fs the bundled\n"
"reference filesystem (memfs) is used; without SCENARIO all bundled\n"
"scenarios run.\n"
"\n"
"  --fs 'CMD ARGS... {mountpoint}'  filesystem to test; {mountpoint}\n"
"                            becomes /dev/fd/N (libfuse >= 3.3, go-fuse,\n"
"                            pyfuse3 ...); {control} becomes the fd of\n"
"                            the reference-ledger channel, if it has one\n"
"  --attach fd|fusermount|auto  how the filesystem gets its connection:\n"
"                            /dev/fd/N, or an empty directory and the\n"
"                            fusermount shim (libfuse2); auto (default)\n"
"                            tries fd, then fusermount\n"
"  --fs-user USER|UID        run the filesystem as this user (its\n"
"                            primary group, no supplementary groups):\n"
"                            fusecheck mounts, the filesystem needs no\n"
"                            privilege with --attach fd or fusermount\n"
"  --profile NAME|FILE       a recipe from fsmodels/profiles: command,\n"
"                            setup, attach, provides (docs/attach.md)\n"
"  --out DIR                 where reports and logs go (fusecheck-out)\n"
"  --only NAME[,NAME...]     run only these scenarios\n"
"  --junit FILE              also write JUnit XML\n"
"  --timeline DIR            draw each scenario's lock timeline as\n"
"                            DIR/NN-NAME.svg\n"
"  --tap                     print TAP 13 instead of the human summary\n"
"  --plain-log               keep events.fclog uncompressed (it is zstd\n"
"                            by default; replay and log read both)\n"
"  --memfs-args 'ARGS'       extra options for the bundled memfs\n"
"  --max-pages N             cap max_pages in INIT (default 8); 16 or more\n"
"                            lets a filesystem that splices its replies\n"
"                            send them in pieces (the kernel splices at\n"
"                            most 16 pipe buffers a message), which the\n"
"                            tap refuses (PR-REPLY-LENGTH)\n"
"  --reply-delay-us N        hold every reply N microseconds\n"
"  --init-set FLAG[,FLAG]    add INIT flags the kernel offered to the\n"
"                            filesystem's INIT reply (e.g. PARALLEL_DIROPS,\n"
"                            which libfuse 3.14 never sends); reported\n"
"  --quiesce auto|drop-caches|notify  how a quiesce evicts: notify\n"
"                            (FUSE_NOTIFY_INVAL_ENTRY of every name the\n"
"                            tap saw: this mount only, no privilege) or\n"
"                            drop-caches (every filesystem on the host;\n"
"                            root); auto (default): notify, then\n"
"                            drop-caches where references remain and it\n"
"                            may\n"
"  --settle-ms N             extra quiet time after the quiesce\n"
"                            barrier (0: none, the default)\n"
"  --quiesce-timeout-ms N    longest wait for a quiesce (10000)\n"
"  --request-timeout S       break the scenario when a request waits\n"
"                            S seconds for its reply (30; 0: never)\n"
"  --color / --no-color      force colors on or off\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 every scenario passed or was skipped, 1 violations,\n"
"2 fusecheck could not run (bad input, mount failure, filesystem\n"
"crashed or hung, or fusecheck was interrupted by SIGINT/SIGTERM).\n";

enum {
	OPT_FS = 256, OPT_OUT, OPT_ONLY, OPT_JUNIT, OPT_TAP, OPT_MEMFS_ARGS,
	OPT_MAX_PAGES, OPT_REPLY_DELAY, OPT_SETTLE, OPT_QTIMEOUT, OPT_COLOR,
	OPT_NO_COLOR, OPT_ATTACH, OPT_PROFILE, OPT_REQ_TIMEOUT,
	OPT_TIMELINE, OPT_INIT_SET, OPT_FS_USER, OPT_PLAIN_LOG, OPT_QUIESCE,
};

static const struct option run_longopts[] = {
	{ "fs", required_argument, NULL, OPT_FS },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "fs-user", required_argument, NULL, OPT_FS_USER },
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
	{ "settle-ms", required_argument, NULL, OPT_SETTLE },
	{ "quiesce-timeout-ms", required_argument, NULL, OPT_QTIMEOUT },
	{ "request-timeout", required_argument, NULL, OPT_REQ_TIMEOUT },
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

/* The number an option takes, or -1 with a message. */
static long number_arg(const char *opt, const char *s, long lo, long hi)
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

int run_parse_args(int argc, char **argv, struct run_opts *o,
		   const char *usage)
{
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->out_dir = "fusecheck-out";
	o->color = -1;
	o->attach = -1;
	o->settle_ms = 0;
	o->quiesce_timeout_ms = 10000;
	o->request_timeout_s = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", run_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FS: o->fs_cmd = optarg; break;
		case OPT_PROFILE: o->profile = optarg; break;
		case OPT_FS_USER:
			if (user_arg(optarg, &o->fs_uid, &o->fs_gid))
				return 2;
			o->fs_as_user = 1;
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
					"auto, drop-caches or notify, not "
					"'%s'\n", optarg);
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
			v = number_arg("max-pages", optarg, 1, 256);
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
			v = number_arg("reply-delay-us", optarg, 0, 1000000);
			if (v < 0)
				return 2;
			o->reply_delay_us = (uint32_t)v;
			break;
		case OPT_SETTLE:
			v = number_arg("settle-ms", optarg, 0, 60000);
			if (v < 0)
				return 2;
			o->settle_ms = (unsigned)v;
			break;
		case OPT_QTIMEOUT:
			v = number_arg("quiesce-timeout-ms", optarg, 100,
				       600000);
			if (v < 0)
				return 2;
			o->quiesce_timeout_ms = (unsigned)v;
			break;
		case OPT_REQ_TIMEOUT:
			v = number_arg("request-timeout", optarg, 0, 86400);
			if (v < 0)
				return 2;
			o->request_timeout_s = (unsigned)v;
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
	o->scenario_args = argv + optind;
	o->nscenario_args = (size_t)(argc - optind);
	return -1;
}

/* --only a,b: 1 when name is selected. */
static int selected(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p = only;

	if (!only)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* --only a,b where some name matched no scenario: a typo must not make a
 * CI gate quietly test less.  Says which; 1 when any. */
static int only_unmatched(const char *only, struct scn *const *list, size_t n)
{
	char *copy, *tok, *save = NULL;
	int bad = 0;
	size_t i;

	if (!only || !(copy = strdup(only)))
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(scn_name(list[i]), tok); i++)
			;
		if (i == n) {
			fprintf(stderr, "fusecheck: --only names '%s', which "
				"is no scenario here\n", tok);
			bad = 1;
		}
	}
	free(copy);
	return bad;
}

/* Parse every scenario before anything is mounted: bad input is exit 2
 * with file:line:col, and nothing was touched. */
static int load_scenarios(const struct run_opts *o, struct scn ***out,
			  size_t *nout)
{
	char dir[4096], err[512], *defargs[1];
	char **files = NULL, **args = o->scenario_args;
	size_t nfiles, nargs = o->nscenario_args, i, n = 0;
	struct scn **list, *s;
	struct scn_error perr;
	int rc;

	if (!nargs) {
		if (paths_scenarios(dir, sizeof(dir))) {
			fprintf(stderr, "fusecheck: cannot find the bundled "
				"scenarios (set FUSECHECK_SCENARIOS)\n");
			return 2;
		}
		defargs[0] = dir;
		args = defargs;
		nargs = 1;
	}
	if (paths_scenario_files(args, nargs, &files, &nfiles, err,
				 sizeof(err))) {
		fprintf(stderr, "fusecheck: %s\n", err);
		return 2;
	}
	list = calloc(nfiles, sizeof(*list));
	if (!list) {
		paths_free_list(files);
		return 2;
	}
	for (i = 0; i < nfiles; i++) {
		rc = scn_parse_file(files[i], &s, &perr);
		if (rc) {
			scn_error_format(&perr, err, sizeof(err));
			fprintf(stderr, "fusecheck: %s\n", err);
			goto out_fail;
		}
		if (!selected(o->only, scn_name(s))) {
			scn_free(s);
			continue;
		}
		list[n++] = s;
	}
	paths_free_list(files);
	if (!n || only_unmatched(o->only, list, n)) {
		if (!n)
			fprintf(stderr, "fusecheck: no scenario matches "
				"--only '%s'\n", o->only ? o->only : "");
		while (n)
			scn_free(list[--n]);
		free(list);
		return 2;
	}
	*out = list;
	*nout = n;
	return 0;

out_fail:
	while (n)
		scn_free(list[--n]);
	free(list);
	paths_free_list(files);
	return 2;
}

/* The filesystem command template: --fs as given, or the bundled memfs
 * with its control channel and log. */
static int fs_templates(const struct run_opts *o, char **memfs_cmd)
{
	char memfs[4096], err[512], **argv;
	size_t n;

	*memfs_cmd = NULL;
	if (o->fs_cmd) {
		/* Split it now so that a bad command is exit 2 before any
		 * mount; whether the program exists shows at exec. */
		if (fsproc_argv(o->fs_cmd, "/dev/fd/0", "0", &argv, err,
				sizeof(err))) {
			fprintf(stderr, "fusecheck: %s\n", err);
			return 2;
		}
		fsproc_argv_free(argv);
		return 0;
	}
	if (paths_memfs(memfs, sizeof(memfs))) {
		fprintf(stderr, "fusecheck: cannot find the bundled memfs "
			"(set FUSECHECK_MEMFS)\n");
		return 2;
	}
	n = strlen(memfs) * 2 + strlen(o->out_dir) * 2 + 128 +
	    (o->memfs_args ? strlen(o->memfs_args) : 0);
	*memfs_cmd = malloc(n);
	if (!*memfs_cmd)
		return 2;
	snprintf(*memfs_cmd, n, "'%s' --control-fd={control} "
		 "--log='%s/memfs.log' %s", memfs, o->out_dir,
		 o->memfs_args ? o->memfs_args : "");
	return 0;
}

/* Can a file be made at path?  Checked before anything runs, so that a
 * bad --junit is exit 2 at once, not a report lost at the end. */
static int check_out_file(const char *opt, const char *path)
{
	char probe[4200];
	struct stat st;
	int fd;

	if (!path)
		return 0;
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "fusecheck: %s '%s' is a directory\n", opt,
			path);
		return 2;
	}
	snprintf(probe, sizeof(probe), "%s.fusecheck-probe.%d", path,
		 (int)getpid());
	fd = open(probe, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fusecheck: cannot write %s '%s': %s\n", opt,
			path, strerror(errno));
		return 2;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* Two runs sharing an output directory would interleave their event
 * logs: the first holds an exclusive lock on the directory for its whole
 * life (the descriptor stays open until exit), the second is told. */
static int lock_out(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "fusecheck: cannot open output directory "
			"'%s': %s\n", dir, strerror(errno));
		return 2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "fusecheck: output directory '%s' is in use "
			"by another fusecheck run (use another --out)\n", dir);
		close(fd);
		return 2;
	}
	return 0;
}

static int prepare_out(const char *dir)
{
	char probe[4096];
	int fd;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fusecheck: cannot create output directory "
			"'%s': %s\n", dir, strerror(errno));
		return 2;
	}
	snprintf(probe, sizeof(probe), "%s/.fusecheck-write-test", dir);
	fd = open(probe, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fusecheck: cannot write to output directory "
			"'%s': %s\n", dir, strerror(errno));
		return 2;
	}
	close(fd);
	unlink(probe);
	return lock_out(dir);
}

static void fill_metadata(struct fc_run_result *r, const char *fs_cmd,
			  int reference, unsigned caps, const char *method,
			  const char *log_path, const struct fc_checker *c)
{
	struct utsname u;
	char buf[512];

	uname(&u);
	r->kernel_release = strdup(u.release);
	r->libfuse_version = strdup(fuse_pkgversion());
	r->fs_cmd = strdup(fs_cmd);
	r->reference_fs = reference;
	probe_caps_string(caps, buf, sizeof(buf));
	r->caps = strdup(buf);
	r->quiesce_method = strdup(method ? method : "none");
	r->log_path = log_path ? strdup(log_path) : NULL;
	r->init = *checker_init(c);
}

/* Write one report through a temporary file renamed over path, so that
 * a full disk or a crash never leaves a cut report that looks whole.
 * 0, or -errno with a message printed. */
static int write_report(const char *path, const struct fc_run_result *r,
			int (*writer)(const char *, const struct fc_run_result *))
{
	char tmp[4200];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	rc = writer(tmp, r);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		fprintf(stderr, "fusecheck: cannot write '%s': %s\n", path,
			strerror(-rc));
	}
	return rc;
}

/* Print and write every report; returns the exit code (2 when a report
 * could not be written: a CI gate must not read a verdict that is not
 * there). */
int cmd_report(const struct fc_run_result *r, const char *out_dir,
	       const char *junit, int tap, int color)
{
	char path[4096];
	int lost = 0;

	if (tap)
		report_tap(stdout, r);
	else
		report_human(stdout, r, color < 0 ? isatty(1) : color);
	fflush(stdout);
	if (out_dir) {
		snprintf(path, sizeof(path), "%s/report.json", out_dir);
		lost |= write_report(path, r, report_json) != 0;
	}
	if (junit)
		lost |= write_report(junit, r, report_junit) != 0;
	return lost ? 2 : run_result_exit_code(r);
}

int run_harness_open(struct run_harness *h, const struct run_opts *o)
{
	char err[600], *abs_tmp;
	const char *tmp;
	int ret;

	memset(h, 0, sizeof(*h));
	h->o = o;
	clock_gettime(CLOCK_MONOTONIC, &h->t0);
	h->rc.fs_out_fd = -1;
	/* the mount is named by its absolute path everywhere (mountinfo,
	 * the kernel): a relative TMPDIR is resolved now */
	tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	abs_tmp = realpath(tmp, NULL);
	if (!abs_tmp) {
		fprintf(stderr, "fusecheck: TMPDIR '%s' is unusable: %s\n", tmp,
			strerror(errno));
		return 2;
	}
	snprintf(h->mnt, sizeof(h->mnt), "%s/fusecheck.XXXXXX", abs_tmp);
	free(abs_tmp);
	if (fs_templates(o, &h->memfs_cmd) || prepare_out(o->out_dir) ||
	    check_out_file("--junit", o->junit))
		return 2;
	/* Best effort: without it only a SIGKILL mid-request lingers. */
	guardian_start();
	ret = mnt_enter_private_ns();
	if (ret) {
		fprintf(stderr, "fusecheck: cannot enter a private mount "
			"namespace%s: %s\n", geteuid() ? " (as a user: a user "
			"namespace of its own, which this kernel or its "
			"settings refuse)" : "", strerror(-ret));
		return 2;
	}
	if (!mkdtemp(h->mnt)) {
		fprintf(stderr, "fusecheck: cannot create mountpoint '%s': "
			"%s\n", h->mnt, strerror(errno));
		return 2;
	}
	h->mnt_made = 1;
	h->checker = checker_new();
	if (!h->checker)
		return 2;
	verdicts_init(&h->v, h->checker);
	snprintf(h->logpath, sizeof(h->logpath), "%s/events.fclog",
		 o->out_dir);
	ret = evlog_open(&h->log, h->logpath, h->checker, !o->plain_log);
	if (ret) {
		fprintf(stderr, "fusecheck: cannot write '%s': %s\n",
			h->logpath, strerror(-ret));
		return 2;
	}
	h->log_open = 1;
	h->log.verdicts = &h->v;
	/* memfs writes its own ledger log: made here, owned by the user
	 * it runs as */
	if (o->fs_as_user && !o->fs_cmd && !o->prof) {
		snprintf(err, sizeof(err), "%s/memfs.log", o->out_dir);
		ret = open(err, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (ret < 0 || fchown(ret, o->fs_uid, o->fs_gid)) {
			fprintf(stderr, "fusecheck: cannot prepare '%s' for "
				"--fs-user: %s\n", err, strerror(errno));
			if (ret >= 0)
				close(ret);
			return 2;
		}
		close(ret);
	}
	snprintf(err, sizeof(err), "%s/fs.log", o->out_dir);
	h->rc.fs_out_fd = open(err, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC,
			       0644);
	h->rc.mnt = h->mnt;
	h->rc.fs_cmd = o->fs_cmd;
	h->rc.attach = o->attach < 0 ? ATTACH_AUTO : o->attach;
	h->rc.memfs_cmd = h->memfs_cmd;
	h->rc.max_pages = o->max_pages;
	h->rc.init_set = o->init_set;
	h->rc.reply_delay_us = o->reply_delay_us;
	h->rc.quiesce.settle_ms = o->settle_ms;
	h->rc.quiesce.how = o->quiesce_how;
	quiesce_set_how(o->quiesce_how);
	h->rc.quiesce.timeout_ms = o->quiesce_timeout_ms;
	h->rc.request_timeout_ms = o->request_timeout_s * 1000u;
	h->rc.fs_as_user = o->fs_as_user;
	h->rc.fs_uid = o->fs_uid;
	h->rc.fs_gid = o->fs_gid;
	h->rc.log = &h->log;

	ret = run_probe(&h->rc, &h->rc.caps, err, sizeof(err));
	if (!ret && o->prof)
		h->rc.caps = profile_caps(o->prof, h->rc.caps);
	if (ret) {
		fprintf(stderr, "fusecheck: cannot start the filesystem: %s\n",
			err);
		h->broken = strdup(err);
	}
	return 0;
}

/* Say in the report that the tap changed the negotiation. */
static void note_init_set(struct fc_run_result *r, uint64_t flags)
{
	char **nn, *names;

	if (!flags)
		return;
	names = report_flag_names(flags);
	nn = realloc(r->notes, (r->nnotes + 1) * sizeof(*nn));
	if (!names || !nn) {
		free(names);
		if (nn)
			r->notes = nn;
		return;
	}
	r->notes = nn;
	if (asprintf(&r->notes[r->nnotes], "the tap added INIT flags %s to "
		     "the filesystem's INIT reply where the kernel offered "
		     "them (--init-set)", names) >= 0)
		r->nnotes++;
	free(names);
}

int run_harness_finish(struct run_harness *h, struct scn *const *scns,
		       size_t nscns)
{
	struct fc_run_result res = { 0 };
	struct timespec t1;
	char *fs_cmd = NULL;
	int ret, code = 2;

	if (h->log_open) {
		ret = evlog_close(&h->log);
		h->log_open = 0;
		if (ret)
			fprintf(stderr, "fusecheck: the event log '%s' is "
				"incomplete: %s\n", h->logpath, strerror(-ret));
		res.broken = h->broken;
		res.lines_streamed = h->lines_streamed;
		h->broken = NULL;
		if (run_fs_cmd(&h->rc, NULL, &fs_cmd) == 0 &&
		    results_build(&h->v, scns, nscns, &res) == 0) {
			fill_metadata(&res, fs_cmd, !h->o->fs_cmd, h->rc.caps,
				      h->rc.quiesce_method, h->logpath,
				      h->checker);
			note_init_set(&res, h->o->init_set);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			res.seconds = (double)(t1.tv_sec - h->t0.tv_sec) +
				      (double)(t1.tv_nsec - h->t0.tv_nsec) / 1e9;
			res.attach = strdup(attach_name(h->rc.attach));
			code = cmd_report(&res, h->o->out_dir, h->o->junit,
					  h->o->tap, h->o->color);
		}
		free(fs_cmd);
		run_result_free(&res);
	}
	if (h->rc.fs_out_fd >= 0)
		close(h->rc.fs_out_fd);
	if (h->checker) {
		verdicts_fini(&h->v);
		checker_free(h->checker);
	}
	if (h->mnt_made && rmdir(h->mnt) < 0)
		fprintf(stderr, "fusecheck: cannot remove mountpoint '%s': "
			"%s\n", h->mnt, strerror(errno));
	free(h->memfs_cmd);
	free(h->broken);
	return code;
}

int run_profile_open(struct run_opts *o, struct profile *p)
{
	char err[600];

	if (!o->profile)
		return 0;
	if (o->fs_cmd) {
		fputs("fusecheck: --fs and --profile exclude each other\n",
		      stderr);
		return 2;
	}
	if (profile_load(o->profile, p, err, sizeof(err)) ||
	    profile_setup(p, -1, err, sizeof(err)) ||
	    (o->fs_as_user &&
	     profile_give(p, o->fs_uid, o->fs_gid, err, sizeof(err)))) {
		fprintf(stderr, "fusecheck: %s\n", err);
		profile_free(p);
		return 2;
	}
	o->fs_cmd = p->command;
	if (o->attach < 0)
		o->attach = p->attach;
	o->prof = p;
	return 0;
}

/* --timeline: drawn from the closed log; a failure here is reported but
 * does not change the verdict. */
static void draw_timelines(const char *log_path, const char *dir)
{
	char err[600];

	if (timeline_write(log_path, dir, err, sizeof(err)))
		fprintf(stderr, "fusecheck: %s\n", err);
}

int run_one_body(struct run_opts *o, const struct run_body *b)
{
	struct profile prof = { .attach = -1 };
	struct run_harness h;
	int code;

	code = run_profile_open(o, &prof);
	if (code)
		return code;
	interrupt_install();
	code = run_harness_open(&h, o);
	if (code == 0 && !h.broken)
		run_body(&h.rc, b, 0);
	if (code == 0 || h.log_open)
		code = run_harness_finish(&h, NULL, 0);
	else
		run_harness_finish(&h, NULL, 0);
	profile_free(&prof);
	return code;
}

/* The human summary's line for scenario i, printed as soon as it ended
 * (a CI log shows progress; the summary then skips these lines). */
static void stream_line(struct run_harness *h, struct scn *const *scns,
			size_t nscns, size_t i)
{
	const char *names[1024];
	struct fc_scn_result sr;
	size_t k, n = nscns < 1024 ? nscns : 1024;
	int rc;

	if (h->o->tap)
		return;
	for (k = 0; k < n; k++)
		names[k] = scn_name(scns[k]);
	evlog_lock(&h->log);
	rc = results_one(&h->v, (long)i, scns[i], &sr);
	evlog_unlock(&h->log);
	if (!rc)
		report_human_line(stdout, &sr, h->o->color < 0 ? isatty(1) :
					       h->o->color,
				  report_human_width(names, n));
	run_result_scn_free(&sr);
	h->lines_streamed = 1;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct run_harness h;
	struct profile prof = { .attach = -1 };
	struct scn **scns = NULL;
	size_t nscns = 0, i;
	int ret, code;

	ret = run_parse_args(argc, argv, &o, run_usage);
	if (ret >= 0)
		return ret;
	if (load_scenarios(&o, &scns, &nscns))
		return 2;
	code = run_profile_open(&o, &prof);
	if (code)
		goto out_scns;
	interrupt_install();
	code = run_harness_open(&h, &o);
	i = 0;
	if (code == 0 && !h.broken)
		for (; i < nscns && !interrupt_pending(); i++) {
			run_scenario(&h.rc, scns[i], (uint32_t)i);
			stream_line(&h, scns, nscns, i);
		}
	if (code == 0 && interrupt_pending() && !h.broken &&
	    asprintf(&h.broken, "interrupted by %s: %zu of %zu scenarios "
		     "not run", interrupt_name(), nscns - i, nscns) < 0)
		h.broken = NULL;
	if (code == 0 || h.log_open) {
		code = run_harness_finish(&h, scns, nscns);
		if (o.timeline_dir && code != 2)
			draw_timelines(h.logpath, o.timeline_dir);
	} else {
		run_harness_finish(&h, scns, 0);
	}
	profile_free(&prof);
out_scns:
	for (i = 0; i < nscns; i++)
		scn_free(scns[i]);
	free(scns);
	return code;
}
