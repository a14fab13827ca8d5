/* cli/cmd_selftest.c - `fusecheck selftest`: prove that fusecheck still
 * catches every fault planted in memfs.  The fault table is memfs's own
 * (`memfs --list-faults`): for each fault, `fusecheck run` over the
 * scenarios the table names must fail with the expected rule (or break
 * with the expected cause); a fault no longer caught is a "known breakage
 * vanished" (git t/README).  memfs without faults must show no violation,
 * and the leak probe must be silent on it and fire on forget-by-one.
 * Every run is a child `fusecheck run` (its own namespace, output
 * directory and report.json), so one crash cannot take the rest along. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include "util/strlist.h"
#include "cli/cmd.h"
#include "util/paths.h"

static const char selftest_usage[] =
"usage: fusecheck selftest [--out DIR] [--only FAULT,...] [--repeat N]\n"
"                          [--expect-override FAULT=EXPECT[@SCN,...]]...\n"
"\n"
"Run the bundled memfs once per planted fault (memfs --list-faults) over\n"
"the scenarios its table row names, and require that each is caught: the\n"
"expected rule among the violations, or the run broken with the expected\n"
"cause.  Also: memfs without faults over the same scenarios must show no\n"
"violation, and the leak probe (probe-leaks) must be silent on memfs and\n"
"fire on memfs --fault=forget-by-one.\n"
"\n"
"  --out DIR                 where each run's output and selftest.json go\n"
"                            (fusecheck-selftest)\n"
"  --only FAULT[,FAULT...]   only these faults; the clean run covers their\n"
"                            scenarios; 'leak-probe' selects the leak checks\n"
"  --repeat N                run each fault (and the clean control) N times\n"
"                            (1..1000, default 1): a fault counts as caught\n"
"                            only when every run caught it, the control as\n"
"                            clean only when every run was (a flaky gate is\n"
"                            no gate); runs go to DIR/NAME/K\n"
"  --expect-override FAULT=EXPECT[@SCN,...]\n"
"                            replace a row's expectation (a rule id or\n"
"                            broken:CAUSE) and optionally its scenarios\n"
"  -h, --help                this text\n"
"\n"
"Exit status: 0 every fault caught, the clean run clean and the leak\n"
"probe right; 1 otherwise; 2 fusecheck or memfs could not run.\n";

struct fault {
	char *name, *expect, *imitates, *description, *scenarios, *with;
	/* outcome */
	const char *status;    /* "caught", "missed", "xfail", "error" */
	unsigned runs, caught_runs;
	json_t *fired;         /* distinct rule ids, in order */
	char *broken;          /* the run's or a scenario's broken reason */
	int code;              /* exit code of its run */
};

struct selftest {
	const char *out;
	const char *only;
	unsigned repeat;       /* runs of each fault and of the control */
	char self[4096], memfs[4096];
	struct fault *f;
	size_t nf;
};

/* ---- the fault table, from memfs ------------------------------------- */

static char *field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');

	if (t) {
		*t = '\0';
		*p = t + 1;
	} else {
		*p = s + strlen(s);
	}
	return strdup(s);
}

static int load_table(struct selftest *st)
{
	char cmd[4200], *line = NULL, *p;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int ws;

	snprintf(cmd, sizeof(cmd), "'%s' --list-faults", st->memfs);
	f = popen(cmd, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct fault *nf = realloc(st->f, (st->nf + 1) * sizeof(*nf));

		if (!nf)
			break;
		st->f = nf;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		p = line;
		memset(&nf[st->nf], 0, sizeof(*nf));
		nf[st->nf].name = field(&p);
		nf[st->nf].expect = field(&p);
		nf[st->nf].imitates = field(&p);
		nf[st->nf].description = field(&p);
		nf[st->nf].scenarios = field(&p);
		nf[st->nf].with = field(&p);
		st->nf++;
	}
	free(line);
	ws = pclose(f);
	if (ws == -1 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !st->nf)
		return -EPROTO;
	return 0;
}

static struct fault *fault_find(struct selftest *st, const char *name,
				size_t len)
{
	size_t i;

	for (i = 0; i < st->nf; i++)
		if (strlen(st->f[i].name) == len &&
		    !strncmp(st->f[i].name, name, len))
			return &st->f[i];
	return NULL;
}

