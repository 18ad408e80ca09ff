/* sekisho-gw's engine (agency/sekisho-gw/engine.h), with no kernel:
 * registry rows in, the exact actions out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "agency/sekisho-gw/engine.h"
#include "agency/sekisho-gw/gw.h"
#include "lib/encode.h"
#include "lib/nfnl.h"
#include "lib/proto/gwsess_wire.h"

static struct gw_engine e;
static struct gw_actions acts;
static const int64_t NOW = 1000000;

static void
key(uint8_t k[32], int n)
{
	memset(k, 0, 32);
	k[0] = (uint8_t)n;
	k[31] = 0x5a;
}

static struct gw_row
row(const char *name, int k, const char *addr4, const char *state)
{
	struct gw_row r;
	uint8_t kb[32];
	char b64[KEY_B64_LEN];

	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.grp, sizeof(r.grp), "office");
	key(kb, k);
	key_to_b64(b64, kb);
	snprintf(r.pubkey, sizeof(r.pubkey), "%s", b64);
	snprintf(r.addr4, sizeof(r.addr4), "%s", addr4);
	snprintf(r.state, sizeof(r.state), "%s", state);
	return r;
}

static int
setup(void **state)
{
	static const char *names[] = { "office", "kiosk" };
	static const int nums[] = { 1, 2 };
	struct sk_error err;

	(void)state;
	assert_int_equal(gw_engine_init(&e, "10.77.0.0/24", NULL, &err), 0);
	assert_int_equal(gw_engine_set_groups(&e, names, nums, 2), 0);
	gw_actions_clear(&acts);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gw_engine_free(&e);
	gw_actions_free(&acts);
	return 0;
}

/* The actions, as "TYPE device" words, logs as "LOG". */
static const char *
trace(void)
{
	static char out[4096];
	static const char *names[] = { "?", "LOG", "PEER_SET", "PEER_DEL", "ELEM_ADD",
		"ELEM_DEL", "STAGE_ADD", "STAGE_DEL", "CT_FLUSH" };
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < acts.n && o < sizeof(out) - 80; i++) {
		const struct gw_action *x = &acts.v[i];

		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s%s", o ? " " : "",
		    names[x->type], x->type == GW_ACT_LOG || !x->device[0] ? "" : ":",
		    x->type == GW_ACT_LOG ? "" : x->device);
	}
	return out;
}

static const char *
log_line(size_t k)
{
	for (size_t i = 0; i < acts.n; i++)
		if (acts.v[i].type == GW_ACT_LOG && k-- == 0)
			return acts.v[i].msg;
	return "";
}

static void
sync_rows(const struct gw_row *r, size_t n)
{
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_sync(&e, r, n, NOW, &acts), 0);
}

