#include "policy/render/fw_render.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/render/fw_dns.h"
#include "policy/render/fw_model.h"
#include "policy/render/fw_office.h"
#include "policy/render/fw_rules.h"
#include "policy/render/fw_svc.h"
#include "policy/render/mode.h"
#include "policy/policy.h"

static const char *
ip4(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* The policy's sets and maps: the same in every mode, loaded when the
 * policy changes and left alone by a mode change. Section by section
 * (fw_render.h). */
void
fw_render_section(const struct fw_params *p, int sec, struct buf *o)
{
	const struct policy *pol = p->pol;
	char a[INET_ADDRSTRLEN];

	if (pol == NULL)
		return;
	switch (sec) {
	case FW_SEC_LGWAN:
		buf_printf(o, "\tset lgwan {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
		    "\t\telements = {");
		for (size_t i = 0; i < pol->n_lgwan; i++)
			fw_put_prefix4(o, i ? ", " : " ", pol->lgwan[i].addr, pol->lgwan[i].plen);
		buf_printf(o, " }\n\t}\n");
		break;
	case FW_SEC_SETS:
		fw_render_rule_sets(p, o);
		break;
	case FW_SEC_SVC:
		if (fw_svc_sets(p, o) < 0)
			buf_printf(o, "# out of memory\n");	/* nft refuses the text */
		break;
	case FW_SEC_BEACONS:
		if (pol->n_beacons == 0)
			break;
		buf_printf(o, "\tset beacons {\n\t\ttype ipv4_addr . inet_service\n\t\telements = {");
		for (size_t i = 0; i < pol->n_beacons; i++)
			buf_printf(o, "%s %s . %u", i ? "," : "",
			    ip4(pol->beacons[i].addr.sin_addr, a), ntohs(pol->beacons[i].addr.sin_port));
		buf_printf(o, " }\n\t}\n");
		break;
	}
}

static void
key_add(struct buf *k, const void *v, size_t n)
{
	buf_add(k, v, n);
}

#define KEY(k, x)	key_add((k), &(x), sizeof(x))

static void
key_prefixes(struct buf *k, const struct prefix4 *v, size_t n)
{
	KEY(k, n);
	for (size_t i = 0; i < n; i++) {
		KEY(k, v[i].addr.s_addr);
		KEY(k, v[i].plen);
	}
}

static void
key_ports(struct buf *k, const struct policy_ports *pp)
{
	KEY(k, pp->n);
	for (size_t i = 0; i < pp->n; i++) {
		KEY(k, pp->r[i].lo);
		KEY(k, pp->r[i].hi);
	}
}

int
fw_section_key(const struct fw_params *p, int sec, struct buf *k)
{
	const struct policy *pol = p->pol;
	unsigned char *used;

	if (pol == NULL)
		return 0;
	switch (sec) {
	case FW_SEC_LGWAN:	/* fw_render_section's loop */
		key_prefixes(k, pol->lgwan, pol->n_lgwan);
		return 1;
	case FW_SEC_SVC:	/* what fw_svc_sets reads */
		if ((used = calloc(pol->n_sets + 1, 1)) == NULL) {
			k->oom = 1;	/* never the same: rendered */
			return 1;
		}
		KEY(k, pol->has_v6);
		KEY(k, pol->n_services);
		for (size_t i = 0; i < pol->n_services; i++) {
			const struct policy_rule *r = &pol->services[i];

			KEY(k, r->modes);
			KEY(k, r->all);
			KEY(k, r->icmp);
			key_ports(k, &r->tcp);
			key_ports(k, &r->udp);
			KEY(k, r->n_sets);
			for (size_t j = 0; j < r->n_sets; j++) {
				KEY(k, r->sets[j]);
				if (r->sets[j] < pol->n_sets)
					used[r->sets[j]] = 1;
			}
		}
		/* the sets the services name (not lgwan's own, whose
		 * prefixes are the LGWAN section's) */
		KEY(k, pol->n_sets);
		for (size_t i = 0; i < pol->n_sets; i++) {
			const struct policy_set *s = &pol->sets[i];

			if (!used[i])
				continue;
			key_prefixes(k, s->v4, s->n4);
			KEY(k, s->n6);
			for (size_t j = 0; j < s->n6; j++) {
				KEY(k, s->v6[j].addr);
				KEY(k, s->v6[j].plen);
			}
		}
		free(used);
		return 1;
	}
	return 0;
}

/* The sets that change with the mode: a handful of elements. */
static void
render_mode_sets(const struct fw_params *p, struct buf *o)
{
	const struct in_addr *res;
	char a[INET_ADDRSTRLEN];
	size_t n;

	fw_dns_resolvers(p->pol, p->mode, &res, &n);
	buf_printf(o, "\tset resolvers {\n\t\ttype ipv4_addr\n\t\telements = {");
	for (size_t i = 0; i < n; i++)
		buf_printf(o, "%s %s", i ? "," : "", ip4(res[i], a));
	buf_printf(o, " }\n\t}\n");
	/* Work's DNS goes to the mode's first resolver (fw_dns.h): a
	 * one-element map, remade when the mode's list changes; sekishod
	 * moves the pick after a load when its checks say so. */
	if (p->mode != MODE_BLOCKED)
		fw_dns_render_map(p, o);
	/* Office mode holds only while fresh beacon answers vouch for it: the
	 * office uplink, with a deadline that sekishod renews (fw_vouch in
	 * netvm/sekishod/firewall.c).
	 * Empty in the other modes, whose rules do not name it. */
	buf_printf(o, "\tset office_vouch {\n\t\ttype ifname\n\t\tflags timeout\n");
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\telements = { \"%s\" timeout %ums }\n", p->uplink,
		    p->pol->office_vouch_ms);
	buf_printf(o, "\t}\n");
}

/* IPv6 from work is forwarded in remote mode only, and only when the
 * policy gives the device and the work link IPv6 addresses. */
static int
v6_forward(const struct fw_params *p)
{
	return p->pol != NULL && p->pol->has_v6 && p->mode == MODE_REMOTE;
}

/* The netvm itself: DHCP towards the uplinks and towards work, the tunnel's
 * UDP to the gateway, beacon probes, and nothing else. IPv6 is off both
 * ways.
 *
 * The work link is decided first and completely: work may forge any source
 * (the gateway's address and port, a DHCP server's port 67) and any
 * connection tuple, so none of the rules for the uplinks below, not even
 * "established", may ever see a packet from work. Inbound on an uplink:
 * only replies, DHCP and the gateway's UDP. */
static void
render_input(const struct fw_params *p, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy drop;\n"
	    "\t\tiif \"lo\" accept\n");
	if (p->pol != NULL) {
		const struct policy *pol = p->pol;

		/* Neighbour discovery on the work link, so that IPv6 from
		 * work is refused with an answer rather than left to time
		 * out. */
		buf_printf(o, "\t\tiifname \"%s\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n",
		    p->work_if);
		/* With IPv6 to LGWAN: work learns its router and address from
		 * the netvm (router advertisements, DHCPv6). */
		if (pol->has_v6)
			buf_printf(o, "\t\tiifname \"%s\" icmpv6 type nd-router-solicit accept\n"
			    "\t\tiifname \"%s\" udp sport 546 udp dport 547 accept\n",
			    p->work_if, p->work_if);
		buf_printf(o, "\t\tiifname \"%s\" meta nfproto ipv6 counter drop\n",
		    p->work_if);
		buf_printf(o, "\t\tiifname \"%s\" udp sport 68 udp dport 67 accept\n",
		    p->work_if);
		buf_printf(o, "\t\tiifname \"%s\" ip daddr %s icmp type echo-request accept\n",
		    p->work_if, ip4(pol->work_router, a));
		/* The agent's sign-on requests to the relay (sekisho-signon:
		 * no capability, its own user), when the policy names a
		 * verifier (docs/sign-on.md). */
		if (pol->verifier.sin_family == AF_INET)
			buf_printf(o, "\t\tiifname \"%s\" ip daddr %s udp dport %d accept\n",
			    p->work_if, ip4(pol->work_router, a), POLICY_SIGNON_RELAY_PORT);
		/* The agent's status and uplink preference, to sekishod's
		 * frontend (no capability, user _sekisho-ctl; docs/control.md
		 * "From the work partition"). */
		buf_printf(o, "\t\tiifname \"%s\" ip daddr %s tcp dport %d accept\n",
		    p->work_if, ip4(pol->work_router, a), POLICY_CTL_WORK_PORT);
		buf_printf(o, "\t\tiifname \"%s\" meta l4proto tcp counter reject with tcp reset\n"
		    "\t\tiifname \"%s\" counter reject with icmpx admin-prohibited\n",
		    p->work_if, p->work_if);
	}
	buf_printf(o, "\t\tmeta nfproto ipv6 counter drop\n");
	/* What comes in on an uplink is addressed to that uplink. Linux
	 * takes a packet for any of its addresses on any interface, and no
	 * rule below names a destination: without this, a host on a hotel
	 * LAN reached the work link's router address (the sign-on relay) and
	 * the tunnel's address through the gateway's rule with a datagram
	 * forged from the gateway's public address and port, and through
	 * "established" with one forged from the far end of a tracked flow
	 * (32-uplink-inner). Before "established", so that it holds for
	 * both. The tunnel's packets are addressed to the tunnel. The base
	 * ruleset (no policy) accepts nothing but DHCP replies and tracked
	 * flows of the netvm's own, which it no longer starts: it stays as
	 * small as it is. */
	if (p->pol != NULL)
		buf_printf(o, "\t\tiifname != \"%s\" fib daddr . iif type != { local, broadcast } counter drop comment \"not addressed to this uplink\"\n",
		    p->tun_if);
	buf_printf(o, "\t\tct state invalid drop\n"
	    "\t\tct state established,related accept\n");
	/* DHCP replies and the gateway come from an uplink, never from
	 * inside the tunnel. */
	if (p->pol != NULL)
		buf_printf(o, "\t\tiifname != \"%s\" udp sport 67 udp dport 68 accept\n"
		    "\t\tiifname != \"%s\" ip saddr . udp sport @gateways accept\n",
		    p->tun_if, p->tun_if);
	else
		buf_printf(o, "\t\tudp sport 67 udp dport 68 accept\n");
	buf_printf(o, "\t\tcounter comment \"inbound refused\"\n\t}\n");
}

