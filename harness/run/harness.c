/* run/harness.c - the harness around the bodies a run executes: the
 * private mount namespace and mountpoint, the event log and the judge,
 * the capability probe, the profile, and the reports at the end. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <fuse_lowlevel.h>
#include "wire/proto.h"
#include "util/strlist.h"
#include "mount/attach.h"
#include "mount/guardian.h"
#include "mount/interrupt.h"
#include "run/harness.h"
#include "run/known.h"
#include "mount/mount.h"
#include "util/paths.h"
#include "mount/caps.h"
#include "report/report.h"
#include "report/build.h"
#include "judge/verdicts.h"

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
		strv_free(argv);
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
	size_t k, n = 0;

	uname(&u);
	r->kernel_release = strdup(u.release);
	r->libfuse_version = strdup(fuse_pkgversion());
	r->fs_cmd = strdup(fs_cmd);
	r->reference_fs = reference;
	r->caps = calloc(SCN_NREQ + 1, sizeof(*r->caps));
	for (k = 0; r->caps && k < SCN_NREQ; k++)
		if (caps & (1u << k) && (r->caps[n] = strdup(scn_req_name(k))))
			n++;
	r->quiesce_method = strdup(method ? method : "none");
	r->log_path = log_path ? strdup(log_path) : NULL;
	r->init = *checker_init(c);
	checker_lc_stats(c, &r->lc);
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
	int ret, k;

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
	ret = evlog_open(&h->log, h->logpath, !o->plain_log);
	if (ret) {
		fprintf(stderr, "fusecheck: cannot write '%s': %s\n",
			h->logpath, strerror(-ret));
		return 2;
	}
	h->log_open = 1;
	evlog_set_sink(&h->log, verdicts_sink, &h->v);
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
	h->rc.relay_spin_us = o->relay_spin_us;
	h->rc.quiesce.settle_ms = o->settle_ms;
	h->rc.quiesce.how = o->quiesce_how;
	quiesce_set_how(o->quiesce_how);
	h->rc.quiesce.timeout_ms = o->quiesce_timeout_ms;
	h->rc.request_timeout_ms = o->request_timeout_s * 1000u;
	h->rc.time_scale = o->time_scale ? o->time_scale : 1;
	h->rc.fs_as_user = o->fs_as_user;
	h->rc.fs_host_pidns = o->fs_pidns == 2;
	h->rc.fs_uid = o->fs_uid;
	h->rc.fs_gid = o->fs_gid;
	h->rc.log = &h->log;
	h->rc.judge = h->checker;
	h->rc.prof = o->prof;

	/* helpers the shim must stand in for besides fusermount[3] */
	for (k = 0; o->prof && k < o->prof->nhelpers; k++)
		attach_add_helper(o->prof->helpers[k]);
	if (o->fs_cmd)
		attach_detect_helpers(o->fs_cmd);

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

/* One run-level note in the report (a lost note loses no verdict). */
static void add_note(struct fc_run_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_note(struct fc_run_result *r, const char *fmt, ...)
{
	char **nn = realloc(r->notes, (r->nnotes + 1) * sizeof(*nn));
	va_list ap;

	if (!nn)
		return;
	r->notes = nn;
	va_start(ap, fmt);
	if (vasprintf(&r->notes[r->nnotes], fmt, ap) >= 0)
		r->nnotes++;
	va_end(ap);
}

/* Say in the report that the tap changed the negotiation. */
static void note_init_set(struct fc_run_result *r, uint64_t flags)
{
	char *names;

	if (!flags || !(names = proto_init_flag_names(flags)))
		return;
	add_note(r, "the tap added INIT flags %s to the filesystem's INIT "
		 "reply where the kernel offered them (--init-set)", names);
	free(names);
}

/* The filesystem renumbers what the kernel forgot: a property, said
 * once, and why identity checks across a quiesce were not judged. */
static void note_unstable_ino(struct fc_run_result *r,
			      const struct run_ctx *rc)
{
	if (rc->caps & SCN_REQ_STABLE_INO)
		return;
	add_note(r, "st_ino is not stable: a file's inode number changed "
		 "once the kernel had forgotten it (a high-level libfuse "
		 "filesystem without -o use_ino does this); %u ino=@TAG "
		 "checks across a quiesce saw another number and were not "
		 "judged (EX-INO-STABLE)", rc->ino_unjudged);
}

/* Reference-ledger statements run where there is such a ledger; said
 * once, so that a pass elsewhere is not read as more than it is. */
static void note_ledger_unjudged(struct fc_run_result *r,
				 const struct run_ctx *rc)
{
	if (!rc->ledger_unjudged)
		return;
	add_note(r, "the filesystem has no reference ledger: %u alive, freed "
		 "and fscounts statements were not judged (they need the "
		 "filesystem's own lookup counts; the wire rules were)",
		 rc->ledger_unjudged);
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
			note_unstable_ino(&res, &h->rc);
			note_ledger_unjudged(&res, &h->rc);
			if (known_apply(h->rc.prof, &res))
				fprintf(stderr, "fusecheck: out of memory "
					"applying the profile's known "
					"deviations\n");
			clock_gettime(CLOCK_MONOTONIC, &t1);
			res.seconds = (double)(t1.tv_sec - h->t0.tv_sec) +
				      (double)(t1.tv_nsec - h->t0.tv_nsec) / 1e9;
			res.attach = strdup(attach_name(h->rc.attach));
			res.fs_pidns = strdup(h->rc.fs_host_pidns ? "host" :
					      "own");
			res.time_scale = h->rc.time_scale;
			if (h->rc.fs_libfuse[0])
				res.fs_libfuse = strdup(h->rc.fs_libfuse);
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
	if (!o->fs_pidns)
		o->fs_pidns = p->pidns;
	o->prof = p;
	return 0;
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
		run_on_fresh_mount(&h.rc, b, 0);
	if (code == 0 || h.log_open)
		code = run_harness_finish(&h, NULL, 0);
	else
		run_harness_finish(&h, NULL, 0);
	profile_free(&prof);
	return code;
}