static void
test_pool(void **state)
{
	struct gw_engine x;
	struct sk_error err;

	(void)state;
	assert_int_equal(gw_engine_init(&x, "10.77.0.0/24", "fd00:77::/64", &err), 0);
	gw_engine_free(&x);
	assert_int_equal(gw_engine_init(&x, "10.77.0.1/24", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "registry: pool4 '10.77.0.1/24' is not an IPv4 network A.B.C.D/8..30");
	assert_int_equal(gw_engine_init(&x, NULL, NULL, &err), -EINVAL);
	assert_int_equal(gw_engine_init(&x, "10.77.0.0/24", "nonsense", &err), -EINVAL);
}

/* Bad rows are skipped one line each, naming the device and the field; the
 * good one is admitted; nothing else happens. */
static void
test_bad_rows(void **state)
{
	struct gw_row r[6];

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.78.0.3/32", "active");	/* outside the pool */
	r[2] = row("pc-3", 3, "10.77.0.4/32", "active");
	snprintf(r[2].pubkey, sizeof(r[2].pubkey), "not-a-key");
	r[3] = row("pc-4", 4, "10.77.0.1/32", "active");	/* the gateway's */
	r[4] = row("pc-5", 5, "10.77.0.6/32", "active");
	snprintf(r[4].grp, sizeof(r[4].grp), "nosuchgroup");
	r[5] = row("pc-6", 6, "10.77.0.7/24", "active");
	sync_rows(r, 6);
	assert_string_equal(trace(), "LOG LOG LOG LOG LOG PEER_SET:pc-1 ELEM_ADD:pc-1");
	assert_string_equal(log_line(0), "device pc-2: registry row skipped: addr4: 10.78.0.3 is outside the pool (or its network, gateway or broadcast address)");
	assert_string_equal(log_line(1), "device pc-3: registry row skipped: pubkey: not a WireGuard key (44 characters of base64)");
	assert_string_equal(log_line(2), "device pc-4: registry row skipped: addr4: 10.77.0.1 is outside the pool (or its network, gateway or broadcast address)");
	assert_string_equal(log_line(3), "device pc-5: registry row skipped: group: 'nosuchgroup' has no template that renders");
	assert_string_equal(log_line(4), "device pc-6: registry row skipped: addr4: '10.77.0.7/24' is not one address (/32)");
	assert_int_equal(e.n, 1);
	assert_int_equal(e.skipped, 5);
	assert_int_equal(acts.v[5].a4.s_addr, inet_addr("10.77.0.2"));
	assert_int_equal(acts.v[6].group, 1);
}

/* Start: the interface's unchanged peer is left alone, a changed one is
 * set, an unknown one removed; the addresses the interface had that the
 * registry no longer gives those peers lose their tracked connections
 * (a device revoked while nobody followed the registry, as a revocation). */
static void
test_adopt(void **state)
{
	struct gw_seen seen[3];
	struct gw_row r[2];

	(void)state;
	memset(seen, 0, sizeof(seen));
	key(seen[0].pub, 1);
	seen[0].a4.s_addr = inet_addr("10.77.0.2");
	key(seen[1].pub, 2);
	seen[1].a4.s_addr = inet_addr("10.77.0.9");	/* another address */
	key(seen[2].pub, 9);				/* nobody's */
	seen[2].a4.s_addr = inet_addr("10.77.0.20");
	assert_int_equal(gw_engine_adopt(&e, seen, 3), 0);
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.77.0.3/32", "active");
	sync_rows(r, 2);
	assert_string_equal(trace(),
	    "ELEM_ADD:pc-1 PEER_SET:pc-2 CT_FLUSH:pc-2 ELEM_ADD:pc-2 PEER_DEL CT_FLUSH");
	assert_int_equal(acts.v[2].a4.s_addr, inet_addr("10.77.0.9"));	/* its old one */
	assert_int_equal(acts.v[4].pub[0], 9);
	assert_int_equal(acts.v[5].a4.s_addr, inet_addr("10.77.0.20"));
	/* the interface is forgotten: a later sync changes nothing */
	sync_rows(r, 2);
	assert_string_equal(trace(), "");
}

/* After start, a change is one device's: nothing of the others. */
static void
test_one_change(void **state)
{
	struct gw_row r[3], n;

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.77.0.3/32", "active");
	r[2] = row("pc-3", 3, "10.77.0.4/32", "active");
	sync_rows(r, 3);
	gw_actions_clear(&acts);
	n = row("pc-0", 4, "10.77.0.5/32", "active");
	assert_int_equal(gw_engine_device(&e, "pc-0", &n, NOW, &acts), 0);
	assert_string_equal(trace(), "PEER_SET:pc-0 ELEM_ADD:pc-0");
	assert_int_equal(e.n, 4);
	assert_string_equal(e.devs[0].name, "pc-0");	/* kept sorted */
	/* the same row again: nothing */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-0", &n, NOW, &acts), 0);
	assert_string_equal(trace(), "");
	/* moved to another group: its elements only */
	snprintf(n.grp, sizeof(n.grp), "kiosk");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-0", &n, NOW, &acts), 0);
	assert_string_equal(trace(), "ELEM_DEL:pc-0 ELEM_ADD:pc-0 LOG");
	assert_int_equal(acts.v[0].group, 1);
	assert_int_equal(acts.v[1].group, 2);
}

/* Revoked: stage, group element, peer, connections, in that order. */
static void
test_revoke(void **state)
{
	struct gw_row r[2];

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.77.0.3/32", "active");
	sync_rows(r, 2);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW, NOW + 60,
	    NOW, &acts), 0);
	r[0] = row("pc-1", 1, "10.77.0.2/32", "revoked");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-1", &r[0], NOW + 1, &acts), 0);
	assert_string_equal(trace(), "STAGE_DEL:pc-1 ELEM_DEL:pc-1 PEER_DEL:pc-1 CT_FLUSH:pc-1 LOG");
	assert_string_equal(log_line(0), "device pc-1: revoked: peer, stages and connections removed");
	assert_int_equal(acts.v[3].a4.s_addr, inet_addr("10.77.0.2"));
	assert_null(gw_engine_find(&e, "pc-1"));
	assert_non_null(gw_engine_find(&e, "pc-2"));
	/* and in a whole re-read: nothing more, and pc-2 untouched */
	sync_rows(r, 2);
	assert_string_equal(trace(), "");
	/* a device gone from the registry altogether */
	sync_rows(r, 1);
	assert_string_equal(trace(), "ELEM_DEL:pc-2 PEER_DEL:pc-2 CT_FLUSH:pc-2 LOG");
	assert_string_equal(log_line(0), "device pc-2: gone from the registry: peer, stages and connections removed");
}

/* A row gone bad for an admitted device: one line, its last good state
 * stays, the others are not touched. */
static void
test_bad_row_keeps_state(void **state)
{
	struct gw_row r[2];

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.77.0.3/32", "active");
	sync_rows(r, 2);
	snprintf(r[0].pubkey, sizeof(r[0].pubkey), "AAAA");
	sync_rows(r, 2);
	assert_string_equal(trace(), "LOG");
	assert_string_equal(log_line(0), "device pc-1: registry row skipped: pubkey: not a WireGuard key (44 characters of base64) (its last good state stays)");
	assert_int_equal(e.n, 2);
	/* said once: a re-read or the same change again is quiet */
	sync_rows(r, 2);
	assert_string_equal(trace(), "");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-1", &r[0], NOW, &acts), 0);
	assert_string_equal(trace(), "");
	assert_non_null(gw_engine_find(&e, "pc-1"));
	assert_int_equal(e.skipped, 1);
	/* another problem is said */
	snprintf(r[0].grp, sizeof(r[0].grp), "nosuch");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-1", &r[0], NOW, &acts), 0);
	assert_string_equal(trace(), "LOG");
	/* good again, then the first problem again: said again */
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	sync_rows(r, 2);
	assert_string_equal(trace(), "");
	snprintf(r[0].pubkey, sizeof(r[0].pubkey), "AAAA");
	sync_rows(r, 2);
	assert_string_equal(trace(), "LOG");
	/* a state nobody knows is no revocation either */
	snprintf(r[1].state, sizeof(r[1].state), "gone?");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-2", &r[1], NOW, &acts), 0);
	assert_string_equal(trace(), "LOG");
	assert_non_null(gw_engine_find(&e, "pc-2"));
}

