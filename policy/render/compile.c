/* The policy compiled to nftables (compile.h). The netvm's ruleset comes
 * from fw_render (fw_render.c) and nowhere else, so that what is
 * reviewed here is what sekishod loads. */
#include "policy/render/compile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ifname.h"
#include "policy/render/fw_render.h"
#include "policy/render/fw_rules.h"
#include "policy/policy.h"

int
compile_netvm(const struct policy *p, const struct compile_netvm *o,
    struct buf *out, struct sk_error *err)
{
	struct fw_params fp = {
	    .mode = o->mode, .pol = p, .work_if = o->work_if,
	    .tun_if = o->tun_if, .uplink = o->uplink };

	if (!ifname_valid(o->work_if))
		return sk_errorf(err, EINVAL, "bad work interface name '%s'", o->work_if);
	if (!ifname_valid(o->tun_if))
		return sk_errorf(err, EINVAL, "bad tunnel interface name '%s'", o->tun_if);
	if (o->mode == MODE_OFFICE && o->uplink == NULL)
		return sk_errorf(err, EINVAL, "office mode needs the office uplink's name");
	if (o->uplink != NULL && !ifname_valid(o->uplink))
		return sk_errorf(err, EINVAL, "bad uplink name '%s'", o->uplink);
	fw_render(&fp, out);
	return 0;
}

/* ---- gateway ---- */

static const char *
ip4(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int
unique_tunnels(const struct policy *const *pols, const char *const *names,
    size_t n, struct sk_error *err)
{
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (pols[i]->tunnel_addr.s_addr == pols[j]->tunnel_addr.s_addr)
				return sk_errorf(err, EINVAL,
				    "%s: tunnel-address %s is also the tunnel-address of %s",
				    names[i], ip4(pols[i]->tunnel_addr, a), names[j]);
	return 0;
}

/* ---- one group: the sets and rules its devices share ---- */

static void
elements(struct buf *o, const struct policy_set *s)
{
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < s->n4; i++)
		buf_printf(o, "%s %s/%u", i ? "," : "", ip4(s->v4[i].addr, a),
		    s->v4[i].plen);
}

/* A service or inbound rule that applies through the gateway names set i. */
static int
set_used(const struct policy *p, size_t i)
{
	for (size_t r = 0; r < p->n_services + p->n_inbound; r++) {
		const struct policy_rule *x = r < p->n_services ? &p->services[r] :
		    &p->inbound[r - p->n_services];

		if ((x->modes & POLICY_MODE_REMOTE) == 0)
			continue;
		for (size_t k = 0; k < x->n_sets; k++)
			if (x->sets[k] == i)
				return 1;
	}
	return 0;
}

/* The IPv4 sets a group's rules use, named g<G>_s<I> after the policy's
 * own set index I. */
