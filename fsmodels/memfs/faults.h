/* faults.h - planted faults: each one a small, clearly marked deviation in a
 * memfs handler that imitates a real class of filesystem bug, so that
 * fusecheck can prove it catches that class.  All switches live here. */
#ifndef MEMFS_FAULTS_H
#define MEMFS_FAULTS_H

#include <stdbool.h>
#include <stdio.h>

enum memfs_fault {
	MEMFS_F_LINK_NO_REF,
	MEMFS_F_CREATE_NO_REF,
	MEMFS_F_READDIRPLUS_NO_REF,
	MEMFS_F_READDIRPLUS_DOT_REF,
	MEMFS_F_FORGET_BY_ONE,
	MEMFS_F_BATCH_FORGET_IGNORED,
	MEMFS_F_FREE_AT_UNLINK,
	MEMFS_F_FREE_AT_RENAME_OVER,
	MEMFS_F_REUSE_NODEID,
	MEMFS_F_REUSE_NODEID_TYPE,
	MEMFS_F_FORGET_REPLY,
	MEMFS_F_ROOT_FORGETTABLE,
	MEMFS_F_ENOENT_HELD,
	MEMFS_F_NLOOKUP_UNDERFLOW_ABORT,
	MEMFS_F_LOOKUP_FORGET_RACE,
	MEMFS_F_UNLINK_INTERNAL_LOOKUP,
	MEMFS_F_READDIR_REF,
	MEMFS_F_READDIRPLUS_OVERFLOW_REF,
	MEMFS_F_FORGET_FILTERED,
	MEMFS_F_RELOOKUP_NEW_NODEID,
	MEMFS_F_FREE_AT_RELEASE,
	MEMFS_F_INTERRUPTED_LOOKUP_KEPT,
	MEMFS_F_EXPORT_DOT_NO_REF,
	MEMFS_F_FREE_AT_FLUSH,
	MEMFS_F_COUNT
};

struct memfs_fault_desc {
	const char *name;	 /* --fault=NAME */
	const char *description; /* what the handler does wrong */
	const char *imitates;	 /* the bug class in real filesystems */
	const char *rule;	 /* fusecheck rule expected to catch it */
	/* For `fusecheck selftest` (memfs --list-faults): "RULE-ID" that
	 * must be among the run's violations, "broken:CAUSE" when the run
	 * must break with CAUSE in its reason, "xfail:WHY" when fusecheck
	 * cannot see it from the wire yet; the scenarios (comma list) that
	 * catch it; faults planted with it ("" none). */
	const char *expect;
	const char *scenarios;
	const char *with;
};

extern const struct memfs_fault_desc memfs_faults[MEMFS_F_COUNT];
extern bool memfs_fault_enabled[MEMFS_F_COUNT];

/* enable fault `name`: 0 or -ENOENT */
int memfs_fault_enable(const char *name);
void memfs_fault_list(FILE *out);
/* name TAB expect TAB class TAB description TAB scenarios TAB with */
void memfs_fault_table(FILE *out);

static inline bool memfs_fault(enum memfs_fault f)
{
	return memfs_fault_enabled[f];
}

#endif
