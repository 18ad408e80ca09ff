/*
 * sekishod's local control socket (root only, in the netvm): one request
 * line, one reply, then the connection closes. The request grammar is tiny
 * and bounded; the parser is fuzzed. Requests: "status", "status json",
 * "reload" (a new signed policy bundle, docs/bundle.md). The socket is the
 * netvm root's: a relay for the work partition's agent must pass "status"
 * only (a reload costs a helper process each time).
 */
#ifndef SK_CONTROL_H
#define SK_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "netvm/sekishod/engine.h"
#include "netvm/sekishod/tunnel.h"

#define CTL_MAX_LINE	64
#define CTL_SOCKET	"/run/sekisho/sekishod.sock"

enum ctl_cmd { CTL_STATUS, CTL_STATUS_JSON, CTL_RELOAD };

/* Parses one request of exactly len bytes ending in '\n'. 0 or -errno:
 * -EMSGSIZE too long, -EINVAL not a known request. */
int ctl_parse(const char *buf, size_t len, enum ctl_cmd *cmd);

/* Bundle fetches (docs/distribution.md), when the policy names a server. */
struct fetch_status {
	const char		*server;	/* "10.64.0.9:51830" */
	unsigned int		 interval_s;
	int			 running;
	long long		 next_s;	/* until the next one, -1: none due */
	time_t			 last;		/* wall clock, 0: none yet */
	const char		*result;	/* "accepted: ...", "unchanged: ...", ... */
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
};

void status_text(const struct status *s, struct buf *out);
void status_json(const struct status *s, struct buf *out);

/* What the daemon does for each request. */
struct ctl_ops {
	void	(*gather)(struct status *, void *);
	/* "reload": take a new policy bundle if there is one; one line into
	 * out, starting "accepted:", "unchanged:" or "refused:". */
	void	(*reload)(struct buf *out, void *);
};

int ctl_listen(const char *path);
/* Accepts one client and answers it; blocking with short timeouts. */
void ctl_serve(int lfd, const struct ctl_ops *ops, void *arg);

#endif
