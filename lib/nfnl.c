/* nftables batches written directly, on a socket kept open (nfnl.h). */
#include "lib/nfnl.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

/* ---- messages into a buf -------------------------------------------------- */

static void
put(struct buf *b, const void *p, size_t n)
{
	static const char zero[4];

	buf_add(b, p, n);
	if (n % 4)
		buf_add(b, zero, 4 - n % 4);
}

size_t
nfnl_attr(struct buf *b, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(sizeof(a) + n), .nla_type = type };
	size_t at = b->len;

	put(b, &a, sizeof(a));
	if (n > 0)
		put(b, p, n);
	return at;
}

size_t
nfnl_nest(struct buf *b, uint16_t type)
{
	return nfnl_attr(b, type | NLA_F_NESTED, NULL, 0);
}

void
nfnl_nest_end(struct buf *b, size_t at)
{
	uint16_t len = (uint16_t)(b->len - at);

	if (!b->oom)
		memcpy(b->p + at, &len, sizeof(len));	/* nla_len comes first */
}

size_t
nfnl_msg(struct buf *b, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
    uint16_t res_id)
{
	struct nlmsghdr h = { .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | flags,
	    .nlmsg_seq = seq };
	struct nfgenmsg g = { .nfgen_family = family, .version = NFNETLINK_V0,
	    .res_id = htons(res_id) };
	size_t at = b->len;

	put(b, &h, sizeof(h));
	put(b, &g, sizeof(g));
	return at;
}

void
nfnl_msg_end(struct buf *b, size_t at)
{
	uint32_t len = (uint32_t)(b->len - at);

	if (!b->oom)
		memcpy(b->p + at, &len, sizeof(len));	/* nlmsg_len comes first */
}

void
nfnl_batch_begin(struct nfnl_batch *bt, uint32_t seq)
{
	buf_init(&bt->b);
	bt->first = seq;
	bt->last = 0;
	bt->seq = seq + 1;
	nfnl_msg_end(&bt->b, nfnl_msg(&bt->b, NFNL_MSG_BATCH_BEGIN, 0, seq, AF_UNSPEC,
	    NFNL_SUBSYS_NFTABLES));
}

int
nfnl_batch_end(struct nfnl_batch *bt, struct sk_error *err)
{
	struct buf *out = &bt->b;
	struct nlmsghdr *h = NULL;

	bt->last = 0;
	if (out->oom)
		return sk_errorf(err, ENOMEM, "nftables batch: out of memory");
	for (size_t at = 0; at < out->len;) {
		struct nlmsghdr *x = (struct nlmsghdr *)(void *)(out->p + at);

		if (x->nlmsg_type != NFNL_MSG_BATCH_BEGIN)
			h = x;
		at += x->nlmsg_len;
	}
	if (h == NULL) {	/* the beginning alone: nothing to send */
		out->len = 0;
		return 0;
	}
	h->nlmsg_flags |= NLM_F_ACK;
	bt->last = h->nlmsg_seq;
	nfnl_msg_end(out, nfnl_msg(out, NFNL_MSG_BATCH_END, 0, bt->seq++, AF_UNSPEC,
	    NFNL_SUBSYS_NFTABLES));
	if (out->oom) {
		bt->last = 0;
		return sk_errorf(err, ENOMEM, "nftables batch: out of memory");
	}
	return 0;
}

void
nfnl_batch_free(struct nfnl_batch *bt)
{
	buf_free(&bt->b);
	bt->last = 0;
}

