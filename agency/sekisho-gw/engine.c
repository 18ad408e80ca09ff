/* sekisho-gw's engine (engine.h): registry rows in, the interface's and
 * the ruleset's changes out. No system calls. */
#include "agency/sekisho-gw/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"

/* ---- actions ---- */

void
gw_actions_clear(struct gw_actions *a)
{
	a->n = 0;
	a->oom = 0;
}

void
gw_actions_free(struct gw_actions *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static struct gw_action *
act(struct gw_actions *a, enum gw_act_type type, const struct gw_dev *d)
{
	struct gw_action *x;

	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		struct gw_action *nv = realloc(a->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			a->oom = 1;
			return NULL;
		}
		a->v = nv;
		a->cap = ncap;
	}
	x = &a->v[a->n++];
	memset(x, 0, offsetof(struct gw_action, msg));	/* msg: only a LOG's */
	x->msg[0] = '\0';
	x->type = type;
	if (d != NULL) {
		memcpy(x->device, d->name, sizeof(x->device));
		memcpy(x->pub, d->pub, GW_KEY_LEN);
		x->a4 = d->a4;
		x->has6 = d->has6;
		x->a6 = d->a6;
		x->group = d->group;
		if (d->sess != NULL)
			memcpy(x->role, d->sess->role, sizeof(x->role));
	}
	return x;
}

static void __attribute__((format(printf, 2, 3)))
logf_(struct gw_actions *a, const char *fmt, ...)
{
	struct gw_action *x = act(a, GW_ACT_LOG, NULL);
	va_list ap;

	if (x == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
	va_end(ap);
}

/* A refused row's line, once per device and problem. */
static uint32_t
fnv(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void __attribute__((format(printf, 4, 5)))
skip_(struct gw_engine *e, struct gw_actions *a, const char *name, const char *fmt, ...)
{
	char msg[GW_LOG_MAX];
	va_list ap;
	uint32_t h;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h = fnv(msg);
	for (i = 0; i < e->n_refused; i++)
		if (strncmp(e->refused[i].name, name, GW_NAME_MAX) == 0)
			break;
	if (i < e->n_refused && e->refused[i].h == h)
		return;
	if (i == e->n_refused) {
		if (e->n_refused == e->cap_refused) {
			size_t ncap = e->cap_refused ? e->cap_refused * 2 : 16;
			struct gw_refused *nv = realloc(e->refused, ncap * sizeof(*nv));

			if (nv == NULL) {
				a->oom = 1;
				return;
			}
			e->refused = nv;
			e->cap_refused = ncap;
		}
		snprintf(e->refused[i].name, sizeof(e->refused[i].name), "%.64s", name);
		e->n_refused++;
	}
	e->refused[i].h = h;
	e->skipped++;
	logf_(a, "%s", msg);
}

/* name's row is good again (or gone): a new problem is said again. */
static void
unrefuse(struct gw_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n_refused; i++)
		if (strncmp(e->refused[i].name, name, GW_NAME_MAX) == 0) {
			e->refused[i] = e->refused[--e->n_refused];
			return;
		}
}

/* ---- set-up ---- */

static int
parse_pool4(const char *s, struct in_addr *a, uint8_t *plen)
{
	char buf[32], *slash;
	uint64_t n;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) == NULL)
		return -EINVAL;
	*slash++ = '\0';
	if (inet_pton(AF_INET, buf, a) != 1 || parse_u64(slash, 8, 30, &n) != 0)
		return -EINVAL;
	*plen = (uint8_t)n;
	if (ntohl(a->s_addr) & ~(0xffffffffU << (32 - n)))
		return -EINVAL;		/* host bits set */
	return 0;
}

static int
parse_pool6(const char *s, struct in6_addr *a, uint8_t *plen)
{
	char buf[64], *slash;
	uint64_t n;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) == NULL)
		return -EINVAL;
	*slash++ = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1 || parse_u64(slash, 8, 126, &n) != 0)
		return -EINVAL;
	*plen = (uint8_t)n;
	return 0;
}

