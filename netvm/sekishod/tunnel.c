#include "netvm/sekishod/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/route6.h"
#include "policy/policy.h"
#include "vpn/wg.h"

/* Which of the policy's gateways a running interface has as a peer: a
 * restarted sekishod goes on with it, session and all. Else the first. */
static size_t
running_gateway(const char *ifname, const struct policy *pol)
{
	struct wg_device cur;
	size_t gw = 0;
	int found = 0;

	if (wg_get(ifname, &cur) < 0)
		return 0;
	/* A probe of the first gateway (no allowed IP) is not the one in use. */
	for (size_t i = 0; i < cur.n_peers && !found; i++)
		for (size_t k = 0; cur.peers[i].n_allowed > 0 && k < pol->n_gateways && !found; k++)
			if (ct_equal(cur.peers[i].public_key, pol->gateways[k].pubkey, 32)) {
				gw = k;
				found = 1;
			}
	wg_device_free(&cur);
	return gw;
}

/* Peers of a running interface other than the gateway in use, marked for
 * removal into peers[1..]; returns how many. Replacing all peers instead
 * would reset the gateway's session, and a restarted sekishod must not. */
static size_t
strangers(const char *ifname, const uint8_t keep[32], struct wg_peer **out)
{
	struct wg_device cur;
	struct wg_peer *p;
	size_t n = 0;

	*out = NULL;
	if (wg_get(ifname, &cur) < 0 || cur.n_peers == 0 ||
	    (p = calloc(cur.n_peers + 1, sizeof(*p))) == NULL) {
		wg_device_free(&cur);
		return 0;
	}
	for (size_t i = 0; i < cur.n_peers; i++) {
		if (ct_equal(cur.peers[i].public_key, keep, 32))
			continue;
		memcpy(p[1 + n].public_key, cur.peers[i].public_key, 32);
		p[1 + n].flags = WG_PEER_REMOVE;
		n++;
	}
	wg_device_free(&cur);
	*out = p;
	return n;
}

/* Whether pol's gateway gw (SIZE_MAX: none) has a tunnel address. */
static int
has_echo(const struct policy *pol, size_t gw)
{
	return gw < pol->n_gateways && pol->gateways[gw].tunnel_addr.s_addr != 0;
}

static size_t
count_allowed(const struct policy *pol, size_t gw)
{
	return pol->n_lgwan + (pol->has_v6 ? pol->n_lgwan6 : 0) + (size_t)has_echo(pol, gw);
}

/* Gateway gw's allowed IPs (heap): the LGWAN prefixes, and last its own
 * tunnel address, if the policy gives one, so that the liveness probe's
 * echo goes to it and its answer is taken from it (and from no other
 * peer: WireGuard accepts a packet only from the peer whose allowed IPs
 * hold its source). */
static struct wg_allowedip *
allowed_ips(const struct policy *pol, size_t gw)
{
	size_t n = count_allowed(pol, gw), k = 0;
	struct wg_allowedip *allowed = calloc(n ? n : 1, sizeof(*allowed));

	for (size_t i = 0; allowed != NULL && i < pol->n_lgwan; i++, k++) {
		allowed[k].family = AF_INET;
		allowed[k].ip4 = pol->lgwan[i].addr;
		allowed[k].cidr = pol->lgwan[i].plen;
	}
	for (size_t i = 0; allowed != NULL && pol->has_v6 && i < pol->n_lgwan6; i++, k++) {
		allowed[k].family = AF_INET6;
		allowed[k].ip6 = pol->lgwan6[i].addr;
		allowed[k].cidr = pol->lgwan6[i].plen;
	}
	if (allowed != NULL && has_echo(pol, gw)) {
		allowed[k].family = AF_INET;
		allowed[k].ip4 = pol->gateways[gw].tunnel_addr;
		allowed[k].cidr = 32;
	}
	return allowed;
}

/* Private key, the gateway in use as the only peer, its endpoint,
 * keepalive and the LGWAN prefixes as its allowed IPs. A fresh interface
 * has all its peers replaced; a reused one has only the strangers removed. */
