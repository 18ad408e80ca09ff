/* The mode engine, with no kernel: events in, the exact actions out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netvm/sekishod/engine.h"

#define WORK 2
#define TUN 9
#define UP0 3
#define UP1 4

static struct in_addr
a4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct engine e;
static struct action acts[ENGINE_MAX_ACTIONS];

static uint64_t now = 1000;
static unsigned int prio[8];

/* Office routers' link-layer addresses: the office's, another LAN's. */
static const uint8_t MAC_OFFICE[ENGINE_MAC_LEN] = { 0x02, 0, 0, 0, 0x0a, 0x01 };
static const uint8_t MAC_HOTEL[ENGINE_MAC_LEN] = { 0x02, 0, 0, 0, 0x0b, 0x01 };
/* A default route comes with its router resolved by the kernel (an
 * EV_NEIGH with MAC_OFFICE right after), unless a test says otherwise. */
static int auto_router = 1;

/* The kernel's neighbour entry of addr on ifindex: mac, or NULL (gone). */
static size_t
neigh(int ifindex, const char *addr, const uint8_t *mac)
{
	struct event ev = { .type = EV_NEIGH, .ifindex = ifindex, .now_ms = now };

	ev.addr = a4(addr);
	if (mac != NULL) {
		ev.has_lladdr = 1;
		memcpy(ev.lladdr, mac, ENGINE_MAC_LEN);
	}
	return engine_handle(&e, &ev, acts);
}

static size_t
feed(enum ev_type type, int ifindex, const char *x)
{
	struct event ev = { .type = type, .ifindex = ifindex, .now_ms = now };

	snprintf(ev.name, sizeof(ev.name), "up%d", ifindex - UP0);
	ev.priority = ifindex >= 0 && ifindex < 8 ? prio[ifindex] : 0;
	if (type == EV_BEACON_OK)
		snprintf(ev.beacon, sizeof(ev.beacon), "%s", x);
	ev.carrier = 1;
	if (type == EV_LINK && x != NULL && strcmp(x, "down") == 0)
		ev.carrier = 0;
	if (type == EV_ADDR_ADD || type == EV_ADDR_DEL) {
		ev.addr = a4(x);
		ev.plen = 24;
	}
	if (type == EV_GW_ADD || type == EV_GW_DEL)
		ev.gw = a4(x);
	if (type == EV_GW_ADD && auto_router) {
		size_t n = engine_handle(&e, &ev, acts);
		struct action keep[ENGINE_MAX_ACTIONS];

		/* The route's actions are what the caller sees; the router
		 * resolved after it changes nothing before a beacon answers. */
		memcpy(keep, acts, sizeof(keep));
		assert_int_equal(neigh(ifindex, x, MAC_OFFICE), 0);
		memcpy(acts, keep, sizeof(keep));
		return n;
	}
	return engine_handle(&e, &ev, acts);
}

static int
setup(void **state)
{
	(void)state;
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 0);
	memset(prio, 0, sizeof(prio));
	now = 1000;
	auto_router = 1;
	return 0;
}

static void
test_starts_blocked(void **state)
{
	(void)state;
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(e.active, 0);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 0);
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "192.168.1.100"), 0);
	assert_int_equal(e.mode, MODE_BLOCKED);
}

static void
test_remote_when_uplink_has_route(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	assert_int_equal(feed(EV_GW_ADD, UP0, "192.168.1.1"), 2);
	/* The tunnel's path first, then the rules that let work use it. */
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_true(acts[0].has_gw);
	assert_int_equal(acts[0].gw.s_addr, a4("192.168.1.1").s_addr);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(e.active, UP0);
	assert_string_equal(e.reason, "tunnel over up0");
}

static void
test_endpoint_on_link_needs_no_route(void **state)
{
	(void)state;
	engine_init(&e, WORK, TUN, a4("192.168.1.77"), 0);
	feed(EV_LINK, UP0, NULL);
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "192.168.1.100"), 2);
	assert_false(acts[0].has_gw);
	assert_int_equal(e.mode, MODE_REMOTE);
}

/* `ip addr flush` and a new address without a router: the kernel removed
 * the default route silently with the old address, so the uplink has no
 * way to the gateway until a route is announced again. */
static void
test_new_address_without_router_is_not_remote(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	assert_int_equal(e.mode, MODE_REMOTE);
	feed(EV_ADDR_DEL, UP0, "192.168.1.100");
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "10.9.9.9"), 0);
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_false(e.uplinks[0].has_gw);
	/* A router announced again: remote, through it. */
	assert_int_equal(feed(EV_GW_ADD, UP0, "10.9.9.1"), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].gw.s_addr, a4("10.9.9.1").s_addr);
	assert_int_equal(e.mode, MODE_REMOTE);
}

static void
test_blocked_when_address_lost(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	assert_int_equal(feed(EV_ADDR_DEL, UP0, "192.168.1.100"), 2);
	/* Rules first: work is cut off before the tunnel loses its path. */
	assert_int_equal(acts[0].type, ACT_RULES);
	assert_int_equal(acts[0].mode, MODE_BLOCKED);
	assert_int_equal(acts[1].type, ACT_TUNNEL_IDLE);
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(e.active, 0);
}

static void
test_blocked_on_carrier_loss_and_back(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	assert_int_equal(feed(EV_LINK, UP0, "down"), 2);
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(feed(EV_LINK, UP0, "down"), 0);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 2);
	assert_int_equal(e.mode, MODE_REMOTE);
}

static void
test_repeated_events_are_quiet(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	assert_int_equal(feed(EV_GW_ADD, UP0, "192.168.1.1"), 0);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 0);
	/* A new gateway on the same uplink only moves the tunnel's route. */
	assert_int_equal(feed(EV_GW_ADD, UP0, "192.168.1.254"), 1);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].gw.s_addr, a4("192.168.1.254").s_addr);
}

static void
test_ignores_work_and_tunnel_links(void **state)
{
	struct event ev = { .type = EV_LINK, .ifindex = WORK, .carrier = 1 };

	(void)state;
	assert_int_equal(engine_handle(&e, &ev, acts), 0);
	ev.ifindex = TUN;
	assert_int_equal(engine_handle(&e, &ev, acts), 0);
	assert_int_equal(e.n_uplinks, 0);
}

static void
test_failover_to_second_uplink(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	feed(EV_LINK, UP1, NULL);
	feed(EV_ADDR_ADD, UP1, "100.64.0.5");
	assert_int_equal(feed(EV_GW_ADD, UP1, "100.64.0.1"), 0);	/* no needless move */
	assert_int_equal(feed(EV_LINK_GONE, UP0, NULL), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP1);
	assert_int_equal(e.active, UP1);
	assert_int_equal(e.mode, MODE_REMOTE);
}

static void
test_restate(void **state)
{
	(void)state;
	assert_int_equal(engine_restate(&e, 5, acts), 2);
	assert_int_equal(acts[0].type, ACT_RULES);
	assert_int_equal(acts[0].mode, MODE_BLOCKED);
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "192.168.1.100");
	feed(EV_GW_ADD, UP0, "192.168.1.1");
	assert_int_equal(engine_restate(&e, 6, acts), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
}

static void
test_uplink_table_bounded(void **state)
{
	(void)state;
	for (int i = 0; i < ENGINE_MAX_UPLINKS + 5; i++)
		feed(EV_LINK, 100 + i, NULL);
	assert_int_equal(e.n_uplinks, ENGINE_MAX_UPLINKS);
}


#define UP2 5

static void
uplink_up(int ifindex, const char *addr, const char *gw)
{
	feed(EV_LINK, ifindex, NULL);
	feed(EV_ADDR_ADD, ifindex, addr);
	feed(EV_GW_ADD, ifindex, gw);
}

static int
setup_beacons(void **state)
{
	setup(state);
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	prio[UP0] = 300;	/* wired */
	prio[UP1] = 200;	/* Wi-Fi */
	prio[UP2] = 100;	/* WWAN */
	return 0;
}

