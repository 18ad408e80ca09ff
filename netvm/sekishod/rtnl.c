#include "netvm/sekishod/rtnl.h"

#define RTNL_BUF_SIZE 32768	/* MNL_SOCKET_BUFFER_SIZE is not a constant */
#define RTNL_MSG_MAX 32768	/* one message, at most a whole receive buffer */
#define RTNL_RCVBUF (1 << 20)	/* the watch socket's receive buffer (bounded) */

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/log.h"
#include "lib/util.h"

struct rtnl_watch {
	struct mnl_socket	*nl;
	rtnl_event_cb		 cb;
	void			*arg;
	unsigned int		 seq;
};

struct attrs {
	const struct nlattr *tb[RTA_MAX + IFLA_MAX + IFA_MAX + 1];
	int max;
};

static int
attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type <= at->max)
		at->tb[type] = a;
	return MNL_CB_OK;
}

/* The name with anything but printable ASCII and '"' as '?', for the log. */
static const char *
safe_name(const char *name)
{
	static char out[IF_NAMESIZE * 2];
	size_t i;

	for (i = 0; name[i] != '\0' && i < sizeof(out) - 1; i++)
		out[i] = name[i] > ' ' && name[i] < 0x7f && name[i] != '"' ? name[i] : '?';
	out[i] = '\0';
	return out;
}

static int
parse_link(const struct nlmsghdr *nlh, struct event *ev)
{
	const struct ifinfomsg *ifi;
	struct attrs at = { .max = IFLA_MAX };
	const char *name;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	ev->ifindex = ifi->ifi_index;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		ev->type = EV_LINK_GONE;
		return 1;
	}
	if (mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &at) != MNL_CB_OK)
		return 0;
	if (at.tb[IFLA_IFNAME] == NULL ||
	    mnl_attr_validate(at.tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
		return 0;
	name = mnl_attr_get_str(at.tb[IFLA_IFNAME]);
	if (ifi->ifi_flags & IFF_LOOPBACK)
		return 0;
	/* Names end up in nftables text and log lines: a link whose name is
	 * not plain is no uplink of ours, and one renamed so is gone. */
	if (!ifname_valid(name)) {
		log_warnx("link %d: name \"%.*s\" refused (letters, digits, "
		    "'-', '_' and '.' only); the link is not used",
		    ifi->ifi_index, IF_NAMESIZE, safe_name(name));
		ev->type = EV_LINK_GONE;
		return 1;
	}
	ev->type = EV_LINK;
	sk_strlcpy(ev->name, name, sizeof(ev->name));
	ev->carrier = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
	if (at.tb[IFLA_CARRIER_CHANGES] != NULL &&
	    mnl_attr_validate(at.tb[IFLA_CARRIER_CHANGES], MNL_TYPE_U32) == 0)
		ev->carrier_changes = mnl_attr_get_u32(at.tb[IFLA_CARRIER_CHANGES]);
	return 1;
}

static int
parse_addr(const struct nlmsghdr *nlh, struct event *ev)
{
	const struct ifaddrmsg *ifa;
	struct attrs at = { .max = IFA_MAX };
	const struct nlattr *a;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return 0;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen > 32)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, &at) != MNL_CB_OK)
		return 0;
	a = at.tb[IFA_LOCAL] != NULL ? at.tb[IFA_LOCAL] : at.tb[IFA_ADDRESS];
	if (a == NULL || mnl_attr_get_payload_len(a) != 4)
		return 0;
	ev->type = nlh->nlmsg_type == RTM_NEWADDR ? EV_ADDR_ADD : EV_ADDR_DEL;
	ev->ifindex = (int)ifa->ifa_index;
	memcpy(&ev->addr, mnl_attr_get_payload(a), 4);
	ev->plen = ifa->ifa_prefixlen;
	return 1;
}

/* Only default routes of the main table matter: they are what the uplink's
 * DHCP client installs, and they name the uplink's gateway. */