static int
configure(const struct tunnel *t, const struct policy *pol, const uint8_t key[32],
    int reuse)
{
	const char *ifname = t->ifname;
	struct wg_device dev;
	struct wg_peer one, *peers = &one;
	struct wg_allowedip *allowed;
	size_t extra = 0;
	int rc;

	memset(&one, 0, sizeof(one));
	if (reuse)
		extra = strangers(ifname, t->peer, &peers);
	if (peers == NULL)
		peers = &one;
	if ((allowed = allowed_ips(pol, t->gw)) == NULL) {
		if (peers != &one)
			free(peers);
		return -ENOMEM;
	}
	memcpy(peers[0].public_key, t->peer, 32);
	memcpy(&peers[0].endpoint, &t->endpoint_sa, sizeof(t->endpoint_sa));
	/* No keepalive until the tunnel has an uplink (tunnel_via): a
	 * handshake sent with nowhere to go is retried only after 5 s, and
	 * the first packet from work would wait for that. */
	peers[0].keepalive = 0;
	peers[0].allowed = allowed;
	peers[0].n_allowed = count_allowed(pol, t->gw);
	peers[0].flags = WG_PEER_REPLACE_ALLOWEDIPS;
	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, ifname, sizeof(dev.ifname));
	memcpy(dev.private_key, key, 32);
	dev.has_private_key = 1;
	dev.flags = reuse ? 0 : WG_DEVICE_REPLACE_PEERS;
	dev.peers = peers;
	dev.n_peers = 1 + extra;
	rc = wg_set(&dev);
	wipe(dev.private_key, sizeof(dev.private_key));
	free(allowed);
	if (peers != &one)
		free(peers);
	return rc;
}

static void echo_close(struct tunnel *t);

static void
use_gateway(struct tunnel *t, const struct policy *pol, size_t i)
{
	if (t->gw != i || !ct_equal(t->peer, pol->gateways[i].pubkey, 32))
		echo_close(t);	/* its answers were another gateway's */
	t->gw = i;
	t->endpoint_sa = pol->gateways[i].endpoint;
	memcpy(t->peer, pol->gateways[i].pubkey, sizeof(t->peer));
	t->keepalive = pol->gateways[i].keepalive;
	if (i == 0)
		t->n_first = 0;	/* the probe peer, if any, is the peer now */
}

/* The LGWAN routes into the tunnel, IPv4 then (with has_v6) IPv6, in
 * bulk (route_batch): all of pol's, or (old != NULL) those old had not. */
static int
lgwan_routes(const struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	struct route_ops ops = { 0 };
	struct live_walk w = { old, 0 };
	int rc = 0;

	for (size_t i = 0; i < pol->n_lgwan && rc == 0; i++) {
		struct route_op op = { .family = AF_INET, .table = SK_RT_TABLE,
		    .plen = pol->lgwan[i].plen, .oif = t->ifindex };

		op.dst.v4 = pol->lgwan[i].addr;
		if (old == NULL || !live_walk_has(&w, op.dst.v4, op.plen))
			rc = route_ops_add(&ops, &op);
	}
	for (size_t i = 0; pol->has_v6 && i < pol->n_lgwan6 && rc == 0; i++) {
		struct route_op op = { .family = AF_INET6, .table = SK_RT_TABLE,
		    .plen = pol->lgwan6[i].plen, .oif = t->ifindex };

		op.dst.v6 = pol->lgwan6[i].addr;
		if (old == NULL || !live_has_prefix6(old, &pol->lgwan6[i].addr, pol->lgwan6[i].plen))
			rc = route_ops_add(&ops, &op);
	}
	if (rc == 0)
		rc = route_batch(ops.v, ops.n);
	route_ops_free(&ops);
	return rc;
}

static int
routes(struct tunnel *t, const struct policy *pol)
{
	int rc;

	if ((rc = route_link_set(t->ifindex, 1, pol->mtu)) < 0 ||
	    (rc = route_addr_add(t->ifindex, pol->tunnel_addr, 32)) < 0 ||
	    (rc = route6_tunnel(t->ifindex, pol)) < 0)
		return rc;
	return lgwan_routes(t, NULL, pol);
}

