/* util/paths.h - where the bundled memfs and scenarios are: next to the build
 * (source tree), or where `meson install` put them.  Environment
 * variables FUSECHECK_MEMFS and FUSECHECK_SCENARIOS override both. */
#ifndef FC_PATHS_H
#define FC_PATHS_H

#include <stddef.h>

int paths_memfs(char *buf, size_t size);
int paths_scenarios(char *buf, size_t size);
/* Expand files and directories (every *.scn inside, sorted) into a
 * malloc'd NULL-terminated list. */
int paths_scenario_files(char **args, size_t nargs, char ***files,
			 size_t *nfiles, char *err, size_t errlen);

#endif
