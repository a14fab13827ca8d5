/* cli/cmd_run.c - `fusecheck run`: parse the options, load and check
 * every scenario before anything is mounted, then run each on a fresh
 * mount inside the run's harness (run/harness.c), printing each
 * scenario's line as it ends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/strlist.h"
#include "cli/cmd.h"
#include "mount/interrupt.h"
#include "util/paths.h"
#include "report/report.h"
#include "report/build.h"
#include "report/timeline.h"

#include "cli/options.h"

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
"  --fs-pidns own|host       own (default): the filesystem runs in a pid\n"
"                            namespace of its own, and all it forks ends\n"
"                            with the mount; host: in fusecheck's, for a\n"
"                            filesystem that must see its callers' pids\n"
"                            (lxcfs); a daemon it forks may outlive it\n"
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
"  --relay-spin-us N         after traffic the tap looks for more this long\n"
"                            before it sleeps (default 100; 0 sleeps at\n"
"                            once: slower, no CPU spent waiting)\n"
"  --init-set FLAG[,FLAG]    add INIT flags the kernel offered to the\n"
"                            filesystem's INIT reply (e.g. PARALLEL_DIROPS,\n"
"                            which libfuse 3.14 never sends); reported\n"
"  --quiesce auto|prune|notify|drop-caches  how a quiesce evicts: prune\n"
"                            (FUSE_NOTIFY_PRUNE of every nodeid the\n"
"                            kernel holds; FUSE 7.45, Linux 6.18, else\n"
"                            notify), notify (FUSE_NOTIFY_INVAL_ENTRY of\n"
"                            every name the tap saw; both this mount\n"
"                            only, no privilege) or drop-caches (every\n"
"                            filesystem on the host; root); auto\n"
"                            (default): prune or notify, then\n"
"                            drop-caches where references remain and it\n"
"                            may\n"
"  --settle-ms N             extra quiet time after the quiesce\n"
"                            barrier (0: none, the default)\n"
"  --quiesce-timeout-ms N    longest wait for a quiesce (10000)\n"
"  --request-timeout S       break the scenario when a request waits\n"
"                            S seconds for its reply (30; 0: never)\n"
"  --repeat N                run every scenario N times (1-1000): the\n"
"                            report counts how each run ended, the worst\n"
"                            speaks for the scenario, and a verdict that\n"
"                            came and went is named flaky\n"
"  --libfuse DIR             run memfs and the filesystem against the\n"
"                            libfuse3.so.3 in DIR (an install prefix or\n"
"                            its lib directory), for before/after runs\n"
"  --time-scale N            multiply every timeout by N (1-100), for a\n"
"                            slow machine such as an emulated guest\n"
"  --color / --no-color      force colors on or off\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 every scenario passed or was skipped, 1 violations,\n"
"2 fusecheck could not run (bad input, mount failure, filesystem\n"
"crashed or hung, or fusecheck was interrupted by SIGINT/SIGTERM).\n";

/* --repeat N: the list N times over, the same scenarios each time (the
 * first nscns own them).  0 or -ENOMEM. */
static int repeat_list(struct scn ***scns, size_t *n, size_t *nown,
		       unsigned times)
{
	struct scn **all = realloc(*scns, *n * times * sizeof(*all));
	size_t k;

	if (!all) {
		fputs("fusecheck: out of memory for --repeat\n", stderr);
		return -ENOMEM;
	}
	for (k = *n; k < *n * times; k++)
		all[k] = all[k % *n];
	*scns = all;
	*nown = *n;
	*n *= times;
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
		strv_free(files);
		return 2;
	}
	for (i = 0; i < nfiles; i++) {
		rc = scn_parse_file(files[i], &s, &perr);
		if (rc) {
			scn_error_format(&perr, err, sizeof(err));
			fprintf(stderr, "fusecheck: %s\n", err);
			goto out_fail;
		}
		if (!str_in_comma_list(o->only, scn_name(s))) {
			scn_free(s);
			continue;
		}
		list[n++] = s;
	}
	strv_free(files);
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
	strv_free(files);
	return 2;
}

/* --timeline: drawn from the closed log; a failure here is reported but
 * does not change the verdict. */
static void draw_timelines(const char *log_path, const char *dir)
{
	char err[600];

	if (timeline_write(log_path, dir, err, sizeof(err)))
		fprintf(stderr, "fusecheck: %s\n", err);
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
	size_t nscns = 0, nown, i;
	int ret, code;

	ret = run_parse_args(argc, argv, &o, run_usage, NULL);
	if (ret >= 0)
		return ret;
	if (load_scenarios(&o, &scns, &nscns))
		return 2;
	nown = nscns;
	code = run_profile_open(&o, &prof);
	if (code)
		goto out_scns;
	if (o.repeat > 1 && repeat_list(&scns, &nscns, &nown, o.repeat)) {
		code = 2;
		goto out_scns;
	}
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
	/* a repeated list holds each scenario `repeat` times: free once */
	for (i = 0; i < nown; i++)
		scn_free(scns[i]);
	free(scns);
	return code;
}
