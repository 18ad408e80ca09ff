/* The policy's rules in the netvm's ruleset (docs/policy.md, "Sets,
 * services and inbound rules"): the sets the rules name, as interval sets
 * so a lookup costs the same for 10 prefixes or 10,000; the services of
 * the mode in force through fw_svc.c's class map and three sets; the
 * inbound rules as a DNAT to the work partition plus the accept of what was
 * translated; the gateways as one set of address . port. */
#include "policy/render/fw_rules.h"
#include "policy/render/fw_svc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/render/mode.h"
#include "policy/policy.h"

/* n's decimal digits at p; their end. */
static char *
put_dec(char *p, unsigned int n)
{
	char d[10];
	int k = 0;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	while (k > 0)
		*p++ = d[--k];
	return p;
}

void
fw_put_prefix4(struct buf *o, const char *sep, struct in_addr a, unsigned int plen)
{
	char t[40], *p = t;
	uint32_t h = ntohl(a.s_addr);
	size_t n = strlen(sep);

	if (n > 8)
		n = 8;
	memcpy(p, sep, n);
	p += n;
	for (int i = 3; i >= 0; i--) {
		p = put_dec(p, (h >> (8 * i)) & 0xff);
		if (i > 0)
			*p++ = '.';
	}
	*p++ = '/';
	p = put_dec(p, plen);
	buf_add(o, t, (size_t)(p - t));
}

static void
elements4(struct buf *o, const struct prefix4 *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fw_put_prefix4(o, i ? ", " : " ", v[i].addr, v[i].plen);
}

static void
elements6(struct buf *o, const struct prefix6 *v, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++)
		buf_printf(o, "%s %s/%u", i ? "," : "",
		    inet_ntop(AF_INET6, &v[i].addr, a, sizeof(a)), v[i].plen);
}

static void
set_decl(struct buf *o, const char *name, int v6)
{
	buf_printf(o, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n\t\telements = {",
	    name, v6 ? "ipv6_addr" : "ipv4_addr");
}

/* Marks in used[] (one per policy set) the sets that rules name. */
static void
mark_used(const struct policy_rule *v, size_t n, unsigned char *used)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i].n_sets; k++)
			used[v[i].sets[k]] = 1;
}

/*
 * The verdict of work's established flows, kept in their conntrack mark
 * (docs/policy.md, "What a packet costs"): a service's accept writes
 * into the flow's conntrack mark the generation of the policy and path
 * that accepted it (map fwd_gen, by the path mark), and from then on
 * the flow's packets are accepted at once while the pair (conntrack
 * mark, path mark) is in set fwd_cached, without the lookups in the
 * services' map and sets. Both are the policy's: a new policy changes
 * their elements in the same transaction as everything else, so a flow
 * accepted under the old one is looked up whole again from its next
 * packet, and refused then if the new one withdrew its destination; a
 * flow accepted on one path is not taken for accepted on the other.
 * Office mode's mark (which routes work's packets onto the office LAN,
 * fw_render.c's modemark) is cached the same way: set fwd_cached_office
 * holds office mode's generation alone, and a flow a service accepted
 * in office mode under this policy was bound for LGWAN or a resolver of
 * this policy, so its packets take the mark without the lookup in lgwan.
 *
 * A generation is a hash of the serial and of everything a service's
 * verdict reads (the LGWAN prefixes, which office mode's mark follows;
 * the services and their sets, fw_section_key; lgwan6), and of the
 * path: equal for equal policies (a full load and a change by
 * difference give the same table), different otherwise but for a 31-bit
 * collision of the hash. The top bit is set, so no generation is 0 or
 * FW_DNS_CTMARK (the one other conntrack mark sekishod writes, to work's
 * DNS flows, which no service's accept sees: the DNS rules decide them
 * first).
 */
static void
key_add(struct buf *k, const void *v, size_t n)
{
	buf_add(k, v, n);
}