static void
render_output(const struct fw_params *p, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain output {\n"
	    "\t\ttype filter hook output priority filter; policy drop;\n"
	    "\t\toif \"lo\" accept\n");
	if (p->pol != NULL)
		buf_printf(o, "\t\toifname \"%s\" accept\n", p->work_if);
	buf_printf(o, "\t\tmeta nfproto ipv6 counter drop\n"
	    "\t\tudp sport 68 udp dport 67 accept\n");
	if (p->pol != NULL) {
		/* The netvm's own flows translated to a former tunnel address
		 * (a live change of the device's tunnel-address, reload.c) are
		 * cut at their next packet, with an answer the sending process
		 * sees at once, as work's are in the forward chain: the
		 * translation lives in their conntrack entry, which a new
		 * address does not change, and they would go on from an
		 * address the gateway no longer routes, and hang. The netvm's
		 * own traffic is translated only into the tunnel (srcnat: a
		 * source picked before the mode's mark rerouted it there, as
		 * the sign-on relay's), and only remote mode sends any there.
		 * A socket that took the tunnel's address itself (the helpers'
		 * marked ones) needs no rule: the kernel routes nothing from
		 * an address it no longer holds. */
		if (p->mode == MODE_REMOTE)
			buf_printf(o, "\t\tct status snat ct reply ip daddr != %s meta l4proto tcp counter reject with tcp reset\n"
			    "\t\tct status snat ct reply ip daddr != %s counter reject with icmpx admin-prohibited\n",
			    ip4(p->pol->tunnel_addr, a), ip4(p->pol->tunnel_addr, a));
		buf_printf(o, "\t\toifname \"%s\" accept\n", p->tun_if);
		buf_printf(o, "\t\tip daddr . udp dport @gateways accept\n");
		if (p->pol->n_beacons > 0)
			buf_printf(o, "\t\tip daddr . udp dport @beacons accept\n");
		/* The netvm's own LGWAN traffic, rerouted by its mark (the
		 * output hook still names the first route's device; chain
		 * "leave" checks where it really goes and, in office mode,
		 * that the vouch for that uplink holds). */
		if (p->mode != MODE_BLOCKED)
			buf_printf(o, "\t\tmeta mark 0x%x accept\n",
			    mode_mark(p->mode));
	}
	buf_printf(o, "\t\tcounter reject with icmpx admin-prohibited\n\t}\n");
}

