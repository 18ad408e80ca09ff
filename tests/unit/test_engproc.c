/*
 * sekishod's parent as a compromised engine process would find it
 * (engcheck.h, engmsg.h): every message out of format is refused with one
 * line naming the field, and every action out of the parent's own bounds
 * is refused with one line naming what was asked and why not; the
 * engine's own results pass through the codec unchanged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netvm/sekishod/engcheck.h"
#include "netvm/sekishod/engmsg.h"
#include "policy/bundle.h"

#define WORK	1
#define TUN	9
#define UP0	2
#define UP1	3
#define VOUCH	1500

static const uint8_t mac_a[ENGINE_MAC_LEN] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[ENGINE_MAC_LEN] = { 2, 0, 0, 0, 0, 0xb };

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
feed(struct kview *kv, struct engine *e, struct event ev)
{
	struct action acts[ENGINE_MAX_ACTIONS];

	kv_event(kv, &ev);
	if (e != NULL)
		engine_handle(e, &ev, acts);
}

/* up0 with an address, a router at 192.0.2.1 resolved to mac_a, and a
 * beacon verified on it at t = 1000; up1 with a router and no beacon. */
static void
setup(struct kview *kv, struct engine *e)
{
	struct event ev;

	kv_init(kv, WORK, TUN);
	if (e != NULL) {
		engine_init(e, WORK, TUN, ip("203.0.113.1"), 1);
		engine_set_policy(e, 1, 0);
	}
	for (int i = 0; i < 2; i++) {
		int ifx = i == 0 ? UP0 : UP1;

		memset(&ev, 0, sizeof(ev));
		ev = (struct event){ .type = EV_LINK, .ifindex = ifx, .carrier = 1,
		    .priority = 300, .now_ms = 10 };
		strcpy(ev.name, i == 0 ? "up0" : "up1");
		feed(kv, e, ev);
		feed(kv, e, (struct event){ .type = EV_ADDR_ADD, .ifindex = ifx,
		    .addr = ip(i == 0 ? "192.0.2.10" : "198.51.100.10"), .plen = 24, .now_ms = 20 });
		feed(kv, e, (struct event){ .type = EV_GW_ADD, .ifindex = ifx,
		    .gw = ip(i == 0 ? "192.0.2.1" : "198.51.100.1"), .now_ms = 30 });
	}
	ev = (struct event){ .type = EV_NEIGH, .ifindex = UP0, .addr = ip("192.0.2.1"),
	    .has_lladdr = 1, .now_ms = 40 };
	memcpy(ev.lladdr, mac_a, sizeof(mac_a));
	feed(kv, e, ev);
	ev = (struct event){ .type = EV_BEACON_OK, .ifindex = UP0, .now_ms = 1000 };
	strcpy(ev.beacon, "hq");
	feed(kv, e, ev);
}

static void
refused(const struct kview *kv, struct action a, uint64_t now, const char *why)
{
	struct sk_error err;

	assert_int_equal(kv_check(kv, &a, 2, now, VOUCH, &err), -1);
	assert_string_equal(err.msg, why);
	assert_null(strchr(err.msg, '\n'));
}

static void
allowed(const struct kview *kv, struct action a, uint64_t now)
{
	struct sk_error err;

	err.msg[0] = '\0';
	if (kv_check(kv, &a, 2, now, VOUCH, &err) != 0)
		fail_msg("refused: %s", err.msg);
}

static struct action
act(enum act_type t, enum mode m, int ifx, const char *name)
{
	struct action a = { .type = t, .mode = m, .ifindex = ifx };

	strcpy(a.uplink, name);
	return a;
}

