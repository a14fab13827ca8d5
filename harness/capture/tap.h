/* capture/tap.h - the wire tap: relays FUSE messages between /dev/fuse and the
 * filesystem's end of a SOCK_SEQPACKET socketpair, logging each request
 * before forwarding it and each reply before writing it back.
 *
 * Two threads.  The relay carries requests (kernel -> fs) and replies
 * (fs -> kernel) in one loop that never blocks on either side; after any
 * traffic it keeps looking for a while (spin_us) before it sleeps, so
 * that a request or reply arriving within that time costs no wake-up:
 * the wake-ups, not the tap's own work, were what made a relay slow.
 * Notifications (fs -> kernel, unique 0) have a thread of their own,
 * because a notification's write may block on a VFS lock that a request
 * waiting for a reply holds.
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
/* At most this many requests (and as many replies) are held at once;
 * one more forwards the oldest at once (a scenario cannot make the tap
 * hoard memory). */
#define TAP_HELD_MAX 4096u
/* How long the relay keeps looking for traffic before it sleeps, by
 * default (microseconds; 0 sleeps at once). */
#define TAP_DEFAULT_SPIN_US 100u

/* A list of messages held back until they are due, in arrival order. */
struct tap_held_list {
	struct tap_held *head, *tail;
	unsigned n;
};

struct tap {
	int devfd;            /* /dev/fuse, mounted */
	int sock;             /* our end of the socketpair */
	struct evlog *log;
	uint32_t max_pages;   /* cap for the INIT reply */
	uint32_t reply_delay_us; /* hold each reply (widens race windows) */
	uint32_t spin_us;     /* look for traffic this long before sleeping */
	uint64_t init_set;    /* INIT flags to add, when the kernel offered them */
	uint64_t kernel_flags; /* offered by the kernel's INIT request */
	uint32_t kernel_minor; /* the protocol minor it speaks (0: no INIT
				  seen yet) */

	struct tap_pending pending;   /* unique -> opcode of requests */
	struct tap_notify_q *nq;

	pthread_t relay_thread, notify_thread;
	int started;

	/* Why relaying stopped early (first one wins), "" while healthy. */
	pthread_mutex_t err_lock;
	char error[256];
	atomic_int fs_gone;   /* the filesystem closed its end */
	atomic_int dev_gone;  /* the connection ended (ENODEV) */
	atomic_int init_done; /* the INIT reply reached the kernel */
	atomic_int req_done;  /* the relay reads no more requests */
	atomic_int stop;      /* tap_stop: the relay ends */
	int wake_fd;          /* eventfd: wakes the relay (drain, stop) */
	atomic_uint_least64_t drain_asked; /* drain cycles asked for */
	atomic_uint_least64_t drained_gen; /* drain cycles completed */
	atomic_uint forgets_sent; /* FORGET/BATCH_FORGET messages forwarded */
	uint64_t last_request_unique;
	uint32_t last_request_opcode;

	/* Held requests and replies (only the relay touches the lists):
	 * each is passed on once its delay has passed, in arrival order. */
	atomic_uint delay_us[TAP_DELAY_OPS];
	atomic_uint reply_delay_op_us[TAP_DELAY_OPS]; /* by request opcode */
	struct tap_held_list held_req, held_rep;
	/* A request the socket had no room for: it goes first once the
	 * socket is writable, and no request is read until it went (so a
	 * filesystem that stops reading costs at most this one). */
	struct tap_held *parked;
};

/* Start relaying between devfd and sock (both owned by the caller). */
int tap_start(struct tap *t, int devfd, int sock, struct evlog *log,
	      uint32_t max_pages);
/* After unmount or abort: wait for the relay to see the end of the
 * connection, then tell the filesystem (end-of-file on its socket). */
void tap_stop_requests(struct tap *t);
/* After the filesystem exited (or was killed): end the relay and
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
/* Hold every reply to a request of `opcode` for `us` microseconds (0:
 * deliver at once) before the kernel sees it, while other messages go
 * on: the syscall waits that much longer, with its request in flight.
 * -EINVAL for an opcode that has no reply or cannot be held. */
int tap_delay_replies(struct tap *t, uint32_t opcode, uint32_t us);
/* 1 once relaying stopped with an error */
int tap_error_set(struct tap *t);
/* Copy of the first relay error, "" when none. */
void tap_error(struct tap *t, char *buf, size_t size);

/* Socket buffer size for both ends, so that any legal message fits. */
int tap_size_socket(int fd);

#endif
