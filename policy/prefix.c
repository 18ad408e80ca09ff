/* Prefix lists of the policy parser: parsing IPv4 and IPv6 prefixes,
 * sorting a list and finding its overlaps in one pass, and binary searches
 * over the sorted, disjoint lists the parser leaves in struct policy. */
#include "policy/parse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- IPv6 arithmetic on network-order bytes ---- */

static void
mask6(struct in6_addr *a, unsigned int plen, int ones)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bits = plen > 8 * i ? plen - 8 * i : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

		a->s6_addr[i] = ones ? (uint8_t)(a->s6_addr[i] | ~m) :
		    (uint8_t)(a->s6_addr[i] & m);
	}
}

struct in6_addr
ps_first6(const struct in6_addr *a, unsigned int plen)
{
	struct in6_addr r = *a;

	mask6(&r, plen, 0);
	return r;
}

struct in6_addr
ps_last6(const struct in6_addr *a, unsigned int plen)
{
	struct in6_addr r = *a;

	mask6(&r, plen, 1);
	return r;
}

static int
cmp6(const struct in6_addr *a, const struct in6_addr *b)
{
	return memcmp(a->s6_addr, b->s6_addr, 16);
}

const char *
ps_fmt_prefix6(const struct in6_addr *a, unsigned int plen, char buf[PS_PREFIX6_LEN])
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, s, sizeof(s));
	snprintf(buf, PS_PREFIX6_LEN, "%s/%u", s, plen);
	return buf;
}