static void
test_office_only_after_verified_beacon(void **state)
{
	(void)state;
	feed(EV_LINK, UP0, NULL);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	/* Usable: a probe goes out, and meanwhile the tunnel (nothing else). */
	assert_int_equal(feed(EV_GW_ADD, UP0, "10.66.0.1"), 3);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(acts[1].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[2].type, ACT_RULES);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_PROBING);
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	/* Route first, then the rules, then the tunnel goes idle. */
	assert_int_equal(acts[0].type, ACT_OFFICE_VIA);
	assert_int_equal(acts[0].gw.s_addr, a4("10.66.0.1").s_addr);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_OFFICE);
	assert_int_equal(acts[1].ifindex, UP0);
	assert_int_equal(acts[2].type, ACT_TUNNEL_IDLE);
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_string_equal(e.reason, "beacon tokyo-3f verified on up0");
	/* A re-verification that holds changes nothing. */
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 0);
}

static void
test_failed_probe_stays_remote(void **state)
{
	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	assert_int_equal(feed(EV_BEACON_FAIL, UP0, NULL), 0);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_NO);
}

static void
test_office_falls_back_when_beacon_stops(void **state)
{
	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_BEACON_FAIL, UP2, NULL);
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	/* The periodic re-verification fails: back to the tunnel, over the
	 * same uplink (it still has the better priority). */
	assert_int_equal(feed(EV_BEACON_FAIL, UP0, NULL), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
}

/* EV_TICK's companion at now: the probes of the fallen uplinks due. */
static size_t
retry_due(struct action *out)
{
	return engine_office_retry(&e, now, out);
}

/* An uplink that fell from office mode (one failed re-check) on the same
 * link is asked again, 1 s, 2 s, 4 s ... later (rand 0: a fifth early),
 * up to 60 s; an answer brings office mode back, without a link change. */
static void
test_office_fell_is_retried_with_doubling(void **state)
{
	struct action pr[ENGINE_MAX_UPLINKS];
	struct event fail = { .type = EV_BEACON_FAIL, .ifindex = UP0 };
	uint64_t wait = ENGINE_OFFICE_RETRY_MIN_MS;

	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, 0);
	fail.now_ms = now;
	engine_handle(&e, &fail, acts);
	assert_int_equal(e.mode, MODE_REMOTE);
	for (int i = 0; i < 9; i++) {
		const struct uplink *u = engine_uplink(&e, UP0);

		assert_int_equal(u->office, OFFICE_NO);
		assert_int_equal(u->retry_wait_ms, wait);
		assert_int_equal(u->retry_at_ms, now + wait - wait / 5);
		assert_int_equal(engine_office_retry_at(&e), u->retry_at_ms);
		now = u->retry_at_ms - 1;
		assert_int_equal(retry_due(pr), 0);	/* not yet */
		now++;
		assert_int_equal(retry_due(pr), 1);
		assert_int_equal(pr[0].type, ACT_PROBE);
		assert_int_equal(pr[0].ifindex, UP0);
		assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_PROBING);
		assert_int_equal(retry_due(pr), 0);	/* one probe at a time */
		assert_int_equal(engine_office_retry_at(&e), 0);
		/* It fails again: still remote, nothing to do but wait more. */
		fail.now_ms = now;
		engine_handle(&e, &fail, acts);
		assert_int_equal(e.mode, MODE_REMOTE);
		wait = wait * 2 > ENGINE_OFFICE_RETRY_MAX_MS ? ENGINE_OFFICE_RETRY_MAX_MS :
		    wait * 2;
	}
	assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, ENGINE_OFFICE_RETRY_MAX_MS);
	/* The jitter: at most a fifth either way. */
	now = engine_uplink(&e, UP0)->retry_at_ms;
	assert_int_equal(retry_due(pr), 1);
	fail.now_ms = now;
	fail.rand = UINT32_MAX;
	engine_handle(&e, &fail, acts);
	assert_true(engine_uplink(&e, UP0)->retry_at_ms <= now + 72000);
	assert_true(engine_uplink(&e, UP0)->retry_at_ms >= now + 48000);
	/* The beacon answers: office mode again, over the same uplink. */
	now = engine_uplink(&e, UP0)->retry_at_ms;
	assert_int_equal(retry_due(pr), 1);
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	assert_int_equal(acts[0].type, ACT_OFFICE_VIA);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_OFFICE);
	assert_int_equal(e.mode, MODE_OFFICE);
	/* ... and the backoff starts afresh: the next fall waits 1 s. */
	assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, 0);
	fail.now_ms = now;
	fail.rand = 0;
	engine_handle(&e, &fail, acts);
	assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, ENGINE_OFFICE_RETRY_MIN_MS);
}

/* Never verified (a home LAN): no beacon is ever asked again, however
 * long it stays; today's behaviour. */
static void
test_never_verified_is_not_retried(void **state)
{
	struct action pr[ENGINE_MAX_UPLINKS];

	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	assert_int_equal(feed(EV_BEACON_FAIL, UP0, NULL), 0);
	assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, 0);
	for (int i = 0; i < 10; i++) {
		now += ENGINE_OFFICE_RETRY_MAX_MS;
		assert_int_equal(feed(EV_TICK, 0, NULL), 0);
		assert_int_equal(retry_due(pr), 0);
		assert_int_equal(engine_office_retry_at(&e), 0);
	}
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_NO);
}

/* A change of the link, address, gateway or router after the fall: maybe
 * another network; no retry there (a change of the link probes once, as
 * ever, and a failure of that probe schedules nothing). */
static void
test_office_retry_reset_by_link_change(void **state)
{
	static const char *const what[] = { "carrier", "addr", "gw", "router" };
	struct action pr[ENGINE_MAX_UPLINKS];

	(void)state;
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		setup_beacons(state);
		uplink_up(UP0, "10.66.0.100", "10.66.0.1");
		feed(EV_BEACON_OK, UP0, "tokyo-3f");
		feed(EV_BEACON_FAIL, UP0, NULL);
		assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms,
		    ENGINE_OFFICE_RETRY_MIN_MS);
		if (i == 0) {
			feed(EV_LINK, UP0, "down");
			feed(EV_LINK, UP0, NULL);
		} else if (i == 1) {
			feed(EV_ADDR_ADD, UP0, "10.77.0.100");
		} else if (i == 2) {
			feed(EV_GW_ADD, UP0, "10.66.0.254");
		} else {
			neigh(UP0, "10.66.0.1", MAC_HOTEL);
		}
		assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, 0);
		if (i < 3) {
			/* The change probes once, as ever; its failure waits for
			 * nothing. */
			assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_PROBING);
			feed(EV_BEACON_FAIL, UP0, NULL);
			assert_int_equal(engine_uplink(&e, UP0)->retry_wait_ms, 0);
		}
		now += ENGINE_OFFICE_RETRY_MAX_MS * 2;
		assert_int_equal(retry_due(pr), 0);
		assert_int_equal(engine_office_retry_at(&e), 0);
	}
}

static void
test_unplug_office_goes_remote_on_next(void **state)
{
	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_BEACON_FAIL, UP2, NULL);
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(feed(EV_LINK, UP0, "down"), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
	/* Plugged back: what the beacon proved was forgotten; probe again. */
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_UNKNOWN);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 1);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(e.active, UP2);	/* no move while it is probed */
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	assert_int_equal(e.mode, MODE_OFFICE);
}

static void
test_office_beats_any_remote(void **state)
{
	(void)state;
	prio[UP2] = 1000;	/* even a preferred remote uplink */
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_BEACON_FAIL, UP2, NULL);
	uplink_up(UP1, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP1, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(e.active, UP1);
}

/* ---- the employee's preferred uplink (EV_PREFER, engine.h) ---- */

static size_t
prefer(const char *name)
{
	struct event ev = { .type = EV_PREFER, .now_ms = now };

	snprintf(ev.name, sizeof(ev.name), "%s", name);
	return engine_handle(&e, &ev, acts);
}

/* Preferred: the tunnel moves to it (route first, then the rules), over
 * the policy's priority; auto: back to the policy's order. */
