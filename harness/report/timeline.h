/* report/timeline.h - `fusecheck run --timeline DIR`: one self-contained SVG per
 * scenario, drawn from the event log: a lane per directory or file, a bar
 * per lock-relevant request from its arrival to its reply (stacked when
 * they overlap), lock violations in red. */
#ifndef FC_TIMELINE_H
#define FC_TIMELINE_H

#include <stddef.h>

/* Read the event log at log_path and write DIR/NN-NAME.svg for every
 * scenario in it (DIR is created).  0, or -errno with err filled. */
int timeline_write(const char *log_path, const char *dir, char *err,
		   size_t errlen);

#endif
