/* Unit tests of policy/: a full example field by field, every error class
 * with its exact message (and *out untouched on failure), parse -> print ->
 * parse round trips, the size limits, and 10,000+ prefixes with the
 * lookup checked against a naive reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "policy/policy.h"

#define PUB	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define ZERO	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* The smallest valid policy, one item per line: lines 1-2 head, 3-6 device,
 * 7-10 gateway, 11-15 lgwan (prefixes on 12 and 13, resolver on 14),
 * 16-19 work (address on 17, router on 18). */
#define HEAD	"version 1\nserial 7\n"
#define DEV_(b)	"device {\n" b "}\n"
#define DEV_B	"\ttunnel-address 10.77.0.2/32\n\tkey-file \"/etc/sekisho/device.key\"\n"
#define DEV	DEV_(DEV_B)
#define GW_(b)	"gateway \"agency-gw\" {\n" b "}\n"
#define GW_EP	"\tendpoint 192.0.2.10:51820\n"
#define GW_PK	"\tpublic-key \"" PUB "\"\n"
#define GW	GW_(GW_EP GW_PK)
#define LG_(b)	"lgwan {\n" b "}\n"
#define LG_P	"\tprefix 10.64.0.0/16\n\tprefix 10.65.0.0/16\n"
#define LG_R	"\tresolver 10.64.0.53\n"
#define LG	LG_(LG_P LG_R)
#define WK_(b)	"work {\n" b "}\n"
#define WK_A	"\taddress 172.30.0.2/30\n"
#define WK_R	"\trouter 172.30.0.1\n"
#define WK	WK_(WK_A WK_R)
#define GOOD	HEAD DEV GW LG WK

static const char full[] =
    "# Sekisho device policy\n"
    "version 1\n"
    "serial 9223372036854775807\t# the largest\n"
    "\n"
    "work {\n"
    "    address 172.30.0.2/30\n"
    "    router 172.30.0.1\n"
    "}\n"
    "device{tunnel-address 10.77.0.2/32\n"
    "\tkey-file \"/etc/sekisho/device key\"   # a space, so quoted\n"
    "\tmtu 1280}\n"
    "gateway \"本庁 gw\" {\n"
    "\tendpoint 192.0.2.10:1\n"
    "\tpublic-key " PUB "\n"
    "\tkeepalive 0\n"
    "}\n"
    "lgwan {\n"
    "\tprefix 172.20.0.0/16\n"
    "\tresolver 10.64.0.53\n"
    "\tprefix \"10.64.0.0/16\"\n"
    "\tprefix 10.65.0.0/17\n"
    "\tresolver 172.20.255.254\n"
    "\tprefix 10.65.128.0/17\n"
    "}\n";

static void
fill(struct policy *p)
{
	memset(p, 0xa5, sizeof(*p));
}

static int
untouched(const struct policy *p)
{
	struct policy q;

	fill(&q);
	return memcmp(p, &q, sizeof(q)) == 0;
}

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
assert_prefix(const struct prefix4 *pf, const char *addr, unsigned plen, unsigned line)
{
	assert_int_equal(pf->addr.s_addr, ip(addr).s_addr);
	assert_int_equal(pf->plen, plen);
	assert_int_equal(pf->line, line);
}

