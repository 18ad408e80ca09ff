/*
 * systemd's service notifications without libsystemd (sd_notify(3)'s
 * protocol): one datagram of "KEY=VALUE" lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET ('@' first: the abstract namespace). Outside
 * systemd there is no socket and nothing is sent.
 */
#ifndef SK_NOTIFY_H
#define SK_NOTIFY_H

#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=..."): 1 if
 * sent, 0 if there is no $NOTIFY_SOCKET, -errno. */
int notify_send(const char *state);
/* The watchdog's interval in microseconds ($WATCHDOG_USEC, for this
 * process when $WATCHDOG_PID is set), 0 when there is none. */
uint64_t notify_watchdog_usec(void);

#endif
