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

/* Take --cycles/--files/--bytes out of argv; -1 go on, else exit code. */
static int take_own_opts(int *argc, char **argv, struct leakprobe_opts *o)
{
	static const struct { const char *name; long lo, hi; } opts[] = {
		{ "--cycles", 3, LEAKPROBE_MAX_CYCLES },
		{ "--files", 1, 100000 },
		{ "--bytes", 0, 16 << 20 },
	};
	char *end;
	long v;
	int i;
	size_t k;

	for (i = 1; i < *argc; i++) {
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(argv[i], opts[k].name))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			continue;
		errno = 0;
		v = i + 1 < *argc ? strtol(argv[i + 1], &end, 10) : -1;
		if (i + 1 >= *argc || errno || *end || v < opts[k].lo ||
		    v > opts[k].hi) {
			fprintf(stderr, "fusecheck: %s takes a number from %ld "
				"to %ld\n", opts[k].name, opts[k].lo,
				opts[k].hi);
			return 2;
		}
		if (k == 0)
			o->cycles = (unsigned)v;
		else if (k == 1)
			o->files = (unsigned)v;
		else
			o->bytes = (size_t)v;
		memmove(&argv[i], &argv[i + 2],
			(size_t)(*argc - i - 1) * sizeof(*argv));
		*argc -= 2;
		i--;
	}
	return -1;
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
	struct run_opts o;
	char path[4096];
	int ret, code;

	ret = take_own_opts(&argc, argv, &lo);
	if (ret >= 0)
		return ret;
	ret = run_parse_args(argc, argv, &o, probe_usage);
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