static void
test_full_example(void **state)
{
	struct policy p;
	struct sk_error err = { "" };
	uint8_t key[KEY_LEN];

	(void)state;
	fill(&p);
	assert_int_equal(policy_parse_buf("full", full, strlen(full), &p, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(p.version, 1);
	assert_true(p.serial == UINT64_C(9223372036854775807));
	assert_int_equal(p.tunnel_addr.s_addr, ip("10.77.0.2").s_addr);
	assert_string_equal(p.key_file, "/etc/sekisho/device key");
	assert_int_equal(p.mtu, 1280);
	assert_string_equal(p.gateways[0].name, "本庁 gw");
	assert_int_equal(p.gateways[0].endpoint.sin_family, AF_INET);
	assert_int_equal(p.gateways[0].endpoint.sin_addr.s_addr, ip("192.0.2.10").s_addr);
	assert_int_equal(ntohs(p.gateways[0].endpoint.sin_port), 1);
	assert_int_equal(key_from_b64(key, PUB), 0);
	assert_memory_equal(p.gateways[0].pubkey, key, KEY_LEN);
	assert_int_equal(p.gateways[0].keepalive, 0);
	assert_int_equal(p.n_lgwan, 4);
	assert_prefix(&p.lgwan[0], "10.64.0.0", 16, 20);
	assert_prefix(&p.lgwan[1], "10.65.0.0", 17, 21);
	assert_prefix(&p.lgwan[2], "10.65.128.0", 17, 23);
	assert_prefix(&p.lgwan[3], "172.20.0.0", 16, 18);
	assert_int_equal(p.n_resolvers, 2);
	assert_int_equal(p.resolvers[0].s_addr, ip("10.64.0.53").s_addr);
	assert_int_equal(p.resolvers[1].s_addr, ip("172.20.255.254").s_addr);
	assert_int_equal(p.work_addr.s_addr, ip("172.30.0.2").s_addr);
	assert_int_equal(p.work_plen, 30);
	assert_int_equal(p.work_router.s_addr, ip("172.30.0.1").s_addr);
	assert_true(policy_prefix_contains(&p, ip("10.65.255.255")));
	assert_true(policy_prefix_contains(&p, ip("10.64.0.0")));
	assert_false(policy_prefix_contains(&p, ip("10.66.0.0")));
	assert_false(policy_prefix_contains(&p, ip("10.63.255.255")));
	assert_false(policy_prefix_contains(&p, ip("0.0.0.0")));
	assert_false(policy_prefix_contains(&p, ip("255.255.255.255")));
	policy_free(&p);
	assert_null(p.lgwan);
}

/* tests/policy/05.in, the whole language, read into the structures the
 * firewall renders from. */
static void
test_language(void **state)
{
	struct policy p;
	struct sk_error err = { "" };
	struct in6_addr a6;
	const struct policy_rule *r;

	(void)state;
	assert_int_equal(policy_parse_file("tests/policy/05.in", &p, &err), 0);
	assert_int_equal(p.n_gateways, 2);
	assert_string_equal(p.gateways[1].name, "gw-osaka");
	assert_int_equal(p.gateways[1].keepalive, 15);
	assert_int_equal(p.gateways[0].keepalive, POLICY_DEFAULT_KEEPALIVE);
	assert_int_equal(p.gateway_timeout_s, 10);
	assert_int_equal(p.router_arp_ms, 0);	/* router-arp off */
	assert_int_equal(p.router_alive_ms, 0);
	/* the sign-on verifier, its default port and both pinned keys */
	assert_int_equal(p.verifier.sin_family, AF_INET);
	assert_int_equal(ntohs(p.verifier.sin_port), POLICY_VERIFIER_PORT);
	assert_int_equal(p.verifier_sign[0], 0x2a);	/* "Kv1n..." */
	assert_int_equal(p.verifier_seal[0], 0xf6);	/* "9sZt..." */
	/* lgwan: its own 172.20/16 and the set's two /16s, IPv6 apart */
	assert_int_equal(p.n_lgwan, 3);
	assert_prefix(&p.lgwan[2], "172.20.0.0", 16, 40);
	assert_int_equal(p.n_lgwan6, 1);
	assert_int_equal(p.lgwan6[0].plen, 48);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:64:ffff::1", &a6), 1);
	assert_true(policy_prefix6_contains(&p, &a6));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:65::", &a6), 1);
	assert_false(policy_prefix6_contains(&p, &a6));
	assert_true(p.has_v6);
	/* four named sets, then the anonymous ones of lgwan, portal, lgwan */
	assert_int_equal(p.n_sets, 7);
	assert_string_equal(p.sets[1].name, "domain-controllers");
	assert_string_equal(p.sets[4].name, "");
	assert_int_equal(p.n_services, 4);
	r = &p.services[0];
	assert_string_equal(r->name, "logon");
	assert_int_equal(r->class, POLICY_CLASS_PRELOGON);
	assert_int_equal(r->modes, POLICY_MODE_ANY);
	assert_int_equal(r->n_sets, 1);
	assert_int_equal(r->sets[0], 1);
	assert_int_equal(r->tcp.n, 6);		/* 88,389,445,464,636,3268-3269 */
	assert_int_equal(r->tcp.r[5].lo, 3268);
	assert_int_equal(r->tcp.r[5].hi, 3269);
	assert_false(r->all);
	r = &p.services[1];			/* "tcp 443,80": sorted */
	assert_int_equal(r->modes, POLICY_MODE_OFFICE);
	assert_int_equal(r->tcp.r[0].lo, 80);
	assert_int_equal(r->tcp.r[1].lo, 443);
	assert_true(p.services[2].icmp);
	assert_true(p.services[3].all);
	assert_int_equal(p.services[3].n_sets, 2);
	assert_int_equal(p.n_inbound, 1);
	assert_int_equal(p.inbound[0].modes, POLICY_MODE_REMOTE);
	assert_int_equal(p.inbound[0].sets[0], 3);
	assert_int_equal(p.dist_server.sin_addr.s_addr, ip("10.64.0.9").s_addr);
	assert_int_equal(ntohs(p.dist_server.sin_port), 51830);
	assert_int_equal(p.dist_interval_s, 600);
	policy_free(&p);
}

static void
test_defaults(void **state)
{
	static const char good[] = GOOD;
	struct policy p;
	struct sk_error err;

	(void)state;
	assert_int_equal(policy_parse_buf("t.conf", good, strlen(good), &p, &err), 0);
	assert_int_equal(p.mtu, POLICY_DEFAULT_MTU);
	assert_int_equal(p.gateways[0].keepalive, POLICY_DEFAULT_KEEPALIVE);
	assert_string_equal(p.gateways[0].name, "agency-gw");
	policy_free(&p);
}

struct bad {
	const char *text;
	size_t len;
	const char *msg;
};
#define BAD(text, msg)	{ text, sizeof(text) - 1, msg }

static const struct bad bad[] = {
	/* unknown keywords and blocks */
	BAD(GOOD "foo 1\n",
	    "t.conf:20: unknown keyword 'foo', expected version, serial, device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers"),
	BAD(HEAD DEV_(DEV_B "\tfoo 1\n") GW LG WK,
	    "t.conf:6: unknown keyword 'foo' in 'device' block, expected tunnel-address, key-file, mtu or tunnel-address6"),
	BAD(HEAD DEV GW_(GW_EP GW_PK "\tmtu 1400\n") LG WK,
	    "t.conf:10: unknown keyword 'mtu' in 'gateway' block, expected endpoint, public-key, keepalive or tunnel-address"),
	BAD(HEAD DEV GW LG_("\troute 10.0.0.0/8\n" LG_P LG_R) WK,
	    "t.conf:12: unknown keyword 'route' in 'lgwan' block, expected prefix, set or resolver"),
	BAD(HEAD DEV GW LG WK_(WK_A WK_R "\tdns 10.64.0.53\n"),
	    "t.conf:19: unknown keyword 'dns' in 'work' block, expected address, router, address6 or router6"),
	BAD(HEAD "routes {\n}\n" DEV GW LG WK,
	    "t.conf:3: unknown block 'routes', expected device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers"),
	BAD(HEAD "{\n",
	    "t.conf:3: expected a keyword, found '{'"),
	BAD(HEAD DEV_("\t\"mtu\" 1400\n"),
	    "t.conf:4: expected a keyword or '}' in 'device' block, found \"mtu\""),
	/* braces */
	BAD(HEAD "device\n{\n",
	    "t.conf:3: expected '{' after 'device', found end of line"),
	BAD(HEAD DEV "gateway \"agency-gw\" endpoint {\n",
	    "t.conf:7: expected '{' after 'gateway \"agency-gw\"', found 'endpoint'"),
	BAD(HEAD DEV "gateway {\n",
	    "t.conf:7: expected a gateway name after 'gateway', found '{'"),
	BAD(HEAD DEV GW LG "work {\n" WK_A WK_R,
	    "t.conf:16: unterminated 'work' block, expected '}' before the end of the file"),
	BAD(HEAD "device {\n" DEV_B GW LG WK,
	    "t.conf:6: unterminated 'device' block opened on line 3, expected '}' before 'gateway'"),
	BAD(HEAD DEV "gateway agency-gw {\n" GW_EP GW_PK LG WK,
	    "t.conf:10: unterminated 'gateway' block opened on line 7, expected '}' before 'lgwan'"),
	BAD(HEAD DEV GW LG WK_(WK_A "\tgateway 172.30.0.1\n"),
	    "t.conf:18: unknown keyword 'gateway' in 'work' block, expected address, router, address6 or router6"),
	BAD(HEAD DEV GW LG WK_(WK_A "\tgateway \"x\" 172.30.0.1\n"),
	    "t.conf:18: unknown keyword 'gateway' in 'work' block, expected address, router, address6 or router6"),
	BAD(HEAD DEV_(DEV_B "\tserial 7\n"),
	    "t.conf:6: unknown keyword 'serial' in 'device' block, expected tunnel-address, key-file, mtu or tunnel-address6"),
	BAD(HEAD DEV "gateway \"agency-gw\" {\n" GW_EP GW_PK "gateway \"x\" {\n",
	    "t.conf:10: unterminated 'gateway' block opened on line 7, expected '}' before 'gateway'"),
	BAD(GOOD "}\n",
	    "t.conf:20: unexpected '}' outside any block"),
	BAD(HEAD "device {\n" DEV_B "} }\n" GW LG WK,
	    "t.conf:6: unexpected '}' outside any block"),
	BAD(HEAD "device {\n" DEV_B "} mtu\n" GW LG WK,
	    "t.conf:6: expected end of line after '}', found 'mtu'"),
	/* duplicates */
	BAD("version 1\nversion 1\n",
	    "t.conf:2: duplicate 'version', first given on line 1"),
	BAD(HEAD "serial 8\n",
	    "t.conf:3: duplicate 'serial', first given on line 2"),
	BAD(HEAD DEV DEV,
	    "t.conf:7: duplicate 'device' block, first given on line 3"),
	BAD(HEAD DEV GW GW,
	    "t.conf:11: duplicate gateway \"agency-gw\", first given on line 7"),
	BAD(HEAD DEV GW LG LG,
	    "t.conf:16: duplicate 'lgwan' block, first given on line 11"),
	BAD(HEAD DEV GW LG WK WK,
	    "t.conf:20: duplicate 'work' block, first given on line 16"),
	BAD(HEAD DEV_(DEV_B "\tmtu 1400\n\tmtu 1400\n"),
	    "t.conf:7: duplicate 'mtu', first given on line 6"),
	BAD(HEAD DEV_(DEV_B "\ttunnel-address 10.77.0.3/32\n"),
	    "t.conf:6: duplicate 'tunnel-address', first given on line 4"),
	BAD(HEAD DEV_(DEV_B "\tkey-file /k\n"),
	    "t.conf:6: duplicate 'key-file', first given on line 5"),
	BAD(HEAD DEV GW_(GW_EP GW_PK GW_EP),
	    "t.conf:10: duplicate 'endpoint', first given on line 8"),
	BAD(HEAD DEV GW_(GW_EP GW_PK GW_PK),
	    "t.conf:10: duplicate 'public-key', first given on line 9"),
	BAD(HEAD DEV GW_(GW_EP GW_PK "\tkeepalive 1\n\tkeepalive 1\n"),
	    "t.conf:11: duplicate 'keepalive', first given on line 10"),
	BAD(HEAD DEV GW LG WK_(WK_A WK_A),
	    "t.conf:18: duplicate 'address', first given on line 17"),
	BAD(HEAD DEV GW LG WK_(WK_A WK_R WK_R),
	    "t.conf:19: duplicate 'router', first given on line 18"),
	BAD(HEAD DEV GW LG_(LG_P LG_R LG_R) WK,
	    "t.conf:15: duplicate resolver 10.64.0.53, first given on line 14"),
	/* missing items */
	BAD("",
	    "t.conf: missing 'version'"),
	BAD("# nothing but a comment\n\n",
	    "t.conf: missing 'version'"),
	BAD("serial 7\nversion 1\n",
	    "t.conf:1: expected 'version 1' as the first statement, found 'serial'"),
	BAD("version 1\n" DEV GW LG WK,
	    "t.conf: missing 'serial'"),
	BAD(HEAD GW LG WK,
	    "t.conf: missing 'device' block"),
	BAD(HEAD DEV_("\tkey-file \"/k\"\n") GW LG WK,
	    "t.conf: missing 'tunnel-address' in 'device' block"),
	BAD(HEAD DEV_("\ttunnel-address 10.77.0.2/32\n") GW LG WK,
	    "t.conf: missing 'key-file' in 'device' block"),
	BAD(HEAD DEV LG WK,
	    "t.conf: missing 'gateway' block"),
	BAD(HEAD DEV GW_(GW_PK) LG WK,
	    "t.conf:7: missing 'endpoint' in gateway \"agency-gw\""),
	BAD(HEAD DEV GW_(GW_EP) LG WK,
	    "t.conf:7: missing 'public-key' in gateway \"agency-gw\""),
	BAD(HEAD DEV GW WK,
	    "t.conf: missing 'lgwan' block"),
	BAD(HEAD DEV GW LG_(LG_R) WK,
	    "t.conf: missing 'prefix' or 'set' in 'lgwan' block, at least one is required"),
	BAD(HEAD DEV GW LG_(LG_P) WK,
	    "t.conf: missing 'resolver' in 'lgwan' block, at least one is required"),
	BAD(HEAD DEV GW LG,
	    "t.conf: missing 'work' block"),
	BAD(HEAD DEV GW LG WK_(WK_R),
	    "t.conf: missing 'address' in 'work' block"),
	BAD(HEAD DEV GW LG WK_(WK_A),
	    "t.conf: missing 'router' in 'work' block"),
	/* version */
	BAD("version 2\n",
	    "t.conf:1: unsupported version 2, this build reads version 1"),
	BAD("version 99999999999999999999999\n",
	    "t.conf:1: unsupported version 99999999999999999999999, this build reads version 1"),
	BAD("version 1.0\n",
	    "t.conf:1: bad version '1.0', expected 1"),
	BAD("version\n",
	    "t.conf:1: expected a version number after 'version', found end of line"),
	/* numbers */
	BAD("version 1\nserial 0\n",
	    "t.conf:2: serial 0 out of range, expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial 9223372036854775808\n",
	    "t.conf:2: serial 9223372036854775808 out of range, expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial 18446744073709551616\n",
	    "t.conf:2: serial 18446744073709551616 out of range, expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial -1\n",
	    "t.conf:2: bad serial '-1', expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial 007\n",
	    "t.conf:2: bad serial '007', expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial 7x\n",
	    "t.conf:2: bad serial '7x', expected a number from 1 to 9223372036854775807"),
	BAD("version 1\nserial\n",
	    "t.conf:2: expected a number from 1 to 9223372036854775807 after 'serial', found end of line"),
	BAD("version 1\nserial",
	    "t.conf:2: expected a number from 1 to 9223372036854775807 after 'serial', found end of file"),
	BAD("version 1\nserial 7 8\n",
	    "t.conf:2: expected end of line after 'serial 7', found '8'"),
	BAD("version 1\nserial \"7\" {\n",
	    "t.conf:2: expected end of line after 'serial \"7\"', found '{'"),
	BAD(HEAD DEV_(DEV_B "\tmtu 1279\n"),
	    "t.conf:6: mtu 1279 out of range, expected a number from 1280 to 1500"),
	BAD(HEAD DEV_(DEV_B "\tmtu 9000\n"),
	    "t.conf:6: mtu 9000 out of range, expected a number from 1280 to 1500"),
	BAD(HEAD DEV_(DEV_B "\tmtu large\n"),
	    "t.conf:6: bad mtu 'large', expected a number from 1280 to 1500"),
	BAD(HEAD DEV GW_(GW_EP GW_PK "\tkeepalive 3601\n"),
	    "t.conf:10: keepalive 3601 out of range, expected a number from 0 to 3600"),
	BAD(HEAD DEV GW_("\tendpoint 192.0.2.10:0\n"),
	    "t.conf:8: endpoint port 0 out of range, expected a number from 1 to 65535"),
	BAD(HEAD DEV GW_("\tendpoint 192.0.2.10:65536\n"),
	    "t.conf:8: endpoint port 65536 out of range, expected a number from 1 to 65535"),
	BAD(HEAD DEV GW_("\tendpoint 192.0.2.10\n"),
	    "t.conf:8: bad endpoint '192.0.2.10', expected ADDRESS:PORT like 192.0.2.10:51820"),
	BAD(HEAD DEV GW_("\tendpoint gw.example.lg.jp:51820\n"),
	    "t.conf:8: bad endpoint 'gw.example.lg.jp:51820', expected ADDRESS:PORT like 192.0.2.10:51820"),
	BAD(HEAD DEV GW_("\tendpoint 192.0.2.10:x\n"),
	    "t.conf:8: bad endpoint '192.0.2.10:x', expected ADDRESS:PORT like 192.0.2.10:51820"),
	/* addresses and prefixes */
	BAD(HEAD DEV GW LG_(LG_P "\tresolver 10.64.0.256\n") WK,
	    "t.conf:14: bad resolver '10.64.0.256', expected an IPv4 address"),
	BAD(HEAD DEV GW LG_(LG_P "\tresolver 10.64.053\n") WK,
	    "t.conf:14: bad resolver '10.64.053', expected an IPv4 address"),
	BAD(HEAD DEV GW LG WK_(WK_A "\trouter 172.30.0.01\n"),
	    "t.conf:18: bad router '172.30.0.01', expected an IPv4 address"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.0.0/33\n") WK,
	    "t.conf:12: bad prefix '10.64.0.0/33', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.0.0\n") WK,
	    "t.conf:12: bad prefix '10.64.0.0', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64/16\n") WK,
	    "t.conf:12: bad prefix '10.64/16', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.0.0/016\n") WK,
	    "t.conf:12: bad prefix '10.64.0.0/016', expected a prefix like 10.64.0.0/16 or 2001:db8:64::/48"),
	BAD(HEAD DEV GW LG WK_("\taddress 172.30.0.2\n"),
	    "t.conf:17: bad address '172.30.0.2', expected an address and prefix length like 172.30.0.2/30"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.1.0/16\n") WK,
	    "t.conf:12: prefix 10.64.1.0/16 has host bits set, did you mean 10.64.0.0/16?"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.0.1/0\n") WK,
	    "t.conf:12: prefix 10.64.0.1/0 has host bits set, did you mean 0.0.0.0/0?"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.0.0/16\n\tprefix 10.64.128.0/17\n" LG_R) WK,
	    "t.conf:13: prefix 10.64.128.0/17 overlaps prefix 10.64.0.0/16 on line 12"),
	BAD(HEAD DEV GW LG_("\tprefix 10.64.128.0/17\n\tprefix 10.64.0.0/16\n" LG_R) WK,
	    "t.conf:13: prefix 10.64.0.0/16 overlaps prefix 10.64.128.0/17 on line 12"),
	BAD(HEAD DEV GW LG_(LG_P "\tprefix 10.64.0.0/16\n" LG_R) WK,
	    "t.conf:14: duplicate prefix 10.64.0.0/16, first given on line 12"),
	BAD(HEAD DEV GW LG_("\tprefix 10.0.0.0/8\n\tprefix 10.64.0.0/16\n\tprefix 10.64.1.0/24\n" LG_R) WK,
	    "t.conf:13: prefix 10.64.0.0/16 overlaps prefix 10.0.0.0/8 on line 12"),
	BAD(HEAD DEV_("\ttunnel-address 10.77.0.2/24\n"),
	    "t.conf:4: tunnel-address 10.77.0.2/24 is not a /32, expected the device's own address like 10.77.0.2/32"),
	BAD(HEAD DEV_("\ttunnel-address 10.77.0.2\n"),
	    "t.conf:4: bad tunnel-address '10.77.0.2', expected an address like 10.77.0.2/32"),
	/* keys and paths */
	BAD(HEAD DEV GW_(GW_EP "\tpublic-key \"abc\"\n"),
	    "t.conf:9: public-key 'abc' is not a base64 32-byte key (44 characters ending in '=')"),
	BAD(HEAD DEV GW_(GW_EP "\tpublic-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n"),
	    "t.conf:9: public-key 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=' is not a base64 32-byte key (44 characters ending in '=')"),
	BAD(HEAD DEV GW_(GW_EP "\tpublic-key \"" ZERO "\"\n"),
	    "t.conf:9: public-key is the all-zero key, expected the gateway's WireGuard public key"),
	BAD(HEAD DEV_("\tkey-file \"etc/sekisho/device.key\"\n"),
	    "t.conf:4: key-file 'etc/sekisho/device.key' is not an absolute path"),
	BAD(HEAD DEV_("\tkey-file \"\"\n"),
	    "t.conf:4: key-file '' is not an absolute path"),
	BAD(HEAD DEV "gateway \"\" {\n",
	    "t.conf:7: bad gateway name \"\", expected 1 to 63 bytes"),
	BAD(HEAD DEV "gateway \"0123456789012345678901234567890123456789012345678901234567890123\" {\n",
	    "t.conf:7: bad gateway name \"0123456789012345678901234567890123456789012345678901234567890123\", expected 1 to 63 bytes"),
	/* reachability and the work link */
	BAD(HEAD DEV GW LG_(LG_P "\tresolver 10.99.0.53\n") WK,
	    "t.conf:14: resolver 10.99.0.53 is outside every lgwan prefix, it must be reachable through the tunnel"),
	BAD(HEAD DEV GW_("\tendpoint 10.64.1.1:51820\n" GW_PK) LG WK,
	    "t.conf:8: endpoint 10.64.1.1 is inside lgwan prefix 10.64.0.0/16 on line 12, the tunnel would carry its own packets"),
	BAD(HEAD DEV GW LG WK_(WK_A "\trouter 172.30.0.5\n"),
	    "t.conf:18: router 172.30.0.5 is not in the work subnet 172.30.0.0/30"),
	BAD(HEAD DEV GW LG WK_(WK_A "\trouter 172.30.0.2\n"),
	    "t.conf:18: router 172.30.0.2 is the work address itself, expected the netvm's address on the work link"),
	BAD(HEAD DEV GW LG WK_(WK_A "\trouter 172.30.0.3\n"),
	    "t.conf:18: router 172.30.0.3 is the broadcast address of the work subnet 172.30.0.0/30, expected a host address"),
	BAD(HEAD DEV GW LG WK_(WK_A "\trouter 172.30.0.0\n"),
	    "t.conf:18: router 172.30.0.0 is the network address of the work subnet 172.30.0.0/30, expected a host address"),
	BAD(HEAD DEV GW LG WK_("\taddress 172.30.0.0/30\n" WK_R),
	    "t.conf:17: work address 172.30.0.0 is the network address of the work subnet 172.30.0.0/30, expected a host address"),
	BAD(HEAD DEV GW LG WK_("\taddress 172.30.0.3/30\n" WK_R),
	    "t.conf:17: work address 172.30.0.3 is the broadcast address of the work subnet 172.30.0.0/30, expected a host address"),
	BAD(HEAD DEV GW LG WK_("\taddress 172.30.0.2/32\n" WK_R),
	    "t.conf:18: router 172.30.0.1 is not in the work subnet 172.30.0.2/32"),
	BAD(HEAD DEV GW LG WK_("\taddress 10.65.0.2/30\n\trouter 10.65.0.1\n"),
	    "t.conf:17: work subnet 10.65.0.0/30 overlaps lgwan prefix 10.65.0.0/16 on line 13"),
	BAD(HEAD DEV GW LG WK_("\taddress 10.0.0.2/8\n\trouter 10.0.0.1\n"),
	    "t.conf:17: work subnet 10.0.0.0/8 overlaps lgwan prefix 10.65.0.0/16 on line 13"),
	BAD(HEAD DEV GW LG WK_("\taddress 10.77.0.1/29\n\trouter 10.77.0.3\n"),
	    "t.conf:17: work subnet 10.77.0.0/29 contains the tunnel-address 10.77.0.2 on line 4"),
	BAD(HEAD DEV GW_("\tendpoint 172.30.0.9:51820\n" GW_PK) LG WK_("\taddress 172.30.0.2/24\n" WK_R),
	    "t.conf:8: endpoint 172.30.0.9 is inside the work subnet 172.30.0.0/24 on line 17"),
	/* bytes */
	BAD("version 1\nserial 7\0\n",
	    "t.conf:2: NUL byte, expected text"),
	BAD("version 1\nserial 7 # \xe6\x97\xa5\xe6\x9c\xac\n",
	    "t.conf:2: non-ASCII byte 0xe6 outside a quoted string"),
	BAD("version 1\nserial \xef\xbc\x97\n",
	    "t.conf:2: non-ASCII byte 0xef outside a quoted string"),
	BAD("version 1\r\n",
	    "t.conf:1: carriage return, expected Unix (LF) line endings"),
	BAD("version 1\nserial \x01\n",
	    "t.conf:2: control character 0x01, expected printable ASCII"),
	BAD(HEAD DEV_("\tkey-file \"/etc/sekisho/device.key\n"),
	    "t.conf:4: unterminated quoted string, expected '\"' before the end of the line"),
	BAD(HEAD "device {\n\tkey-file \"/etc/sekisho/device.key",
	    "t.conf:4: unterminated quoted string, expected '\"' before the end of the line"),
	BAD(HEAD DEV_("\tkey-file \"/etc/sekisho/\tdevice.key\"\n"),
	    "t.conf:4: control character 0x09 in quoted string"),
	BAD(HEAD DEV_("\tkey-file \"/etc/\0\"\n"),
	    "t.conf:4: NUL byte, expected text"),
	BAD(HEAD DEV "gateway \"\xe6\x97\" {\n",
	    "t.conf:7: invalid UTF-8 in quoted string"),
	BAD(HEAD DEV "gateway \"\xc0\xaf\" {\n",
	    "t.conf:7: invalid UTF-8 in quoted string"),
	BAD(HEAD DEV "gateway \"\xed\xa0\x80\" {\n",
	    "t.conf:7: invalid UTF-8 in quoted string"),
	/* limits */
	BAD(HEAD DEV GW LG_(LG_P "\tresolver 10.64.0.1\n\tresolver 10.64.0.2\n"
	    "\tresolver 10.64.0.3\n\tresolver 10.64.0.4\n\tresolver 10.64.0.5\n"
	    "\tresolver 10.64.0.6\n\tresolver 10.64.0.7\n\tresolver 10.64.0.8\n"
	    "\tresolver 10.64.0.9\n") WK,
	    "t.conf:22: too many resolvers, at most 8"),
	/* the office router's liveness (timers) */
	BAD(GOOD "timers {\n\trouter-arp 19\n}\n",
	    "t.conf:21: router-arp 19 out of range, expected a number from 20 to 5000"),
	BAD(GOOD "timers {\n\trouter-arp of\n}\n",
	    "t.conf:21: bad router-arp 'of', expected a number from 20 to 5000"),
	BAD(GOOD "timers {\n\trouter-alive 59\n}\n",
	    "t.conf:21: router-alive 59 out of range, expected a number from 60 to 20000"),
	BAD(GOOD "timers {\n\trouter-arp 100\n\trouter-alive 219\n}\n",
	    "t.conf:22: router-alive 219 ms is too short for router-arp 100: one lost ARP reply "
	    "leaves 220 ms between two (router-arp twice, plus 20 ms for the daemon and the router)"),
	/* a slower router-arp alone, against the default router-alive */
	BAD(GOOD "timers {\n\trouter-arp 200\n}\n",
	    "t.conf:21: router-alive 250 ms is too short for router-arp 200: one lost ARP reply "
	    "leaves 420 ms between two (router-arp twice, plus 20 ms for the daemon and the router)"),
	BAD(GOOD "timers {\n\trouter-alive 300\n\trouter-arp off\n}\n",
	    "t.conf:21: router-alive with router-arp off: no ARP request, no reply to keep alive"),
	BAD(GOOD "timers {\n\trouter-arp off\n\trouter-arp 100\n}\n",
	    "t.conf:22: duplicate 'router-arp', first given on line 21"),
};

