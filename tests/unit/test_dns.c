/* Work's DNS failover with no kernel: the resolver choice round by round
 * (dnspick.c), the checker's line (dnscheck_line_parse), the one DNS
 * exchange (lib/proto/dns_wire.c) and the ruleset's DNS transaction
 * (policy/render/fw_dns.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/proto/dns_wire.h"
#include "netvm/sekishod/dnspick.h"
#include "policy/policy.h"
#include "policy/render/fw_dns.h"
#include "policy/render/fw_render.h"

/* One round from a string of 0 and 1; the pick after it. */
static size_t
round_of(struct dnspick *p, const char *s, int *moved)
{
	uint8_t alive[DNS_MAX_RESOLVERS];

	for (size_t i = 0; i < p->n; i++)
		alive[i] = s[i] == '1';
	*moved = dnspick_round(p, alive);
	return p->pick;
}

static void
test_pick_failover_and_back(void **state)
{
	struct dnspick p;
	int m;

	(void)state;
	dnspick_init(&p, 3);
	assert_int_equal(p.pick, 0);
	assert_int_equal(round_of(&p, "111", &m), 0);
	assert_false(m);
	/* One missed round is not enough. */
	assert_int_equal(round_of(&p, "011", &m), 0);
	assert_false(m);
	/* The second: the first that answers, in policy order. */
	assert_int_equal(round_of(&p, "001", &m), 2);
	assert_true(m);
	assert_int_equal(p.from, 0);
	/* The first back, the second too: hysteresis, DNS_UP_ROUNDS rounds. */
	assert_int_equal(round_of(&p, "111", &m), 2);
	assert_false(m);
	assert_int_equal(round_of(&p, "111", &m), 2);
	assert_false(m);
	assert_int_equal(round_of(&p, "111", &m), 0);
	assert_true(m);
	assert_int_equal(p.from, 2);
}

static void
test_pick_flapping_and_none(void **state)
{
	struct dnspick p;
	int m;

	(void)state;
	dnspick_init(&p, 2);
	round_of(&p, "01", &m);
	assert_int_equal(round_of(&p, "01", &m), 1);
	assert_true(m);
	/* The first answers twice, misses once: no move back yet. */
	round_of(&p, "11", &m);
	round_of(&p, "11", &m);
	assert_int_equal(round_of(&p, "01", &m), 1);
	assert_false(m);
	round_of(&p, "11", &m);
	round_of(&p, "11", &m);
	assert_false(m);
	assert_int_equal(round_of(&p, "11", &m), 0);
	assert_true(m);
	/* Nobody answers: the pick stays, nothing better is known. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(round_of(&p, "00", &m), 0);
		assert_false(m);
	}
	/* The second comes back first: it takes over at once (the pick has
	 * failed for long). */
	assert_int_equal(round_of(&p, "01", &m), 1);
	assert_true(m);
}

