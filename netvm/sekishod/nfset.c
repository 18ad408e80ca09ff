/* Element changes as one nfnetlink batch (nfset.h). */
#include "netvm/sekishod/nfset.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "lib/nfnl.h"

enum ftype { F_IPV4, F_IPV6, F_SERVICE, F_PROTO, F_MARK, F_IFNAME };

static const struct {
	const char	*name;
	enum ftype	 t;
	size_t		 len;
} types[] = {
	{ "ipv4_addr", F_IPV4, 4 }, { "ipv6_addr", F_IPV6, 16 },
	{ "inet_service", F_SERVICE, 2 }, { "inet_proto", F_PROTO, 1 },
	{ "mark", F_MARK, 4 }, { "ifname", F_IFNAME, IFNAMSIZ },
};

#define MAX_FIELDS	4
#define MAX_FIELD	16	/* bytes: an IPv6 address, an ifname */
#define MAX_KEY		(MAX_FIELDS * MAX_FIELD)
/* An element list's nest must stay below 64 KiB (its length is 16 bits). */
#define LIST_MAX	60000

struct settype {
	enum ftype	key[MAX_FIELDS];
	size_t		nkey;
	int		has_data;
	enum ftype	data;
	int		interval, timeout;
};

static size_t
flen(enum ftype t)
{
	for (size_t i = 0; i < nitems(types); i++)
		if (types[i].t == t)
			return types[i].len;
	return 0;
}

static int
type_named(const char *s, size_t n, enum ftype *t)
{
	for (size_t i = 0; i < nitems(types); i++)
		if (strlen(types[i].name) == n && memcmp(types[i].name, s, n) == 0) {
			*t = types[i].t;
			return 0;
		}
	return -1;
}

/* "\t\ttype A . B : C\n\t\tflags interval\n" -> st; -1 for what is not
 * encoded here. */
static int
read_head(const char *head, struct settype *st)
{
	const char *p = strstr(head, "\t\ttype "), *end, *f;

	memset(st, 0, sizeof(*st));
	if (p == NULL)
		return -1;
	p += 7;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	for (int data = 0; p < end;) {
		const char *w = p;
		enum ftype t;

		while (p < end && *p != ' ')
			p++;
		if (type_named(w, (size_t)(p - w), &t) < 0)
			return -1;
		if (data) {
			if (st->has_data)
				return -1;
			st->has_data = 1;
			st->data = t;
		} else {
			if (st->nkey == MAX_FIELDS)
				return -1;
			st->key[st->nkey++] = t;
		}
		if (p == end)
			break;
		if (strncmp(p, " . ", 3) == 0 && !data)
			p += 3;
		else if (strncmp(p, " : ", 3) == 0 && !data) {
			data = 1;
			p += 3;
		} else
			return -1;
	}
	if (st->nkey == 0 || (st->has_data && st->data != F_MARK && st->data != F_IPV4))
		return -1;
	if ((f = strstr(head, "\t\tflags ")) != NULL) {
		const char *fe = strchr(f, '\n');
		size_t fl = fe != NULL ? (size_t)(fe - f) : strlen(f);

		st->interval = memmem(f, fl, "interval", 8) != NULL;
		st->timeout = memmem(f, fl, "timeout", 7) != NULL;
	}
	/* An interval of one field is compared big-endian: a mark there would
	 * need nft's byte order conversion, which is not done here. */
	if (st->interval && st->nkey == 1 && st->key[0] != F_IPV4 && st->key[0] != F_IPV6)
		return -1;
	if (st->interval && st->timeout)
		return -1;
	return 0;
}

static int
unumber(const char *s, size_t n, unsigned long long max, unsigned long long *v)
{
	char tmp[32], *e;

	if (n == 0 || n >= sizeof(tmp) || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*v = strtoull(tmp, &e, 0);
	return errno != 0 || *e != '\0' || *v > max ? -1 : 0;
}

static int
addr(int af, const char *s, size_t n, uint8_t *out)
{
	char tmp[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(af, tmp, out) == 1 ? 0 : -1;
}

static const struct {
	const char	*name;
	uint8_t		 num;
} protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 },
	{ "sctp", 132 }, { "udplite", 136 }, { "dccp", 33 },
};

/* One field's text -> its lowest and highest values (network byte order;
 * a mark as a host-order uint32). -1 for what is not read here. */