/* Two rows with one key or one address: the one admitted first stays. */
static void
test_duplicates(void **state)
{
	struct gw_row r[3], n;

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	sync_rows(r, 1);
	r[1] = row("pc-0", 1, "10.77.0.3/32", "active");	/* pc-1's key */
	r[2] = row("pc-2", 2, "10.77.0.2/32", "active");	/* pc-1's address */
	sync_rows(r, 3);
	assert_string_equal(trace(), "LOG LOG");
	assert_string_equal(log_line(0), "device pc-0: registry row skipped: pubkey: the same as device pc-1's");
	assert_string_equal(log_line(1), "device pc-2: registry row skipped: addr4: the same as device pc-1's");
	n = row("pc-9", 1, "10.77.0.9/32", "active");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-9", &n, NOW, &acts), 0);
	assert_string_equal(trace(), "LOG");
	assert_int_equal(e.n, 1);
}

/* A new key is a new laptop: the old peer, stage and connections go. */
static void
test_rekey(void **state)
{
	struct gw_row r = row("pc-1", 1, "10.77.0.2/32", "active");

	(void)state;
	sync_rows(&r, 1);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW, NOW + 60,
	    NOW, &acts), 0);
	r = row("pc-1", 7, "10.77.0.2/32", "active");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_device(&e, "pc-1", &r, NOW, &acts), 0);
	assert_string_equal(trace(), "STAGE_DEL:pc-1 ELEM_DEL:pc-1 PEER_DEL:pc-1 CT_FLUSH:pc-1 LOG PEER_SET:pc-1 ELEM_ADD:pc-1");
	assert_int_equal(acts.v[2].pub[0], 1);
	assert_int_equal(acts.v[5].pub[0], 7);
	assert_int_equal(gw_dev_expires(gw_engine_find(&e, "pc-1")), 0);
	assert_null(gw_engine_find(&e, "pc-1")->sess);	/* its memory given back */
}

/* A handover with roles: the device moves from A's elements (signed_on
 * and role_<A's role>) to B's in one action, which apply.c turns into one
 * transaction; a role the ruleset has no set for is signed_on only; a
 * move asked for by name from a user who is not the one signed on
 * changes nothing. */
static void
test_handover_roles(void **state)
{
	struct gw_row r = row("pc-1", 1, "10.77.0.2/32", "active");
	const char *roles[] = { "tax", "welfare" };

	(void)state;
	sync_rows(&r, 1);
	assert_int_equal(gw_engine_set_roles(&e, roles, 2), 0);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "A1", "tax", "card-pin", NOW,
	    NOW + 60, NOW, &acts), 0);
	assert_string_equal(trace(), "STAGE_ADD:pc-1 LOG");
	assert_string_equal(acts.v[0].role, "tax");
	assert_int_equal(acts.v[0].replace, 0);
	assert_string_equal(log_line(0), "device pc-1: session of A1 (card-pin, role tax) opened for 60s: stage 2");
	/* stale: B asks to take over from someone who is not signed on */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_move(&e, "pc-1", "Z9", "B2", "welfare", "card-pin",
	    NOW + 1, NOW + 91, NOW + 1, &acts), -ESRCH);
	assert_string_equal(trace(), "");
	assert_string_equal(gw_engine_find(&e, "pc-1")->sess->staff, "A1");
	/* the move: one STAGE_ADD replacing A's elements by B's */
	assert_int_equal(gw_engine_session_move(&e, "pc-1", "A1", "B2", "welfare", "card-pin",
	    NOW + 1, NOW + 91, NOW + 1, &acts), 0);
	assert_string_equal(trace(), "STAGE_ADD:pc-1 LOG");
	assert_int_equal(acts.v[0].replace, 1);
	assert_string_equal(acts.v[0].old_role, "tax");
	assert_string_equal(acts.v[0].role, "welfare");
	assert_int_equal(acts.v[0].timeout_s, 90);
	assert_string_equal(log_line(0), "device pc-1: session handed over from A1 to B2 (card-pin, role welfare) for 90s: stage 2");
	/* a role without a set: signed_on only; closing removes B's role */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_close(&e, "pc-1", "signed off", &acts), 0);
	assert_string_equal(trace(), "STAGE_DEL:pc-1 LOG");
	assert_string_equal(acts.v[0].role, "welfare");
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "C3", "clerk", "code-pin", NOW + 2,
	    NOW + 62, NOW + 2, &acts), 0);
	assert_string_equal(acts.v[0].role, "");
	assert_string_equal(acts.v[0].old_role, "");
	/* the same session again from the feed: nothing */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "C3", "clerk", "code-pin", NOW + 2,
	    NOW + 62, NOW + 3, &acts), 0);
	assert_string_equal(trace(), "");
	/* the user's role changed in the registry (it feeds "session role"):
	 * the same session moves to the new role's set, the old element goes */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "C3", "tax", "code-pin", NOW + 2,
	    NOW + 62, NOW + 4, &acts), 0);
	assert_string_equal(trace(), "STAGE_ADD:pc-1 LOG");
	assert_int_equal(acts.v[0].replace, 1);
	assert_string_equal(acts.v[0].old_role, "");
	assert_string_equal(acts.v[0].role, "tax");
	assert_int_equal(acts.v[0].timeout_s, 58);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "C3", "clerk", "code-pin", NOW + 2,
	    NOW + 62, NOW + 5, &acts), 0);
	assert_string_equal(trace(), "STAGE_ADD:pc-1 LOG");
	assert_string_equal(acts.v[0].old_role, "tax");
	assert_string_equal(acts.v[0].role, "");
	assert_int_equal(gw_engine_set_roles(&e, roles, GW_MAX_ROLES + 1), -E2BIG);
}

