/* mount/interrupt.c - remember SIGINT / SIGTERM for an orderly end
 * (mount/interrupt.h).  Nothing else is safe in a handler. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "mount/interrupt.h"

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

int interrupt_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* restart: the scenario's syscalls must not see EINTR as a
	 * finding; the abort ends them instead */
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

int interrupt_pending(void)
{
	return caught;
}

const char *interrupt_name(void)
{
	switch (caught) {
	case 0:
		return "";
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	default:
		return "a signal";
	}
}
