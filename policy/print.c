/* Prints a policy normalised (OpenBSD's printconf.c): canonical order,
 * defaults spelled out, prefixes sorted, one tab of indentation, comments
 * gone. Parsing the output gives the same policy. */
#include "policy/policy.h"

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
	fprintf(f, "}\n");
}

static void
print_gateway(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN], key[KEY_B64_LEN];

	key_to_b64(key, p->gw_pubkey);
	fprintf(f, "gateway \"%s\" {\n", p->gw_name);
	fprintf(f, "\tendpoint %s:%u\n", addr(p->gw_endpoint.sin_addr, a),
	    (unsigned)ntohs(p->gw_endpoint.sin_port));
	fprintf(f, "\tpublic-key \"%s\"\n", key);
	fprintf(f, "\tkeepalive %u\n", (unsigned)p->gw_keepalive);
	fprintf(f, "}\n");
}

static void
print_lgwan(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];
	size_t i;

	fprintf(f, "lgwan {\n");
	for (i = 0; i < p->n_lgwan; i++)
		fprintf(f, "\tprefix %s/%u\n", addr(p->lgwan[i].addr, a),
		    (unsigned)p->lgwan[i].plen);
	for (i = 0; i < p->n_resolvers; i++)
		fprintf(f, "\tresolver %s\n", addr(p->resolvers[i], a));
	fprintf(f, "}\n");
}

static void
print_work(FILE *f, const struct policy *p)
{
	char a[INET_ADDRSTRLEN];

	fprintf(f, "work {\n");
	fprintf(f, "\taddress %s/%u\n", addr(p->work_addr, a), (unsigned)p->work_plen);
	fprintf(f, "\trouter %s\n", addr(p->work_router, a));
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
	fprintf(f, "\ntimers {\n\tbeacon-timeout %u\n\tbeacon-attempts %u\n"
	    "\tbeacon-reverify %u\n\thandshake-stale %u\n}\n",
	    p->beacon_timeout_ms, p->beacon_attempts, p->beacon_reverify_s,
	    p->handshake_stale_s);
}

int
policy_print(FILE *f, const struct policy *p)
{
	if (p->gw_name[0] == '\0' || !quotable(p->gw_name) ||
	    !quotable(p->key_file) || p->n_resolvers > POLICY_MAX_RESOLVERS)
		return -EINVAL;
	for (size_t i = 0; i < p->n_uplinks; i++)
		if (!quotable(p->uplinks[i].name))
		return -EINVAL;
	fprintf(f, "version %u\n", p->version);
	fprintf(f, "serial %" PRIu64 "\n", p->serial);
	fprintf(f, "\n");
	print_device(f, p);
	fprintf(f, "\n");
	print_gateway(f, p);
	fprintf(f, "\n");
	print_lgwan(f, p);
	fprintf(f, "\n");
	print_work(f, p);
	print_beacons(f, p);
	print_office(f, p);
	print_uplinks_timers(f, p);
	if (fflush(f) == EOF || ferror(f))
		return -EIO;
	return 0;
}