static int
parse_route(const struct nlmsghdr *nlh, struct event *ev)
{
	const struct rtmsg *rtm;
	struct attrs at = { .max = RTA_MAX };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return 0;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &at) != MNL_CB_OK)
		return 0;
	if (at.tb[RTA_GATEWAY] == NULL || at.tb[RTA_OIF] == NULL ||
	    mnl_attr_get_payload_len(at.tb[RTA_GATEWAY]) != 4 ||
	    mnl_attr_validate(at.tb[RTA_OIF], MNL_TYPE_U32) < 0)
		return 0;
	ev->type = nlh->nlmsg_type == RTM_NEWROUTE ? EV_GW_ADD : EV_GW_DEL;
	ev->ifindex = (int)mnl_attr_get_u32(at.tb[RTA_OIF]);
	memcpy(&ev->gw, mnl_attr_get_payload(at.tb[RTA_GATEWAY]), 4);
	return 1;
}

/* The kernel's NUD_VALID (not in its uapi): states with an address it sends to. */
#define RTNL_NUD_VALID	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | \
	NUD_STALE | NUD_DELAY)

/* IPv4 neighbour entries: their link-layer address while the kernel holds
 * one it would send to (engine.h: the office router), none otherwise. */
static int
parse_neigh(const struct nlmsghdr *nlh, struct event *ev)
{
	const struct ndmsg *ndm;
	struct attrs at = { .max = NDA_MAX };
	const struct nlattr *ll;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return 0;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET || ndm->ndm_ifindex <= 0)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, &at) != MNL_CB_OK)
		return 0;
	if (at.tb[NDA_DST] == NULL || mnl_attr_get_payload_len(at.tb[NDA_DST]) != 4)
		return 0;
	ev->type = EV_NEIGH;
	ev->ifindex = ndm->ndm_ifindex;
	memcpy(&ev->addr, mnl_attr_get_payload(at.tb[NDA_DST]), 4);
	ll = at.tb[NDA_LLADDR];
	if (nlh->nlmsg_type == RTM_NEWNEIGH && (ndm->ndm_state & RTNL_NUD_VALID) &&
	    ll != NULL && mnl_attr_get_payload_len(ll) == ENGINE_MAC_LEN) {
		ev->has_lladdr = 1;
		memcpy(ev->lladdr, mnl_attr_get_payload(ll), ENGINE_MAC_LEN);
	}
	return 1;
}

/*
 * libmnl walks attributes up to the message's length rounded up to the
 * netlink alignment, which can be 3 bytes past what was received; the
 * message is parsed from a copy whose padding is zeroed (found by
 * fuzz_control).
 */
int
rtnl_parse(const void *msg, size_t len, struct event *ev)
{
	static union {
		struct nlmsghdr	hdr;
		uint8_t		buf[RTNL_MSG_MAX + NLMSG_ALIGNTO];
	} copy;
	const struct nlmsghdr *in = msg, *nlh = &copy.hdr;

	if (len < sizeof(*in) || in->nlmsg_len > len || in->nlmsg_len < sizeof(*in) ||
	    in->nlmsg_len > RTNL_MSG_MAX)
		return 0;
	memcpy(copy.buf, msg, in->nlmsg_len);
	memset(copy.buf + in->nlmsg_len, 0, NLMSG_ALIGNTO);
	memset(ev, 0, sizeof(*ev));
	ev->now_ms = now_ms();
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return parse_link(nlh, ev);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return parse_addr(nlh, ev);
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		return parse_route(nlh, ev);
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		return parse_neigh(nlh, ev);
	}
	return 0;
}

static int
msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_watch *w = data;
	struct event ev;

	if (rtnl_parse(nlh, nlh->nlmsg_len, &ev))
		w->cb(&ev, w->arg);
	return MNL_CB_OK;
}

