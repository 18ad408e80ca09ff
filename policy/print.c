/* Prints a policy normalised (OpenBSD's printconf.c): canonical order,
 * defaults spelled out, prefixes sorted, one tab of indentation, comments
 * gone. Parsing the output gives the same policy. */
#include "policy/policy.h"
#include "lib/encode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* A string the parser could read back inside "...": no quote, no control
 * character (UTF-8 is the parser's to judge; it only ever gives valid). */
static int
quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static const char *
addr(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
print_device(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "device {\n");
	fprintf(f, "\ttunnel-address %s/32\n", addr(p->tunnel_addr, a));
	fprintf(f, "\tkey-file \"%s\"\n", p->key_file);
	fprintf(f, "\tmtu %u\n", (unsigned)p->mtu);
	if (p->has_v6) {
		char b[INET6_ADDRSTRLEN];

		fprintf(f, "\ttunnel-address6 %s/128\n", inet_ntop(AF_INET6,
		    &p->tunnel_addr6, b, sizeof(b)));
	}
	fprintf(f, "}\n");
}

static void
print_gateways(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN], key[KEY_B64_LEN];

	for (size_t i = 0; i < p->n_gateways; i++) {
		const struct policy_gateway *g = &p->gateways[i];

		key_to_b64(key, g->pubkey);
		fprintf(f, "\ngateway \"%s\" {\n", g->name);
		fprintf(f, "\tendpoint %s:%u\n", addr(g->endpoint.sin_addr, a),
		    (unsigned)ntohs(g->endpoint.sin_port));
		fprintf(f, "\tpublic-key \"%s\"\n", key);
		fprintf(f, "\tkeepalive %u\n", (unsigned)g->keepalive);
		if (g->tunnel_addr.s_addr != 0)
			fprintf(f, "\ttunnel-address %s/32\n", addr(g->tunnel_addr, a));
		fprintf(f, "}\n");
	}
}

/* A set's prefixes, IPv4 then IPv6, each line "\tKW PREFIX". */
static void
print_prefixes(FILE *f, const struct policy_set *s, const char *kw)
{
	char a[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < s->n4; i++)
		fprintf(f, "\t%s %s/%u\n", kw, addr(s->v4[i].addr, a),
		    (unsigned)s->v4[i].plen);
	for (size_t i = 0; i < s->n6; i++)
		fprintf(f, "\t%s %s/%u\n", kw,
		    inet_ntop(AF_INET6, &s->v6[i].addr, a, sizeof(a)),
		    (unsigned)s->v6[i].plen);
}

static void
print_sets(FILE *f, const struct policy *p)
{
	for (size_t i = 0; i < p->n_sets; i++) {
		if (p->sets[i].name[0] == '\0')
			continue;
		fprintf(f, "\nset \"%s\" {\n", p->sets[i].name);
		print_prefixes(f, &p->sets[i], "prefix");
		fprintf(f, "}\n");
	}
}

/* A block's own (anonymous) prefixes first, then the sets it names. */
static void
print_refs(FILE *f, const struct policy *p, const size_t *sets, size_t n,
    const char *kw, const char *setkw)
{
	for (size_t i = 0; i < n; i++)
		if (p->sets[sets[i]].name[0] == '\0')
			print_prefixes(f, &p->sets[sets[i]], kw);
	for (size_t i = 0; i < n; i++)
		if (p->sets[sets[i]].name[0] != '\0')
			fprintf(f, "\t%s \"%s\"\n", setkw, p->sets[sets[i]].name);
}

static void
print_lgwan(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "lgwan {\n");
	print_refs(f, p, p->lgwan_sets, p->n_lgwan_sets, "prefix", "set");
	for (size_t i = 0; i < p->n_resolvers; i++)
		fprintf(f, "\tresolver %s\n", addr(p->resolvers[i], a));
	fprintf(f, "}\n");
}

static void
print_ports(FILE *f, const char *kw, const struct policy_ports *pp)
{
	if (pp->n == 0)
		return;
	fprintf(f, "\t%s ", kw);
	for (size_t i = 0; i < pp->n; i++) {
		fprintf(f, "%s%u", i ? "," : "", (unsigned)pp->r[i].lo);
		if (pp->r[i].hi != pp->r[i].lo)
			fprintf(f, "-%u", (unsigned)pp->r[i].hi);
	}
	fprintf(f, "\n");
}

static const char *
mode_name(unsigned int modes)
{
	return modes == POLICY_MODE_REMOTE ? "remote" :
	    modes == POLICY_MODE_OFFICE ? "office" : "any";
}

static void
print_rules(FILE *f, const struct policy *p, const struct policy_rule *v,
    size_t n, int inbound)
{
	for (size_t i = 0; i < n; i++) {
		const struct policy_rule *r = &v[i];

		fprintf(f, "\n%s \"%s\" {\n", inbound ? "inbound" : "service", r->name);
		if (!inbound)
			fprintf(f, "\tclass %s\n", r->class == POLICY_CLASS_PRELOGON ?
			    "prelogon" : "lgwan");
		print_refs(f, p, r->sets, r->n_sets, inbound ? "from" : "to",
		    inbound ? "from" : "to");
		print_ports(f, "tcp", &r->tcp);
		print_ports(f, "udp", &r->udp);
		if (r->icmp)
			fprintf(f, "\ticmp echo\n");
		fprintf(f, "\tmode %s\n", mode_name(r->modes));
		for (size_t k = 0; k < r->n_roles; k++)
			fprintf(f, "\trole %s\n", r->roles[k]);
		fprintf(f, "}\n");
	}
}

