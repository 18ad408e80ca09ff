/* The policy parser's sets and rules (docs/policy.md, "Sets, services and
 * inbound rules"): named prefix sets (IPv4 and IPv6), the lgwan block's
 * own prefixes and the sets it names, service and inbound rules, the
 * distribution block, and the IPv6 addresses of the device and work link.
 * Set names are resolved once the file is read, so a set may be used
 * before it is defined. */
#include "policy/parse_int.h"
#include "lib/encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SETS_ALL	(POLICY_MAX_SETS + POLICY_MAX_SERVICES + POLICY_MAX_INBOUND + 1)

static int
oom(struct parser *ps)
{
	return sk_errorf(ps->lx.err, ENOMEM, "%s: out of memory", ps->lx.name);
}

/* Room for one more element: v itself, a larger copy, or NULL (v kept). */
static void *
grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap == 0 ? 16 : 2 * *cap;

	if (n < *cap)
		return v;
	if ((v = reallocarray(v, c, size)) != NULL)
		*cap = c;
	return v;
}

/* Set and rule names: 1 to 63 of A-Z a-z 0-9 . _ - (so never a prefix). */
static int
name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int
bad_name(struct parser *ps, const char *what, const struct token *t)
{
	char s[SHOW_MAX + 8];

	return ps_perr(ps, t->line, "bad %s name \"%s\", expected 1 to %d of A-Z, a-z, 0-9, '.', '_' and '-'",
	    what, ps_show(t, s, sizeof(s)), POLICY_NAME - 1);
}

/* ---- sets ---- */

static int
set_new(struct parser *ps, const char *name, unsigned int line, size_t *idx)
{
	struct policy *p = ps->p;
	struct policy_set *s;
	void *nv;

	if (p->n_sets == MAX_SETS_ALL)
		return ps_perr(ps, line, "too many sets, at most %d", POLICY_MAX_SETS);
	if ((nv = grow(p->sets, &ps->cap_sets, p->n_sets, sizeof(*p->sets))) == NULL)
		return oom(ps);
	p->sets = nv;
	s = &p->sets[p->n_sets];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
	*idx = p->n_sets++;
	ps->cur_set = *idx;
	ps->cap4 = ps->cap6 = 0;
	return 0;
}

static int
add6(struct parser *ps, struct policy_set *s, const struct token *v)
{
	char b[SHOW_MAX + 8], net[PS_PREFIX6_LEN];
	struct prefix6 pf = { .line = v->line };
	struct in6_addr f;
	void *nv;

	if (ps_parse_prefix6(v, &pf.addr, &pf.plen) != 0)
		return ps_perr(ps, v->line, "bad prefix '%s', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48",
		    ps_show(v, b, sizeof(b)));
	f = ps_first6(&pf.addr, pf.plen);
	if (memcmp(&f, &pf.addr, sizeof(f)) != 0)
		return ps_perr(ps, v->line, "prefix %s has host bits set, did you mean %s?",
		    ps_show(v, b, sizeof(b)), ps_fmt_prefix6(&f, pf.plen, net));
	if (s->n6 == POLICY_MAX_PREFIXES)
		return ps_perr(ps, v->line, "too many prefixes, at most %d", POLICY_MAX_PREFIXES);
	if ((nv = grow(s->v6, &ps->cap6, s->n6, sizeof(*s->v6))) == NULL)
		return oom(ps);
	s->v6 = nv;
	s->v6[s->n6++] = pf;
	return 0;
}

/* One prefix, IPv4 or IPv6, into the set being filled. */
static int
set_add(struct parser *ps, const struct token *v)
{
	struct policy_set *s = &ps->p->sets[ps->cur_set];
	char b[SHOW_MAX + 8], net[INET_ADDRSTRLEN + 3];
	struct prefix4 pf = { .line = v->line };
	void *nv;

	if (memchr(v->s, ':', v->len) != NULL)
		return add6(ps, s, v);
	if (ps_parse_prefix(v, &pf.addr, &pf.plen) != 0)
		return ps_perr(ps, v->line, "bad prefix '%s', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48",
		    ps_show(v, b, sizeof(b)));
	if (ntohl(pf.addr.s_addr) != ps_first_of(pf.addr, pf.plen))
		return ps_perr(ps, v->line, "prefix %s has host bits set, did you mean %s?",
		    ps_show(v, b, sizeof(b)),
		    ps_fmt_prefix(ps_host_addr(ps_first_of(pf.addr, pf.plen)), pf.plen, net));
	if (s->n4 == POLICY_MAX_PREFIXES)
		return ps_perr(ps, v->line, "too many prefixes, at most %d", POLICY_MAX_PREFIXES);
	if ((nv = grow(s->v4, &ps->cap4, s->n4, sizeof(*s->v4))) == NULL)
		return oom(ps);
	s->v4 = nv;
	s->v4[s->n4++] = pf;
	return 0;
}

static int
st_set_prefix(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)kw;
	return set_add(ps, v);
}