/*
 * The watch socket never needs sekishod's own routing tables: every one of
 * them is numbered above 255 (route.h), so their notifications carry
 * rtm_table RT_TABLE_COMPAT (the full number is in RTA_TABLE). Installing
 * office mode's routes, one request per LGWAN prefix, would otherwise send
 * as many notifications to this socket as the policy has prefixes, overrun
 * it (ENOBUFS) and force a resynchronisation. This filter drops them in the
 * kernel, before they are queued: an RTM_NEWROUTE or RTM_DELROUTE that is
 * a notification (a dump's answers carry NLM_F_MULTI, and one buffer of a
 * dump holds many messages, of which the filter sees the first only) with
 * rtm_table RT_TABLE_COMPAT. Everything else passes whole. Half-word loads
 * read big-endian, nlmsghdr's fields are in host order: hence htons().
 */
#define RTNL_OFF_TYPE	offsetof(struct nlmsghdr, nlmsg_type)
#define RTNL_OFF_FLAGS	offsetof(struct nlmsghdr, nlmsg_flags)
#define RTNL_OFF_TABLE	(NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_table))

int
rtnl_filter_attach(int fd)
{
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, RTNL_OFF_TABLE + 1, 0, 8),
		/* 2 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, RTNL_OFF_TYPE),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* RTM_NEWROUTE */, 1, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* RTM_DELROUTE */, 0, 5),
		/* 5 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, RTNL_OFF_FLAGS),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0 /* NLM_F_MULTI */, 3, 0),
		/* 7 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, RTNL_OFF_TABLE),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RT_TABLE_COMPAT, 0, 1),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, 0),		/* drop */
		/* 10 */ BPF_STMT(BPF_RET | BPF_K, 0xffffffff),	/* pass whole */
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	code[3].k = htons(RTM_NEWROUTE);
	code[4].k = htons(RTM_DELROUTE);
	code[6].k = htons(NLM_F_MULTI);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == -1)
		return -errno;
	return 0;
}

struct rtnl_watch *
rtnl_watch_open(rtnl_event_cb cb, void *arg)
{
	struct rtnl_watch *w = calloc(1, sizeof(*w));
	int on = 1, rcvbuf = RTNL_RCVBUF, fd, rc;

	if (w == NULL)
		return NULL;
	w->cb = cb;
	w->arg = arg;
	w->seq = (unsigned int)time(NULL);
	if ((w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK)) == NULL ||
	    mnl_socket_bind(w->nl, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE |
	    RTMGRP_NEIGH, MNL_SOCKET_AUTOPID) < 0) {
		rtnl_watch_close(w);
		return NULL;
	}
	/* Tell us when the kernel drops events, instead of missing them. */
	fd = mnl_socket_get_fd(w->nl);
	setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on));
	if ((rc = rtnl_filter_attach(fd)) < 0) {
		errno = -rc;
		log_warn("rtnetlink: cannot filter out our own routes");
	}
	/* A second line against bursts (a link flapping, a DHCP client busy):
	 * beyond net.core.rmem_max where we may (CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		log_warn("rtnetlink: receive buffer");
	return w;
}

void
rtnl_watch_close(struct rtnl_watch *w)
{
	if (w == NULL)
		return;
	if (w->nl != NULL)
		mnl_socket_close(w->nl);
	free(w);
}

int
rtnl_watch_fd(const struct rtnl_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

int
rtnl_watch_read(struct rtnl_watch *w)
{
	char buf[RTNL_BUF_SIZE];
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, w) < 0 && errno != 0 &&
		    errno != EAGAIN)
			return -errno;
	}
}

/* One dump request, answered on the same socket: the monitor's events
 * that arrive meanwhile are handled by the same callback, in order. */
static int
dump(struct rtnl_watch *w, int type, size_t hdrlen)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	unsigned int seq = ++w->seq;
	ssize_t n;
	int rc;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	g->rtgen_family = AF_INET;
	if (mnl_socket_sendto(w->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(w->nl), .events = POLLIN };

		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 2000) == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		/* Port 0 and seq 0 accept both the dump and interleaved events. */
		rc = mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, w);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return -errno;
	}
}

