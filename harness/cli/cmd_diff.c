/* cli/cmd_diff.c - `fusecheck diff BEFORE.json AFTER.json`, or the
 * matrix of three or more reports: the command line around
 * report/diff.c and report/matrix.c. */
#include <stdio.h>
#include <string.h>
#include "cli/cmd.h"
#include "report/report.h"

static const char diff_usage[] =
"usage: fusecheck diff BEFORE.json AFTER.json\n"
"       fusecheck diff REPORT.json REPORT.json REPORT.json...\n"
"\n"
"Two reports: verdicts that changed, violations new and gone per rule,\n"
"and the metadata that explains them (kernel, libfuse, INIT).\n"
"Three or more: a matrix, one column per report (labelled by its kernel\n"
"release), rows marked '*' where the columns differ.\n"
"Exit status: 0 same verdicts, 1 different, 2 unreadable.\n";

int cmd_diff(int argc, char **argv)
{
	int help = argc == 2 && (!strcmp(argv[1], "-h") ||
				 !strcmp(argv[1], "--help"));
	int rc;

	if (help || argc < 3) {
		fputs(diff_usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	if (argc == 3)
		rc = report_diff(stdout, argv[1], argv[2]);
	else
		rc = report_matrix(stdout, NULL, (const char *const *)argv + 1,
				   (size_t)argc - 1);
	return rc < 0 ? 2 : rc;
}
