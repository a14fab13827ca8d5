/* control.c - the out-of-band control channel (include/fusecheck/control.h).  A
 * dedicated thread reads one-byte commands from --control-fd and answers
 * FC_CTL_SNAPSHOT with every live inode.  It never touches the mount, which
 * would itself create lookups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fusecheck/control.h>
#include "memfs.h"

#define RECS_PER_MSG                                                           \
	((FC_CTL_MAX_MSG - sizeof(struct fc_ctl_hdr)) /                        \
	 sizeof(struct fc_fs_inode))

static pthread_t control_thread;
static int control_fd = -1;
static bool control_running;

static int send_all(const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(control_fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* One snapshot, taken under the lock, sent in messages of at most
 * FC_CTL_MAX_MSG bytes; the last one says so. */
static int send_snapshot(void)
{
	struct fc_fs_inode *recs;
	size_t count, done = 0;
	uint32_t forgets;
	char *msg;
	int err;

	err = memfs_snapshot(&recs, &count, &forgets);
	if (err)
		return err;
	msg = malloc(FC_CTL_MAX_MSG);
	if (!msg) {
		err = -ENOMEM;
		goto free_recs;
	}
	do {
		size_t n =
		    count - done < RECS_PER_MSG ? count - done : RECS_PER_MSG;
		struct fc_ctl_hdr hdr = {
		    .magic = FC_CTL_MAGIC,
		    .count = (uint32_t)n,
		    .last = done + n == count,
		    .forgets = forgets,
		};

		memcpy(msg, &hdr, sizeof(hdr));
		memcpy(msg + sizeof(hdr), recs + done, n * sizeof(*recs));
		err = send_all(msg, sizeof(hdr) + n * sizeof(*recs));
		done += n;
	} while (!err && done < count);
	free(msg);
free_recs:
	free(recs);
	return err;
}

static void *control_main(void *arg)
{
	for (;;) {
		unsigned char cmd;
		ssize_t n = recv(control_fd, &cmd, 1, 0);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF or the fd is gone: end quietly */
		if (cmd != FC_CTL_SNAPSHOT) {
			fprintf(stderr,
				"memfs: unknown control command 0x%02x\n", cmd);
			continue;
		}
		if (send_snapshot() < 0)
			break;
	}
	return NULL;
}

int memfs_control_start(int fd)
{
	int err;

	control_fd = fd;
	err = pthread_create(&control_thread, NULL, control_main, NULL);
	if (err)
		return -err;
	control_running = true;
	return 0;
}

void memfs_control_stop(void)
{
	if (!control_running)
		return;
	/* wakes a recv blocked in the thread; the peer sees EOF */
	shutdown(control_fd, SHUT_RDWR);
	pthread_join(control_thread, NULL);
	control_running = false;
}
