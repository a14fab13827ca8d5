/* fusecheck/event.h - the one event model shared by the tap, the runner, the checker
 * and the event log.  Everything the checker judges arrives as an event, in
 * sequence order, whether live from the tap or read back by `replay`: that
 * is what makes replay reach the same verdicts.
 */
#ifndef FC_EVENT_H
#define FC_EVENT_H

#include <stdint.h>
#include <stddef.h>

enum fc_ev_kind {
	FC_EV_REQUEST = 1,   /* kernel -> fs: fuse_in_header + args (raw) */
	FC_EV_REPLY = 2,     /* fs -> kernel, unique != 0 (raw) */
	FC_EV_NOTIFY = 3,    /* fs -> kernel, unique == 0 (raw) */
	FC_EV_REPLY_REJECTED = 4, /* write(2) of a reply failed: fc_ev_reject */
	FC_EV_MOUNT = 5,     /* a new connection starts: fc_ev_mount */
	FC_EV_UNMOUNT = 6,   /* the connection ends; no payload */
	FC_EV_SCENARIO = 7,  /* scenario begins / ends: fc_ev_scenario */
	FC_EV_MARK = 8,      /* a runner thread begins a scenario line */
	FC_EV_QUIESCE = 9,   /* quiesce reached: fc_ev_quiesce */
	FC_EV_CHECK = 10,    /* a ledger assertion from a scenario: fc_ev_check */
	FC_EV_FS_LEDGER = 11, /* reference fs ledger snapshot: fc_ev_fs_ledger */
	FC_EV_INIT_CAP = 12, /* tap altered the INIT reply: fc_ev_init_cap */
	FC_EV_EXPECT = 13,   /* a scenario expectation failed: fc_ev_expect */
	FC_EV_PROVOKE = 14,  /* the harness provoked the kernel or held
				requests back: fc_ev_provoke */
	FC_EV_LOG_END = 15,  /* the log was closed whole: the last record of
				a version 2 log file; no payload */
	FC_EV_KIND_MAX
};

/* One event.  For wire events `data` holds the message as read, possibly
 * cut to `len` bytes (bulk READ/WRITE data is not kept); `orig_len` is the
 * length on the wire. */
struct fc_event {
	uint64_t seq;
	uint64_t time_ns;  /* CLOCK_MONOTONIC */
	uint32_t kind;     /* enum fc_ev_kind */
	uint32_t tid;      /* thread that logged it (gettid) */
	uint32_t len;
	uint32_t orig_len;
	const void *data;
	/* Non-NULL while a consumer may keep `data` (a malloc'ed payload
	 * given away, evlog_emit_give): it takes it by setting *give to
	 * NULL.  Never set on replay, where data is the reader's. */
	void **give;
};

/* --- fixed payloads of non-wire events (native endianness, packed as
 * declared; the log is read back on the machine kind that wrote it) --- */

struct fc_ev_reject {
	uint64_t unique;
	int32_t error;     /* positive errno of the failed write */
	uint32_t pad;
};

struct fc_ev_mount {
	uint32_t conn;     /* connection number within the run, from 1 */
	uint32_t pad;
	char fs_cmd[];     /* NUL-terminated command line of the filesystem */
};

enum fc_scn_phase { FC_SCN_BEGIN = 1, FC_SCN_END = 2 };

/* More scenarios than any run has: a SCENARIO event with a higher index
 * is a damaged log, and per-scenario tables are never sized by it. */
#define FC_SCN_INDEX_MAX 65536u

/* A scenario's status: the one enum for it everywhere (the runner's
 * outcome, the END event, verdicts and reports).  In END it is the
 * status as the runner concluded it; the judge turns PASS into FAIL when
 * violations were attributed to the scenario. */
enum fc_scn_status { FC_SCN_ST_PASS = 0, FC_SCN_ST_FAIL = 1,
		     FC_SCN_ST_SKIP = 2, FC_SCN_ST_BROKEN = 3 };

struct fc_ev_scenario {
	uint32_t phase;    /* enum fc_scn_phase */
	uint32_t index;    /* scenario number in the run, from 0 */
	uint32_t status;   /* END: enum fc_scn_status; BEGIN: 0 */
	uint32_t pad;
	char text[];       /* file path, NUL, reason (END; may be ""), NUL */
};

/* A syscall in a scenario did not return what the scenario expects. */
struct fc_ev_expect {
	uint32_t line;
	uint32_t pad;
	char rule[32];     /* "SCN-EXPECT" or the scenario's LF-* rule */
	char message[];    /* NUL-terminated */
};

/* What a scenario's provocation statement did (docs/architecture.md,
 * "Provocation"). */