static void
test_bounds(void **state)
{
	struct kview kv;
	struct action a;

	(void)state;
	setup(&kv, NULL);
	allowed(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 1500);
	allowed(&kv, act(ACT_OFFICE_VIA, MODE_OFFICE, UP0, "up0"), 1500);
	allowed(&kv, act(ACT_RULES, MODE_REMOTE, 0, ""), 9999999);
	allowed(&kv, act(ACT_PROBE, MODE_BLOCKED, UP1, "up1"), 1500);
	a = act(ACT_TUNNEL_VIA, MODE_REMOTE, UP1, "up1");
	a.has_gw = 1;
	a.gw = ip("198.51.100.1");
	allowed(&kv, a, 1500);
	assert_memory_equal(kv_office_mac(&kv, UP0), mac_a, ENGINE_MAC_LEN);

	/* Office mode: only where the parent saw a beacon verify, lately. */
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 2501,
	    "office mode over up0: the last verified beacon answer is 1501 ms old, "
	    "office-vouch is 1500");
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP1, "up1"), 1500,
	    "office mode over up1: no beacon answer verified on it");
	refused(&kv, act(ACT_OFFICE_VIA, MODE_OFFICE, UP1, "up1"), 1500,
	    "office mode over up1: no beacon answer verified on it");
	refused(&kv, act(ACT_RULES, MODE_OFFICE, WORK, "wk0"), 1500,
	    "office mode over ifindex 1: not an uplink");
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP1, "up0"), 1500,
	    "office mode over \"up0\": ifindex 3 is \"up1\" in the kernel");
	a = act(ACT_OFFICE_VIA, MODE_OFFICE, UP0, "up0");
	a.has_gw = 1;
	a.gw = ip("192.0.2.66");
	refused(&kv, a, 1500, "office routes over up0 via 192.0.2.66: not the link's "
	    "default router");
	/* The rest: links the kernel shows, the policy's gateways, modes. */
	refused(&kv, act(ACT_PROBE, MODE_BLOCKED, 7, "up7"), 1500,
	    "a probe over ifindex 7: no such link in the kernel");
	refused(&kv, act(ACT_PROBE, MODE_BLOCKED, TUN, "sekisho0"), 1500,
	    "a probe over ifindex 9: not an uplink");
	a = act(ACT_TUNNEL_VIA, MODE_REMOTE, UP1, "up1");
	a.has_gw = 1;
	a.gw = ip("192.0.2.1");
	refused(&kv, a, 1500, "the tunnel's route over up1 via 192.0.2.1: not the link's "
	    "default router");
	a = act(ACT_GATEWAY, MODE_REMOTE, UP0, "up0");
	a.gateway = 3;
	refused(&kv, a, 1500, "gateway 4 (from 1): the policy has 2");
	a = act(ACT_RULES, (enum mode)7, 0, "");
	refused(&kv, a, 1500, "a ruleset of mode 7");
}

/* Another router behind the same address: what the beacon proved is
 * gone, in the parent too; a beacon that fails, the same. */
static void
test_router_change_unproves(void **state)
{
	struct kview kv;
	struct event ev;

	(void)state;
	setup(&kv, NULL);
	ev = (struct event){ .type = EV_NEIGH, .ifindex = UP0, .addr = ip("192.0.2.1"),
	    .has_lladdr = 1, .now_ms = 1100 };
	memcpy(ev.lladdr, mac_b, sizeof(mac_b));
	kv_event(&kv, &ev);
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 1200,
	    "office mode over up0: no beacon answer verified on it");
	assert_null(kv_office_mac(&kv, UP0));
	setup(&kv, NULL);
	kv_event(&kv, &(struct event){ .type = EV_BEACON_FAIL, .ifindex = UP0, .now_ms = 1100 });
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 1200,
	    "office mode over up0: no beacon answer verified on it");
	/* A predecessor's proof, for the link under the same name only. */
	kv_prove(&kv, UP0, "up1", 5000);
	refused(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 5000,
	    "office mode over up0: no beacon answer verified on it");
	kv_prove(&kv, UP0, "up0", 5000);
	allowed(&kv, act(ACT_RULES, MODE_OFFICE, UP0, "up0"), 5000);
}

/* The engine's own result crosses unchanged; the call too. */
static void
test_codec_round_trip(void **state)
{
	static struct eng_result r, back;
	static uint8_t buf[ENG_RESULT_LEN], again[ENG_RESULT_LEN];
	struct eng_call k = { .op = ENG_EVENT, .i1 = -1, .i3 = 3, .u = 12345, .n = 2 }, k2;
	uint8_t cb[ENG_CALL_LEN], cb2[ENG_CALL_LEN];
	struct sk_error err;
	struct kview kv;
	struct engine e;

	(void)state;
	setup(&kv, &e);
	r.n = engine_restate(&e, 1200, r.acts);
	assert_true(r.n > 0);
	r.retry_at = 77;
	r.r = 1;
	r.state = e;
	eng_result_encode(buf, &r);
	assert_int_equal(eng_result_decode(buf, sizeof(buf), &back, &err), 0);
	assert_int_equal(back.n, r.n);
	assert_int_equal(back.state.mode, MODE_OFFICE);
	assert_int_equal(back.state.active, UP0);
	assert_string_equal(back.state.uplinks[0].name, "up0");
	assert_memory_equal(back.state.uplinks[0].office_mac, mac_a, ENGINE_MAC_LEN);
	assert_string_equal(back.state.reason, e.reason);
	for (size_t i = 0; i < r.n; i++) {
		assert_int_equal(back.acts[i].type, r.acts[i].type);
		assert_string_equal(back.acts[i].uplink, r.acts[i].uplink);
	}
	eng_result_encode(again, &back);
	assert_memory_equal(buf, again, sizeof(buf));

	k.endpoints[0] = ip("203.0.113.1");
	k.ev.type = EV_NEIGH;
	k.ev.ifindex = UP0;
	strcpy(k.ev.name, "up0");
	k.up = e.uplinks[0];
	eng_call_encode(cb, &k);
	assert_int_equal(eng_call_decode(cb, sizeof(cb), &k2, &err), 0);
	eng_call_encode(cb2, &k2);
	assert_memory_equal(cb, cb2, sizeof(cb));
	assert_int_equal(k2.i1, -1);
}

