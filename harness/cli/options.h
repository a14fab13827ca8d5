/* cli/options.h - the options `run`, `exec` and `probe-leaks` share. */
#ifndef FC_CLI_OPTIONS_H
#define FC_CLI_OPTIONS_H

#include "run/harness.h"

/* -1: go on; otherwise the exit code (help printed, or bad option). */
int run_parse_args(int argc, char **argv, struct run_opts *o,
		   const char *usage);

#endif