enum fc_provoke_kind {
	FC_PROVOKE_EVICT = 1,  /* FUSE_NOTIFY_INVAL_ENTRY written for a name */
	FC_PROVOKE_DELAY = 2,  /* requests of an opcode held from now on */
	FC_PROVOKE_DELAY_REPLY = 3, /* replies to an opcode held from now on */
};

struct fc_ev_provoke {
	uint32_t what;     /* enum fc_provoke_kind */
	uint32_t line;     /* scenario line */
	int32_t error;     /* EVICT: errno the kernel answered the
			      notification with (0: the entry was dropped;
			      ENOENT: it held none) */
	uint32_t opcode;   /* DELAY: the opcode held */
	uint64_t parent;   /* EVICT: parent nodeid; 0: the wire never named
			      the path, nothing was written */
	uint64_t nodeid;   /* EVICT: nodeid behind the name, 0 unknown */
	uint64_t value;    /* DELAY: microseconds (0: no longer held) */
	char name[];       /* EVICT: the name, NUL-terminated */
};

struct fc_ev_mark {
	uint32_t line;     /* scenario line being executed, 0 = idle */
	uint32_t tid;      /* runner thread (matches fuse_in_header.pid) */
};

enum fc_quiesce_method {
	FC_QUIESCE_DROP_CACHES = 1,  /* wrote 2 to /proc/sys/vm/drop_caches */
	FC_QUIESCE_NONE = 2,         /* could not drop caches: no balance */
	FC_QUIESCE_NOTIFY = 3,       /* this mount only: the tap wrote
					FUSE_NOTIFY_INVAL_ENTRY for every
					name the wire ledger holds */
	FC_QUIESCE_PRUNE = 4,        /* this mount only: the tap wrote
					FUSE_NOTIFY_PRUNE (FUSE 7.45) of
					every nodeid the kernel holds */
};

struct fc_ev_quiesce {
	uint32_t line;     /* scenario line that asked, 0 = end of scenario */
	uint32_t method;   /* enum fc_quiesce_method */
	uint32_t settled;  /* 1: no FORGET for the settle interval; 0: timed
			      out; 2: the connection was not healthy
			      (aborted, interrupted): nothing to judge */
	uint32_t full;     /* 1: descriptors closed (balance expected) */
	/* added later; logs that end before them read them as 0 */
	uint32_t spent_us; /* how long the quiesce took */
	uint32_t rounds;   /* drop_caches rounds */
};

/* what a reader must have of an fc_ev_quiesce: the fields up to full */
#define FC_EV_QUIESCE_MIN 16u

enum fc_check_kind {
	FC_CHECK_BALANCED = 1,    /* every nodeid but the root at zero */
	FC_CHECK_OUTSTANDING = 2, /* nodeid of `ino` has `expect` references */
	FC_CHECK_ALIVE = 3,       /* reference fs still has inode `ino` */
	FC_CHECK_FREED = 4,       /* reference fs has freed inode `ino` */
	FC_CHECK_OUTSTANDING_MIN = 6, /* nodeid of `ino` has at least
					 `expect` references */
	FC_CHECK_COUNTS = 5,      /* reference fs's lookup counts match the
				     wire now (judged by the FS_LEDGER
				     snapshot taken for it) */
	FC_CHECK_WATCH = 7,       /* count what the nodeid of `ino` is
				     handed and what FORGETs return for
				     it, from 0, from here on */
	FC_CHECK_HANDED = 8,      /* that many references handed out to
				     the watched nodeid of `ino` */
	FC_CHECK_HANDED_MIN = 9,  /* at least `expect` */
	FC_CHECK_FORGOTTEN = 10,  /* that many returned by FORGETs */
	FC_CHECK_FORGOTTEN_MIN = 11,
};

struct fc_ev_check {
	uint32_t kind;     /* enum fc_check_kind */
	uint32_t line;     /* scenario line */
	uint64_t ino;      /* st_ino seen by the scenario */
	uint64_t expect;
};

/* One inode as the reference filesystem sees it (memfs control reply). */
struct fc_fs_inode {
	uint64_t nodeid;
	uint64_t ino;
	uint64_t nlookup;
	uint32_t nlink;
	uint32_t nopen;
	uint32_t mode;
	uint32_t pad;
};

struct fc_ev_fs_ledger {
	uint32_t count;
	uint32_t line;     /* scenario line that asked, 0 = quiesce */
	struct fc_fs_inode inodes[];
};

struct fc_ev_init_cap {
	uint32_t fs_max_write;   /* what the filesystem asked for */
	uint32_t fs_max_pages;
	uint32_t max_write;      /* what the tap passed to the kernel */
	uint32_t max_pages;
};

#endif
