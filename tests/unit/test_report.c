/* test_report.c - the report writers on a hand-built run: every format
 * parses back, holds the verdicts, and survives names made of hostile
 * bytes (0xff, 0x01, ESC, '<', '&', '"', '#', newline). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "report/report.h"
#include "util/text.h"
#include "wire/evfmt.h"

#define BAD_PATH "d/a\xff\x01<&\"\nz"
#define BAD_NAME "bad\x1b[31mname#1"

static const struct fc_rule rule_excess = {
	"LC-FORGET-EXCESS", FC_RF_LOOKUP,
	"FORGET never returns more references than are outstanding.", "test"
};
static const struct fc_rule rule_balance = {
	"LC-QUIESCE-BALANCE", FC_RF_LOOKUP,
	"After quiesce every nodeid but the root is back to zero.", "test"
};

struct fixture {
	struct fc_run_result r;
	char dir[64];
};

static void violation(struct fc_violation *v, const struct fc_rule *rule,
		      uint64_t nodeid, const char *path, uint64_t seq)
{
	v->rule = rule;
	v->nodeid = nodeid;
	v->path = strdup(path);
	v->detail = strdup("FORGET returned 3 references of nodeid 5 while "
			   "2 were outstanding.");
	v->scenario = 1;
	v->scn_file = strdup("scenarios/link-basic.scn");
	v->scn_line = 12;
	v->seq = seq;
	v->seq_ref = seq - 41;
	v->excerpt = strdup("1040 REQUEST LOOKUP nodeid 1 \"a\"\n"
			    "1041 REPLY entry nodeid 5\n"
			    "1042 REQUEST FORGET nodeid 5 nlookup 3");
}

static void scenario(struct fc_scn_result *s, const char *name, int status,
		     const char *reason, double seconds)
{
	char file[128];

	snprintf(file, sizeof(file), "scenarios/%s.scn", name);
	s->name = strdup(name);
	s->file = strdup(file);
	s->description = strdup("What the scenario shows.");
	s->nrules = 1;
	s->rules = calloc(1, sizeof(char *));
	s->rules[0] = strdup("LC-QUIESCE-BALANCE");
	s->status = status;
	s->reason = reason ? strdup(reason) : NULL;
	s->seconds = seconds;
	s->max_inflight = 3;
}

/* pass, fail (2 violations: one hostile path, one clean), skip, broken */
static void build(struct fc_run_result *r)
{
	memset(r, 0, sizeof(*r));
	r->kernel_release = strdup("6.18.0-test");
	r->libfuse_version = strdup("3.14.0");
	r->fs_cmd = strdup("/usr/lib/fusecheck/memfs.bin --fault=none");
	r->reference_fs = 1;
	r->caps = calloc(4, sizeof(*r->caps));
	r->caps[0] = strdup("write");
	r->caps[1] = strdup("hardlink");
	r->caps[2] = strdup("symlink");
	r->quiesce_method = strdup("drop_caches");
	r->init.seen = 1;
	r->init.kernel_major = 7;
	r->init.kernel_minor = 45;
	r->init.kernel_flags = 0x3 | (UINT64_C(1) << 40);
	r->init.major = 7;
	r->init.minor = 38;
	r->init.flags = 0x1;
	r->init.max_write = 131072;
	r->init.max_pages = 32;
	r->init.max_readahead = 131072;
	r->init.capped = 1;
	r->init.fs_max_write = 1048576;
	r->init.fs_max_pages = 256;
	r->log_path = strdup("/tmp/run/events.log");
	r->seconds = 1.5;
	r->nscn = 4;
	r->scn = calloc(4, sizeof(*r->scn));
	scenario(&r->scn[0], "unlink-open", FC_SCN_ST_PASS, NULL, 0.12);
	scenario(&r->scn[1], "link-basic", FC_SCN_ST_FAIL, NULL, 0.3);
	scenario(&r->scn[2], "xattr-basic", FC_SCN_ST_SKIP, "requires xattr", 0);
	scenario(&r->scn[3], BAD_NAME, FC_SCN_ST_BROKEN, "filesystem hung", 60);
	r->scn[1].nviolations = 2;
	r->scn[1].violations = calloc(2, sizeof(struct fc_violation));
	violation(&r->scn[1].violations[0], &rule_excess, 5, BAD_PATH, 1042);
	violation(&r->scn[1].violations[1], &rule_balance, 6, "d/clean",
		  2000);
	assert_int_equal(run_result_group(&r->scn[1]), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	build(&f->r);
	strcpy(f->dir, "/tmp/test_report.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	run_result_free(&f->r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static char *tmp_path(struct fixture *f, const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s", f->dir, name);
	return buf;
}

/* Run a FILE writer into a string. */
static char *capture(struct fixture *f, int which, int color)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	int ret;

	assert_non_null(out);
	ret = which ? report_tap(out, &f->r) : report_human(out, &f->r, color);
	assert_int_equal(ret, 0);
	fclose(out);
	return buf;
}

