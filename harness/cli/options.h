/* cli/options.h - the options `run`, `exec` and `probe-leaks` share,
 * and each command's own options beside them: one getopt_long table per
 * command, the shared rows plus its own. */
#ifndef FC_CLI_OPTIONS_H
#define FC_CLI_OPTIONS_H

#include <getopt.h>
#include "run/harness.h"

/* A command's own options: rows whose ids are OPT_OWN or above, and the
 * function that takes one (0, or an exit code with a message printed). */
#define OPT_OWN 1024
struct own_opts {
	const struct option *longopts;   /* ends with a row of zeros */
	int (*take)(void *arg, int id, const char *value);
	void *arg;
};

/* Parse argv into o (defaults first) and own's options into own->arg;
 * own may be NULL.  -1: go on; otherwise the exit code (help printed,
 * or bad option). */
int run_parse_args(int argc, char **argv, struct run_opts *o,
		   const char *usage, const struct own_opts *own);

/* The number in s, from lo to hi, or -1 with "--OPT takes a number from
 * lo to hi" printed. */
long opt_number(const char *opt, const char *s, long lo, long hi);

#endif