/* FAULT=EXPECT[@SCN,...] */
static int override(struct selftest *st, const char *arg)
{
	const char *eq = strchr(arg, '='), *at;
	struct fault *f;

	if (!eq || !(f = fault_find(st, arg, (size_t)(eq - arg)))) {
		fprintf(stderr, "fusecheck: --expect-override '%s' names no "
			"fault of 'memfs --list-faults'\n", arg);
		return 2;
	}
	at = strchr(eq, '@');
	free(f->expect);
	f->expect = at ? strndup(eq + 1, (size_t)(at - eq - 1)) :
			 strdup(eq + 1);
	if (at) {
		free(f->scenarios);
		f->scenarios = strdup(at + 1);
	}
	return 0;
}

/* ---- one child fusecheck --------------------------------------------- */

/* Run `fusecheck ARGS...` with its output in dir/output.txt; its exit
 * code, or -errno when it could not be started. */
static int child(const char *self, char *const *args, const char *dir)
{
	char path[4200];
	pid_t pid;
	int fd, ws;

	snprintf(path, sizeof(path), "%s/output.txt", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fd);
		return -errno;
	}
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(self, args);
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(ws))
		return -ECHILD;
	return WEXITSTATUS(ws) == 127 ? -ENOEXEC : WEXITSTATUS(ws);
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fusecheck: cannot create directory '%s': %s\n",
			dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/* `fusecheck run` with memfs planted with `faults` (space separated
 * --fault= options, "" none) over `scns` (comma list, "" all); its
 * report in dir/report.json. */
static int run_memfs(struct selftest *st, const char *dir, const char *scns,
		     const char *memfs_args)
{
	char *args[16];
	int n = 0;

	if (make_dir(dir))
		return -EIO;
	args[n++] = "fusecheck";
	args[n++] = "run";
	args[n++] = "--no-color";
	args[n++] = "--out";
	args[n++] = (char *)dir;
	if (*scns) {
		args[n++] = "--only";
		args[n++] = (char *)scns;
	}
	if (*memfs_args) {
		args[n++] = "--memfs-args";
		args[n++] = (char *)memfs_args;
	}
	args[n] = NULL;
	return child(st->self, args, dir);
}

/* The distinct rule ids of report.json in dir, and the first broken
 * reason (run or scenario).  0, or -errno when there is no report. */
static int read_report(const char *dir, json_t **fired, char **broken,
		       size_t *nviol)
{
	char path[4200];
	json_t *r, *s, *v, *b;
	size_t i, j, k;
	int dup;

	snprintf(path, sizeof(path), "%s/report.json", dir);
	r = json_load_file(path, 0, NULL);
	if (!r)
		return -ENOENT;
	*fired = json_array();
	*broken = NULL;
	*nviol = 0;
	b = json_object_get(json_object_get(r, "run"), "broken");
	if (json_is_string(b))
		*broken = strdup(json_string_value(b));
	json_array_foreach(json_object_get(r, "scenarios"), i, s) {
		b = json_object_get(s, "reason");
		if (!*broken && json_is_string(b) &&
		    !strcmp(json_string_value(json_object_get(s, "status")),
			    "broken"))
			*broken = strdup(json_string_value(b));
		json_array_foreach(json_object_get(s, "violations"), j, v) {
			json_t *id = json_object_get(v, "rule"), *x;

			(*nviol)++;
			dup = 0;
			json_array_foreach(*fired, k, x)
				dup |= json_equal(x, id);
			if (!dup && json_is_string(id))
				json_array_append(*fired, id);
		}
	}
	json_decref(r);
	return 0;
}

static void print_fired(FILE *out, json_t *fired)
{
	size_t i;
	json_t *x;

	if (!json_array_size(fired)) {
		fputs("none", out);
		return;
	}
	json_array_foreach(fired, i, x)
		fprintf(out, "%s%s", i ? " " : "", json_string_value(x));
}

/* ---- judging --------------------------------------------------------- */

static int fired_has(json_t *fired, const char *rule)
{
	size_t i;
	json_t *x;

	json_array_foreach(fired, i, x)
		if (!strcmp(json_string_value(x), rule))
			return 1;
	return 0;
}

/* Where run k (from 1) of `name` goes: DIR/NAME, or DIR/NAME/K when the
 * runs repeat.  0 or -EIO. */
static int run_dir(const struct selftest *st, const char *name, unsigned k,
		   char *dir, size_t size)
{
	snprintf(dir, size, "%s/%s", st->out, name);
	if (st->repeat <= 1)
		return 0;
	if (make_dir(dir))
		return -EIO;
	snprintf(dir + strlen(dir), size - strlen(dir), "/%u", k);
	return 0;
}

/* One run of fault f: 1 caught, 0 missed, -EIO no report.  f->fired and
 * f->broken keep the latest missed run's (else the latest run's). */