int
tunnel_open(struct tunnel *t, const char *ifname, const struct policy *pol,
    const uint8_t private_key[32], struct sk_error *err)
{
	int rc, reuse;

	echo_close(t);	/* a tunnel opened again (its WireGuard died) */
	memset(t, 0, sizeof(*t));
	t->echo_fd = -1;
	sk_strlcpy(t->ifname, ifname, sizeof(t->ifname));
	for (size_t i = 0; i < pol->n_gateways && i < POLICY_MAX_GATEWAYS; i++)
		t->endpoints[t->n_endpoints++] = pol->gateways[i].endpoint.sin_addr;
	/* The kernel backend starts no process, so only whether the interface
	 * was there before tells a reuse. */
	reuse = if_nametoindex(ifname) != 0;
	if ((rc = wg_create(ifname, WG_BACKEND_AUTO, &t->child)) < 0)
		return sk_errorf(err, -rc, "tunnel %s: cannot create: %s", ifname,
		    strerror(-rc));
	use_gateway(t, pol, reuse ? running_gateway(ifname, pol) : 0);
	if (reuse)
		log_info("tunnel %s: already running, reusing it", ifname);
	if ((rc = configure(t, pol, private_key, reuse)) < 0)
		return sk_errorf(err, -rc, "tunnel %s: cannot configure: %s", ifname,
		    strerror(-rc));
	if ((t->ifindex = (int)if_nametoindex(ifname)) == 0)
		return sk_errorf(err, errno, "tunnel %s: no such interface", ifname);
	if ((rc = routes(t, pol)) < 0)
		return sk_errorf(err, -rc, "tunnel %s: cannot set address and routes: %s",
		    ifname, strerror(-rc));
	return 0;
}

/* Setting the peer's endpoint again makes the WireGuard implementation
 * forget the source address it last sent from: after a move to another
 * uplink that address is gone, and a userspace implementation would go on
 * using it until a handshake times out. */
static int
forget_source(struct tunnel *t, uint16_t keepalive)
{
	struct wg_peer peer;
	struct wg_device dev;

	memset(&peer, 0, sizeof(peer));
	memcpy(peer.public_key, t->peer, sizeof(peer.public_key));
	memcpy(&peer.endpoint, &t->endpoint_sa, sizeof(t->endpoint_sa));
	peer.keepalive = keepalive;
	peer.flags = WG_PEER_UPDATE_ONLY;
	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
	dev.peers = &peer;
	dev.n_peers = 1;
	return wg_set(&dev);
}

/* All of them, whichever is in use: a failover then needs no new route,
 * and no endpoint is ever reached through the tunnel. */
int
tunnel_via(struct tunnel *t, int uplink_ifindex, const struct in_addr *gw)
{
	int rc;

	for (size_t i = 0; i < t->n_endpoints; i++)
		if ((rc = route_replace(SK_RT_ENDPOINT, t->endpoints[i], 32, gw,
		    uplink_ifindex)) < 0)
			return rc;
	return forget_source(t, t->keepalive);
}

int
tunnel_idle(struct tunnel *t)
{
	int rc = 0;

	for (size_t i = 0; i < t->n_endpoints && rc == 0; i++)
		rc = route_del(SK_RT_ENDPOINT, t->endpoints[i], 32);
	/* Idle: no keepalives (and so no handshakes) with nowhere to go,
	 * and no liveness probe out. */
	echo_close(t);
	if (rc == 0)
		rc = forget_source(t, 0);
	if (rc == 0 && t->n_first == 1) {	/* nor a probe of the first */
		struct wg_device dev;
		struct wg_peer peer;

		memset(&peer, 0, sizeof(peer));
		memcpy(peer.public_key, t->first, 32);
		peer.flags = WG_PEER_REMOVE;
		memset(&dev, 0, sizeof(dev));
		sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
		dev.peers = &peer;
		dev.n_peers = 1;
		if ((rc = wg_set(&dev)) == 0)
			t->n_first = 0;
	}
	return rc;
}

int
tunnel_gateway(struct tunnel *t, const struct policy *pol, size_t i)
{
	const struct policy_gateway *g = &pol->gateways[i];
	struct wg_peer peers[2];
	struct wg_device dev;
	int rc;

	memset(peers, 0, sizeof(peers));
	memcpy(peers[0].public_key, g->pubkey, 32);
	memcpy(&peers[0].endpoint, &g->endpoint, sizeof(g->endpoint));
	peers[0].keepalive = g->keepalive;
	peers[0].flags = WG_PEER_REPLACE_ALLOWEDIPS;
	peers[0].n_allowed = count_allowed(pol, i);
	if ((peers[0].allowed = allowed_ips(pol, i)) == NULL)
		return -ENOMEM;
	/* Then the old one goes, holding no allowed IP by now (unless it is
	 * the same key at another endpoint: then it was only updated). */
	memcpy(peers[1].public_key, t->peer, 32);
	peers[1].flags = WG_PEER_REMOVE;
	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
	dev.peers = peers;
	dev.n_peers = ct_equal(t->peer, g->pubkey, 32) ? 1 : 2;
	rc = wg_set(&dev);
	free(peers[0].allowed);
	if (rc == 0)
		use_gateway(t, pol, i);
	return rc;
}