static int
field(enum ftype t, const char *s, size_t n, uint8_t lo[MAX_FIELD], uint8_t hi[MAX_FIELD])
{
	unsigned long long a, b;
	const char *dash = memchr(s, '-', n), *slash = memchr(s, '/', n);
	size_t len = flen(t);

	memset(lo, 0, MAX_FIELD);
	switch (t) {
	case F_IPV4:
	case F_IPV6:
		if (slash != NULL) {
			int af = t == F_IPV4 ? AF_INET : AF_INET6;

			if (addr(af, s, (size_t)(slash - s), lo) < 0 ||
			    unumber(slash + 1, n - (size_t)(slash - s) - 1, len * 8, &a) < 0)
				return -1;
			memcpy(hi, lo, len);
			for (size_t bit = (size_t)a; bit < len * 8; bit++) {
				lo[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
				hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			}
			return 0;
		}
		/* An IPv6 address holds no '-': a range of two addresses. */
		if (dash != NULL)
			return addr(t == F_IPV4 ? AF_INET : AF_INET6, s, (size_t)(dash - s), lo) < 0 ||
			    addr(t == F_IPV4 ? AF_INET : AF_INET6, dash + 1,
			    n - (size_t)(dash - s) - 1, hi) < 0 || memcmp(lo, hi, len) > 0 ? -1 : 0;
		if (addr(t == F_IPV4 ? AF_INET : AF_INET6, s, n, lo) < 0)
			return -1;
		memcpy(hi, lo, len);
		return 0;
	case F_SERVICE:
		if (dash != NULL) {
			if (unumber(s, (size_t)(dash - s), 65535, &a) < 0 ||
			    unumber(dash + 1, n - (size_t)(dash - s) - 1, 65535, &b) < 0 || a > b)
				return -1;
		} else if (unumber(s, n, 65535, &a) < 0)
			return -1;
		else
			b = a;
		lo[0] = (uint8_t)(a >> 8);
		lo[1] = (uint8_t)a;
		memset(hi, 0, MAX_FIELD);
		hi[0] = (uint8_t)(b >> 8);
		hi[1] = (uint8_t)b;
		return 0;
	case F_PROTO:
		for (size_t i = 0; i < nitems(protos); i++)
			if (strlen(protos[i].name) == n && memcmp(protos[i].name, s, n) == 0) {
				lo[0] = protos[i].num;
				memcpy(hi, lo, MAX_FIELD);
				return 0;
			}
		if (unumber(s, n, 255, &a) < 0)
			return -1;
		lo[0] = (uint8_t)a;
		memcpy(hi, lo, MAX_FIELD);
		return 0;
	case F_MARK: {
		uint32_t m;

		if (unumber(s, n, UINT32_MAX, &a) < 0)
			return -1;
		m = (uint32_t)a;
		memcpy(lo, &m, 4);
		memcpy(hi, lo, MAX_FIELD);
		return 0;
	}
	case F_IFNAME:
		if (n < 2 || s[0] != '"' || s[n - 1] != '"' || n - 2 >= IFNAMSIZ ||
		    memchr(s + 1, '"', n - 2) != NULL)
			return -1;
		memcpy(lo, s + 1, n - 2);
		memcpy(hi, lo, MAX_FIELD);
		return 0;
	}
	return -1;
}

/* An element decoded: its key's lowest and highest values (registers laid
 * out as the kernel's set expects), its value, its timeout. */
struct elem {
	uint8_t		lo[MAX_KEY], hi[MAX_KEY];
	size_t		klen;
	int		range;		/* lo != hi */
	uint8_t		data[MAX_FIELD];
	size_t		dlen;
	uint64_t	timeout_ms;	/* 0: none */
};

/* s (one item as the renderer writes it) as st's element into e. */
static int
read_elem(const struct settype *st, const char *s, struct elem *e)
{
	const char *end = s + strlen(s), *colon, *tmo;
	uint8_t lo[MAX_FIELD], hi[MAX_FIELD];

	memset(e, 0, sizeof(*e));
	if ((tmo = strstr(s, " timeout ")) != NULL) {
		const char *v = tmo + 9;
		size_t vl = (size_t)(end - v);
		unsigned long long ms;

		if (!st->timeout || vl < 3 || strcmp(end - 2, "ms") != 0 ||
		    unumber(v, vl - 2, UINT32_MAX, &ms) < 0 || ms == 0)
			return -1;
		e->timeout_ms = ms;
		end = tmo;
	}
	colon = st->has_data ? strstr(s, " : ") : NULL;
	if (st->has_data) {
		if (colon == NULL || colon >= end ||
		    field(st->data, colon + 3, (size_t)(end - colon - 3), lo, hi) < 0 ||
		    memcmp(lo, hi, flen(st->data)) != 0)
			return -1;
		e->dlen = flen(st->data);
		memcpy(e->data, lo, e->dlen);
		end = colon;
	}
	for (size_t i = 0; i < st->nkey; i++) {
		const char *sep = i + 1 < st->nkey ? strstr(s, " . ") : NULL;
		size_t n, fl = flen(st->key[i]);
		size_t reg = st->nkey > 1 ? (fl + 3) / 4 * 4 : fl;

		if (i + 1 < st->nkey && (sep == NULL || sep >= end))
			return -1;
		n = sep != NULL ? (size_t)(sep - s) : (size_t)(end - s);
		if (field(st->key[i], s, n, lo, hi) < 0)
			return -1;
		if (st->interval && st->nkey > 1 && st->key[i] == F_MARK) {
			uint32_t l, h;	/* compared big-endian */

			memcpy(&l, lo, 4);
			memcpy(&h, hi, 4);
			l = htonl(l);
			h = htonl(h);
			memcpy(lo, &l, 4);
			memcpy(hi, &h, 4);
		}
		if (memcmp(lo, hi, fl) != 0) {
			if (!st->interval)
				return -1;
			e->range = 1;
		}
		memcpy(e->lo + e->klen, lo, fl);
		memcpy(e->hi + e->klen, hi, fl);
		e->klen += reg;	/* the padding stays zero */
		s = sep != NULL ? sep + 3 : end;
	}
	return s == end ? 0 : -1;
}

/* ---- netlink messages into a buf: lib/nfnl.h's builders ---------------- */

static void
value(struct buf *b, uint16_t type, const uint8_t *p, size_t n)
{
	size_t at = nfnl_nest(b, type);

	nfnl_attr(b, NFTA_DATA_VALUE, p, n);
	nfnl_nest_end(b, at);
}

/* One element's netlink form: key (and key end), flags, value, timeout. */
static void
put_elem(struct buf *b, const uint8_t *key, const uint8_t *key_end, size_t klen,
    uint32_t flags, const uint8_t *data, size_t dlen, uint64_t timeout_ms)
{
	size_t at = nfnl_nest(b, NFTA_LIST_ELEM);

	value(b, NFTA_SET_ELEM_KEY, key, klen);
	if (key_end != NULL)
		value(b, NFTA_SET_ELEM_KEY_END, key_end, klen);
	if (flags != 0) {
		uint32_t f = htonl(flags);

		nfnl_attr(b, NFTA_SET_ELEM_FLAGS, &f, sizeof(f));
	}
	if (timeout_ms != 0) {
		uint64_t t = htobe64(timeout_ms);

		nfnl_attr(b, NFTA_SET_ELEM_TIMEOUT, &t, sizeof(t));
	}
	if (data != NULL)
		value(b, NFTA_SET_ELEM_DATA, data, dlen);
	nfnl_nest_end(b, at);
}

/* The big-endian number in k (n bytes) plus one; 0 if it overflowed. */
static int
increment(uint8_t *k, size_t n)
{
	for (size_t i = n; i-- > 0;)
		if (++k[i] != 0)
			return 1;
	return 0;
}

/* Messages of one kind (NEWSETELEM or DELSETELEM) for one set, opened as
 * needed so that no element list outgrows its nest. */
struct msgs {
	struct buf	*b;
	const char	*table, *set;
	uint16_t	 type, flags;
	uint32_t	*seq;
	size_t		 m, list;	/* offsets of the open message and list; m == 0: none */
};

static void
msgs_close(struct msgs *s)
{
	if (s->m == 0)
		return;
	nfnl_nest_end(s->b, s->list);
	nfnl_msg_end(s->b, s->m);
	s->m = 0;
}

static void
msgs_room(struct msgs *s)
{
	if (s->m != 0 && s->b->len - s->list < LIST_MAX)
		return;
	msgs_close(s);
	s->m = nfnl_msg(s->b, (NFNL_SUBSYS_NFTABLES << 8) | s->type, s->flags, (*s->seq)++,
	    NFPROTO_INET, 0);
	nfnl_attr(s->b, NFTA_SET_ELEM_LIST_TABLE, s->table, strlen(s->table) + 1);
	nfnl_attr(s->b, NFTA_SET_ELEM_LIST_SET, s->set, strlen(s->set) + 1);
	s->list = nfnl_nest(s->b, NFTA_SET_ELEM_LIST_ELEMENTS);
}

/* The elements items (n) of set st into messages s: adding (values,
 * timeouts) or deleting (keys only). */
static int
put_items(struct msgs *s, const struct settype *st, const char *const *items, size_t n,
    int add, int was_empty, struct sk_error *err)
{
	struct elem e;
	int zero_end = add && was_empty && st->interval && st->nkey == 1;

	/* nft's end element at 0 goes first, unless an interval starts
	 * there, whichever item that is. */
	for (size_t i = 0; zero_end && i < n; i++) {
		static const uint8_t z[MAX_KEY];

		if (read_elem(st, items[i], &e) == 0 && memcmp(e.lo, z, e.klen) == 0)
			zero_end = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (read_elem(st, items[i], &e) < 0)
			return sk_errorf(err, ENOTSUP, "set %s: element \"%s\" not encoded here",
			    s->set, items[i]);
		msgs_room(s);
		if (st->interval && st->nkey > 1) {
			put_elem(s->b, e.lo, e.hi, e.klen, 0, add && e.dlen ? e.data : NULL,
			    add ? e.dlen : 0, 0);
			continue;
		}
		if (!st->interval) {
			put_elem(s->b, e.lo, NULL, e.klen, 0, add && e.dlen ? e.data : NULL,
			    add ? e.dlen : 0, add ? e.timeout_ms : 0);
			continue;
		}
		/* rbtree: [lo, hi + 1) as a start and an end element; into an
		 * empty set, nft's end element at 0 first. */
		if (zero_end) {
			static const uint8_t z[MAX_KEY];

			zero_end = 0;
			put_elem(s->b, z, NULL, e.klen, NFT_SET_ELEM_INTERVAL_END, NULL, 0, 0);
		}
		put_elem(s->b, e.lo, NULL, e.klen, 0, add && e.dlen ? e.data : NULL,
		    add ? e.dlen : 0, 0);
		if (increment(e.hi, e.klen))
			put_elem(s->b, e.hi, NULL, e.klen, NFT_SET_ELEM_INTERVAL_END, NULL, 0, 0);
	}
	return 0;
}

static int batch_end(struct nfset_batch *, uint32_t, struct sk_error *);

int
nfset_encode(const struct fw_elem_change *v, size_t n, const char *table,
    uint32_t seq, struct nfset_batch *bt, struct sk_error *err)
{
	struct settype *st = calloc(n + 1, sizeof(*st));
	struct buf *out = &bt->b;
	int rc = 0;

	buf_init(out);
	bt->first = seq;
	bt->last = 0;

	if (st == NULL)
		return sk_errorf(err, ENOMEM, "element batch: out of memory");
	for (size_t i = 0; i < n; i++)
		if (read_head(v[i].head, &st[i]) < 0 || (v[i].map != 0) != (st[i].has_data != 0)) {
			rc = sk_errorf(err, ENOTSUP, "set %s: its type is not encoded here", v[i].set);
			goto out;
		}
	nfnl_msg_end(out, nfnl_msg(out, NFNL_MSG_BATCH_BEGIN, 0, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
	/* Every deletion first, then every addition: one transaction. */
	for (int add = 0; add < 2; add++)
		for (size_t i = 0; i < n; i++) {
			struct msgs s = { out, table, v[i].set,
			    add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			    add ? NLM_F_CREATE : 0, &seq, 0, 0 };

			if (!add && v[i].flush) {	/* a delete without elements */
				size_t m = nfnl_msg(out, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSETELEM,
				    0, seq++, NFPROTO_INET, 0);

				nfnl_attr(out, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
				nfnl_attr(out, NFTA_SET_ELEM_LIST_SET, v[i].set, strlen(v[i].set) + 1);
				nfnl_msg_end(out, m);
				continue;
			}
			if ((rc = put_items(&s, &st[i], add ? v[i].add : v[i].del,
			    add ? v[i].n_add : v[i].n_del, add, v[i].was_empty, err)) < 0)
				goto out;
			msgs_close(&s);
		}
	rc = batch_end(bt, seq, err);
out:
	free(st);
	if (rc < 0)
		nfset_free(bt);
	return rc;
}

/* The batch's last message asked to acknowledge (the kernel answers only
 * errors otherwise), then its end numbered seq; none but the batch's
 * beginning: nothing to send at all (bt->last 0). 0 or -ENOMEM. */
static int
batch_end(struct nfset_batch *bt, uint32_t seq, struct sk_error *err)
{
	struct buf *out = &bt->b;
	uint32_t *last = &bt->last;

	*last = 0;
	if (!out->oom) {
		struct nlmsghdr *h = NULL;

		for (size_t at = 0; at < out->len;) {
			struct nlmsghdr *x = (struct nlmsghdr *)(void *)(out->p + at);

			if (x->nlmsg_type != NFNL_MSG_BATCH_BEGIN)
				h = x;
			at += x->nlmsg_len;
		}
		if (h == NULL) {
			out->len = 0;
			return 0;
		}
		h->nlmsg_flags |= NLM_F_ACK;
		*last = h->nlmsg_seq;
	}
	nfnl_msg_end(out, nfnl_msg(out, NFNL_MSG_BATCH_END, 0, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
	if (out->oom)
		return sk_errorf(err, ENOMEM, "element batch: out of memory");
	return 0;
}

/* ---- sets declared (a full load's first transaction) --------------------- */

/* nftables' datatype numbers (datatype.h), in a set's key and data type,
 * a concatenation's shifted by 6 bits a field (TYPE_BITS). */
static uint32_t
type_id(enum ftype t)
{
	switch (t) {
	case F_IPV4:	return 7;
	case F_IPV6:	return 8;
	case F_SERVICE:	return 13;
	case F_PROTO:	return 12;
	case F_MARK:	return 19;
	case F_IFNAME:	return 41;
	}
	return 0;
}

/* The declarations copied from nft 1.0.6 (nfset.h): 1 if st is one. */
static int
declarable(const struct settype *st)
{
	if (st->timeout)
		return 0;
	if (st->nkey == 1 && st->has_data)
		return (st->data == F_MARK && st->interval &&
		    (st->key[0] == F_IPV4 || st->key[0] == F_IPV6)) ||
		    (st->data == F_IPV4 && !st->interval && st->key[0] == F_IPV4);
	if (st->nkey == 1)
		return st->key[0] == F_IPV4 || st->key[0] == F_IPV6 ||
		    (st->key[0] == F_MARK && !st->interval);
	if (st->has_data)
		return 0;
	if (st->nkey == 2)
		return !st->interval && st->key[0] == F_IPV4 && st->key[1] == F_SERVICE;
	return st->nkey == 3 && st->interval && st->key[0] == F_MARK &&
	    st->key[1] == F_PROTO && st->key[2] == F_SERVICE;
}

int
nfset_declarable(const char *head, int map)
{
	struct settype st;

	return read_head(head, &st) == 0 && (map != 0) == (st.has_data != 0) &&
	    declarable(&st);
}

static void
attr_u32(struct buf *b, uint16_t type, uint32_t v)
{
	v = htonl(v);
	nfnl_attr(b, type, &v, sizeof(v));
}

/* libnftnl's user data: type, length, value (a u32 in host order). */
static void
udata_u32(struct buf *u, uint8_t type, uint32_t v)
{
	uint8_t h[2] = { type, 4 };

	buf_add(u, (const char *)h, 2);
	buf_add(u, (const char *)&v, 4);
}

/* nft's byte order numbers (BYTEORDER_HOST_ENDIAN 1, BIG_ENDIAN 2). */
static uint32_t
byteorder(enum ftype t)
{
	return t == F_MARK ? 1 : 2;
}

/* One NEWSET as nft 1.0.6 sends it for st (checked with nft
 * --debug=mnl), numbered id in the batch. */
static void
put_newset(struct buf *b, const char *table, const char *name, const struct settype *st,
    uint32_t seq, uint32_t id)
{
	uint32_t flags = 0, key = 0;
	size_t klen = 0, at = nfnl_msg(b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET,
	    NLM_F_CREATE | NLM_F_EXCL, seq, NFPROTO_INET, 0);
	struct buf u;

	buf_init(&u);
	for (size_t i = 0; i < st->nkey; i++) {
		key = key << 6 | type_id(st->key[i]);
		klen += st->nkey > 1 ? (flen(st->key[i]) + 3) / 4 * 4 : flen(st->key[i]);
	}
	if (st->interval)
		flags |= NFT_SET_INTERVAL;
	if (st->interval && st->nkey > 1)
		flags |= NFT_SET_CONCAT;
	if (st->has_data)
		flags |= NFT_SET_MAP;
	nfnl_attr(b, NFTA_SET_TABLE, table, strlen(table) + 1);
	nfnl_attr(b, NFTA_SET_NAME, name, strlen(name) + 1);
	attr_u32(b, NFTA_SET_FLAGS, flags);
	attr_u32(b, NFTA_SET_KEY_TYPE, key);
	attr_u32(b, NFTA_SET_KEY_LEN, (uint32_t)klen);
	if (st->has_data) {
		attr_u32(b, NFTA_SET_DATA_TYPE, type_id(st->data));
		attr_u32(b, NFTA_SET_DATA_LEN, (uint32_t)flen(st->data));
	}
	attr_u32(b, NFTA_SET_ID, id);
	if (flags & NFT_SET_CONCAT) {
		size_t d = nfnl_nest(b, NFTA_SET_DESC), c = nfnl_nest(b, NFTA_SET_DESC_CONCAT);

		for (size_t i = 0; i < st->nkey; i++) {
			size_t f = nfnl_nest(b, NFTA_LIST_ELEM);

			attr_u32(b, NFTA_SET_FIELD_LEN, (uint32_t)flen(st->key[i]));
			nfnl_nest_end(b, f);
		}
		nfnl_nest_end(b, c);
		nfnl_nest_end(b, d);
	}
	/* The key's byte order (none for a concatenation), the value's and
	 * that the value is no interval (maps); a concatenation's "typeof"
	 * nest: the expression's kind (EXPR_CONCAT, 13) and no data. */
	udata_u32(&u, 0, st->nkey > 1 ? 0 : byteorder(st->key[0]));
	if (st->has_data) {
		udata_u32(&u, 1, byteorder(st->data));
		udata_u32(&u, 6, 0);
	}
	if (st->nkey > 1) {
		static const uint8_t typeof_concat[] = { 3, 8, 0, 4, 13, 0, 0, 0, 1, 0 };

		buf_add(&u, (const char *)typeof_concat, sizeof(typeof_concat));
	}
	if (u.oom)
		b->oom = 1;
	else
		nfnl_attr(b, NFTA_SET_USERDATA, u.p, u.len);
	buf_free(&u);
	nfnl_msg_end(b, at);
}

int
nfset_encode_new(const struct fw_elem_change *v, size_t n, const char *table,
    uint32_t seq, struct nfset_batch *bt, struct sk_error *err)
{
	struct buf *out = &bt->b;
	struct settype st;
	size_t at;
	int rc = 0;

	buf_init(out);
	bt->first = seq;
	bt->last = 0;
	nfnl_msg_end(out, nfnl_msg(out, NFNL_MSG_BATCH_BEGIN, 0, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
	/* "table inet NAME": created if absent, left as it is if not */
	at = nfnl_msg(out, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, NLM_F_CREATE, seq++,
	    NFPROTO_INET, 0);
	nfnl_attr(out, NFTA_TABLE_NAME, table, strlen(table) + 1);
	attr_u32(out, NFTA_TABLE_FLAGS, 0);
	nfnl_msg_end(out, at);
	for (size_t i = 0; i < n; i++) {
		struct msgs s = { out, table, v[i].set, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
		    &seq, 0, 0 };

		if (read_head(v[i].head, &st) < 0 || (v[i].map != 0) != (st.has_data != 0) ||
		    !declarable(&st)) {
			rc = sk_errorf(err, ENOTSUP, "set %s: its type is not declared here",
			    v[i].set);
			goto out;
		}
		put_newset(out, table, v[i].set, &st, seq++, (uint32_t)i + 1);
		if ((rc = put_items(&s, &st, v[i].add, v[i].n_add, 1, 1, err)) < 0)
			goto out;
		msgs_close(&s);
	}
	rc = batch_end(bt, seq, err);
out:
	if (rc < 0)
		nfset_free(bt);
	return rc;
}

int
nfset_encode_drop(const char *const *sets, size_t n, const char *table, int drop_table,
    uint32_t seq, struct nfset_batch *bt, struct sk_error *err)
{
	struct buf *out = &bt->b;
	size_t at;
	int rc;

	buf_init(out);
	bt->first = seq;
	bt->last = 0;
	nfnl_msg_end(out, nfnl_msg(out, NFNL_MSG_BATCH_BEGIN, 0, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
	for (size_t i = 0; i < n; i++) {
		at = nfnl_msg(out, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELSET, 0, seq++,
		    NFPROTO_INET, 0);
		nfnl_attr(out, NFTA_SET_TABLE, table, strlen(table) + 1);
		nfnl_attr(out, NFTA_SET_NAME, sets[i], strlen(sets[i]) + 1);
		nfnl_msg_end(out, at);
	}
	if (drop_table) {
		at = nfnl_msg(out, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, 0, seq++,
		    NFPROTO_INET, 0);
		nfnl_attr(out, NFTA_TABLE_NAME, table, strlen(table) + 1);
		nfnl_msg_end(out, at);
	}
	if ((rc = batch_end(bt, seq, err)) < 0)
		nfset_free(bt);
	return rc;
}

void
nfset_free(struct nfset_batch *bt)
{
	buf_free(&bt->b);
	bt->last = 0;
}

/*
 * The socket of the last batch is kept open until the next one (or
 * nfset_settle): closing a netfilter netlink socket makes Linux wait for
 * the previous commit's deferred destruction (an RCU grace period, 12 to
 * 15 ms after a batch that deleted an element), which the caller would
 * wait for on the spot; by the next batch it is long over.
 */
static struct mnl_socket *kept;

int
nfset_kept(void)
{
	return kept != NULL;
}

void
nfset_settle(void)
{
	if (kept != NULL)
		mnl_socket_close(kept);
	kept = NULL;
}

int
nfset_send(const struct nfset_batch *bt, int commit, struct sk_error *err)
{
	/* the batch's end: a header and an nfgenmsg */
	size_t end = NLMSG_ALIGN(sizeof(struct nlmsghdr)) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	size_t len = commit ? bt->b.len : bt->b.len - end;
	struct timeval tmo = { 10, 0 };
	struct mnl_socket *nl;
	int rc, size, lost = 0;

	if (bt->last == 0)	/* nothing to send */
		return 0;
	nfset_settle();
	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return sk_errorf(err, errno, "element batch: netlink: %s", strerror(errno));
	size = len > INT32_MAX / 2 ? INT32_MAX : (int)len * 2;
	/* Errors without the request they answer (a list of elements). */
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &(int){ 1 }, sizeof(int));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0 ||
	    (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) < 0 && setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF,
	    &size, sizeof(size)) < 0))
		rc = -errno;
	else if (mnl_socket_sendto(nl, bt->b.p, len) < 0)
		rc = -errno;
	else
		rc = nfnl_answers(nl, bt->first + 1, bt->last, &lost);
	kept = nl;
	if (rc < 0)
		return sk_errorf(err, -rc, "element batch: %s", strerror(-rc));
	return 0;
}

/* ---- what a table holds --------------------------------------------------- */

void
nfset_names_free(struct nfset_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
names_add(struct nfset_names *l, const char *name)
{
	char **v = reallocarray(l->v, l->n + 1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	l->v = v;
	if ((v[l->n] = strdup(name)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

struct list_req {
	const char		*table;
	uint16_t		 tattr, nattr;	/* the answer's table and name */
	struct nfset_names	*out;
	int			 rc;
};

static int
list_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= NFTA_SET_MAX)	/* > NFTA_CHAIN_MAX's: both fit */
		tb[type] = a;
	return MNL_CB_OK;
}

/* One object of a dump: its name kept if it is of req's table (and, a
 * set, not anonymous). */
static int
list_one(const struct nlmsghdr *h, void *data)
{
	const struct nlattr *tb[NFTA_SET_MAX + 1] = { 0 };
	struct list_req *r = data;
	const char *t, *n;

	if (mnl_attr_parse(h, sizeof(struct nfgenmsg), list_attr, tb) < 0 ||
	    tb[r->tattr] == NULL || tb[r->nattr] == NULL ||
	    mnl_attr_validate(tb[r->tattr], MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_validate(tb[r->nattr], MNL_TYPE_NUL_STRING) < 0) {
		r->rc = -EPROTO;
		return MNL_CB_ERROR;
	}
	t = mnl_attr_get_str(tb[r->tattr]);
	n = mnl_attr_get_str(tb[r->nattr]);
	if (strcmp(t, r->table) != 0)
		return MNL_CB_OK;
	if (r->nattr == NFTA_SET_NAME && tb[NFTA_SET_FLAGS] != NULL &&
	    mnl_attr_get_payload_len(tb[NFTA_SET_FLAGS]) == 4 &&
	    (ntohl(mnl_attr_get_u32(tb[NFTA_SET_FLAGS])) & NFT_SET_ANONYMOUS))
		return MNL_CB_OK;
	if (r->nattr == NFTA_SET_NAME) {	/* "set NAME" or "map NAME" */
		char kn[NFT_SET_MAXNAMELEN + 4];
		int map = tb[NFTA_SET_FLAGS] != NULL &&
		    mnl_attr_get_payload_len(tb[NFTA_SET_FLAGS]) == 4 &&
		    (ntohl(mnl_attr_get_u32(tb[NFTA_SET_FLAGS])) & NFT_SET_MAP);

		snprintf(kn, sizeof(kn), "%s %s", map ? "map" : "set", n);
		r->rc = names_add(r->out, kn);
	} else
		r->rc = names_add(r->out, n);
	return r->rc < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* A dump's datagrams (a table's sets, a set's elements) fit in it. */
#define ANSWER_BUF	65536

/* One request (a dump with dump) and its answers: 0, or -errno. */
static int
list_ask(struct mnl_socket *nl, uint16_t type, int dump, uint16_t name_attr,
    const char *table, uint32_t seq, struct list_req *r)
{
	static char buf[ANSWER_BUF];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	uint32_t portid = mnl_socket_get_portid(nl);
	int rc;

	h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | type;
	h->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	h->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_strz(h, name_attr, table);
	if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t got = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		rc = mnl_cb_run(buf, (size_t)got, seq, portid, r != NULL ? list_one : NULL, r);
		if (rc == MNL_CB_ERROR)
			return r != NULL && r->rc < 0 ? r->rc : -errno;
	} while (rc == MNL_CB_OK && dump);
	return 0;
}

int
nfset_list(const char *table, struct nfset_names *chains, struct nfset_names *sets,
    struct sk_error *err)
{
	struct list_req rc_ = { table, NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, chains, 0 };
	struct list_req rs = { table, NFTA_SET_TABLE, NFTA_SET_NAME, sets, 0 };
	struct timeval tmo = { 2, 0 };
	struct mnl_socket *nl;
	uint32_t seq = (uint32_t)time(NULL);
	int rc;

	memset(chains, 0, sizeof(*chains));
	memset(sets, 0, sizeof(*sets));
	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return sk_errorf(err, errno, "table %s: netlink: %s", table, strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0)
		rc = -errno;
	else if ((rc = list_ask(nl, NFT_MSG_GETTABLE, 0, NFTA_TABLE_NAME, table, seq, NULL)) == -ENOENT)
		rc = 0;	/* no table */
	else if (rc == 0 &&
	    (rc = list_ask(nl, NFT_MSG_GETCHAIN, 1, NFTA_CHAIN_TABLE, table, seq + 1, &rc_)) == 0 &&
	    (rc = list_ask(nl, NFT_MSG_GETSET, 1, NFTA_SET_TABLE, table, seq + 2, &rs)) == 0)
		rc = 1;
	/* kept as a batch's socket is, not to wait for the kernel on close */
	nfset_settle();
	kept = nl;
	if (rc < 0) {
		nfset_names_free(chains);
		nfset_names_free(sets);
		return sk_errorf(err, -rc, "table %s: cannot list it: %s", table, strerror(-rc));
	}
	return rc;
}