static void
test_prefer_moves_tunnel_and_back(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	assert_int_equal(e.active, UP0);	/* wired beats WWAN */
	assert_int_equal(engine_prefer_check(&e, "up2", NULL), PREFER_OK);
	assert_int_equal(prefer("up2"), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
	assert_string_equal(acts[1].uplink, "up2");
	assert_string_equal(e.prefer, "up2");
	assert_string_equal(e.reason, "tunnel over up2");
	/* Again: nothing to do. */
	assert_int_equal(engine_prefer_check(&e, "up2", NULL), PREFER_SAME);
	assert_int_equal(prefer("up2"), 0);
	/* A better-ranked uplink coming up does not take it away. */
	assert_int_equal(feed(EV_LINK, UP0, "down"), 0);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 0);
	assert_int_equal(e.active, UP2);
	assert_int_equal(engine_prefer_check(&e, "", NULL), PREFER_OK);
	assert_int_equal(prefer(""), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_string_equal(e.prefer, "");
	assert_int_equal(engine_prefer_check(&e, "", NULL), PREFER_SAME);
}

/* The preferred uplink only while it can carry the tunnel: down, the
 * policy's order takes over; up again, it is preferred again (by name). */
static void
test_prefer_only_when_usable(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	prefer("up2");
	assert_int_equal(e.active, UP2);
	assert_int_equal(feed(EV_LINK, UP2, "down"), 2);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(e.active, UP0);
	assert_string_equal(e.prefer, "up2");	/* kept */
	feed(EV_LINK, UP2, NULL);
	assert_int_equal(e.active, UP2);
	/* Gone altogether and back, by name. */
	struct event gone = { .type = EV_LINK_GONE, .ifindex = UP2, .now_ms = now };
	engine_handle(&e, &gone, acts);
	assert_int_equal(e.active, UP0);
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	assert_int_equal(e.active, UP2);
	/* A stale tunnel over it: another uplink, as without a preference. */
	struct event stale = { .type = EV_TUNNEL_STALE, .now_ms = now };
	engine_handle(&e, &stale, acts);
	assert_int_equal(e.active, UP0);
}

/* What a preference meets: no such uplink (the work link and the tunnel
 * are none), an uplink that cannot carry anything, office mode. */
static void
test_prefer_check_refusals(void **state)
{
	const char *why;

	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	assert_int_equal(engine_prefer_check(&e, "up7", &why), PREFER_UNKNOWN);
	assert_null(why);
	/* the work link and the tunnel never become uplinks */
	struct event ev = { .type = EV_LINK, .ifindex = WORK, .carrier = 1, .now_ms = now };
	snprintf(ev.name, sizeof(ev.name), "wk0");
	engine_handle(&e, &ev, acts);
	ev.ifindex = TUN;
	snprintf(ev.name, sizeof(ev.name), "skt0");
	engine_handle(&e, &ev, acts);
	assert_int_equal(engine_prefer_check(&e, "wk0", NULL), PREFER_UNKNOWN);
	assert_int_equal(engine_prefer_check(&e, "skt0", NULL), PREFER_UNKNOWN);
	feed(EV_LINK, UP2, "down");
	assert_int_equal(engine_prefer_check(&e, "up2", &why), PREFER_DOWN);
	assert_string_equal(why, "no carrier");
	feed(EV_LINK, UP2, NULL);
	assert_int_equal(engine_prefer_check(&e, "up2", &why), PREFER_DOWN);
	assert_string_equal(why, "no address");
	feed(EV_ADDR_ADD, UP2, "100.64.1.100");
	assert_int_equal(engine_prefer_check(&e, "up2", &why), PREFER_DOWN);
	assert_string_equal(why, "no default route");
	feed(EV_GW_ADD, UP2, "100.64.1.1");
	assert_int_equal(engine_prefer_check(&e, "up2", &why), PREFER_OK);
	assert_null(why);
	/* nothing of that moved the tunnel */
	assert_int_equal(e.active, UP0);
	assert_string_equal(e.prefer, "");
}

/* Office mode is never left for a preference: a new one is refused, and
 * one made before office mode does not take the tunnel from a proven LAN;
 * when office mode ends, it holds again. */
static void
test_prefer_never_leaves_office(void **state)
{
	(void)state;
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_BEACON_FAIL, UP2, NULL);
	assert_int_equal(prefer("up2"), 0);	/* on it already */
	assert_string_equal(e.prefer, "up2");
	uplink_up(UP1, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP1, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(e.active, UP1);
	assert_int_equal(engine_prefer_check(&e, "up2", NULL), PREFER_OFFICE);
	assert_int_equal(engine_prefer_check(&e, "up1", NULL), PREFER_OFFICE);
	/* clearing one is always possible, and changes nothing here */
	assert_int_equal(engine_prefer_check(&e, "", NULL), PREFER_OK);
	assert_int_equal(prefer(""), 0);
	assert_int_equal(e.mode, MODE_OFFICE);
	prefer("up2");	/* an edge that did not ask: still office */
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(e.active, UP1);
	/* the office LAN's beacon stops: the preference holds again */
	feed(EV_BEACON_FAIL, UP1, NULL);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(e.active, UP2);
}

/* With beacons, a preferred uplink still being probed carries the tunnel
 * (office mode would take over if its beacon answered); the other
 * uplink's probe ending changes nothing, its own ending neither. */
static void
test_prefer_while_probing(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_PROBING);
	assert_int_equal(engine_uplink(&e, UP2)->office, OFFICE_PROBING);
	assert_int_equal(e.active, UP0);
	assert_int_equal(prefer("up2"), 2);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(feed(EV_BEACON_FAIL, UP0, NULL), 0);
	assert_int_equal(e.active, UP2);
	assert_int_equal(feed(EV_BEACON_FAIL, UP2, NULL), 0);
	assert_int_equal(e.active, UP2);
	/* its beacon answering would still win */
	uplink_up(UP1, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP1, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(e.active, UP1);
}

/* A restate (a fresh engine) keeps it. */
static void
test_prefer_survives_restate(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	prefer("up2");
	assert_int_equal(engine_restate(&e, now, acts), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
}

static void
test_priority_failover_and_back(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	assert_int_equal(e.active, UP2);
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	assert_int_equal(e.active, UP0);	/* wired beats WWAN */
	assert_int_equal(feed(EV_LINK, UP0, "down"), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 2);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(e.mode, MODE_REMOTE);
}

static void
test_stale_tunnel_moves_and_returns(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	assert_int_equal(e.active, UP0);
	assert_int_equal(feed(EV_TUNNEL_STALE, 0, NULL), 2);
	assert_int_equal(acts[0].ifindex, UP2);
	now += ENGINE_STALE_RETRY_MS - 1;
	assert_int_equal(feed(EV_TICK, 0, NULL), 0);
	now += 1;
	assert_int_equal(feed(EV_TICK, 0, NULL), 2);
	assert_int_equal(acts[0].ifindex, UP0);
}

static void
test_stale_only_uplink_still_used(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	assert_int_equal(feed(EV_TUNNEL_STALE, 0, NULL), 0);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(e.active, UP0);
}

static void
test_new_address_forgets_office(void **state)
{
	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	/* A new lease may be another network: probe again; meanwhile the
	 * office mode's proof is gone, so the tunnel takes over. */
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "10.66.0.101"), 3);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(acts[1].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
}

static void
test_probe_all_after_restate(void **state)
{
	struct action all[ENGINE_MAX_UPLINKS];

	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	e.beacons = 1;
	assert_int_equal(engine_probe_all(&e, all), 2);
	assert_int_equal(all[0].type, ACT_PROBE);
	assert_int_equal(engine_probe_all(&e, all), 0);
}

/* sekishod's start and resynchronisation: the dump is fed with no action
 * carried out (events arrive one by one, so each asks for a probe that is
 * never started), then restate and probe_all. The uplink already on the
 * office LAN must be probed: it was left "probing" with no probe out. */
static void
test_dump_then_restate_probes(void **state)
{
	struct action all[ENGINE_MAX_UPLINKS];

	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");	/* actions dropped */
	assert_int_equal(engine_restate(&e, now, acts), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
	assert_int_equal(engine_probe_all(&e, all), 1);
	assert_int_equal(all[0].type, ACT_PROBE);
	assert_int_equal(all[0].ifindex, UP0);
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_PROBING);
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	assert_int_equal(acts[0].type, ACT_OFFICE_VIA);
	assert_int_equal(e.mode, MODE_OFFICE);
}

/* A resynchronisation keeps an office proof only for an uplink the kernel
 * shows exactly as it was when the beacon answered. */
static void
test_vouch_keeps_office_only_if_unchanged(void **state)
{
	struct action all[ENGINE_MAX_UPLINKS];
	struct event ev = { .type = EV_LINK, .ifindex = UP0, .name = "up0", .carrier = 1,
	    .priority = 300, .carrier_changes = 4 };
	struct uplink was;

	(void)state;
	ev.now_ms = now;
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	was = *engine_uplink(&e, UP0);

	/* Unchanged: office at once, no probe asked by probe_all (the caller
	 * asks the office uplink's beacon again itself). */
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	assert_int_equal(engine_vouch(&e, &was), 1);
	assert_int_equal(engine_restate(&e, now, acts), 3);
	assert_int_equal(acts[0].type, ACT_OFFICE_VIA);
	assert_int_equal(acts[1].mode, MODE_OFFICE);
	assert_string_equal(engine_office_uplink(&e)->beacon, "tokyo-3f");
	assert_int_equal(engine_probe_all(&e, all), 0);

	/* The carrier flapped meanwhile (events lost): not kept. */
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	ev.carrier_changes = 6;
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	assert_int_equal(engine_vouch(&e, &was), 0);
	assert_int_equal(engine_restate(&e, now, acts), 2);
	assert_int_equal(acts[1].mode, MODE_REMOTE);
	assert_int_equal(engine_probe_all(&e, all), 1);

	/* Another address, another gateway: not kept. */
	ev.carrier_changes = 4;
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.101");
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	assert_int_equal(engine_vouch(&e, &was), 0);
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	feed(EV_GW_ADD, UP0, "10.66.0.254");
	assert_int_equal(engine_vouch(&e, &was), 0);
	/* No proof to keep, or no beacons in the policy any more. */
	was.office = OFFICE_NO;
	assert_int_equal(engine_vouch(&e, &was), 0);
	was.office = OFFICE_VERIFIED;
	e.beacons = 0;
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	assert_int_equal(engine_vouch(&e, &was), 0);
}

/* A flap the engine saw only in the kernel's count (its events lost): the
 * proof is gone and the beacon is asked again. */
static void
test_missed_flap_forgets_office(void **state)
{
	struct event ev = { .type = EV_LINK, .ifindex = UP0, .name = "up0", .carrier = 1,
	    .priority = 300, .carrier_changes = 4 };

	(void)state;
	ev.now_ms = now;
	engine_handle(&e, &ev, acts);
	feed(EV_ADDR_ADD, UP0, "10.66.0.100");
	feed(EV_GW_ADD, UP0, "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(engine_handle(&e, &ev, acts), 0);	/* same count: nothing */
	ev.carrier_changes = 6;
	assert_int_equal(engine_handle(&e, &ev, acts), 3);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
}

/* Office mode is bound to the router the beacon was proven behind: its
 * link-layer address when the beacon answered; another one behind the
 * same router address ends office mode at once and asks the beacon again. */
static void
test_office_bound_to_router_mac(void **state)
{
	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_true(engine_uplink(&e, UP0)->has_office_mac);
	assert_memory_equal(engine_uplink(&e, UP0)->office_mac, MAC_OFFICE, ENGINE_MAC_LEN);
	/* The same router confirmed again; the entry flushed (a carrier
	 * loss does that) and the same one learnt again: nothing changes. */
	assert_int_equal(neigh(UP0, "10.66.0.1", MAC_OFFICE), 0);
	assert_int_equal(neigh(UP0, "10.66.0.1", NULL), 0);
	assert_int_equal(neigh(UP0, "10.66.0.1", MAC_OFFICE), 0);
	/* Another host's entry, or another uplink's: nothing. */
	assert_int_equal(neigh(UP0, "10.66.0.7", MAC_HOTEL), 0);
	assert_int_equal(neigh(UP1, "10.66.0.1", MAC_HOTEL), 0);
	assert_int_equal(e.mode, MODE_OFFICE);
	/* Another router behind 10.66.0.1: the tunnel, and a new probe. */
	assert_int_equal(neigh(UP0, "10.66.0.1", MAC_HOTEL), 3);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(acts[1].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[2].type, ACT_RULES);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
	assert_false(engine_uplink(&e, UP0)->has_office_mac);
	/* A beacon that answers there binds office mode to that router. */
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 3);
	assert_int_equal(acts[1].mode, MODE_OFFICE);
	assert_memory_equal(engine_uplink(&e, UP0)->office_mac, MAC_HOTEL, ENGINE_MAC_LEN);
	/* A failed re-verification forgets the binding with the proof. */
	assert_int_equal(feed(EV_BEACON_FAIL, UP0, NULL), 2);
	assert_false(engine_uplink(&e, UP0)->has_office_mac);
}

/* A beacon answer before the router is resolved: no office mode until it
 * is (the office path could go nowhere the kernel may check); then office
 * mode, bound to that router. A new default route forgets the old one's. */
static void
test_office_waits_for_router(void **state)
{
	(void)state;
	auto_router = 0;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	assert_int_equal(feed(EV_BEACON_OK, UP0, "tokyo-3f"), 0);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(engine_uplink(&e, UP0)->office, OFFICE_VERIFIED);
	assert_int_equal(neigh(UP0, "10.66.0.1", NULL), 0);	/* still unresolved */
	assert_int_equal(neigh(UP0, "10.66.0.1", MAC_OFFICE), 3);
	assert_int_equal(acts[0].type, ACT_OFFICE_VIA);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(acts[1].mode, MODE_OFFICE);
	assert_memory_equal(engine_uplink(&e, UP0)->office_mac, MAC_OFFICE, ENGINE_MAC_LEN);
	/* Another default route: what was proven goes with the old router. */
	assert_int_equal(feed(EV_GW_ADD, UP0, "10.66.0.254"), 3);
	assert_int_equal(acts[0].type, ACT_PROBE);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
	assert_false(engine_uplink(&e, UP0)->has_gw_mac);
}

/* A resynchronisation keeps the proof only behind the same router. */
static void
test_vouch_needs_same_router(void **state)
{
	struct uplink was;

	(void)state;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	was = *engine_uplink(&e, UP0);
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	auto_router = 0;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	assert_int_equal(engine_vouch(&e, &was), 0);	/* router unknown */
	neigh(UP0, "10.66.0.1", MAC_HOTEL);
	assert_int_equal(engine_vouch(&e, &was), 0);	/* another router */
	neigh(UP0, "10.66.0.1", MAC_OFFICE);
	assert_int_equal(engine_vouch(&e, &was), 1);
	assert_memory_equal(engine_uplink(&e, UP0)->office_mac, MAC_OFFICE, ENGINE_MAC_LEN);
	/* A proof without the router (from the proof file) binds the one the
	 * kernel shows now. */
	engine_init(&e, WORK, TUN, a4("192.0.2.10"), 1);
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	neigh(UP0, "10.66.0.1", MAC_OFFICE);
	was.has_office_mac = 0;
	assert_int_equal(engine_vouch(&e, &was), 1);
	assert_true(engine_uplink(&e, UP0)->has_office_mac);
}

/* ---- gateways in failover order ------------------------------------------ */

static int
setup_gateways(void **state)
{
	struct in_addr gws[3] = { a4("192.0.2.10"), a4("192.0.2.11"), a4("198.51.100.7") };

	setup_beacons(state);
	e.beacons = 0;
	engine_gateways(&e, gws, 3, 0);
	return 0;
}

static void
assert_gateway(const struct action *a, size_t to, size_t from, enum gw_why why,
    int ifindex)
{
	assert_int_equal(a->type, ACT_GATEWAY);
	assert_int_equal(a->gateway, to);
	assert_int_equal(a->gw_from, from);
	assert_int_equal(a->why, why);
	assert_int_equal(a->ifindex, ifindex);
}

static void
test_gateway_timeout_next_in_order_and_wraps(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	assert_int_equal(e.gateway, 0);
	now += 15000;
	/* Over the same uplink: only the peer changes, no route, no rules. */
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_gateway(&acts[0], 1, 0, GW_TIMEOUT, UP0);
	assert_string_equal(acts[0].uplink, "up0");
	assert_int_equal(e.gateway, 1);
	assert_int_equal(e.gw_from, 0);
	assert_int_equal(e.path_ms, now);
	assert_int_equal(e.active, UP0);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_gateway(&acts[0], 2, 1, GW_TIMEOUT, UP0);
	/* The third in a row: every gateway was silent, said once. */
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 2);
	assert_gateway(&acts[0], 0, 2, GW_TIMEOUT, UP0);
	assert_int_equal(acts[1].type, ACT_SILENT);
	assert_string_equal(gw_why_text(e.gw_why), "gave no handshake");
}

