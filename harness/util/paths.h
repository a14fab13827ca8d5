/* util/paths.h - the one place that knows where the bundled parts are
 * (memfs, scenarios, profiles, the fusermount shim): next to the build
 * (source tree), or where `meson install` put them.  Environment
 * variables FUSECHECK_MEMFS, FUSECHECK_SCENARIOS, FUSECHECK_PROFILES and
 * FUSECHECK_SHIM come first. */
#ifndef FC_PATHS_H
#define FC_PATHS_H

#include <stddef.h>

#define PATHS_SHIM_NAME "fusecheck-fusermount"

int paths_memfs(char *buf, size_t size);
int paths_scenarios(char *buf, size_t size);
/* The shim's absolute, resolved path (buf of PATH_MAX bytes). */
int paths_shim(char *buf, size_t size);
/* NAME.profile in the profile directories, or NAME itself when it is a
 * path; -ENOENT with buf saying where it looked. */
int paths_profile(const char *name, char *buf, size_t size);
/* Expand files and directories (every *.scn inside, sorted) into a
 * malloc'd NULL-terminated list. */
int paths_scenario_files(char **args, size_t nargs, char ***files,
			 size_t *nfiles, char *err, size_t errlen);

#endif