static const struct keyword set_kws[] = {
	{ "prefix", "a prefix like 10.64.0.0/16 or 2001:db8:64::/48", S_SET_PREFIX, 1, st_set_prefix },
};
static const struct block set_block = { "set", set_kws, nitems(set_kws), "prefix" };

int
ps_bl_set(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	char name[POLICY_NAME], after[SHOW_MAX + 16];
	struct token t;
	size_t idx;
	int rc;

	(void)v;
	if ((rc = ps_block_name(ps, kw, "a set name", name, sizeof(name), &t)) != 0)
		return rc;
	if (!name_ok(name))
		return bad_name(ps, "set", &t);
	for (size_t i = 0; i < p->n_sets; i++)
		if (strcmp(p->sets[i].name, name) == 0)
			return ps_perr(ps, t.line, "duplicate set \"%s\", first given on line %u",
			    name, p->sets[i].line);
	if ((rc = set_new(ps, name, kw->line, &idx)) != 0)
		return rc;
	snprintf(after, sizeof(after), "set \"%s\"", name);
	if ((rc = ps_open_block(ps, &set_block, after, kw->line)) != 0)
		return rc;
	if (p->sets[idx].n4 + p->sets[idx].n6 == 0)
		return ps_perr(ps, kw->line, "set \"%s\" is empty, expected at least one prefix",
		    name);
	return 0;
}

/* A set name used at t, for slot k of a rule (or of the lgwan block). */
static int
add_ref(struct parser *ps, const struct token *t, int inbound, size_t rule, size_t k)
{
	struct set_ref *r;
	void *nv;

	if ((nv = grow(ps->refs, &ps->cap_refs, ps->n_refs, sizeof(*ps->refs))) == NULL)
		return oom(ps);
	ps->refs = nv;
	r = &ps->refs[ps->n_refs++];
	memset(r, 0, sizeof(*r));
	if (ps_tok_copy(t, r->name, sizeof(r->name)) != 0 || !name_ok(r->name))
		return bad_name(ps, "set", t);
	r->inbound = inbound;
	r->rule = rule;
	r->k = k;
	r->line = t->line;
	return 0;
}

/* Whether set name t is already used by this rule or block. */
static int
ref_twice(struct parser *ps, const struct token *t, int inbound, size_t rule,
    const char *in)
{
	char s[SHOW_MAX + 8];

	for (size_t i = 0; i < ps->n_refs; i++) {
		const struct set_ref *r = &ps->refs[i];

		if (r->inbound == inbound && r->rule == rule &&
		    strlen(r->name) == t->len && memcmp(r->name, t->s, t->len) == 0)
			return ps_perr(ps, t->line, "set \"%s\" named twice in %s, first on line %u",
			    ps_show(t, s, sizeof(s)), in, r->line);
	}
	return 0;
}

/* ---- the lgwan block ---- */

int
ps_lgwan_begin(struct parser *ps)
{
	ps->lgwan_anon = SIZE_MAX;
	return 0;
}

int
ps_st_lgwan_prefix(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	size_t idx;
	int rc;

	if (ps->lgwan_anon == SIZE_MAX) {
		if ((rc = set_new(ps, "", kw->line, &idx)) != 0)
			return rc;
		ps->lgwan_anon = idx;
		p->lgwan_sets[p->n_lgwan_sets++] = idx;
	}
	ps->cur_set = ps->lgwan_anon;
	return set_add(ps, v);
}

int
ps_st_lgwan_set(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	int rc;

	(void)kw;
	if (p->n_lgwan_sets - (ps->lgwan_anon != SIZE_MAX) == POLICY_MAX_REFS)
		return ps_perr(ps, v->line, "too many sets in 'lgwan' block, at most %d",
		    POLICY_MAX_REFS);
	if ((rc = ref_twice(ps, v, 0, SIZE_MAX, "'lgwan' block")) != 0 ||
	    (rc = add_ref(ps, v, 0, SIZE_MAX, p->n_lgwan_sets)) != 0)
		return rc;
	p->lgwan_sets[p->n_lgwan_sets++] = SIZE_MAX;
	return 0;
}

/* ---- service and inbound rules ---- */

static int
is_inbound(const struct parser *ps)
{
	return ps->p->n_inbound > 0 && ps->rule == &ps->p->inbound[ps->p->n_inbound - 1];
}

static const char *
rule_kind(const struct parser *ps)
{
	return is_inbound(ps) ? "inbound" : "service";
}

