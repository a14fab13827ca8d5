/* cli/cmd.h - the subcommands of fusecheck, one function each. */
#ifndef FC_CMD_H
#define FC_CMD_H

#include "report/result.h"

int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_probe_leaks(int argc, char **argv);
int cmd_vm(int argc, char **argv);

/* Print the summary (or TAP), write report.json into out_dir (if not
 * NULL) and JUnit (if junit); returns the exit code of the run. */
int cmd_report(const struct fc_run_result *r, const char *out_dir,
	       const char *junit, int tap, int color);

#endif