int
tunnel_back_probe(struct tunnel *t, const struct policy *pol)
{
	const struct policy_gateway *g = &pol->gateways[0];
	struct wg_device dev;
	struct wg_peer peer;
	int rc;

	if (t->gw == 0 || ct_equal(t->peer, g->pubkey, 32))
		return 0;
	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
	dev.peers = &peer;
	dev.n_peers = 1;
	/* Removed first: a keepalive that goes from off to on is what makes
	 * WireGuard send at once, and a new peer's handshake time is 0. */
	memset(&peer, 0, sizeof(peer));
	memcpy(peer.public_key, g->pubkey, 32);
	peer.flags = WG_PEER_REMOVE;
	if ((rc = wg_set(&dev)) < 0)
		return rc;
	memset(&peer, 0, sizeof(peer));
	memcpy(peer.public_key, g->pubkey, 32);
	memcpy(&peer.endpoint, &g->endpoint, sizeof(g->endpoint));
	peer.keepalive = g->keepalive != 0 ? g->keepalive : TUNNEL_PROBE_KEEPALIVE_S;
	peer.flags = WG_PEER_REPLACE_ALLOWEDIPS;
	if ((rc = wg_set(&dev)) < 0)
		return rc;
	memcpy(t->first, g->pubkey, 32);
	t->n_first = 1;
	return 0;
}

int
tunnel_stats(const struct tunnel *t, struct tunnel_stats *st)
{
	struct wg_device dev;
	const struct wg_peer *p;
	char a[INET6_ADDRSTRLEN];
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = wg_get(t->ifname, &dev)) < 0)
		return rc;
	st->up = 1;
	/* The gateway in use; beside it, maybe the first's probe peer. */
	p = NULL;
	for (size_t i = 0; i < dev.n_peers; i++) {
		if (ct_equal(dev.peers[i].public_key, t->peer, 32))
			p = &dev.peers[i];
		else if (t->gw != 0 && t->n_first == 1 &&
		    ct_equal(dev.peers[i].public_key, t->first, 32)) {
			st->has_first = 1;
			st->first_handshake = dev.peers[i].last_handshake;
		}
	}
	if (p == NULL && dev.n_peers > 0)
		p = &dev.peers[0];
	if (p != NULL) {
		st->last_handshake = p->last_handshake;
		st->rx_bytes = p->rx_bytes;
		st->tx_bytes = p->tx_bytes;
		key_to_b64(st->peer, p->public_key);
		if (p->endpoint.ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)&p->endpoint;

			snprintf(st->endpoint, sizeof(st->endpoint), "%s:%u",
			    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)),
			    ntohs(sin->sin_port));
		}
	}
	wg_device_free(&dev);
	return 0;
}

/* The probe's ping socket goes (a new gateway, the tunnel closed): an
 * answer that comes later counts for nothing. */
static void
echo_close(struct tunnel *t)
{
	if (t->has_echo_fd)
		close(t->echo_fd);
	t->has_echo_fd = 0;
	t->echo_fd = -1;
}

int
tunnel_has_echo(const struct tunnel *t, const struct policy *pol)
{
	return has_echo(pol, t->gw) && ct_equal(pol->gateways[t->gw].pubkey, t->peer, 32);
}

static int
echo_probe(struct tunnel *t, const struct policy *pol)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	/* type 8 (echo request), code 0; the kernel sets the checksum and
	 * the identifier (the socket's own) */
	uint8_t req[8] = { 8, 0, 0, 0, 0, 0, 0, 0 };
	int fd;

	if (!t->has_echo_fd) {
		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    IPPROTO_ICMP)) == -1)
			return -errno;
		/* out of the tunnel and nowhere else, whatever the routes say;
		 * and only what came in through it */
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->ifname,
		    (socklen_t)strlen(t->ifname)) == -1) {
			int e = errno;

			close(fd);
			return -e;
		}
		t->echo_fd = fd;
		t->has_echo_fd = 1;
	}
	t->echo_seq++;
	req[6] = (uint8_t)(t->echo_seq >> 8);
	req[7] = (uint8_t)t->echo_seq;
	to.sin_addr = pol->gateways[t->gw].tunnel_addr;
	if (sendto(t->echo_fd, req, sizeof(req), MSG_DONTWAIT,
	    (const struct sockaddr *)&to, sizeof(to)) == -1)
		return -errno;
	return 0;
}