static int
st_r_class(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_tok_is(v, "prelogon"))
		ps->rule->class = POLICY_CLASS_PRELOGON;
	else if (ps_tok_is(v, "lgwan"))
		ps->rule->class = POLICY_CLASS_LGWAN;
	else
		return ps_perr(ps, v->line, "bad class '%s', expected prelogon or lgwan",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_r_mode(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_tok_is(v, "remote"))
		ps->rule->modes = POLICY_MODE_REMOTE;
	else if (ps_tok_is(v, "office"))
		ps->rule->modes = POLICY_MODE_OFFICE;
	else if (ps_tok_is(v, "any"))
		ps->rule->modes = POLICY_MODE_ANY;
	else
		return ps_perr(ps, v->line, "bad mode '%s', expected remote, office or any",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_r_icmp(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (!ps_tok_is(v, "echo"))
		return ps_perr(ps, v->line, "bad icmp '%s', expected echo",
		    ps_show(v, s, sizeof(s)));
	ps->rule->icmp = 1;
	return 0;
}

/* role NAME: 1 to POLICY_ROLE_MAX of a-z 0-9 _ (the gateway names a set
 * after it), each once, at most POLICY_MAX_ROLES. */
static int
st_r_role(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_rule *r = ps->rule;
	char s[SHOW_MAX + 8], name[POLICY_ROLE_MAX + 1];
	size_t i;

	(void)kw;
	if (v->len == 0 || v->len > POLICY_ROLE_MAX)
		goto bad;
	for (i = 0; i < v->len; i++)
		if (!((v->s[i] >= 'a' && v->s[i] <= 'z') ||
		    (v->s[i] >= '0' && v->s[i] <= '9') || v->s[i] == '_'))
			goto bad;
	memcpy(name, v->s, v->len);
	name[v->len] = '\0';
	for (i = 0; i < r->n_roles; i++)
		if (strcmp(r->roles[i], name) == 0)
			return ps_perr(ps, v->line, "duplicate role '%s' in service \"%s\"",
			    name, r->name);
	if (r->n_roles == POLICY_MAX_ROLES)
		return ps_perr(ps, v->line, "too many roles in service \"%s\", at most %d",
		    r->name, POLICY_MAX_ROLES);
	memcpy(r->roles[r->n_roles++], name, sizeof(name));
	return 0;
bad:
	return ps_perr(ps, v->line, "bad role '%s', expected 1 to %d of a-z 0-9 _",
	    ps_show(v, s, sizeof(s)), POLICY_ROLE_MAX);
}

/* to / from: a prefix (it has a '/') or the name of a set. */
static int
st_r_dest(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_rule *r = ps->rule;
	char in[POLICY_NAME + 16];
	size_t idx, named;
	int rc, inbound = is_inbound(ps);
	size_t rule = inbound ? ps->p->n_inbound - 1 : ps->p->n_services - 1;

	(void)kw;
	snprintf(in, sizeof(in), "%s \"%s\"", rule_kind(ps), r->name);
	if (memchr(v->s, '/', v->len) != NULL) {
		if (ps->rule_anon == SIZE_MAX) {
			if ((rc = set_new(ps, "", v->line, &idx)) != 0)
				return rc;
			ps->rule_anon = idx;
			r->sets[r->n_sets++] = idx;
		}
		ps->cur_set = ps->rule_anon;
		return set_add(ps, v);
	}
	named = r->n_sets - (ps->rule_anon != SIZE_MAX);
	if (named == POLICY_MAX_REFS)
		return ps_perr(ps, v->line, "too many sets in %s, at most %d", in,
		    POLICY_MAX_REFS);
	if ((rc = ref_twice(ps, v, inbound, rule, in)) != 0 ||
	    (rc = add_ref(ps, v, inbound, rule, r->n_sets)) != 0)
		return rc;
	r->sets[r->n_sets++] = SIZE_MAX;
	return 0;
}

static int
port_item(const char *s, size_t len, struct port_range *pr)
{
	const char *dash = memchr(s, '-', len);
	uint64_t lo, hi;

	if (dash == NULL) {
		if (ps_decimal(s, len, 1, 65535, &lo) != 0)
			return -EINVAL;
		pr->lo = pr->hi = (uint16_t)lo;
		return 0;
	}
	if (ps_decimal(s, (size_t)(dash - s), 1, 65535, &lo) != 0 ||
	    ps_decimal(dash + 1, len - (size_t)(dash - s) - 1, 1, 65535, &hi) != 0)
		return -EINVAL;
	if (lo > hi)
		return -ERANGE;
	pr->lo = (uint16_t)lo;
	pr->hi = (uint16_t)hi;
	return 0;
}

static void
fmt_range(const struct port_range *pr, char buf[16])
{
	if (pr->lo == pr->hi)
		snprintf(buf, 16, "%u", (unsigned)pr->lo);
	else
		snprintf(buf, 16, "%u-%u", (unsigned)pr->lo, (unsigned)pr->hi);
}

static int
ports_add(struct parser *ps, const struct token *kw, struct policy_ports *pp,
    const struct port_range *pr, unsigned int line)
{
	char a[16], b[16];
	size_t i;

	for (i = 0; i < pp->n; i++)
		if (pr->lo <= pp->r[i].hi && pp->r[i].lo <= pr->hi)
			return ps_perr(ps, line, "%.*s port %s overlaps %s given before in %s \"%s\"",
			    (int)kw->len, kw->s, (fmt_range(pr, a), a),
			    (fmt_range(&pp->r[i], b), b), rule_kind(ps), ps->rule->name);
	if (pp->n == POLICY_MAX_PORTS)
		return ps_perr(ps, line, "too many %.*s port ranges in %s \"%s\", at most %d",
		    (int)kw->len, kw->s, rule_kind(ps), ps->rule->name, POLICY_MAX_PORTS);
	for (i = pp->n; i > 0 && pp->r[i - 1].lo > pr->lo; i--)
		pp->r[i] = pp->r[i - 1];
	pp->r[i] = *pr;
	pp->n++;
	return 0;
}

/* tcp / udp: "80", "80,443", "8000-8080,443". */
static int
st_r_ports(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_ports *pp = ps_tok_is(kw, "tcp") ? &ps->rule->tcp : &ps->rule->udp;
	const char *s = v->s, *end = v->s + v->len, *comma;
	char b[SHOW_MAX + 8];
	struct port_range pr;
	int rc;

	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		rc = port_item(s, (size_t)((comma != NULL ? comma : end) - s), &pr);
		if (rc == -ERANGE)
			return ps_perr(ps, v->line, "%.*s port range '%.*s' is reversed, expected LOW-HIGH",
			    (int)kw->len, kw->s,
			    (int)((comma != NULL ? comma : end) - s), s);
		if (rc != 0)
			return ps_perr(ps, v->line, "bad %.*s ports '%s', expected ports from 1 to 65535 like 80,443,8000-8080",
			    (int)kw->len, kw->s, ps_show(v, b, sizeof(b)));
		if ((rc = ports_add(ps, kw, pp, &pr, v->line)) != 0)
			return rc;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

static const struct keyword service_kws[] = {
	{ "class", "prelogon or lgwan", S_R_CLASS, 0, st_r_class },
	{ "to", "a set name or a prefix", S_R_TO, 1, st_r_dest },
	{ "tcp", "ports like 80,443,8000-8080", S_R_TCP, 1, st_r_ports },
	{ "udp", "ports like 53,123", S_R_UDP, 1, st_r_ports },
	{ "icmp", "echo", S_R_ICMP, 0, st_r_icmp },
	{ "mode", "remote, office or any", S_R_MODE, 0, st_r_mode },
	{ "role", "a role name like clerk", S_R_ROLE, 1, st_r_role },
};
static const struct keyword inbound_kws[] = {
	{ "from", "a set name or a prefix", S_R_FROM, 1, st_r_dest },
	{ "tcp", "ports like 3389", S_R_TCP, 1, st_r_ports },
	{ "udp", "ports like 3389", S_R_UDP, 1, st_r_ports },
	{ "mode", "remote, office or any", S_R_MODE, 0, st_r_mode },
};
static const struct block service_block = { "service", service_kws,
	nitems(service_kws), "class, to, tcp, udp, icmp, mode or role" };
static const struct block inbound_block = { "inbound", inbound_kws,
	nitems(inbound_kws), "from, tcp, udp or mode" };

/* The common part of service and inbound: a new rule, its name, its block. */
/*
 * The rule of that kind named name so far, or NULL. By a hash table of
 * the names (indices into arr, + 1), kept at most half full: comparing
 * each name with every one before it was a fifth of parsing 1,000
 * services. Without the table (out of memory), by comparing them all.
 */
static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static const struct policy_rule *
rule_named(const struct parser *ps, int inbound, const struct policy_rule *arr, size_t n,
    const char *name)
{
	const size_t *t = ps->rule_slot[inbound];
	size_t ns = ps->n_rule_slot[inbound];

	if (t == NULL || ns < 2 * n) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(arr[i].name, name) == 0)
				return &arr[i];
		return NULL;
	}
	for (size_t k = name_hash(name) & (ns - 1); t[k] != 0; k = (k + 1) & (ns - 1))
		if (strcmp(arr[t[k] - 1].name, name) == 0)
			return &arr[t[k] - 1];
	return NULL;
}

/* arr[i]'s name into the table (grown as needed; dropped out of memory,
 * and rule_named compares them all). */
static void
rule_name_add(struct parser *ps, int inbound, const struct policy_rule *arr, size_t i)
{
	size_t ns = ps->n_rule_slot[inbound], *t = ps->rule_slot[inbound];

	if (2 * (i + 1) > ns) {
		size_t nn = ns ? 2 * ns : 64;

		while (2 * (i + 1) > nn)
			nn *= 2;
		free(t);
		if ((t = calloc(nn, sizeof(*t))) == NULL) {
			ps->rule_slot[inbound] = NULL;
			ps->n_rule_slot[inbound] = 0;
			return;
		}
		ps->rule_slot[inbound] = t;
		ps->n_rule_slot[inbound] = ns = nn;
		for (size_t j = 0; j < i; j++) {
			size_t k = name_hash(arr[j].name) & (ns - 1);

			while (t[k] != 0)
				k = (k + 1) & (ns - 1);
			t[k] = j + 1;
		}
	}
	if (t == NULL)
		return;
	for (size_t k = name_hash(arr[i].name) & (ns - 1);; k = (k + 1) & (ns - 1))
		if (t[k] == 0) {
			t[k] = i + 1;
			return;
		}
}

static int
rule_block(struct parser *ps, const struct token *kw, int inbound)
{
	struct policy *p = ps->p;
	struct policy_rule **arr = inbound ? &p->inbound : &p->services;
	size_t *n = inbound ? &p->n_inbound : &p->n_services;
	size_t *cap = inbound ? &ps->cap_inbound : &ps->cap_services;
	size_t max = inbound ? POLICY_MAX_INBOUND : POLICY_MAX_SERVICES;
	const char *kind = inbound ? "inbound" : "service";
	char name[POLICY_NAME], after[SHOW_MAX + 16];
	const struct policy_rule *dup;
	struct policy_rule *r;
	struct token t;
	void *nv;
	int rc;

	if (*n == max)
		return ps_perr(ps, kw->line, "too many %s rules, at most %zu", kind, max);
	if ((rc = ps_block_name(ps, kw, "a rule name", name, sizeof(name), &t)) != 0)
		return rc;
	if (!name_ok(name))
		return bad_name(ps, kind, &t);
	if ((dup = rule_named(ps, inbound, *arr, *n, name)) != NULL)
		return ps_perr(ps, t.line, "duplicate %s \"%s\", first given on line %u",
		    kind, name, dup->line);
	if ((nv = grow(*arr, cap, *n, sizeof(**arr))) == NULL)
		return oom(ps);
	*arr = nv;
	r = &(*arr)[(*n)++];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, sizeof(r->name));
	rule_name_add(ps, inbound, *arr, *n - 1);
	r->modes = POLICY_MODE_ANY;
	r->line = kw->line;
	ps->rule = r;
	ps->rule_anon = SIZE_MAX;
	for (int s = S_R_CLASS; s <= S_R_ROLE; s++)
		ps->seen[s] = 0;
	snprintf(after, sizeof(after), "%s \"%s\"", kind, name);
	return ps_open_block(ps, inbound ? &inbound_block : &service_block, after,
	    kw->line);
}

