/* judge/rules.h - the rule table: every rule fusecheck can report, with its id,
 * one-sentence statement and the source it rests on.  docs/rules.md is the
 * long form of this table and must name the same ids. */
#ifndef FC_RULES_H
#define FC_RULES_H

enum fc_rule_family {
	FC_RF_LOOKUP = 1,   /* LC-*: lookup counts on the wire */
	FC_RF_LIFECYCLE,    /* LF-*: behaviour and the reference fs ledger */
	FC_RF_PROTOCOL,     /* PR-*: malformed traffic from the filesystem */
	FC_RF_LOCK,         /* LK-*: VFS/FUSE serialisation */
	FC_RF_SCENARIO,     /* SCN-*: the scenario itself went wrong */
	FC_RF_EXPECT,       /* EX-*: behaviour POSIX or Linux promises, as a
			       scenario's syscall expectations check it */
};

struct fc_rule {
	const char *id;       /* "LC-FORGET-EXCESS" */
	int family;           /* enum fc_rule_family */
	const char *summary;  /* what must hold, one sentence */
	const char *source;   /* where the rule comes from */
};

extern const struct fc_rule fc_rules[];
extern const unsigned fc_nrules;

/* NULL when unknown */
const struct fc_rule *rule_find(const char *id);

#endif
