/*
 * The services of one mode, so that work's every packet costs the same
 * whatever the number of services and prefixes: an interval map gives the
 * destination its class (what may reach it), and three sets decide.
 *
 *   map svc_class     10.64.10.0/28 : 0x000205e1, ...   (class 2, path mark)
 *   set svc_all       classes open to every protocol
 *   set svc_icmp      classes open to ICMP echo (svc_icmp6 for IPv6)
 *   set svc_ports     class . protocol . port
 *
 * Services overlap freely (a service to a /28 inside another's /16), and a
 * map's intervals may not, so the map is built by a sweep over the
 * destinations: every elementary address range between two prefix
 * boundaries gets the class of the union of what the services covering it
 * allow. Equal classes are one class and neighbouring ranges of one class
 * one element, so a set shared by ten services costs one class and one
 * element per prefix, not ten times its ports. The rules are in
 * fw_svc_rules().
 */
#include "policy/render/fw_svc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/render/mode.h"
#include "policy/policy.h"

/* An address of either family as 128 bits (IPv4 in the low 32). */
struct u128 {
	uint64_t hi, lo;
};

struct iv {				/* [a, b], inclusive */
	struct u128 a, b;
};

struct ev {
	struct u128 at;			/* a start, or one past an end */
	int delta;			/* +1 start, -1 end */
	size_t set;
};

static int
cmp128(const struct u128 *x, const struct u128 *y)
{
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct u128
inc128(struct u128 x)
{
	if (++x.lo == 0)
		x.hi++;
	return x;
}

static struct u128
dec128(struct u128 x)
{
	if (x.lo-- == 0)
		x.hi--;
	return x;
}

static int
is_max(const struct u128 *x, int v6)
{
	return v6 ? x->hi == UINT64_MAX && x->lo == UINT64_MAX : x->lo == UINT32_MAX;
}

static struct u128
from6(const struct in6_addr *a)
{
	struct u128 r = { 0, 0 };

	for (int i = 0; i < 8; i++) {
		r.hi = r.hi << 8 | a->s6_addr[i];
		r.lo = r.lo << 8 | a->s6_addr[8 + i];
	}
	return r;
}

static const char *
fmt(const struct u128 *x, int v6, char buf[INET6_ADDRSTRLEN])
{
	if (!v6) {
		struct in_addr a = { htonl((uint32_t)x->lo) };

		return inet_ntop(AF_INET, &a, buf, INET6_ADDRSTRLEN);
	}
	struct in6_addr a;

	for (int i = 0; i < 8; i++) {
		a.s6_addr[i] = (uint8_t)(x->hi >> (56 - 8 * i));
		a.s6_addr[8 + i] = (uint8_t)(x->lo >> (56 - 8 * i));
	}
	return inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

/* ---- a growable array of intervals or events ---- */

struct vec {
	void *v;
	size_t n, cap, size;
	int oom;
};

static void *
vec_push(struct vec *x)
{
	if (x->oom)
		return NULL;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		void *nv = reallocarray(x->v, cap, x->size);

		if (nv == NULL) {
			x->oom = 1;
			return NULL;
		}
		x->v = nv;
		x->cap = cap;
	}
	return (char *)x->v + x->n++ * x->size;
}

/* The prefixes of set k in one family, as intervals, each passed to fn. */
static void
each_dest(const struct policy *pol, size_t k, int v6,
    void (*fn)(const struct iv *, size_t, void *), void *arg)
{
	const struct policy_set *s = &pol->sets[k];
	struct iv iv;

	for (size_t i = 0; !v6 && i < s->n4; i++) {
		uint32_t a = ntohl(s->v4[i].addr.s_addr);
		uint32_t m = s->v4[i].plen ? ~UINT32_C(0) << (32 - s->v4[i].plen) : 0;

		iv.a = (struct u128){ 0, a };
		iv.b = (struct u128){ 0, a | ~m };
		fn(&iv, k, arg);
	}
	for (size_t i = 0; v6 && i < s->n6; i++) {
		struct in6_addr last = s->v6[i].addr;
		unsigned int plen = s->v6[i].plen;

		for (unsigned int bit = plen; bit < 128; bit++)
			last.s6_addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		iv.a = from6(&s->v6[i].addr);
		iv.b = from6(&last);
		fn(&iv, k, arg);
	}
}

struct evs {
	struct vec x;
	int v6;
};

/* A start, and an end one past the interval unless it reaches the top of
 * the space (then it never ends). */
static void
push_ev(const struct iv *iv, size_t svc, void *arg)
{
	struct evs *es = arg;
	struct ev *e;

	if ((e = vec_push(&es->x)) != NULL)
		*e = (struct ev){ iv->a, +1, svc };
	if (!is_max(&iv->b, es->v6) && (e = vec_push(&es->x)) != NULL)
		*e = (struct ev){ inc128(iv->b), -1, svc };
}

static int
cmp_ev(const void *x, const void *y)
{
	return cmp128(&((const struct ev *)x)->at, &((const struct ev *)y)->at);
}

/* The prefix length if [a, b] is exactly one aligned block, else -1. */
static int
block_len(const struct iv *iv, int v6)
{
	struct u128 x = { iv->a.hi ^ iv->b.hi, iv->a.lo ^ iv->b.lo };
	int ones = 0;

	/* x must be 0...01...1 and a must have none of those bits set */
	if ((iv->a.hi & x.hi) != 0 || (iv->a.lo & x.lo) != 0)
		return -1;
	if (x.hi != 0 && x.lo != UINT64_MAX)
		return -1;
	if ((x.hi & (x.hi + 1)) != 0 || (x.lo & (x.lo + 1)) != 0)
		return -1;
	ones = __builtin_popcountll(x.hi) + __builtin_popcountll(x.lo);
	return (v6 ? 128 : 32) - ones;
}

static void
print_iv(struct buf *o, const struct iv *iv, int v6)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = block_len(iv, v6);

	if (plen == (v6 ? 128 : 32))
		buf_printf(o, "%s", fmt(&iv->a, v6, a));
	else if (plen >= 0)
		buf_printf(o, "%s/%d", fmt(&iv->a, v6, a), plen);
	else
		buf_printf(o, "%s-%s", fmt(&iv->a, v6, a), fmt(&iv->b, v6, b));
}

