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

void
fw_render_rule_sets(const struct fw_params *p, struct buf *o)
{
	const struct policy *pol = p->pol;
	unsigned char *used;
	char a[INET_ADDRSTRLEN], name[32];

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
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ip daddr @lgwan counter accept\n",
		    w, out);
		if (pol->n_lgwan6 > 0 && p->mode == MODE_REMOTE)
			buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ip6 daddr @lgwan6 counter accept\n",
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
