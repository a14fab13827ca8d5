/* mklog.c - writes the crafted event log bench/replay feeds to
 * `fusecheck replay`: one connection, one scenario, N LOOKUPs of names in
 * the root, each answered with a new nodeid.
 *
 *   mklog LOG N alive   the N nodeids stay referenced (the ledger's size
 *                       with N alive; no quiesce, so no verdict floods)
 *   mklog LOG N churn   each LOOKUP is forgotten again, then a quiesce:
 *                       balanced, three events a file
 *
 * Written through the harness's own event log (zstd frames unless
 * PLAIN=1 in the environment), so the format is the one `run` writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fuse.h>
#include "capture/evlog.h"

static uint64_t unique;

static void init(struct evlog *log)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} rq = { .h = { .len = sizeof(rq), .opcode = FUSE_INIT, .unique = 1,
			.nodeid = 0 },
		 .in = { .major = 7, .minor = FUSE_KERNEL_MINOR_VERSION } };
	struct {
		struct fuse_out_header h;
		struct fuse_init_out out;
	} rp = { .h = { .len = sizeof(rp), .unique = 1 },
		 .out = { .major = 7, .minor = 31, .max_write = 32768 } };

	evlog_emit(log, FC_EV_REQUEST, &rq, sizeof(rq), 0);
	evlog_emit(log, FC_EV_REPLY, &rp, sizeof(rp), 0);
	unique = 2;
}

static void lookup(struct evlog *log, uint64_t nodeid)
{
	struct {
		struct fuse_in_header h;
		char name[24];
	} rq;
	struct {
		struct fuse_out_header h;
		struct fuse_entry_out e;
	} rp;
	int n;

	memset(&rq, 0, sizeof(rq));
	n = snprintf(rq.name, sizeof(rq.name), "f%llu",
		     (unsigned long long)nodeid);
	rq.h.len = (uint32_t)(sizeof(rq.h) + (size_t)n + 1);
	rq.h.opcode = FUSE_LOOKUP;
	rq.h.unique = unique;
	rq.h.nodeid = FUSE_ROOT_ID;
	rq.h.pid = 100;
	memset(&rp, 0, sizeof(rp));
	rp.h.len = sizeof(rp);
	rp.h.unique = unique;
	rp.e.nodeid = nodeid;
	rp.e.attr.ino = nodeid;
	rp.e.attr.mode = S_IFREG | 0644;
	rp.e.attr.nlink = 1;
	evlog_emit(log, FC_EV_REQUEST, &rq, rq.h.len, 0);
	evlog_emit(log, FC_EV_REPLY, &rp, sizeof(rp), 0);
	unique += 2;
}

static void forget(struct evlog *log, uint64_t nodeid)
{
	struct {
		struct fuse_in_header h;
		struct fuse_forget_in f;
	} rq = { .h = { .len = sizeof(rq), .opcode = FUSE_FORGET,
			.unique = unique, .nodeid = nodeid },
		 .f = { .nlookup = 1 } };

	evlog_emit(log, FC_EV_REQUEST, &rq, sizeof(rq), 0);
	unique += 2;
}

static void scenario(struct evlog *log, uint32_t phase)
{
	struct {
		struct fc_ev_scenario s;
		char text[16];
	} ev = { .s = { .phase = phase } };

	memcpy(ev.text, "mklog.scn\0", 11);
	evlog_emit(log, FC_EV_SCENARIO, &ev, sizeof(ev), 0);
}

int main(int argc, char **argv)
{
	struct {
		struct fc_ev_mount m;
		char cmd[8];
	} mount = { .m = { .conn = 1 }, .cmd = "mklog" };
	struct fc_ev_quiesce q = {
		.method = FC_QUIESCE_NOTIFY, .settled = 1, .full = 1,
	};
	struct evlog log;
	unsigned long long n, i;
	int churn;

	if (argc != 4 || (strcmp(argv[3], "alive") && strcmp(argv[3], "churn"))) {
		fprintf(stderr, "usage: mklog LOG N alive|churn\n");
		return 2;
	}
	n = strtoull(argv[2], NULL, 10);
	churn = !strcmp(argv[3], "churn");
	if (evlog_open(&log, argv[1], !getenv("PLAIN"))) {
		perror(argv[1]);
		return 2;
	}
	evlog_emit(&log, FC_EV_MOUNT, &mount, sizeof(mount), 0);
	scenario(&log, FC_SCN_BEGIN);
	init(&log);
	for (i = 0; i < n; i++) {
		lookup(&log, i + 2);
		if (churn)
			forget(&log, i + 2);
	}
	if (churn)
		evlog_emit(&log, FC_EV_QUIESCE, &q, sizeof(q), 0);
	scenario(&log, FC_SCN_END);
	evlog_emit(&log, FC_EV_UNMOUNT, NULL, 0, 0);
	if (evlog_close(&log)) {
		fprintf(stderr, "mklog: cannot write %s\n", argv[1]);
		return 2;
	}
	printf("events %llu\n", (unsigned long long)log.seq);
	return 0;
}
