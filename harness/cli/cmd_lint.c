/* cli/cmd_lint.c - `fusecheck lint` parses scenarios and says what is
 * wrong. */
#include <stdio.h>
#include <string.h>
#include "util/strlist.h"
#include "cli/cmd.h"
#include "run/paths.h"
#include "report/report.h"
#include "scenario/scn.h"

int cmd_lint(int argc, char **argv)
{
	char **files, err[600];
	size_t n, i;
	struct scn *s;
	struct scn_error perr;
	int bad = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		fputs("usage: fusecheck lint SCENARIO|DIR...\n\nParse scenario "
		      "files; print file:line:col for each error.\nExit "
		      "status: 0 all parse, 2 otherwise.\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
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
		scn_free(s);
	}
	printf("%zu scenario files, %d with errors\n", n, bad);
	strv_free(files);
	return bad ? 2 : 0;
}