/* ---- the sweep ---- */

struct strtab {				/* distinct strings, numbered from 0 */
	char **str;
	size_t n, cap;
	size_t *slot;			/* hash table of their indices + 1 */
	size_t nslot;
};

/* The distinct classes (what a destination range allows) of both
 * families, numbered from 1, and the elements of the sets they make. */
struct classes {
	struct strtab key;
	struct buf ports, all, icmp, icmp6;
};

struct sweep {
	const struct fw_params *p;
	int v6;
	size_t *count;			/* per service: its sets covering here */
	size_t *act, *pos, n_act;	/* the services with count > 0, unordered */
	size_t *users, *first;		/* the services naming set k: users[first[k] .. first[k + 1]) */
	struct buf *map;		/* the map's elements */
	struct classes *cl;		/* shared by both families */
	struct port_range *ports;
	size_t cap_ports;
	size_t last_class;		/* of the element before, SIZE_MAX: none */
	struct iv last_iv;
	int oom;
};

static int
cmp_pr(const void *x, const void *y)
{
	const struct port_range *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* The union of one protocol's ports over the services active here, as
 * "{ 80, 443-445 }" into o; 0 if none. */
static int
port_union(struct sweep *sw, int udp, struct buf *o)
{
	const struct policy *pol = sw->p->pol;
	size_t n = 0, k = 0;

	for (size_t a = 0; a < sw->n_act; a++) {
		size_t i = sw->act[a];
		const struct policy_ports *pp;

		pp = udp ? &pol->services[i].udp : &pol->services[i].tcp;
		if (n + pp->n > sw->cap_ports) {
			size_t c = 2 * (n + pp->n);
			struct port_range *nb = reallocarray(sw->ports, c, sizeof(*nb));

			if (nb == NULL) {
				sw->oom = 1;
				return 0;
			}
			sw->ports = nb;
			sw->cap_ports = c;
		}
		if (pp->n > 0)
			memcpy(sw->ports + n, pp->r, pp->n * sizeof(*pp->r));
		n += pp->n;
	}
	if (n == 0)
		return 0;
	qsort(sw->ports, n, sizeof(*sw->ports), cmp_pr);
	for (size_t i = 1; i < n; i++) {
		if (sw->ports[i].lo <= (unsigned)sw->ports[k].hi + 1) {
			if (sw->ports[i].hi > sw->ports[k].hi)
				sw->ports[k].hi = sw->ports[i].hi;
		} else
			sw->ports[++k] = sw->ports[i];
	}
	for (size_t i = 0; i <= k; i++) {
		buf_printf(o, "%s%u", i ? ", " : "", sw->ports[i].lo);
		if (sw->ports[i].hi != sw->ports[i].lo)
			buf_printf(o, "-%u", sw->ports[i].hi);
	}
	return 1;
}

static void
strtab_free(struct strtab *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->str[i]);
	free(ch->str);
	free(ch->slot);
}