int
tunnel_echo_heard(struct tunnel *t, const struct policy *pol)
{
	int heard = 0;

	if (!t->has_echo_fd || !tunnel_has_echo(t, pol))
		return 0;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in from;
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from) };

		memset(&from, 0, sizeof(from));
		if (recvmsg(t->echo_fd, &mh, MSG_DONTWAIT | MSG_TRUNC) == -1)
			break;
		if (mh.msg_namelen == sizeof(from) && from.sin_family == AF_INET &&
		    from.sin_addr.s_addr == pol->gateways[t->gw].tunnel_addr.s_addr)
			heard++;
	}
	return heard;
}

int
tunnel_live_probe(struct tunnel *t, const struct policy *pol)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(TUNNEL_LIVE_PORT) };
	int fd, rc = 0;

	if (tunnel_has_echo(t, pol))
		return echo_probe(t, pol);
	if (pol->n_lgwan == 0)
		return -EDESTADDRREQ;
	to.sin_addr = pol->lgwan[0].addr;
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	/* out of the tunnel and nowhere else, whatever the routes say */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->ifname,
	    (socklen_t)strlen(t->ifname)) == -1 ||
	    sendto(fd, "", 0, MSG_DONTWAIT, (const struct sockaddr *)&to, sizeof(to)) == -1)
		rc = -errno;
	close(fd);
	return rc;
}

