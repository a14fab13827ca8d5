/* wire/evfmt.h - one readable line per event, for report excerpts and
 * `fusecheck log`.  Names are printed with non-printable bytes escaped
 * (\xNN), so the line is always valid UTF-8 text. */
#ifndef FC_EVFMT_H
#define FC_EVFMT_H

#include <stddef.h>
#include <stdint.h>
#include <fusecheck/event.h>

/* `req_opcode` is the opcode of the request a REPLY answers (0 unknown).
 * Always NUL-terminates; returns the length written. */
size_t evfmt_event(const struct fc_event *ev, uint32_t req_opcode,
		   char *buf, size_t size);


#endif