int
ps_bl_service(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_rule *r;
	int rc;

	(void)v;
	if ((rc = rule_block(ps, kw, 0)) != 0)
		return rc;
	r = ps->rule;
	if (r->class == 0)
		return ps_perr(ps, kw->line, "missing 'class' in service \"%s\", expected prelogon or lgwan",
		    r->name);
	if (r->n_sets == 0)
		return ps_perr(ps, kw->line, "missing 'to' in service \"%s\", at least one is required",
		    r->name);
	if (r->n_roles > 0 && r->class != POLICY_CLASS_LGWAN)
		return ps_perr(ps, ps->seen[S_R_ROLE], "'role' in service \"%s\" of class"
		    " prelogon: a role is who signed on, prelogon is before anyone did",
		    r->name);
	r->all = r->tcp.n == 0 && r->udp.n == 0 && !r->icmp;
	return 0;
}

int
ps_bl_inbound(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_rule *r;
	int rc;

	(void)v;
	if ((rc = rule_block(ps, kw, 1)) != 0)
		return rc;
	r = ps->rule;
	if (r->n_sets == 0)
		return ps_perr(ps, kw->line, "missing 'from' in inbound \"%s\", at least one is required",
		    r->name);
	if (r->tcp.n == 0 && r->udp.n == 0)
		return ps_perr(ps, kw->line, "missing 'tcp' or 'udp' in inbound \"%s\", an inbound rule names its ports",
		    r->name);
	return 0;
}