int
gw_engine_init(struct gw_engine *e, const char *pool4, const char *pool6,
    struct sk_error *err)
{
	memset(e, 0, sizeof(*e));
	if (parse_pool4(pool4, &e->pool, &e->pool_plen) != 0)
		return sk_errorf(err, EINVAL, "registry: pool4 '%s' is not an IPv4 network A.B.C.D/8..30",
		    pool4 ? pool4 : "(unset)");
	if (pool6 != NULL && pool6[0] != '\0') {
		if (parse_pool6(pool6, &e->pool6, &e->pool6_plen) != 0)
			return sk_errorf(err, EINVAL, "registry: pool6 '%s' is not an IPv6 network", pool6);
		e->has_pool6 = 1;
	}
	return 0;
}

void
gw_engine_free(struct gw_engine *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->devs[i].sess);
	free(e->devs);
	free(e->seen);
	free(e->refused);
	memset(e, 0, sizeof(*e));
}

int
gw_engine_set_groups(struct gw_engine *e, const char *const *names, const int *nums, size_t n)
{
	if (n > GW_MAX_GROUPS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i]) > GW_NAME_MAX)
			return -EINVAL;
		memcpy(e->groups[i], names[i], strlen(names[i]) + 1);
		e->group_num[i] = nums[i];
	}
	e->n_groups = n;
	return 0;
}

int
gw_engine_set_roles(struct gw_engine *e, const char *const *names, size_t n)
{
	if (n > GW_MAX_ROLES)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) > GW_ROLE_MAX)
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		memcpy(e->roles[i], names[i], strlen(names[i]) + 1);
	e->n_roles = n;
	return 0;
}

static int
cmp_seen(const void *a, const void *b)
{
	return memcmp(((const struct gw_seen *)a)->pub, ((const struct gw_seen *)b)->pub,
	    GW_KEY_LEN);
}

/* The interface's peer with pub, or NULL (e->seen is sorted by key). */
static struct gw_seen *
seen_find(const struct gw_engine *e, const uint8_t pub[GW_KEY_LEN])
{
	struct gw_seen key;

	if (e->n_seen == 0)
		return NULL;
	memcpy(key.pub, pub, GW_KEY_LEN);
	return bsearch(&key, e->seen, e->n_seen, sizeof(key), cmp_seen);
}

int
gw_engine_adopt(struct gw_engine *e, const struct gw_seen *seen, size_t n)
{
	free(e->seen);
	e->seen = NULL;
	e->n_seen = 0;
	if (n == 0)
		return 0;
	if ((e->seen = malloc(n * sizeof(*seen))) == NULL)
		return -ENOMEM;
	memcpy(e->seen, seen, n * sizeof(*seen));
	/* sorted, so that a start with 50,000 peers compares in n log n */
	qsort(e->seen, n, sizeof(*seen), cmp_seen);
	e->n_seen = n;
	return 0;
}

/* ---- one row ---- */

