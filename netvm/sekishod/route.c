#include "netvm/sekishod/route.h"

#define RTNL_BUF_SIZE 8192

/*
 * Work's traffic that no mode's table routes goes back onto the work link,
 * never to an uplink: the forward chain refuses it with an answer, and
 * should the ruleset ever be gone it still cannot leave. (An unreachable or
 * prohibit route would answer from the routing code, whose ICMP is
 * rate-limited per source, so refusals would stall after a burst.)
 */

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sends one request and waits for its acknowledgement. */
static int
talk_proto(int proto, struct nlmsghdr *nlh)
{
	char buf[RTNL_BUF_SIZE];
	struct mnl_socket *nl;
	unsigned int portid;
	ssize_t n;
	int rc = 0;

	if ((nl = mnl_socket_open2(proto, SOCK_CLOEXEC)) == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
		if (rc <= MNL_CB_STOP)
			break;
	}
	rc = rc < 0 ? -errno : 0;
	if (n < 0)
		rc = -errno;
out:
	mnl_socket_close(nl);
	return rc;
}

static int
talk(struct nlmsghdr *nlh)
{
	return talk_proto(NETLINK_ROUTE, nlh);
}

int
route_talk(struct nlmsghdr *nlh)
{
	return talk(nlh);
}

/*
 * Forgets every IPv4 connection the netvm tracks. Office and remote mode
 * translate work's address differently (the office uplink's address, or
 * the tunnel's): a flow that began in one mode must not go on in the other
 * with the old translation, so its next packet starts a new entry.
 */
int
conntrack_flush(void)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return talk_proto(NETLINK_NETFILTER, nlh);
}

/*
 * Forgets the tracked IPv4 connections whose conntrack mark is mark (the
 * kernel's flush with a mark filter): work's DNS flows when the resolver
 * they are translated to changes, so that the next query, even from the
 * same source port, is translated afresh.
 */
int
conntrack_flush_mark(uint32_t mark)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(UINT32_MAX));
	return talk_proto(NETLINK_NETFILTER, nlh);
}

int
route_link_set(int ifindex, int up, unsigned int mtu)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return talk(nlh);
}

struct nlmsghdr *
route_addrmsg(char *buf, int family, int ifindex, const void *addr, uint8_t plen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	size_t len = family == AF_INET6 ? 16 : 4;

	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, addr);
	return nlh;
}

int
route_addr_add(int ifindex, struct in_addr addr, uint8_t plen)
{
	char buf[RTNL_BUF_SIZE];

	return talk(route_addrmsg(buf, AF_INET, ifindex, &addr, plen));
}

int
route_addr_del(int ifindex, struct in_addr addr, uint8_t plen)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = route_addrmsg(buf, AF_INET, ifindex, &addr, plen);
	int rc;

	nlh->nlmsg_type = RTM_DELADDR;
	nlh->nlmsg_flags = 0;
	rc = talk(nlh);
	return rc == -EADDRNOTAVAIL || rc == -ENOENT ? 0 : rc;
}

struct nlmsghdr *
route_rtmsg(char *buf, uint16_t type, uint16_t flags, uint32_t table,
    int family, const void *dst, uint8_t plen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_DST, family == AF_INET6 ? 16 : 4, dst);
	return nlh;
}

static struct nlmsghdr *
route_msg(char *buf, uint16_t type, uint16_t flags, uint32_t table,
    struct in_addr dst, uint8_t plen)
{
	return route_rtmsg(buf, type, flags, table, AF_INET, &dst, plen);
}

int
route_replace(uint32_t table, struct in_addr dst, uint8_t plen,
    const struct in_addr *gw, int oif)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = route_msg(buf, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_REPLACE, table, dst, plen);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	if (gw != NULL)
		mnl_attr_put(nlh, RTA_GATEWAY, 4, gw);
	else
		rtm->rtm_scope = RT_SCOPE_LINK;
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	return talk(nlh);
}

int
route_del(uint32_t table, struct in_addr dst, uint8_t plen)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = route_msg(buf, RTM_DELROUTE, 0, table, dst, plen);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	int rc;

	/* Any scope, as `ip route del` asks: the kernel deletes only a route
	 * of the scope given otherwise, and on-link routes have scope link. */
	rtm->rtm_scope = RT_SCOPE_NOWHERE;
	rc = talk(nlh);

	return rc == -ESRCH ? 0 : rc;
}

