/* cli/cmd_lint.c - `fusecheck lint` parses scenarios and says what is
 * wrong; with --table it prints the scenarios' headers as the markdown
 * table of scenarios/README.md, which a test compares with the file. */
#include <stdio.h>
#include <string.h>
#include "util/strlist.h"
#include "cli/cmd.h"
#include "util/paths.h"
#include "report/report.h"
#include "scenario/scn.h"

/* Markdown table cell text: '|' would end the cell. */
static void put_cell(const char *s)
{
	for (; *s; s++)
		printf(*s == '|' ? "\\|" : "%c", *s);
}

/* One row of the table: name, what it shows, rules, what it requires
 * besides what its statements imply (quiesce: drop-caches; alive and
 * freed: refledger). */
static void table_row(const struct scn *s)
{
	unsigned shown = scn_requires(s) &
			 ~(unsigned)(SCN_REQ_DROP_CACHES | SCN_REQ_REFLEDGER);
	char reqs[256];
	size_t k;

	printf("| `%s` | ", scn_name(s));
	put_cell(scn_description(s));
	printf(" |");
	for (k = 0; k < scn_nrules(s); k++)
		printf(" %s", scn_rule(s, k));
	printf(" | %s |\n", scn_req_list(shown, reqs, sizeof(reqs)));
}

int cmd_lint(int argc, char **argv)
{
	char **files, err[600];
	size_t n, i;
	struct scn *s;
	struct scn_error perr;
	int bad = 0, table = 0;

	if (argc >= 2 && !strcmp(argv[1], "--table")) {
		table = 1;
		argv++;
		argc--;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		fputs("usage: fusecheck lint [--table] SCENARIO|DIR...\n\n"
		      "Parse scenario files; print file:line:col for each "
		      "error.\n  --table  print the scenarios as the table "
		      "of scenarios/README.md\nExit status: 0 all parse, 2 "
		      "otherwise.\n", argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (table)
		printf("| scenario | shows | rules | requires |\n"
		       "| --- | --- | --- | --- |\n");
	if (paths_scenario_files(argv + 1, (size_t)(argc - 1), &files, &n, err,
				 sizeof(err))) {
		fprintf(stderr, "fusecheck: %s\n", err);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (scn_parse_file(files[i], &s, &perr)) {
			scn_error_format(&perr, err, sizeof(err));
			fprintf(stderr, "%s\n", err);
			bad++;
			continue;
		}
		if (table)
			table_row(s);
		scn_free(s);
	}
	if (!table)
		printf("%zu scenario files, %d with errors\n", n, bad);
	strv_free(files);
	return bad ? 2 : 0;
}