static int
why_(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int
why_(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
in_pool4(const struct gw_engine *e, struct in_addr a)
{
	uint32_t mask = 0xffffffffU << (32 - e->pool_plen), h = ntohl(a.s_addr);
	uint32_t net = ntohl(e->pool.s_addr);

	return (h & mask) == net && h != net && h != net + 1 && h != (net | ~mask);
}

static int
in_pool6(const struct gw_engine *e, const struct in6_addr *a)
{
	unsigned int bits = e->pool6_plen;

	for (unsigned int i = 0; i < 16 && bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((a->s6_addr[i] & m) != (e->pool6.s6_addr[i] & m))
			return 0;
	}
	return 1;
}

static int
group_of(const struct gw_engine *e, const char *grp)
{
	for (size_t i = 0; i < e->n_groups; i++)
		if (strcmp(e->groups[i], grp) == 0)
			return e->group_num[i];
	return 0;
}

static int
name_ok(const char *s)
{
	size_t n = strnlen(s, GW_NAME_MAX + 1);

	if (n == 0 || n > GW_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

int
gw_row_check(const struct gw_engine *e, const struct gw_row *r, struct gw_dev *d,
    char *why, size_t whylen)
{
	char a[64], *slash;
	size_t kl;

	memset(d, 0, sizeof(*d));
	if (!name_ok(r->name))
		return why_(why, whylen, "name: empty, too long or a control character");
	memcpy(d->name, r->name, strlen(r->name) + 1);
	if (strcmp(r->state, "active") != 0 && strcmp(r->state, "revoked") != 0)
		return why_(why, whylen, "state: '%.16s' is neither active nor revoked", r->state);
	if (strcmp(r->state, "revoked") == 0)
		return 0;	/* nothing else of it is used */
	if ((d->group = group_of(e, r->grp)) == 0)
		return why_(why, whylen, "group: '%.64s' has no template that renders", r->grp);
	kl = strnlen(r->pubkey, sizeof(r->pubkey));
	if (kl == 0)
		return why_(why, whylen, "pubkey: none yet (exported without a key)");
	if (kl != KEY_B64_LEN - 1 || key_from_b64(d->pub, r->pubkey) != 0 || key_is_zero(d->pub))
		return why_(why, whylen, "pubkey: not a WireGuard key (44 characters of base64)");
	if (strnlen(r->addr4, sizeof(r->addr4)) >= sizeof(a))
		return why_(why, whylen, "addr4: too long");
	memcpy(a, r->addr4, strnlen(r->addr4, sizeof(r->addr4)));
	a[strnlen(r->addr4, sizeof(r->addr4))] = '\0';
	if ((slash = strchr(a, '/')) != NULL) {
		if (strcmp(slash, "/32") != 0)
			return why_(why, whylen, "addr4: '%.31s' is not one address (/32)", r->addr4);
		*slash = '\0';
	}
	if (inet_pton(AF_INET, a, &d->a4) != 1)
		return why_(why, whylen, "addr4: '%.31s' is not an IPv4 address", r->addr4);
	if (!in_pool4(e, d->a4))
		return why_(why, whylen, "addr4: %s is outside the pool (or its network, gateway or broadcast address)", a);
	if (r->addr6[0] != '\0') {
		size_t l6 = strnlen(r->addr6, sizeof(r->addr6));

		if (l6 >= sizeof(a))
			return why_(why, whylen, "addr6: too long");
		memcpy(a, r->addr6, l6);
		a[l6] = '\0';
		if ((slash = strchr(a, '/')) != NULL) {
			if (strcmp(slash, "/128") != 0)
				return why_(why, whylen, "addr6: '%.63s' is not one address (/128)", r->addr6);
			*slash = '\0';
		}
		if (inet_pton(AF_INET6, a, &d->a6) != 1)
			return why_(why, whylen, "addr6: '%.63s' is not an IPv6 address", r->addr6);
		if (!e->has_pool6 || !in_pool6(e, &d->a6))
			return why_(why, whylen, "addr6: %s is outside the pool", a);
		d->has6 = 1;
	}
	return 0;
}

/* ---- the admitted devices ---- */

static size_t
find_idx(const struct gw_engine *e, const char *name, int *found)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e->devs[mid].name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

const struct gw_dev *
gw_engine_find(const struct gw_engine *e, const char *name)
{
	int found;
	size_t i = find_idx(e, name, &found);

	return found ? &e->devs[i] : NULL;
}

static int
insert_at(struct gw_engine *e, size_t i, const struct gw_dev *d)
{
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 256;
		struct gw_dev *nv = realloc(e->devs, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		e->devs = nv;
		e->cap = ncap;
	}
	memmove(&e->devs[i + 1], &e->devs[i], (e->n - i) * sizeof(*d));
	e->devs[i] = *d;
	e->n++;
	return 0;
}

static void
remove_at(struct gw_engine *e, size_t i)
{
	memmove(&e->devs[i], &e->devs[i + 1], (e->n - i - 1) * sizeof(e->devs[0]));
	e->n--;
}

/* Another admitted device than name with the key or an address of d. */
static const struct gw_dev *
clash(const struct gw_engine *e, const struct gw_dev *d, const char **what)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct gw_dev *o = &e->devs[i];

		if (strcmp(o->name, d->name) == 0)
			continue;
		if (memcmp(o->pub, d->pub, GW_KEY_LEN) == 0) {
			*what = "pubkey";
			return o;
		}
		if (o->a4.s_addr == d->a4.s_addr) {
			*what = "addr4";
			return o;
		}
		if (d->has6 && o->has6 && memcmp(&o->a6, &d->a6, sizeof(d->a6)) == 0) {
			*what = "addr6";
			return o;
		}
	}
	return NULL;
}

static int
session_live(const struct gw_dev *d, int64_t now)
{
	return gw_dev_expires(d) > now;
}

/* d has no session any more (its memory given back) */
static void
session_drop(struct gw_dev *d)
{
	free(d->sess);
	d->sess = NULL;
}

/* Everything of d goes: stage, group element, peer, connections. */
static void
emit_remove(struct gw_dev *d, int64_t now, struct gw_actions *out)
{
	if (session_live(d, now))
		act(out, GW_ACT_STAGE_DEL, d);
	act(out, GW_ACT_ELEM_DEL, d);
	act(out, GW_ACT_PEER_DEL, d);
	act(out, GW_ACT_CT_FLUSH, d);
	session_drop(d);
	d->stage_until = 0;
}

/* The peer of d is needed unless the interface showed it as it is. A
 * peer the interface had at another tunnel address: that address's
 * tracked connections go (they are the laptop's at its old address). */
static void
emit_peer(struct gw_engine *e, const struct gw_dev *d, struct gw_actions *out)
{
	const struct gw_seen *s = seen_find(e, d->pub);
	struct gw_action *x;

	if (s != NULL && !s->other && s->a4.s_addr == d->a4.s_addr && s->has6 == d->has6 &&
	    (!d->has6 || memcmp(&s->a6, &d->a6, sizeof(d->a6)) == 0))
		return;		/* unchanged: its session goes on */
	act(out, GW_ACT_PEER_SET, d);
	if (s != NULL && s->a4.s_addr != 0 && s->a4.s_addr != d->a4.s_addr &&
	    (x = act(out, GW_ACT_CT_FLUSH, d)) != NULL)
		x->a4 = s->a4;
}

static void
emit_admit(struct gw_engine *e, const struct gw_dev *d, struct gw_actions *out)
{
	emit_peer(e, d, out);
	act(out, GW_ACT_ELEM_ADD, d);
}

/* cur (admitted) becomes nd (checked, active): only what differs. */
static void
emit_change(struct gw_engine *e, struct gw_dev *cur, const struct gw_dev *nd, int64_t now,
    struct gw_actions *out)
{
	int newkey = memcmp(cur->pub, nd->pub, GW_KEY_LEN) != 0;
	int newaddr = cur->a4.s_addr != nd->a4.s_addr || cur->has6 != nd->has6 ||
	    (nd->has6 && memcmp(&cur->a6, &nd->a6, sizeof(nd->a6)) != 0);
	int newgroup = cur->group != nd->group;

	if (!newkey && !newaddr && !newgroup)
		return;
	if (newkey || newaddr) {
		/* another laptop, or the same at another address: nothing of
		 * the old one's access stays */
		if (session_live(cur, now))
			act(out, GW_ACT_STAGE_DEL, cur);
		act(out, GW_ACT_ELEM_DEL, cur);
		act(out, GW_ACT_PEER_DEL, cur);
		act(out, GW_ACT_CT_FLUSH, cur);
		logf_(out, "device %s: new %s: admitted again at stage 1", nd->name,
		    newkey ? "key" : "address");
		session_drop(cur);
		cur->stage_until = 0;
		act(out, GW_ACT_PEER_SET, nd);
		act(out, GW_ACT_ELEM_ADD, nd);
	} else {
		act(out, GW_ACT_ELEM_DEL, cur);
		act(out, GW_ACT_ELEM_ADD, nd);
		logf_(out, "device %s: moved to group %d", nd->name, nd->group);
	}
	{
		struct gw_session *s = cur->sess;
		int64_t until = cur->stage_until;

		*cur = *nd;
		cur->sess = s;
		cur->stage_until = until;
	}
	(void)e;
}

int
gw_engine_device(struct gw_engine *e, const char *name, const struct gw_row *row,
    int64_t now, struct gw_actions *out)
{
	struct gw_dev nd;
	const struct gw_dev *o;
	const char *what;
	char why[GW_LOG_MAX - GW_NAME_MAX - 32];
	int found;
	size_t i = find_idx(e, name, &found);

	if (row == NULL || (gw_row_check(e, row, &nd, why, sizeof(why)) == 0 &&
	    strcmp(row->state, "revoked") == 0)) {
		unrefuse(e, name);
		if (found) {
			emit_remove(&e->devs[i], now, out);
			logf_(out, "device %s: %s: peer, stages and connections removed", name,
			    row == NULL ? "gone from the registry" : "revoked");
			remove_at(e, i);
		}
		return out->oom ? -ENOMEM : 0;
	}
	if (gw_row_check(e, row, &nd, why, sizeof(why)) != 0) {
		skip_(e, out, name, "device %.64s: registry row skipped: %s%s", name, why,
		    found ? " (its last good state stays)" : "");
		return out->oom ? -ENOMEM : 0;
	}
	if ((o = clash(e, &nd, &what)) != NULL) {
		skip_(e, out, name, "device %s: registry row skipped: %s: the same as device %s's%s",
		    name, what, o->name, found ? " (its last good state stays)" : "");
		return out->oom ? -ENOMEM : 0;
	}
	unrefuse(e, name);
	if (found) {
		emit_change(e, &e->devs[i], &nd, now, out);
		return out->oom ? -ENOMEM : 0;
	}
	if (insert_at(e, i, &nd) != 0)
		return -ENOMEM;
	emit_admit(e, &nd, out);
	return out->oom ? -ENOMEM : 0;
}

/* ---- the whole registry ---- */

struct cand {
	struct gw_dev	d;
	int		ok;		/* 1 active and checked, 0 revoked, -1 refused */
	int		was;		/* admitted now, index + 1 */
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct cand *)a)->d.name, ((const struct cand *)b)->d.name);
}