static void
print_work(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "work {\n");
	fprintf(f, "\taddress %s/%u\n", addr(p->work_addr, a), (unsigned)p->work_plen);
	fprintf(f, "\trouter %s\n", addr(p->work_router, a));
	if (p->has_v6) {
		char b[INET6_ADDRSTRLEN];

		fprintf(f, "\taddress6 %s/%u\n", inet_ntop(AF_INET6, &p->work_addr6, b,
		    sizeof(b)), (unsigned)p->work_plen6);
		fprintf(f, "\trouter6 %s\n", inet_ntop(AF_INET6, &p->work_router6, b,
		    sizeof(b)));
	}
	fprintf(f, "}\n");
}

static void
print_beacons(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN], key[KEY_B64_LEN];

	for (size_t i = 0; i < p->n_beacons; i++) {
		const struct policy_beacon *b = &p->beacons[i];

		fprintf(f, "\nbeacon \"%s\" {\n", b->id);
		fprintf(f, "\taddress %s:%u\n", addr(b->addr.sin_addr, a),
		    (unsigned)ntohs(b->addr.sin_port));
		for (size_t k = 0; k < b->n_keys; k++) {
			key_to_b64(key, b->keys[k]);
			fprintf(f, "\tpublic-key \"%s\"\n", key);
		}
		fprintf(f, "}\n");
	}
}

static void
print_office(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];

	if (p->n_office_resolvers == 0)
		return;
	fprintf(f, "\noffice {\n");
	for (size_t i = 0; i < p->n_office_resolvers; i++)
		fprintf(f, "\tresolver %s\n", addr(p->office_resolvers[i], a));
	fprintf(f, "}\n");
}

static void
print_uplinks_timers(FILE *f, const struct policy *p)
{
	for (size_t i = 0; i < p->n_uplinks; i++)
		fprintf(f, "\nuplink \"%s\" {\n\tpriority %u\n}\n",
		    p->uplinks[i].name, p->uplinks[i].priority);
	if (p->dist_server.sin_family == AF_INET) {
		char a[INET_ADDRSTRLEN];

		fprintf(f, "\ndistribution {\n\tserver %s:%u\n\tinterval %u\n}\n",
		    addr(p->dist_server.sin_addr, a),
		    (unsigned)ntohs(p->dist_server.sin_port), p->dist_interval_s);
	}
	if (p->verifier.sin_family == AF_INET) {
		char a[INET_ADDRSTRLEN], k1[KEY_B64_LEN], k2[KEY_B64_LEN];

		key_to_b64(k1, p->verifier_sign);
		key_to_b64(k2, p->verifier_seal);
		fprintf(f, "\nverifier {\n\taddress %s:%u\n\tsign-key %s\n"
		    "\tseal-key %s\n", addr(p->verifier.sin_addr, a),
		    (unsigned)ntohs(p->verifier.sin_port), k1, k2);
		if (p->has_verifier_sign_next) {
			key_to_b64(k1, p->verifier_sign_next);
			fprintf(f, "\tnext-sign-key %s\n", k1);
		}
		if (p->has_verifier_seal_next) {
			key_to_b64(k2, p->verifier_seal_next);
			fprintf(f, "\tnext-seal-key %s\n", k2);
		}
		fprintf(f, "}\n");
	}
	if (p->presence != POLICY_PRESENCE_NONE)
		fprintf(f, "\npresence {\n\tfactor %s\n\tperiod %u\n}\n",
		    p->presence == POLICY_PRESENCE_CARD ? "card" : "face",
		    p->presence_period_s);
	fprintf(f, "\ntimers {\n\tbeacon-timeout %u\n\tbeacon-attempts %u\n"
	    "\tbeacon-reverify %u\n\tbeacon-rtt %u\n\toffice-vouch %u\n",
	    p->beacon_timeout_ms, p->beacon_attempts, p->beacon_reverify_ms, p->beacon_rtt_us,
	    p->office_vouch_ms);
	if (p->router_arp_ms == 0)
		fprintf(f, "\trouter-arp off\n");
	else
		fprintf(f, "\trouter-arp %u\n\trouter-alive %u\n", p->router_arp_ms,
		    p->router_alive_ms);
	fprintf(f, "\thandshake-stale %u\n\tgateway-timeout %u\n}\n", p->handshake_stale_s,
	    p->gateway_timeout_s);
}

int
policy_print(FILE *f, const struct policy *p)
{
	if (p->n_gateways == 0 || !quotable(p->key_file) ||
	    p->n_resolvers > POLICY_MAX_RESOLVERS)
		return -EINVAL;
	for (size_t i = 0; i < p->n_gateways; i++)
		if (p->gateways[i].name[0] == '\0' || !quotable(p->gateways[i].name))
			return -EINVAL;
	for (size_t i = 0; i < p->n_uplinks; i++)
		if (!quotable(p->uplinks[i].name))
		return -EINVAL;
	fprintf(f, "version %u\n", p->version);
	fprintf(f, "serial %" PRIu64 "\n", p->serial);
	fprintf(f, "\n");
	print_device(f, p);
	print_gateways(f, p);
	print_sets(f, p);
	fprintf(f, "\n");
	print_lgwan(f, p);
	fprintf(f, "\n");
	print_work(f, p);
	print_rules(f, p, p->services, p->n_services, 0);
	print_rules(f, p, p->inbound, p->n_inbound, 1);
	print_beacons(f, p);
	print_office(f, p);
	print_uplinks_timers(f, p);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
