/*
 * The messages between sekishod's privileged parent and its unprivileged
 * engine process (engproc.c, docs/architecture.md "sekishod's processes"),
 * over a SOCK_SEQPACKET pair: one datagram, one message, each type of
 * exactly one size. Pure codec: no sockets, nothing kept. Every field is
 * written field by field, big-endian (nothing of a struct's layout or
 * padding crosses), and every decoded field is checked against its range:
 * enums among their values, counts within their arrays, interface names
 * NUL-terminated and valid (lib/ifname.h) or empty, beacon ids printable.
 *
 *  call, parent -> engine, ENG_CALL_LEN bytes:
 *	0 version ENG_VERSION	1 type ENG_T_CALL	2 op (enum eng_op)  3 0
 *	then: i1, i2, i3 (4 each, signed), u (8), n (4), endpoints (4 x 4),
 *	the event (ENG_EVENT_LEN), the uplink (ENG_UPLINK_LEN)
 *
 *  result, engine -> parent, ENG_RESULT_LEN bytes:
 *	0 version	1 ENG_T_RESULT	2 number of actions (<= ENG_MAX_ACTS)  3 0
 *	4..7 r (engine_vouch's answer), 8..15 the next office retry,
 *	then ENG_MAX_ACTS actions (ENG_ACTION_LEN each; those beyond the
 *	number all zero), then the engine's whole state (ENG_STATE_LEN).
 *
 * The parent uses the state only as the engine's account of itself (for
 * status, and to know which mode the engine is in); every action it
 * carries out is first checked by engproc_check() against what the parent
 * knows by itself (engproc.h).
 */
#ifndef SK_ENGMSG_H
#define SK_ENGMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "netvm/sekishod/engine.h"

#define ENG_VERSION	1
#define ENG_T_CALL	1
#define ENG_T_RESULT	2

/* What the parent asks: one of engine.h's functions. */
enum eng_op {
	ENG_INIT = 1,	/* engine_init(i1 work, i2 tunnel, endpoints[0], i3 beacons) */
	ENG_GATEWAYS,	/* engine_gateways(endpoints, n, i3 current) */
	ENG_POLICY,	/* engine_set_policy(i1 beacons, u stale_ms) */
	ENG_EVENT,	/* engine_handle(event) */
	ENG_RESTATE,	/* engine_restate(u now) */
	ENG_PROBE_ALL,	/* engine_probe_all() */
	ENG_OFFICE_RETRY,/* engine_office_retry(u now) */
	ENG_VOUCH,	/* engine_vouch(uplink): r = 1 if kept */
	ENG_OP_MAX = ENG_VOUCH
};

#define ENG_MAX_ACTS	ENGINE_MAX_UPLINKS	/* >= ENGINE_MAX_ACTIONS */
#define ENG_EVENT_LEN	(4 + 4 + IF_NAMESIZE + 4 + 4 + 4 + 4 + 1 + 4 + ENGINE_BEACON_ID + 1 + \
	1 + ENGINE_MAC_LEN + 8 + 1 + 8 + 8 + 4)
#define ENG_UPLINK_LEN	(4 + IF_NAMESIZE + 4 + 4 + 4 + 1 + 4 + 1 + 1 + 4 + 1 + \
	ENGINE_BEACON_ID + 1 + 1 + ENGINE_MAC_LEN + 1 + ENGINE_MAC_LEN + 8 + 8 + 8 + 8 + \
	1 + ENGINE_MAC_LEN)
#define ENG_ACTION_LEN	(1 + 1 + 4 + IF_NAMESIZE + 1 + 4 + 4 + 4 + 1 + 1 + 1 + 8 + 8)
#define ENG_STATE_LEN	(4 + 4 + 4 * ENGINE_MAX_GATEWAYS + 4 + 1 + 8 + 1 + 4 + 1 + 4 + \
	8 + 8 + 4 + 4 + 1 + 8 + 4 + 1 + 8 + 8 + 96 + 4 + \
	ENGINE_MAX_UPLINKS * ENG_UPLINK_LEN)
#define ENG_CALL_LEN	(4 + 4 + 4 + 4 + 8 + 4 + 4 * ENGINE_MAX_GATEWAYS + ENG_EVENT_LEN + \
	ENG_UPLINK_LEN)
#define ENG_RESULT_LEN	(4 + 4 + 8 + ENG_MAX_ACTS * ENG_ACTION_LEN + ENG_STATE_LEN)

struct eng_call {
	enum eng_op	op;
	int32_t		i1, i2, i3;
	uint64_t	u;
	uint32_t	n;
	struct in_addr	endpoints[ENGINE_MAX_GATEWAYS];
	struct event	ev;
	struct uplink	up;
};

struct eng_result {
	size_t		n;
	int32_t		r;
	uint64_t	retry_at;
	struct action	acts[ENG_MAX_ACTS];
	struct engine	state;
};

void eng_call_encode(uint8_t out[ENG_CALL_LEN], const struct eng_call *c);
/* 0 with *c, or -EINVAL with one line in err. */
int eng_call_decode(const uint8_t *in, size_t len, struct eng_call *c, struct sk_error *err);
void eng_result_encode(uint8_t out[ENG_RESULT_LEN], const struct eng_result *r);
int eng_result_decode(const uint8_t *in, size_t len, struct eng_result *r,
    struct sk_error *err);

#endif