static void
test_sessions(void **state)
{
	struct gw_row r[2];

	(void)state;
	r[0] = row("pc-1", 1, "10.77.0.2/32", "active");
	r[1] = row("pc-2", 2, "10.77.0.3/32", "revoked");
	sync_rows(r, 2);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-2", "S0001", "", "card", NOW, NOW + 60,
	    NOW, &acts), -ENOENT);
	assert_int_equal(gw_engine_session_open(&e, "nobody", "S0001", "", "card", NOW, NOW + 60,
	    NOW, &acts), -ENOENT);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW, NOW,
	    NOW, &acts), -EINVAL);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S 1", "", "card", NOW, NOW + 5,
	    NOW, &acts), -EINVAL);
	/* a row the registry's own calls never write (a lifetime over a
	 * year, an expiry nft cannot take): refused, never a timeout that
	 * fails the gateway's every transaction from then on */
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW,
	    NOW + 366 * 86400 + 1, NOW, &acts), -EINVAL);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW,
	    INT64_MAX, NOW, &acts), -EINVAL);
	assert_string_equal(trace(), "");
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0001", "", "card", NOW, NOW + 60,
	    NOW, &acts), 0);
	assert_string_equal(trace(), "STAGE_ADD:pc-1 LOG");
	assert_int_equal(acts.v[0].timeout_s, 60);
	assert_int_equal(acts.v[0].replace, 0);
	/* a handover: the element is replaced (a new timeout) */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0002", "", "card", NOW, NOW + 90,
	    NOW, &acts), 0);
	assert_int_equal(acts.v[0].replace, 1);
	assert_int_equal(acts.v[0].timeout_s, 90);
	assert_int_equal(gw_engine_tick(&e, NOW + 10, &acts), NOW + 90);
	/* closed: back to stage 1 */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_close(&e, "pc-1", "signed off", &acts), 0);
	assert_string_equal(trace(), "STAGE_DEL:pc-1 LOG");
	assert_string_equal(log_line(0), "device pc-1: session of S0002 closed (signed off): stage 1");
	assert_int_equal(gw_engine_session_close(&e, "pc-1", "again", &acts), -ENOENT);
	/* expired: the kernel's timeout removed the element; a line only */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0002", "", "code", NOW, NOW + 5,
	    NOW, &acts), 0);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_tick(&e, NOW + 5, &acts), 0);
	assert_string_equal(trace(), "LOG");
	assert_string_equal(log_line(0), "device pc-1: session of S0002 expired: stage 1");
	/* opened again just after: the kernel may still hold the old element */
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_open(&e, "pc-1", "S0002", "", "code", NOW + 5,
	    NOW + 65, NOW + 5, &acts), 0);
	assert_int_equal(acts.v[0].replace, 1);
	gw_actions_clear(&acts);
	assert_int_equal(gw_engine_session_close(&e, "pc-1", NULL, &acts), 0);
	assert_int_equal(gw_dev_expires(gw_engine_find(&e, "pc-1")), 0);
	assert_null(gw_engine_find(&e, "pc-1")->sess);	/* its memory given back */
	/* a revocation of a device without a session: no stage action */
	r[0] = row("pc-1", 1, "10.77.0.2/32", "revoked");
	sync_rows(r, 2);
	assert_string_equal(trace(), "ELEM_DEL:pc-1 PEER_DEL:pc-1 CT_FLUSH:pc-1 LOG");
}

/* Many devices: a sync admits each once, in one pass. */
static void
test_many(void **state)
{
	static struct gw_row r[5000];
	struct sk_error err;
	size_t peers = 0;

	(void)state;
	gw_engine_free(&e);
	assert_int_equal(gw_engine_init(&e, "10.64.0.0/16", NULL, &err), 0);
	{
		static const char *names[] = { "office" };
		static const int nums[] = { 1 };

		gw_engine_set_groups(&e, names, nums, 1);
	}
	for (int i = 0; i < 5000; i++) {
		char name[32], a[32];

		snprintf(name, sizeof(name), "pc-%05d", i);
		snprintf(a, sizeof(a), "10.64.%d.%d/32", (i + 2) / 256, (i + 2) % 256);
		r[i] = row(name, 0, a, "active");
		{
			uint8_t kb[32];
			char b64[KEY_B64_LEN];

			key(kb, 0);
			kb[1] = (uint8_t)(i >> 8);
			kb[2] = (uint8_t)i;
			kb[3] = 1;
			key_to_b64(b64, kb);
			snprintf(r[i].pubkey, sizeof(r[i].pubkey), "%s", b64);
		}
	}
	sync_rows(r, 5000);
	for (size_t i = 0; i < acts.n; i++)
		peers += acts.v[i].type == GW_ACT_PEER_SET;
	assert_int_equal(peers, 5000);
	assert_int_equal(e.n, 5000);
	sync_rows(r, 5000);
	assert_int_equal(acts.n, 0);
	/* a restart over an interface that has them all (in another order)
	 * and one stranger: no peer set, one removed, every element added */
	{
		static struct gw_seen seen[5001];
		size_t sets = 0, dels = 0, elems = 0;

		for (int i = 0; i < 5000; i++) {
			struct gw_dev d;
			char why[128];

			assert_int_equal(gw_row_check(&e, &r[4999 - i], &d, why, sizeof(why)), 0);
			memcpy(seen[i].pub, d.pub, GW_KEY_LEN);
			seen[i].a4 = d.a4;
		}
		key(seen[5000].pub, 200);
		assert_int_equal(gw_engine_adopt(&e, seen, 5001), 0);
		e.n = 0;	/* as full_sync: the table is replaced */
		sync_rows(r, 5000);
		for (size_t i = 0; i < acts.n; i++) {
			sets += acts.v[i].type == GW_ACT_PEER_SET;
			dels += acts.v[i].type == GW_ACT_PEER_DEL;
			elems += acts.v[i].type == GW_ACT_ELEM_ADD;
		}
		assert_int_equal(sets, 0);
		assert_int_equal(dels, 1);
		assert_int_equal(elems, 5000);
	}
}