static void
test_gateway_timeout_one_gateway_changes_nothing(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	assert_int_equal(e.n_gateways, 1);
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 0);
	assert_int_equal(e.gateway, 0);
	assert_null(gw_why_text(e.gw_why));
}

static void
test_gateway_timeout_only_in_remote(void **state)
{
	(void)state;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 0);	/* blocked */
	e.beacons = 1;
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 0);	/* office */
	assert_int_equal(e.gateway, 0);
}

static void
test_stale_moves_uplink_before_gateway(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	now += 180000;
	/* Another uplink first; the gateway stays. */
	assert_int_equal(feed(EV_TUNNEL_STALE, 0, NULL), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(e.gateway, 0);
	assert_int_equal(e.path_ms, now);
	/* The move did not help: no handshake over up2 either. */
	now += 15000;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_gateway(&acts[0], 1, 0, GW_TIMEOUT, UP2);
	/* The better uplink is tried again later, with the working gateway. */
	now += ENGINE_STALE_RETRY_MS;
	assert_int_equal(feed(EV_TICK, 0, NULL), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(e.gateway, 1);
}

static void
test_stale_without_other_uplink_next_gateway(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 180000;
	assert_int_equal(feed(EV_TUNNEL_STALE, 0, NULL), 1);
	assert_gateway(&acts[0], 1, 0, GW_STALE, UP0);
	assert_int_equal(e.active, UP0);
	assert_int_equal(e.path_ms, now);	/* the stale check starts over */
	assert_string_equal(gw_why_text(e.gw_why), "went stale");
}

static void
test_stale_one_gateway_one_uplink_restarts_clock(void **state)
{
	(void)state;
	e.beacons = 0;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 180000;
	assert_int_equal(feed(EV_TUNNEL_STALE, 0, NULL), 0);
	assert_int_equal(e.path_ms, now);
	assert_int_equal(e.since_ms, 1000);	/* status: the mode did not change */
}

static void
test_working_gateway_kept_across_uplink_moves(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_GATEWAY_TIMEOUT, 0, NULL);
	assert_int_equal(e.gateway, 1);
	assert_int_equal(feed(EV_LINK, UP0, "down"), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(e.gateway, 1);
	assert_int_equal(feed(EV_LINK, UP0, NULL), 2);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(e.gateway, 1);
}

static void
test_afresh_prefers_first_gateway(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	feed(EV_GATEWAY_TIMEOUT, 0, NULL);
	assert_int_equal(e.gateway, 1);
	assert_int_equal(feed(EV_LINK, UP0, "down"), 2);
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(e.gateway, 1);		/* idle: nothing to change */
	/* Back: the route, the first gateway, then the rules. */
	assert_int_equal(feed(EV_LINK, UP0, NULL), 3);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_gateway(&acts[1], 0, 1, GW_AFRESH, UP0);
	assert_int_equal(acts[2].type, ACT_RULES);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
	assert_int_equal(e.gateway, 0);
	assert_null(gw_why_text(e.gw_why));
}

static void
test_afresh_after_office(void **state)
{
	(void)state;
	e.beacons = 1;
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	feed(EV_BEACON_FAIL, UP2, NULL);
	feed(EV_GATEWAY_TIMEOUT, 0, NULL);
	assert_int_equal(e.gateway, 1);
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(feed(EV_LINK, UP0, "down"), 3);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_gateway(&acts[1], 0, 1, GW_AFRESH, UP2);
	assert_int_equal(acts[2].type, ACT_RULES);
	assert_int_equal(acts[2].mode, MODE_REMOTE);
}

/* What sekishod's resync does: a fresh engine fed the kernel's dump, then
 * told which gateway the running tunnel holds, then restated. */
static void
test_restate_keeps_running_gateway(void **state)
{
	struct in_addr gws[2] = { a4("192.0.2.10"), a4("192.0.2.11") };

	(void)state;
	engine_init(&e, WORK, TUN, gws[0], 0);
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	engine_gateways(&e, gws, 2, 1);
	assert_int_equal(engine_restate(&e, now, acts), 2);
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[1].type, ACT_RULES);
	assert_int_equal(e.gateway, 1);
	assert_int_equal(e.gw_why, GW_FIRST);
}

static void
test_usable_by_endpoint_of_gateway_in_use(void **state)
{
	struct in_addr gws[2] = { a4("192.168.1.77"), a4("192.0.2.11") };

	(void)state;
	engine_gateways(&e, gws, 2, 0);
	feed(EV_LINK, UP0, NULL);
	/* No default route, but the first gateway is on the uplink's subnet. */
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "192.168.1.100"), 2);
	assert_int_equal(e.mode, MODE_REMOTE);
	feed(EV_GATEWAY_TIMEOUT, 0, NULL);
	/* The second is not: the next change finds no way on. */
	assert_int_equal(feed(EV_TICK, 0, NULL), 2);
	assert_int_equal(e.mode, MODE_BLOCKED);
}

