/* capture/zfile.h - zstd-compressed files as stdio streams (fopencookie), for the
 * event log: written in frames so that a cut log stays readable up to
 * the cut. */
#ifndef FC_ZFILE_H
#define FC_ZFILE_H

#include <stddef.h>
#include <stdio.h>

/* A stream that compresses what is written to path; NULL with errno. */
FILE *zfile_open_write(const char *path);
/* A stream that decompresses path (any number of frames). */
FILE *zfile_open_read(const char *path);
/* 1 when the bytes begin a zstd frame */
int zfile_is_zstd(const void *head, size_t len);

#endif