/* The session socket's codec (lib/proto/gwsess_wire.h): the exact
 * bytes, and each way a request can be out of bounds refused. */
static void
test_wire(void **state)
{
	struct gws_req q = { .type = GWS_OPEN, .lifetime = 3600 }, r;
	struct gws_rep p = { .type = GWS_R_SESSION, .opened = 10, .expires = 3610 }, o;
	uint8_t b[GWS_REP_LEN + 1];
	struct sk_error err;

	(void)state;
	snprintf(q.device, sizeof(q.device), "pc-0001");
	snprintf(q.text, sizeof(q.text), "S0001");
	snprintf(q.factor, sizeof(q.factor), "card");
	assert_int_equal(gws_req_encode(b, &q), 0);
	assert_int_equal(b[0], GWS_VERSION);
	assert_int_equal(b[1], GWS_OPEN);
	assert_int_equal(be32_get(b + 4), 3600);
	assert_memory_equal(b + 8, "pc-0001\0", 8);
	assert_memory_equal(b + 88, "S0001\0", 6);
	assert_memory_equal(b + 168, "card\0", 5);
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), 0);
	assert_string_equal(r.device, "pc-0001");
	assert_int_equal(r.lifetime, 3600);
	/* one byte more, or less */
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN + 1, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "session request of 193 bytes, not 192");
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN - 1, &r, &err), -EINVAL);
	/* a reserved byte, a byte after a name's end, a space in a name */
	b[2] = 1;
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "session request refused: a field out of bounds or not zero (type 1)");
	b[2] = 0;
	b[8 + 70] = 'x';
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	b[8 + 70] = 0;
	b[8 + 2] = ' ';
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	b[8 + 2] = '-';
	/* a lifetime of 0 or over a week; another version; a type unknown */
	be32_put(b + 4, 0);
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	be32_put(b + 4, GWS_LIFETIME_MAX + 1);
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	be32_put(b + 4, 60);
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), 0);
	b[0] = 2;
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	b[0] = GWS_VERSION;
	b[1] = 9;
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	/* a move: two different names, one space */
	{
		char from[GWS_NAME_FIELD], to[GWS_NAME_FIELD];

		q.type = GWS_MOVE;
		snprintf(q.text, sizeof(q.text), "S0001 S0002");
		assert_int_equal(gws_req_encode(b, &q), 0);
		assert_int_equal(b[1], GWS_MOVE);
		assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), 0);
		assert_int_equal(gws_move_split(r.text, from, to), 0);
		assert_string_equal(from, "S0001");
		assert_string_equal(to, "S0002");
		b[88 + 5] = 'x';		/* one name: no */
		assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
		static const char *const bad[] = { "S0001", "S0001 S0001", "S0001  S0002",
		    " S0002", "S0001 ", "S0001 S0002 S0003", "S\"1 S0002" };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(q.text, sizeof(q.text), "%s", bad[i]);
			assert_int_equal(gws_req_encode(b, &q), -EINVAL);
		}
		q.type = GWS_OPEN;
	}
	/* a list asks nothing else */
	memset(&q, 0, sizeof(q));
	q.type = GWS_LIST;
	assert_int_equal(gws_req_encode(b, &q), 0);
	b[8] = 'x';
	assert_int_equal(gws_req_decode(b, GWS_REQ_LEN, &r, &err), -EINVAL);
	/* a name of 80 characters does not fit its 80-byte field */
	q.type = GWS_CLOSE;
	memset(q.device, 'a', sizeof(q.device));
	assert_int_equal(gws_req_encode(b, &q), -EINVAL);
	/* replies */
	snprintf(p.device, sizeof(p.device), "pc-0001");
	snprintf(p.staff, sizeof(p.staff), "S0001");
	snprintf(p.factor, sizeof(p.factor), "card");
	assert_int_equal(gws_rep_encode(b, &p), 0);
	assert_int_equal(gws_rep_decode(b, GWS_REP_LEN, &o, &err), 0);
	assert_int_equal(o.expires, 3610);
	assert_string_equal(o.staff, "S0001");
	b[255] = 1;
	assert_int_equal(gws_rep_decode(b, GWS_REP_LEN, &o, &err), -EINVAL);
	/* a peer at stage 1 carries no expiry */
	memset(&p, 0, sizeof(p));
	p.type = GWS_R_PEER;
	p.stage = 1;
	p.expires = 5;
	snprintf(p.device, sizeof(p.device), "pc-0001");
	assert_int_equal(gws_rep_encode(b, &p), -EINVAL);
}

