/* fuzz_evlog.c - libFuzzer target for `fusecheck replay` and `log`: an
 * event log read back from disk is untrusted (damaged, truncated or hand
 * written), and everything in it reaches the checker, the verdicts, the
 * results and the reports.
 *
 * Input: byte 0 bit 0 set prepends the log magic (so the fuzzer spends
 * its time on records), clear feeds the rest as the whole file.  The file
 * lives in a memfd, read through /proc/self/fd like any path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "judge/checker.h"
#include "wire/evfmt.h"
#include "capture/evlog.h"
#include "report/report.h"
#include "report/build.h"
#include "report/result.h"
#include "judge/verdicts.h"

static int log_fd = -1;
static char log_path[64];
static FILE *devnull;

static int setup(void)
{
	if (log_fd >= 0)
		return 0;
	log_fd = memfd_create("fuzz.fclog", 0);
	if (log_fd < 0)
		return -errno;
	snprintf(log_path, sizeof(log_path), "/proc/self/fd/%d", log_fd);
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -errno;
}

static int write_log(const uint8_t *data, size_t size, int magic)
{
	size_t off = 0;

	if (ftruncate(log_fd, 0))
		return -errno;
	if (magic) {
		if (pwrite(log_fd, FC_LOG_MAGIC, 8, 0) != 8)
			return -EIO;
		off = 8;
	}
	if (size && pwrite(log_fd, data, size, (off_t)off) != (ssize_t)size)
		return -EIO;
	return 0;
}

/* Format one event as `fusecheck log` does, replies with the opcode of
 * their request (the reader pairs them). */
static void format_event(const struct evlog_reader *r,
			 const struct fc_event *ev)
{
	static char line[4096];

	evfmt_event(ev, r->req_opcode, line, sizeof(line));
}

/* Feed every record; each payload is copied to an exact allocation freed
 * right after, so ASan catches a read past `len` and a pointer kept into
 * the reader's buffer. */
static void feed(struct evlog_reader *r, struct verdicts *v)
{
	struct fc_event ev;
	void *copy;

	while (evlog_reader_next(r, &ev) > 0) {
		copy = malloc(ev.len ? ev.len : 1);
		if (!copy)
			return;
		if (ev.len)	/* data is NULL for an empty first record */
			memcpy(copy, ev.data, ev.len);
		ev.data = copy;
		format_event(r, &ev);
		verdicts_feed(v, &ev);
		free(copy);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_run_result res = { 0 };
	struct evlog_reader r;
	struct fc_checker *c;
	struct verdicts v;

	if (size < 1 || setup() || write_log(data + 1, size - 1, data[0] & 1))
		return 0;
	if (evlog_reader_open(&r, log_path))
		return 0;
	c = checker_new();
	if (!c)
		goto close_reader;
	if (verdicts_init(&v, c))
		goto free_checker;
	evlog_reader_pair(&r);
	feed(&r, &v);
	if (results_build(&v, NULL, 0, &res) == 0) {
		res.init = *checker_init(c);
		report_human(devnull, &res, 0);
		report_tap(devnull, &res);
		run_result_free(&res);
	}
	verdicts_fini(&v);
free_checker:
	checker_free(c);
close_reader:
	evlog_reader_close(&r);
	return 0;
}
