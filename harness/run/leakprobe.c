/* run/leakprobe.c - the leak probe behind `fusecheck probe-leaks`
 * (cli/cmd_probe_leaks.c): the same workload cycle K times
 * on one mount, a full quiesce after each, and the filesystem process's
 * VmRSS and descriptor count sampled after each quiesce.  The first cycle
 * is the baseline (threads, buffers and caches the filesystem makes once);
 * what grows steadily after it is a leak.  See docs/selftest.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "mount/interrupt.h"
#include "mount/quiesce.h"
#include "mount/session.h"
#include "run/leakprobe.h"
#include "run/harness.h"

/* The limits, and why (docs/selftest.md):
 * - memory: a filesystem that keeps every inode the cycle made keeps at
 *   least the data written, files * bytes per cycle.  A quarter of it
 *   leaves room for allocator slack (freed chunks not given back, arenas
 *   of threads started late) while still catching a leak of the data;
 *   256 KiB is the floor so a tiny workload is not judged on noise.
 * - descriptors: a filesystem that opens one per file and never closes
 *   it grows by `files` per cycle; half a descriptor per cycle (one
 *   leaked every second cycle) is already a steady leak. */
#define RSS_FLOOR (256.0 * 1024)
#define RSS_FRACTION 0.25
#define FDS_LIMIT 0.5

struct probe_arg {
	const struct leakprobe_opts *o;
	struct leakprobe_result *r;
	char *buf;
};

int leakprobe_sample(pid_t pid, struct leak_sample *s)
{
	char path[64], line[256];
	struct dirent *de;
	FILE *f;
	DIR *d;

	s->rss_kb = -1;
	s->fds = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &s->rss_kb) == 1)
			break;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	s->fds = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			s->fds++;
	closedir(d);
	return s->rss_kb < 0 ? -ENODATA : 0;
}

void leakprobe_judge(const struct leakprobe_opts *o,
		     struct leakprobe_result *r)
{
	const struct leak_sample *first = &r->s[0];
	const struct leak_sample *last = &r->s[r->ncycles - 1];
	double span = (double)r->ncycles - 1;
	double written = (double)o->files * (double)o->bytes;

	r->rss_limit = written * RSS_FRACTION;
	if (r->rss_limit < RSS_FLOOR)
		r->rss_limit = RSS_FLOOR;
	r->judged = r->ncycles >= 3 && first->rss_kb >= 0 &&
		    last->rss_kb >= 0 && first->fds >= 0 && last->fds >= 0;
	r->leaked = 0;
	if (!r->judged) {
		snprintf(r->verdict, sizeof(r->verdict), "not judged: %u of "
			 "%u cycles sampled", r->ncycles, o->cycles);
		return;
	}
	r->rss_per_cycle = (double)(last->rss_kb - first->rss_kb) * 1024 /
			   span;
	r->fds_per_cycle = (double)(last->fds - first->fds) / span;
	r->leaked = r->rss_per_cycle > r->rss_limit ||
		    r->fds_per_cycle >= FDS_LIMIT;
	snprintf(r->verdict, sizeof(r->verdict),
		 "%s: resident memory %+.0f bytes and %+.2f descriptors per "
		 "cycle over %u cycles after the first (limits %.0f bytes, "
		 "%.1f descriptors; each cycle wrote %.0f bytes)",
		 r->leaked ? "leak" : "no leak", r->rss_per_cycle,
		 r->fds_per_cycle, r->ncycles - 1, r->rss_limit, FDS_LIMIT,
		 written);
}

/* One cycle in dir.  A failing call is the filesystem's verdict, given
 * as an expectation that did not hold; link may be unsupported. */
