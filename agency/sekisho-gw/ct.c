/*
 * A revoked device's tracked connections, removed (ctnetlink over libmnl):
 * the IPv4 table is dumped, every entry with the device's address on
 * either side of either direction is collected (its original tuple, as
 * the kernel wrote it, and its id), and each is deleted by that tuple.
 * An entry that went meanwhile (ENOENT) is not an error.
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct victim {
	uint8_t		tuple[128];	/* CTA_TUPLE_ORIG, whole attribute */
	uint16_t	len;
	uint32_t	id;		/* network order, 0 if none */
	uint16_t	zone;		/* network order */
	int		has_id, has_zone;
};

struct dump {
	struct in_addr	a;
	struct victim	*v;
	size_t		n, cap;
	int		oom;
};

static int
tuple_has(const struct nlattr *tuple, struct in_addr a)
{
	const struct nlattr *ip, *x;

	mnl_attr_for_each_nested(ip, tuple) {
		if (mnl_attr_get_type(ip) != CTA_TUPLE_IP)
			continue;
		mnl_attr_for_each_nested(x, ip) {
			uint16_t t = mnl_attr_get_type(x);

			if ((t == CTA_IP_V4_SRC || t == CTA_IP_V4_DST) &&
			    mnl_attr_get_payload_len(x) == 4 &&
			    memcmp(mnl_attr_get_payload(x), &a.s_addr, 4) == 0)
				return 1;
		}
	}
	return 0;
}

static int
entry_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	const struct nlattr *at, *orig = NULL;
	struct victim v;
	int hit = 0;

	memset(&v, 0, sizeof(v));
	mnl_attr_for_each(at, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(at)) {
		case CTA_TUPLE_ORIG:
			orig = at;
			hit |= tuple_has(at, d->a);
			break;
		case CTA_TUPLE_REPLY:
			hit |= tuple_has(at, d->a);
			break;
		case CTA_ID:
			if (mnl_attr_get_payload_len(at) == 4) {
				memcpy(&v.id, mnl_attr_get_payload(at), 4);
				v.has_id = 1;
			}
			break;
		case CTA_ZONE:
			if (mnl_attr_get_payload_len(at) == 2) {
				memcpy(&v.zone, mnl_attr_get_payload(at), 2);
				v.has_zone = 1;
			}
			break;
		}
	}
	if (!hit || orig == NULL || orig->nla_len > sizeof(v.tuple))
		return MNL_CB_OK;
	memcpy(v.tuple, orig, orig->nla_len);
	v.len = orig->nla_len;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		struct victim *nv = realloc(d->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			d->oom = 1;
			return MNL_CB_OK;
		}
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n++] = v;
	return MNL_CB_OK;
}

static struct nlmsghdr *
ct_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

int
gw_ct_flush(struct in_addr a, size_t *removed, struct sk_error *err)
{
	static char buf[16384];	/* >= MNL_SOCKET_BUFFER_SIZE (8192 on x86_64) */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct dump d = { .a = a };
	uint32_t seq = (uint32_t)time(NULL), port;
	ssize_t n;
	int rc = 0;

	*removed = 0;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		return sk_errorf(err, errno, "conntrack: netlink: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = sk_errorf(err, errno, "conntrack: bind: %s", strerror(errno));
		goto out;
	}
	port = mnl_socket_get_portid(nl);
	nlh = ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = sk_errorf(err, errno, "conntrack: dump: %s", strerror(errno));
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int r = mnl_cb_run(buf, (size_t)n, seq, port, entry_cb, &d);

		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			rc = sk_errorf(err, errno, "conntrack: dump: %s", strerror(errno));
			goto out;
		}
	}
	if (n < 0) {
		rc = sk_errorf(err, errno, "conntrack: dump: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < d.n; i++) {
		struct victim *v = &d.v[i];

		nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, ++seq);
		memcpy((char *)nlh + nlh->nlmsg_len, v->tuple, v->len);
		nlh->nlmsg_len += MNL_ALIGN(v->len);
		if (v->has_zone)
			mnl_attr_put(nlh, CTA_ZONE, 2, &v->zone);
		if (v->has_id)
			mnl_attr_put(nlh, CTA_ID, 4, &v->id);
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
		    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
			rc = sk_errorf(err, errno, "conntrack: delete: %s", strerror(errno));
			goto out;
		}
		if (mnl_cb_run(buf, (size_t)n, seq, port, NULL, NULL) < 0) {
			if (errno != ENOENT) {
				rc = sk_errorf(err, errno, "conntrack: delete: %s", strerror(errno));
				goto out;
			}
		} else
			(*removed)++;
	}
	if (d.oom)
		rc = sk_errorf(err, ENOMEM, "conntrack: out of memory: some entries stay");
out:
	free(d.v);
	mnl_socket_close(nl);
	return rc;
}