/* ---- distribution ---- */

static int
st_d_server(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_hostport(v, POLICY_DIST_PORT, &ps->p->dist_server) != 0)
		return ps_perr(ps, v->line, "bad server '%s', expected ADDRESS or ADDRESS:PORT like 10.64.0.9:%d",
		    ps_show(v, s, sizeof(s)), POLICY_DIST_PORT);
	ps->dist_server_line = v->line;
	return 0;
}

static int
st_d_interval(struct parser *ps, const struct token *kw, const struct token *v)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, 10, 86400, &n)) == 0)
		ps->p->dist_interval_s = (unsigned int)n;
	return rc;
}

static const struct keyword dist_kws[] = {
	{ "server", "ADDRESS or ADDRESS:PORT", S_D_SERVER, 0, st_d_server },
	{ "interval", "seconds from 10 to 86400", S_D_INTERVAL, 0, st_d_interval },
};
static const struct block dist_block = { "distribution", dist_kws,
	nitems(dist_kws), "server or interval" };

int
ps_bl_distribution(struct parser *ps, const struct token *kw, const struct token *v)
{
	int rc;

	(void)v;
	if ((rc = ps_open_block(ps, &dist_block, "distribution", kw->line)) != 0)
		return rc;
	if (ps->seen[S_D_SERVER] == 0)
		return ps_perr(ps, kw->line, "missing 'server' in 'distribution' block");
	return 0;
}

/* ---- verifier { }: sign-on (docs/sign-on.md) ---- */

static int
st_v_address(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_hostport(v, POLICY_VERIFIER_PORT, &ps->p->verifier) != 0)
		return ps_perr(ps, v->line, "bad verifier address '%s', expected ADDRESS or ADDRESS:PORT like 10.64.0.7:%d",
		    ps_show(v, s, sizeof(s)), POLICY_VERIFIER_PORT);
	return 0;
}

