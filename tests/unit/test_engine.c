/* The mode engine, with no kernel: events in, the exact actions out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "netvm/engine.h"

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

static size_t
feed(enum ev_type type, int ifindex, const char *x)
{
	struct event ev = { .type = type, .ifindex = ifindex, .now_ms = 1000 };

	snprintf(ev.name, sizeof(ev.name), "up%d", ifindex - UP0);
	ev.carrier = 1;
	if (type == EV_LINK && x != NULL && strcmp(x, "down") == 0)
		ev.carrier = 0;
	if (type == EV_ADDR_ADD || type == EV_ADDR_DEL) {
		ev.addr = a4(x);
		ev.plen = 24;
	}
	if (type == EV_GW_ADD || type == EV_GW_DEL)
		ev.gw = a4(x);
	return engine_handle(&e, &ev, acts);
}

static int
setup(void **state)
{
	(void)state;
	engine_init(&e, WORK, TUN, a4("192.0.2.10"));
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
	engine_init(&e, WORK, TUN, a4("192.168.1.77"));
	feed(EV_LINK, UP0, NULL);
	assert_int_equal(feed(EV_ADDR_ADD, UP0, "192.168.1.100"), 2);
	assert_false(acts[0].has_gw);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_starts_blocked, setup),
		cmocka_unit_test_setup(test_remote_when_uplink_has_route, setup),
		cmocka_unit_test_setup(test_endpoint_on_link_needs_no_route, setup),
		cmocka_unit_test_setup(test_blocked_when_address_lost, setup),
		cmocka_unit_test_setup(test_blocked_on_carrier_loss_and_back, setup),
		cmocka_unit_test_setup(test_repeated_events_are_quiet, setup),
		cmocka_unit_test_setup(test_ignores_work_and_tunnel_links, setup),
		cmocka_unit_test_setup(test_failover_to_second_uplink, setup),
		cmocka_unit_test_setup(test_restate, setup),
		cmocka_unit_test_setup(test_uplink_table_bounded, setup),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