static int fault_once(struct selftest *st, struct fault *f, const char *args,
		      unsigned k)
{
	char dir[4200], *broken = NULL;
	json_t *fired = NULL;
	size_t nviol;
	int caught;

	if (run_dir(st, f->name, k, dir, sizeof(dir)))
		return -EIO;
	f->code = run_memfs(st, dir, f->scenarios, args);
	if (f->code < 0 || read_report(dir, &fired, &broken, &nviol)) {
		printf("ERROR   %-24s no report (see %s/output.txt)\n",
		       f->name, dir);
		return -EIO;
	}
	if (!strncmp(f->expect, "broken:", 7))
		caught = broken && strstr(broken, f->expect + 7);
	else
		caught = fired_has(fired, f->expect);
	if (!caught || !f->fired || f->caught_runs == f->runs) {
		json_decref(f->fired);
		free(f->broken);
		f->fired = fired;
		f->broken = broken;
	} else {
		json_decref(fired);
		free(broken);
	}
	return caught;
}

/* Run one fault (st->repeat times) and judge it: 0, or -errno when it
 * could not run. */
static int test_fault(struct selftest *st, struct fault *f)
{
	char args[1024], *w, *save, *with;
	int caught, rc;
	unsigned k;

	snprintf(args, sizeof(args), "--fault=%s", f->name);
	with = strdup(f->with);
	for (w = strtok_r(with, ",", &save); w; w = strtok_r(NULL, ",", &save))
		snprintf(args + strlen(args), sizeof(args) - strlen(args),
			 " --fault=%s", w);
	free(with);
	for (k = 1; k <= st->repeat; k++) {
		rc = fault_once(st, f, args, k);
		if (rc < 0) {
			f->status = "error";
			return -EIO;
		}
		f->runs++;
		f->caught_runs += (unsigned)rc;
	}
	caught = f->caught_runs == f->runs;
	f->status = caught ? "caught" : "missed";
	printf("%-7s %-24s expected %s", caught ? "CAUGHT" : "MISSED",
	       f->name, f->expect);
	if (st->repeat > 1)
		printf(" (%u/%u runs)", f->caught_runs, f->runs);
	printf("; fired: ");
	print_fired(stdout, f->fired);
	if (f->broken)
		printf("; broken: %.120s", f->broken);
	putchar('\n');
	if (!caught && !f->caught_runs)
		fprintf(stderr, "fusecheck: detection lost: fault "
			"'%s' was not caught by %s%s (scenarios: %s)\n",
			f->name, strncmp(f->expect, "broken:", 7) ? "rule " :
			"", f->expect, *f->scenarios ? f->scenarios : "all");
	else if (!caught)
		fprintf(stderr, "fusecheck: flaky detection: fault '%s' was "
			"caught in %u of %u runs by %s%s (scenarios: %s)\n",
			f->name, f->caught_runs, f->runs,
			strncmp(f->expect, "broken:", 7) ? "rule " : "",
			f->expect, *f->scenarios ? f->scenarios : "all");
	fflush(stdout);
	return 0;
}

/* The union of the selected faults' scenarios, "" for all. */
static char *clean_scenarios(struct selftest *st)
{
	size_t i, n = 1;
	char *out, *tmp, *s, *save;

	if (!st->only)
		return strdup("");
	for (i = 0; i < st->nf; i++)
		n += strlen(st->f[i].scenarios) + 1;
	out = calloc(1, n);
	if (!out)
		return NULL;
	for (i = 0; i < st->nf; i++) {
		if (!str_in_comma_list(st->only, st->f[i].name) ||
		    !strncmp(st->f[i].expect, "xfail:", 6))
			continue;
		tmp = strdup(st->f[i].scenarios);
		for (s = strtok_r(tmp, ",", &save); s;
		     s = strtok_r(NULL, ",", &save)) {
			if (str_in_comma_list(out, s) && *out)
				continue;
			if (*out)
				strcat(out, ",");
			strcat(out, s);
		}
		free(tmp);
	}
	return out;
}

/* probe-leaks against memfs with `memfs_args`: 1 leaked, 0 not,
 * -errno could not run. */