static void
test_errors(void **state)
{
	struct sk_error err;
	struct policy p;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		fill(&p);
		memset(&err, 0, sizeof(err));
		if (policy_parse_buf("t.conf", bad[i].text, bad[i].len, &p, &err) != -EINVAL ||
		    strcmp(err.msg, bad[i].msg) != 0)
			fail_msg("case %zu:\n  want %s\n  got  %s", i, bad[i].msg, err.msg);
		assert_true(untouched(&p));
	}
}

/* Same policy, line numbers of prefixes aside. */
static void
assert_same(const struct policy *a, const struct policy *b)
{
	size_t i;

	assert_int_equal(a->version, b->version);
	assert_true(a->serial == b->serial);
	assert_int_equal(a->tunnel_addr.s_addr, b->tunnel_addr.s_addr);
	assert_string_equal(a->key_file, b->key_file);
	assert_int_equal(a->mtu, b->mtu);
	assert_string_equal(a->gateways[0].name, b->gateways[0].name);
	assert_memory_equal(&a->gateways[0].endpoint, &b->gateways[0].endpoint, sizeof(a->gateways[0].endpoint));
	assert_memory_equal(a->gateways[0].pubkey, b->gateways[0].pubkey, KEY_LEN);
	assert_int_equal(a->gateways[0].keepalive, b->gateways[0].keepalive);
	assert_int_equal(a->n_lgwan, b->n_lgwan);
	for (i = 0; i < a->n_lgwan; i++) {
		assert_int_equal(a->lgwan[i].addr.s_addr, b->lgwan[i].addr.s_addr);
		assert_int_equal(a->lgwan[i].plen, b->lgwan[i].plen);
	}
	assert_int_equal(a->n_resolvers, b->n_resolvers);
	assert_memory_equal(a->resolvers, b->resolvers, a->n_resolvers * sizeof(a->resolvers[0]));
	assert_int_equal(a->work_addr.s_addr, b->work_addr.s_addr);
	assert_int_equal(a->work_plen, b->work_plen);
	assert_int_equal(a->work_router.s_addr, b->work_router.s_addr);
	assert_int_equal(a->router_arp_ms, b->router_arp_ms);
	assert_int_equal(a->router_alive_ms, b->router_alive_ms);
}