static const struct cand *sort_base;
static int
cmp_key(const void *a, const void *b)
{
	const struct cand *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
	int c = memcmp(x->d.pub, y->d.pub, GW_KEY_LEN);

	if (c != 0)
		return c;
	if ((x->was != 0) != (y->was != 0))
		return x->was ? -1 : 1;		/* the one admitted first wins */
	return strcmp(x->d.name, y->d.name);
}
static int
cmp_a4(const void *a, const void *b)
{
	const struct cand *x = &sort_base[*(const size_t *)a], *y = &sort_base[*(const size_t *)b];
	uint32_t p = ntohl(x->d.a4.s_addr), q = ntohl(y->d.a4.s_addr);

	if (p != q)
		return p < q ? -1 : 1;
	if ((x->was != 0) != (y->was != 0))
		return x->was ? -1 : 1;
	return strcmp(x->d.name, y->d.name);
}

/* Of the candidates sharing a key (or an address), the first in cmp's
 * order stays; the others are refused with one line. */
static int
refuse_dups(struct cand *c, size_t n, int (*cmp)(const void *, const void *),
    const char *what, struct gw_engine *e, struct gw_actions *out)
{
	size_t *ix, m = 0;

	if ((ix = malloc((n ? n : 1) * sizeof(*ix))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (c[i].ok == 1)
			ix[m++] = i;
	sort_base = c;
	qsort(ix, m, sizeof(*ix), cmp);
	for (size_t i = 1, last = 0; i < m; i++) {
		const struct cand *a = &c[ix[last]], *b = &c[ix[i]];
		int same = cmp == cmp_key ? memcmp(a->d.pub, b->d.pub, GW_KEY_LEN) == 0 :
		    a->d.a4.s_addr == b->d.a4.s_addr;

		if (!same) {
			last = i;
			continue;
		}
		c[ix[i]].ok = -1;
		skip_(e, out, b->d.name, "device %s: registry row skipped: %s: the same as device %s's%s",
		    b->d.name, what, a->d.name, b->was ? " (its last good state stays)" : "");
	}
	free(ix);
	return 0;
}

int
gw_engine_sync(struct gw_engine *e, const struct gw_row *rows, size_t n, int64_t now,
    struct gw_actions *out)
{
	struct cand *c;
	struct gw_dev *nd;
	size_t nn = 0, i, j;
	char why[GW_LOG_MAX - GW_NAME_MAX - 32];

	if ((c = calloc(n ? n : 1, sizeof(*c))) == NULL)
		return -ENOMEM;
	/* a start admits every row: a peer and an element each (an array
	 * grown by doubling copies megabytes of actions) */
	if (out->cap < out->n + 2 * n + 8) {
		struct gw_action *nv = realloc(out->v, (out->n + 2 * n + 8) * sizeof(*nv));

		if (nv == NULL) {
			free(c);
			return -ENOMEM;
		}
		out->v = nv;
		out->cap = out->n + 2 * n + 8;
	}
	for (i = 0; i < n; i++) {
		int found;
		size_t k;

		if (gw_row_check(e, &rows[i], &c[i].d, why, sizeof(why)) != 0) {
			c[i].ok = -1;
			snprintf(c[i].d.name, sizeof(c[i].d.name), "%.64s", rows[i].name);
			find_idx(e, c[i].d.name, &found);
			skip_(e, out, rows[i].name, "device %.64s: registry row skipped: %s%s",
			    rows[i].name, why, found ? " (its last good state stays)" : "");
		} else
			c[i].ok = strcmp(rows[i].state, "active") == 0;
		k = find_idx(e, c[i].d.name, &found);
		c[i].was = found ? (int)k + 1 : 0;
	}
	if (refuse_dups(c, n, cmp_key, "pubkey", e, out) != 0 ||
	    refuse_dups(c, n, cmp_a4, "addr4", e, out) != 0) {
		free(c);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (c[i].ok != -1)
			unrefuse(e, c[i].d.name);
	/* the registry gives its rows in name order (ORDER BY name): then
	 * they are not sorted again (glibc's merge sort copies every one of
	 * 5,000 candidates of 300 bytes at each of its 13 levels) */
	for (i = 1; i < n && strcmp(c[i - 1].d.name, c[i].d.name) <= 0; i++)
		;
	if (i < n)
		qsort(c, n, sizeof(*c), cmp_name);
	/* the new list: checked active rows, and refused ones' last good state */
	if ((nd = malloc((n + e->n + 1) * sizeof(*nd))) == NULL) {
		free(c);
		return -ENOMEM;
	}
	/* removals first (they free keys and addresses), in name order */
	for (i = 0, j = 0; i < e->n; i++) {
		while (j < n && strcmp(c[j].d.name, e->devs[i].name) < 0)
			j++;
		if (j < n && strcmp(c[j].d.name, e->devs[i].name) == 0 && c[j].ok != 0)
			continue;
		emit_remove(&e->devs[i], now, out);
		logf_(out, "device %s: %s: peer, stages and connections removed", e->devs[i].name,
		    j < n && strcmp(c[j].d.name, e->devs[i].name) == 0 ? "revoked" :
		    "gone from the registry");
	}
	for (i = 0, j = 0; j < n; j++) {
		struct gw_dev *cur;

		if (j > 0 && strcmp(c[j].d.name, c[j - 1].d.name) == 0)
			continue;	/* a name twice: the first row */
		while (i < e->n && strcmp(e->devs[i].name, c[j].d.name) < 0)
			i++;
		cur = i < e->n && strcmp(e->devs[i].name, c[j].d.name) == 0 ? &e->devs[i] : NULL;
		if (c[j].ok == 0)
			continue;
		if (c[j].ok == -1) {
			if (cur != NULL)
				nd[nn++] = *cur;
			continue;
		}
		if (cur != NULL) {
			emit_change(e, cur, &c[j].d, now, out);
			nd[nn++] = *cur;
		} else {
			emit_admit(e, &c[j].d, out);
			nd[nn++] = c[j].d;
		}
	}
	/* the interface's peers that no admitted device has: removed, with
	 * their tunnel address's tracked connections (a device revoked or
	 * gone while nobody followed the registry: the gateway stopped, or
	 * its place in the change log pruned) */
	if (e->n_seen > 0) {
		unsigned char *used = calloc(e->n_seen, 1);

		if (used == NULL) {
			free(nd);
			free(c);
			return -ENOMEM;
		}
		for (j = 0; j < nn; j++) {
			const struct gw_seen *sp = seen_find(e, nd[j].pub);

			if (sp != NULL)
				used[sp - e->seen] = 1;
		}
		for (i = 0; i < e->n_seen; i++) {
			struct gw_action *x;

			if (used[i] || (x = act(out, GW_ACT_PEER_DEL, NULL)) == NULL)
				continue;
			memcpy(x->pub, e->seen[i].pub, GW_KEY_LEN);
			if (e->seen[i].a4.s_addr != 0 &&
			    (x = act(out, GW_ACT_CT_FLUSH, NULL)) != NULL)
				x->a4 = e->seen[i].a4;
		}
		free(used);
	}
	free(e->seen);
	e->seen = NULL;
	e->n_seen = 0;
	free(e->devs);
	e->cap = n + e->n + 1;
	e->devs = nd;
	e->n = nn;
	e->synced = 1;
	free(c);
	return out->oom ? -ENOMEM : 0;
}

/* ---- sessions ---- */

static int
token_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

/* The role set a user of role goes in: role if the ruleset has one. */
static const char *
role_set(const struct gw_engine *e, const char *role)
{
	for (size_t i = 0; role != NULL && role[0] != '\0' && i < e->n_roles; i++)
		if (strcmp(e->roles[i], role) == 0)
			return e->roles[i];
	return "";
}

int
gw_engine_session_open(struct gw_engine *e, const char *device, const char *staff,
    const char *role, const char *factor, int64_t opened, int64_t expires, int64_t now,
    struct gw_actions *out)
{
	int found, handover;
	size_t i = find_idx(e, device, &found);
	struct gw_dev *d;
	struct gw_action *x;
	const char *rs = role_set(e, role);
	char from[GW_NAME_MAX + 1];

	if (!found)
		return -ENOENT;
	if (expires <= now || expires - now > GW_SESSION_MAX_S || !token_ok(staff, GW_NAME_MAX) ||
	    !token_ok(factor, GW_FACTOR_MAX))
		return -EINVAL;
	d = &e->devs[i];
	if (d->sess != NULL && d->sess->expires == expires && strcmp(d->sess->staff, staff) == 0 &&
	    strcmp(d->sess->factor, factor) == 0 && strcmp(d->sess->role, rs) == 0)
		return 0;	/* already so (the feed repeating our own change) */
	if (d->sess == NULL && (d->sess = calloc(1, sizeof(*d->sess))) == NULL)
		return -ENOMEM;
	handover = d->sess->expires > now && strcmp(d->sess->staff, staff) != 0;
	snprintf(from, sizeof(from), "%s", d->sess->staff);
	if ((x = act(out, GW_ACT_STAGE_ADD, d)) == NULL)
		return -ENOMEM;
	x->timeout_s = expires - now;
	/* the kernel may still hold the last element (its own clock): it
	 * goes first, or the new timeout would not be taken; with it, the
	 * last user's role element, in the same transaction */
	x->replace = d->stage_until + 2 > now;
	if (x->replace)
		memcpy(x->old_role, d->sess->role, sizeof(x->old_role));
	snprintf(x->role, sizeof(x->role), "%s", rs);
	d->stage_until = expires;
	snprintf(d->sess->staff, sizeof(d->sess->staff), "%s", staff);
	snprintf(d->sess->factor, sizeof(d->sess->factor), "%s", factor);
	snprintf(d->sess->role, sizeof(d->sess->role), "%s", rs);
	d->sess->opened = opened;
	d->sess->expires = expires;
	if (handover)
		logf_(out, "device %s: session handed over from %s to %s (%s%s%s) for %llds:"
		    " stage 2", d->name, from, staff, factor, rs[0] ? ", role " : "", rs,
		    (long long)(expires - now));
	else
		logf_(out, "device %s: session of %s (%s%s%s) opened for %llds: stage 2",
		    d->name, staff, factor, rs[0] ? ", role " : "", rs,
		    (long long)(expires - now));
	return out->oom ? -ENOMEM : 0;
}

int
gw_engine_session_move(struct gw_engine *e, const char *device, const char *from_staff,
    const char *to_staff, const char *role, const char *factor, int64_t opened,
    int64_t expires, int64_t now, struct gw_actions *out)
{
	const struct gw_dev *d = gw_engine_find(e, device);

	if (d == NULL)
		return -ENOENT;
	if (gw_dev_expires(d) <= now || strcmp(d->sess->staff, from_staff) != 0)
		return -ESRCH;
	return gw_engine_session_open(e, device, to_staff, role, factor, opened, expires,
	    now, out);
}

int
gw_engine_session_close(struct gw_engine *e, const char *device, const char *why,
    struct gw_actions *out)
{
	int found;
	size_t i = find_idx(e, device, &found);
	struct gw_dev *d;

	if (!found || gw_dev_expires(&e->devs[i]) == 0)
		return -ENOENT;
	d = &e->devs[i];
	act(out, GW_ACT_STAGE_DEL, d);
	logf_(out, "device %s: session of %s closed (%s): stage 1", d->name, d->sess->staff,
	    why != NULL && why[0] ? why : "closed");
	session_drop(d);
	d->stage_until = 0;
	return out->oom ? -ENOMEM : 0;
}

int64_t
gw_engine_tick(struct gw_engine *e, int64_t now, struct gw_actions *out)
{
	int64_t next = 0;

	for (size_t i = 0; i < e->n; i++) {
		struct gw_dev *d = &e->devs[i];

		if (gw_dev_expires(d) == 0)
			continue;
		if (d->sess->expires <= now) {
			logf_(out, "device %s: session of %s expired: stage 1", d->name,
			    d->sess->staff);
			session_drop(d);
		} else if (next == 0 || d->sess->expires < next)
			next = d->sess->expires;
	}
	return next;
}