static void assert_no_control(const char *s, int allow_esc)
{
	for (; *s; s++) {
		if (*s == '\n' || (allow_esc && *s == '\033'))
			continue;
		assert_false((unsigned char)*s < 0x20 ||
			     (unsigned char)*s == 0x7f);
	}
}

static char *escaped(const char *s)
{
	static char buf[256];

	text_escape(s, strlen(s), TEXT_ASCII | TEXT_QUOTES, buf, sizeof(buf));
	return buf;
}

static void test_report__exit_codes(void **state)
{
	struct fixture *f = *state;
	struct fc_run_result *r = &f->r;
	size_t counts[4], nv;

	run_result_counts(r, counts, &nv);
	assert_int_equal(counts[FC_SCN_ST_PASS], 1);
	assert_int_equal(counts[FC_SCN_ST_FAIL], 1);
	assert_int_equal(counts[FC_SCN_ST_SKIP], 1);
	assert_int_equal(counts[FC_SCN_ST_BROKEN], 1);
	assert_int_equal(nv, 2);

	/* broken outranks failed */
	assert_int_equal(run_result_exit_code(r), 2);
	r->scn[3].status = FC_SCN_ST_PASS;
	assert_int_equal(run_result_exit_code(r), 1);
	r->scn[1].status = FC_SCN_ST_PASS;
	assert_int_equal(run_result_exit_code(r), 0);
	r->scn[0].status = FC_SCN_ST_SKIP;
	assert_int_equal(run_result_exit_code(r), 0);
	r->broken = strdup("cannot mount");
	assert_int_equal(run_result_exit_code(r), 2);
	free(r->broken);
	r->broken = NULL;
	r->scn[2].status = FC_SCN_ST_FAIL;
	assert_int_equal(run_result_exit_code(r), 1);
	r->nscn = 0;
	assert_int_equal(run_result_exit_code(r), 0);
	r->nscn = 4;

	assert_string_equal(fc_status_name(FC_SCN_ST_PASS), "pass");
	assert_string_equal(fc_status_name(FC_SCN_ST_FAIL), "fail");
	assert_string_equal(fc_status_name(FC_SCN_ST_SKIP), "skip");
	assert_string_equal(fc_status_name(FC_SCN_ST_BROKEN), "broken");
	assert_string_equal(fc_status_name(9), "unknown");
}

static const char *hex_of(const char *s)
{
	static char buf[128];
	size_t i;

	for (i = 0; s[i]; i++)
		sprintf(buf + 2 * i, "%02x", (unsigned char)s[i]);
	buf[2 * i] = '\0';
	return buf;
}