static uint64_t
hash(const char *t)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *t != '\0'; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ULL;
	return h;
}

/* Room for one more string, the hash table kept at most half full. */
static int
strtab_grow(struct strtab *ch)
{
	if (ch->n == ch->cap) {
		size_t c = ch->cap ? 2 * ch->cap : 16;
		char **nb = reallocarray(ch->str, c, sizeof(*nb));

		if (nb == NULL)
			return -1;
		ch->str = nb;
		ch->cap = c;
	}
	if (2 * (ch->n + 1) > ch->nslot) {
		size_t ns = ch->nslot ? 2 * ch->nslot : 64;
		size_t *t = calloc(ns, sizeof(*t));

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < ch->n; i++) {
			size_t k = hash(ch->str[i]) & (ns - 1);

			while (t[k] != 0)
				k = (k + 1) & (ns - 1);
			t[k] = i + 1;
		}
		free(ch->slot);
		ch->slot = t;
		ch->nslot = ns;
	}
	return 0;
}

/* The number of text in the table, a new one if it is not there. */
static size_t
intern(struct sweep *sw, struct strtab *ch, const char *text)
{
	size_t k;

	if (strtab_grow(ch) < 0) {
		sw->oom = 1;
		return 0;
	}
	for (k = hash(text) & (ch->nslot - 1); ch->slot[k] != 0; k = (k + 1) & (ch->nslot - 1))
		if (strcmp(ch->str[ch->slot[k] - 1], text) == 0)
			return ch->slot[k] - 1;
	if ((ch->str[ch->n] = strdup(text)) == NULL) {
		sw->oom = 1;
		return 0;
	}
	ch->slot[k] = ch->n + 1;
	return ch->n++;
}

/* A class as the packet mark carries it in the forward chain: its number
 * above the mode's path mark, which the accepting rule puts back. */
static unsigned int
class_mark(const struct sweep *sw, size_t id)
{
	return (unsigned int)id << FW_SVC_CLASS_SHIFT | mode_mark(sw->p->mode);
}

/* "MARK . tcp . 80, MARK . tcp . 443-445" for a port list "80, 443-445". */
static void
port_elements(struct buf *o, unsigned int mark, int udp, const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		buf_printf(o, "%s 0x%x . %s . %.*s", o->len ? "," : "", mark,
		    udp ? "udp" : "tcp", (int)n, p);
		p += n;
		p += strspn(p, ", ");
	}
}

static void
flush_element(struct sweep *sw)
{
	if (sw->last_class == SIZE_MAX)
		return;
	buf_printf(sw->map, "%s ", sw->map->len > 0 ? "," : "");
	print_iv(sw->map, &sw->last_iv, sw->v6);
	buf_printf(sw->map, " : 0x%x", class_mark(sw, sw->last_class));
	sw->last_class = SIZE_MAX;
}

/* The class of the services active here: its key, and on first sight its
 * elements in the sets. Returns its number (from 1), 0 out of memory. */
static size_t
class_here(struct sweep *sw)
{
	const struct policy *pol = sw->p->pol;
	struct classes *cl = sw->cl;
	struct buf key, ports[2];
	int all = 0, icmp = 0, have[2];
	size_t id, n = cl->key.n;

	for (size_t a = 0; a < sw->n_act; a++) {
		all |= pol->services[sw->act[a]].all;
		icmp |= pol->services[sw->act[a]].icmp;
	}
	buf_init(&key);
	for (int udp = 0; udp < 2; udp++) {
		buf_init(&ports[udp]);
		have[udp] = !all && port_union(sw, udp, &ports[udp]) &&
		    buf_str(&ports[udp]) != NULL;
	}
	if (all)
		buf_printf(&key, "all");
	else
		buf_printf(&key, "tcp %s; udp %s; icmp %d%s", have[0] ? buf_str(&ports[0]) : "",
		    have[1] ? buf_str(&ports[1]) : "", icmp, sw->v6 ? "; v6" : "");
	id = buf_str(&key) != NULL ? intern(sw, &cl->key, buf_str(&key)) + 1 : 0;
	if (id > FW_SVC_MAX_CLASSES)
		id = 0;				/* refused below, like no memory */
	if (id != 0 && cl->key.n > n) {		/* a new class: its elements */
		if (all)
			buf_printf(&cl->all, "%s 0x%x", cl->all.len ? "," : "", class_mark(sw, id));
		if (!all && icmp)
			buf_printf(sw->v6 ? &cl->icmp6 : &cl->icmp, "%s 0x%x",
			    (sw->v6 ? cl->icmp6.len : cl->icmp.len) ? "," : "", class_mark(sw, id));
		for (int udp = 0; udp < 2; udp++)
			if (have[udp])
				port_elements(&cl->ports, class_mark(sw, id), udp,
				    buf_str(&ports[udp]));
	}
	sw->oom |= key.oom || ports[0].oom || ports[1].oom || id == 0;
	buf_free(&key);
	buf_free(&ports[0]);
	buf_free(&ports[1]);
	return id;
}