static int
v_key(struct parser *ps, const struct token *v, const char *what, uint8_t key[32])
{
	char b64[KEY_B64_LEN], s[SHOW_MAX + 8];

	if (v->len != KEY_B64_LEN - 1 || ps_tok_copy(v, b64, sizeof(b64)) != 0 ||
	    key_from_b64(key, b64) != 0)
		return ps_perr(ps, v->line, "%s '%s' is not a base64 32-byte key (44 characters ending in '=')",
		    what, ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_v_sign(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)kw;
	return v_key(ps, v, "sign-key", ps->p->verifier_sign);
}

static int
st_v_seal(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)kw;
	return v_key(ps, v, "seal-key", ps->p->verifier_seal);
}

/* The next keys: at most one of each (two pinned keys of a kind, the
 * current and the next, is what a key roll needs; a third is refused). */
static int
st_v_sign_next(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)kw;
	ps->p->has_verifier_sign_next = 1;
	return v_key(ps, v, "next-sign-key", ps->p->verifier_sign_next);
}

static int
st_v_seal_next(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)kw;
	ps->p->has_verifier_seal_next = 1;
	return v_key(ps, v, "next-seal-key", ps->p->verifier_seal_next);
}

static const struct keyword verifier_kws[] = {
	{ "address", "ADDRESS or ADDRESS:PORT", S_V_ADDRESS, 0, st_v_address },
	{ "sign-key", "a base64 32-byte key", S_V_SIGN, 0, st_v_sign },
	{ "seal-key", "a base64 32-byte key", S_V_SEAL, 0, st_v_seal },
	{ "next-sign-key", "a base64 32-byte key", S_V_SIGN_NEXT, 0, st_v_sign_next },
	{ "next-seal-key", "a base64 32-byte key", S_V_SEAL_NEXT, 0, st_v_seal_next },
};
static const struct block verifier_block = { "verifier", verifier_kws,
	nitems(verifier_kws),
	"address, sign-key, seal-key, next-sign-key or next-seal-key" };

int
ps_bl_verifier(struct parser *ps, const struct token *kw, const struct token *v)
{
	static const char *const need[3] = { "address", "sign-key", "seal-key" };
	int rc;

	(void)v;
	if ((rc = ps_open_block(ps, &verifier_block, "verifier", kw->line)) != 0)
		return rc;
	for (int i = 0; i < 3; i++)
		if (ps->seen[S_V_ADDRESS + i] == 0)
			return ps_perr(ps, kw->line, "missing '%s' in 'verifier' block",
			    need[i]);
	return 0;
}

/* ---- presence { }: the agent's re-verification (docs/agent.md) ---- */

static int
st_p_factor(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_tok_is(v, "card"))
		ps->p->presence = POLICY_PRESENCE_CARD;
	else if (ps_tok_is(v, "face"))
		ps->p->presence = POLICY_PRESENCE_FACE;
	else
		return ps_perr(ps, v->line, "bad presence factor '%s', expected card or face",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_p_period(struct parser *ps, const struct token *kw, const struct token *v)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, POLICY_PRESENCE_MIN, POLICY_PRESENCE_MAX, &n)) != 0)
		return rc;
	ps->p->presence_period_s = (unsigned int)n;
	return 0;
}

static const struct keyword presence_kws[] = {
	{ "factor", "card or face", S_P_FACTOR, 0, st_p_factor },
	{ "period", "seconds from 10 to 60", S_P_PERIOD, 0, st_p_period },
};
static const struct block presence_block = { "presence", presence_kws,
	nitems(presence_kws), "factor or period" };

int
ps_bl_presence(struct parser *ps, const struct token *kw, const struct token *v)
{
	int rc;

	(void)v;
	if ((rc = ps_open_block(ps, &presence_block, "presence", kw->line)) != 0)
		return rc;
	if (ps->seen[S_P_FACTOR] == 0)
		return ps_perr(ps, kw->line, "missing 'factor' in 'presence' block");
	if (ps->seen[S_P_PERIOD] == 0)
		return ps_perr(ps, kw->line, "missing 'period' in 'presence' block");
	ps->presence_line = kw->line;
	return 0;
}

/* ---- IPv6 addresses of the device and the work link ---- */

