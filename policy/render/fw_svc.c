/*
 * The services of both modes, so that work's every packet costs the same
 * whatever the number of services and prefixes: an interval map gives the
 * destination its class (what may reach it, in each mode), and three sets
 * decide.
 *
 *   map svc_class     10.64.10.0/28 : 0x2a170000, ...   (class 0x2a17)
 *   set svc_all       class | mode mark: open to every protocol
 *   set svc_icmp      class | mode mark: open to ICMP echo (svc_icmp6)
 *   set svc_ports     class . protocol . port     (the same in both modes)
 *   set svc_ports_mode class | mode mark . protocol . port (differing)
 *
 * The map and the sets are the policy's, whatever the mode: the mode's
 * chain ORs its path mark (SK_MARK_TUNNEL or SK_MARK_OFFICE) into the
 * class, so a mode change touches neither (fw_render_mode). A class whose
 * two modes allow the same ports holds one element per port, its mark a
 * range over both path marks. A class's number is a hash of what it
 * allows (probing on a collision, in a fixed order), so a small policy
 * change renumbers almost nothing and changes few elements (fw_model.h).
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

/*
 * Appending without printf: the sweep and the printing below append tens
 * of thousands of short pieces (ports, marks, addresses), and vfprintf
 * was nearly half of this file's CPU at 10,000 prefixes and 1,000
 * services, time a live change waits for. The same bytes as "%s", "%u",
 * "0x%x" and inet_ntop's dotted quad.
 */
static void
put(struct buf *o, const char *s)
{
	buf_add(o, s, strlen(s));
}

static void
put_u(struct buf *o, unsigned long v)
{
	char t[24];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(o, t + i, sizeof(t) - i);
}

static void
put_hex(struct buf *o, unsigned int v)
{
	char t[16];
	size_t i = sizeof(t);

	do {
		t[--i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v != 0);
	t[--i] = 'x';
	t[--i] = '0';
	buf_add(o, t + i, sizeof(t) - i);
}

/* x as inet_ntop writes it (IPv4: a dotted quad, each byte in decimal). */
static void
put_addr(struct buf *o, const struct u128 *x, int v6)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t h = (uint32_t)x->lo;

	if (v6) {
		put(o, fmt(x, v6, a));
		return;
	}
	for (int i = 3; i >= 0; i--) {
		put_u(o, (h >> (8 * i)) & 0xff);
		if (i > 0)
			buf_add(o, ".", 1);
	}
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
	int plen = block_len(iv, v6);

	put_addr(o, &iv->a, v6);
	if (plen == (v6 ? 128 : 32))
		return;
	if (plen >= 0) {
		buf_add(o, "/", 1);
		put_u(o, (unsigned long)plen);
	} else {
		buf_add(o, "-", 1);
		put_addr(o, &iv->b, v6);
	}
}

/* ---- the sweep ---- */

struct strtab {				/* distinct strings, numbered from 0 */
	char **str;
	uint64_t *hv;			/* their hashes (hash()), parallel */
	size_t n, cap;
	size_t *slot;			/* hash table of their indices + 1 */
	size_t nslot;
};

#define NMODES	2			/* [0] remote, [1] office */

/* What one class allows in one mode. */
struct allow {
	int all, icmp;
	char *tcp, *udp;		/* "80, 443-445", or NULL */
};

struct class_info {
	struct allow m[NMODES];
	int v6;
	unsigned int id;		/* from 1; assigned once all are known */
};

/* The distinct classes (what a destination range allows in each mode) of
 * both families, and what each allows. */
struct classes {
	struct strtab key;
	struct class_info *info;	/* parallel to key.str */
	size_t cap_info;
};

struct seg {				/* one element of a map */
	struct iv iv;
	size_t cls;
};

struct sweep {
	const struct fw_params *p;
	int v6;
	size_t *count;			/* per service: its sets covering here */
	size_t *act, *pos, n_act;	/* the services with count > 0, unordered */
	size_t *users, *first;		/* the services naming set k: users[first[k] .. first[k + 1]) */
	struct vec *segs;		/* the map's elements */
	struct classes *cl;		/* shared by both families */
	struct port_range *ports;
	size_t cap_ports;
	size_t last_class;		/* of the element before, SIZE_MAX: none */
	struct iv last_iv;
	uint64_t sig;			/* of the active services (memo_sig) */
	struct memo *memo;		/* classes already found, by active set */
	size_t n_memo, cap_memo;	/* open addressing, at most half full */
	unsigned char *mark;		/* per service, for memo_find */
	int oom;
};