static void
bad_result(const uint8_t *buf, size_t len, const char *why)
{
	static struct eng_result r;
	struct sk_error err;

	assert_int_equal(eng_result_decode(buf, len, &r, &err), -EINVAL);
	assert_string_equal(err.msg, why);
}

static void
test_codec_refuses(void **state)
{
	static struct eng_result r;
	static uint8_t buf[ENG_RESULT_LEN + 1], b[ENG_RESULT_LEN];
	struct eng_call k = { .op = ENG_PROBE_ALL }, out;
	uint8_t cb[ENG_CALL_LEN + 1];
	struct sk_error err;
	struct kview kv;
	struct engine e;
	size_t at;
	char want[128];

	(void)state;
	setup(&kv, &e);
	r.n = 1;
	r.acts[0] = act(ACT_PROBE, MODE_BLOCKED, UP1, "up1");
	r.state = e;
	eng_result_encode(buf, &r);
	bad_result(buf, ENG_RESULT_LEN + 1, "message of 3194 bytes, not 3193");
	bad_result(buf, ENG_RESULT_LEN - 1, "message of 3192 bytes, not 3193");
#define EDIT(off, val, why) do {					\
	memcpy(b, buf, ENG_RESULT_LEN);					\
	b[(off)] = (val);						\
	bad_result(b, ENG_RESULT_LEN, (why));				\
} while (0)
	EDIT(0, 2, "version 2, not 1");
	EDIT(1, ENG_T_CALL, "message type 1, not 2");
	EDIT(3, 1, "reserved byte 1, not 0");
	EDIT(2, ENG_MAX_ACTS + 1, "17 actions, at most 16");
	at = 16;	/* the first action: its type */
	EDIT(at, ACT_LIVE_PROBE + 1, "action type at byte 16: out of range");
	EDIT(at + 1, MODE_OFFICE + 1, "action mode at byte 17: out of range");
	/* its uplink: "up1" -> "u;1", and no NUL at all */
	EDIT(at + 6 + 1, ';', "action uplink at byte 22: not an interface name");
	memcpy(b, buf, ENG_RESULT_LEN);
	memset(b + at + 6, 'a', IF_NAMESIZE);
	bad_result(b, ENG_RESULT_LEN, "action uplink at byte 22: not NUL-terminated");
	EDIT(at + 6 + 5, 'x', "action uplink at byte 22: not NUL-padded");
	at = 16 + ENG_ACTION_LEN;	/* the second, unused */
	snprintf(want, sizeof(want), "byte %zu of unused action 1 is not 0", at + 3);
	EDIT(at + 3, 1, want);
	at = 16 + ENG_MAX_ACTS * ENG_ACTION_LEN;	/* the state */
	snprintf(want, sizeof(want), "state gateways at byte %zu: out of range", at + 24);
	EDIT(at + 24 + 3, ENGINE_MAX_GATEWAYS + 1, want);

	eng_call_encode(cb, &k);
	assert_int_equal(eng_call_decode(cb, ENG_CALL_LEN, &out, &err), 0);
	cb[2] = ENG_OP_MAX + 1;
	assert_int_equal(eng_call_decode(cb, ENG_CALL_LEN, &out, &err), -EINVAL);
	assert_string_equal(err.msg, "unknown operation 9");
	cb[2] = ENG_PROBE_ALL;
	assert_int_equal(eng_call_decode(cb, ENG_CALL_LEN + 1, &out, &err), -EINVAL);
	snprintf(want, sizeof(want), "message of %d bytes, not %d", ENG_CALL_LEN + 1,
	    ENG_CALL_LEN);
	assert_string_equal(err.msg, want);
}