static char *
print_str(const struct policy *p, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	assert_non_null(f);
	assert_int_equal(policy_print(f, p), 0);
	assert_int_equal(fclose(f), 0);
	return s;
}

static void
roundtrip(const char *text, size_t len)
{
	struct policy a, b;
	struct sk_error err;
	size_t n1, n2;
	char *s1, *s2;

	assert_int_equal(policy_parse_buf("in", text, len, &a, &err), 0);
	s1 = print_str(&a, &n1);
	if (policy_parse_buf("printed", s1, n1, &b, &err) != 0)
		fail_msg("%s\n%s", err.msg, s1);
	assert_same(&a, &b);
	s2 = print_str(&b, &n2);
	assert_int_equal(n1, n2);
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	policy_free(&a);
	policy_free(&b);
}

/* verifier { }: next-sign-key and next-seal-key pinned besides the
 * current keys (a key roll), printed and read back. */
static void
test_verifier_next_keys(void **state)
{
	static const char next[] = "\tnext-sign-key +bhDblVSHwHXHiCa9TiTAWWzzaZjsWDRVqtZQPH9UV0=\n"
	    "\tnext-seal-key 7fx5ApNY6yt2xBA96VvyYcuBuhxGiz7VD7FHA132TAM=\n";
	struct policy p, q;
	struct sk_error err = { "" };
	char *text, *buf = NULL, *at;
	size_t n = 0, len;
	FILE *f;

	(void)state;
	f = fopen("tests/policy/05.in", "r");
	assert_non_null(f);
	text = calloc(1, 65536);
	len = fread(text, 1, 65536 - sizeof(next), f);
	fclose(f);
	at = strstr(text, "\tseal-key ");
	assert_non_null(at);
	at = strchr(at, '\n') + 1;
	memmove(at + sizeof(next) - 1, at, len - (size_t)(at - text) + 1);
	memcpy(at, next, sizeof(next) - 1);
	len += sizeof(next) - 1;
	assert_int_equal(policy_parse_buf("t.conf", text, len, &p, &err), 0);
	assert_true(p.has_verifier_sign_next);
	assert_true(p.has_verifier_seal_next);
	assert_int_equal(p.verifier_sign[0], 0x2a);
	assert_int_equal(p.verifier_sign_next[0], 0xf9);	/* "+bhD..." */
	assert_int_equal(p.verifier_seal_next[0], 0xed);	/* "7fx5..." */
	f = open_memstream(&buf, &n);
	assert_int_equal(policy_print(f, &p), 0);
	fclose(f);
	assert_non_null(strstr(buf, next));
	assert_int_equal(policy_parse_buf("printed", buf, n, &q, &err), 0);
	assert_memory_equal(q.verifier_sign_next, p.verifier_sign_next, 32);
	assert_memory_equal(q.verifier_seal_next, p.verifier_seal_next, 32);
	policy_free(&q);
	policy_free(&p);
	/* without them: none */
	assert_int_equal(policy_parse_file("tests/policy/05.in", &q, &err), 0);
	assert_false(q.has_verifier_sign_next);
	assert_false(q.has_verifier_seal_next);
	policy_free(&q);
	free(buf);
	free(text);
}