static const char *str_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void test_report__json_roundtrip(void **state)
{
	struct fixture *f = *state;
	json_error_t jerr;
	json_t *root, *run, *totals, *scn, *v, *init;
	const char *path = tmp_path(f, "report.json");

	assert_int_equal(report_json(path, &f->r), 0);
	root = json_load_file(path, 0, &jerr);
	assert_non_null(root);

	assert_int_equal(json_integer_value(json_object_get(root,
							    "schema_version")),
			 REPORT_JSON_VERSION);
	run = json_object_get(root, "run");
	assert_string_equal(str_of(run, "kernel_release"), "6.18.0-test");
	assert_int_equal(json_integer_value(json_object_get(run, "exit_code")),
			 2);
	assert_true(json_is_null(json_object_get(run, "broken")));
	assert_int_equal(json_array_size(json_object_get(run, "caps")), 3);
	init = json_object_get(run, "init");
	assert_true(json_is_true(json_object_get(init, "capped")));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(init, "kernel"), "minor")),
			 45);
	/* bits 0, 1 and an unnamed bit 40 -> "BIT40" if proto has no name */
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(init, "kernel"), "flags")),
			 3);

	totals = json_object_get(root, "totals");
	assert_int_equal(json_integer_value(json_object_get(totals, "failed")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(totals,
							    "violations")),
			 2);

	scn = json_array_get(json_object_get(root, "scenarios"), 1);
	assert_string_equal(json_string_value(json_object_get(scn, "status")),
			    "fail");
	v = json_array_get(json_object_get(scn, "violations"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "rule")),
			    "LC-FORGET-EXCESS");
	assert_int_equal(json_integer_value(json_object_get(v, "seq")), 1042);
	assert_int_equal(json_integer_value(json_object_get(v, "seq_ref")),
			 1001);
	assert_int_equal(json_integer_value(json_object_get(v, "line")), 12);
	assert_string_equal(json_string_value(json_object_get(v, "path")),
			    "d/a\\xff\\x01<&\"\\x0az");
	/* the exact bytes survive in path_hex */
	assert_string_equal(json_string_value(json_object_get(v, "path_hex")),
			    hex_of(BAD_PATH));
	assert_int_equal(json_array_size(json_object_get(v, "excerpt")), 3);
	/* a clean path needs no hex */
	v = json_array_get(json_object_get(scn, "violations"), 1);
	assert_null(json_object_get(v, "path_hex"));
	assert_string_equal(json_string_value(json_object_get(v, "path")),
			    "d/clean");

	scn = json_array_get(json_object_get(root, "scenarios"), 3);
	assert_string_equal(json_string_value(json_object_get(scn, "name")),
			    "bad\\x1b[31mname#1");
	assert_string_equal(json_string_value(json_object_get(scn, "reason")),
			    "filesystem hung");
	json_decref(root);
}

static int count_children(xmlNodePtr n, const char *name)
{
	int c = 0;

	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)n->name, name))
			c++;
	return c;
}

static void assert_attr(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	assert_non_null(v);
	assert_string_equal((const char *)v, want);
	xmlFree(v);
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)n->name, name))
			return n;
	return NULL;
}

static void test_report__junit_parses(void **state)
{
	struct fixture *f = *state;
	const char *path = tmp_path(f, "junit.xml");
	xmlDocPtr doc;
	xmlNodePtr suite, tc, fail;
	xmlChar *text;

	f->r.scn[1].name[0] = '\x02'; /* a control byte in a testcase name */
	assert_int_equal(report_junit(path, &f->r), 0);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	suite = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)suite->name, "testsuite");
	assert_attr(suite, "name", "fusecheck");
	assert_attr(suite, "tests", "4");
	assert_attr(suite, "failures", "1");
	assert_attr(suite, "errors", "1");
	assert_attr(suite, "skipped", "1");
	assert_int_equal(count_children(suite, "testcase"), 4);
	assert_non_null(child(suite, "properties"));

	tc = child(suite, "testcase");
	assert_attr(tc, "classname", "fusecheck.memfs_bin");
	assert_attr(tc, "name", "unlink-open");
	tc = xmlNextElementSibling(tc);
	assert_attr(tc, "name", "\\x02ink-basic");
	fail = child(tc, "failure");
	assert_non_null(fail);
	assert_attr(fail, "message", "2 violations");
	assert_attr(fail, "type", "LC-FORGET-EXCESS LC-QUIESCE-BALANCE");
	text = xmlNodeGetContent(fail);
	assert_non_null(strstr((const char *)text,
			       "path \"d/a\\xff\\x01<&\"\\x0az\""));
	xmlFree(text);
	tc = xmlNextElementSibling(tc);
	assert_non_null(child(tc, "skipped"));
	tc = xmlNextElementSibling(tc);
	assert_non_null(child(tc, "error"));
	assert_attr(tc, "name", "bad\\x1b[31mname#1");
	xmlFreeDoc(doc);

	/* a run that could not run is an error a CI gate sees */
	f->r.broken = strdup("cannot mount 'memfs' at '/x': \x01");
	assert_int_equal(report_junit(path, &f->r), 0);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	suite = xmlDocGetRootElement(doc);
	assert_attr(suite, "tests", "5");
	assert_attr(suite, "errors", "2");
	assert_int_equal(count_children(suite, "testcase"), 5);
	xmlFreeDoc(doc);
}