/* ---- staleness, judged by the engine from the handshake's age ------------ */

#define STALE_MS	180000	/* handshake-stale 180 */

static size_t
feed_handshake(uint64_t age_ms)
{
	struct event ev = { .type = EV_HANDSHAKE, .age_ms = age_ms, .now_ms = now };

	return engine_handle(&e, &ev, acts);
}

static int
setup_stale(void **state)
{
	setup_gateways(state);
	engine_set_policy(&e, 0, STALE_MS);
	return 0;
}

static int
setup_stale_one_gateway(void **state)
{
	setup_beacons(state);
	engine_set_policy(&e, 0, STALE_MS);
	return 0;
}

static void
test_handshake_stale_moves_like_tunnel_stale(void **state)
{
	struct action want[ENGINE_MAX_ACTIONS];
	struct engine before, after;
	size_t n, m;

	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	now += STALE_MS + 1;
	before = e;
	/* What the edge fed before the engine judged staleness itself. */
	m = feed(EV_TUNNEL_STALE, 0, NULL);
	memcpy(want, acts, sizeof(want));
	after = e;
	e = before;
	n = feed_handshake(UINT64_MAX);
	assert_int_equal(n, m + 1);
	for (size_t i = 0; i < m; i++) {
		assert_int_equal(acts[i].type, want[i].type);
		assert_int_equal(acts[i].mode, want[i].mode);
		assert_int_equal(acts[i].ifindex, want[i].ifindex);
		assert_string_equal(acts[i].uplink, want[i].uplink);
	}
	assert_int_equal(acts[0].type, ACT_TUNNEL_VIA);
	assert_int_equal(acts[0].ifindex, UP2);
	assert_int_equal(acts[m].type, ACT_STALE);
	assert_int_equal(acts[m].why, GW_STALE);
	assert_int_equal(acts[m].ifindex, UP0);
	assert_string_equal(acts[m].uplink, "up0");
	assert_int_equal(acts[m].moved, 1);
	assert_int_equal(e.mode, after.mode);
	assert_int_equal(e.active, after.active);
	assert_int_equal(e.gateway, after.gateway);
	assert_int_equal(e.path_ms, after.path_ms);
	assert_int_equal(e.gateway, 0);
	/* Over up2 a handshake comes: fresh, nothing more happens. */
	now += STALE_MS + 1;
	assert_int_equal(feed_handshake(5000), 0);
	assert_int_equal(e.active, UP2);
}