int
rtnl_watch_dump(struct rtnl_watch *w)
{
	int rc;

	if ((rc = dump(w, RTM_GETLINK, sizeof(struct ifinfomsg))) < 0 ||
	    (rc = dump(w, RTM_GETADDR, sizeof(struct ifaddrmsg))) < 0 ||
	    (rc = dump(w, RTM_GETROUTE, sizeof(struct rtmsg))) < 0 ||
	    (rc = dump(w, RTM_GETNEIGH, sizeof(struct ndmsg))) < 0)
		return rc;
	return 0;
}

static struct mnl_socket *
request_socket(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int e;

	if (nl != NULL && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

/* One request and its answer: the acknowledgement, or a dump to its end
 * with each message through cb. 0 or -errno. */
static int
request(struct mnl_socket *nl, const struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[RTNL_BUF_SIZE];
	unsigned int port = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, port, cb, arg);
	} while (rc == MNL_CB_OK && (nlh->nlmsg_flags & NLM_F_DUMP));
	return rc < 0 ? -errno : 0;
}

int
rtnl_neigh_use(int ifindex, struct in_addr addr)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct mnl_socket *nl;
	struct ndmsg *ndm;
	int rc;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;	/* neigh_event_send(): resolve it */
	mnl_attr_put(nlh, NDA_DST, sizeof(addr), &addr);
	if ((nl = request_socket()) == NULL)
		return -errno;
	rc = request(nl, nlh, NULL, NULL);
	mnl_socket_close(nl);
	return rc;
}

/* A dump's entry: kept if it is one of the link's, unresolved. */
static int
unresolved_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_unresolved *u = data;
	struct attrs at = { .max = NDA_MAX };
	const struct nda_cacheinfo *ci;
	const struct ndmsg *ndm;
	long hz = sysconf(_SC_CLK_TCK);

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)))
		return MNL_CB_OK;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET || ndm->ndm_ifindex != u->ifindex ||
	    ndm->ndm_state != NUD_INCOMPLETE || u->n == nitems(u->addr))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, &at) != MNL_CB_OK ||
	    at.tb[NDA_DST] == NULL || mnl_attr_get_payload_len(at.tb[NDA_DST]) != 4)
		return MNL_CB_OK;
	memcpy(&u->addr[u->n], mnl_attr_get_payload(at.tb[NDA_DST]), 4);
	u->waited_ms[u->n] = UINT32_MAX;
	/* ndm_updated: clock ticks since it began to resolve */
	if (at.tb[NDA_CACHEINFO] != NULL && hz > 0 &&
	    mnl_attr_get_payload_len(at.tb[NDA_CACHEINFO]) >= sizeof(*ci)) {
		ci = mnl_attr_get_payload(at.tb[NDA_CACHEINFO]);
		u->waited_ms[u->n] = (uint32_t)((uint64_t)ci->ndm_updated * 1000 / (uint64_t)hz);
	}
	u->n++;
	return MNL_CB_OK;
}

int
rtnl_neigh_restart(int ifindex, struct rtnl_unresolved *out)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct mnl_socket *nl;
	struct ndmsg *ndm;
	unsigned int seq = (unsigned int)time(NULL);
	int rc;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	if ((nl = request_socket()) == NULL)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	mnl_attr_put_u32(nlh, NDA_IFINDEX, (uint32_t)ifindex);	/* the kernel filters */
	if ((rc = request(nl, nlh, unresolved_cb, out)) < 0)
		goto out;
	for (size_t i = 0; i < out->n; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_DELNEIGH;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = ++seq;
		ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
		ndm->ndm_family = AF_INET;
		ndm->ndm_ifindex = ifindex;
		mnl_attr_put(nlh, NDA_DST, sizeof(out->addr[i]), &out->addr[i]);
		/* resolved or gone meanwhile: as good */
		if ((rc = request(nl, nlh, NULL, NULL)) < 0 && rc != -ENOENT)
			goto out;
		rc = 0;
	}
out:
	mnl_socket_close(nl);
	return rc;
}
