/* mount/caps.h - find out what the filesystem under test supports, so that a
 * scenario it cannot run is skipped with the reason instead of failed. */
#ifndef FC_PROBE_H
#define FC_PROBE_H

/* Try each capability under dir (a fresh mount root); returns enum
 * scn_req bits.  Leaves dir as it found it. */
unsigned probe_caps(const char *dir);

#endif
