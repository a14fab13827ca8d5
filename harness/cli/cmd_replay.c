/* cli/cmd_replay.c - `fusecheck replay LOG` feeds a saved event log through
 * the same checker as a live run and reports the same verdicts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmd.h"
#include "capture/evlog.h"
#include "report/report.h"
#include "report/build.h"
#include "judge/verdicts.h"

static const char replay_usage[] =
"usage: fusecheck replay [OPTIONS] LOG\n"
"\n"
"Re-check a saved event log (events.fclog from 'fusecheck run') offline\n"
"with the same checker, and report as 'run' does.\n"
"\n"
"  --json FILE   also write report.json to FILE\n"
"  --junit FILE  also write JUnit XML\n"
"  --tap         print TAP 13 instead of the human summary\n"
"  --no-color    never use colors\n"
"  -h, --help    this text\n"
"\n"
"Exit status: 0 no violations, 1 violations, 2 the log cannot be read.\n";

/* Events read but not yet judged: the checker is told of each as it is
 * read (checker_prefetch) and judges it LOOKAHEAD events later, by
 * when the index slots it needs are in the cache (about twice as fast
 * at a million nodeids: bench/replay).  Only events up to AHEAD_MAX
 * bytes are copied to wait there; a larger one (a READ's data, a big
 * READDIR) is judged from the reader's buffer after those before it,
 * so a log of huge records holds no more than it did without. */
#define LOOKAHEAD 16
#define AHEAD_MAX (64u << 10)

struct ahead {
	struct fc_event ev;
	void *buf;
	size_t cap;
};

/* Copy ev (its data is the reader's until the next read) into a. */
static int ahead_keep(struct ahead *a, const struct fc_event *ev)
{
	if (ev->len > a->cap) {
		void *nb = realloc(a->buf, ev->len);

		if (!nb)
			return -ENOMEM;
		a->buf = nb;
		a->cap = ev->len;
	}
	a->ev = *ev;
	if (ev->len)
		memcpy(a->buf, ev->data, ev->len);
	a->ev.data = a->buf;
	return 0;
}

/* Judge the held events, oldest first. */
static void ahead_flush(struct verdicts *v, struct ahead *ring, size_t next,
			size_t *held)
{
	size_t i;

	for (i = 0; i < *held; i++)
		verdicts_feed(v, &ring[(next + LOOKAHEAD - *held + i) %
				       LOOKAHEAD].ev);
	*held = 0;
}

static int read_log(const char *path, struct verdicts *v)
{
	struct ahead ring[LOOKAHEAD] = { 0 };
	struct evlog_reader r;
	struct fc_event ev;
	size_t next = 0, held = 0, i;
	int rc;

	rc = evlog_reader_open(&r, path);
	if (rc) {
		fprintf(stderr, "fusecheck: cannot read event log '%s': %s\n",
			path, rc == -EPROTO ? "not a fusecheck event log" :
			strerror(-rc));
		return 2;
	}
	evlog_reader_read_ahead(&r);	/* or read as it goes: the same */
	while ((rc = evlog_reader_next(&r, &ev)) > 0) {
		struct ahead *a = &ring[next];

		if (ev.len > AHEAD_MAX) {
			ahead_flush(v, ring, next, &held);
			verdicts_feed(v, &ev);
			continue;
		}
		if (held == LOOKAHEAD) {
			verdicts_feed(v, &a->ev);	/* the oldest */
			held--;
		}
		rc = ahead_keep(a, &ev);
		if (rc)
			break;
		held++;
		checker_prefetch(v->checker, &a->ev);
		next = (next + 1) % LOOKAHEAD;
	}
	/* the rest; after a damaged record too, as before */
	ahead_flush(v, ring, next, &held);
	for (i = 0; i < LOOKAHEAD; i++)
		free(ring[i].buf);
	if (rc < 0) {
		char why[256];

		fprintf(stderr, "fusecheck: event log '%s' is %s\n", path,
			evlog_reader_why(&r, rc, why, sizeof(why)));
	}
	evlog_reader_close(&r);
	return rc < 0 ? 2 : 0;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'u' },
		{ "tap", no_argument, NULL, 't' },
		{ "no-color", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL, *junit = NULL;
	struct fc_run_result res = { 0 };
	struct fc_checker *c;
	struct verdicts v;
	int tap = 0, color = -1, opt, code;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = optarg; break;
		case 'u': junit = optarg; break;
		case 't': tap = 1; break;
		case 'n': color = 0; break;
		case 'h': fputs(replay_usage, stdout); return 0;
		default:
			fputs("fusecheck: try 'fusecheck replay --help'\n",
			      stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs(replay_usage, stderr);
		return 2;
	}
	c = checker_new();
	if (!c)
		return 2;
	verdicts_init(&v, c);
	code = read_log(argv[optind], &v);
	if (code)
		goto out;
	code = 2;
	if (results_build(&v, NULL, 0, &res))
		goto out;
	res.log_path = strdup(argv[optind]);
	res.init = *checker_init(c);
	checker_lc_stats(c, &res.lc);
	res.quiesce_method = strdup("as logged");
	code = cmd_report(&res, NULL, junit, tap, color);
	if (json && report_json(json, &res)) {
		fprintf(stderr, "fusecheck: cannot write '%s'\n", json);
		code = 2;
	}
	run_result_free(&res);
out:
	verdicts_fini(&v);
	checker_free(c);
	return code;
}
