/* cli/cmd_probe_leaks.c - `fusecheck probe-leaks`: its options, the
 * probe (run/leakprobe.c), and the figures printed and written to
 * leak.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmd.h"
#include "cli/options.h"
#include "run/leakprobe.h"

static const char probe_usage[] =
"usage: fusecheck probe-leaks [OPTIONS]\n"
"\n"
"Run a create/write/link/stat/readdir/unlink cycle K times on one mount\n"
"of the filesystem, quiesce after each, and watch the filesystem\n"
"process's resident memory and open descriptors.  Growth after the first\n"
"cycle above the limit is rule LF-LEAK-PROBE.  Figures go to leak.json\n"
"in the output directory, beside report.json.\n"
"\n"
"  --cycles K                cycles (8; 3 to 64)\n"
"  --files N                 files made and removed per cycle (64)\n"
"  --bytes B                 bytes written to each file (65536)\n"
"\n"
"and every option of 'fusecheck run' that chooses the filesystem and\n"
"the output: --fs, --profile, --attach, --memfs-args, --out, --settle-ms,\n"
"--quiesce-timeout-ms, --request-timeout, --no-color ...\n"
"\n"
"Exit status: 0 no leak and no other violation, 1 violations, 2 could\n"
"not run.\n";

enum { OPT_CYCLES = OPT_OWN, OPT_FILES, OPT_BYTES };

static const struct option probe_longopts[] = {
	{ "cycles", required_argument, NULL, OPT_CYCLES },
	{ "files", required_argument, NULL, OPT_FILES },
	{ "bytes", required_argument, NULL, OPT_BYTES },
	{ NULL, 0, NULL, 0 },
};

/* --cycles K, --files N, --bytes B: each a number in its range. */
static int take_probe_opt(void *arg, int id, const char *value)
{
	static const struct { const char *name; long lo, hi; } range[] = {
		[OPT_CYCLES - OPT_OWN] = { "cycles", 3, LEAKPROBE_MAX_CYCLES },
		[OPT_FILES - OPT_OWN] = { "files", 1, 100000 },
		[OPT_BYTES - OPT_OWN] = { "bytes", 0, 16 << 20 },
	};
	struct leakprobe_opts *lo = arg;
	int k = id - OPT_OWN;
	long v = opt_number(range[k].name, value, range[k].lo, range[k].hi);

	if (v < 0)
		return 2;
	if (id == OPT_CYCLES)
		lo->cycles = (unsigned)v;
	else if (id == OPT_FILES)
		lo->files = (unsigned)v;
	else
		lo->bytes = (size_t)v;
	return 0;
}

static void print_result(const struct leakprobe_opts *o,
			 const struct leakprobe_result *r)
{
	unsigned i;

	printf("leak probe: %u cycles of %u files x %zu bytes\n", o->cycles,
	       o->files, o->bytes);
	for (i = 0; i < r->ncycles; i++)
		printf("  after cycle %-2u VmRSS %8ld kB  fds %ld\n", i + 1,
		       r->s[i].rss_kb, r->s[i].fds);
	printf("%s%s\n", r->leaked ? "LF-LEAK-PROBE " : "", r->verdict);
}

int cmd_probe_leaks(int argc, char **argv)
{
	struct leakprobe_opts lo = { .cycles = 8, .files = 64,
				     .bytes = 65536 };
	struct leakprobe_result res = { 0 };
	struct own_opts own = { probe_longopts, take_probe_opt, &lo };
	struct run_opts o;
	char path[4096];
	int ret, code;

	ret = run_parse_args(argc, argv, &o, probe_usage, &own);
	if (ret >= 0)
		return ret;
	if (o.nscenario_args) {
		fprintf(stderr, "fusecheck: probe-leaks takes no operands, "
			"not '%s'\n", o.scenario_args[0]);
		return 2;
	}
	code = leakprobe_run(&o, &lo, &res);
	/* Nothing to report when it could not run at all. */
	if (code == 2 && !res.ncycles)
		return code;
	print_result(&lo, &res);
	snprintf(path, sizeof(path), "%s/leak.json", o.out_dir);
	ret = leakprobe_write_json(path, &lo, &res);
	if (ret)
		fprintf(stderr, "fusecheck: cannot write '%s': %s\n", path,
			strerror(-ret));
	return code;
}
