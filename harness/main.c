/* main.c - fusecheck's entry point: a table of subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "cli/cmd.h"

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
	{ "vm", cmd_vm, "run the suite on other kernels, each under qemu" },
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

/* What every command needs of the process before it starts. */
static void process_setup(void)
{
	struct rlimit rl;

	/* `fusecheck run | head -1` must not kill us before the reports are
	 * written: a closed stdout is EPIPE, not death (children get the
	 * default back, mount/fsproc.c) */
	signal(SIGPIPE, SIG_IGN);
	/* CI reads one line per scenario as it finishes, not all at the
	 * end */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A low `ulimit -n` is the harness's trouble, never a finding: take
	 * what the hard limit allows (scenarios that still run out are
	 * broken, not failed; scenario/interp.c) */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 65536) {
		struct rlimit want = { 65536, 65536 };

		/* root may raise the hard limit too; others take theirs */
		if (rl.rlim_max > want.rlim_max)
			want.rlim_max = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want)) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
}

int main(int argc, char **argv)
{
	size_t i;

	process_setup();
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