/* The one accept of work's traffic: into the mode's path (the tunnel, or
 * the office uplink), to LGWAN only, DNS only to the mode's resolvers. */
static void
render_allow(const struct fw_params *p, struct buf *o)
{
	const char *w = p->work_if;
	const char *out = p->mode == MODE_OFFICE ? p->uplink : p->tun_if;

	buf_printf(o, "\t\tiifname \"%s\" udp dport 53 ip daddr != @resolvers counter reject with icmpx admin-prohibited\n"
	    "\t\tiifname \"%s\" tcp dport { 53, 853 } ip daddr != @resolvers counter reject with tcp reset\n",
	    w, w);
	if (p->pol->n_inbound > 0)
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ct status dnat ct direction reply accept\n",
		    w, out);
	/* A flow a service accepted under this policy, on this path (the
	 * mode's mark, which modemark set), needs no lookup again
	 * (fw_rules.c, fwd_cached): after the checks above, which every
	 * packet passes (source, vouch, DNS, a former tunnel address). */
	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ct state established ct mark . meta mark @fwd_cached counter accept\n",
	    w, out);
	/* DNS to the mode's resolvers (the office's may lie outside lgwan),
	 * and nothing else to them unless a service says so. */
	buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ip daddr @resolvers meta l4proto { tcp, udp } th dport 53 counter accept\n",
	    w, out);
	fw_render_services(p, o, out);
}