static int leak_probe(struct selftest *st, const char *name,
		      const char *memfs_args, json_t **res)
{
	char dir[4200], path[4300];
	char *args[8];
	int n = 0, code;

	snprintf(dir, sizeof(dir), "%s/%s", st->out, name);
	if (make_dir(dir))
		return -EIO;
	args[n++] = "fusecheck";
	args[n++] = "probe-leaks";
	args[n++] = "--no-color";
	args[n++] = "--out";
	args[n++] = dir;
	if (*memfs_args) {
		args[n++] = "--memfs-args";
		args[n++] = (char *)memfs_args;
	}
	args[n] = NULL;
	code = child(st->self, args, dir);
	snprintf(path, sizeof(path), "%s/leak.json", dir);
	*res = json_load_file(path, 0, NULL);
	if (code < 0 || code == 2 || !*res ||
	    !json_is_true(json_object_get(*res, "judged")))
		return -EIO;
	return json_is_true(json_object_get(*res, "leaked"));
}

static json_t *fault_json(const struct fault *f)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s?, s:i, "
			 "s:i, s:i}",
			 "name", f->name, "expect", f->expect,
			 "imitates", f->imitates,
			 "description", f->description,
			 "scenarios", f->scenarios, "with", f->with,
			 "status", f->status ? f->status : "not run",
			 "fired", f->fired ? json_incref(f->fired) :
					     json_array(),
			 "broken", f->broken, "exit_code", f->code,
			 "runs", (int)f->runs, "caught_runs",
			 (int)f->caught_runs);
}

