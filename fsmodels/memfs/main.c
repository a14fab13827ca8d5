/* main.c - memfs command line, INIT negotiation and the session loop.
 * The mountpoint (last argument) is usually /dev/fd/N, an already open
 * fuse connection handed over by fusecheck (libfuse fuse_session_mount
 * accepts it via fuse_mnt_parse_fuse_fd); a real directory also works. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memfs.h"
#include "faults.h"

enum {
	OPT_CONTROL_FD = 256,
	OPT_LOG,
	OPT_NO_READDIRPLUS,
	OPT_READDIRPLUS_ALWAYS,
	OPT_WRITEBACK,
	OPT_NO_PARALLEL_DIROPS,
	OPT_ENTRY_TIMEOUT,
	OPT_ATTR_TIMEOUT,
	OPT_DELAY_MS,
	OPT_THREADS,
	OPT_SINGLE,
	OPT_DEBUG,
	OPT_FAULT,
	OPT_LIST_FAULTS,
	OPT_HELP,
	OPT_RENUMBER_INO,
	OPT_NAMEMAX,
};

static const struct option long_opts[] = {
    {"control-fd", required_argument, NULL, OPT_CONTROL_FD},
    {"log", required_argument, NULL, OPT_LOG},
    {"no-readdirplus", no_argument, NULL, OPT_NO_READDIRPLUS},
    {"readdirplus-always", no_argument, NULL, OPT_READDIRPLUS_ALWAYS},
    {"writeback", no_argument, NULL, OPT_WRITEBACK},
    {"no-parallel-dirops", no_argument, NULL, OPT_NO_PARALLEL_DIROPS},
    {"entry-timeout", required_argument, NULL, OPT_ENTRY_TIMEOUT},
    {"attr-timeout", required_argument, NULL, OPT_ATTR_TIMEOUT},
    {"delay-ms", required_argument, NULL, OPT_DELAY_MS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"single", no_argument, NULL, OPT_SINGLE},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"renumber-ino", no_argument, NULL, OPT_RENUMBER_INO},
    {"namemax", required_argument, NULL, OPT_NAMEMAX},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"list-faults", no_argument, NULL, OPT_LIST_FAULTS},
    {"help", no_argument, NULL, OPT_HELP},
    {0}};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: memfs [options] MOUNTPOINT|/dev/fd/N\n"
	    "  --control-fd=N        SOCK_SEQPACKET control channel\n"
	    "  --log=FILE            append the lookup-count log to FILE\n"
	    "  --no-readdirplus      do not offer READDIRPLUS\n"
	    "  --readdirplus-always  READDIRPLUS for every directory read (no _AUTO)\n"
	    "  --writeback           enable the writeback cache\n"
	    "  --no-parallel-dirops  clear FUSE_CAP_PARALLEL_DIROPS\n"
	    "  --entry-timeout=SEC   entry timeout (default 1.0)\n"
	    "  --attr-timeout=SEC    attribute timeout (default 1.0)\n"
	    "  --delay-ms=N          hold every reply N ms (outside the lock)\n"
	    "  --threads=N           max idle threads of the mt loop\n"
	    "  --single              single-threaded session loop\n"
	    "  --debug               libfuse debug output (-d)\n"
	    "  --renumber-ino        a new st_ino each time the kernel forgot an\n"
	    "                        inode, as high-level libfuse without\n"
	    "                        -o use_ino (a common deviation, which\n"
	    "                        fusecheck reports as a property)\n"
	    "  --namemax=N           longest name, declared in statfs and\n"
	    "                        enforced (1..255, default 255)\n"
	    "  --list-faults         print the fault table, tab-separated:\n"
	    "                        name expect class description scenarios"
	    " with\n"
	    "  --fault=NAME          plant a fault (repeatable):\n");
	memfs_fault_list(out);
}

static int parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < 0)
		return -EINVAL;
	return 0;
}

static int parse_uint(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < 0 || *out > max)
		return -EINVAL;
	return 0;
}

static int bad_value(const char *opt, const char *val)
{
	fprintf(stderr, "memfs: invalid value '%s' for '--%s'\n", val, opt);
	return -EINVAL;
}

/* 0, 1 for --help, or -EINVAL after saying what was wrong */
static int parse_opts(int argc, char **argv, struct memfs_opts *o)
{
	long v;
	int c;

	*o = (struct memfs_opts){.control_fd = -1,
				 .entry_timeout = 1.0,
				 .attr_timeout = 1.0,
				 .threads = -1,
				 .namemax = MEMFS_NAME_MAX};
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		const char *name = optind > 1 ? argv[optind - 1] : "?";

		switch (c) {
		case OPT_CONTROL_FD:
			if (parse_uint(optarg, INT_MAX, &v) ||
			    fcntl((int)v, F_GETFD) == -1)
				return bad_value("control-fd", optarg);
			o->control_fd = (int)v;
			break;
		case OPT_LOG:
			o->log_path = optarg;
			break;
		case OPT_NO_READDIRPLUS:
			o->no_readdirplus = true;
			break;
		case OPT_READDIRPLUS_ALWAYS:
			o->readdirplus_always = true;
			break;
		case OPT_WRITEBACK:
			o->writeback = true;
			break;
		case OPT_NO_PARALLEL_DIROPS:
			o->no_parallel_dirops = true;
			break;
		case OPT_ENTRY_TIMEOUT:
			if (parse_double(optarg, &o->entry_timeout))
				return bad_value("entry-timeout", optarg);
			break;
		case OPT_ATTR_TIMEOUT:
			if (parse_double(optarg, &o->attr_timeout))
				return bad_value("attr-timeout", optarg);
			break;
		case OPT_DELAY_MS:
			if (parse_uint(optarg, 600000, &v))
				return bad_value("delay-ms", optarg);
			o->delay_ms = (unsigned)v;
			break;
		case OPT_THREADS:
			if (parse_uint(optarg, 100000, &v) || v == 0)
				return bad_value("threads", optarg);
			o->threads = (int)v;
			break;
		case OPT_SINGLE:
			o->single = true;
			break;
		case OPT_DEBUG:
			o->debug = true;
			break;
		case OPT_RENUMBER_INO:
			o->renumber_ino = true;
			break;
		case OPT_NAMEMAX:
			if (parse_uint(optarg, MEMFS_NAME_MAX, &v) || v == 0)
				return bad_value("namemax", optarg);
			o->namemax = (unsigned)v;
			break;
		case OPT_FAULT:
			if (memfs_fault_enable(optarg)) {
				fprintf(stderr,
					"memfs: unknown fault '%s'; known:\n",
					optarg);
				memfs_fault_list(stderr);
				return -EINVAL;
			}
			break;
		case OPT_LIST_FAULTS:
			/* machine-readable, for `fusecheck selftest` */
			memfs_fault_table(stdout);
			return 1;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "memfs: unknown option '%s'\n", name);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, optind >= argc ? "memfs: missing mountpoint\n"
					       : "memfs: too many arguments\n");
		return -EINVAL;
	}
	o->mountpoint = argv[optind];
	return 0;
}

