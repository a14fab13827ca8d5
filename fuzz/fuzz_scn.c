/* fuzz_scn.c - libFuzzer target for the scenario parser: a .scn file is
 * user input, and `fusecheck lint` parses files it did not write.  The
 * input is the text (cut at its first NUL, as a file read into a string
 * would be); a parsed scenario is read back through every accessor and
 * freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scn_error err;
	struct scn *s = NULL;
	char msg[1024];
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&err, 0, sizeof(err));
	if (scn_parse_string("fuzz.scn", text, &s, &err) == 0 && s) {
		scn_name(s);
		scn_file(s);
		scn_description(s);
		for (size_t i = 0; i < scn_nrules(s); i++)
			if (!scn_rule(s, i))
				abort();
		scn_requires(s);
		scn_memfs_args(s);
		scn_timeout_s(s);
		scn_free(s);
	} else {
		scn_error_format(&err, msg, sizeof(msg));
		if (strlen(msg) >= sizeof(msg))
			abort();
	}
	free(text);
	return 0;
}