/* One elementary range with the services active on it. */
static void
segment(struct sweep *sw, const struct iv *iv)
{
	size_t c = class_here(sw);

	if (sw->last_class == c) {
		struct u128 next = inc128(sw->last_iv.b);

		if (cmp128(&next, &iv->a) == 0) {
			sw->last_iv.b = iv->b;
			return;
		}
	}
	flush_element(sw);
	sw->last_class = c;
	sw->last_iv = *iv;
}

/* A service's intervals covering here, and the list of those covered. */
static void
count(struct sweep *sw, size_t svc, int delta)
{
	if (delta > 0 && sw->count[svc]++ == 0) {
		sw->pos[svc] = sw->n_act;
		sw->act[sw->n_act++] = svc;
	} else if (delta < 0 && --sw->count[svc] == 0) {
		size_t last = sw->act[--sw->n_act];

		sw->act[sw->pos[svc]] = last;
		sw->pos[last] = sw->pos[svc];
	}
}

/* A set starts or stops covering here: so do the services naming it. The
 * prefixes of one set are disjoint, so a set covers at most once. */
static void
set_covers(struct sweep *sw, size_t k, int delta)
{
	for (size_t u = sw->first[k]; u < sw->first[k + 1]; u++)
		count(sw, sw->users[u], delta);
}

static void
sweep_events(struct sweep *sw, struct ev *e, size_t n)
{
	size_t active = 0, i = 0;
	struct u128 at = { 0, 0 };

	qsort(e, n, sizeof(*e), cmp_ev);
	while (i < n && !sw->oom) {
		if (active > 0 && cmp128(&at, &e[i].at) < 0) {
			struct iv iv = { at, dec128(e[i].at) };

			segment(sw, &iv);
		}
		at = e[i].at;
		for (; i < n && cmp128(&e[i].at, &at) == 0; i++) {
			set_covers(sw, e[i].set, e[i].delta);
			active += (size_t)e[i].delta;
		}
	}
	if (!sw->oom && active > 0) {	/* open to the top of the space */
		struct iv iv = { at, { sw->v6 ? UINT64_MAX : 0,
		    sw->v6 ? UINT64_MAX : UINT32_MAX } };

		segment(sw, &iv);
	}
	flush_element(sw);
}

/* The services of this mode naming each set, and the sweep's counters;
 * -1 out of memory (sw->count then NULL). */
static int
users_build(const struct fw_params *p, struct sweep *sw)
{
	const struct policy *pol = p->pol;
	size_t n = 0;

	sw->count = calloc(pol->n_services + 1, sizeof(*sw->count));
	sw->act = calloc(pol->n_services + 1, sizeof(*sw->act));
	sw->pos = calloc(pol->n_services + 1, sizeof(*sw->pos));
	sw->first = calloc(pol->n_sets + 2, sizeof(*sw->first));
	for (size_t i = 0; i < pol->n_services; i++)
		if (fw_svc_active(p, &pol->services[i]))
			n += pol->services[i].n_sets;
	sw->users = calloc(n + 1, sizeof(*sw->users));
	if (sw->count == NULL || sw->act == NULL || sw->pos == NULL ||
	    sw->first == NULL || sw->users == NULL) {
		free(sw->count);
		sw->count = NULL;
		return -1;
	}
	for (size_t i = 0; i < pol->n_services; i++)	/* counts, then offsets */
		for (size_t j = 0; fw_svc_active(p, &pol->services[i]) && j < pol->services[i].n_sets; j++)
			sw->first[pol->services[i].sets[j] + 2]++;
	for (size_t k = 0; k < pol->n_sets; k++)
		sw->first[k + 2] += sw->first[k + 1];
	for (size_t i = 0; i < pol->n_services; i++)
		for (size_t j = 0; fw_svc_active(p, &pol->services[i]) && j < pol->services[i].n_sets; j++)
			sw->users[sw->first[pol->services[i].sets[j] + 1]++] = i;
	return 0;
}

