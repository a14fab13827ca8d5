/* cli/cmd_diff.c - `fusecheck diff BEFORE.json AFTER.json`: the command
 * line around report/diff.c. */
#include <stdio.h>
#include <string.h>
#include "cli/cmd.h"
#include "report/report.h"

int cmd_diff(int argc, char **argv)
{
	int rc;

	if (argc != 3) {
		fputs("usage: fusecheck diff BEFORE.json AFTER.json\n\nCompare "
		      "two report.json files: verdicts that changed,\n"
		      "violations new and gone per rule, metadata.\nExit "
		      "status: 0 same verdicts, 1 different, 2 unreadable.\n",
		      argc == 2 && (!strcmp(argv[1], "-h") ||
				    !strcmp(argv[1], "--help")) ? stdout :
							       stderr);
		return argc == 2 && (!strcmp(argv[1], "-h") ||
				     !strcmp(argv[1], "--help")) ? 0 : 2;
	}
	rc = report_diff(stdout, argv[1], argv[2]);
	return rc < 0 ? 2 : rc;
}
