/*
 * The kernel backend: WG_CMD_SET_DEVICE / WG_CMD_GET_DEVICE over generic
 * netlink (libmnl), RTM_NEWLINK / RTM_DELLINK over rtnetlink. Builders and
 * parser first (pure), the live exchange at the end.
 */
#include "vpn/wg_nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ifname.h"
#include "lib/encode.h"
#include "lib/util.h"

#define GENL_HDRLEN_ALIGNED	MNL_ALIGN(sizeof(struct genlmsghdr))
#define NL_SMALL_MSG		512

/* ---- building requests ---- */

static struct nlmsghdr *
genl_header(void *buf, size_t buflen, uint16_t family, uint32_t seq,
    uint8_t cmd, uint16_t flags)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	if (buflen < MNL_NLMSG_HDRLEN + GENL_HDRLEN_ALIGNED)
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

int
wg_nl_build_get(void *buf, size_t buflen, uint16_t family, uint32_t seq,
    const char *ifname, size_t *len)
{
	struct nlmsghdr *nlh;

	*len = 0;
	if (!ifname_valid(ifname))
		return -EINVAL;
	nlh = genl_header(buf, buflen, family, seq, WG_CMD_GET_DEVICE,
	    NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	if (nlh == NULL ||
	    !mnl_attr_put_strz_check(nlh, buflen, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	*len = nlh->nlmsg_len;
	return 0;
}

static int
put_device(struct nlmsghdr *nlh, size_t buflen, const struct wg_device *dev)
{
	if (dev->has_private_key && !mnl_attr_put_check(nlh, buflen,
	    WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, dev->private_key))
		return -EMSGSIZE;
	if (dev->has_listen_port && !mnl_attr_put_u16_check(nlh, buflen,
	    WGDEVICE_A_LISTEN_PORT, dev->listen_port))
		return -EMSGSIZE;
	if ((dev->flags & WG_DEVICE_REPLACE_PEERS) && !mnl_attr_put_u32_check(nlh,
	    buflen, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS))
		return -EMSGSIZE;
	return 0;
}

static int
put_endpoint(struct nlmsghdr *nlh, size_t buflen, const struct sockaddr_storage *ss)
{
	size_t len;

	if (ss->ss_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (ss->ss_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	else
		return 0;
	return mnl_attr_put_check(nlh, buflen, WGPEER_A_ENDPOINT, len, ss) ?
	    0 : -EMSGSIZE;
}

/* Key and flags; in the first part also endpoint and keepalive. */
static int
put_peer_head(struct nlmsghdr *nlh, size_t buflen, const struct wg_peer *p,
    int first)
{
	uint32_t flags = 0;

	if (!mnl_attr_put_check(nlh, buflen, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
	    p->public_key))
		return -EMSGSIZE;
	if (p->flags & WG_PEER_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	if (p->flags & WG_PEER_UPDATE_ONLY)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (first && !(p->flags & WG_PEER_REMOVE)) {
		if (p->flags & WG_PEER_REPLACE_ALLOWEDIPS)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
		if (put_endpoint(nlh, buflen, &p->endpoint) != 0 ||
		    !mnl_attr_put_u16_check(nlh, buflen,
		    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->keepalive))
			return -EMSGSIZE;
	}
	if (flags != 0 &&
	    !mnl_attr_put_u32_check(nlh, buflen, WGPEER_A_FLAGS, flags))
		return -EMSGSIZE;
	return 0;
}

static int
put_allowedip(struct nlmsghdr *nlh, size_t buflen, const struct wg_allowedip *a)
{
	size_t alen = a->family == AF_INET ? sizeof(a->ip4) : sizeof(a->ip6);
	struct nlattr *nest;

	if ((nest = mnl_attr_nest_start_check(nlh, buflen, 0)) == NULL)
		return -EMSGSIZE;
	if (!mnl_attr_put_u16_check(nlh, buflen, WGALLOWEDIP_A_FAMILY,
	    (uint16_t)a->family) ||
	    !mnl_attr_put_check(nlh, buflen, WGALLOWEDIP_A_IPADDR, alen, &a->ip6) ||
	    !mnl_attr_put_u8_check(nlh, buflen, WGALLOWEDIP_A_CIDR_MASK, a->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/* One part of the cursor's peer: 1 when it went in (the cursor moved on),
 * 0 when nothing of it fits. A part with allowed IPs to send holds >= 1. */
static int
put_peer(struct nlmsghdr *nlh, size_t buflen, const struct wg_peer *p,
    struct wg_nl_cursor *cur)
{
	int want_ips = !(p->flags & WG_PEER_REMOVE) && cur->allowed < p->n_allowed;
	struct nlattr *peer, *ips;
	size_t added = 0;

	if ((peer = mnl_attr_nest_start_check(nlh, buflen, 0)) == NULL)
		return 0;
	if (put_peer_head(nlh, buflen, p, cur->allowed == 0) != 0)
		goto cancel;
	if (want_ips) {
		ips = mnl_attr_nest_start_check(nlh, buflen, WGPEER_A_ALLOWEDIPS);
		if (ips == NULL)
			goto cancel;
		while (cur->allowed + added < p->n_allowed && put_allowedip(nlh,
		    buflen, &p->allowed[cur->allowed + added]) == 0)
			added++;
		if (added == 0)
			goto cancel;
		mnl_attr_nest_end(nlh, ips);
		cur->allowed += added;
	}
	mnl_attr_nest_end(nlh, peer);
	if (!want_ips || cur->allowed == p->n_allowed) {
		cur->peer++;
		cur->allowed = 0;
	}
	return 1;
cancel:
	mnl_attr_nest_cancel(nlh, peer);
	return 0;
}

/* As many peer parts as fit; 1 when at least one went in. */
static int
put_peers(struct nlmsghdr *nlh, size_t buflen, const struct wg_device *dev,
    struct wg_nl_cursor *cur)
{
	struct nlattr *peers;
	size_t peer;
	int any = 0;

	if ((peers = mnl_attr_nest_start_check(nlh, buflen, WGDEVICE_A_PEERS)) == NULL)
		return 0;
	while (cur->peer < dev->n_peers) {
		peer = cur->peer;
		if (!put_peer(nlh, buflen, &dev->peers[peer], cur))
			break;
		any = 1;
		if (cur->peer == peer)
			break;		/* a split peer: this message is full */
	}
	if (any)
		mnl_attr_nest_end(nlh, peers);
	else
		mnl_attr_nest_cancel(nlh, peers);
	return any;
}

int
wg_nl_build_set(void *buf, size_t buflen, uint16_t family, uint32_t seq,
    const struct wg_device *dev, struct wg_nl_cursor *cur, size_t *len)
{
	struct nlmsghdr *nlh;
	int progress = 0, rc;

	*len = 0;
	if (cur->done)
		return -EINVAL;
	if (!cur->started && (rc = wg_device_check(dev)) != 0)
		return rc;
	nlh = genl_header(buf, buflen, family, seq, WG_CMD_SET_DEVICE,
	    NLM_F_REQUEST | NLM_F_ACK);
	if (nlh == NULL ||
	    !mnl_attr_put_strz_check(nlh, buflen, WGDEVICE_A_IFNAME, dev->ifname))
		return -EMSGSIZE;
	if (!cur->started) {
		if ((rc = put_device(nlh, buflen, dev)) != 0)
			return rc;
		cur->started = progress = 1;
	}
	if (cur->peer < dev->n_peers && put_peers(nlh, buflen, dev, cur))
		progress = 1;
	if (!progress)
		return -EMSGSIZE;
	cur->done = cur->peer == dev->n_peers;
	*len = nlh->nlmsg_len;
	return 0;
}

/* ---- parsing GET_DEVICE replies ---- */

struct nl_get {
	struct wg_device *dev;
	size_t n_allowed;	/* over the whole device */
	uint32_t seen;		/* device attributes of this message */
	int first;		/* the next peer is this message's first */
};

struct nl_peer {
	struct nl_get *g;
	struct wg_peer p;
	uint32_t seen;
};

struct nl_ip {
	struct wg_allowedip a;
	size_t addr_len;
	uint32_t seen;
};

typedef int (*attr_fn)(const struct nlattr *, void *);

/* Calls fn on each attribute of [start, start + len), which they must fill
 * exactly (the last one's alignment padding may be missing). */
static int
attrs_walk(const void *start, size_t len, attr_fn fn, void *arg)
{
	const char *p = start;
	size_t step;
	int rc;

	if (len > INT32_MAX)
		return -EPROTO;
	while (len > 0) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (!mnl_attr_ok(a, (int)len))
			return -EPROTO;
		if ((rc = fn(a, arg)) != 0)
			return rc;
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

static int
nested(const struct nlattr *a, attr_fn fn, void *arg)
{
	return attrs_walk(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a),
	    fn, arg);
}

static int
len_is(const struct nlattr *a, size_t n)
{
	return mnl_attr_get_payload_len(a) == n ? 0 : -EPROTO;
}

/* Each known attribute at most once: bit "type" of *seen. */
static int
once(uint32_t *seen, const struct nlattr *a)
{
	uint32_t bit = 1u << mnl_attr_get_type(a);

	if (*seen & bit)
		return -EPROTO;
	*seen |= bit;
	return 0;
}

static int
ip_attr(const struct nlattr *a, void *arg)
{
	struct nl_ip *ip = arg;
	uint16_t family;

	if (mnl_attr_get_type(a) > WGALLOWEDIP_A_MAX)
		return 0;
	if (once(&ip->seen, a) != 0)
		return -EPROTO;
	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		if (len_is(a, 2) != 0)
			return -EPROTO;
		family = mnl_attr_get_u16(a);
		if (family != AF_INET && family != AF_INET6)
			return -EPROTO;
		ip->a.family = family;
		return 0;
	case WGALLOWEDIP_A_IPADDR:
		ip->addr_len = mnl_attr_get_payload_len(a);
		if (ip->addr_len != sizeof(ip->a.ip4) && ip->addr_len != sizeof(ip->a.ip6))
			return -EPROTO;
		memcpy(&ip->a.ip6, mnl_attr_get_payload(a), ip->addr_len);
		return 0;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (len_is(a, 1) != 0)
			return -EPROTO;
		ip->a.cidr = mnl_attr_get_u8(a);
		return 0;
	}
	return -EPROTO;		/* WGALLOWEDIP_A_UNSPEC */
}

static int
allowed_nest(const struct nlattr *a, void *arg)
{
	struct nl_peer *np = arg;
	struct nl_ip ip;
	int rc;

	memset(&ip, 0, sizeof(ip));
	if ((rc = nested(a, ip_attr, &ip)) != 0)
		return rc;
	if (!((ip.a.family == AF_INET && ip.addr_len == sizeof(ip.a.ip4) &&
	    ip.a.cidr <= 32) || (ip.a.family == AF_INET6 &&
	    ip.addr_len == sizeof(ip.a.ip6) && ip.a.cidr <= 128)) ||
	    !(ip.seen & (1u << WGALLOWEDIP_A_CIDR_MASK)))
		return -EPROTO;
	if (np->g->n_allowed >= WG_MAX_ALLOWEDIPS)
		return -E2BIG;
	np->g->n_allowed++;
	return wg_peer_add_allowedip(&np->p, &ip.a);
}

static int
get_endpoint(const struct nlattr *a, struct sockaddr_storage *ss)
{
	size_t len = mnl_attr_get_payload_len(a);
	sa_family_t family;

	if (len < sizeof(family))
		return -EPROTO;
	memcpy(&family, mnl_attr_get_payload(a), sizeof(family));
	if ((family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	    (family == AF_INET6 && len == sizeof(struct sockaddr_in6))) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, mnl_attr_get_payload(a), len);
		return 0;
	}
	return -EPROTO;
}

static int
get_handshake(const struct nlattr *a, struct timespec *ts)
{
	struct __kernel_timespec kts;

	if (len_is(a, sizeof(kts)) != 0)
		return -EPROTO;
	memcpy(&kts, mnl_attr_get_payload(a), sizeof(kts));
	if (kts.tv_sec < 0 || kts.tv_nsec < 0 || kts.tv_nsec >= 1000000000 ||
	    (sizeof(time_t) < 8 && kts.tv_sec > INT32_MAX))
		return -EPROTO;
	ts->tv_sec = (time_t)kts.tv_sec;
	ts->tv_nsec = (long)kts.tv_nsec;
	return 0;
}

static int
get_u64(const struct nlattr *a, uint64_t *v)
{
	if (len_is(a, 8) != 0)
		return -EPROTO;
	*v = mnl_attr_get_u64(a);
	return 0;
}

static int
peer_attr(const struct nlattr *a, void *arg)
{
	struct nl_peer *np = arg;
	struct wg_peer *p = &np->p;

	if (mnl_attr_get_type(a) > WGPEER_A_MAX)
		return 0;
	if (once(&np->seen, a) != 0)
		return -EPROTO;
	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PUBLIC_KEY:
		if (len_is(a, WG_KEY_LEN) != 0)
			return -EPROTO;
		memcpy(p->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		return 0;
	case WGPEER_A_PRESHARED_KEY:
		return len_is(a, WG_KEY_LEN);
	case WGPEER_A_FLAGS:
		return len_is(a, 4);
	case WGPEER_A_ENDPOINT:
		return get_endpoint(a, &p->endpoint);
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (len_is(a, 2) != 0)
			return -EPROTO;
		p->keepalive = mnl_attr_get_u16(a);
		return 0;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		return get_handshake(a, &p->last_handshake);
	case WGPEER_A_RX_BYTES:
		return get_u64(a, &p->rx_bytes);
	case WGPEER_A_TX_BYTES:
		return get_u64(a, &p->tx_bytes);
	case WGPEER_A_ALLOWEDIPS:
		return nested(a, allowed_nest, np);
	case WGPEER_A_PROTOCOL_VERSION:
		return len_is(a, 4) == 0 && mnl_attr_get_u32(a) == 1 ? 0 : -EPROTO;
	}
	return -EPROTO;		/* WGPEER_A_UNSPEC */
}

/* A new peer, or the continuation of the last one (the kernel splits a
 * peer with many allowed IPs across messages, repeating its key). */
static int
peer_store(struct nl_get *g, struct wg_peer *p)
{
	struct wg_device *d = g->dev;
	struct wg_peer *last, *np;
	size_t i;
	int rc;

	last = d->n_peers > 0 ? &d->peers[d->n_peers - 1] : NULL;
	if (g->first && last != NULL &&
	    memcmp(last->public_key, p->public_key, WG_KEY_LEN) == 0) {
		for (i = 0; i < p->n_allowed; i++)
			if ((rc = wg_peer_add_allowedip(last, &p->allowed[i])) != 0)
				return rc;
		free(p->allowed);
		return 0;
	}
	if ((rc = wg_device_add_peer(d, &np)) != 0)
		return rc;
	*np = *p;
	return 0;
}

static int
peer_nest(const struct nlattr *a, void *arg)
{
	struct nl_get *g = arg;
	struct nl_peer np;
	int rc;

	memset(&np, 0, sizeof(np));
	np.g = g;
	rc = nested(a, peer_attr, &np);
	if (rc == 0 && !(np.seen & (1u << WGPEER_A_PUBLIC_KEY)))
		rc = -EPROTO;
	if (rc == 0)
		rc = peer_store(g, &np.p);
	if (rc != 0)
		free(np.p.allowed);
	g->first = 0;
	return rc;
}

static int
get_ifname(const struct nlattr *a, char ifname[IFNAMSIZ])
{
	const char *s = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a);

	if (len == 0 || len > IFNAMSIZ || memchr(s, '\0', len) != s + len - 1 ||
	    !ifname_valid(s))
		return -EPROTO;
	memcpy(ifname, s, len);
	return 0;
}

static int
device_attr(const struct nlattr *a, void *arg)
{
	struct nl_get *g = arg;
	struct wg_device *d = g->dev;

	if (mnl_attr_get_type(a) > WGDEVICE_A_MAX)
		return 0;
	if (once(&g->seen, a) != 0)
		return -EPROTO;
	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
	case WGDEVICE_A_FLAGS:
	case WGDEVICE_A_FWMARK:
		return len_is(a, 4);
	case WGDEVICE_A_IFNAME:
		return get_ifname(a, d->ifname);
	case WGDEVICE_A_PRIVATE_KEY:
		if (len_is(a, WG_KEY_LEN) != 0)
			return -EPROTO;
		memcpy(d->private_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		d->has_private_key = !key_is_zero(d->private_key);
		return 0;
	case WGDEVICE_A_PUBLIC_KEY:
		if (len_is(a, WG_KEY_LEN) != 0)
			return -EPROTO;
		memcpy(d->public_key, mnl_attr_get_payload(a), WG_KEY_LEN);
		return 0;
	case WGDEVICE_A_LISTEN_PORT:
		if (len_is(a, 2) != 0)
			return -EPROTO;
		d->listen_port = mnl_attr_get_u16(a);
		d->has_listen_port = 1;
		return 0;
	case WGDEVICE_A_PEERS:
		return nested(a, peer_nest, g);
	}
	return -EPROTO;		/* WGDEVICE_A_UNSPEC */
}

int
wg_nl_parse_get(const void *buf, size_t len, uint16_t family,
    struct wg_device *out)
{
	const size_t hdr = MNL_NLMSG_HDRLEN + GENL_HDRLEN_ALIGNED;
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *genl;
	struct nl_get g = { .dev = out, .first = 1 };
	size_t i;

	if (len < hdr || nlh->nlmsg_len < hdr || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != family)
		return -EPROTO;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_GET_DEVICE || genl->version != WG_GENL_VERSION)
		return -EPROTO;
	for (i = 0; i < out->n_peers; i++)
		g.n_allowed += out->peers[i].n_allowed;
	return attrs_walk((const char *)buf + hdr, nlh->nlmsg_len - hdr,
	    device_attr, &g);
}

/* ---- the live exchange ---- */

static int
nl_open(int bus, struct mnl_socket **out)
{
	struct mnl_socket *nl;
	int rc;

	*out = NULL;
	if ((nl = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

/* Sends one request; runs cb on the replies up to the ack or the end of a
 * dump. The receive buffer is wiped: a reply may hold the private key. */
static int
nl_talk(int bus, const void *req, size_t len, mnl_cb_t cb, void *data)
{
	const struct nlmsghdr *nlh = req;
	struct mnl_socket *nl;
	char *buf = NULL;
	ssize_t n;
	int rc;

	if ((rc = nl_open(bus, &nl)) != 0)
		return rc;
	if ((buf = malloc(WG_NL_DUMP_SIZE)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (mnl_socket_sendto(nl, req, len) < 0) {
		rc = -errno;
		goto out;
	}
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, WG_NL_DUMP_SIZE)) < 0) {
			rc = -errno;
			goto out;
		}
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq,
		    mnl_socket_get_portid(nl), cb, data);
	} while (rc > MNL_CB_STOP);
	rc = rc < 0 ? (errno != 0 ? -errno : -EPROTO) : 0;
out:
	if (buf != NULL) {
		wipe(buf, WG_NL_DUMP_SIZE);
		free(buf);
	}
	mnl_socket_close(nl);
	return rc;
}

static int
family_cb(const struct nlmsghdr *nlh, void *data)
{
	uint16_t *id = data;
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_get_payload_len(a) == sizeof(*id))
			*id = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

int
wg_nl_resolve_family(const char *name, uint16_t *id)
{
	_Alignas(struct nlmsghdr) char buf[NL_SMALL_MSG];
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	int rc;

	*id = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), CTRL_ATTR_FAMILY_NAME, name))
		return -ENAMETOOLONG;
	rc = nl_talk(NETLINK_GENERIC, nlh, nlh->nlmsg_len, family_cb, id);
	if (rc == 0 && *id == 0)
		rc = -EPROTO;
	return rc;
}

int
wg_nl_family(uint16_t *id)
{
	return wg_nl_resolve_family(WG_GENL_NAME, id);
}

static int
link_request(const char *ifname, uint16_t type, uint16_t flags, int wireguard)
{
	_Alignas(struct nlmsghdr) char buf[NL_SMALL_MSG];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	struct nlattr *info;

	if (!ifname_valid(ifname))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (wireguard) {
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, WG_GENL_NAME);
		mnl_attr_nest_end(nlh, info);
	}
	return nl_talk(NETLINK_ROUTE, nlh, nlh->nlmsg_len, NULL, NULL);
}

int
wg_nl_create(const char *ifname)
{
	struct wg_device tmp;
	int rc;

	rc = link_request(ifname, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 1);
	if (rc == -EEXIST) {
		/* Reuse it when it is a WireGuard interface that answers. */
		if (wg_nl_get(ifname, &tmp) == 0)
			rc = 0;
		wg_device_free(&tmp);
	}
	return rc;
}

int
wg_nl_delete(const char *ifname)
{
	return link_request(ifname, RTM_DELLINK, 0, 0);
}

struct get_ctx {
	struct wg_device *out;
	uint16_t family;
};

static int
get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	int rc;

	if ((rc = wg_nl_parse_get(nlh, nlh->nlmsg_len, c->family, c->out)) != 0) {
		errno = -rc;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int
wg_nl_get(const char *ifname, struct wg_device *out)
{
	_Alignas(struct nlmsghdr) char buf[NL_SMALL_MSG];
	struct get_ctx c = { .out = out };
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = wg_nl_family(&c.family)) != 0 ||
	    (rc = wg_nl_build_get(buf, sizeof(buf), c.family,
	    (uint32_t)time(NULL), ifname, &len)) != 0)
		return rc;
	rc = nl_talk(NETLINK_GENERIC, buf, len, get_cb, &c);
	if (rc == 0)
		sk_strlcpy(out->ifname, ifname, sizeof(out->ifname));
	else
		wg_device_free(out);
	return rc;
}

int
wg_nl_set(const struct wg_device *dev)
{
	struct wg_nl_cursor cur = { 0, 0, 0, 0 };
	uint32_t seq = (uint32_t)time(NULL);
	uint16_t family;
	size_t len;
	void *buf;
	int rc;

	if ((rc = wg_nl_family(&family)) != 0)
		return rc;
	if ((buf = malloc(WG_NL_MSG_SIZE)) == NULL)
		return -ENOMEM;
	while (!cur.done) {
		rc = wg_nl_build_set(buf, WG_NL_MSG_SIZE, family, seq++, dev, &cur, &len);
		if (rc == 0)
			rc = nl_talk(NETLINK_GENERIC, buf, len, NULL, NULL);
		if (rc != 0)
			break;
	}
	wipe(buf, WG_NL_MSG_SIZE);
	free(buf);
	return rc;
}