/*
 * The class of a segment is a function of the services active on it
 * alone (class_here reads nothing else), and many segments share their
 * active services (every prefix of a named set those naming it). So each
 * active set met is remembered with its class: the next segment with the
 * same set gets the class without the port unions, the formatting and the
 * interning (at 10,000 prefixes and 1,000 services, three quarters of the
 * policy part's rendering). An entry is found by a hash of the set (an
 * XOR of one random-looking word per service, kept up to date by count())
 * and then compared in full, service by service: a collision of hashes
 * costs a lookup, never a wrong class.
 */
struct memo {
	uint64_t sig;
	size_t n, *svc;			/* the set, sorted; svc NULL: slot empty */
	size_t cls;
};

static uint64_t
memo_word(size_t svc)
{
	uint64_t z = (uint64_t)svc + 0x9e3779b97f4a7c15ULL;	/* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const unsigned int mode_bits[NMODES] = { POLICY_MODE_REMOTE, POLICY_MODE_OFFICE };

static unsigned int
mode_path(int m)
{
	return mode_mark(m == 0 ? MODE_REMOTE : MODE_OFFICE);
}

static int
cmp_pr(const void *x, const void *y)
{
	const struct port_range *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* The union of one protocol's ports over the services active here in mode
 * m, as "80, 443-445" into o; 0 if none. */
static int
port_union(struct sweep *sw, int udp, int m, struct buf *o)
{
	const struct policy *pol = sw->p->pol;
	size_t n = 0, k = 0;

	for (size_t a = 0; a < sw->n_act; a++) {
		size_t i = sw->act[a];
		const struct policy_ports *pp;

		if ((pol->services[i].modes & mode_bits[m]) == 0)
			continue;
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
	/* a few dozen at most, mostly: in place, stably, as qsort (a merge
	 * sort in glibc) would, without its calls */
	if (n > 64)
		qsort(sw->ports, n, sizeof(*sw->ports), cmp_pr);
	else
		for (size_t i = 1; i < n; i++) {
			struct port_range x = sw->ports[i];
			size_t j = i;

			for (; j > 0 && sw->ports[j - 1].lo > x.lo; j--)
				sw->ports[j] = sw->ports[j - 1];
			sw->ports[j] = x;
		}
	for (size_t i = 1; i < n; i++) {
		if (sw->ports[i].lo <= (unsigned)sw->ports[k].hi + 1) {
			if (sw->ports[i].hi > sw->ports[k].hi)
				sw->ports[k].hi = sw->ports[i].hi;
		} else
			sw->ports[++k] = sw->ports[i];
	}
	for (size_t i = 0; i <= k; i++) {
		if (i > 0)
			buf_add(o, ", ", 2);
		put_u(o, sw->ports[i].lo);
		if (sw->ports[i].hi != sw->ports[i].lo) {
			buf_add(o, "-", 1);
			put_u(o, sw->ports[i].hi);
		}
	}
	return 1;
}

static void
classes_free(struct classes *cl)
{
	struct strtab *ch = &cl->key;

	for (size_t i = 0; i < ch->n; i++) {
		free(ch->str[i]);
		for (int m = 0; m < NMODES; m++) {
			free(cl->info[i].m[m].tcp);
			free(cl->info[i].m[m].udp);
		}
	}
	free(ch->str);
	free(ch->hv);
	free(ch->slot);
	free(cl->info);
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
strtab_grow(struct classes *cl)
{
	struct strtab *ch = &cl->key;

	if (ch->n == ch->cap) {
		size_t c = ch->cap ? 2 * ch->cap : 16;
		char **nb = reallocarray(ch->str, c, sizeof(*nb));
		struct class_info *ni;

		uint64_t *nh;

		if (nb == NULL)
			return -1;
		ch->str = nb;
		if ((nh = reallocarray(ch->hv, c, sizeof(*nh))) == NULL)
			return -1;
		ch->hv = nh;
		if ((ni = reallocarray(cl->info, c, sizeof(*ni))) == NULL)
			return -1;
		cl->info = ni;
		ch->cap = c;
	}
	if (2 * (ch->n + 1) > ch->nslot) {
		size_t ns = ch->nslot ? 2 * ch->nslot : 64;
		size_t *t = calloc(ns, sizeof(*t));

		if (t == NULL)
			return -1;
		for (size_t i = 0; i < ch->n; i++) {
			size_t k = ch->hv[i] & (ns - 1);

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

/* The index of text in the table, a new one (*fresh set) if it is not
 * there; SIZE_MAX out of memory. */
static size_t
intern(struct classes *cl, const char *text, int *fresh)
{
	struct strtab *ch = &cl->key;
	uint64_t h = hash(text);
	size_t k;

	*fresh = 0;
	if (strtab_grow(cl) < 0)
		return SIZE_MAX;
	for (k = h & (ch->nslot - 1); ch->slot[k] != 0; k = (k + 1) & (ch->nslot - 1))
		if (ch->hv[ch->slot[k] - 1] == h && strcmp(ch->str[ch->slot[k] - 1], text) == 0)
			return ch->slot[k] - 1;
	if ((ch->str[ch->n] = strdup(text)) == NULL)
		return SIZE_MAX;
	ch->hv[ch->n] = h;
	memset(&cl->info[ch->n], 0, sizeof(cl->info[ch->n]));
	ch->slot[k] = ch->n + 1;
	*fresh = 1;
	return ch->n++;
}

/* "MARK . tcp . 80, MARK . tcp . 443-445" for a port list "80, 443-445";
 * mark is "0x..." or a range of two. */
static void
port_elements(struct buf *o, const char *mark, int udp, const char *list)
{
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (o->len > 0)
			buf_add(o, ",", 1);
		buf_add(o, " ", 1);
		put(o, mark);
		put(o, udp ? " . udp . " : " . tcp . ");
		buf_add(o, p, n);
		p += n;
		p += strspn(p, ", ");
	}
}

static void
flush_element(struct sweep *sw)
{
	struct seg *s;

	if (sw->last_class == SIZE_MAX)
		return;
	if ((s = vec_push(sw->segs)) == NULL)
		sw->oom = 1;
	else
		*s = (struct seg){ sw->last_iv, sw->last_class };
	sw->last_class = SIZE_MAX;
}

/* What the services active here allow in mode m: a key part into key and
 * the details into a. */
static void
allow_here(struct sweep *sw, int m, struct buf *key, struct allow *a)
{
	const struct policy *pol = sw->p->pol;
	struct buf ports[2];

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sw->n_act; i++) {
		const struct policy_rule *r = &pol->services[sw->act[i]];

		if (r->modes & mode_bits[m]) {
			a->all |= r->all;
			a->icmp |= r->icmp;
		}
	}
	for (int udp = 0; udp < 2; udp++) {
		buf_init(&ports[udp]);
		if (!a->all && port_union(sw, udp, m, &ports[udp]) && buf_str(&ports[udp]) != NULL) {
			char **dst = udp ? &a->udp : &a->tcp;

			if ((*dst = strdup(ports[udp].p)) == NULL)
				sw->oom = 1;
		}
		sw->oom |= ports[udp].oom;
		buf_free(&ports[udp]);
	}
	if (a->all)
		put(key, "all");
	else {
		put(key, "tcp ");
		put(key, a->tcp ? a->tcp : "");
		put(key, "; udp ");
		put(key, a->udp ? a->udp : "");
		put(key, "; icmp ");
		put_u(key, (unsigned long)a->icmp);
	}
}

static void
allow_free(struct allow *a)
{
	free(a->tcp);
	free(a->udp);
}

/* The class of the services active here, recorded on first sight with
 * what it allows. Returns its index, SIZE_MAX out of memory. */
static size_t
class_here(struct sweep *sw)
{
	struct classes *cl = sw->cl;
	struct allow a[NMODES];
	struct buf key;
	size_t id = SIZE_MAX;
	int fresh = 0, nm = sw->v6 ? 1 : NMODES;	/* IPv6: remote mode only */

	memset(a, 0, sizeof(a));
	buf_init(&key);
	for (int m = 0; m < nm; m++) {
		put(&key, m ? " / office " : "remote ");
		allow_here(sw, m, &key, &a[m]);
	}
	if (sw->v6)
		put(&key, "; v6");
	if (!sw->oom && buf_str(&key) != NULL)
		id = intern(cl, key.p, &fresh);
	if (fresh) {
		memcpy(cl->info[id].m, a, sizeof(a));
		cl->info[id].v6 = sw->v6;
	} else
		for (int m = 0; m < NMODES; m++)
			allow_free(&a[m]);
	if (id == SIZE_MAX || cl->key.n > FW_SVC_MAX_CLASSES)
		sw->oom = 1;			/* refused below, like no memory */
	buf_free(&key);
	return id;
}

static int
cmp_size(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return (a > b) - (a < b);
}

/* Whether entry e holds exactly the services active now. */
static int
memo_same(struct sweep *sw, const struct memo *e)
{
	int same = 1;

	if (e->n != sw->n_act)
		return 0;
	for (size_t i = 0; i < e->n; i++)
		sw->mark[e->svc[i]] = 1;
	for (size_t i = 0; i < sw->n_act && same; i++)
		same = sw->mark[sw->act[i]];
	for (size_t i = 0; i < e->n; i++)
		sw->mark[e->svc[i]] = 0;
	return same;
}

/* The slot of the active set: its entry, or the empty slot it would take. */
static struct memo *
memo_slot(struct sweep *sw)
{
	size_t k = (size_t)sw->sig & (sw->cap_memo - 1);

	for (;; k = (k + 1) & (sw->cap_memo - 1)) {
		struct memo *e = &sw->memo[k];

		if (e->svc == NULL || (e->sig == sw->sig && memo_same(sw, e)))
			return e;
	}
}

/* Room for one more entry; -1 out of memory. */
static int
memo_grow(struct sweep *sw)
{
	struct memo *old = sw->memo, *nv;
	size_t cap = sw->cap_memo ? 2 * sw->cap_memo : 256;

	if (2 * (sw->n_memo + 1) <= sw->cap_memo)
		return 0;
	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -1;
	for (size_t i = 0; i < sw->cap_memo; i++) {
		size_t k = (size_t)old[i].sig & (cap - 1);

		if (old[i].svc == NULL)
			continue;
		while (nv[k].svc != NULL)
			k = (k + 1) & (cap - 1);
		nv[k] = old[i];
	}
	free(old);
	sw->memo = nv;
	sw->cap_memo = cap;
	return 0;
}

/* class_here, remembered by the set of active services. */
static size_t
class_memo(struct sweep *sw)
{
	struct memo *e;
	size_t c;

	if (sw->mark == NULL || memo_grow(sw) < 0)
		return class_here(sw);		/* the same, only slower */
	if ((e = memo_slot(sw))->svc != NULL)
		return e->cls;
	c = class_here(sw);
	if (c == SIZE_MAX || (e->svc = malloc((sw->n_act + 1) * sizeof(*e->svc))) == NULL)
		return c;
	memcpy(e->svc, sw->act, sw->n_act * sizeof(*e->svc));
	qsort(e->svc, sw->n_act, sizeof(*e->svc), cmp_size);
	e->n = sw->n_act;
	e->sig = sw->sig;
	e->cls = c;
	sw->n_memo++;
	return c;
}

static void
memo_free(struct sweep *sw)
{
	for (size_t i = 0; i < sw->cap_memo; i++)
		free(sw->memo[i].svc);
	free(sw->memo);
	free(sw->mark);
}

/* One elementary range with the services active on it. */
static void
segment(struct sweep *sw, const struct iv *iv)
{
	size_t c = class_memo(sw);

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
		sw->sig ^= memo_word(svc);
	} else if (delta < 0 && --sw->count[svc] == 0) {
		size_t last = sw->act[--sw->n_act];

		sw->act[sw->pos[svc]] = last;
		sw->pos[last] = sw->pos[svc];
		sw->sig ^= memo_word(svc);
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

/*
 * IPv4 events in the order qsort gives them (glibc's is a merge sort:
 * stable), without its indirect calls: an LSD radix sort of the 33 bits
 * an IPv4 event's address can take, three passes of 11 bits, each
 * stable. qsort was a fifth of the services' rendering at 10,000 prefixes
 * and 1,000 services (12,000 events). 0, or -1 (nothing done: out of
 * memory, or an address above 33 bits: not IPv4's).
 */
#define RADIX_BITS	11
#define RADIX_PASSES	3
static int
sort_ev4(struct ev *e, size_t n)
{
	size_t cnt[1u << RADIX_BITS];
	struct ev *tmp, *src = e, *dst;

	for (size_t i = 0; i < n; i++)
		if (e[i].at.hi != 0 || e[i].at.lo >> (RADIX_BITS * RADIX_PASSES) != 0)
			return -1;
	if ((tmp = reallocarray(NULL, n, sizeof(*tmp))) == NULL)
		return -1;
	dst = tmp;
	for (int pass = 0; pass < RADIX_PASSES; pass++) {
		unsigned int sh = RADIX_BITS * (unsigned int)pass;
		size_t sum = 0;

		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].at.lo >> sh) & ((1u << RADIX_BITS) - 1)]++;
		for (size_t k = 0; k < (1u << RADIX_BITS); k++) {
			size_t c = cnt[k];

			cnt[k] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].at.lo >> sh) & ((1u << RADIX_BITS) - 1)]++] = src[i];
		src = dst;
		dst = src == tmp ? e : tmp;
	}
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
	free(tmp);
	return 0;
}