/* presence { }: the agent's re-verification (docs/policy.md "presence"):
 * parsed, printed and read back; each bad input one line naming it. */
#define VER	"verifier {\n\taddress 10.64.0.7\n\tsign-key " PUB "\n\tseal-key " PUB "\n}\n"
static void
test_presence(void **state)
{
	static const struct { const char *text, *msg; } pbad[] = {
		{ GOOD VER "presence {\n\tfactor finger\n\tperiod 30\n}\n",
		  "t.conf:26: bad presence factor 'finger', expected card or face" },
		{ GOOD VER "presence {\n\tfactor card\n\tperiod 9\n}\n",
		  "t.conf:27: period 9 out of range, expected a number from 10 to 60" },
		{ GOOD VER "presence {\n\tfactor card\n\tperiod 61\n}\n",
		  "t.conf:27: period 61 out of range, expected a number from 10 to 60" },
		{ GOOD VER "presence {\n\tfactor card\n\tperiod 1e1\n}\n",
		  "t.conf:27: bad period '1e1', expected a number from 10 to 60" },
		{ GOOD VER "presence {\n\tfactor face\n}\n",
		  "t.conf:25: missing 'period' in 'presence' block" },
		{ GOOD VER "presence {\n\tperiod 30\n}\n",
		  "t.conf:25: missing 'factor' in 'presence' block" },
		{ GOOD VER "presence {\n\tfactor card\n\tfactor face\n\tperiod 30\n}\n",
		  "t.conf:27: duplicate 'factor', first given on line 26" },
		{ GOOD VER "presence {\n\tfactor card\n\tperiod 30\n\tlock yes\n}\n",
		  "t.conf:28: unknown keyword 'lock' in 'presence' block, expected factor or period" },
		{ GOOD VER "presence { factor card; period 30 }\n", NULL },
		{ GOOD "presence {\n\tfactor face\n\tperiod 20\n}\n",
		  "t.conf:20: presence needs a 'verifier' block: the agent learns it when it signs on" },
		{ GOOD VER "presence {\n\tfactor face\n\tperiod 20\n}\n"
		  "presence {\n\tfactor card\n\tperiod 20\n}\n",
		  "t.conf:29: duplicate 'presence' block, first given on line 25" },
	};
	static const char card[] = GOOD VER "presence {\n\tfactor card\n\tperiod 10\n}\n";
	static const char face[] = GOOD "presence { factor face\n period 60 }\n" VER;
	struct policy p, q;
	struct sk_error err = { "" };
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	assert_int_equal(policy_parse_buf("t.conf", card, strlen(card), &p, &err), 0);
	assert_int_equal(p.presence, POLICY_PRESENCE_CARD);
	assert_int_equal(p.presence_period_s, 10);
	f = open_memstream(&buf, &n);
	assert_int_equal(policy_print(f, &p), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\npresence {\n\tfactor card\n\tperiod 10\n}\n"));
	assert_int_equal(policy_parse_buf("printed", buf, n, &q, &err), 0);
	assert_int_equal(q.presence, POLICY_PRESENCE_CARD);
	assert_int_equal(q.presence_period_s, 10);
	policy_free(&q);
	policy_free(&p);
	free(buf);
	assert_int_equal(policy_parse_buf("t.conf", face, strlen(face), &p, &err), 0);
	assert_int_equal(p.presence, POLICY_PRESENCE_FACE);
	assert_int_equal(p.presence_period_s, 60);
	policy_free(&p);
	/* none: nothing printed, none parsed */
	assert_int_equal(policy_parse_buf("t.conf", GOOD VER, strlen(GOOD VER), &p, &err), 0);
	assert_int_equal(p.presence, POLICY_PRESENCE_NONE);
	assert_int_equal(p.presence_period_s, 0);
	buf = NULL;
	f = open_memstream(&buf, &n);
	assert_int_equal(policy_print(f, &p), 0);
	fclose(f);
	assert_null(strstr(buf, "presence"));
	free(buf);
	policy_free(&p);
	for (size_t i = 0; i < nitems(pbad); i++) {
		memset(&err, 0, sizeof(err));
		if (pbad[i].msg == NULL) {
			/* ';' is no separator: one clear line too */
			assert_int_not_equal(policy_parse_buf("t.conf", pbad[i].text,
			    strlen(pbad[i].text), &p, &err), 0);
			assert_non_null(strstr(err.msg, "t.conf:25: "));
			continue;
		}
		if (policy_parse_buf("t.conf", pbad[i].text, strlen(pbad[i].text), &p,
		    &err) != -EINVAL || strcmp(err.msg, pbad[i].msg) != 0)
			fail_msg("case %zu:\n  want %s\n  got  %s", i, pbad[i].msg, err.msg);
	}
}

static void
test_roundtrip(void **state)
{
	static const char good[] = GOOD;

	(void)state;
	roundtrip(full, strlen(full));
	roundtrip(good, strlen(good));
}

/* router-arp and router-alive: defaults, a faster pair, off (which
 * leaves no lifetime), each printed and read back as itself. */
static void
test_router_timers(void **state)
{
	static const char good[] = GOOD;
	static const char fast[] = GOOD "timers {\n\trouter-arp 40\n\trouter-alive 100\n}\n";
	static const char off[] = GOOD "timers {\n\trouter-arp off\n}\n";
	struct policy p;
	struct sk_error err;
	size_t n;
	char *s;

	(void)state;
	assert_int_equal(policy_parse_buf("t.conf", good, strlen(good), &p, &err), 0);
	assert_int_equal(p.router_arp_ms, POLICY_DEFAULT_ROUTER_ARP);
	assert_int_equal(p.router_alive_ms, POLICY_DEFAULT_ROUTER_ALIVE);
	/* the defaults pass their own check */
	assert_true(POLICY_DEFAULT_ROUTER_ALIVE >= 2 * POLICY_DEFAULT_ROUTER_ARP + POLICY_ROUTER_SLACK);
	s = print_str(&p, &n);
	assert_non_null(strstr(s, "\toffice-vouch 1500\n\trouter-arp 100\n\trouter-alive 250\n"
	    "\thandshake-stale 180\n"));
	free(s);
	policy_free(&p);
	assert_int_equal(policy_parse_buf("t.conf", fast, strlen(fast), &p, &err), 0);
	assert_int_equal(p.router_arp_ms, 40);
	assert_int_equal(p.router_alive_ms, 100);
	s = print_str(&p, &n);
	assert_non_null(strstr(s, "\trouter-arp 40\n\trouter-alive 100\n"));
	free(s);
	policy_free(&p);
	roundtrip(fast, strlen(fast));
	if (policy_parse_buf("t.conf", off, strlen(off), &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p.router_arp_ms, 0);
	assert_int_equal(p.router_alive_ms, 0);
	s = print_str(&p, &n);
	assert_non_null(strstr(s, "\toffice-vouch 1500\n\trouter-arp off\n\thandshake-stale 180\n"));
	assert_null(strstr(s, "router-alive"));
	free(s);
	policy_free(&p);
	roundtrip(off, strlen(off));
}

static void
test_print_exact(void **state)
{
	static const char want[] =
	    "version 1\nserial 9223372036854775807\n\n"
	    "device {\n\ttunnel-address 10.77.0.2/32\n"
	    "\tkey-file \"/etc/sekisho/device key\"\n\tmtu 1280\n}\n\n"
	    "gateway \"本庁 gw\" {\n\tendpoint 192.0.2.10:1\n"
	    "\tpublic-key \"" PUB "\"\n\tkeepalive 0\n}\n\n"
	    "lgwan {\n\tprefix 10.64.0.0/16\n\tprefix 10.65.0.0/17\n"
	    "\tprefix 10.65.128.0/17\n\tprefix 172.20.0.0/16\n"
	    "\tresolver 10.64.0.53\n\tresolver 172.20.255.254\n}\n\n"
	    "work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"
	    "\ntimers {\n\tbeacon-timeout 100\n\tbeacon-attempts 3\n"
	    "\tbeacon-reverify 500\n\tbeacon-rtt 2000\n\toffice-vouch 1500\n"
	    "\trouter-arp 100\n\trouter-alive 250\n\thandshake-stale 180\n\tgateway-timeout 15\n}\n";
	struct policy p;
	struct sk_error err;
	size_t n;
	char *s;

	(void)state;
	assert_int_equal(policy_parse_buf("full", full, strlen(full), &p, &err), 0);
	s = print_str(&p, &n);
	assert_string_equal(s, want);
	free(s);
	/* What the parser never produces, the printer refuses. */
	strcpy(p.key_file, "/a\"b");
	assert_int_equal(policy_print(stdout, &p), -EINVAL);
	policy_free(&p);
}

/* A valid policy whose lgwan block holds n prefixes: 10.0.0.0 + 256 i,
 * lengths /24 to /28 in turn, given in a shuffled order. */
static char *
many_prefixes(size_t n, size_t *len)
{
	uint32_t *order = calloc(n, sizeof(*order)), x = 12345;
	char *s = NULL;
	FILE *f = open_memstream(&s, len);
	size_t i, j;

	assert_non_null(order);
	assert_non_null(f);
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		x = x * 1103515245 + 12345;
		j = (x >> 8) % (i + 1);
		uint32_t t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	fprintf(f, HEAD DEV GW "lgwan {\n" LG_R);
	for (i = 0; i < n; i++) {
		uint32_t a = 0x0a000000u + 256 * order[i];
		fprintf(f, "\tprefix %u.%u.%u.%u/%u\n", a >> 24, a >> 16 & 255,
		    a >> 8 & 255, a & 255, 24 + order[i] % 5);
	}
	fprintf(f, "}\n" WK);
	fclose(f);
	free(order);
	return s;
}

static int
naive_contains(const struct policy *p, uint32_t h)
{
	size_t i;

	for (i = 0; i < p->n_lgwan; i++) {
		uint32_t m = p->lgwan[i].plen ? ~0u << (32 - p->lgwan[i].plen) : 0;
		if ((h & m) == ntohl(p->lgwan[i].addr.s_addr))
			return 1;
	}
	return 0;
}

static void
test_10000_prefixes(void **state)
{
	struct policy p;
	struct sk_error err;
	struct in_addr a;
	uint32_t x = 1;
	size_t len, i;
	char *s = many_prefixes(10000, &len);

	(void)state;
	/* The prefixes end at 10.39.15.0/27: 10.64.0.53 is out of reach. */
	assert_int_equal(policy_parse_buf("many", s, len, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "many:12: resolver 10.64.0.53 is outside every lgwan prefix, it must be reachable through the tunnel");
	memcpy(strstr(s, "10.64.0.53"), "10.0.0.53 ", 10);
	if (policy_parse_buf("many", s, len, &p, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(p.n_lgwan, 10000);
	for (i = 1; i < p.n_lgwan; i++)
		assert_true(ntohl(p.lgwan[i - 1].addr.s_addr) < ntohl(p.lgwan[i].addr.s_addr));
	for (i = 0; i < 200000; i++) {
		x = x * 1664525 + 1013904223;
		uint32_t h = 0x09ff0000u + x % 0x290000u;
		a.s_addr = htonl(h);
		assert_int_equal(policy_prefix_contains(&p, a), naive_contains(&p, h));
	}
	roundtrip(s, len);
	policy_free(&p);
	free(s);
}

static void
test_too_many_prefixes(void **state)
{
	struct policy p;
	struct sk_error err;
	struct timespec t0, t1;
	size_t len;
	char *s = many_prefixes(POLICY_MAX_PREFIXES + 1, &len), *last, *end;

	(void)state;
	memcpy(strstr(s, "10.64.0.53"), "10.0.0.53 ", 10);
	fill(&p);
	assert_int_equal(policy_parse_buf("many", s, len, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "many:65549: too many prefixes, at most 65536");
	assert_true(untouched(&p));
	/* Drop the last prefix line: exactly the limit parses, and quickly. */
	end = strstr(s, "}\nwork");
	for (last = end - 1; last[-1] != '\n'; last--)
		;
	memmove(last, end, strlen(end) + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (policy_parse_buf("many", s, strlen(s), &p, &err) != 0)
		fail_msg("%s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(p.n_lgwan, POLICY_MAX_PREFIXES);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# %d prefixes parsed in %.3f s (ASan build)\n", POLICY_MAX_PREFIXES, secs);
	assert_true(secs < 5.0);
	policy_free(&p);
	free(s);
}

/* buf = before, n bytes of c, after; returns the length. */
static size_t
build(char *buf, const char *before, char c, size_t n, const char *after)
{
	size_t a = strlen(before), b = strlen(after);

	memcpy(buf, before, a);
	memset(buf + a, c, n);
	memcpy(buf + a + n, after, b);
	return a + n + b;
}

static void
test_size_limits(void **state)
{
	static const char good[] = GOOD;
	char *big = malloc(POLICY_MAX_SIZE + 1);
	struct policy p;
	struct sk_error err;
	size_t n;

	(void)state;
	assert_non_null(big);
	/* A line of exactly 1024 bytes is fine, 1025 is not... */
	n = build(big, "#", 'x', POLICY_MAX_LINE - 1, "\n" GOOD);
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), 0);
	policy_free(&p);
	n = build(big, "#", 'x', POLICY_MAX_LINE, "\n" GOOD);
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:1: line too long, at most 1024 bytes");
	/* ...also as the last line without a newline. */
	n = build(big, good, '#', POLICY_MAX_LINE, "");
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), 0);
	policy_free(&p);
	n = build(big, good, '#', POLICY_MAX_LINE + 1, "");
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), -EINVAL);
	assert_string_equal(err.msg, "t.conf:20: line too long, at most 1024 bytes");
	/* 4 MiB is fine, one byte more is not. */
	n = build(big, good, '\n', POLICY_MAX_SIZE - strlen(good), "");
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), 0);
	policy_free(&p);
	n = build(big, good, '\n', POLICY_MAX_SIZE + 1 - strlen(good), "");
	fill(&p);
	assert_int_equal(policy_parse_buf("t.conf", big, n, &p, &err), -EFBIG);
	assert_string_equal(err.msg, "t.conf: file too large, at most 4194304 bytes");
	assert_true(untouched(&p));
	free(big);
}

static void
test_parse_file(void **state)
{
	static const char good[] = GOOD;
	char dir[] = "/tmp/test_policy.XXXXXX", path[64];
	struct policy p;
	struct sk_error err;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(good, f);
	fclose(f);
	assert_int_equal(policy_parse_file(path, &p, &err), 0);
	assert_int_equal(p.serial, 7);
	policy_free(&p);
	assert_non_null(f = fopen(path, "a"));
	fputs("serial 8\n", f);
	fclose(f);
	assert_int_equal(policy_parse_file(path, &p, &err), -EINVAL);
	char want[128];
	snprintf(want, sizeof(want), "%s:20: duplicate 'serial', first given on line 2", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(policy_parse_file(dir, &p, &err), -EISDIR);
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	assert_string_equal(err.msg, want);
	unlink(path);
	assert_int_equal(policy_parse_file(path, &p, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err.msg, want);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_verifier_next_keys),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_router_timers),
		cmocka_unit_test(test_print_exact),
		cmocka_unit_test(test_presence),
		cmocka_unit_test(test_10000_prefixes),
		cmocka_unit_test(test_too_many_prefixes),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_parse_file),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