/* "ADDR/N" with N in 0..128; host bits are the caller's business. */
int
ps_parse_prefix6(const struct token *v, struct in6_addr *a, uint8_t *plen)
{
	const char *slash = memchr(v->s, '/', v->len);
	char buf[INET6_ADDRSTRLEN];
	size_t alen;
	uint64_t n;

	if (slash == NULL || (alen = (size_t)(slash - v->s)) >= sizeof(buf))
		return -1;
	memcpy(buf, v->s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return -1;
	if (ps_decimal(slash + 1, v->len - alen - 1, 0, 128, &n) != 0)
		return -1;
	*plen = (uint8_t)n;
	return 0;
}

/* ---- sorting and overlaps ---- */

static int
cmp4(const void *a, const void *b)
{
	const struct prefix4 *x = a, *y = b;
	uint32_t ax = ntohl(x->addr.s_addr), ay = ntohl(y->addr.s_addr);

	if (ax != ay)
		return ax < ay ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int
cmp6p(const void *a, const void *b)
{
	const struct prefix6 *x = a, *y = b;
	int c = cmp6(&x->addr, &y->addr);

	if (c != 0)
		return c;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Whether v is in cmp's order already (a total order: the line breaks
 * ties), as a policy written or generated in address order is: the sort
 * is then skipped, a tenth of parsing 10,000 prefixes. */
static int
sorted(const void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const char *p = v;

	for (size_t i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			return 0;
	return 1;
}

static unsigned int
later(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

static int
report(struct parser *ps, const char *x, unsigned int xl, uint8_t xp,
    const char *y, unsigned int yl, uint8_t yp)
{
	/* x is the one given later */
	if (xp == yp)
		return ps_perr(ps, xl, "duplicate prefix %s, first given on line %u",
		    x, yl);
	return ps_perr(ps, xl, "prefix %s overlaps prefix %s on line %u", x, y, yl);
}

/* Sorted by address then length, a prefix overlapping an earlier one lies
 * inside the one reaching furthest so far. Of the overlaps seen, reports
 * the one completed earliest in the file. */
int
ps_sort_check4(struct parser *ps, struct prefix4 *v, size_t n)
{
	const struct prefix4 *hold = NULL, *ba = NULL, *bb = NULL;
	char x[INET_ADDRSTRLEN + 3], y[INET_ADDRSTRLEN + 3];

	if (n == 0)
		return 0;
	if (!sorted(v, n, sizeof(*v), cmp4))
		qsort(v, n, sizeof(*v), cmp4);
	for (size_t i = 0; i < n; i++) {
		if (hold != NULL && ps_first_of(v[i].addr, v[i].plen) <=
		    ps_last_of(hold->addr, hold->plen)) {
			if (ba == NULL || later(hold->line, v[i].line) < later(ba->line, bb->line))
				ba = hold, bb = &v[i];
		} else
			hold = &v[i];
	}
	if (ba == NULL)
		return 0;
	if (ba->line > bb->line) {
		const struct prefix4 *t = ba;

		ba = bb, bb = t;
	}
	return report(ps, ps_fmt_prefix(bb->addr, bb->plen, x), bb->line, bb->plen,
	    ps_fmt_prefix(ba->addr, ba->plen, y), ba->line, ba->plen);
}

int
ps_sort_check6(struct parser *ps, struct prefix6 *v, size_t n)
{
	const struct prefix6 *hold = NULL, *ba = NULL, *bb = NULL;
	char x[PS_PREFIX6_LEN], y[PS_PREFIX6_LEN];

	if (n == 0)
		return 0;
	if (!sorted(v, n, sizeof(*v), cmp6p))
		qsort(v, n, sizeof(*v), cmp6p);
	for (size_t i = 0; i < n; i++) {
		struct in6_addr hl;

		if (hold != NULL && (hl = ps_last6(&hold->addr, hold->plen),
		    cmp6(&v[i].addr, &hl) <= 0)) {
			if (ba == NULL || later(hold->line, v[i].line) < later(ba->line, bb->line))
				ba = hold, bb = &v[i];
		} else
			hold = &v[i];
	}
	if (ba == NULL)
		return 0;
	if (ba->line > bb->line) {
		const struct prefix6 *t = ba;

		ba = bb, bb = t;
	}
	return report(ps, ps_fmt_prefix6(&bb->addr, bb->plen, x), bb->line, bb->plen,
	    ps_fmt_prefix6(&ba->addr, ba->plen, y), ba->line, ba->plen);
}

/* ---- lookups in sorted, disjoint lists ---- */

/* The prefix of v (sorted, disjoint) overlapping [first, last], or NULL. */
const struct prefix4 *
ps_overlap4(const struct prefix4 *v, size_t n, uint32_t first, uint32_t last)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ntohl(v[mid].addr.s_addr) <= last)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && ps_last_of(v[lo - 1].addr, v[lo - 1].plen) >= first)
		return &v[lo - 1];
	return NULL;
}

const struct prefix6 *
ps_overlap6(const struct prefix6 *v, size_t n, const struct in6_addr *first,
    const struct in6_addr *last)
{
	size_t lo = 0, hi = n, mid;
	struct in6_addr l;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp6(&v[mid].addr, last) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	l = ps_last6(&v[lo - 1].addr, v[lo - 1].plen);
	return cmp6(&l, first) >= 0 ? &v[lo - 1] : NULL;
}

/* Whether [first, last] lies entirely inside one prefix of v. */
int
ps_inside4(const struct prefix4 *v, size_t n, uint32_t first, uint32_t last)
{
	const struct prefix4 *pf = ps_overlap4(v, n, first, first);

	return pf != NULL && ps_last_of(pf->addr, pf->plen) >= last;
}

int
ps_inside6(const struct prefix6 *v, size_t n, const struct in6_addr *first,
    const struct in6_addr *last)
{
	const struct prefix6 *pf = ps_overlap6(v, n, first, first);
	struct in6_addr l;

	if (pf == NULL)
		return 0;
	l = ps_last6(&pf->addr, pf->plen);
	return cmp6(&l, last) >= 0;
}

int
policy_prefix_contains(const struct policy *p, struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return ps_overlap4(p->lgwan, p->n_lgwan, h, h) != NULL;
}

int
policy_prefix6_contains(const struct policy *p, const struct in6_addr *a)
{
	return ps_overlap6(p->lgwan6, p->n_lgwan6, a, a) != NULL;
}