static void
test_handshake_stale_without_other_uplink_next_gateway(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += STALE_MS + 1;
	/* The gateway switch reports itself: no ACT_STALE. */
	assert_int_equal(feed_handshake(STALE_MS + 1), 1);
	assert_gateway(&acts[0], 1, 0, GW_STALE, UP0);
	assert_int_equal(e.path_ms, now);
	/* The check starts over: not stale again until handshake-stale on
	 * (meanwhile, on a backup, the first is asked again). */
	now += STALE_MS;
	assert_int_equal(feed_handshake(UINT64_MAX), 1);
	assert_int_equal(acts[0].type, ACT_BACK_PROBE);
	now += 1;
	assert_int_equal(feed_handshake(UINT64_MAX), 1);
	assert_gateway(&acts[0], 2, 1, GW_STALE, UP0);
}

static void
test_handshake_stale_nothing_to_try(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += STALE_MS + 1;
	assert_int_equal(feed_handshake(UINT64_MAX), 1);
	assert_int_equal(acts[0].type, ACT_STALE);
	assert_int_equal(acts[0].why, GW_STALE);
	assert_string_equal(acts[0].uplink, "up0");
	assert_int_equal(acts[0].moved, 0);
	assert_int_equal(e.active, UP0);
	assert_int_equal(e.path_ms, now);
	assert_int_equal(e.since_ms, 1000);
}

/* ---- a quiet tunnel: a liveness probe, then the next gateway ---------------- */

static size_t
feed_quiet(uint64_t age_ms, uint64_t rx_age_ms)
{
	struct event ev = { .type = EV_HANDSHAKE, .age_ms = age_ms, .rx_age_ms = rx_age_ms,
	    .now_ms = now };

	return engine_handle(&e, &ev, acts);
}