/* Work's traffic: refused with an answer unless the mode allows it, so
 * that applications fail at once. Spoofed sources are dropped silently. */
static void
render_forward(const struct fw_params *p, struct buf *o)
{
	const char *w = p->work_if, *t = p->tun_if;
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy drop;\n");
	if (p->pol == NULL) {
		buf_printf(o, "\t\tcounter drop\n\t}\n");
		return;
	}
	if (v6_forward(p))
		buf_printf(o, "\t\tmeta nfproto ipv6 iifname != { \"%s\", \"%s\" } counter drop\n",
		    w, t);
	else
		buf_printf(o, "\t\tiifname \"%s\" meta nfproto ipv6 meta l4proto tcp counter reject with tcp reset\n"
		    "\t\tiifname \"%s\" meta nfproto ipv6 counter reject with icmpx admin-prohibited\n"
		    "\t\tmeta nfproto ipv6 counter drop\n", w, w);
	buf_printf(o, "\t\tct state invalid counter drop\n"
	    "\t\tiifname \"%s\" oifname \"%s\" ct state established,related accept\n",
	    t, w);
	/* A flow of work's translated to a former tunnel address (a live
	 * change of the device's tunnel-address, reload.c) is cut at its next
	 * packet, with an answer, rather than sent on from an address the
	 * gateway no longer routes (69-live-gateway): its translation is in
	 * its conntrack entry, which a new address does not change. Remote
	 * mode only: work's traffic takes the tunnel in no other (a flow
	 * from before a spell in blocked mode meets the rule when remote
	 * mode is back; office mode's start and end forget every tracked
	 * connection). */
	if (p->mode == MODE_REMOTE)
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" ct status snat ct reply ip daddr != %s meta l4proto tcp counter reject with tcp reset\n"
		    "\t\tiifname \"%s\" oifname \"%s\" ct status snat ct reply ip daddr != %s counter reject with icmpx admin-prohibited\n",
		    w, t, ip4(p->pol->tunnel_addr, a), w, t, ip4(p->pol->tunnel_addr, a));
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\tiifname \"%s\" iifname @office_vouch oifname \"%s\" ct state established,related accept\n",
		    p->uplink, w);
	buf_printf(o, "\t\tiifname \"%s\" ip saddr != %s counter drop\n", w,
	    ip4(p->pol->work_addr, a));
	if (v6_forward(p)) {
		char b[INET6_ADDRSTRLEN];

		buf_printf(o, "\t\tiifname \"%s\" ip6 saddr != %s counter drop\n", w,
		    inet_ntop(AF_INET6, &p->pol->work_addr6, b, sizeof(b)));
	}
	if (!p->expired)
		fw_render_inbound_forward(p, o);
	/* Nothing from work onto the office LAN once the vouch has lapsed. */
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\tiifname \"%s\" oifname \"%s\" oifname != @office_vouch counter reject with icmpx admin-prohibited\n",
		    w, p->uplink);
	if (p->mode != MODE_BLOCKED && !p->expired)
		render_allow(p, o);
	else if (p->mode != MODE_BLOCKED)
		buf_printf(o, "\t\tiifname \"%s\" meta l4proto tcp counter reject with tcp reset comment \"policy expired\"\n"
		    "\t\tiifname \"%s\" counter reject with icmpx admin-prohibited comment \"policy expired\"\n",
		    p->work_if, p->work_if);
	/* Refused TCP gets a reset in either family: Linux gives up on a SYN
	 * at once on a reset, but took an ICMPv6 admin-prohibited only for
	 * the retransmitted SYN, a second later. */
	if (v6_forward(p))
		buf_printf(o, "\t\tiifname \"%s\" meta nfproto ipv6 meta l4proto tcp counter reject with tcp reset\n"
		    "\t\tiifname \"%s\" meta nfproto ipv6 counter reject with icmpx admin-prohibited\n"
		    "\t\tmeta nfproto ipv6 counter drop\n", w, w);
	buf_printf(o, "\t\tiifname \"%s\" meta l4proto tcp counter reject with tcp reset\n"
	    "\t\tiifname \"%s\" counter reject with icmpx admin-prohibited\n"
	    "\t\tcounter drop\n\t}\n", w, w);
}