/* ---- the conntrack flush's match (ct.c): one dump for a batch ---- */

static void
ct_tuple(struct nlmsghdr *nlh, uint16_t type, const char *src, const char *dst, int bad_len)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *ip;
	struct in_addr a;

	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, src, &a);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, bad_len ? 3 : 4, &a);
	inet_pton(AF_INET, dst, &a);
	mnl_attr_put(nlh, CTA_IP_V4_DST, 4, &a);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, t);
}

/* An entry as a dump gives it: original and reply tuple, an id. */
static struct nlmsghdr *
ct_entry(char *buf, const char *osrc, const char *odst, const char *rsrc, const char *rdst,
    int bad_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	uint32_t id = htonl(7);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg->nfgen_family = AF_INET;
	if (osrc != NULL)
		ct_tuple(nlh, CTA_TUPLE_ORIG, osrc, odst, bad_len);
	ct_tuple(nlh, CTA_TUPLE_REPLY, rsrc, rdst, 0);
	mnl_attr_put(nlh, CTA_ID, 4, &id);
	return nlh;
}

/* The position in set[0..n) of the address text, -1 if none. */
static long
ct_pos(const uint32_t *set, size_t n, const char *text)
{
	struct in_addr a;

	inet_pton(AF_INET, text, &a);
	for (size_t i = 0; i < n; i++)
		if (set[i] == a.s_addr)
			return (long)i;
	return -1;
}

static void
test_ct_match(void **state)
{
	static char buf[1024];
	const char *text[] = { "10.77.0.2", "10.77.0.9", "10.77.0.40" };
	uint32_t set[3];
	const struct nlattr *orig;
	struct in_addr a;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		inet_pton(AF_INET, text[i], &a);
		set[i] = a.s_addr;
	}
	/* sorted by s_addr, as ct.c sorts them (network order) */
	for (size_t i = 0; i < 3; i++)
		for (size_t j = i + 1; j < 3; j++)
			if (set[j] < set[i]) {
				uint32_t t = set[i];

				set[i] = set[j];
				set[j] = t;
			}
	assert_int_not_equal(ct_pos(set, 3, "10.77.0.9"), -1);
	/* the laptop's connection to LGWAN: its address as the source */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.9", "10.64.0.1", "10.64.0.1",
	    "10.77.0.9", 0), set, 3, &orig), ct_pos(set, 3, "10.77.0.9"));
	assert_non_null(orig);
	assert_int_equal(mnl_attr_get_type(orig), CTA_TUPLE_ORIG);
	/* as the destination (a connection to the laptop) */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.64.0.1", "10.77.0.9", "10.77.0.9",
	    "10.64.0.1", 0), set, 3, &orig), ct_pos(set, 3, "10.77.0.9"));
	/* only in the reply tuple (NAT) */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "192.0.2.1", "10.64.0.1", "10.64.0.1",
	    "10.77.0.9", 0), set, 3, &orig), ct_pos(set, 3, "10.77.0.9"));
	/* the first and the last of the set, found by the same search */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.2", "10.64.0.1", "10.64.0.1",
	    "10.77.0.2", 0), set, 3, &orig), ct_pos(set, 3, "10.77.0.2"));
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.64.0.1", "10.77.0.40", "10.77.0.40",
	    "10.64.0.1", 0), set, 3, &orig), ct_pos(set, 3, "10.77.0.40"));
	/* another laptop's (an address of the pool not in the batch), and
	 * neighbours of batch addresses: untouched */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.3", "10.64.0.1", "10.64.0.1",
	    "10.77.0.3", 0), set, 3, &orig), -1);
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.10", "10.77.0.8", "10.77.0.8",
	    "10.77.0.10", 0), set, 3, &orig), -1);
	/* an empty batch matches nothing */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.9", "10.64.0.1", "10.64.0.1",
	    "10.77.0.9", 0), set, 0, &orig), -1);
	/* an address attribute of the wrong length is not read */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, "10.77.0.9", "10.64.0.1", "10.64.0.1",
	    "10.64.0.2", 1), set, 3, &orig), -1);
	/* no original tuple: found, but nothing to delete it by */
	assert_int_equal(gw_ct_entry_match(ct_entry(buf, NULL, NULL, "10.64.0.1", "10.77.0.9", 0),
	    set, 3, &orig), ct_pos(set, 3, "10.77.0.9"));
	assert_null(orig);
}

/* sessd.c: an answer is queued and written as the client takes it, never
 * waiting; its bound ends it with DONE EMSGSIZE, never a whole-looking list. */
