/* report/report.h - the four ways fusecheck writes what a run found (human text,
 * report.json, JUnit XML, TAP 13) and the comparison of two report.json
 * files.  docs/report.md documents every format.
 *
 * Names and paths are raw bytes from the filesystem under test: every
 * writer escapes them, so no output ever carries control bytes or invalid
 * UTF-8.  Writers return 0 or -errno.
 */
#ifndef FC_REPORT_H
#define FC_REPORT_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include "report/result.h"

/* One line a scenario, each violation in full, run metadata and a summary.
 * `color`: ANSI colors (for a terminal). */
int report_human(FILE *out, const struct fc_run_result *r, int color);
/* The one line of a scenario ("PASS   name   1.27s"), names padded to
 * width (report_human_width) */
void report_human_line(FILE *out, const struct fc_scn_result *s, int color,
		       int width);
int report_human_width(const char *const *names, size_t n);

/* report.json, schema version REPORT_JSON_VERSION. */
#define REPORT_JSON_VERSION 1
int report_json(const char *path, const struct fc_run_result *r);

/* JUnit XML: one <testsuite name="fusecheck">, one <testcase> a scenario. */
int report_junit(const char *path, const struct fc_run_result *r);

/* TAP version 13, one test point a scenario. */
int report_tap(FILE *out, const struct fc_run_result *r);

/* Compare two report.json files (before -> after): changed verdicts,
 * violations new and gone per rule, metadata differences.  Returns 0 when
 * every verdict is the same, 1 when some differ, -errno when a file cannot
 * be read or is not a report. */
int report_diff(FILE *out, const char *a_json, const char *b_json);

/* `fusecheck diff A B C...` and `fusecheck vm`: one column per report
 * (labelled by `labels`, or by each report's kernel release when NULL):
 * scenario statuses, lock-rule verdicts and the INIT negotiation, rows
 * that differ marked.  0 when every row agrees, 1 when some differ,
 * -errno when a report cannot be read. */
int report_matrix(FILE *out, const char *const *labels,
		  const char *const *paths, size_t n);

/* A report.json, checked to be one (schema and version) or NULL with a
 * message naming the file; the caller json_decref()s it. */
struct json_t;
struct json_t *report_json_load(const char *path);

/* Copy text to out one line at a time, control characters escaped. */
int report_put_escaped(FILE *out, const char *text);


#endif
