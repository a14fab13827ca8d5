/* cli/cmd_exec.c - `fusecheck exec -- PROGRAM ARGS...`: run any program
 * against the filesystem behind the tap, then quiesce and judge the
 * ledger as for a scenario.  The program finds the working directory in
 * $FUSECHECK_DIR, and every "{dir}" in its arguments is replaced by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli/cmd.h"
#include "mount/fsproc.h"
#include "mount/interrupt.h"
#include "cli/options.h"
#include "mount/session.h"

static const char exec_usage[] =
"usage: fusecheck exec [OPTIONS] -- PROGRAM [ARGS...]\n"
"\n"
"Mount the filesystem behind the tap, run PROGRAM against it, then\n"
"quiesce and check every lookup-count rule, as for a scenario.  PROGRAM\n"
"runs with FUSECHECK_DIR set to a fresh working directory on the mount;\n"
"'{dir}' in ARGS is replaced by it.  A PROGRAM that exits non-zero is a\n"
"failed expectation.\n"
"\n"
"Options are those of 'fusecheck run' (--fs, --profile, --attach, --out,\n"
"--memfs-args, --max-pages, --reply-delay-us, --relay-spin-us, --settle-ms,\n"
"--quiesce-timeout-ms, --junit, --tap, --color, --no-color), plus:\n"
"  --timeout S    give PROGRAM at most S seconds (default 600)\n"
"\n"
"Exit status: 0 PROGRAM succeeded and every rule held, 1 violations or\n"
"PROGRAM failed, 2 fusecheck could not run.\n";

struct exec_arg {
	char **argv;
	unsigned timeout_s;
	const char *dir;
};

/* in the program's process, before exec */
static int set_dir(void *arg)
{
	const struct exec_arg *ea = arg;

	return setenv("FUSECHECK_DIR", ea->dir, 1) ? -errno : 0;
}

static char *subst_dir(const char *arg, const char *dir)
{
	const char *p = strstr(arg, "{dir}");
	size_t n;
	char *out;

	if (!p)
		return strdup(arg);
	n = strlen(arg) + strlen(dir);
	out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s%s%s", (int)(p - arg), arg, dir, p + 5);
	return out;
}

/* Run the program to its end; its failure is an expectation that did
 * not hold. */
static int exec_body(struct run_ctx *rc, struct session *sess,
		     const char *dir, void *arg, char *reason,
		     size_t reason_len, uint32_t *status)
{
	struct exec_arg *ea = arg;
	char **argv, msg[512];
	struct fsproc p;
	size_t n, i;
	long waited;
	int ws, ended;

	for (n = 0; ea->argv[n]; n++)
		;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!(argv[i] = subst_dir(ea->argv[i], dir)))
			goto out_free;
	ea->dir = dir;
	if (fsproc_spawn_hook(&p, argv, NULL, 0, -1, 0, set_dir, ea, msg,
			      sizeof(msg))) {
		snprintf(reason, reason_len, "%s", msg);
		*status = FC_SCN_ST_BROKEN;
		goto out_free;
	}
	/* the program's own end, its deadline, an interrupt, or a session
	 * that broke (the filesystem died): whichever comes first */
	for (waited = 0; !fsproc_wait(&p, 50); waited += 50) {
		if (interrupt_pending() || !session_healthy(sess))
			break;
		if (waited >= (long)ea->timeout_s * 1000) {
			snprintf(reason, reason_len, "'%s' did not finish "
				 "within %u s (--timeout): ended", argv[0],
				 ea->timeout_s);
			*status = FC_SCN_ST_BROKEN;
			break;
		}
	}
	ended = p.reaped;
	ws = p.status;
	/* whatever it left running (a background job holding a file in
	 * the mount would pin an inode and be blamed on the filesystem)
	 * ends with it, before the quiesce */
	fsproc_end(&p, 500);
	if (!ended || *status == FC_SCN_ST_BROKEN) {
		/* timed out, interrupted or broken: said elsewhere */
	} else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) {
		snprintf(reason, reason_len, "cannot run '%s'", argv[0]);
		*status = FC_SCN_ST_BROKEN;
	} else if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		if (WIFEXITED(ws))
			snprintf(msg, sizeof(msg), "'%s' exited with status "
				 "%d", argv[0], WEXITSTATUS(ws));
		else
			snprintf(msg, sizeof(msg), "'%s' was killed by "
				 "signal %d", argv[0], WTERMSIG(ws));
		run_emit_expect(rc->log, 0, "SCN-EXPECT", msg);
	}
out_free:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return 0;
}

enum { OPT_TIMEOUT = OPT_OWN };

static const struct option exec_longopts[] = {
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/* --timeout S: the body's deadline. */
static int take_exec_opt(void *arg, int id, const char *value)
{
	struct run_body *b = arg;
	long v = opt_number("timeout", value, 1, 86400);

	(void)id;
	if (v < 0)
		return 2;
	b->timeout_s = (unsigned)v;
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct run_opts o;
	struct exec_arg ea;
	struct run_body b = {
		.file = "exec", .name = "exec", .timeout_s = 600,
		.fn = exec_body, .arg = &ea,
	};
	struct own_opts own = { exec_longopts, take_exec_opt, &b };
	int ret;

	ret = run_parse_args(argc, argv, &o, exec_usage, &own);
	if (ret >= 0)
		return ret;
	if (!o.nscenario_args) {
		fputs("fusecheck: exec needs a program: fusecheck exec -- "
		      "PROGRAM [ARGS...]\n", stderr);
		return 2;
	}
	ea.argv = o.scenario_args;
	ea.timeout_s = b.timeout_s;
	return run_one_body(&o, &b);
}