static void
test_sessd_out(void **state)
{
	struct sessd_out o = { .fd = -1 };
	struct gws_rep rep, got;
	struct sk_error err;
	uint8_t m[GWS_REP_LEN + 1];
	size_t rows = 0, sent;
	int sv[2], rc = 0, done = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	o.fd = sv[0];
	memset(&rep, 0, sizeof(rep));
	rep.type = GWS_R_SESSION;
	snprintf(rep.device, sizeof(rep.device), "lt1");
	snprintf(rep.staff, sizeof(rep.staff), "S0001");
	snprintf(rep.factor, sizeof(rep.factor), "card");
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(sessd_reply(&o, &rep), 0);
	assert_int_equal(sessd_done(&o, 0, "sessions"), 0);
	/* nobody reads: part of it goes, the rest waits, nothing blocks */
	assert_int_equal(sessd_out_flush(&o, 1000), 0);
	sent = o.off / GWS_REP_LEN;
	assert_true(sent > 0 && sent < 5001);
	assert_int_equal(o.deadline, 1000 + SESSD_WAIT_MS);
	assert_int_equal(sessd_out_flush(&o, 1500), 0);	/* still full */
	assert_int_equal(o.deadline, 1000 + SESSD_WAIT_MS);
	/* a reader: every row, then DONE 0 */
	while (!done) {
		ssize_t n = recv(sv[1], m, sizeof(m), MSG_DONTWAIT);

		if (n == -1) {
			assert_int_equal(errno, EAGAIN);
			assert_int_equal(rc, 0);
			rc = sessd_out_flush(&o, 2000);
			assert_true(rc >= 0);
			continue;
		}
		assert_int_equal(n, GWS_REP_LEN);
		assert_int_equal(gws_rep_decode(m, (size_t)n, &got, &err), 0);
		if (got.type == GWS_R_DONE) {
			assert_int_equal(got.status, 0);
			done = 1;
		} else
			rows++;
	}
	assert_int_equal(rows, 5000);
	assert_int_equal(rc, 1);
	assert_int_equal(o.deadline, 2000 + SESSD_WAIT_MS);
	sessd_out_free(&o);

	/* over the bound: cut short, and said so */
	memset(&o, 0, sizeof(o));
	o.fd = sv[0];
	for (rows = 0; sessd_reply(&o, &rep) == 0; rows++)
		;
	assert_int_equal(rows, SESSD_OUT_MAX_BYTES / GWS_REP_LEN - 1);
	assert_int_equal(sessd_reply(&o, &rep), -EMSGSIZE);
	assert_int_equal(sessd_done(&o, 0, "sessions"), 0);
	assert_int_equal(o.len, SESSD_OUT_MAX_BYTES);
	assert_int_equal(gws_rep_decode(o.buf + o.len - GWS_REP_LEN, GWS_REP_LEN, &got, &err), 0);
	assert_int_equal(got.type, GWS_R_DONE);
	assert_int_equal(got.status, EMSGSIZE);
	sessd_out_free(&o);

	/* the client gone: an error, not a wait */
	memset(&o, 0, sizeof(o));
	o.fd = sv[0];
	assert_int_equal(sessd_done(&o, 0, "x"), 0);
	close(sv[1]);
	assert_true(sessd_out_flush(&o, 0) < 0);
	sessd_out_free(&o);
	close(sv[0]);
}

/* stage.c: a session's change as one nfnetlink batch, message for
 * message what the text path loaded: removals first ("add with 1 s,
 * then delete", in the actions' order), then the signed_on additions,
 * then the role elements; the last element message asks for the ack. */
struct want {
	uint16_t	type;	/* NFT_MSG_NEWSETELEM / NFT_MSG_DELSETELEM */
	const char	*set;
	const char	*addr;
	uint64_t	timeout_ms;	/* 0: none */
};

static void
check_batch(const struct nfnl_batch *bt, const struct want *w, size_t n)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)bt->b.p;
	int left = (int)bt->b.len;
	size_t k = 0;

	assert_true(mnl_nlmsg_ok(h, left));
	assert_int_equal(h->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(h->nlmsg_seq, bt->first);
	for (h = mnl_nlmsg_next(h, &left); mnl_nlmsg_ok(h, left) &&
	    h->nlmsg_type != NFNL_MSG_BATCH_END; h = mnl_nlmsg_next(h, &left), k++) {
		const struct nlattr *a, *list = NULL, *el = NULL, *key = NULL, *tmo = NULL;
		const char *table = NULL, *set = NULL;
		struct in_addr want;

		assert_true(k < n);
		assert_int_equal(h->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | w[k].type);
		assert_int_equal(h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL),
		    w[k].type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
		assert_int_equal(!!(h->nlmsg_flags & NLM_F_ACK), k + 1 == n);
		assert_int_equal(h->nlmsg_seq, bt->first + 1 + k);
		mnl_attr_for_each(a, h, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_TABLE)
				table = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				set = mnl_attr_get_str(a);
			else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		assert_string_equal(table, GW_TABLE);
		assert_string_equal(set, w[k].set);
		assert_non_null(list);
		mnl_attr_for_each_nested(a, list) {
			assert_null(el);	/* one element a message */
			el = a;
		}
		assert_non_null(el);
		mnl_attr_for_each_nested(a, el) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY)
				key = mnl_attr_get_payload(a);
			else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_TIMEOUT)
				tmo = a;
			else
				fail_msg("element attribute %u", mnl_attr_get_type(a));
		}
		assert_non_null(key);
		assert_int_equal(mnl_attr_get_type(key), NFTA_DATA_VALUE);
		assert_int_equal(mnl_attr_get_payload_len(key), 4);
		inet_pton(AF_INET, w[k].addr, &want);
		assert_memory_equal(mnl_attr_get_payload(key), &want, 4);
		if (w[k].timeout_ms == 0)
			assert_null(tmo);
		else {
			assert_non_null(tmo);
			assert_int_equal(be64toh(mnl_attr_get_u64(tmo)), w[k].timeout_ms);
		}
	}
	assert_int_equal(k, n);
	assert_true(mnl_nlmsg_ok(h, left));
	assert_int_equal(h->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_int_equal(bt->last, bt->first + n);
	assert_int_equal(h->nlmsg_len, (uint32_t)left);	/* nothing follows */
}

