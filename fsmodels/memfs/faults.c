/* faults.c - the fault table: name, what goes wrong, the bug class it
 * imitates and the rule that should catch it.  Rule ids follow the
 * families of harness/judge/rules.h; docs/rules.md is the authority on them. */
#include <errno.h>
#include <string.h>

#include "faults.h"

bool memfs_fault_enabled[MEMFS_F_COUNT];

const struct memfs_fault_desc memfs_faults[MEMFS_F_COUNT] = {
    [MEMFS_F_LINK_NO_REF] =
	{"link-no-ref",
	 "LINK replies with an entry but does not count the lookup",
	 "entry handed out without taking a reference",
	 "LF-FS-LEDGER (fs nlookup below the wire ledger)",
	 "LF-FS-LEDGER", "hardlinks", ""},
    [MEMFS_F_CREATE_NO_REF] =
	{"create-no-ref",
	 "CREATE replies with an entry but does not count the lookup",
	 "entry handed out without taking a reference",
	 "LF-FS-LEDGER (fs nlookup below the wire ledger)",
	 "LF-FS-LEDGER", "unlink-open-read", ""},
    [MEMFS_F_READDIRPLUS_NO_REF] =
	{"readdirplus-no-ref", "READDIRPLUS entries are not counted as lookups",
	 "readdirplus treated like readdir",
	 "LF-FS-LEDGER (fs nlookup below the wire ledger)",
	 "LF-FS-LEDGER", "readdirplus-pinned", ""},
    [MEMFS_F_READDIRPLUS_DOT_REF] =
	{"readdirplus-dot-ref",
	 "READDIRPLUS counts \".\" and \"..\" and sends their nodeids",
	 "dot entries counted although the kernel ignores them",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger at quiesce)",
	 "LF-FS-LEDGER", "lookup-existing", ""},
    [MEMFS_F_FORGET_BY_ONE] =
	{"forget-by-one",
	 "FORGET decrements nlookup by 1 instead of by nlookup",
	 "forget count ignored (inode leak)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "lookup-existing", ""},
    [MEMFS_F_BATCH_FORGET_IGNORED] =
	{"batch-forget-ignored", "BATCH_FORGET is accepted and ignored",
	 "forget_multi not implemented (inode leak)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "lookup-existing", ""},
    [MEMFS_F_FREE_AT_UNLINK] =
	{"free-at-unlink",
	 "UNLINK/RMDIR free the inode although it is open or referenced",
	 "eager free at unlink (use after free, lost open file)",
	 "EX-OPEN-FILE",
	 "EX-OPEN-FILE", "unlink-open-read", ""},
    [MEMFS_F_FREE_AT_RENAME_OVER] =
	{"free-at-rename-over",
	 "RENAME frees the replaced target although open or referenced",
	 "eager free of a renamed-over inode", "EX-OPEN-FILE",
	 "EX-OPEN-FILE", "rename-over-open-target", ""},
    [MEMFS_F_REUSE_NODEID] =
	{"reuse-nodeid",
	 "the nodeid of an unlinked inode the kernel still holds is "
	 "given to the next new inode, same generation",
	 "nodeid recycled while referenced (inode number reuse)",
	 "LC-NODEID-REUSE",
	 "LC-NODEID-REUSE", "unlink-reuse-name-open", ""},
    [MEMFS_F_REUSE_NODEID_TYPE] =
	{"reuse-nodeid-type",
	 "as reuse-nodeid, but only for a new inode of another type",
	 "nodeid recycled while referenced, type changes", "LC-NODEID-REUSE",
	 "LC-NODEID-REUSE", "unlink-open-then-mkdir", ""},
    [MEMFS_F_FORGET_REPLY] =
	{"forget-reply", "FORGET and BATCH_FORGET are answered with a reply",
	 "reply to a request that takes none", "LC-FORGET-REPLY",
	 "LC-FORGET-REPLY", "lookup-existing", ""},
    [MEMFS_F_ROOT_FORGETTABLE] =
	{"root-forgettable", "a FORGET of nodeid 1 zeroes and frees the root",
	 "root lifetime tied to its lookup count",
	 "LC-FORGET-EXCESS / later requests on the root fail",
	 "xfail:the kernel never sends a FORGET for the root while "
	 "mounted", "", ""},
    [MEMFS_F_ENOENT_HELD] =
	{"enoent-held",
	 "GETATTR of an unlinked inode the kernel holds returns ENOENT",
	 "unlinked-but-open inode treated as gone",
	 "EX-OPEN-FILE (fstat after unlink fails)",
	 "EX-OPEN-FILE", "unlink-open-read", ""},
    [MEMFS_F_NLOOKUP_UNDERFLOW_ABORT] =
	{"nlookup-underflow-abort",
	 "abort() when a FORGET exceeds the fs's nlookup "
	 "(fires with create-no-ref or link-no-ref)",
	 "assert(nlookup >= n) in forget, as libfuse examples do",
	 "the filesystem crashes: PR-FS-DIED names the request it left",
	 "PR-FS-DIED", "unlink-open-read", "create-no-ref"},
    [MEMFS_F_LOOKUP_FORGET_RACE] =
	{"lookup-forget-race",
	 "LOOKUP keeps the inode it found across unlocking; a FORGET that "
	 "drops it to 0 meanwhile erases it, and the lookup's count lands "
	 "on the erased entry (the window is held open: deterministic)",
	 "LOOKUP racing FORGET to 0 (libfuse passthrough_hp 1e19235c)",
	 "LF-FS-LEDGER (fs nlookup below the wire ledger)",
	 "LF-FS-LEDGER", "forget-lookup-race", ""},
    [MEMFS_F_UNLINK_INTERNAL_LOOKUP] =
	{"unlink-internal-lookup",
	 "UNLINK looks the victim up internally, counting a reference "
	 "no reply ever hands out",
	 "handler-internal lookup leaks a count (passthrough_hp f8a24e9e)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "unlink-open-read", ""},
    [MEMFS_F_READDIR_REF] =
	{"readdir-ref",
	 "plain READDIR entries are counted as lookups",
	 "READDIR treated like READDIRPLUS (Curvine #1114)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "readdir-large-noplus", ""},
    [MEMFS_F_READDIRPLUS_OVERFLOW_REF] =
	{"readdirplus-overflow-ref",
	 "READDIRPLUS counts the entry that did not fit the reply",
	 "overflow entry of a full readdirplus buffer counted (go-fuse "
	 "1cb24af2, passthrough_hp a83041fa)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "readdirplus-small-buffer", ""},
    [MEMFS_F_FORGET_FILTERED] =
	{"forget-filtered",
	 "FORGET and BATCH_FORGET from uid 0 are dropped by an access "
	 "filter (the kernel sends every forget with uid 0)",
	 "forgets rejected by a session filter (fuser 097638c)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "lookup-existing", ""},
    [MEMFS_F_RELOOKUP_NEW_NODEID] =
	{"relookup-new-nodeid",
	 "a LOOKUP of an inode the kernel holds moves it to a new nodeid",
	 "revalidation answered with a fresh nodeid (bazil/fuse#250, "
	 "rclone: the current directory vanishes)",
	 "LC-NODEID-UNSTABLE",
	 "LC-NODEID-UNSTABLE", "revalidate-same-nodeid", ""},
    [MEMFS_F_FREE_AT_RELEASE] =
	{"free-at-release",
	 "the last RELEASE of an unlinked file frees it, though the kernel "
	 "has not forgotten it yet",
	 "deferred removal keyed on open handles only, racing the FORGET "
	 "(libfuse#746, .fuse_hidden races)",
	 "LF-FREED-REFERENCED (freed while the wire holds a reference)",
	 "LF-FREED-REFERENCED", "unlink-release-forget", ""},
    [MEMFS_F_INTERRUPTED_LOOKUP_KEPT] =
	{"interrupted-lookup-kept",
	 "a LOOKUP the kernel interrupted is answered EINTR, but the "
	 "reference counted for it is kept",
	 "entry never delivered, reference not undone (libfuse lib/fuse.c "
	 "reply_entry -> forget_node, 0db74cc6)",
	 "LF-FS-LEDGER (fs nlookup above the wire ledger)",
	 "LF-FS-LEDGER", "interrupt-lookup", ""},
    [MEMFS_F_EXPORT_DOT_NO_REF] =
	{"export-dot-no-ref",
	 "LOOKUP of \".\" or \"..\" (a file handle opened, "
	 "FUSE_EXPORT_SUPPORT) answers the entry without counting it",
	 "handle lookups treated like readdirplus dots, which take no "
	 "reference",
	 "LF-FS-LEDGER (fs nlookup below the wire ledger)",
	 "LF-FS-LEDGER", "export-handle-reopen", ""},
    [MEMFS_F_FREE_AT_FLUSH] =
	{"free-at-flush",
	 "the FLUSH of the last open handle of an unlinked file frees it, "
	 "though a mapping keeps the file open until munmap (RELEASE)",
	 "deferred removal keyed on close(2), not on the last release "
	 "(mmap of an unlinked file)",
	 "LF-FREED-REFERENCED (freed while the wire holds a reference)",
	 "LF-FREED-REFERENCED", "unlink-open-mmap", ""},
};

int memfs_fault_enable(const char *name)
{
	for (int i = 0; i < MEMFS_F_COUNT; i++) {
		if (strcmp(memfs_faults[i].name, name) == 0) {
			memfs_fault_enabled[i] = true;
			return 0;
		}
	}
	return -ENOENT;
}

/* One line a fault, tab-separated, so that the harness reads this table
 * instead of keeping a copy of it. */
void memfs_fault_table(FILE *out)
{
	for (int i = 0; i < MEMFS_F_COUNT; i++) {
		const struct memfs_fault_desc *f = &memfs_faults[i];

		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", f->name, f->expect,
			f->imitates, f->description, f->scenarios, f->with);
	}
}

void memfs_fault_list(FILE *out)
{
	for (int i = 0; i < MEMFS_F_COUNT; i++)
		fprintf(out, "  %-24s %s\n", memfs_faults[i].name,
			memfs_faults[i].description);
}