static int cycle(struct run_ctx *rc, const char *dir, unsigned c,
		 const struct leakprobe_opts *o, const char *buf)
{
	char a[4096], b[4096 + 8], msg[4400];
	struct stat st;
	unsigned i;
	DIR *d;
	int fd;

	for (i = 0; i < o->files; i++) {
		snprintf(a, sizeof(a), "%s/leak-%u-%u", dir, c, i);
		snprintf(b, sizeof(b), "%s.link", a);
		fd = open(a, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			goto out_fail;
		if (write(fd, buf, o->bytes) != (ssize_t)o->bytes) {
			close(fd);
			goto out_fail;
		}
		close(fd);
		(void)link(a, b);   /* a second entry for the same inode */
		if (stat(a, &st) < 0)
			goto out_fail;
	}
	/* READDIRPLUS hands out one more reference per entry */
	d = opendir(dir);
	if (d) {
		while (readdir(d))
			;
		closedir(d);
	}
	for (i = 0; i < o->files; i++) {
		snprintf(a, sizeof(a), "%s/leak-%u-%u", dir, c, i);
		snprintf(b, sizeof(b), "%s.link", a);
		(void)unlink(b);
		if (unlink(a) < 0)
			goto out_fail;
	}
	return 0;

out_fail:
	snprintf(msg, sizeof(msg), "leak probe cycle %u: '%s': %s", c + 1, a,
		 strerror(errno));
	run_emit_expect(rc->log, 0, "SCN-EXPECT", msg);
	return -EIO;
}

static int probe_body(struct run_ctx *rc, struct session *sess,
		      const char *dir, void *arg, char *reason,
		      size_t reason_len, uint32_t *status)
{
	struct probe_arg *pa = arg;
	struct leakprobe_result *r = pa->r;
	uint32_t method;
	unsigned c;
	int ret;

	for (c = 0; c < pa->o->cycles && !interrupt_pending(); c++) {
		if (cycle(rc, dir, c, pa->o, pa->buf))
			break;
		ret = quiesce_run(sess, &rc->quiesce, c + 1, 1, &method);
		if (ret || !session_healthy(sess)) {
			snprintf(reason, reason_len, "leak probe: the quiesce "
				 "after cycle %u failed", c + 1);
			*status = FC_SCN_ST_BROKEN;
			break;
		}
		if (leakprobe_sample(fsproc_main_pid(&sess->fs),
				     &r->s[c]) < 0) {
			snprintf(reason, reason_len, "leak probe: cannot read "
				 "/proc/%ld of the filesystem",
				 (long)fsproc_main_pid(&sess->fs));
			*status = FC_SCN_ST_BROKEN;
			break;
		}
		r->ncycles = c + 1;
	}
	if (!r->ncycles)
		return 0;
	leakprobe_judge(pa->o, r);
	if (r->leaked)
		run_emit_expect(rc->log, 0, "LF-LEAK-PROBE", r->verdict);
	return 0;
}

int leakprobe_write_json(const char *path, const struct leakprobe_opts *o,
			 const struct leakprobe_result *r)
{
	json_t *doc, *samples = json_array();
	unsigned i;
	int ret = -ENOMEM;

	for (i = 0; samples && i < r->ncycles; i++)
		if (json_array_append_new(samples,
					  json_pack("{s:I, s:I}", "rss_kb",
						    (json_int_t)r->s[i].rss_kb,
						    "fds",
						    (json_int_t)r->s[i].fds)))
			goto out_samples;
	/* json_pack takes the array's reference (o), even on failure */
	doc = samples ? json_pack("{s:s, s:i, s:i, s:I, s:b, s:b, s:f, s:f, "
				  "s:f, s:f, s:o, s:s}",
				  "schema", "fusecheck-leak-probe",
				  "cycles", (int)o->cycles,
				  "files", (int)o->files,
				  "bytes", (json_int_t)o->bytes,
				  "judged", r->judged, "leaked", r->leaked,
				  "rss_bytes_per_cycle", r->rss_per_cycle,
				  "fds_per_cycle", r->fds_per_cycle,
				  "rss_limit_bytes", r->rss_limit,
				  "fds_limit", FDS_LIMIT,
				  "samples", samples, "verdict", r->verdict)
			: NULL;
	if (!doc)
		return -ENOMEM;
	ret = json_dump_file(doc, path, JSON_INDENT(2)) ? -EIO : 0;
	json_decref(doc);
	return ret;
out_samples:
	json_decref(samples);
	return ret;
}

int leakprobe_run(struct run_opts *o, const struct leakprobe_opts *lo,
		  struct leakprobe_result *res)
{
	struct probe_arg pa = { .o = lo, .r = res };
	struct run_body b = {
		.file = "probe-leaks", .name = "probe-leaks",
		.timeout_s = 600, .fn = probe_body, .arg = &pa,
	};
	int code;

	pa.buf = malloc(lo->bytes ? lo->bytes : 1);
	if (!pa.buf)
		return 2;
	memset(pa.buf, 'L', lo->bytes);
	snprintf(res->verdict, sizeof(res->verdict),
		 "not judged: no cycle ran");
	code = run_one_body(o, &b);
	free(pa.buf);
	return code;
}
