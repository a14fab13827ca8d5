/* log.c - memfs's own log (--log=FILE): one text line per lookup-count
 * event with the counts after it, so a person can replay the fs's view
 * beside fusecheck's wire log.  Buffered; callers usually hold memfs.lock,
 * but the log has its own mutex so that any thread may write. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "memfs.h"

static FILE *log_file;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/* Given to setvbuf: without a buffer of its own, glibc ignores the size
 * asked and keeps one page, a write a few dozen lines.  Static: the log
 * is opened once, and closed only as memfs ends. */
static char log_buf[1 << 16];

int memfs_log_open(const char *path)
{
	log_file = fopen(path, "a");
	if (!log_file)
		return -errno;
	setvbuf(log_file, log_buf, _IOFBF, sizeof(log_buf));
	return 0;
}

void memfs_log(const char *fmt, ...)
{
	va_list ap;

	if (!log_file)
		return;
	pthread_mutex_lock(&log_lock);
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
	pthread_mutex_unlock(&log_lock);
}

void memfs_log_flush(void)
{
	if (!log_file)
		return;
	pthread_mutex_lock(&log_lock);
	fflush(log_file);
	pthread_mutex_unlock(&log_lock);
}

void memfs_log_close(void)
{
	if (!log_file)
		return;
	pthread_mutex_lock(&log_lock);
	fclose(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* "name" with \", \\ and \xNN for bytes outside printable ASCII, so one
 * log line is always one event whatever the name holds */
const char *memfs_log_name(char *buf, size_t size, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size < 8)
		return "\"?\"";
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)name;
	     *p && o + 6 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p < 0x20 || *p > 0x7e) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