/* The mode's mark picks its routing table (route.h): set in the same
 * transaction as the rules, so the path changes with them.
 *
 * The tunnel's table holds one route per LGWAN prefix, so all of work's
 * traffic may carry the tunnel's mark. The office table holds one default
 * route (netvm/sekishod/office.c), so that entering office mode costs the
 * same for 3 prefixes or 10,000: the office mark goes only on what is
 * bound for LGWAN or the mode's resolvers (work's DNS to the netvm is
 * translated to one of them after this hook), and anything else of work's
 * finds no mark, hence the work table, and never the office uplink. */
static void
render_marks(const struct fw_params *p, struct buf *o)
{
	unsigned int mark = mode_mark(p->mode);
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain modemark {\n"
	    "\t\ttype filter hook prerouting priority mangle; policy accept;\n");
	/* A flow a service accepted in office mode under this policy
	 * (fw_rules.c, fwd_cached_office) keeps its mark without the lookup
	 * in lgwan; the rest of the hook has nothing for it. (Expired, as
	 * every mark: the forward chain accepts nothing of work's.) */
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\tiifname \"%s\" ct state established ct mark @fwd_cached_office meta mark set 0x%x accept\n",
		    p->work_if, mark);
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\tiifname \"%s\" ip daddr @lgwan meta mark set 0x%x\n"
		    "\t\tiifname \"%s\" ip daddr @resolvers meta mark set 0x%x\n"
		    "\t\tiifname \"%s\" ip daddr %s meta l4proto { tcp, udp } th dport 53 meta mark set 0x%x\n",
		    p->work_if, mark, p->work_if, mark, p->work_if,
		    ip4(p->pol->work_router, a), mark);
	else if (p->mode != MODE_BLOCKED)
		buf_printf(o, "\t\tiifname \"%s\" meta mark set 0x%x\n", p->work_if, mark);
	buf_printf(o, "\t}\n\tchain modemark_local {\n"
	    "\t\ttype route hook output priority mangle; policy accept;\n");
	if (p->mode != MODE_BLOCKED)
		buf_printf(o, "\t\tip daddr @lgwan meta mark set 0x%x\n"
		    "\t\tip daddr @resolvers meta mark set 0x%x\n", mark, mark);
	buf_printf(o, "\t}\n");
}

static void
render_nat(const struct fw_params *p, struct buf *o)
{
	const struct policy *pol = p->pol;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain dstnat {\n"
	    "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	if (p->mode != MODE_BLOCKED)
		fw_dns_render_nat(p, o);
	fw_render_inbound_nat(p, o);
	/* Everything entering the tunnel carries the device's tunnel address:
	 * work's traffic, and the netvm's own, whose source was picked before
	 * its mark rerouted it there. */
	buf_printf(o, "\t}\n\tchain srcnat {\n"
	    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	    "\t\toifname \"%s\" ip saddr != %s snat ip to %s\n",
	    p->tun_if, ip4(pol->tunnel_addr, a), ip4(pol->tunnel_addr, b));
	if (v6_forward(p)) {
		char c[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &pol->tunnel_addr6, c, sizeof(c));
		buf_printf(o, "\t\toifname \"%s\" ip6 saddr != %s snat ip6 to %s\n",
		    p->tun_if, c, c);
	}
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\toifname \"%s\" ip saddr %s masquerade\n", p->uplink,
		    ip4(pol->work_addr, a));
	/* Both ways: what work announces is cut to the path, and what the far
	 * end announces is cut to the tunnel, so neither sends a segment
	 * the tunnel must refuse. */
	buf_printf(o, "\t}\n\tchain clamp {\n"
	    "\t\ttype filter hook forward priority mangle; policy accept;\n"
	    "\t\ttcp flags syn tcp option maxseg size set rt mtu\n"
	    "\t\tiifname \"%s\" tcp flags syn tcp option maxseg size > %u tcp option maxseg size set %u\n\t}\n",
	    p->tun_if, pol->mtu - 40u, pol->mtu - 40u);
}