static void
test_quiet_gateway_gone_next_gateway(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 30000;
	/* a session on this path (handshake 25 s ago), heard from 1 ms
	 * short of quiet: nothing */
	assert_int_equal(feed_quiet(25000, ENGINE_QUIET_MS - 1), 0);
	/* quiet: one probe, once */
	assert_int_equal(feed_quiet(25000, ENGINE_QUIET_MS), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	assert_int_equal(acts[0].ifindex, UP0);
	assert_int_equal(e.live_ms, now);
	now += ENGINE_LIVE_WAIT_MS - 1;
	assert_int_equal(feed_quiet(25000 + ENGINE_LIVE_WAIT_MS - 1,
	    ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS - 1), 0);
	/* no answer within the wait: the next gateway, long before
	 * handshake-stale; the switch reports itself */
	now += 1;
	assert_int_equal(feed_quiet(25000 + ENGINE_LIVE_WAIT_MS,
	    ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS), 1);
	assert_gateway(&acts[0], 1, 0, GW_QUIET, UP0);
	assert_int_equal(e.gw_why, GW_QUIET);
	assert_int_equal(e.live_ms, 0);
	assert_true(now - 1000 < STALE_MS);
	/* the new gateway: no probe before its first handshake (gateway-
	 * timeout judges that), however quiet */
	now += ENGINE_BACK_PROBE_MS - 1;
	assert_int_equal(feed_quiet(UINT64_MAX, ENGINE_QUIET_MS * 2), 0);
	/* nor with no session (the stale course's) */
	assert_int_equal(feed_quiet(ENGINE_SESSION_MS, ENGINE_QUIET_MS * 2), 0);
	/* its first handshake a moment before the path began (as at a
	 * start): a session all the same, probed when quiet */
	assert_int_equal(feed_quiet(ENGINE_BACK_PROBE_MS + 500, ENGINE_QUIET_MS), 0);
	now += ENGINE_QUIET_MS;
	assert_int_equal(feed_quiet(ENGINE_QUIET_MS + ENGINE_BACK_PROBE_MS + 500,
	    ENGINE_QUIET_MS * 2), 2);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	assert_int_equal(acts[1].type, ACT_BACK_PROBE);
}

static void
test_quiet_gateway_answers_stays(void **state)
{
	uint64_t probed;

	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 60000;
	assert_int_equal(feed_quiet(30000, ENGINE_QUIET_MS), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	probed = now;
	/* its passive keepalive 10 s later: rx grew after the probe */
	now += 10000;
	assert_int_equal(feed_quiet(40000, 500), 0);
	assert_int_equal(e.live_ms, 0);
	now += ENGINE_LIVE_WAIT_MS;
	assert_int_equal(feed_quiet(55000, 500 + ENGINE_LIVE_WAIT_MS), 0);
	assert_int_equal(e.gateway, 0);
	/* or a fresh handshake after the probe (its session had expired) */
	now += ENGINE_QUIET_MS;
	assert_int_equal(feed_quiet(90000, ENGINE_QUIET_MS + 30000), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	probed = now;
	now += 3000;
	assert_int_equal(feed_quiet(2000, ENGINE_QUIET_MS + 33000), 0);
	assert_int_equal(e.live_ms, 0);
	/* quiet: neither a packet nor a handshake for ENGINE_QUIET_MS */
	now += ENGINE_QUIET_MS - 2000 - 1;
	assert_int_equal(feed_quiet(ENGINE_QUIET_MS - 1, ENGINE_QUIET_MS + 50000), 0);
	now += 1;
	assert_int_equal(feed_quiet(ENGINE_QUIET_MS, ENGINE_QUIET_MS + 50000), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);	/* quiet again: asked again */
	assert_int_equal(e.gateway, 0);
	(void)probed;
}

static void
test_quiet_one_gateway_one_uplink_says_so(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 60000;
	assert_int_equal(feed_quiet(30000, ENGINE_QUIET_MS), 1);
	now += ENGINE_LIVE_WAIT_MS;
	assert_int_equal(feed_quiet(30000 + ENGINE_LIVE_WAIT_MS,
	    ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS), 1);
	assert_int_equal(acts[0].type, ACT_STALE);
	assert_int_equal(acts[0].why, GW_QUIET);
	assert_int_equal(acts[0].moved, 0);
	assert_int_equal(e.active, UP0);
}

/* ---- a deaf gateway: the echo probe (ev.echo) ------------------------------ */

static size_t
feed_echo(uint64_t age_ms, uint64_t rx_age_ms, uint64_t echo_age_ms)
{
	struct event ev = { .type = EV_HANDSHAKE, .age_ms = age_ms, .rx_age_ms = rx_age_ms,
	    .echo = 1, .echo_age_ms = echo_age_ms, .now_ms = now };

	return engine_handle(&e, &ev, acts);
}

/* A gateway that still sends (rx grows at every poll: its keepalives, or
 * LGWAN's traffic) but hears nothing: with the echo probe it is left
 * within ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS of the last proof that it
 * heard the laptop; rx counts for nothing. */
static void
test_echo_deaf_gateway_left(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 30000;
	/* handshake 25 s ago, packets from it 100 ms ago, its echo never
	 * answered: one echo */
	assert_int_equal(feed_echo(25000, 100, UINT64_MAX), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	assert_int_equal(e.live_ms, now);
	/* rx keeps growing: no word; the echo is sent again every
	 * ENGINE_LIVE_RESEND_MS (one lost packet is no verdict) */
	now += ENGINE_LIVE_RESEND_MS - 1;
	assert_int_equal(feed_echo(25000 + ENGINE_LIVE_RESEND_MS - 1, 100, UINT64_MAX), 0);
	now += 1;
	assert_int_equal(feed_echo(25000 + ENGINE_LIVE_RESEND_MS, 100, UINT64_MAX), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	assert_int_equal(e.live_ms, now - ENGINE_LIVE_RESEND_MS);
	now += ENGINE_LIVE_WAIT_MS - ENGINE_LIVE_RESEND_MS - 1;
	assert_int_equal(feed_echo(25000 + ENGINE_LIVE_WAIT_MS - 1, 100, UINT64_MAX), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	assert_int_equal(e.gateway, 0);
	/* the wait is over: the next gateway, as for a dead one, long
	 * before handshake-stale */
	now += 1;
	assert_int_equal(feed_echo(25000 + ENGINE_LIVE_WAIT_MS, 100, UINT64_MAX), 1);
	assert_gateway(&acts[0], 1, 0, GW_QUIET, UP0);
	assert_int_equal(e.live_ms, 0);
	assert_true(25000 + ENGINE_LIVE_WAIT_MS < STALE_MS);
}

/* The same gateway judged by its packets (no tunnel address: the old
 * probe): it never looks quiet, so only handshake-stale would leave it. */
static void
test_no_echo_deaf_gateway_kept(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 30000;
	for (int i = 0; i < 30 && 25000 + (uint64_t)i * 5000 <= STALE_MS; i++, now += 5000)
		assert_int_equal(feed_quiet(25000 + (uint64_t)i * 5000, 100), 0);
	assert_int_equal(e.gateway, 0);
	assert_int_equal(e.live_ms, 0);
}

/* A live gateway answers its echo: kept, probed again once quiet; a
 * handshake is a word too (the gateway received our initiation or
 * response). */
static void
test_echo_answered_stays(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 60000;
	/* answered 1 ms short of quiet: nothing */
	assert_int_equal(feed_echo(30000, 100, ENGINE_QUIET_MS - 1), 0);
	assert_int_equal(feed_echo(30000, 100, ENGINE_QUIET_MS), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	/* its answer, read at the next poll */
	now += 5000;
	assert_int_equal(feed_echo(35000, 100, 10), 0);
	assert_int_equal(e.live_ms, 0);
	now += ENGINE_LIVE_WAIT_MS;
	assert_int_equal(feed_echo(50000, 100, 10 + ENGINE_LIVE_WAIT_MS), 0);
	assert_int_equal(e.gateway, 0);
	/* quiet again: asked again; a fresh handshake answers as well */
	now += ENGINE_QUIET_MS - ENGINE_LIVE_WAIT_MS;
	assert_int_equal(feed_echo(70000, 100, 10 + ENGINE_QUIET_MS), 1);
	assert_int_equal(acts[0].type, ACT_LIVE_PROBE);
	now += 5000;
	assert_int_equal(feed_echo(1000, 100, 5010 + ENGINE_QUIET_MS), 0);
	assert_int_equal(e.live_ms, 0);
	/* with no session (the stale course's) or none yet: no echo */
	now += ENGINE_QUIET_MS * 2;
	assert_int_equal(feed_echo(UINT64_MAX, 100, UINT64_MAX), 0);
	assert_int_equal(feed_echo(ENGINE_SESSION_MS, 100, UINT64_MAX), 0);
	assert_int_equal(e.gateway, 0);
}

static void
test_handshake_fresh_or_path_young_is_not_stale(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	/* The path is not handshake-stale old yet: no handshake is fine. */
	now += STALE_MS;
	assert_int_equal(feed_handshake(UINT64_MAX), 0);
	now += 1;
	/* A handshake within handshake-stale (to the millisecond) is fresh. */
	assert_int_equal(feed_handshake(STALE_MS), 0);
	assert_int_equal(feed_handshake(0), 0);
	assert_int_equal(e.active, UP0);
	assert_int_equal(e.path_ms, 1000);
	assert_int_equal(feed_handshake(STALE_MS + 1), 3);
	assert_int_equal(e.active, UP2);
}

static void
test_handshake_never_stale_in_office_or_blocked(void **state)
{
	(void)state;
	now += 10 * STALE_MS;
	assert_int_equal(feed_handshake(UINT64_MAX), 0);	/* blocked */
	assert_int_equal(e.mode, MODE_BLOCKED);
	engine_set_policy(&e, 1, STALE_MS);
	uplink_up(UP0, "10.66.0.100", "10.66.0.1");
	feed(EV_BEACON_OK, UP0, "tokyo-3f");
	assert_int_equal(e.mode, MODE_OFFICE);
	now += 10 * STALE_MS;
	assert_int_equal(feed_handshake(UINT64_MAX), 0);	/* office */
	assert_int_equal(e.mode, MODE_OFFICE);
	assert_int_equal(e.active, UP0);
}

static void
test_handshake_without_policy_never_stale(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	uplink_up(UP2, "100.64.1.100", "100.64.1.1");
	now += 10 * STALE_MS;
	assert_int_equal(feed_handshake(UINT64_MAX), 0);	/* stale_ms 0 */
	engine_set_policy(&e, 0, STALE_MS);
	assert_int_equal(feed_handshake(UINT64_MAX), 3);
	assert_int_equal(e.active, UP2);
}


/* ---- back to the first gateway; every gateway silent --------------------- */

static size_t
feed_first(uint64_t age_ms, int has_first, uint64_t first_age_ms)
{
	struct event ev = { .type = EV_HANDSHAKE, .age_ms = age_ms, .now_ms = now,
	    .has_first = has_first, .first_age_ms = first_age_ms };

	return engine_handle(&e, &ev, acts);
}

/* On a working backup the first is asked every ENGINE_BACK_PROBE_MS
 * (beside it, no outage); its fresh answer takes the tunnel back, over the
 * same uplink (the peer only: no route, no rules). */
static void
test_back_to_first_when_it_answers(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 15000;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_int_equal(e.gateway, 1);
	now += 2000;
	assert_int_equal(feed_first(1000, 0, 0), 0);	/* the backup works */
	now += ENGINE_BACK_PROBE_MS;
	assert_int_equal(feed_first(1000, 0, 0), 1);
	assert_int_equal(acts[0].type, ACT_BACK_PROBE);
	assert_int_equal(acts[0].gateway, 0);
	assert_int_equal(acts[0].ifindex, UP0);
	now += 5000;
	assert_int_equal(feed_first(1000, 0, 0), 0);	/* not due yet */
	/* An answer too old to count (of an earlier probe): nothing. */
	assert_int_equal(feed_first(1000, 1, ENGINE_BACK_FRESH_MS), 0);
	now += ENGINE_BACK_PROBE_MS;
	assert_int_equal(feed_first(1000, 1, ENGINE_BACK_FRESH_MS), 1);
	assert_int_equal(acts[0].type, ACT_BACK_PROBE);
	now += 1000;
	assert_int_equal(feed_first(1000, 1, 500), 1);
	assert_gateway(&acts[0], 0, 1, GW_BACK, UP0);
	assert_int_equal(e.gateway, 0);
	assert_int_equal(e.path_ms, now);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_null(gw_why_text(e.gw_why));	/* no failover any more */
	/* On the first: no probe, ever. */
	now += 10 * ENGINE_BACK_PROBE_MS;
	assert_int_equal(feed_first(1000, 1, 500), 0);
}

/* Every gateway silent: one ACT_SILENT, then quiet switches with a wait
 * doubling from ENGINE_RETRY_MIN_MS to ENGINE_RETRY_MAX_MS; no stale
 * course, no probe meanwhile; the first handshake: one ACT_ANSWERED, and
 * the count starts over. */
static void
test_all_silent_backs_off_and_says_so_once(void **state)
{
	uint64_t want = ENGINE_RETRY_MIN_MS, t0;

	(void)state;
	engine_set_policy(&e, 0, STALE_MS);
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	now += 15000;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_int_equal(acts[0].quiet, 0);
	assert_int_equal(acts[0].retry_ms, 0);
	now += 15000;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_int_equal(acts[0].retry_ms, 0);
	now += 15000;
	t0 = now;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 2);
	assert_gateway(&acts[0], 0, 2, GW_TIMEOUT, UP0);
	assert_int_equal(acts[0].quiet, 0);	/* this switch is still said */
	assert_int_equal(acts[0].retry_ms, ENGINE_RETRY_MIN_MS);
	assert_int_equal(acts[1].type, ACT_SILENT);
	assert_int_equal(acts[1].retry_ms, ENGINE_RETRY_MIN_MS);
	for (int i = 0; i < 12; i++) {
		want = want * 2 > ENGINE_RETRY_MAX_MS ? ENGINE_RETRY_MAX_MS : want * 2;
		now += 15000 + want;
		assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
		assert_int_equal(acts[0].type, ACT_GATEWAY);
		assert_int_equal(acts[0].quiet, 1);
		assert_int_equal(acts[0].retry_ms, want);
		/* Long past handshake-stale: the backoff owns the retries. */
		now += STALE_MS + 1;
		assert_int_equal(feed_first(UINT64_MAX, 0, 0), 0);
	}
	assert_int_equal(want, ENGINE_RETRY_MAX_MS);
	assert_int_equal(e.mode, MODE_REMOTE);
	assert_int_equal(feed_first(2000, 0, 0), 1);
	assert_int_equal(acts[0].type, ACT_ANSWERED);
	assert_int_equal(acts[0].gateway, e.gateway);
	assert_int_equal(acts[0].silent_ms, now - t0);
	assert_int_equal(e.silent, 0);
	assert_int_equal(feed_first(2000, 0, 0), 0);	/* said once */
	now += 15000;
	assert_int_equal(feed(EV_GATEWAY_TIMEOUT, 0, NULL), 1);
	assert_int_equal(acts[0].quiet, 0);
	assert_int_equal(acts[0].retry_ms, 0);
}

/* A new path (the cable out and in) ends the silence without a word: the
 * mode change says it. */
static void
test_all_silent_ends_with_a_new_path(void **state)
{
	(void)state;
	uplink_up(UP0, "192.168.1.100", "192.168.1.1");
	for (int i = 0; i < 3; i++) {
		now += 15000;
		feed(EV_GATEWAY_TIMEOUT, 0, NULL);
	}
	assert_int_equal(e.silent, 1);
	feed(EV_ADDR_DEL, UP0, "192.168.1.100");
	assert_int_equal(e.mode, MODE_BLOCKED);
	assert_int_equal(e.silent, 0);
	assert_int_equal(e.timeouts, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_starts_blocked, setup),
		cmocka_unit_test_setup(test_remote_when_uplink_has_route, setup),
		cmocka_unit_test_setup(test_endpoint_on_link_needs_no_route, setup),
		cmocka_unit_test_setup(test_blocked_when_address_lost, setup),
		cmocka_unit_test_setup(test_new_address_without_router_is_not_remote, setup),
		cmocka_unit_test_setup(test_blocked_on_carrier_loss_and_back, setup),
		cmocka_unit_test_setup(test_repeated_events_are_quiet, setup),
		cmocka_unit_test_setup(test_ignores_work_and_tunnel_links, setup),
		cmocka_unit_test_setup(test_failover_to_second_uplink, setup),
		cmocka_unit_test_setup(test_restate, setup),
		cmocka_unit_test_setup(test_uplink_table_bounded, setup),
		cmocka_unit_test_setup(test_office_only_after_verified_beacon, setup_beacons),
		cmocka_unit_test_setup(test_failed_probe_stays_remote, setup_beacons),
		cmocka_unit_test_setup(test_office_falls_back_when_beacon_stops, setup_beacons),
		cmocka_unit_test_setup(test_office_fell_is_retried_with_doubling, setup_beacons),
		cmocka_unit_test_setup(test_never_verified_is_not_retried, setup_beacons),
		cmocka_unit_test_setup(test_office_retry_reset_by_link_change, setup_beacons),
		cmocka_unit_test_setup(test_unplug_office_goes_remote_on_next, setup_beacons),
		cmocka_unit_test_setup(test_office_beats_any_remote, setup_beacons),
		cmocka_unit_test_setup(test_priority_failover_and_back, setup_beacons),
		cmocka_unit_test_setup(test_stale_tunnel_moves_and_returns, setup_beacons),
		cmocka_unit_test_setup(test_stale_only_uplink_still_used, setup_beacons),
		cmocka_unit_test_setup(test_new_address_forgets_office, setup_beacons),
		cmocka_unit_test_setup(test_probe_all_after_restate, setup_beacons),
		cmocka_unit_test_setup(test_dump_then_restate_probes, setup_beacons),
		cmocka_unit_test_setup(test_vouch_keeps_office_only_if_unchanged, setup_beacons),
		cmocka_unit_test_setup(test_missed_flap_forgets_office, setup_beacons),
		cmocka_unit_test_setup(test_office_bound_to_router_mac, setup_beacons),
		cmocka_unit_test_setup(test_office_waits_for_router, setup_beacons),
		cmocka_unit_test_setup(test_vouch_needs_same_router, setup_beacons),
		cmocka_unit_test_setup(test_gateway_timeout_next_in_order_and_wraps, setup_gateways),
		cmocka_unit_test_setup(test_back_to_first_when_it_answers, setup_gateways),
		cmocka_unit_test_setup(test_all_silent_backs_off_and_says_so_once, setup_gateways),
		cmocka_unit_test_setup(test_all_silent_ends_with_a_new_path, setup_gateways),
		cmocka_unit_test_setup(test_gateway_timeout_one_gateway_changes_nothing, setup_beacons),
		cmocka_unit_test_setup(test_gateway_timeout_only_in_remote, setup_gateways),
		cmocka_unit_test_setup(test_stale_moves_uplink_before_gateway, setup_gateways),
		cmocka_unit_test_setup(test_stale_without_other_uplink_next_gateway, setup_gateways),
		cmocka_unit_test_setup(test_stale_one_gateway_one_uplink_restarts_clock, setup_beacons),
		cmocka_unit_test_setup(test_working_gateway_kept_across_uplink_moves, setup_gateways),
		cmocka_unit_test_setup(test_afresh_prefers_first_gateway, setup_gateways),
		cmocka_unit_test_setup(test_afresh_after_office, setup_gateways),
		cmocka_unit_test_setup(test_restate_keeps_running_gateway, setup_gateways),
		cmocka_unit_test_setup(test_usable_by_endpoint_of_gateway_in_use, setup_gateways),
		cmocka_unit_test_setup(test_handshake_stale_moves_like_tunnel_stale, setup_stale),
		cmocka_unit_test_setup(test_handshake_stale_without_other_uplink_next_gateway,
		    setup_stale),
		cmocka_unit_test_setup(test_handshake_stale_nothing_to_try, setup_stale_one_gateway),
		cmocka_unit_test_setup(test_quiet_gateway_gone_next_gateway, setup_stale),
		cmocka_unit_test_setup(test_quiet_gateway_answers_stays, setup_stale),
		cmocka_unit_test_setup(test_quiet_one_gateway_one_uplink_says_so,
		    setup_stale_one_gateway),
		cmocka_unit_test_setup(test_echo_deaf_gateway_left, setup_stale),
		cmocka_unit_test_setup(test_no_echo_deaf_gateway_kept, setup_stale),
		cmocka_unit_test_setup(test_echo_answered_stays, setup_stale),
		cmocka_unit_test_setup(test_handshake_fresh_or_path_young_is_not_stale,
		    setup_stale_one_gateway),
		cmocka_unit_test_setup(test_handshake_never_stale_in_office_or_blocked,
		    setup_stale_one_gateway),
		cmocka_unit_test_setup(test_handshake_without_policy_never_stale, setup_gateways),
		cmocka_unit_test_setup(test_prefer_moves_tunnel_and_back, setup_beacons),
		cmocka_unit_test_setup(test_prefer_only_when_usable, setup_beacons),
		cmocka_unit_test_setup(test_prefer_check_refusals, setup_beacons),
		cmocka_unit_test_setup(test_prefer_never_leaves_office, setup_beacons),
		cmocka_unit_test_setup(test_prefer_survives_restate, setup_beacons),
		cmocka_unit_test_setup(test_prefer_while_probing, setup_beacons),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