static int
policy_gens(const struct fw_params *p, uint32_t gen[2])
{
	const struct policy *pol = p->pol;
	static const unsigned int marks[2] = { SK_MARK_TUNNEL, SK_MARK_OFFICE };
	struct buf k;
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	buf_init(&k);
	key_add(&k, &pol->serial, sizeof(pol->serial));
	fw_section_key(p, FW_SEC_LGWAN, &k);
	fw_section_key(p, FW_SEC_SVC, &k);
	key_add(&k, &pol->n_lgwan6, sizeof(pol->n_lgwan6));
	for (size_t i = 0; i < pol->n_lgwan6; i++) {
		key_add(&k, &pol->lgwan6[i].addr, sizeof(pol->lgwan6[i].addr));
		key_add(&k, &pol->lgwan6[i].plen, sizeof(pol->lgwan6[i].plen));
	}
	if (k.oom) {
		buf_free(&k);
		return -1;
	}
	for (size_t i = 0; i < k.len; i++)
		h = (h ^ (unsigned char)k.p[i]) * 1099511628211ULL;
	buf_free(&k);
	for (int m = 0; m < 2; m++) {
		uint64_t x = (h ^ marks[m]) * 1099511628211ULL;

		gen[m] = 0x80000000u | (uint32_t)((x ^ (x >> 31)) & 0x7fffffffu);
	}
	return 0;
}

static void
render_gens(const struct fw_params *p, struct buf *o)
{
	uint32_t g[2];

	if (policy_gens(p, g) < 0) {
		buf_printf(o, "# out of memory\n");	/* nft refuses the text */
		return;
	}
	buf_printf(o, "\tset fwd_cached {\n\t\ttype mark . mark\n"
	    "\t\telements = { 0x%x . 0x%x, 0x%x . 0x%x }\n\t}\n"
	    "\tmap fwd_gen {\n\t\ttype mark : mark\n"
	    "\t\telements = { 0x%x : 0x%x, 0x%x : 0x%x }\n\t}\n"
	    "\tset fwd_cached_office {\n\t\ttype mark\n"
	    "\t\telements = { 0x%x }\n\t}\n",
	    g[0], SK_MARK_TUNNEL, g[1], SK_MARK_OFFICE,
	    SK_MARK_TUNNEL, g[0], SK_MARK_OFFICE, g[1], g[1]);
}

void
fw_render_rule_sets(const struct fw_params *p, struct buf *o)
{
	const struct policy *pol = p->pol;
	unsigned char *used;
	char a[INET_ADDRSTRLEN], name[32];

	render_gens(p, o);

	buf_printf(o, "\tset gateways {\n\t\ttype ipv4_addr . inet_service\n\t\telements = {");
	for (size_t i = 0; i < pol->n_gateways; i++)
		buf_printf(o, "%s %s . %u", i ? "," : "",
		    inet_ntop(AF_INET, &pol->gateways[i].endpoint.sin_addr, a, sizeof(a)),
		    ntohs(pol->gateways[i].endpoint.sin_port));
	buf_printf(o, " }\n\t}\n");
	if (pol->n_lgwan6 > 0) {
		set_decl(o, "lgwan6", 1);
		elements6(o, pol->lgwan6, pol->n_lgwan6);
		buf_printf(o, " }\n\t}\n");
	}
	if ((used = calloc(pol->n_sets + 1, 1)) == NULL) {
		buf_printf(o, "# out of memory\n");	/* nft refuses the text */
		return;
	}
	mark_used(pol->inbound, pol->n_inbound, used);
	for (size_t i = 0; i < pol->n_sets; i++) {
		const struct policy_set *s = &pol->sets[i];

		if (!used[i])
			continue;
		if (s->n4 > 0) {
			snprintf(name, sizeof(name), "s%zu", i);
			set_decl(o, name, 0);
			elements4(o, s->v4, s->n4);
			buf_printf(o, " }\n\t}\n");
		}
		if (s->n6 > 0) {
			snprintf(name, sizeof(name), "s%zu_6", i);
			set_decl(o, name, 1);
			elements6(o, s->v6, s->n6);
			buf_printf(o, " }\n\t}\n");
		}
	}
	free(used);
}