static int parse_args(int argc, char **argv, struct selftest *st,
		      const char ***ov, size_t *nov)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "expect-override", required_argument, NULL, 'e' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': st->out = optarg; break;
		case 'O': st->only = optarg; break;
		case 'r': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (*end || end == optarg || n < 1 || n > 1000) {
				fprintf(stderr, "fusecheck: --repeat takes 1 "
					"to 1000, not '%s'\n", optarg);
				return 2;
			}
			st->repeat = (unsigned)n;
			break;
		}
		case 'e':
			(*ov)[(*nov)++] = optarg;
			break;
		case 'h':
			fputs(selftest_usage, stdout);
			return 0;
		default:
			fputs("fusecheck: try 'fusecheck selftest --help'\n",
			      stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fusecheck: selftest takes no operands, not "
			"'%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

int cmd_selftest(int argc, char **argv)
{
	struct selftest st = { .out = "fusecheck-selftest", .repeat = 1 };
	const char **ov = calloc((size_t)argc + 1, sizeof(*ov));
	size_t nov = 0, i, caught = 0, total = 0, nviol = 0;
	json_t *doc = NULL, *faults, *leak_clean = NULL, *leak_bad = NULL;
	json_t *clean_fired = NULL;
	char path[4200], *scns = NULL, *clean_broken = NULL;
	int code = 2, ret, clean_code = -1, lc = -1, lb = -1, could = 1;
	int leak = 0;

	if (!ov)
		return 2;
	ret = parse_args(argc, argv, &st, &ov, &nov);
	if (ret >= 0) {
		free(ov);
		return ret;
	}
	if (readlink("/proc/self/exe", st.self, sizeof(st.self) - 1) < 0 ||
	    paths_memfs(st.memfs, sizeof(st.memfs))) {
		fputs("fusecheck: cannot find fusecheck itself or the bundled "
		      "memfs (set FUSECHECK_MEMFS)\n", stderr);
		goto out;
	}
	ret = load_table(&st);
	if (ret) {
		fprintf(stderr, "fusecheck: cannot read the fault table of "
			"'%s --list-faults'\n", st.memfs);
		goto out;
	}
	for (i = 0; i < nov; i++)
		if (override(&st, ov[i]))
			goto out;
	if (st.only) {
		char *tmp = strdup(st.only), *s, *save;

		for (s = strtok_r(tmp, ",", &save); s;
		     s = strtok_r(NULL, ",", &save))
			if (strcmp(s, "leak-probe") &&
			    !fault_find(&st, s, strlen(s))) {
				fprintf(stderr, "fusecheck: --only '%s' names "
					"no fault of 'memfs --list-faults'\n",
					s);
				free(tmp);
				goto out;
			}
		free(tmp);
	}
	if (make_dir(st.out))
		goto out;

	for (i = 0; i < st.nf; i++) {
		struct fault *f = &st.f[i];

		if (!str_in_comma_list(st.only, f->name))
			continue;
		if (!strncmp(f->expect, "xfail:", 6)) {
			f->status = "xfail";
			printf("XFAIL   %-24s not counted: %s\n", f->name,
			       f->expect + 6);
			continue;
		}
		total++;
		if (test_fault(&st, f))
			could = 0;
		else if (!strcmp(f->status, "caught"))
			caught++;
	}

	/* the control: memfs without faults over the same scenarios */
	scns = clean_scenarios(&st);
	if (scns && (!st.only || *scns)) {
		unsigned k, dirty = 0;

		for (k = 1; k <= st.repeat && could; k++) {
			json_t *fired = NULL;
			char *broken = NULL;
			size_t nv = 0;
			int cc;

			if (run_dir(&st, "clean", k, path, sizeof(path)) ||
			    (cc = run_memfs(&st, path, scns, "")) < 0 ||
			    read_report(path, &fired, &broken, &nv)) {
				printf("ERROR   clean memfs: no report (see "
				       "%s/output.txt)\n", path);
				could = 0;
				break;
			}
			/* the first dirty run is the one shown */
			if ((nv || broken || cc) && !dirty++) {
				json_decref(clean_fired);
				free(clean_broken);
				clean_fired = fired;
				clean_broken = broken;
				clean_code = cc;
			} else if (!clean_fired) {
				clean_fired = fired;
				clean_broken = broken;
				clean_code = cc;
			} else {
				json_decref(fired);
				free(broken);
			}
			nviol += nv;
		}
		if (could) {
			printf("%-7s clean memfs: %zu violations%s%s",
			       dirty ? "DIRTY" : "CLEAN", nviol,
			       clean_broken ? "; broken: " : "",
			       clean_broken ? clean_broken : "");
			if (st.repeat > 1)
				printf(" (%u/%u runs dirty)", dirty, st.repeat);
			printf("; fired: ");
			print_fired(stdout, clean_fired);
			putchar('\n');
			if (clean_broken)
				could = 0;
		}
	}

	/* the leak probe: silent on memfs, fires on forget-by-one */
	if (!st.only || str_in_comma_list(st.only, "leak-probe")) {
		lc = leak_probe(&st, "leak-clean", "", &leak_clean);
		lb = leak_probe(&st, "leak-forget-by-one",
				"--fault=forget-by-one", &leak_bad);
		printf("%-7s leak probe on memfs: %s\n",
		       lc == 0 ? "SILENT" : lc > 0 ? "FIRED" : "ERROR",
		       leak_clean ? json_string_value(json_object_get(
				leak_clean, "verdict")) : "no leak.json");
		printf("%-7s leak probe on memfs --fault=forget-by-one: %s\n",
		       lb == 1 ? "CAUGHT" : lb == 0 ? "MISSED" : "ERROR",
		       leak_bad ? json_string_value(json_object_get(
				leak_bad, "verdict")) : "no leak.json");
		if (lb == 0)
			fputs("fusecheck: detection lost: fault "
			      "'forget-by-one' was not caught by rule "
			      "LF-LEAK-PROBE\n", stderr);
		if (lc < 0 || lb < 0)
			could = 0;
		leak = 1;
	}

	printf("detection score: %zu/%zu\n", caught, total);
	if (!could)
		code = 2;
	else if (caught == total &&
		 (clean_code == -1 || (clean_code == 0 && !nviol)) &&
		 (!leak || (lc == 0 && lb == 1)))
		code = 0;
	else
		code = 1;

	faults = json_array();
	for (i = 0; i < st.nf; i++)
		if (str_in_comma_list(st.only, st.f[i].name))
			json_array_append_new(faults, fault_json(&st.f[i]));
	doc = json_pack("{s:s, s:i, s:{s:i, s:i}, s:o, s:{s:s, s:i, s:i, "
			"s:o, s:s?}, s:{s:O?, s:O?}, s:i}",
			"schema", "fusecheck-selftest", "schema_version", 1,
			"score", "caught", (int)caught, "total", (int)total,
			"faults", faults,
			"clean", "scenarios", scns ? scns : "",
			"exit_code", clean_code, "violations", (int)nviol,
			"fired", clean_fired ? json_incref(clean_fired) :
					       json_array(),
			"broken", clean_broken,
			"leak_probe", "clean", leak_clean,
			"forget_by_one", leak_bad,
			"exit_code", code);
	snprintf(path, sizeof(path), "%s/selftest.json", st.out);
	if (!doc || json_dump_file(doc, path, JSON_INDENT(2)))
		fprintf(stderr, "fusecheck: cannot write '%s'\n", path);
out:
	json_decref(doc);
	json_decref(clean_fired);
	json_decref(leak_clean);
	json_decref(leak_bad);
	for (i = 0; i < st.nf; i++) {
		free(st.f[i].name);
		free(st.f[i].expect);
		free(st.f[i].imitates);
		free(st.f[i].description);
		free(st.f[i].scenarios);
		free(st.f[i].with);
		free(st.f[i].broken);
		json_decref(st.f[i].fired);
	}
	free(st.f);
	free(scns);
	free(clean_broken);
	free(ov);
	return code;
}