static void test_report__tap_lines(void **state)
{
	struct fixture *f = *state;
	char *out = capture(f, 1, 0);

	assert_no_control(out, 0);
	assert_true(!strncmp(out, "TAP version 13\n1..4\n", 20));
	assert_non_null(strstr(out, "\nok 1 - unlink-open\n"));
	assert_non_null(strstr(out, "\nnot ok 2 - link-basic\n  ---\n"));
	assert_non_null(strstr(out, "  message: '2 violations'\n"));
	assert_non_null(strstr(out, "    - rule: 'LC-FORGET-EXCESS'\n"));
	assert_non_null(strstr(out, "      path: "
				    "'d/a\\xff\\x01<&\\x22\\x0az'\n"));
	assert_non_null(strstr(out, "      seq: 1042\n"));
	assert_non_null(strstr(out, "  ...\n"));
	assert_non_null(strstr(out, "\nok 3 - xattr-basic "
				    "# SKIP requires xattr\n"));
	/* '#' in a name would start a directive: escaped */
	assert_non_null(strstr(out, "\nnot ok 4 - bad\\x1b[31mname\\x231 "
				    "# broken: filesystem hung\n"));
	assert_null(strstr(out, "Bail out!"));
	free(out);

	f->r.broken = strdup("filesystem crashed");
	out = capture(f, 1, 0);
	assert_non_null(strstr(out, "\nBail out! filesystem crashed\n"));
	free(out);
}

static void test_report__human(void **state)
{
	struct fixture *f = *state;
	char *out = capture(f, 0, 0);

	assert_no_control(out, 0);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "PASS   unlink-open"));
	assert_non_null(strstr(out, "0.12s"));
	assert_non_null(strstr(out, "FAIL   link-basic"));
	assert_non_null(strstr(out, "2 violations\n"));
	assert_non_null(strstr(out, "SKIP   xattr-basic"));
	assert_non_null(strstr(out, "requires xattr\n"));
	assert_non_null(strstr(out, "BROKEN bad\\x1b[31mname#1"));
	assert_non_null(strstr(out, "LC-FORGET-EXCESS"));
	assert_non_null(strstr(out, rule_excess.summary));
	assert_non_null(strstr(out, "LC-QUIESCE-BALANCE"));
	assert_non_null(strstr(out, escaped(BAD_PATH)));
	assert_non_null(strstr(out, "nodeid 5"));
	assert_non_null(strstr(out, "scenarios/link-basic.scn:12, seq 1042"));
	assert_non_null(strstr(out, "(related seq 1001)"));
	assert_non_null(strstr(out, "| 1042 REQUEST FORGET nodeid 5"));
	assert_non_null(strstr(out, "kernel 6.18.0-test, libfuse 3.14.0"));
	assert_non_null(strstr(out, "offered 7.45"));
	assert_non_null(strstr(out, "capped by the tap"));
	assert_non_null(strstr(out, "quiesce: drop_caches"));
	assert_non_null(strstr(out, "event log: /tmp/run/events.log"));
	assert_non_null(strstr(out, "4 scenarios: 1 passed, 1 failed, "
				    "1 skipped, 1 broken; 2 violations\n"));
	free(out);

	out = capture(f, 0, 1);
	assert_no_control(out, 1);
	assert_non_null(strstr(out, "\033[1;31mFAIL"));
	/* the only ESC bytes are ours: the name's ESC stays escaped */
	assert_non_null(strstr(out, "bad\\x1b[31mname"));
	free(out);
}