/* The map of one family's destinations to classes. */
static int
family(const struct fw_params *p, struct buf *o, int v6, struct classes *cl)
{
	const struct policy *pol = p->pol;
	struct evs es = { .x = { .size = sizeof(struct ev) }, .v6 = v6 };
	struct buf map;
	struct sweep sw = { .p = p, .v6 = v6, .map = &map, .cl = cl,
	    .last_class = SIZE_MAX };
	int rc = -1;

	buf_init(&map);
	if (users_build(p, &sw) == 0)
		for (size_t k = 0; k < pol->n_sets; k++)
			if (sw.first[k + 1] > sw.first[k])
				each_dest(pol, k, v6, push_ev, &es);
	if (sw.count != NULL && !es.x.oom) {
		sweep_events(&sw, es.x.v, es.x.n);
		buf_printf(o, "\tmap svc_class%s {\n\t\ttype %s : mark\n\t\tflags interval\n",
		    v6 ? "6" : "", v6 ? "ipv6_addr" : "ipv4_addr");
		if (map.len > 0)
			buf_printf(o, "\t\telements = {%s }\n", buf_str(&map));
		buf_printf(o, "\t}\n");
		rc = sw.oom || map.oom ? -1 : 0;
	}
	free(sw.ports);
	free(sw.count);
	free(sw.act);
	free(sw.pos);
	free(sw.users);
	free(sw.first);
	free(es.x.v);
	buf_free(&map);
	return rc;
}

static void
class_set(struct buf *o, const char *name, const char *type, const struct buf *elems)
{
	buf_printf(o, "\tset %s {\n\t\ttype %s\n%s", name, type,
	    strchr(type, '.') != NULL ? "\t\tflags interval\n" : "");
	if (elems->len > 0)
		buf_printf(o, "\t\telements = {%s }\n", buf_str(elems));
	buf_printf(o, "\t}\n");
}

int
fw_svc_active(const struct fw_params *p, const struct policy_rule *r)
{
	unsigned int bit = p->mode == MODE_OFFICE ? POLICY_MODE_OFFICE :
	    p->mode == MODE_REMOTE ? POLICY_MODE_REMOTE : 0;

	return (r->modes & bit) != 0;
}

int
fw_svc_v6(const struct fw_params *p)
{
	return p->pol->has_v6 && p->mode == MODE_REMOTE;
}

int
fw_svc_sets(const struct fw_params *p, struct buf *o)
{
	struct classes cl;
	int rc = 0;

	if (p->pol->n_services == 0)
		return 0;
	memset(&cl, 0, sizeof(cl));
	buf_init(&cl.ports);
	buf_init(&cl.all);
	buf_init(&cl.icmp);
	buf_init(&cl.icmp6);
	for (int v6 = 0; v6 <= fw_svc_v6(p) && rc == 0; v6++)
		rc = family(p, o, v6, &cl);
	class_set(o, "svc_all", "mark", &cl.all);
	class_set(o, "svc_icmp", "mark", &cl.icmp);
	class_set(o, "svc_icmp6", "mark", &cl.icmp6);
	class_set(o, "svc_ports", "mark . inet_proto . inet_service", &cl.ports);
	if (cl.ports.oom || cl.all.oom || cl.icmp.oom || cl.icmp6.oom)
		rc = -1;
	strtab_free(&cl.key);
	buf_free(&cl.ports);
	buf_free(&cl.all);
	buf_free(&cl.icmp);
	buf_free(&cl.icmp6);
	return rc;
}

/*
 * Work's packet gets its destination's class into the upper bits of its
 * own mark (the mode's path mark, set in prerouting, is in the lower ones:
 * routing is done by now), and the class decides; the accepting rule puts
 * the path mark back, which chain "leave" checks. A packet whose
 * destination has no class keeps the plain path mark, which no set holds.
 * The mark is the packet's own: packets of one connection on two CPUs at
 * once cannot see each other's class (a connection mark could).
 */
void
fw_svc_rules(const struct fw_params *p, struct buf *o, const char *out)
{
	const char *w = p->work_if;
	unsigned int m = mode_mark(p->mode);

	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark set ip daddr map @svc_class\n",
	    w, out);
	if (fw_svc_v6(p))
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark set ip6 daddr map @svc_class6\n",
		    w, out);
	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_all meta mark set 0x%x counter accept\n"
	    "\t\tiifname \"%s\" oifname \"%s\" meta mark . meta l4proto . th dport @svc_ports meta mark set 0x%x counter accept\n"
	    "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_icmp icmp type echo-request meta mark set 0x%x counter accept\n",
	    w, out, m, w, out, m, w, out, m);
	if (fw_svc_v6(p))
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_icmp6 icmpv6 type echo-request meta mark set 0x%x counter accept\n",
		    w, out, m);
}
