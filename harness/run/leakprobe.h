/* run/leakprobe.h - a leak probe for any filesystem: run the same
 * create/write/link/stat/readdir/unlink cycle K times through the tap,
 * quiesce after each, and watch the filesystem process's resident memory
 * (/proc/PID/status VmRSS) and open descriptors (/proc/PID/fd).  A
 * filesystem that frees what the cycle made stays flat after the first
 * cycle; one that keeps forgotten inodes (a FORGET counted wrong) grows by
 * about what each cycle wrote.  The verdict is rule LF-LEAK-PROBE. */
#ifndef FC_LEAKPROBE_H
#define FC_LEAKPROBE_H

#include <stddef.h>
#include <sys/types.h>

#define LEAKPROBE_MAX_CYCLES 64

struct leak_sample {
	long rss_kb;           /* VmRSS, -1 when unreadable */
	long fds;              /* entries of /proc/PID/fd, -1 likewise */
};

struct leakprobe_opts {
	unsigned cycles;       /* K, 3..LEAKPROBE_MAX_CYCLES */
	unsigned files;        /* files made and removed per cycle */
	size_t bytes;          /* written to each file */
};

struct leakprobe_result {
	unsigned ncycles;      /* samples taken (one after each cycle) */
	struct leak_sample s[LEAKPROBE_MAX_CYCLES];
	double rss_per_cycle;  /* bytes, mean over cycles 2..K */
	double fds_per_cycle;
	double rss_limit;      /* bytes per cycle above which it fires */
	int judged;            /* enough samples to judge */
	int leaked;            /* LF-LEAK-PROBE fired */
	char verdict[512];     /* one sentence */
};

/* The figures of process pid: 0 or -errno. */
int leakprobe_sample(pid_t pid, struct leak_sample *s);
/* Judge r->s[0..ncycles): fills the rates, limit, leaked and verdict. */
void leakprobe_judge(const struct leakprobe_opts *o,
		     struct leakprobe_result *r);
/* Write r as JSON to path: 0 or -errno. */
int leakprobe_write_json(const char *path, const struct leakprobe_opts *o,
			 const struct leakprobe_result *r);

struct run_opts;
/* The probe's whole run: one mount, lo->cycles cycles, res filled as far
 * as it got.  Returns the run's exit code. */
int leakprobe_run(struct run_opts *o, const struct leakprobe_opts *lo,
		  struct leakprobe_result *res);

#endif