/* Violations of one rule at one line are one finding: grouped in the
 * order each first fired, shown once with a few instances. */
static void test_report__findings(void **state)
{
	struct fc_run_result r = { 0 };
	struct fc_scn_result *s;
	char *buf = NULL;
	size_t size = 0, i;
	FILE *out;

	(void)state;
	r.nscn = 1;
	r.scn = calloc(1, sizeof(*r.scn));
	s = &r.scn[0];
	scenario(s, "flood", FC_SCN_ST_FAIL, NULL, 1);
	s->nviolations = 12;
	s->violations = calloc(12, sizeof(*s->violations));
	for (i = 0; i < 12; i++) {
		/* 0..9 at line 12 (excess), 10 at line 13, 11 balance */
		violation(&s->violations[i], i == 11 ? &rule_balance :
			  &rule_excess, 5 + i, "p", 100 + i);
		if (i == 10)
			s->violations[i].scn_line = 13;
	}
	assert_int_equal(run_result_group(s), 0);
	assert_int_equal(s->nfindings, 3);
	assert_ptr_equal(s->findings[0].rule, &rule_excess);
	assert_int_equal(s->findings[0].line, 12);
	assert_int_equal(s->findings[0].count, 10);
	assert_int_equal(s->findings[0].members[9], 9);
	assert_int_equal(s->findings[1].line, 13);
	assert_int_equal(s->findings[1].members[0], 10);
	assert_ptr_equal(s->findings[2].rule, &rule_balance);
	out = open_memstream(&buf, &size);
	assert_int_equal(report_human(out, &r, 0), 0);
	fclose(out);
	assert_non_null(strstr(buf, "12 violations in 3 findings"));
	assert_non_null(strstr(buf, "[1] LC-FORGET-EXCESS x10"));
	assert_non_null(strstr(buf, "also seq 101"));
	assert_non_null(strstr(buf, "also seq 102"));
	assert_null(strstr(buf, "also seq 103"));
	assert_non_null(strstr(buf, "... and 7 more like it"));
	assert_non_null(strstr(buf, "[3] LC-QUIESCE-BALANCE"));
	free(buf);
	run_result_free(&r);
}

/* Past the first three findings of a run, one line a rule and scenario:
 * the counts, the first line and the others, and the first message;
 * no excerpt, no "also seq" lines. */
static void test_report__findings_past_the_first_are_one_line(void **state)
{
	struct fc_run_result r = { 0 };
	struct fc_scn_result *s;
	char *buf = NULL, *tail;
	size_t size = 0, i;
	FILE *out;

	(void)state;
	r.nscn = 1;
	r.scn = calloc(1, sizeof(*r.scn));
	s = &r.scn[0];
	scenario(s, "noisy", FC_SCN_ST_FAIL, NULL, 1);
	s->nviolations = 7;
	s->violations = calloc(7, sizeof(*s->violations));
	for (i = 0; i < 7; i++) {
		/* each at a line of its own: seven findings; the last four
		 * are three of one rule (lines 23, 24, 25) and one other */
		violation(&s->violations[i], i == 4 ? &rule_balance :
			  &rule_excess, 5 + i, "p", 100 + i);
		s->violations[i].scn_line = (uint32_t)(20 + i);
	}
	assert_int_equal(run_result_group(s), 0);
	assert_int_equal(s->nfindings, 7);
	out = open_memstream(&buf, &size);
	assert_int_equal(report_human(out, &r, 0), 0);
	fclose(out);
	tail = strstr(buf, "[4] LC-FORGET-EXCESS x3 in 3 findings  "
		      "link-basic.scn:23 (also 25, 26): FORGET returned");
	assert_non_null(tail);
	assert_non_null(strstr(tail, "[5] LC-QUIESCE-BALANCE  "
			       "link-basic.scn:24: FORGET returned"));
	assert_null(strstr(tail, "also seq"));
	assert_null(strstr(tail, "1040 REQUEST"));
	assert_non_null(strstr(buf, "the first 3 findings are shown in "
			       "full"));
	free(buf);
	run_result_free(&r);
}