int
ps_st_tunnel6(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];
	uint8_t plen;

	(void)kw;
	if (ps_parse_prefix6(v, &ps->p->tunnel_addr6, &plen) != 0)
		return ps_perr(ps, v->line, "bad tunnel-address6 '%s', expected an address like fd00:77::2/128",
		    ps_show(v, s, sizeof(s)));
	if (plen != 128)
		return ps_perr(ps, v->line, "tunnel-address6 %s is not a /128, expected the device's own address like fd00:77::2/128",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

int
ps_st_address6(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_prefix6(v, &ps->p->work_addr6, &ps->p->work_plen6) != 0 ||
	    ps->p->work_plen6 < 64 || ps->p->work_plen6 > 127)
		return ps_perr(ps, v->line, "bad address6 '%s', expected an address and prefix length from 64 to 127 like fd00:30::2/64",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

int
ps_st_router6(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8], buf[INET6_ADDRSTRLEN];

	(void)kw;
	if (v->len >= sizeof(buf) || (memcpy(buf, v->s, v->len), buf[v->len] = '\0',
	    inet_pton(AF_INET6, buf, &ps->p->work_router6) != 1))
		return ps_perr(ps, v->line, "bad router6 '%s', expected an IPv6 address",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

/* ---- checks over the whole file ---- */

static int
cmp_name(const void *a, const void *b, void *arg)
{
	const struct policy_set *sets = arg;

	return strcmp(sets[*(const size_t *)a].name, sets[*(const size_t *)b].name);
}

/* The index of the named set called name, by binary search over byname. */
static size_t
find_set(const struct policy *p, const size_t *byname, size_t n, const char *name)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(p->sets[byname[mid]].name, name)) == 0)
			return byname[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static int
resolve_refs(struct parser *ps)
{
	struct policy *p = ps->p;
	size_t *byname, n = 0, idx;
	int rc = 0;

	if ((byname = calloc(p->n_sets + 1, sizeof(*byname))) == NULL)
		return oom(ps);
	for (size_t i = 0; i < p->n_sets; i++)
		if (p->sets[i].name[0] != '\0')
			byname[n++] = i;
	qsort_r(byname, n, sizeof(*byname), cmp_name, p->sets);
	for (size_t i = 0; i < ps->n_refs && rc == 0; i++) {
		const struct set_ref *r = &ps->refs[i];

		if ((idx = find_set(p, byname, n, r->name)) == SIZE_MAX)
			rc = ps_perr(ps, r->line, "unknown set \"%s\", no set \"%s\" { } in this file",
			    r->name, r->name);
		else if (r->rule == SIZE_MAX)
			p->lgwan_sets[r->k] = idx;
		else if (r->inbound)
			p->inbound[r->rule].sets[r->k] = idx;
		else
			p->services[r->rule].sets[r->k] = idx;
	}
	free(byname);
	return rc;
}

/* lgwan = the union of its own prefixes and its sets, sorted, disjoint. */
static int
lgwan_union(struct parser *ps)
{
	struct policy *p = ps->p;
	size_t n4 = 0, n6 = 0, k4 = 0, k6 = 0;
	int rc;

	for (size_t i = 0; i < p->n_lgwan_sets; i++) {
		n4 += p->sets[p->lgwan_sets[i]].n4;
		n6 += p->sets[p->lgwan_sets[i]].n6;
	}
	if (n4 > POLICY_MAX_PREFIXES || n6 > POLICY_MAX_PREFIXES)
		return ps_perr(ps, ps->seen[S_LGWAN], "too many prefixes in 'lgwan' block and its sets, at most %d",
		    POLICY_MAX_PREFIXES);
	p->lgwan = calloc(n4 + 1, sizeof(*p->lgwan));
	p->lgwan6 = calloc(n6 + 1, sizeof(*p->lgwan6));
	if (p->lgwan == NULL || p->lgwan6 == NULL)
		return oom(ps);
	for (size_t i = 0; i < p->n_lgwan_sets; i++) {
		const struct policy_set *s = &p->sets[p->lgwan_sets[i]];

		if (s->n4 > 0)
			memcpy(p->lgwan + k4, s->v4, s->n4 * sizeof(*s->v4));
		if (s->n6 > 0)
			memcpy(p->lgwan6 + k6, s->v6, s->n6 * sizeof(*s->v6));
		k4 += s->n4;
		k6 += s->n6;
	}
	p->n_lgwan = n4;
	p->n_lgwan6 = n6;
	if ((rc = ps_sort_check4(ps, p->lgwan, n4)) != 0)
		return rc;
	return ps_sort_check6(ps, p->lgwan6, n6);
}

int
ps_check_sets(struct parser *ps)
{
	struct policy *p = ps->p;
	int rc;

	if (ps->seen[S_PREFIX] == 0 && ps->seen[S_LGWAN_SET] == 0)
		return ps_perr(ps, 0, "missing 'prefix' or 'set' in 'lgwan' block, at least one is required");
	if ((rc = resolve_refs(ps)) != 0)
		return rc;
	for (size_t i = 0; i < p->n_sets; i++)
		if ((rc = ps_sort_check4(ps, p->sets[i].v4, p->sets[i].n4)) != 0 ||
		    (rc = ps_sort_check6(ps, p->sets[i].v6, p->sets[i].n6)) != 0)
			return rc;
	return lgwan_union(ps);
}

/* Every prefix a rule names lies inside one lgwan prefix: the rule can only
 * ever narrow what lgwan routes. A set that passed (done[k] set) is not
 * looked at again: a set shared by many services (ten each in the bench's
 * 1,000) cost a binary search per prefix per service, a third of the
 * parse. The first rule naming a set that fails is the one named, as
 * before. */
static int
rule_inside(struct parser *ps, const struct policy_rule *r, const char *kind,
    const char *what, unsigned char *done)
{
	const struct policy *p = ps->p;
	char b[PS_PREFIX6_LEN];

	for (size_t k = 0; k < r->n_sets; k++) {
		const struct policy_set *s = &p->sets[r->sets[k]];

		if (done != NULL && done[r->sets[k]])
			continue;
		for (size_t i = 0; i < s->n4; i++) {
			const struct prefix4 *pf = &s->v4[i];

			if (!ps_inside4(p->lgwan, p->n_lgwan, ps_first_of(pf->addr, pf->plen),
			    ps_last_of(pf->addr, pf->plen)))
				return ps_perr(ps, pf->line, "%s \"%s\" %s %s is outside every lgwan prefix",
				    kind, r->name, what, ps_fmt_prefix(pf->addr, pf->plen, b));
		}
		for (size_t i = 0; i < s->n6; i++) {
			const struct prefix6 *pf = &s->v6[i];
			struct in6_addr l = ps_last6(&pf->addr, pf->plen);

			if (!ps_inside6(p->lgwan6, p->n_lgwan6, &pf->addr, &l))
				return ps_perr(ps, pf->line, "%s \"%s\" %s %s is outside every lgwan prefix",
				    kind, r->name, what, ps_fmt_prefix6(&pf->addr, pf->plen, b));
		}
		if (done != NULL)
			done[r->sets[k]] = 1;
	}
	return 0;
}

static int
check_v6(struct parser *ps)
{
	struct policy *p = ps->p;
	static const struct { enum slot slot; const char *what; } need[] = {
		{ S_TUNNEL6, "'tunnel-address6' in 'device' block" },
		{ S_ADDRESS6, "'address6' in 'work' block" },
		{ S_ROUTER6, "'router6' in 'work' block" },
	};
	char b[PS_PREFIX6_LEN];
	unsigned int any = 0;
	struct in6_addr f, l;

	for (size_t i = 0; i < nitems(need); i++)
		any = any ? any : ps->seen[need[i].slot];
	if (any == 0 && p->n_lgwan6 > 0)
		return ps_perr(ps, p->lgwan6[0].line, "IPv6 prefix %s needs the device's and the work link's IPv6 addresses, missing 'tunnel-address6' in 'device' block",
		    ps_fmt_prefix6(&p->lgwan6[0].addr, p->lgwan6[0].plen, b));
	if (any == 0)
		return 0;
	for (size_t i = 0; i < nitems(need); i++)
		if (ps->seen[need[i].slot] == 0)
			return ps_perr(ps, any, "missing %s, IPv6 needs all of tunnel-address6, address6 and router6",
			    need[i].what);
	f = ps_first6(&p->work_addr6, p->work_plen6);
	l = ps_last6(&p->work_addr6, p->work_plen6);
	if (memcmp(&p->work_router6, &f, 16) < 0 || memcmp(&p->work_router6, &l, 16) > 0 ||
	    memcmp(&p->work_router6, &p->work_addr6, 16) == 0)
		return ps_perr(ps, ps->seen[S_ROUTER6], "router6 is not another address in the work subnet %s",
		    ps_fmt_prefix6(&f, p->work_plen6, b));
	if (ps_overlap6(p->lgwan6, p->n_lgwan6, &f, &l) != NULL)
		return ps_perr(ps, ps->seen[S_ADDRESS6], "work subnet %s overlaps an lgwan prefix",
		    ps_fmt_prefix6(&f, p->work_plen6, b));
	p->has_v6 = 1;
	return 0;
}

int
ps_check_rules(struct parser *ps)
{
	struct policy *p = ps->p;
	char a[INET_ADDRSTRLEN];
	unsigned char *done;
	int rc;

	if ((rc = check_v6(ps)) != 0)
		return rc;
	/* NULL (out of memory): every set checked for every rule, as slow
	 * as it is right */
	done = calloc(p->n_sets + 1, 1);
	for (size_t i = 0; rc == 0 && i < p->n_services; i++)
		rc = rule_inside(ps, &p->services[i], "service", "destination", done);
	for (size_t i = 0; rc == 0 && i < p->n_inbound; i++)
		rc = rule_inside(ps, &p->inbound[i], "inbound", "source", done);
	free(done);
	if (rc != 0)
		return rc;
	if (p->dist_server.sin_family == AF_INET &&
	    !policy_prefix_contains(p, p->dist_server.sin_addr))
		return ps_perr(ps, ps->dist_server_line, "distribution server %s is outside every lgwan prefix, it must be reached through the tunnel or the office LAN",
		    ps_fmt_addr(p->dist_server.sin_addr, a));
	/* the agent learns presence from the sign-on relay, which runs only
	 * where the policy names a verifier */
	if (p->presence != POLICY_PRESENCE_NONE && p->verifier.sin_family != AF_INET)
		return ps_perr(ps, ps->presence_line, "presence needs a 'verifier' block: the agent learns it when it signs on");
	return 0;
}

void
ps_parser_free(struct parser *ps)
{
	free(ps->refs);
	ps->refs = NULL;
	for (int k = 0; k < 2; k++) {
		free(ps->rule_slot[k]);
		ps->rule_slot[k] = NULL;
		ps->n_rule_slot[k] = 0;
	}
	ps->n_refs = ps->cap_refs = 0;
}