void
nfnl_setelem(struct nfnl_batch *bt, int add, const char *table, const char *set,
    const void *key, size_t klen, uint64_t timeout_ms)
{
	struct buf *b = &bt->b;
	size_t m, list, el, k;

	m = nfnl_msg(b, (NFNL_SUBSYS_NFTABLES << 8) |
	    (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM), add ? NLM_F_CREATE : 0,
	    bt->seq++, NFPROTO_INET, 0);
	nfnl_attr(b, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
	nfnl_attr(b, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
	list = nfnl_nest(b, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = nfnl_nest(b, NFTA_LIST_ELEM);
	k = nfnl_nest(b, NFTA_SET_ELEM_KEY);
	nfnl_attr(b, NFTA_DATA_VALUE, key, klen);
	nfnl_nest_end(b, k);
	if (add && timeout_ms != 0) {
		uint64_t t = htobe64(timeout_ms);

		nfnl_attr(b, NFTA_SET_ELEM_TIMEOUT, &t, sizeof(t));
	}
	nfnl_nest_end(b, el);
	nfnl_nest_end(b, list);
	nfnl_msg_end(b, m);
}

/* ---- the socket ------------------------------------------------------------ */

struct nfnl_sock {
	struct mnl_socket	*nl;
	uint32_t		 seq;
};

#define ANSWER_BUF	8192	/* acknowledgements and errors without their
				   request (NETLINK_CAP_ACK) */

static int
sock_open(struct nfnl_sock *s)
{
	struct timeval tmo = { 10, 0 };

	if ((s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return -errno;
	/* errors without the request they answer (a list of elements) */
	(void)mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &(int){ 1 }, sizeof(int));
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &tmo,
	    sizeof(tmo)) < 0) {
		int e = errno;

		mnl_socket_close(s->nl);
		s->nl = NULL;
		return -e;
	}
	return 0;
}

int
nfnl_open(struct nfnl_sock **out, struct sk_error *err)
{
	struct nfnl_sock *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL)
		return sk_errorf(err, ENOMEM, "nftables: out of memory");
	if ((rc = sock_open(s)) < 0) {
		free(s);
		return sk_errorf(err, -rc, "nftables: netlink socket: %s", strerror(-rc));
	}
	s->seq = (uint32_t)time(NULL);
	*out = s;
	return 0;
}

uint32_t
nfnl_seq(const struct nfnl_sock *s)
{
	return s->seq;
}

int
nfnl_answers(struct mnl_socket *nl, uint32_t first, uint32_t last, int *lost)
{
	char buf[ANSWER_BUF];
	int err = 0;

	for (;;) {
		ssize_t got = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int n = (int)got;

		if (got < 0) {
			*lost = 1;
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; mnl_nlmsg_ok(h, n);
		    h = mnl_nlmsg_next(h, &n)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first ||
			    h->nlmsg_seq > last ||
			    h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
				continue;
			e = mnl_nlmsg_get_payload(h);
			if (e->error != 0 && err == 0)
				err = e->error;
			if (h->nlmsg_seq == last)
				return err;
		}
	}
}

int
nfnl_send(struct nfnl_sock *s, const struct nfnl_batch *bt, int commit, struct sk_error *err)
{
	/* the batch's end: a header and an nfgenmsg */
	size_t end = NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	size_t len = commit ? bt->b.len : bt->b.len - end;
	int rc, lost = 0;

	if (bt->last == 0)	/* nothing to send */
		return 0;
	if (bt->seq > s->seq)
		s->seq = bt->seq;
	if (s->nl == NULL && (rc = sock_open(s)) < 0)
		return sk_errorf(err, -rc, "nftables: netlink socket: %s", strerror(-rc));
	if (mnl_socket_sendto(s->nl, bt->b.p, len) < 0) {
		rc = -errno;
		lost = 1;
	} else if ((rc = nfnl_answers(s->nl, bt->first + 1, bt->last, &lost)) == 0)
		return 0;
	/* a send or read that failed may leave answers behind: a new socket
	 * for the next batch (a kernel's refusal, read whole, does not) */
	if (lost) {
		mnl_socket_close(s->nl);
		s->nl = NULL;
	}
	return sk_errorf(err, -rc, "nftables: %s", strerror(-rc));
}

void
nfnl_close(struct nfnl_sock *s)
{
	if (s == NULL)
		return;
	if (s->nl != NULL)
		mnl_socket_close(s->nl);
	free(s);
}
