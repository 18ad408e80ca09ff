/*
 * The agent's link to sekishod's control socket on the work link
 * (docs/control.md, "From the work partition"): one TCP connection per
 * request to the netvm's address, port CTL_WORK_PORT; one request line
 * out, the whole response in until the netvm closes. ctlink_posix.c on
 * Linux, ctlink_win.c (Winsock) on Windows. What is said is netvm.c's.
 */
#ifndef SK_AGENT_CTLINK_H
#define SK_AGENT_CTLINK_H

#include <stddef.h>
#include <stdint.h>

#include "guestagent/sekisho-agent/link.h"

/*
 * Connects to addr:port, sends req (NUL-terminated), reads until the
 * netvm closes or timeout_ms passed in all. LINK_OK with *len; a response
 * longer than cap is cut with *len = cap + 1 (no decoder takes it).
 * LINK_E_ADDR, LINK_E_IO (refused, reset, no route), LINK_E_TIMEOUT.
 */
int ctlink_exchange(const char *addr, uint16_t port, const char *req, uint8_t *resp,
    size_t cap, size_t *len, unsigned timeout_ms);

#endif