static void memfs_init(void *userdata, struct fuse_conn_info *conn)
{
	/* libfuse has already set its defaults in conn->want, among them
	 * FUSE_CAP_PARALLEL_DIROPS and READDIRPLUS(_AUTO) */
	if (memfs.opts.no_readdirplus)
		conn->want &=
		    ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	/* without _AUTO the kernel asks READDIRPLUS for every read, not
	 * only the first of a directory (fs/fuse/readdir.c) */
	if (memfs.opts.readdirplus_always)
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	if (memfs.opts.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	if (memfs.opts.no_parallel_dirops)
		conn->want &= ~FUSE_CAP_PARALLEL_DIROPS;
	/* every nodeid stays answerable while its inode lives, so a file
	 * handle can be opened after the kernel forgot it: the kernel then
	 * asks LOOKUP "." (and ".." up a directory's path) */
	if (conn->capable & FUSE_CAP_EXPORT_SUPPORT)
		conn->want |= FUSE_CAP_EXPORT_SUPPORT;
	memfs_log("init proto=%u.%u capable=0x%x want=0x%x", conn->proto_major,
		  conn->proto_minor, conn->capable, conn->want);
}

static void memfs_destroy(void *userdata)
{
	memfs_log("destroy");
	memfs_log_flush();
}

static int run_loop(struct fuse_session *se)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (memfs.opts.single)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -ENOMEM;
	/* clone_fd would open /dev/fuse anew: impossible for /dev/fd/N */
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	if (memfs.opts.threads > 0)
		fuse_loop_cfg_set_idle_threads(cfg,
					       (unsigned)memfs.opts.threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_lowlevel_ops ops = {
	    .init = memfs_init,
	    .destroy = memfs_destroy,
	};
	struct fuse_session *se;
	int ret = 2, err;

	err = parse_opts(argc, argv, &memfs.opts);
	if (err)
		return err > 0 ? 0 : 2;
	if (memfs.opts.log_path) {
		err = memfs_log_open(memfs.opts.log_path);
		if (err) {
			fprintf(stderr, "memfs: cannot open log '%s': %s\n",
				memfs.opts.log_path, strerror(-err));
			return 2;
		}
	}
	if (memfs_table_init())
		goto close_log;
	memfs_ops_entry(&ops);
	memfs_ops_attr(&ops);
	memfs_ops_file(&ops);
	memfs_ops_dir(&ops);

	if (fuse_opt_add_arg(&args, argv[0]) ||
	    fuse_opt_add_arg(&args, "-ofsname=memfs,subtype=memfs") ||
	    (memfs.opts.debug && fuse_opt_add_arg(&args, "-d")))
		goto free_args;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto free_args;
	if (fuse_set_signal_handlers(se))
		goto destroy_session;
	if (fuse_session_mount(se, memfs.opts.mountpoint)) {
		fprintf(stderr, "memfs: cannot mount at '%s'\n",
			memfs.opts.mountpoint);
		goto remove_handlers;
	}
	if (memfs.opts.control_fd >= 0) {
		err = memfs_control_start(memfs.opts.control_fd);
		if (err) {
			fprintf(stderr,
				"memfs: cannot start control thread: %s\n",
				strerror(-err));
			goto unmount;
		}
	}
	/* a signal ends the loop with the (positive) signal number: that is
	 * a normal stop; only a negative errno is a failure */
	ret = run_loop(se) < 0 ? 1 : 0;
	memfs_control_stop();
unmount:
	fuse_session_unmount(se);
remove_handlers:
	fuse_remove_signal_handlers(se);
destroy_session:
	fuse_session_destroy(se);
free_args:
	fuse_opt_free_args(&args);
	memfs_table_destroy();
close_log:
	memfs_log_close();
	return ret;
}
