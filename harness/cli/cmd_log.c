/* cli/cmd_log.c - `fusecheck log LOG` prints a saved event log (plain or
 * zstd) one event a line, replies with the opcode of their request. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/cmd.h"
#include "wire/evfmt.h"
#include "capture/evlog.h"

int cmd_log(int argc, char **argv)
{
	struct evlog_reader r;
	struct fc_event ev;
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
	evlog_reader_read_ahead(&r);	/* or read as it goes: the same */
	/* Replies are printed with the opcode of the request they answer. */
	evlog_reader_pair(&r);
	while ((rc = evlog_reader_next(&r, &ev)) > 0) {
		evfmt_event(&ev, r.req_opcode, line, sizeof(line));
		puts(line);
	}
	if (rc < 0)
		fprintf(stderr, "fusecheck: event log '%s' is %s\n", argv[1],
			evlog_reader_why(&r, rc, line, sizeof(line)));
	evlog_reader_close(&r);
	return rc < 0 ? 2 : 0;
}
