/*
 * The tracked connections of addresses that lost their access, removed
 * (ctnetlink over libmnl): the IPv4 table is dumped once for the whole
 * batch, every entry with one of the addresses on either side of either
 * direction is collected (its original tuple, as the kernel wrote it, and
 * its id), and each is deleted by that tuple. An entry that went
 * meanwhile (ENOENT) is not an error.
 *
 * One dump per batch, not one per address: a full sync that removes
 * thousands of peers (a gateway back after a long stop) would otherwise
 * walk the whole table thousands of times. The entries are matched
 * against the batch's addresses, sorted, by binary search
 * (gw_ct_entry_match, unit-tested in test_gw).
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
	size_t		who;		/* the address's index in the caller's list */
};

struct dump {
	const uint32_t	*set;		/* the addresses (s_addr), sorted, each once */
	const size_t	*ix;		/* set[k]'s first index in the caller's list */
	size_t		 n_set;
	struct victim	*v;
	size_t		 n, cap;
	int		 oom;
};

static long
set_find(const uint32_t *set, size_t n, uint32_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (set[mid] == a)
			return (long)mid;
		if (set[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The first address of the set in tuple (either side), its position, or -1. */
static long
tuple_match(const struct nlattr *tuple, const uint32_t *set, size_t n)
{
	const struct nlattr *ip, *x;

	mnl_attr_for_each_nested(ip, tuple) {
		if (mnl_attr_get_type(ip) != CTA_TUPLE_IP)
			continue;
		mnl_attr_for_each_nested(x, ip) {
			uint16_t t = mnl_attr_get_type(x);
			uint32_t a;
			long k;

			if ((t != CTA_IP_V4_SRC && t != CTA_IP_V4_DST) ||
			    mnl_attr_get_payload_len(x) != 4)
				continue;
			memcpy(&a, mnl_attr_get_payload(x), 4);
			if ((k = set_find(set, n, a)) >= 0)
				return k;
		}
	}
	return -1;
}

long
gw_ct_entry_match(const struct nlmsghdr *nlh, const uint32_t *set, size_t n,
    const struct nlattr **orig)
{
	const struct nlattr *at;
	long hit = -1;

	*orig = NULL;
	mnl_attr_for_each(at, nlh, sizeof(struct nfgenmsg)) {
		uint16_t t = mnl_attr_get_type(at);

		if (t != CTA_TUPLE_ORIG && t != CTA_TUPLE_REPLY)
			continue;
		if (t == CTA_TUPLE_ORIG)
			*orig = at;
		if (hit < 0)
			hit = tuple_match(at, set, n);
	}
	return hit;
}

static int
entry_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	const struct nlattr *at, *orig;
	struct victim v;
	long k;

	k = gw_ct_entry_match(nlh, d->set, d->n_set, &orig);
	if (k < 0 || orig == NULL || orig->nla_len > sizeof(v.tuple))
		return MNL_CB_OK;
	memset(&v, 0, sizeof(v));
	v.who = d->ix[k];
	mnl_attr_for_each(at, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(at)) {
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

struct addr_ix {
	uint32_t	a;
	size_t		ix;
};

static int
cmp_ix(const void *x, const void *y)
{
	const struct addr_ix *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->ix < q->ix ? -1 : p->ix > q->ix;
}

/* The batch's addresses, sorted, each once with its first index. */
static int
addr_set(const struct in_addr *addrs, size_t n, uint32_t **set, size_t **ix, size_t *n_set)
{
	struct addr_ix *s = calloc(n, sizeof(*s));
	size_t k = 0;

	*set = calloc(n, sizeof(**set));
	*ix = calloc(n, sizeof(**ix));
	if (s == NULL || *set == NULL || *ix == NULL) {
		free(s);
		free(*set);
		free(*ix);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		s[i].a = addrs[i].s_addr;
		s[i].ix = i;
	}
	qsort(s, n, sizeof(*s), cmp_ix);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && (*set)[k - 1] == s[i].a)
			continue;	/* the lowest index came first */
		(*set)[k] = s[i].a;
		(*ix)[k++] = s[i].ix;
	}
	*n_set = k;
	free(s);
	return 0;
}

int
gw_ct_flush(const struct in_addr *addrs, size_t n, size_t *removed, struct sk_error *err)
{
	static char buf[16384];	/* >= MNL_SOCKET_BUFFER_SIZE (8192 on x86_64) */
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	struct dump d = { 0 };
	uint32_t *set = NULL;
	size_t *ix = NULL;
	uint32_t seq = (uint32_t)time(NULL), port;
	ssize_t len;
	int rc = 0;

	memset(removed, 0, n * sizeof(*removed));
	if (n == 0)
		return 0;
	if (addr_set(addrs, n, &set, &ix, &d.n_set) < 0)
		return sk_errorf(err, ENOMEM, "conntrack: out of memory");
	d.set = set;
	d.ix = ix;
	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL) {
		rc = sk_errorf(err, errno, "conntrack: netlink: %s", strerror(errno));
		goto out;
	}
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
	while ((len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int r = mnl_cb_run(buf, (size_t)len, seq, port, entry_cb, &d);

		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			rc = sk_errorf(err, errno, "conntrack: dump: %s", strerror(errno));
			goto out;
		}
	}
	if (len < 0) {
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
		    (len = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0) {
			rc = sk_errorf(err, errno, "conntrack: delete: %s", strerror(errno));
			goto out;
		}
		if (mnl_cb_run(buf, (size_t)len, seq, port, NULL, NULL) < 0) {
			if (errno != ENOENT) {
				rc = sk_errorf(err, errno, "conntrack: delete: %s", strerror(errno));
				goto out;
			}
		} else
			removed[v->who]++;
	}
	if (d.oom)
		rc = sk_errorf(err, ENOMEM, "conntrack: out of memory: some entries stay");
out:
	free(d.v);
	free(set);
	free(ix);
	if (nl != NULL)
		mnl_socket_close(nl);
	return rc;
}
