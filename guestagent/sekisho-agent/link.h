/*
 * The agent's link to the netvm's sign-on relay on the work link
 * (lib/proto/signon_wire.h: UDP, one message per datagram). link_udp.c
 * implements it with BSD sockets; the Windows build swaps in Winsock.
 */
#ifndef SK_AGENT_LINK_H
#define SK_AGENT_LINK_H

#include <stddef.h>
#include <stdint.h>

enum link_err {
	LINK_OK = 0,
	LINK_E_ADDR = -1,	/* not a numeric address */
	LINK_E_TIMEOUT = -2,	/* no answer after every try */
	LINK_E_IO = -3,		/* refused (nothing listens), no route */
};

struct link;

/* 1 if addr is a numeric IPv4 or IPv6 address. */
int link_addr_valid(const char *addr);
int link_open(struct link **out, const char *addr, uint16_t port);
/*
 * Sends msg and waits up to timeout_ms for one datagram; sends it again
 * up to tries times in all when none came. An answer longer than max is
 * cut to max bytes with *alen = max + 1, a length no decoder takes.
 */
int link_exchange(struct link *l, const uint8_t *msg, size_t n, uint8_t *ans,
    size_t max, size_t *alen, unsigned timeout_ms, int tries);
void link_close(struct link *l);

#endif
