/*
 * The kernel's view of the uplinks through rtnetlink: a socket subscribed
 * to link, IPv4 address, IPv4 route and neighbour events, an initial dump, and the
 * translation of each message into engine events. No polling.
 */
#ifndef SK_RTNL_H
#define SK_RTNL_H

#include <stddef.h>
#include <stdint.h>

#include "netvm/sekishod/engine.h"

struct rtnl_watch;

typedef void (*rtnl_event_cb)(const struct event *ev, void *arg);

struct rtnl_watch *rtnl_watch_open(rtnl_event_cb cb, void *arg);
void rtnl_watch_close(struct rtnl_watch *w);
int rtnl_watch_fd(const struct rtnl_watch *w);
/* Dumps links, addresses and routes, delivering an event for each. */
int rtnl_watch_dump(struct rtnl_watch *w);
/* Asks the kernel to resolve addr's link-layer address on ifindex (an
 * ARP request unless it has a fresh one): the office router, whose
 * neighbour entry binds office mode (engine.h). 0 or -errno. */
int rtnl_neigh_use(int ifindex, struct in_addr addr);

/*
 * ifindex's IPv4 neighbour entries that the kernel was still resolving
 * (NUD_INCOMPLETE), dropped so that the next datagram to each address
 * asks at once. An entry made while the link had no carrier is one: its
 * ARP request went nowhere (the kernel drops every frame of a link
 * without carrier), the next waits retrans_time_ms (1 s by default), and
 * every datagram to that address waits in its queue meanwhile, such as a
 * beacon round's challenge (docs/beacon.md). 0 (out says which, and how
 * long each had waited) or -errno.
 */
#define RTNL_UNRESOLVED_MAX 16
struct rtnl_unresolved {
	int		ifindex;
	size_t		n;
	struct in_addr	addr[RTNL_UNRESOLVED_MAX];
	uint32_t	waited_ms[RTNL_UNRESOLVED_MAX];	/* UINT32_MAX: unknown */
};
int rtnl_neigh_restart(int ifindex, struct rtnl_unresolved *out);
/* Reads what is pending on the socket; -ENOBUFS means events were lost
 * and the caller must dump again. */
int rtnl_watch_read(struct rtnl_watch *w);

/* Attaches the watch socket's filter (rtnl.c: notifications of routes in
 * tables above 255, sekishod's own, are dropped) to fd: 0 or -errno.
 * Exposed for unit tests, which run it on byte-built messages. */
int rtnl_filter_attach(int fd);

/* Turns one rtnetlink message into at most one event; 1 if it did.
 * Exposed for unit tests and the fuzzer. */
int rtnl_parse(const void *msg, size_t len, struct event *ev);

#endif