static void
ports(struct buf *o, const struct policy_ports *pp)
{
	buf_printf(o, "{");
	for (size_t i = 0; i < pp->n; i++) {
		buf_printf(o, "%s %u", i ? "," : "", pp->r[i].lo);
		if (pp->r[i].hi != pp->r[i].lo)
			buf_printf(o, "-%u", pp->r[i].hi);
	}
	buf_printf(o, " }");
}

void
fw_rule_lines(struct buf *o, const char *head, const struct policy_rule *r,
    int v6, const char *tail)
{
	if (r->all) {
		buf_printf(o, "%s%s\n", head, tail);
		return;
	}
	if (r->tcp.n > 0) {
		buf_printf(o, "%s tcp dport ", head);
		ports(o, &r->tcp);
		buf_printf(o, "%s\n", tail);
	}
	if (r->udp.n > 0) {
		buf_printf(o, "%s udp dport ", head);
		ports(o, &r->udp);
		buf_printf(o, "%s\n", tail);
	}
	if (r->icmp)
		buf_printf(o, "%s %s%s\n", head, v6 ? "icmpv6 type echo-request" :
		    "icmp type echo-request", tail);
}

/* Work -> LGWAN: the services of this mode, or with no services at all
 * every lgwan destination (what a policy without services means). */
void
fw_render_services(const struct fw_params *p, struct buf *o, const char *out)
{
	const struct policy *pol = p->pol;
	const char *w = p->work_if;

	if (pol->n_services == 0) {
		/* the packet carries the mode's path mark (modemark) */
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter accept\n",
		    w, out);
		if (pol->n_lgwan6 > 0 && p->mode == MODE_REMOTE)
			buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ip6 daddr @lgwan6 ct mark set meta mark map @fwd_gen counter accept\n",
			    w, out);
		return;
	}
	fw_svc_rules(p, o, out);
}

/* The path inbound rules arrive on in this mode: the tunnel, or the office
 * uplink. IPv4 only. */
static const char *
inbound_if(const struct fw_params *p)
{
	return p->mode == MODE_OFFICE ? p->uplink : p->tun_if;
}

/* dstnat: LGWAN -> the device's address on the path, to work's address. */
void
fw_render_inbound_nat(const struct fw_params *p, struct buf *o)
{
	const struct policy *pol = p->pol;
	char head[256], tail[INET_ADDRSTRLEN + POLICY_NAME + 48], a[INET_ADDRSTRLEN];

	if (p->mode == MODE_BLOCKED)
		return;
	inet_ntop(AF_INET, &pol->work_addr, a, sizeof(a));
	for (size_t i = 0; i < pol->n_inbound; i++) {
		const struct policy_rule *r = &pol->inbound[i];

		if (!fw_svc_active(p, r))
			continue;
		snprintf(tail, sizeof(tail), " dnat ip to %s comment \"inbound %s\"", a, r->name);
		for (size_t k = 0; k < r->n_sets; k++) {
			if (pol->sets[r->sets[k]].n4 == 0)
				continue;
			snprintf(head, sizeof(head), "\t\tiifname \"%s\" fib daddr type local ip saddr @s%zu",
			    inbound_if(p), r->sets[k]);
			fw_rule_lines(o, head, r, 0, tail);
		}
	}
}

/* forward: what the inbound rules translated, and only that. */
void
fw_render_inbound_forward(const struct fw_params *p, struct buf *o)
{
	const struct policy *pol = p->pol;
	char head[256], tail[POLICY_NAME + 48];

	if (p->mode == MODE_BLOCKED)
		return;
	for (size_t i = 0; i < pol->n_inbound; i++) {
		const struct policy_rule *r = &pol->inbound[i];

		if (!fw_svc_active(p, r))
			continue;
		snprintf(tail, sizeof(tail), " counter accept comment \"inbound %s\"", r->name);
		for (size_t k = 0; k < r->n_sets; k++) {
			if (pol->sets[r->sets[k]].n4 == 0)
				continue;
			snprintf(head, sizeof(head), "\t\tiifname \"%s\" oifname \"%s\" ct status dnat ip saddr @s%zu",
			    inbound_if(p), p->work_if, r->sets[k]);
			fw_rule_lines(o, head, r, 0, tail);
		}
	}
}