int
route_ops_add(struct route_ops *o, const struct route_op *op)
{
	if (o->n == o->cap) {
		size_t c = o->cap ? 2 * o->cap : 64;
		struct route_op *nv = reallocarray(o->v, c, sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		o->v = nv;
		o->cap = c;
	}
	o->v[o->n++] = *op;
	return 0;
}

void
route_ops_free(struct route_ops *o)
{
	free(o->v);
	o->v = NULL;
	o->n = o->cap = 0;
}

/* One send: about 700 IPv4 routes, well under a socket's default send
 * buffer (a netlink message larger than it is refused with EMSGSIZE). */
#define BATCH_SIZE	(64 * 1024)

/* One op as a message at the batch's end. */
static void
batch_put(struct mnl_nlmsg_batch *b, const struct route_op *op, uint32_t seq)
{
	struct nlmsghdr *nlh = route_rtmsg(mnl_nlmsg_batch_current(b),
	    op->del ? RTM_DELROUTE : RTM_NEWROUTE,
	    op->del ? 0 : NLM_F_CREATE | NLM_F_REPLACE, op->table, op->family,
	    &op->dst, op->plen);
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	if (op->del) {
		/* Any scope and any protocol, as `ip route del` asks: the
		 * kernel deletes only a route of the ones given otherwise
		 * (on-link routes have scope link; route_flush_table meets
		 * routes others put in). */
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
		rtm->rtm_protocol = RTPROT_UNSPEC;
	}
	else {
		if (op->family == AF_INET && op->has_gw)
			mnl_attr_put(nlh, RTA_GATEWAY, 4, &op->gw);
		else if (op->family == AF_INET)
			rtm->rtm_scope = RT_SCOPE_LINK;
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)op->oif);
	}
	mnl_nlmsg_batch_next(b);
}

/* The kernel's answers to one send, up to the acknowledgement of its last
 * message (seq last): the first error of any, ESRCH of a delete ignored. */
static int
batch_answers(struct mnl_socket *nl, uint32_t first, uint32_t last, int *first_err)
{
	char buf[RTNL_BUF_SIZE];
	ssize_t got;
	int n;

	for (;;) {
		if ((got = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			return -errno;
		n = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, n);
		    h = mnl_nlmsg_next(h, &n)) {
			const struct nlmsgerr *e;
			int err;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first ||
			    h->nlmsg_seq > last)
				continue;
			e = mnl_nlmsg_get_payload(h);
			err = e->error;
			if (err != 0 && err != -ESRCH && *first_err == 0)
				*first_err = err;
			if (h->nlmsg_seq == last)
				return 0;
		}
	}
}

int
route_batch(const struct route_op *ops, size_t n)
{
	char *buf;	/* not static: a live change's routes go on a thread (tunnel.h) */
	struct mnl_nlmsg_batch *b;
	struct mnl_socket *nl;
	int rc = 0, first_err = 0, rcvbuf = 1 << 20, on = 1;
	uint32_t seq = (uint32_t)time(NULL) << 8;

	if (n == 0)
		return 0;
	if ((buf = malloc(BATCH_SIZE + RTNL_BUF_SIZE)) == NULL)
		return -ENOMEM;
	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL) {
		rc = -errno;
		free(buf);
		return rc;
	}
	/* Room for the answers, and extended acks off: an error carries
	 * only its header, not the request it answers. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	on = 0;
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    (b = mnl_nlmsg_batch_start(buf, BATCH_SIZE)) == NULL) {
		rc = -errno;
		mnl_socket_close(nl);
		free(buf);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; ) {
		uint32_t first = seq + 1;
		struct nlmsghdr *last = NULL;

		mnl_nlmsg_batch_reset(b);
		/* A route message is under 100 bytes: stop well before the
		 * end, so the one being built always fits. */
		while (i < n && mnl_nlmsg_batch_size(b) + 256 < BATCH_SIZE) {
			last = mnl_nlmsg_batch_current(b);
			batch_put(b, &ops[i++], ++seq);
		}
		last->nlmsg_flags |= NLM_F_ACK;
		/* Without NLM_F_ACK a message is answered only if it fails;
		 * the last one's acknowledgement closes the send. */
		if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0)
			rc = -errno;
		else
			rc = batch_answers(nl, first, seq, &first_err);
	}
	mnl_nlmsg_batch_stop(b);
	mnl_socket_close(nl);
	free(buf);
	return rc != 0 ? rc : first_err;
}

/* One route of a dump: a delete of it into the ops (arg), if it is in
 * the table asked for (strict checking filters, this makes sure). */
struct flush_ctx {
	struct route_ops	*ops;
	uint32_t		 table;
	int			 rc;
};

static int
flush_attr(const struct nlattr *a, void *arg)
{
	const struct nlattr **tb = arg;
	int type = mnl_attr_get_type(a);

	if (type == RTA_TABLE || type == RTA_DST)
		tb[type] = a;
	return MNL_CB_OK;
}