static void test_report__json_unwritable(void **state)
{
	struct fixture *f = *state;

	assert_true(report_json(tmp_path(f, "no/such/dir.json"), &f->r) < 0);
	assert_true(report_junit(tmp_path(f, "no/such/dir.xml"), &f->r) < 0);
}

static char *diff_text(const char *a, const char *b, int *ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	*ret = report_diff(out, a, b);
	fclose(out);
	return buf;
}

static void test_report__diff(void **state)
{
	struct fixture *f = *state;
	char a[128], b[128], *out;
	struct fc_violation *v;
	FILE *junk;
	int ret;

	snprintf(a, sizeof(a), "%s", tmp_path(f, "a.json"));
	snprintf(b, sizeof(b), "%s", tmp_path(f, "b.json"));
	assert_int_equal(report_json(a, &f->r), 0);

	/* the same report: same verdicts */
	out = diff_text(a, a, &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "verdicts:\n  same\n"));
	assert_non_null(strstr(out, "metadata:\n  same\n"));
	free(out);

	/* after an "upgrade": one scenario starts failing, one violation of
	 * link-basic goes away, the kernel offers another flag */
	f->r.scn[0].status = FC_SCN_ST_FAIL;
	f->r.scn[0].nviolations = 1;
	f->r.scn[0].violations = calloc(1, sizeof(*v));
	violation(&f->r.scn[0].violations[0], &rule_excess, 7, "x", 50);
	f->r.scn[1].nviolations = 1;
	v = &f->r.scn[1].violations[1];
	free(v->path);
	free(v->detail);
	free(v->scn_file);
	free(v->excerpt);
	free(f->r.kernel_release);
	f->r.kernel_release = strdup("6.19.0-test");
	f->r.init.kernel_flags |= 1u << 2;
	assert_int_equal(report_json(b, &f->r), 0);

	out = diff_text(a, b, &ret);
	assert_int_equal(ret, 1);
	assert_non_null(strstr(out, "  unlink-open: pass -> fail\n"));
	assert_non_null(strstr(out, "  unlink-open: LC-FORGET-EXCESS +1"));
	assert_non_null(strstr(out, "  link-basic: LC-QUIESCE-BALANCE -1"));
	assert_null(strstr(out, "link-basic: LC-FORGET-EXCESS"));
	assert_non_null(strstr(out, "  kernel: 6.18.0-test -> 6.19.0-test\n"));
	assert_non_null(strstr(out, "  INIT kernel offered flags: +"));
	assert_non_null(strstr(out, "3 verdict differences\n"));
	assert_no_control(out, 0);
	free(out);

	/* unreadable and foreign input are errors, not verdicts */
	out = diff_text(a, tmp_path(f, "missing.json"), &ret);
	assert_int_equal(ret, -ENOENT);
	free(out);
	junk = fopen(b, "w");
	assert_non_null(junk);
	fputs("{\"schema\": \"other\"}", junk);
	fclose(junk);
	out = diff_text(a, b, &ret);
	assert_int_equal(ret, -EINVAL);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report__exit_codes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report__json_roundtrip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__junit_parses,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__tap_lines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report__human, setup,
						teardown),
		cmocka_unit_test(test_report__findings),
		cmocka_unit_test(test_report__findings_past_the_first_are_one_line),
		cmocka_unit_test_setup_teardown(test_report__json_unwritable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_report__diff, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
