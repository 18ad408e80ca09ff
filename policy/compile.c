/* The policy compiled to nftables (compile.h). The netvm's ruleset comes
 * from netvm/firewall.c's fw_render and nowhere else, so that what is
 * reviewed here is what sekishod loads. */
#include "policy/compile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netvm/firewall.h"
#include "policy/policy.h"

int
compile_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || strchr("/:\"\\", *s) != NULL)
			return 0;
	return 1;
}

int
compile_netvm(const struct policy *p, const struct compile_netvm *o,
    struct buf *out, struct sk_error *err)
{
	struct fw_params fp = { o->mode, p, o->work_if, o->tun_if, o->uplink };

	if (!compile_ifname_ok(o->work_if))
		return sk_errorf(err, EINVAL, "bad work interface name '%s'", o->work_if);
	if (!compile_ifname_ok(o->tun_if))
		return sk_errorf(err, EINVAL, "bad tunnel interface name '%s'", o->tun_if);
	if (o->mode == MODE_OFFICE && o->uplink == NULL)
		return sk_errorf(err, EINVAL, "office mode needs the office uplink's name");
	if (o->uplink != NULL && !compile_ifname_ok(o->uplink))
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

/* Same prefixes and resolvers: the same group on the gateway. */
static int
same_reach(const struct policy *a, const struct policy *b)
{
	if (a->n_lgwan != b->n_lgwan || a->n_resolvers != b->n_resolvers)
		return 0;
	for (size_t i = 0; i < a->n_lgwan; i++)
		if (a->lgwan[i].addr.s_addr != b->lgwan[i].addr.s_addr ||
		    a->lgwan[i].plen != b->lgwan[i].plen)
			return 0;
	for (size_t i = 0; i < a->n_resolvers; i++)
		if (a->resolvers[i].s_addr != b->resolvers[i].s_addr)
			return 0;
	return 1;
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

/* group[i]: the group of policy i, numbered from 1 in order of first
 * appearance; returns the number of groups. */
static size_t
make_groups(const struct policy *const *pols, size_t n, size_t *group,
    size_t *first)
{
	size_t ng = 0;

	for (size_t i = 0; i < n; i++) {
		size_t g;

		for (g = 0; g < ng; g++)
			if (same_reach(pols[first[g]], pols[i]))
				break;
		if (g == ng)
			first[ng++] = i;
		group[i] = g + 1;
	}
	return ng;
}

static void
render_group_sets(const struct policy *const *pols, size_t n, const size_t *group,
    size_t g, const struct policy *p, struct buf *o)
{
	char a[INET_ADDRSTRLEN];
	const char *sep = "";

	buf_printf(o, "\tset devices_%zu {\n\t\ttype ipv4_addr\n\t\telements = {", g);
	for (size_t i = 0; i < n; i++)
		if (group[i] == g) {
			buf_printf(o, "%s %s", sep, ip4(pols[i]->tunnel_addr, a));
			sep = ",";
		}
	buf_printf(o, " }\n\t}\n\tset lgwan_%zu {\n\t\ttype ipv4_addr\n"
	    "\t\tflags interval\n\t\telements = {", g);
	for (size_t i = 0; i < p->n_lgwan; i++)
		buf_printf(o, "%s %s/%u", i ? "," : "", ip4(p->lgwan[i].addr, a),
		    p->lgwan[i].plen);
	buf_printf(o, " }\n\t}\n\tset resolvers_%zu {\n\t\ttype ipv4_addr\n"
	    "\t\telements = {", g);
	for (size_t i = 0; i < p->n_resolvers; i++)
		buf_printf(o, "%s %s", i ? "," : "", ip4(p->resolvers[i], a));
	buf_printf(o, " }\n\t}\n");
}

static void
render_group_rules(const char *t, size_t g, struct buf *o)
{
	buf_printf(o, "\t\tiifname \"%s\" ip saddr @devices_%zu udp dport 53 ip daddr != @resolvers_%zu counter reject with icmpx admin-prohibited\n"
	    "\t\tiifname \"%s\" ip saddr @devices_%zu tcp dport { 53, 853 } ip daddr != @resolvers_%zu counter reject with tcp reset\n"
	    "\t\tiifname \"%s\" ip saddr @devices_%zu ip daddr @lgwan_%zu counter accept\n",
	    t, g, g, t, g, g, t, g, g);
}

/* The gateway's other traffic is not this table's business (policy
 * accept); everything through the tunnel interface is. */
static void
render_gw_chains(const char *t, size_t ng, struct buf *o)
{
	buf_printf(o, "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy accept;\n"
	    "\t\tiifname \"%s\" ct state established,related accept\n"
	    "\t\tiifname \"%s\" icmp type echo-request accept\n"
	    "\t\tiifname \"%s\" counter drop\n\t}\n", t, t, t);
	buf_printf(o, "\tchain forward {\n"
	    "\t\ttype filter hook forward priority filter; policy accept;\n"
	    "\t\tiifname \"%s\" meta nfproto ipv6 counter drop\n"
	    "\t\toifname \"%s\" meta nfproto ipv6 counter drop\n"
	    "\t\toifname \"%s\" ct state established,related accept\n"
	    "\t\toifname \"%s\" counter drop\n"
	    "\t\tiifname \"%s\" ct state invalid counter drop\n", t, t, t, t, t);
	for (size_t g = 1; g <= ng; g++)
		render_group_rules(t, g, o);
	buf_printf(o, "\t\tiifname \"%s\" counter drop\n\t}\n", t);
}

int
compile_gateway(const struct policy *const *pols, const char *const *names,
    size_t n, const char *tun_if, struct buf *out, struct sk_error *err)
{
	size_t *group, *first, ng;
	int rc;

	if (!compile_ifname_ok(tun_if))
		return sk_errorf(err, EINVAL, "bad tunnel interface name '%s'", tun_if);
	if (n == 0)
		return sk_errorf(err, EINVAL, "no policy to compile");
	if ((rc = unique_tunnels(pols, names, n, err)) != 0)
		return rc;
	group = calloc(n, sizeof(*group));
	first = calloc(n, sizeof(*first));
	if (group == NULL || first == NULL) {
		free(group);
		free(first);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	ng = make_groups(pols, n, group, first);
	buf_printf(out, "table inet %s\ndelete table inet %s\ntable inet %s {\n",
	    COMPILE_GW_TABLE, COMPILE_GW_TABLE, COMPILE_GW_TABLE);
	for (size_t g = 1; g <= ng; g++)
		render_group_sets(pols, n, group, g, pols[first[g - 1]], out);
	render_gw_chains(tun_if, ng, out);
	buf_printf(out, "}\n");
	free(group);
	free(first);
	return 0;
}