static int
flush_one(const struct nlmsghdr *nlh, void *arg)
{
	struct flush_ctx *f = arg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_op op = { .del = 1, .family = AF_INET, .plen = rtm->rtm_dst_len };
	uint32_t table = rtm->rtm_table;

	if (rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*rtm), flush_attr, tb);
	if (tb[RTA_TABLE] != NULL)
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (table != f->table)
		return MNL_CB_OK;
	op.table = table;
	if (tb[RTA_DST] != NULL && mnl_attr_get_payload_len(tb[RTA_DST]) == 4)
		memcpy(&op.dst.v4, mnl_attr_get_payload(tb[RTA_DST]), 4);
	if (f->rc == 0)
		f->rc = route_ops_add(f->ops, &op);
	return MNL_CB_OK;
}

int
route_flush_table(uint32_t table)
{
	char buf[RTNL_BUF_SIZE * 4];
	struct route_ops ops = { 0 };
	struct flush_ctx f = { &ops, table, 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct mnl_socket *nl;
	struct rtmsg *rtm;
	unsigned int portid;
	ssize_t n;
	int rc = 0, on = 1;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if ((nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC)) == NULL)
		return -errno;
	/* The kernel then dumps that table alone, not the tunnel's 10,000. */
	setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof(on));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	portid = mnl_socket_get_portid(nl);
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, flush_one, &f);
		if (rc <= MNL_CB_STOP)
			break;
	}
	rc = n < 0 || rc < 0 ? -errno : 0;
	mnl_socket_close(nl);
	if (rc == 0)
		rc = f.rc;
	if (rc == 0)
		rc = route_batch(ops.v, ops.n);
	route_ops_free(&ops);
	return rc;
}

struct rule {
	uint32_t	prio, table, mark;
	const char	*iif;
	struct in_addr	to;	/* /32 when not 0 */
};

struct nlmsghdr *
route_rulemsg(char *buf, int family, uint32_t prio, uint32_t table,
    uint32_t mark, const char *iif)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = RTM_NEWRULE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	if (mark != 0) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	}
	if (iif != NULL)
		mnl_attr_put_strz(nlh, FRA_IFNAME, iif);
	return nlh;
}

static int
rule_add(const struct rule *r)
{
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh = route_rulemsg(buf, AF_INET, r->prio, r->table, r->mark, r->iif);
	int rc;

	if (r->to.s_addr != 0) {
		struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);

		frh->dst_len = 32;
		mnl_attr_put(nlh, FRA_DST, 4, &r->to);
	}
	rc = talk(nlh);
	return rc == -EEXIST ? 0 : rc;
}

int
route_endpoint_rule(int add, struct in_addr endpoint)
{
	struct rule r = { SK_RULE_ENDPOINT, SK_RT_ENDPOINT, 0, "lo", endpoint };
	char buf[RTNL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;
	int rc;

	if (add)
		return rule_add(&r);
	nlh = route_rulemsg(buf, AF_INET, r.prio, r.table, 0, r.iif);
	nlh->nlmsg_type = RTM_DELRULE;
	nlh->nlmsg_flags = 0;
	frh = mnl_nlmsg_get_payload(nlh);
	frh->dst_len = 32;
	mnl_attr_put(nlh, FRA_DST, 4, &endpoint);
	if ((rc = talk(nlh)) < 0 && rc != -ENOENT)
		return rc;
	return route_del(SK_RT_ENDPOINT, endpoint, 32);	/* its route goes too */
}

int
route_rules_add(const char *work_if, int work_ifindex, const struct in_addr *endpoints,
    size_t n_endpoints)
{
	const struct rule rules[] = {
		{ SK_RULE_TUNNEL, SK_RT_TABLE, SK_MARK_TUNNEL, NULL, { 0 } },
		{ SK_RULE_OFFICE, SK_RT_OFFICE, SK_MARK_OFFICE, NULL, { 0 } },
		{ SK_RULE_WORK, SK_RT_WORK, 0, work_if, { 0 } },
	};
	struct in_addr any = { 0 };
	int rc;

	/* One rule per gateway endpoint, before the marks: the tunnel's UDP
	 * to any of them goes over the uplink, whichever mode is in force.
	 * Only the netvm's own (iif lo): forwarded traffic from work to the
	 * same address must never find this way out, even with the ruleset
	 * gone. */
	for (size_t i = 0; i < n_endpoints; i++) {
		struct rule r = { SK_RULE_ENDPOINT, SK_RT_ENDPOINT, 0, "lo", endpoints[i] };

		if ((rc = rule_add(&r)) < 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if ((rc = rule_add(&rules[i])) < 0)
			return rc;
	return route_replace(SK_RT_WORK, any, 0, NULL, work_ifindex);
}