static void
group_sets(const struct policy *p, size_t g, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tset lgwan_%zu {\n\t\ttype ipv4_addr\n"
	    "\t\tflags interval\n\t\telements = {", g);
	for (size_t i = 0; i < p->n_lgwan; i++)
		buf_printf(o, "%s %s/%u", i ? "," : "", ip4(p->lgwan[i].addr, a),
		    p->lgwan[i].plen);
	buf_printf(o, " }\n\t}\n\tset resolvers_%zu {\n\t\ttype ipv4_addr\n"
	    "\t\telements = {", g);
	for (size_t i = 0; i < p->n_resolvers; i++)
		buf_printf(o, "%s %s", i ? "," : "", ip4(p->resolvers[i], a));
	buf_printf(o, " }\n\t}\n");
	for (size_t i = 0; i < p->n_sets; i++) {
		if (p->sets[i].n4 == 0 || !set_used(p, i))
			continue;
		buf_printf(o, "\tset g%zu_s%zu {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		    "\t\telements = {", g, i);
		elements(o, &p->sets[i]);
		buf_printf(o, " }\n\t}\n");
	}
}

/* Device -> LGWAN: DNS to the group's resolvers only, then its services;
 * a service of class lgwan only for devices in @signed_on (the stage a
 * verified sign-on puts a device in). No services: all of lgwan, at every
 * stage, as before classes existed. */
static void
group_forward(const struct policy *p, const char *t, size_t g, struct buf *o)
{
	char head[192], tail[POLICY_NAME + 48];

	buf_printf(o, "\t\tiifname \"%s\" ip saddr @devices_%zu udp dport 53 ip daddr != @resolvers_%zu counter reject with icmpx admin-prohibited\n"
	    "\t\tiifname \"%s\" ip saddr @devices_%zu tcp dport { 53, 853 } ip daddr != @resolvers_%zu counter reject with tcp reset\n",
	    t, g, g, t, g, g);
	if (p->n_services == 0) {
		buf_printf(o, "\t\tiifname \"%s\" ip saddr @devices_%zu ip daddr @lgwan_%zu counter accept\n",
		    t, g, g);
		return;
	}
	buf_printf(o, "\t\tiifname \"%s\" ip saddr @devices_%zu ip daddr @resolvers_%zu meta l4proto { tcp, udp } th dport 53 counter accept\n",
	    t, g, g);
	for (size_t i = 0; i < p->n_services; i++) {
		const struct policy_rule *r = &p->services[i];
		int lg = r->class == POLICY_CLASS_LGWAN;

		if ((r->modes & POLICY_MODE_REMOTE) == 0)
			continue;
		snprintf(tail, sizeof(tail), " counter accept comment \"%s %s\"",
		    lg ? "lgwan" : "prelogon", r->name);
		/* a service for some roles: one rule per role, its set instead
		 * of @signed_on (a device is in role_R only while a user of
		 * role R is signed on on it) */
		for (size_t q = 0; q < (r->n_roles ? r->n_roles : 1); q++) {
			char stage[POLICY_ROLE_MAX + 24] = "";

			if (lg)
				snprintf(stage, sizeof(stage), " ip saddr @%s%s",
				    r->n_roles ? COMPILE_GW_ROLE_PREFIX : "signed_on",
				    r->n_roles ? r->roles[q] : "");
			for (size_t k = 0; k < r->n_sets; k++) {
				if (p->sets[r->sets[k]].n4 == 0)
					continue;
				snprintf(head, sizeof(head), "\t\tiifname \"%s\" ip saddr @devices_%zu%s ip daddr @g%zu_s%zu",
				    t, g, stage, g, r->sets[k]);
				fw_rule_lines(o, head, r, 0, tail);
			}
		}
	}
}

/* LGWAN -> device: new connections only where an inbound rule allows. */
static void
group_inbound(const struct policy *p, const char *t, size_t g, struct buf *o)
{
	char head[192], tail[POLICY_NAME + 48];

	for (size_t i = 0; i < p->n_inbound; i++) {
		const struct policy_rule *r = &p->inbound[i];

		if ((r->modes & POLICY_MODE_REMOTE) == 0)
			continue;
		snprintf(tail, sizeof(tail), " ct state new counter accept comment \"inbound %s\"",
		    r->name);
		for (size_t k = 0; k < r->n_sets; k++) {
			if (p->sets[r->sets[k]].n4 == 0)
				continue;
			snprintf(head, sizeof(head), "\t\toifname \"%s\" ip daddr @devices_%zu ip saddr @g%zu_s%zu",
			    t, g, g, r->sets[k]);
			fw_rule_lines(o, head, r, 0, tail);
		}
	}
}

struct text {
	struct buf sets, fwd, in;
};

struct group {
	struct text txt;		/* rendered with the group's number */
	struct text key;		/* rendered with 0: what devices compare to */
};

static void
text_render(struct text *x, const struct policy *p, const char *t, size_t g)
{
	buf_init(&x->sets);
	buf_init(&x->fwd);
	buf_init(&x->in);
	group_sets(p, g, &x->sets);
	group_forward(p, t, g, &x->fwd);
	group_inbound(p, t, g, &x->in);
}

static void
text_free(struct text *x)
{
	buf_free(&x->sets);
	buf_free(&x->fwd);
	buf_free(&x->in);
}

static int
text_same(const struct text *a, const struct text *b)
{
	return a->sets.len == b->sets.len && a->fwd.len == b->fwd.len &&
	    a->in.len == b->in.len && !a->sets.oom && !b->sets.oom &&
	    !a->fwd.oom && !b->fwd.oom && !a->in.oom && !b->in.oom &&
	    memcmp(a->sets.p, b->sets.p, a->sets.len) == 0 &&
	    memcmp(a->fwd.p, b->fwd.p, a->fwd.len) == 0 &&
	    (a->in.len == 0 || memcmp(a->in.p, b->in.p, a->in.len) == 0);
}

static void
group_free(struct group *gr)
{
	text_free(&gr->txt);
	text_free(&gr->key);
}

/* group[i]: the group of policy i, numbered from 1 in order of first
 * appearance; devices whose sets and rules render the same share one.
 * Each policy is rendered once to compare and each group once more with
 * its number. Returns the number of groups, their texts in grs. */
static size_t
make_groups(const struct policy *const *pols, size_t n, const char *t,
    size_t *group, struct group *grs)
{
	size_t ng = 0;

	for (size_t i = 0; i < n; i++) {
		struct text key;
		size_t g;

		text_render(&key, pols[i], t, 0);
		for (g = 0; g < ng && !text_same(&grs[g].key, &key); g++)
			;
		if (g == ng) {
			grs[ng].key = key;
			text_render(&grs[ng].txt, pols[i], t, ng + 1);
			ng++;
		} else
			text_free(&key);
		group[i] = g + 1;
	}
	return ng;
}

static void
render_devices(const struct policy *const *pols, size_t n, const size_t *group,
    size_t g, int empty, struct buf *o)
{
	char a[INET_ADDRSTRLEN];
	const char *sep = "";

	if (empty) {
		buf_printf(o, "\tset devices_%zu {\n\t\ttype ipv4_addr\n\t}\n", g);
		return;
	}
	buf_printf(o, "\tset devices_%zu {\n\t\ttype ipv4_addr\n\t\telements = {", g);
	for (size_t i = 0; i < n; i++)
		if (group[i] == g) {
			buf_printf(o, "%s %s", sep, ip4(pols[i]->tunnel_addr, a));
			sep = ",";
		}
	buf_printf(o, " }\n\t}\n");
}

/* One set per role that a service of any group names, by name (the
 * gateway puts a device's address in role_R while a user of role R is
 * signed on on it, with the session's timeout, as in signed_on). In
 * order of first appearance, each once; the distinct roles are few (at
 * most COMPILE_GW_MAX_ROLES: -E2BIG past them). */
static int
render_roles(const struct policy *const *pols, size_t n, struct buf *o)
{
	const char *seen[COMPILE_GW_MAX_ROLES];
	size_t ns = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < pols[i]->n_services; j++) {
			const struct policy_rule *r = &pols[i]->services[j];

			for (size_t q = 0; q < r->n_roles; q++) {
				size_t k;

				for (k = 0; k < ns && strcmp(seen[k], r->roles[q]); k++)
					;
				if (k < ns)
					continue;
				if (ns == COMPILE_GW_MAX_ROLES)
					return -E2BIG;
				seen[ns++] = r->roles[q];
				buf_printf(o, "\tset %s%s {\n\t\ttype ipv4_addr\n"
				    "\t\tflags timeout\n\t}\n", COMPILE_GW_ROLE_PREFIX,
				    r->roles[q]);
			}
		}
	return 0;
}

/* The gateway's other traffic is not this table's business (policy
 * accept); everything through the tunnel interface is. Of what a peer
 * sends to the gateway itself, only an ICMP echo request to the
 * gateway's own tunnel address (an address of the tunnel interface: fib
 * daddr . iif type local) is taken, whatever the device's stage: it is
 * the laptop's liveness probe (docs/gateway.md, "Liveness"), not LGWAN.
 * WireGuard takes a packet on the interface only from a peer, with a
 * source within its allowed IPs (its tunnel address). An echo to any
 * other of the gateway's addresses (its LGWAN side, its public one) is
 * dropped with the rest. */
static void
render_gw_chains(const char *t, const struct group *grs, size_t ng, struct buf *o)
{
	buf_printf(o, "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy accept;\n"
	    "\t\tiifname \"%s\" ct state established,related accept\n"
	    "\t\tiifname \"%s\" icmp type echo-request fib daddr . iif type local counter accept comment \"liveness\"\n"
	    "\t\tiifname \"%s\" counter drop\n\t}\n", t, t, t);
	buf_printf(o, "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tiifname \"%s\" meta nfproto ipv6 counter drop\n"
	    "\t\toifname \"%s\" meta nfproto ipv6 counter drop\n"
	    "\t\toifname \"%s\" ct state established,related accept\n", t, t, t);
	for (size_t g = 0; g < ng; g++)
		buf_printf(o, "%s", grs[g].txt.in.len ? buf_str(&grs[g].txt.in) : "");
	buf_printf(o, "\t\toifname \"%s\" counter drop\n"
	    "\t\tiifname \"%s\" ct state invalid counter drop\n", t, t);
	for (size_t g = 0; g < ng; g++)
		buf_printf(o, "%s", buf_str(&grs[g].txt.fwd));
	buf_printf(o, "\t\tiifname \"%s\" counter drop\n\t}\n", t);
}

static int
gateway(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, size_t *group_out, struct buf *out, struct sk_error *err)
{
	struct group *grs;
	size_t *group, ng;
	int rc;

	if (!ifname_valid(tun_if))
		return sk_errorf(err, EINVAL, "bad tunnel interface name '%s'", tun_if);
	if (n == 0)
		return sk_errorf(err, EINVAL, "no policy to compile");
	if (group_out == NULL && (rc = unique_tunnels(pols, names, n, err)) != 0)
		return rc;
	group = calloc(n, sizeof(*group));
	grs = calloc(n, sizeof(*grs));
	if (group == NULL || grs == NULL) {
		free(group);
		free(grs);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	ng = make_groups(pols, n, tun_if, group, grs);
	buf_printf(out, "table inet %s\ndelete table inet %s\ntable inet %s {\n"
	    "\tset signed_on {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n",
	    COMPILE_GW_TABLE, COMPILE_GW_TABLE, COMPILE_GW_TABLE);
	if (render_roles(pols, n, out) < 0) {
		for (size_t g = 0; g < ng; g++)
			group_free(&grs[g]);
		free(group);
		free(grs);
		return sk_errorf(err, E2BIG, "the policies name more than %d roles",
		    COMPILE_GW_MAX_ROLES);
	}
	for (size_t g = 0; g < ng; g++) {
		render_devices(pols, n, group, g + 1, group_out != NULL, out);
		buf_printf(out, "%s", buf_str(&grs[g].txt.sets));
	}
	render_gw_chains(tun_if, grs, ng, out);
	buf_printf(out, "}\n");
	for (size_t g = 0; g < ng; g++)
		group_free(&grs[g]);
	if (group_out != NULL)
		memcpy(group_out, group, n * sizeof(*group));
	free(group);
	free(grs);
	return 0;
}

int
compile_gateway(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, struct buf *out, struct sk_error *err)
{
	return gateway(pols, names, n, tun_if, NULL, out, err);
}

int
compile_gateway_groups(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, size_t *group, struct buf *out, struct sk_error *err)
{
	return gateway(pols, names, n, tun_if, group, out, err);
}