/* What a mark sent into the tunnel (or onto the office LAN) goes nowhere
 * else, should its route ever be missing; and nothing leaves with a
 * service class still in its mark (fw_svc.c: the accepting rule clears
 * it, so one that did not was never accepted by a service). */
static void
render_leave(const struct fw_params *p, struct buf *o)
{
	buf_printf(o, "\tchain leave {\n"
	    "\t\ttype filter hook postrouting priority filter; policy accept;\n"
	    "\t\tmeta mark & 0x%x != 0 counter drop\n"
	    "\t\tmeta mark 0x%x oifname != \"%s\" counter drop\n",
	    (unsigned)~FW_SVC_PATH_MASK, SK_MARK_TUNNEL, p->tun_if);
	if (p->mode == MODE_OFFICE)
		buf_printf(o, "\t\tmeta mark 0x%x oifname != \"%s\" counter drop\n"
		    "\t\tmeta mark 0x%x oifname != @office_vouch counter drop\n",
		    SK_MARK_OFFICE, p->uplink, SK_MARK_OFFICE);
	else
		buf_printf(o, "\t\tmeta mark 0x%x counter drop\n", SK_MARK_OFFICE);
	buf_printf(o, "\t}\n");
}

void
fw_render_policy(const struct fw_params *p, struct buf *o)
{
	for (int sec = 0; sec < FW_NSECTIONS; sec++)
		fw_render_section(p, sec, o);
}

/* Work's forged sources end before the routing decision, so that nothing
 * the netvm's kernel or its daemons answer can be addressed to them. The
 * forward chain's own drop meets only what is forwarded; a forged source
 * also reaches the netvm itself (an echo, the control socket, a port
 * refused with an ICMP error) and the kernel's answers made before the
 * forward hook (time exceeded), and the answer to a forged LGWAN address
 * is the netvm's own LGWAN traffic: marked for the mode's path and
 * accepted into it (chain output), work's bytes quoted in it
 * (21-work-forged). Work's sources are its address, and 0.0.0.0 for
 * DHCP only; before conntrack (priority raw), so a forged tuple is not
 * even tracked. IPv6 needs no rule here: the netvm sends IPv6 onto the
 * work link only (chain output). */
static void
render_worksrc(const struct fw_params *p, struct buf *o)
{
	char a[INET_ADDRSTRLEN];

	buf_printf(o, "\tchain worksrc {\n"
	    "\t\ttype filter hook prerouting priority raw; policy accept;\n"
	    "\t\tiifname \"%s\" ip saddr 0.0.0.0 udp sport 68 udp dport 67 return\n"
	    "\t\tiifname \"%s\" ip saddr != %s counter drop\n\t}\n",
	    p->work_if, p->work_if, ip4(p->pol->work_addr, a));
}

void
fw_render_mode(const struct fw_params *p, struct buf *o)
{
	if (p->pol != NULL) {
		render_mode_sets(p, o);
		render_worksrc(p, o);
	}
	render_input(p, o);
	render_forward(p, o);
	render_output(p, o);
	if (p->pol != NULL) {
		render_marks(p, o);
		render_leave(p, o);
		render_nat(p, o);
	}
}

/* Through the model, which prints the elements of long concatenated
 * interval sets apart (fw_model.h, FW_CHUNK). */
void
fw_render_compose(const char *policy_part, const char *mode_part, struct buf *o)
{
	struct fw_model *m = fw_model_new();

	if (m == NULL || fw_model_read(m, policy_part, FW_MODEL_POLICY) < 0 ||
	    fw_model_read(m, mode_part, FW_MODEL_MODE) < 0)
		buf_printf(o, "# out of memory\n");	/* nft refuses the text */
	else
		fw_model_print(m, o);
	fw_model_free(m);
}

void
fw_render(const struct fw_params *p, struct buf *o)
{
	struct buf a, b;

	buf_init(&a);
	buf_init(&b);
	fw_render_policy(p, &a);
	fw_render_mode(p, &b);
	if (a.oom || b.oom)
		buf_printf(o, "# out of memory\n");	/* nft refuses the text */
	else
		fw_render_compose(a.len ? a.p : "", b.len ? b.p : "", o);
	fw_render_office_l2(p, o);
	buf_free(&a);
	buf_free(&b);
}
