/* capture/tap.h - the wire tap: relays FUSE messages between /dev/fuse and the
 * filesystem's end of a SOCK_SEQPACKET socketpair, logging each request
 * before forwarding it and each reply before writing it back.
 *
 * Three threads: requests (kernel -> fs), replies (fs -> kernel) and
 * notifications (fs -> kernel, unique 0; apart, because a notification's
 * write may block on a VFS lock that a request waiting for a reply holds).
 */
#ifndef FC_TAP_H
#define FC_TAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "capture/evlog.h"
#include "capture/tap_pending.h"

/* Largest message either side may send.  The tap caps max_write and
 * max_pages in the INIT reply it relays so that nothing legal is larger. */
#define TAP_BUF_SIZE ((1u << 20) + 65536u)
#define TAP_MAX_WRITE_LIMIT (1u << 20)
#define TAP_DEFAULT_MAX_PAGES 8

struct tap_notify_q;
struct tap_held;

/* Opcodes whose requests a scenario may hold back (tap_delay_requests):
 * every FUSE opcode the kernel sends is below this. */
#define TAP_DELAY_OPS 64u
/* At most this many requests are held at once; one more forwards the
 * oldest at once (a scenario cannot make the tap hoard memory). */
#define TAP_HELD_MAX 4096u

struct tap {
	int devfd;            /* /dev/fuse, mounted */
	int sock;             /* our end of the socketpair */
	struct evlog *log;
	uint32_t max_pages;   /* cap for the INIT reply */
	uint32_t reply_delay_us; /* hold each reply (widens race windows) */
	uint64_t init_set;    /* INIT flags to add, when the kernel offered them */
	uint64_t kernel_flags; /* offered by the kernel's INIT request */

	struct tap_pending pending;   /* unique -> opcode of requests */
	struct tap_notify_q *nq;

	pthread_t req_thread, reply_thread, notify_thread;
	int started;

	/* Why relaying stopped early (first one wins), "" while healthy. */
	pthread_mutex_t err_lock;
	char error[256];
	atomic_int fs_gone;   /* the filesystem closed its end */
	atomic_int dev_gone;  /* the connection ended (ENODEV) */
	atomic_int init_done; /* the INIT reply reached the kernel */
	atomic_int req_done;  /* the request thread has ended */
	int wake_fd;          /* eventfd: start a drain cycle (tap_drain) */
	atomic_uint_least64_t drained_gen; /* drain cycles completed */
	atomic_uint forgets_sent; /* FORGET/BATCH_FORGET messages forwarded */
	uint64_t last_request_unique;
	uint32_t last_request_opcode;

	/* Held requests (only the request thread touches the list): each
	 * is forwarded once its delay has passed, in the order read. */
	atomic_uint delay_us[TAP_DELAY_OPS];
	struct tap_held *held_head, *held_tail;
	unsigned nheld;
};

/* Start relaying between devfd and sock (both owned by the caller). */
int tap_start(struct tap *t, int devfd, int sock, struct evlog *log,
	      uint32_t max_pages);
/* After unmount or abort: wait for the request thread to see the end of
 * the connection, then tell the filesystem (end-of-file on its socket). */
void tap_stop_requests(struct tap *t);
/* After the filesystem exited (or was killed): end the reply and
 * notification threads and free everything. */
void tap_stop(struct tap *t);
/* The barrier of a quiesce: returns once every request the kernel had
 * queued when it was called (FORGETs among them) has been read and
 * logged.  0, -ETIMEDOUT, or -ENOTCONN when relaying ended. */
int tap_drain(struct tap *t, unsigned timeout_ms);
/* Hold every request of `opcode` read from now on for `us` microseconds
 * before the filesystem sees it (0: forward at once), while the requests
 * behind it go on: a race window opened on purpose (a FORGET that
 * arrives after the LOOKUP the kernel sent later).  A drain forwards
 * everything held.  -EINVAL for an opcode that cannot be held. */
int tap_delay_requests(struct tap *t, uint32_t opcode, uint32_t us);
/* 1 once relaying stopped with an error */
int tap_error_set(struct tap *t);
/* Copy of the first relay error, "" when none. */
void tap_error(struct tap *t, char *buf, size_t size);

/* Socket buffer size for both ends, so that any legal message fits. */
int tap_size_socket(int fd);

#endif
