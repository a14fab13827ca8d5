/* scenario/intr.c - the signal behind the `interrupt MS` statement: a
 * timer that signals one runner thread every MS milliseconds while its
 * next call runs.  The handler does nothing and is installed without
 * SA_RESTART, so a call blocked in the kernel sees the signal: a FUSE
 * request already read from /dev/fuse is then followed by FUSE_INTERRUPT
 * (fs/fuse/dev.c request_wait_answer), and the filesystem may answer the
 * request with EINTR.  The signal repeats because one that lands before
 * the call reaches the kernel interrupts nothing; the kernel sends one
 * FUSE_INTERRUPT a request however often it is signalled. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "scenario/scn_int.h"

#define SCN_INTR_SIGNAL SIGUSR1

static void intr_handler(int sig)
{
	(void)sig; /* its only work is to be delivered */
}

static int intr_installed_rc;

static void intr_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = intr_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the call must see EINTR */
	intr_installed_rc = sigaction(SCN_INTR_SIGNAL, &sa, NULL) ? -errno : 0;
}

int scn_intr_arm(unsigned ms, timer_t *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sigevent sev;
	struct itimerspec its;
	timer_t tm;

	pthread_once(&once, intr_install);
	if (intr_installed_rc)
		return intr_installed_rc;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SCN_INTR_SIGNAL;
	sev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &tm))
		return -errno;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	its.it_interval = its.it_value;
	if (timer_settime(tm, 0, &its, NULL)) {
		int e = -errno;

		timer_delete(tm);
		return e;
	}
	*out = tm;
	return 0;
}

void scn_intr_disarm(timer_t tm)
{
	/* a signal already queued is delivered to the empty handler */
	timer_delete(tm);
}