static void
sweep_events(struct sweep *sw, struct ev *e, size_t n)
{
	size_t active = 0, i = 0;
	struct u128 at = { 0, 0 };

	/* short lists and IPv6 by qsort */
	if (sw->v6 || n < 1024 || sort_ev4(e, n) < 0)
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

/* A service the map of this family serves: IPv4 in either mode, IPv6 in
 * remote mode only. */
static int
serves(const struct policy_rule *r, int v6)
{
	return (r->modes & (v6 ? POLICY_MODE_REMOTE : POLICY_MODE_ANY)) != 0;
}

/* The services naming each set, and the sweep's counters; -1 out of
 * memory (sw->count then NULL). */
static int
users_build(const struct policy *pol, struct sweep *sw)
{
	size_t n = 0;

	sw->count = calloc(pol->n_services + 1, sizeof(*sw->count));
	sw->act = calloc(pol->n_services + 1, sizeof(*sw->act));
	sw->pos = calloc(pol->n_services + 1, sizeof(*sw->pos));
	sw->first = calloc(pol->n_sets + 2, sizeof(*sw->first));
	for (size_t i = 0; i < pol->n_services; i++)
		if (serves(&pol->services[i], sw->v6))
			n += pol->services[i].n_sets;
	sw->users = calloc(n + 1, sizeof(*sw->users));
	if (sw->count == NULL || sw->act == NULL || sw->pos == NULL ||
	    sw->first == NULL || sw->users == NULL) {
		free(sw->count);
		sw->count = NULL;
		return -1;
	}
	for (size_t i = 0; i < pol->n_services; i++)	/* counts, then offsets */
		for (size_t j = 0; serves(&pol->services[i], sw->v6) && j < pol->services[i].n_sets; j++)
			sw->first[pol->services[i].sets[j] + 2]++;
	for (size_t k = 0; k < pol->n_sets; k++)
		sw->first[k + 2] += sw->first[k + 1];
	for (size_t i = 0; i < pol->n_services; i++)
		for (size_t j = 0; serves(&pol->services[i], sw->v6) && j < pol->services[i].n_sets; j++)
			sw->users[sw->first[pol->services[i].sets[j] + 1]++] = i;
	return 0;
}

/* One family's destinations swept into segs. */
static int
family(const struct policy *pol, const struct fw_params *p, int v6,
    struct classes *cl, struct vec *segs)
{
	struct evs es = { .x = { .size = sizeof(struct ev) }, .v6 = v6 };
	struct sweep sw = { .p = p, .v6 = v6, .segs = segs, .cl = cl,
	    .last_class = SIZE_MAX };
	int rc = -1;

	sw.mark = calloc(pol->n_services + 1, 1);	/* NULL: no memo */
	if (users_build(pol, &sw) == 0)
		for (size_t k = 0; k < pol->n_sets; k++)
			if (sw.first[k + 1] > sw.first[k])
				each_dest(pol, k, v6, push_ev, &es);
	if (sw.count != NULL && !es.x.oom) {
		sweep_events(&sw, es.x.v, es.x.n);
		rc = sw.oom || segs->oom ? -1 : 0;
	}
	memo_free(&sw);
	free(sw.ports);
	free(sw.count);
	free(sw.act);
	free(sw.pos);
	free(sw.users);
	free(sw.first);
	free(es.x.v);
	return rc;
}

/* ---- numbering: a class's number from what it allows ---- */

/* A class's home number, from the hash of its key (hash(), kept). */
static unsigned int
home_id(uint64_t h)
{
	return (unsigned int)(h % FW_SVC_MAX_CLASSES) + 1;
}

/* What cmp_home sorts by: each class's home number, hashed once. */
struct homes {
	const struct classes	*cl;
	const unsigned int	*home;
};

static int
cmp_home(const void *x, const void *y, void *arg)
{
	const struct homes *h = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;

	if (h->home[i] != h->home[j])
		return h->home[i] < h->home[j] ? -1 : 1;
	return strcmp(h->cl->key.str[i], h->cl->key.str[j]);
}

/* Each class gets the number its key hashes to, or on a collision the
 * next free one; in order of (home number, key), so the numbers depend on
 * the set of classes alone, never on the order the sweep met them. */
static int
number_classes(struct classes *cl)
{
	size_t n = cl->key.n, *order = calloc(n + 1, sizeof(*order));
	unsigned int *home = calloc(n + 1, sizeof(*home));
	unsigned char *used = calloc(FW_SVC_MAX_CLASSES + 1, 1);
	struct homes h = { cl, home };

	if (order == NULL || home == NULL || used == NULL) {
		free(order);
		free(home);
		free(used);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		order[i] = i;
		home[i] = home_id(cl->key.hv[i]);
	}
	qsort_r(order, n, sizeof(*order), cmp_home, &h);
	for (size_t i = 0; i < n; i++) {
		unsigned int id = home[order[i]];

		while (used[id])
			id = id % FW_SVC_MAX_CLASSES + 1;
		used[id] = 1;
		cl->info[order[i]].id = id;
	}
	free(order);
	free(home);
	free(used);
	return 0;
}

/* ---- printing ---- */

static void
print_map(struct buf *o, int v6, const struct vec *segs, const struct classes *cl)
{
	const struct seg *s = segs->v;

	buf_printf(o, "\tmap svc_class%s {\n\t\ttype %s : mark\n\t\tflags interval\n",
	    v6 ? "6" : "", v6 ? "ipv6_addr" : "ipv4_addr");
	if (segs->n > 0) {
		buf_printf(o, "\t\telements = {");
		for (size_t i = 0; i < segs->n; i++) {
			put(o, i ? ", " : " ");
			print_iv(o, &s[i].iv, v6);
			put(o, " : ");
			put_hex(o, cl->info[s[i].cls].id << FW_SVC_CLASS_SHIFT);
		}
		buf_printf(o, " }\n");
	}
	buf_printf(o, "\t}\n");
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
same_allow(const struct allow *a, const struct allow *b)
{
	return a->all == b->all && a->icmp == b->icmp && same_str(a->tcp, b->tcp) &&
	    same_str(a->udp, b->udp);
}

/* The elements of one class in the five sets. A class that allows the
 * same in both modes (most) has its ports in svc_ports under the class
 * alone (the rule masks the path mark off); one that differs has them in
 * svc_ports_mode under each mode's mark. IPv6 is forwarded in remote mode
 * only: its classes count as the same in both. */
static void
class_elements(const struct class_info *c, struct buf *all, struct buf *icmp,
    struct buf *icmp6, struct buf *ports, struct buf *ports_mode)
{
	unsigned int base = c->id << FW_SVC_CLASS_SHIFT;
	int nm = c->v6 ? 1 : NMODES, same = c->v6 || same_allow(&c->m[0], &c->m[1]);
	char mark[24];

	for (int m = 0; m < nm; m++) {
		const struct allow *a = &c->m[m];
		struct buf *ic = c->v6 ? icmp6 : icmp;

		if (a->all) {
			put(all, all->len ? ", " : " ");
			put_hex(all, base | mode_path(m));
		}
		if (!a->all && a->icmp) {
			put(ic, ic->len ? ", " : " ");
			put_hex(ic, base | mode_path(m));
		}
	}
	for (int m = 0; m < (same ? 1 : nm); m++) {
		snprintf(mark, sizeof(mark), "0x%x", same ? base : base | mode_path(m));
		if (c->m[m].tcp != NULL)
			port_elements(same ? ports : ports_mode, mark, 0, c->m[m].tcp);
		if (c->m[m].udp != NULL)
			port_elements(same ? ports : ports_mode, mark, 1, c->m[m].udp);
	}
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
	const struct policy *pol = p->pol;
	struct classes cl;
	struct vec segs[2] = { { .size = sizeof(struct seg) }, { .size = sizeof(struct seg) } };
	struct buf all, icmp, icmp6, ports, ports_mode;
	int rc = 0, nf = pol->has_v6 ? 2 : 1;

	if (pol->n_services == 0)
		return 0;
	memset(&cl, 0, sizeof(cl));
	for (int v6 = 0; v6 < nf && rc == 0; v6++)
		rc = family(pol, p, v6, &cl, &segs[v6]);
	if (rc == 0)
		rc = number_classes(&cl);
	buf_init(&all);
	buf_init(&icmp);
	buf_init(&icmp6);
	buf_init(&ports);
	buf_init(&ports_mode);
	if (rc == 0) {
		for (int v6 = 0; v6 < nf; v6++)
			print_map(o, v6, &segs[v6], &cl);
		for (size_t i = 0; i < cl.key.n; i++)
			class_elements(&cl.info[i], &all, &icmp, &icmp6, &ports, &ports_mode);
		class_set(o, "svc_all", "mark", &all);
		class_set(o, "svc_icmp", "mark", &icmp);
		class_set(o, "svc_icmp6", "mark", &icmp6);
		class_set(o, "svc_ports", "mark . inet_proto . inet_service", &ports);
		class_set(o, "svc_ports_mode", "mark . inet_proto . inet_service", &ports_mode);
		if (ports.oom || ports_mode.oom || all.oom || icmp.oom || icmp6.oom)
			rc = -1;
	}
	classes_free(&cl);
	free(segs[0].v);
	free(segs[1].v);
	buf_free(&ports);
	buf_free(&ports_mode);
	buf_free(&all);
	buf_free(&icmp);
	buf_free(&icmp6);
	return rc;
}

/*
 * Work's packet gets its destination's class into the upper bits of its
 * own mark and the mode's path mark ORed back in (routing is done by now),
 * and the class decides; the accepting rule puts the plain path mark
 * back, which chain "leave" checks. A packet whose destination has no
 * class keeps the plain path mark, which no set holds. The mark is the
 * packet's own: packets of one connection on two CPUs at once cannot see
 * each other's class (a connection mark could).
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
	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark set meta mark | 0x%x\n",
	    w, out, m);
	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_all meta mark set 0x%x ct mark set meta mark map @fwd_gen counter accept\n"
	    "\t\tiifname \"%s\" oifname \"%s\" meta mark & 0x%x . meta l4proto . th dport @svc_ports meta mark set 0x%x ct mark set meta mark map @fwd_gen counter accept\n"
	    "\t\tiifname \"%s\" oifname \"%s\" meta mark . meta l4proto . th dport @svc_ports_mode meta mark set 0x%x ct mark set meta mark map @fwd_gen counter accept\n"
	    "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_icmp icmp type echo-request meta mark set 0x%x ct mark set meta mark map @fwd_gen counter accept\n",
	    w, out, m, w, out, (unsigned)~FW_SVC_PATH_MASK, m, w, out, m, w, out, m);
	if (fw_svc_v6(p))
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" meta mark @svc_icmp6 icmpv6 type echo-request meta mark set 0x%x ct mark set meta mark map @fwd_gen counter accept\n",
		    w, out, m);
}
