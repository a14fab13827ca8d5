/* mount/interrupt.h - SIGINT and SIGTERM end a run in order: the handler only
 * records the signal; the session watchdog aborts the connection (the
 * scenario ends "broken: interrupted by SIGINT"), the run stops before
 * the next scenario and still writes its reports.  A second signal takes
 * the default action (SA_RESETHAND). */
#ifndef FC_INTERRUPT_H
#define FC_INTERRUPT_H

/* Install the handlers; 0 or -errno. */
int interrupt_install(void);
/* The signal caught, 0 while none. */
int interrupt_pending(void);
/* "SIGINT", "SIGTERM" for the caught signal; "" while none. */
const char *interrupt_name(void);

#endif