static struct gw_action
stage(enum gw_act_type t, const char *addr, const char *role, int replace,
    const char *old_role, int64_t timeout_s)
{
	struct gw_action x;

	memset(&x, 0, sizeof(x));
	x.type = t;
	snprintf(x.device, sizeof(x.device), "pc-1");
	inet_pton(AF_INET, addr, &x.a4);
	snprintf(x.role, sizeof(x.role), "%s", role);
	snprintf(x.old_role, sizeof(x.old_role), "%s", old_role);
	x.replace = replace;
	x.timeout_s = timeout_s;
	return x;
}

static void
test_stage_batch(void **state)
{
	struct gw_action v[3];
	struct gw_actions a = { v, 0, 3, 0 };
	struct nfnl_batch bt;
	struct sk_error err;

	(void)state;
	/* an opening with a role: signed_on, then role_tax, both timed */
	v[0] = stage(GW_ACT_STAGE_ADD, "10.77.0.5", "tax", 0, "", 600);
	a.n = 1;
	assert_true(gw_stage_only(&a));
	assert_int_equal(gw_stage_encode(&a, 100, &bt, &err), 0);
	check_batch(&bt, (const struct want[]){
	    { NFT_MSG_NEWSETELEM, "signed_on", "10.77.0.5", 600000 },
	    { NFT_MSG_NEWSETELEM, "role_tax", "10.77.0.5", 600000 } }, 2);
	assert_int_equal(bt.first, 100);
	nfnl_batch_free(&bt);

	/* a handover from a user of role tax to one of none, and another
	 * device's close: every removal first, then the addition */
	v[0] = stage(GW_ACT_LOG, "0.0.0.0", "", 0, "", 0);
	v[1] = stage(GW_ACT_STAGE_ADD, "10.77.0.5", "", 1, "tax", 300);
	v[2] = stage(GW_ACT_STAGE_DEL, "10.77.0.6", "", 0, "", 0);
	a.n = 3;
	assert_true(gw_stage_only(&a));
	assert_int_equal(gw_stage_encode(&a, 7, &bt, &err), 0);
	check_batch(&bt, (const struct want[]){
	    { NFT_MSG_NEWSETELEM, "signed_on", "10.77.0.5", 1000 },
	    { NFT_MSG_DELSETELEM, "signed_on", "10.77.0.5", 0 },
	    { NFT_MSG_NEWSETELEM, "role_tax", "10.77.0.5", 1000 },
	    { NFT_MSG_DELSETELEM, "role_tax", "10.77.0.5", 0 },
	    { NFT_MSG_NEWSETELEM, "signed_on", "10.77.0.6", 1000 },
	    { NFT_MSG_DELSETELEM, "signed_on", "10.77.0.6", 0 },
	    { NFT_MSG_NEWSETELEM, "signed_on", "10.77.0.5", 300000 } }, 7);
	nfnl_batch_free(&bt);

	/* a close of a session with a role: out of both sets */
	v[0] = stage(GW_ACT_STAGE_DEL, "10.77.0.5", "tax", 0, "", 0);
	a.n = 1;
	assert_int_equal(gw_stage_encode(&a, 1, &bt, &err), 0);
	check_batch(&bt, (const struct want[]){
	    { NFT_MSG_NEWSETELEM, "signed_on", "10.77.0.5", 1000 },
	    { NFT_MSG_DELSETELEM, "signed_on", "10.77.0.5", 0 },
	    { NFT_MSG_NEWSETELEM, "role_tax", "10.77.0.5", 1000 },
	    { NFT_MSG_DELSETELEM, "role_tax", "10.77.0.5", 0 } }, 4);
	nfnl_batch_free(&bt);

	/* a timeout nftables would refuse is never sent */
	v[0] = stage(GW_ACT_STAGE_ADD, "10.77.0.5", "", 0, "", 0);
	assert_int_equal(gw_stage_encode(&a, 1, &bt, &err), -EINVAL);
	assert_string_equal(err.msg, "device pc-1: a stage-2 timeout of 0 s");
	v[0] = stage(GW_ACT_STAGE_ADD, "10.77.0.5", "", 0, "", GW_SESSION_MAX_S + 1);
	assert_int_equal(gw_stage_encode(&a, 1, &bt, &err), -EINVAL);

	/* anything but stage actions and log lines: the text path */
	v[1] = stage(GW_ACT_ELEM_ADD, "10.77.0.7", "", 0, "", 0);
	v[0] = stage(GW_ACT_STAGE_ADD, "10.77.0.5", "", 0, "", 60);
	a.n = 2;
	assert_false(gw_stage_only(&a));
	v[0] = stage(GW_ACT_LOG, "0.0.0.0", "", 0, "", 0);
	a.n = 1;
	assert_false(gw_stage_only(&a));	/* nothing to send */
	a.n = 0;
	assert_false(gw_stage_only(&a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_row_keeps_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handover_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_ct_match),
		cmocka_unit_test(test_sessd_out),
		cmocka_unit_test(test_stage_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