static void
test_pick_single(void **state)
{
	struct dnspick p;
	int m;

	(void)state;
	dnspick_init(&p, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(round_of(&p, "0", &m), 0);
	assert_false(m);
	dnspick_init(&p, 0);
	assert_int_equal(p.n, 1);
	dnspick_init(&p, 99);
	assert_int_equal(p.n, DNS_MAX_RESOLVERS);
}

static void
test_line_parse(void **state)
{
	uint8_t alive[DNS_MAX_RESOLVERS] = { 0 };
	struct sk_error err;

	(void)state;
	assert_int_equal(dnscheck_line_parse("dns 101", 3, alive, &err), 0);
	assert_int_equal(alive[0], 1);
	assert_int_equal(alive[1], 0);
	assert_int_equal(alive[2], 1);
	assert_int_equal(dnscheck_line_parse("dns 10", 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: bad line, expected \"dns \" and 3 of 0 or 1");
	assert_int_equal(dnscheck_line_parse("dns 1011", 3, alive, &err), -EINVAL);
	assert_int_equal(dnscheck_line_parse("dns 1x1", 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: bad verdict at position 2, expected 0 or 1");
	assert_int_equal(dnscheck_line_parse("dnsx101", 3, alive, &err), -EINVAL);
	assert_int_equal(dnscheck_line_parse("dns 11", 0, alive, &err), -EINVAL);
	assert_int_equal(dnscheck_line_parse("", 1, alive, &err), -EINVAL);
}

static void
test_dns_wire(void **state)
{
	uint8_t q[DNS_QUERY_LEN], a[64];
	static const uint8_t want[DNS_QUERY_LEN] = { 0xbe, 0xef, 0x01, 0, 0, 1, 0, 0,
	    0, 0, 0, 0, 0, 0, 2, 0, 1 };

	(void)state;
	dns_query_encode(q, 0xbeef);
	assert_memory_equal(q, want, sizeof(want));
	/* Not an answer: the query itself (QR clear). */
	assert_int_equal(dns_answer_check(q, sizeof(q), 0xbeef), DNS_NOT_OURS);
	memcpy(a, q, sizeof(q));
	a[2] = 0x81;
	a[3] = 0x80;	/* QR, RD, RA; NOERROR */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_ALIVE);
	assert_int_equal(dns_answer_check(a, sizeof(a), 0xbeef), DNS_ALIVE);
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeee), DNS_NOT_OURS);
	assert_int_equal(dns_answer_check(a, sizeof(q) - 1, 0xbeef), DNS_NOT_OURS);
	a[3] = 0x83;	/* NXDOMAIN */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_ALIVE);
	a[3] = 0x85;	/* REFUSED */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_ALIVE);
	a[3] = 0x82;	/* SERVFAIL */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_FAILING);
	a[3] = 0x80;
	a[2] = 0x89;	/* opcode 1 */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_NOT_OURS);
	a[2] = 0x81;
	a[14] = 1;	/* another question: type A */
	assert_int_equal(dns_answer_check(a, sizeof(q), 0xbeef), DNS_NOT_OURS);
}

static const char policy_text[] =
    "version 1\nserial 1\n"
    "device {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/etc/sekisho/device.key\"\n}\n"
    "gateway \"gw\" {\n\tendpoint 192.0.2.10:51820\n"
    "\tpublic-key \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n}\n"
    "lgwan {\n\tprefix 10.64.0.0/16\n\tresolver 10.64.0.61\n\tresolver 10.64.0.62\n}\n"
    "work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"
    "office {\n\tresolver 10.66.0.53\n\tresolver 10.66.0.54\n}\n";

static void
test_render(void **state)
{
	struct policy pol;
	struct sk_error err;
	struct fw_params fp = {
	    .mode = MODE_OFFICE, .pol = &pol, .work_if = "wk0",
	    .tun_if = "skt0", .uplink = "up0" };
	const struct in_addr *v;
	struct buf b;
	size_t n;

	(void)state;
	assert_int_equal(policy_parse_buf("t.conf", policy_text, sizeof(policy_text) - 1,
	    &pol, &err), 0);
	fw_dns_resolvers(&pol, MODE_REMOTE, &v, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].s_addr, inet_addr("10.64.0.62"));
	fw_dns_resolvers(&pol, MODE_OFFICE, &v, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].s_addr, inet_addr("10.66.0.53"));
	buf_init(&b);
	fw_render(&fp, &b);
	assert_non_null(buf_str(&b));
	/* Office mode: the office's first resolver in the map. */
	assert_non_null(strstr(b.p, "\tmap dns_pick {\n\t\ttype ipv4_addr : ipv4_addr\n"
	    "\t\telements = { 172.30.0.1 : 10.66.0.53 }\n\t}\n"));
	buf_free(&b);
	{
		char item[FW_DNS_ITEM_MAX];

		fw_dns_pick_item(pol.work_router, v[1], item);
		assert_string_equal(item, "172.30.0.1 : 10.66.0.54");
	}
	/* Blocked mode translates nothing: no map, no rule. */
	fp.mode = MODE_BLOCKED;
	buf_init(&b);
	fw_render(&fp, &b);
	assert_non_null(buf_str(&b));
	assert_null(strstr(b.p, "dns_pick"));
	buf_free(&b);
	policy_free(&pol);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_failover_and_back),
		cmocka_unit_test(test_pick_flapping_and_none),
		cmocka_unit_test(test_pick_single),
		cmocka_unit_test(test_line_parse),
		cmocka_unit_test(test_dns_wire),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
