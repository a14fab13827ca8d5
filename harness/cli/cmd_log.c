/* cli/cmd_log.c - `fusecheck log LOG` prints a saved event log (plain or
 * zstd) one event a line, replies with the opcode of their request. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/fuse.h>
#include "cli/cmd.h"
#include "wire/evfmt.h"
#include "capture/evlog.h"
#include "capture/tap_pending.h"

int cmd_log(int argc, char **argv)
{
	struct evlog_reader r;
	struct fc_event ev;
	struct tap_pending pending;
	char line[4096];
	int rc;

	if (argc != 2 || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		fputs("usage: fusecheck log LOG\n\nPrint a saved event log, "
		      "one event a line.\n", argc == 2 ? stdout : stderr);
		return argc == 2 ? 0 : 2;
	}
	rc = evlog_reader_open(&r, argv[1]);
	if (rc) {
		fprintf(stderr, "fusecheck: cannot read event log '%s': %s\n",
			argv[1], rc == -EPROTO ? "not a fusecheck event log" :
			strerror(-rc));
		return 2;
	}
	if (tap_pending_init(&pending)) {
		evlog_reader_close(&r);
		return 2;
	}
	/* Replies are printed with the opcode of the request they answer. */
	while ((rc = evlog_reader_next(&r, &ev)) > 0) {
		uint32_t op = 0;
		struct fuse_in_header ih;
		struct fuse_out_header oh;

		if (ev.kind == FC_EV_REQUEST && ev.len >= sizeof(ih)) {
			memcpy(&ih, ev.data, sizeof(ih));
			tap_pending_put(&pending, ih.unique, ih.opcode);
		} else if (ev.kind == FC_EV_REPLY && ev.len >= sizeof(oh)) {
			memcpy(&oh, ev.data, sizeof(oh));
			op = tap_pending_take(&pending, oh.unique);
		}
		evfmt_event(&ev, op, line, sizeof(line));
		puts(line);
	}
	tap_pending_fini(&pending);
	evlog_reader_close(&r);
	if (rc < 0) {
		fprintf(stderr, "fusecheck: event log '%s' is damaged\n",
			argv[1]);
		return 2;
	}
	return 0;
}
