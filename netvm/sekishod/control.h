/*
 * sekishod's local control socket (root only, in the netvm): one request
 * line, one response, then the connection closes. The protocol itself
 * (requests, the response's framing, the status payload) is
 * lib/proto/control_wire.h, shared with sekishoctl; docs/control.md. This
 * is the daemon's side: the sockets (the local one, the work link's),
 * the answers built in the parent, and the status gathered from the
 * engine, whole for root and narrowed for the work partition
 * (status_for_work). The frontend's clients are clients.h's.
 */
#ifndef SK_CONTROL_H
#define SK_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/proto/control_wire.h"
#include "netvm/sekishod/engine.h"
#include "netvm/sekishod/tunnel.h"

/* Bundle fetches (docs/distribution.md), when the policy names a server. */
struct fetch_status {
	const char		*server;	/* "10.64.0.9:51830" */
	unsigned int		 interval_s;
	int			 running;
	long long		 next_s;	/* until the next one, -1: none due */
	time_t			 last;		/* wall clock, 0: none yet */
	const char		*result;	/* "accepted: ...", "unchanged: ...", ... */
};

/* The policy's age (expiry.c), for status. */
struct expiry_status {
	uint64_t	signed_at;	/* freshest signed time, unix s */
	uint32_t	max_age;	/* s; 0 never expires */
	int		by_statement, expired;
	uint64_t	age_s, left_s;	/* left_s UINT64_MAX: never */
};

/* Everything `sekishoctl status` shows, gathered by the daemon. */
struct status {
	const struct engine	*engine;
	uint64_t		 now_ms;
	const char		*tunnel_if;
	const struct tunnel_stats *tunnel;	/* NULL: could not be read */
	struct timespec		 wall;		/* for handshake age */
	uint64_t		 serial;
	const char		*policy_path;
	const char		*gateway;	/* the policy's name for it */
	size_t			 gateway_pos;	/* its place in the failover order, 1.. */
	size_t			 n_gateways;	/* of how many; 0: not shown */
	const char		*gateway_from;	/* the one failover left, or NULL */
	const char		*gateway_why;	/* why: "gave no handshake", "went stale" */
	const struct fetch_status *fetch;	/* NULL: no distribution server */
	const struct expiry_status *bundle;	/* NULL: no signed bundle (-f) */
	int			 presence;	/* the policy's: enum policy_presence */
	unsigned int		 presence_s;	/* its period */
};

/* The status in the protocol's terms (status.c). */
void status_fill(const struct status *s, struct ctl_status *out);

/* What the daemon does for each request. */
struct ctl_ops {
	void	(*gather)(struct status *, void *);
	/* "reload": take a new policy bundle if there is one; one line into
	 * out, starting "accepted:", "unchanged:" or "refused:". */
	void	(*reload)(struct buf *out, void *);
	/* "prefer": uplink ("" for auto) preferred, if the engine takes it;
	 * one line as for reload. */
	void	(*prefer)(const char *uplink, struct buf *out, void *);
};

int ctl_listen(const char *path);
/* The work link's listening socket: TCP, any address, port, tied to
 * ifname (SO_BINDTODEVICE: only what arrives on the work link reaches
 * it), backlog CLIENTS_WORK_BACKLOG (clients.h). The descriptor or
 * -errno. */
int ctl_listen_work(const char *ifname, uint16_t port);
/* The answer to req, built where the state is (the parent): its type and
 * payload; the payload's length. */
size_t ctl_answer(const struct ctl_req *req, const struct ctl_ops *ops, void *arg,
    uint8_t *type, uint8_t payload[CTL_PAYLOAD_MAX]);
/*
 * The status as the work partition may see it (docs/control.md, "From
 * the work partition"): the mode, the uplinks' names, flags, priorities
 * and office states, which is active and which preferred, whether the
 * tunnel has had a handshake and how long ago, and the policy's presence.
 * Nothing else: no addresses, gateways, keys, endpoints, beacons, paths,
 * serials, fetches or bundle ages (DESIGN.md, the boundaries). CTL_S_WORK
 * says so to the reader. In place, pure.
 */
void status_for_work(struct ctl_status *s);

#endif