int
tunnel_alive(const struct tunnel *t)
{
	struct tunnel_stats st;
	struct timespec now;
	int rc;

	if ((rc = tunnel_stats(t, &st)) < 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	return st.last_handshake.tv_sec != 0 &&
	    now.tv_sec - st.last_handshake.tv_sec < TUNNEL_SESSION_S;
}

void
tunnel_close(struct tunnel *t)
{
	int rc, i;

	echo_close(t);
	/* Removing the interface ends a userspace implementation too, also
	 * one a previous sekishod started and this one reused; wait (2 s at
	 * most) until it is gone, so a stop is complete when we exit. */
	if ((rc = wg_delete(t->ifname)) < 0 && rc != -ENODEV && rc != -ENOENT)
		log_warnx("tunnel %s: cannot remove: %s", t->ifname, strerror(-rc));
	for (i = 0; i < 100 && if_nametoindex(t->ifname) != 0; i++)
		usleep(20000);
	if (t->child > 0) {
		if (waitpid(t->child, NULL, WNOHANG) == 0) {
			kill(t->child, SIGTERM);
			waitpid(t->child, NULL, 0);
		}
		t->child = 0;
	}
}

static size_t find_gateway(const struct tunnel *t, const struct policy *pol);

/* The gateway's allowed IPs: with old == NULL replaced by pol's prefixes
 * (and its own tunnel address) in one set; else only those pol has and
 * old had not added. Its session, endpoint and the interface's key stay. */
static int
set_allowed(const struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	/* the gateway in use by key and endpoint: pol's order may differ */
	size_t gw = find_gateway(t, pol);
	struct wg_device dev;
	struct wg_peer peer;
	struct wg_allowedip *all;
	struct live_walk w = { old, 0 };
	size_t n = count_allowed(pol, gw), k = 0;
	int rc;

	memset(&peer, 0, sizeof(peer));
	memcpy(peer.public_key, t->peer, sizeof(peer.public_key));
	peer.keepalive = t->keepalive;
	peer.flags = WG_PEER_UPDATE_ONLY | (old == NULL ? WG_PEER_REPLACE_ALLOWEDIPS : 0);
	if ((all = allowed_ips(pol, gw)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* the gateway's own address (last) is in place already */
		int had = old == NULL ? 0 : i + 1 == n && has_echo(pol, gw) ? 1 :
		    all[i].family == AF_INET ?
		    live_walk_has(&w, all[i].ip4, all[i].cidr) :
		    live_has_prefix6(old, &all[i].ip6, all[i].cidr);

		if (!had)
			all[k++] = all[i];
	}
	if (k == 0 && old != NULL) {
		free(all);
		return 0;
	}
	peer.allowed = all;
	peer.n_allowed = k;
	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
	dev.peers = &peer;
	dev.n_peers = 1;
	rc = wg_set(&dev);
	free(all);
	return rc;
}

/* Whether new withdraws any of old's prefixes (either family). */
static int
withdraws(const struct policy *old, const struct policy *new)
{
	struct live_walk w = { new, 0 };

	for (size_t i = 0; i < old->n_lgwan; i++)
		if (!live_walk_has(&w, old->lgwan[i].addr, old->lgwan[i].plen))
			return 1;
	for (size_t i = 0; old->has_v6 && i < old->n_lgwan6; i++)
		if (!live_has_prefix6(new, &old->lgwan6[i].addr, old->lgwan6[i].plen))
			return 1;
	return 0;
}

/* The routes of pol's new prefixes. */
static int
update_routes(const struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	int rc;

	if ((rc = route6_tunnel(t->ifindex, pol)) < 0)
		return rc;
	return lgwan_routes(t, old, pol);
}

/* The allowed IPs made pol's. WireGuard takes allowed IPs away only by
 * replacing them all: a change that withdraws a prefix sets the whole
 * list, one that only adds sends the new ones. */
static int
update_allowed(const struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	return set_allowed(t, withdraws(old, pol) ? NULL : old, pol);
}

int
tunnel_update(struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	int rc;

	if ((rc = update_routes(t, old, pol)) < 0)
		return rc;
	return update_allowed(t, old, pol);
}

static void *
update_thread(void *arg)
{
	struct tunnel_job *j = arg;
	int rc = update_routes(j->t, &j->old, &j->pol);

	pthread_mutex_lock(&j->lock);
	j->rc_routes = rc;
	j->routed = 1;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	if (rc == 0)
		rc = update_allowed(j->t, &j->old, &j->pol);
	j->rc = rc;	/* read after the join */
	return NULL;
}

void
tunnel_update_start(const struct tunnel *t, const struct policy *old,
    const struct policy *pol, struct tunnel_job *j)
{
	sigset_t all, was;

	j->t = t;
	j->old = *old;
	j->pol = *pol;
	j->routed = j->done = j->thread = 0;
	j->rc_routes = j->rc = 0;
	if (pthread_mutex_init(&j->lock, NULL) == 0) {
		if (pthread_cond_init(&j->cond, NULL) == 0) {
			/* no signal for the thread: sekishod's are read from a
			 * signalfd */
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &was);
			j->thread = pthread_create(&j->tid, NULL, update_thread, j) == 0;
			pthread_sigmask(SIG_SETMASK, &was, NULL);
			if (j->thread)
				return;
			pthread_cond_destroy(&j->cond);
		}
		pthread_mutex_destroy(&j->lock);
	}
	/* no thread: all of it now */
	j->rc_routes = update_routes(t, old, pol);
	j->rc = j->rc_routes < 0 ? j->rc_routes : update_allowed(t, old, pol);
	j->routed = j->done = 1;
}

int
tunnel_update_routed(struct tunnel_job *j)
{
	int rc;

	if (!j->thread)
		return j->rc_routes;
	pthread_mutex_lock(&j->lock);
	while (!j->routed)
		pthread_cond_wait(&j->cond, &j->lock);
	rc = j->rc_routes;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

int
tunnel_update_join(struct tunnel_job *j)
{
	if (j->thread && !j->done) {
		pthread_join(j->tid, NULL);
		pthread_cond_destroy(&j->cond);
		pthread_mutex_destroy(&j->lock);
		j->done = 1;
	}
	return j->rc;
}

int
tunnel_set_key(const struct tunnel *t, const uint8_t key[32])
{
	struct wg_device dev;
	int rc;

	memset(&dev, 0, sizeof(dev));
	sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
	memcpy(dev.private_key, key, 32);
	dev.has_private_key = 1;
	rc = wg_set(&dev);
	wipe(dev.private_key, sizeof(dev.private_key));
	return rc;
}

/* The gateway in use, by key and endpoint, in pol's list: its index, or
 * SIZE_MAX. */
static size_t
find_gateway(const struct tunnel *t, const struct policy *pol)
{
	for (size_t i = 0; i < pol->n_gateways; i++)
		if (ct_equal(pol->gateways[i].pubkey, t->peer, 32) &&
		    pol->gateways[i].endpoint.sin_addr.s_addr == t->endpoint_sa.sin_addr.s_addr &&
		    pol->gateways[i].endpoint.sin_port == t->endpoint_sa.sin_port)
			return i;
	return SIZE_MAX;
}

/* Whether the gateway in use has the same tunnel address (or none) in
 * old as in pol. */
static int
same_echo(const struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	size_t was = find_gateway(t, old), now = find_gateway(t, pol);
	struct in_addr a = { 0 }, b = { 0 };

	if (was != SIZE_MAX)
		a = old->gateways[was].tunnel_addr;
	if (now != SIZE_MAX)
		b = pol->gateways[now].tunnel_addr;
	return a.s_addr == b.s_addr;
}

static int
has_endpoint(const struct policy *pol, struct in_addr a)
{
	for (size_t i = 0; i < pol->n_gateways; i++)
		if (pol->gateways[i].endpoint.sin_addr.s_addr == a.s_addr)
			return 1;
	return 0;
}

int
tunnel_gateways(struct tunnel *t, const struct policy *old, const struct policy *pol)
{
	size_t keep = find_gateway(t, pol);
	int rc;

	/* The new endpoints' rules first (the tunnel's UDP to them over the
	 * uplink), the old ones' after the peer has moved. */
	for (size_t i = 0; i < pol->n_gateways; i++)
		if ((rc = route_endpoint_rule(1, pol->gateways[i].endpoint.sin_addr)) < 0)
			return rc;
	if (keep != SIZE_MAX) {
		/* The gateway in use stays: its session too; only its
		 * keepalive and its place in the order may have changed. */
		t->gw = keep;
		t->keepalive = pol->gateways[keep].keepalive;
		if ((rc = forget_source(t, t->keepalive)) < 0)
			return rc;
		/* its own tunnel address (the probe's echo) may have changed:
		 * its allowed IPs made pol's whole list again */
		if (old != NULL && !same_echo(t, old, pol) &&
		    (rc = set_allowed(t, NULL, pol)) < 0)
			return rc;
	} else if ((rc = tunnel_gateway(t, pol, 0)) < 0)
		return rc;
	for (size_t i = 0; i < t->n_endpoints; i++)
		if (!has_endpoint(pol, t->endpoints[i]) &&
		    (rc = route_endpoint_rule(0, t->endpoints[i])) < 0)
			return rc;
	t->n_endpoints = 0;
	for (size_t i = 0; i < pol->n_gateways && i < POLICY_MAX_GATEWAYS; i++)
		t->endpoints[t->n_endpoints++] = pol->gateways[i].endpoint.sin_addr;
	/* A probe of the old first gateway (tunnel_back_probe) goes: the
	 * engine starts over with the new order. */
	if (t->n_first == 1 && !ct_equal(t->first, t->peer, 32)) {
		struct wg_device dev;
		struct wg_peer peer;

		memset(&peer, 0, sizeof(peer));
		memcpy(peer.public_key, t->first, 32);
		peer.flags = WG_PEER_REMOVE;
		memset(&dev, 0, sizeof(dev));
		sk_strlcpy(dev.ifname, t->ifname, sizeof(dev.ifname));
		dev.peers = &peer;
		dev.n_peers = 1;
		if ((rc = wg_set(&dev)) < 0)
			return rc;
	}
	t->n_first = 0;
	return keep != SIZE_MAX;
}

int
tunnel_withdraw(const struct policy *old, const struct policy *new)
{
	struct route_ops ops = { 0 };
	struct live_walk w = { new, 0 };
	int rc = 0, first;

	for (size_t i = 0; i < old->n_lgwan && rc == 0; i++) {
		const struct prefix4 *p = &old->lgwan[i];
		struct route_op op = { .del = 1, .family = AF_INET, .table = SK_RT_TABLE,
		    .plen = p->plen };

		op.dst.v4 = p->addr;
		if (!live_walk_has(&w, p->addr, p->plen))
			rc = route_ops_add(&ops, &op);
	}
	if (rc == 0)
		rc = route_batch(ops.v, ops.n);
	route_ops_free(&ops);
	first = rc;
	if ((rc = route6_withdraw(old, new)) < 0 && first == 0)
		first = rc;
	return first;
}
