/* main.c - fusecheck's entry point: a table of subcommands. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "mount a filesystem behind the tap and check it" },
	{ "exec", cmd_exec, "run any program against the tapped mount" },
	{ "replay", cmd_replay, "re-check a saved event log offline" },
	{ "log", cmd_log, "print a saved event log, one event a line" },
	{ "lint", cmd_lint, "parse scenario files and report errors" },
	{ "diff", cmd_diff, "compare two report.json files" },
	{ "selftest", cmd_selftest, "prove every planted memfs fault is "
	  "caught" },
	{ "probe-leaks", cmd_probe_leaks, "watch a filesystem's memory and fds "
	  "over repeated cycles" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: fusecheck COMMAND [OPTIONS]\n\n"
	      "Verifies the inode-lifecycle contract between the Linux kernel\n"
	      "and a FUSE filesystem: lookup counts, deferred removal, and\n"
	      "the rules behind them (docs/rules.md).\n\ncommands:\n", out);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\n'fusecheck COMMAND --help' describes each.\n", out);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		puts("fusecheck " FC_VERSION);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "fusecheck: '%s' is not a command\n", argv[1]);
	usage(stderr);
	return 2;
}
