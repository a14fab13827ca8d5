/* fuzz_proto.c - libFuzzer target for the wire decoders: every FUSE
 * message the tap reads is untrusted, so each decoder, the dirent walker
 * and evfmt must stay inside the bytes they are given.
 *
 * Input: byte 0 selects the opcode (0..255; the request decoder reads the
 * opcode from the header itself), byte 1 holds options (bit 0: the wire
 * length was larger than what was logged; bits 1..7: a small output
 * buffer size for evfmt), the rest is one message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/evfmt.h"
#include <fusecheck/event.h>
#include "wire/proto.h"

/* Walk a READDIR or READDIRPLUS body to its end or first error. */
static void walk_dirents(const void *body, size_t len, int plus)
{
	struct fc_dirent d;
	size_t pos = 0;
	unsigned guard = 0;

	while (proto_dirent_next(body, len, plus, &pos, &d) == 1) {
		/* each entry is at least a header: no endless loop */
		if (++guard > len)
			abort();
		if (pos > len || d.name + d.name_len >
		    (const char *)body + len)
			abort();
	}
}

/* Format the message as every kind of event, into a full line and into a
 * buffer small enough to cut every field. */
static void format_all(const void *msg, size_t len, uint32_t orig_len,
		       uint32_t opcode, size_t small)
{
	static char line[8192];
	struct fc_event ev = {
		.seq = 1, .len = (uint32_t)len, .orig_len = orig_len,
		.data = msg,
	};
	char *tiny;
	size_t n;

	tiny = malloc(small ? small : 1);
	if (!tiny)
		return;
	for (ev.kind = 0; ev.kind <= FC_EV_KIND_MAX; ev.kind++) {
		n = evfmt_event(&ev, opcode, line, sizeof(line));
		if (n >= sizeof(line) || strlen(line) != n)
			abort();
		evfmt_event(&ev, opcode, tiny, small);
	}
	free(tiny);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_req req;
	struct fc_reply rep;
	struct fc_notify nt;
	uint32_t opcode, orig_len;
	size_t len, small;
	void *msg;

	if (size < 2)
		return 0;
	opcode = data[0];
	len = size - 2;
	orig_len = (uint32_t)len + ((data[1] & 1) ? 4096 : 0);
	small = data[1] >> 1;
	/* an exact, aligned copy: ASan sees any read past its end, and the
	 * decoders get the alignment a read(2) buffer has */
	msg = malloc(len ? len : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 2, len);

	if (proto_decode_request(msg, len, &req) == 0) {
		if (req.opcode == FUSE_BATCH_FORGET) {
			uint64_t id, nl;

			for (uint32_t i = 0; i < req.forget_count; i++)
				proto_forget_item(&req, i, &id, &nl);
		}
		proto_op_name(req.opcode);
	}
	proto_log_len_request(msg, len);
	proto_log_len_reply(opcode, len);

	memset(&rep, 0, sizeof(rep));
	if (proto_decode_reply(opcode, msg, len, orig_len, &rep) == 0 &&
	    rep.body) {
		walk_dirents(rep.body, rep.body_len, 0);
		walk_dirents(rep.body, rep.body_len, 1);
	}
	walk_dirents(msg, len, 0);
	walk_dirents(msg, len, 1);

	if (proto_decode_notify(msg, len, &nt) == 0)
		proto_notify_name(nt.code);
	proto_init_flag_name(opcode & 63);

	format_all(msg, len, orig_len, opcode, small);
	free(msg);
	return 0;
}
