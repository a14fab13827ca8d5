/* capture/zfile.c - zstd-compressed files as ordinary stdio streams, so that the
 * event log's writer and reader stay the same code for both forms.
 *
 * Writing ends a zstd frame every ZFILE_FRAME input bytes (and at close):
 * a log cut short by a crash keeps every whole frame, and the reader
 * decodes a cut frame as far as its last whole block, so the log stays
 * readable up to the cut.  Reading decodes any number of frames.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "capture/zfile.h"

#define ZFILE_FRAME (4u << 20)
#define ZFILE_LEVEL 3

struct zw {
	FILE *raw;
	ZSTD_CCtx *cctx;
	size_t in_frame;       /* input bytes in the open frame */
	void *out;
	size_t outcap;
};

struct zr {
	FILE *raw;
	ZSTD_DCtx *dctx;
	void *in;
	size_t incap;
	ZSTD_inBuffer ib;
	int raw_eof;
};

/* feed input (maybe none) with directive; write what comes out */
static int zw_push(struct zw *z, const void *buf, size_t len,
		   ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = { buf, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer ob = { z->out, z->outcap, 0 };

		left = ZSTD_compressStream2(z->cctx, &ob, &ib, mode);
		if (ZSTD_isError(left)) {
			errno = EIO;
			return -1;
		}
		if (ob.pos && fwrite(z->out, 1, ob.pos, z->raw) != ob.pos)
			return -1;
	} while (mode == ZSTD_e_continue ? ib.pos < ib.size : left != 0);
	return 0;
}

static ssize_t zw_write(void *cookie, const char *buf, size_t size)
{
	struct zw *z = cookie;
	size_t done = 0, n;

	while (done < size) {
		n = size - done;
		if (n > ZFILE_FRAME - z->in_frame)
			n = ZFILE_FRAME - z->in_frame;
		if (zw_push(z, buf + done, n, ZSTD_e_continue))
			return -1;
		done += n;
		z->in_frame += n;
		if (z->in_frame == ZFILE_FRAME) {
			if (zw_push(z, NULL, 0, ZSTD_e_end))
				return -1;
			z->in_frame = 0;
		}
	}
	return (ssize_t)size;
}

static int zw_close(void *cookie)
{
	struct zw *z = cookie;
	int rc = 0;

	if (z->in_frame && zw_push(z, NULL, 0, ZSTD_e_end))
		rc = -1;
	if (fclose(z->raw) && !rc)
		rc = -1;
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
	return rc;
}

FILE *zfile_open_write(const char *path)
{
	cookie_io_functions_t io = { .write = zw_write, .close = zw_close };
	struct zw *z = calloc(1, sizeof(*z));
	FILE *f;

	if (!z)
		return NULL;
	z->outcap = ZSTD_CStreamOutSize();
	z->out = malloc(z->outcap);
	z->cctx = ZSTD_createCCtx();
	z->raw = fopen(path, "wb");
	if (!z->out || !z->cctx || !z->raw)
		goto fail;
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, ZFILE_LEVEL);
	ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1);
	f = fopencookie(z, "w", io);
	if (f)
		return f;
fail:
	if (z->raw)
		fclose(z->raw);
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

static ssize_t zr_read(void *cookie, char *buf, size_t size)
{
	struct zr *z = cookie;
	ZSTD_outBuffer ob = { buf, size, 0 };
	size_t rc;

	while (ob.pos == 0) {
		if (z->ib.pos == z->ib.size) {
			if (z->raw_eof)
				return 0;
			z->ib.src = z->in;
			z->ib.size = fread(z->in, 1, z->incap, z->raw);
			z->ib.pos = 0;
			if (z->ib.size == 0) {
				if (ferror(z->raw))
					return -1;
				/* a frame cut short ends the stream here:
				 * what was decoded stands, the reader sees
				 * the cut as damage at that offset */
				z->raw_eof = 1;
				return 0;
			}
		}
		rc = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(rc)) {
			errno = EPROTO;
			return ob.pos ? (ssize_t)ob.pos : -1;
		}
	}
	return (ssize_t)ob.pos;
}

static int zr_close(void *cookie)
{
	struct zr *z = cookie;

	fclose(z->raw);
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
	return 0;
}

int zfile_is_zstd(const void *head, size_t len)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	return len >= 4 && !memcmp(head, magic, 4);
}

FILE *zfile_open_read(const char *path)
{
	cookie_io_functions_t io = { .read = zr_read, .close = zr_close };
	struct zr *z = calloc(1, sizeof(*z));
	FILE *f;

	if (!z)
		return NULL;
	z->incap = ZSTD_DStreamInSize();
	z->in = malloc(z->incap);
	z->dctx = ZSTD_createDCtx();
	z->raw = fopen(path, "rb");
	if (!z->in || !z->dctx || !z->raw)
		goto fail;
	/* bounded memory whatever the file claims: no window past 128 MiB */
	ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, 27);
	f = fopencookie(z, "r", io);
	if (f)
		return f;
fail:
	if (z->raw)
		fclose(z->raw);
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}