/* A helper's line (engmsg.h "helper results"): parsed by the engine with
 * the helper's own parser, carried both ways unchanged, and every answer
 * out of the parent's bounds refused with one line. */
static struct eng_parse
dns_line(const char *line, uint32_t n)
{
	struct eng_parse p = { .kind = ENG_PARSE_DNSCHECK, .n = n, .len = strlen(line) };

	memcpy(p.raw, line, p.len);
	return p;
}

/* Where the parsed message's fields start (engmsg.h). */
#define SERIAL_AT	(9 + DNS_MAX_RESOLVERS)
#define TIME_AT		(SERIAL_AT + 8)
#define DEVICE_AT	(TIME_AT + 8)
#define LINE_AT		(DEVICE_AT + ENG_STMT_KEY)
#define ERR_AT		(LINE_AT + ENG_PARSED_ERR)

static void
bad_parsed(const uint8_t *buf, const char *why)
{
	struct eng_parsed r;
	struct sk_error err;

	assert_int_equal(eng_parsed_decode(buf, ENG_PARSED_LEN, &r, &err), -EINVAL);
	assert_string_equal(err.msg, why);
}

static void
test_helper_results(void **state)
{
	uint8_t pb[ENG_PARSE_LEN], rb[ENG_PARSED_LEN], b[ENG_PARSED_LEN];
	uint8_t alive[DNS_MAX_RESOLVERS];
	struct eng_parse p = dns_line("dns 101", 3), p2;
	struct eng_parsed r, r2;
	struct sk_error err;

	(void)state;
	/* the engine's side: the checker's own parser */
	eng_parse_encode(pb, &p);
	assert_int_equal(eng_parse_decode(pb, sizeof(pb), &p2, &err), 0);
	assert_int_equal(p2.len, 7);
	assert_memory_equal(p2.raw, "dns 101", 7);
	eng_parse_run(&p2, &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.n, 3);
	eng_parsed_encode(rb, &r);
	assert_int_equal(eng_parsed_decode(rb, sizeof(rb), &r2, &err), 0);
	assert_int_equal(eng_parsed_check_dns(&r2, 3, alive, &err), 0);
	assert_int_equal(alive[0], 1);
	assert_int_equal(alive[1], 0);
	assert_int_equal(alive[2], 1);

	/* a checker's lie stays the checker's: refused, its line passed on */
	p = dns_line("dns 1x1", 3);
	eng_parse_run(&p, &r);
	assert_int_equal(r.ok, 0);
	eng_parsed_encode(rb, &r);
	assert_int_equal(eng_parsed_decode(rb, sizeof(rb), &r2, &err), 0);
	assert_int_equal(eng_parsed_check_dns(&r2, 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: bad verdict at position 2, expected 0 or 1");
	p = dns_line("dns 1111", 3);	/* a fourth resolver, not asked about */
	eng_parse_run(&p, &r);
	assert_int_equal(eng_parsed_check_dns(&r, 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg,
	    "dns check: bad line, expected \"dns \" and 3 of 0 or 1");
	p = dns_line("dns 1\0001", 3);
	p.len = 7;
	eng_parse_run(&p, &r);
	assert_int_equal(eng_parsed_check_dns(&r, 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: NUL byte in line");

	/* a compromised engine's answer, held to what the parent asked */
	p = dns_line("dns 1111", 4);
	eng_parse_run(&p, &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(eng_parsed_check_dns(&r, 3, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: the engine gave 4 verdicts for 3 resolvers");
	eng_parsed_encode(rb, &r);
#define PEDIT(off, val, why) do {					\
	memcpy(b, rb, sizeof(b));					\
	b[(off)] = (val);						\
	bad_parsed(b, (why));						\
} while (0)
	PEDIT(1, ENG_T_PARSE, "message type 3, not 4");
	PEDIT(2, ENG_KIND_MAX + 1, "unknown helper result kind 4");
	PEDIT(4, 2, "parsed ok at byte 4: out of range");
	PEDIT(8, DNS_MAX_RESOLVERS + 1, "parsed n at byte 5: out of range");
	PEDIT(9, 2, "parsed verdict at byte 9: out of range");
	PEDIT(9 + 4, 1, "verdict 5 beyond the count is not 0");
	PEDIT(4, 0, "verdict 1 beyond the refusal is not 0");
	PEDIT(ERR_AT, 'x', "parsed ok with a reason");
	PEDIT(ERR_AT, '\n', "parsed error at byte 225: not printable");
	assert_int_equal(eng_parsed_decode(rb, ENG_PARSED_LEN - 1, &r2, &err), -EINVAL);
	assert_string_equal(err.msg, "message of 384 bytes, not 385");
	p = dns_line("dns 0000", 4);
	eng_parse_run(&p, &r);
	eng_parsed_encode(rb, &r);
	PEDIT(4, 0, "parsed refused without a reason");
	r.kind = ENG_KIND_MAX + 1;
	assert_int_equal(eng_parsed_check_dns(&r, 4, alive, &err), -EINVAL);
	assert_string_equal(err.msg, "dns check: the engine answered for kind 4");

	/* the parent's own message, refused by the engine if out of format */
	p = dns_line("dns 1", 1);
	eng_parse_encode(pb, &p);
	pb[10 + 5] = 'x';	/* a byte beyond the line's length */
	assert_int_equal(eng_parse_decode(pb, sizeof(pb), &p2, &err), -EINVAL);
	assert_string_equal(err.msg, "byte 15 beyond the length is not 0");
	pb[8] = 1;	/* 0x0105: longer than ENG_RAW_MAX */
	assert_int_equal(eng_parse_decode(pb, sizeof(pb), &p2, &err), -EINVAL);
	assert_string_equal(err.msg, "parse length at byte 8: out of range");
}

/* sekisho-fetch's standard error and exit status (engmsg.h, kind
 * ENG_PARSE_FETCH): one printable line for an error, nothing otherwise;
 * every lie refused with one line; the parent holds the outcome to the
 * exit status it read itself. */
static struct eng_parse
fetch_out(const char *raw, size_t len, int wstatus)
{
	struct eng_parse p = { .kind = ENG_PARSE_FETCH, .len = len };

	eng_fetch_outcome(wstatus, &p.n);
	memcpy(p.raw, raw, len);
	return p;
}

static void
fetch_refused(const char *raw, size_t len, int wstatus, const char *why)
{
	struct eng_parse p = fetch_out(raw, len, wstatus);
	uint8_t rb[ENG_PARSED_LEN];
	struct eng_parsed r, r2;
	struct sk_error err;
	uint32_t n;
	char line[ENG_PARSED_ERR];

	eng_parse_run(&p, &r);
	assert_int_equal(r.ok, 0);
	eng_parsed_encode(rb, &r);
	assert_int_equal(eng_parsed_decode(rb, sizeof(rb), &r2, &err), 0);
	assert_int_equal(eng_parsed_check_fetch(&r2, eng_fetch_outcome(wstatus, &n), line,
	    sizeof(line), &err), -EINVAL);
	assert_string_equal(err.msg, why);
}

static void
test_fetch_results(void **state)
{
	uint8_t rb[ENG_PARSED_LEN], b[ENG_PARSED_LEN];
	struct eng_parse p;
	struct eng_parsed r, r2;
	struct sk_error err;
	char line[ENG_PARSED_ERR], longer[200];
	uint32_t n;

	(void)state;
	/* the helper's one error line, exit status 1 */
	p = fetch_out("10.0.0.1:8443: connect: Connection refused\n", 43, 1 << 8);
	assert_int_equal(p.n, 1);
	eng_parse_run(&p, &r);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.n, ENG_FETCH_ERROR);
	eng_parsed_encode(rb, &r);
	assert_int_equal(eng_parsed_decode(rb, sizeof(rb), &r2, &err), 0);
	assert_int_equal(eng_parsed_check_fetch(&r2, ENG_FETCH_ERROR, line, sizeof(line), &err),
	    0);
	assert_string_equal(line, "10.0.0.1:8443: connect: Connection refused");
	/* a newer bundle, silently */
	p = fetch_out("", 0, 0);
	eng_parse_run(&p, &r);
	assert_int_equal(eng_parsed_check_fetch(&r, ENG_FETCH_NEWER, line, sizeof(line), &err),
	    0);
	assert_string_equal(line, "");
	/* killed: its text is not read at all */
	p = fetch_out("\xff\xff", 2, 9);
	assert_int_equal(p.n, ENG_FETCH_SIGNALED + 9);
	eng_parse_run(&p, &r);
	assert_int_equal(eng_parsed_check_fetch(&r, ENG_FETCH_FAILED, line, sizeof(line), &err),
	    0);
	assert_string_equal(line, "");

	/* the lies */
	fetch_refused("x: ok\n", 6, 0,
	    "its exit status says newer, and it wrote 6 bytes on standard error");
	fetch_refused("a\nb\n", 4, 1 << 8, "more than one line");
	fetch_refused("a\0b\n", 4, 1 << 8, "NUL byte at 1 of its line");
	fetch_refused("a\xff\n", 3, 1 << 8, "byte 0xff at 1 of its line");
	fetch_refused("abc", 3, 1 << 8, "its line has no end");
	fetch_refused("", 0, 1 << 8, "it failed without its line");
	fetch_refused("\n", 1, 1 << 8, "its line is empty");	/* found by fuzz_engmsg */
	memset(longer, 'a', sizeof(longer));
	longer[sizeof(longer) - 1] = '\n';
	fetch_refused(longer, sizeof(longer), 1 << 8, "its line is 199 bytes, at most 159");

	/* a compromised engine: another outcome than the exit status's */
	p = fetch_out("", 0, 3 << 8);
	eng_parse_run(&p, &r);
	assert_int_equal(r.n, ENG_FETCH_NONE);
	assert_int_equal(eng_parsed_check_fetch(&r, eng_fetch_outcome(0, &n), line,
	    sizeof(line), &err), -EINVAL);
	assert_string_equal(err.msg, "fetch: the engine read outcome 2, the exit status says 1");
	/* ... or fields no fetch result has */
	p = fetch_out("e\n", 2, 1 << 8);
	eng_parse_run(&p, &r);
	eng_parsed_encode(rb, &r);
	PEDIT(SERIAL_AT + 7, 1, "a statement's fields in a non-statement result");
	PEDIT(DEVICE_AT, 1, "a statement's fields in a non-statement result");
	PEDIT(8, ENG_FETCH_MAX + 1, "fetch outcome 6");
	PEDIT(8, ENG_FETCH_NONE, "a helper's line where none belongs");
	PEDIT(LINE_AT, 0, "a helper's line missing");
}

/* A freshness statement (kind ENG_PARSE_FRESH): decoded by the policy's
 * own decoder in the engine, its fields passed back as they were. */
static void
test_fresh_results(void **state)
{
	uint8_t stmt[FRESH_LEN], rb[ENG_PARSED_LEN], b[ENG_PARSED_LEN];
	uint8_t dev[BUNDLE_KEY_LEN], signer[BUNDLE_KEY_LEN], got[ENG_STMT_KEY];
	struct eng_parse p = { .kind = ENG_PARSE_FRESH, .len = FRESH_LEN };
	struct eng_parsed r, r2;
	struct sk_error err;
	uint64_t serial, t;

	(void)state;
	memset(dev, 0xd1, sizeof(dev));
	memset(signer, 0x51, sizeof(signer));
	fresh_encode_body(stmt, 42, 1800000000, dev, signer);
	memset(stmt + FRESH_BODY_LEN, 0x77, BUNDLE_SIG_LEN);
	memcpy(p.raw, stmt, sizeof(stmt));
	eng_parse_run(&p, &r);
	assert_int_equal(r.ok, 1);
	eng_parsed_encode(rb, &r);
	assert_int_equal(eng_parsed_decode(rb, sizeof(rb), &r2, &err), 0);
	assert_int_equal(eng_parsed_check_fresh(&r2, &serial, &t, got, &err), 0);
	assert_int_equal(serial, 42);
	assert_int_equal(t, 1800000000);
	assert_memory_equal(got, dev, sizeof(dev));
	/* one byte more, or a bad magic: the decoder's own line */
	p.len = FRESH_LEN + 1;
	eng_parse_run(&p, &r);
	assert_int_equal(eng_parsed_check_fresh(&r, &serial, &t, got, &err), -EINVAL);
	assert_string_equal(err.msg, r.err);
	assert_true(strncmp(err.msg, "statement: ", 11) == 0);
	/* a refused one carries no fields */
	eng_parsed_encode(rb, &r);
	PEDIT(TIME_AT + 7, 1, "a statement's fields in a refused result");
	PEDIT(8, 1, "n 1 with no count");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_router_change_unproves),
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_codec_refuses),
		cmocka_unit_test(test_helper_results),
		cmocka_unit_test(test_fetch_results),
		cmocka_unit_test(test_fresh_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
