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
#include "netvm/sekishod/dnspick.h"
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
	1 + ENGINE_MAC_LEN + 8 + 1 + 8 + 8 + 1 + 8 + 8 + 4)
#define ENG_UPLINK_LEN	(4 + IF_NAMESIZE + 4 + 4 + 4 + 1 + 4 + 1 + 1 + 4 + 1 + \
	ENGINE_BEACON_ID + 1 + 1 + ENGINE_MAC_LEN + 1 + ENGINE_MAC_LEN + 8 + 8 + 8 + 8 + \
	1 + ENGINE_MAC_LEN)
#define ENG_ACTION_LEN	(1 + 1 + 4 + IF_NAMESIZE + 1 + 4 + 4 + 4 + 1 + 1 + 1 + 8 + 8)
#define ENG_STATE_LEN	(4 + 4 + 4 * ENGINE_MAX_GATEWAYS + 4 + 1 + 8 + 1 + 4 + 1 + 4 + \
	8 + 8 + 4 + 4 + 1 + 8 + 4 + 1 + 8 + 8 + 8 + 8 + 96 + IF_NAMESIZE + 4 + \
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

/*
 * A helper's untrusted output, parsed in the engine, not the parent
 * (docs/architecture.md "Helper results"). The parent passes what the
 * helper wrote as raw bytes (for the DNS checker one line, cut at '\n'
 * with a memchr and nothing more; for sekisho-fetch all it wrote on
 * standard error, and the freshness statement it wrote); the engine
 * parses it with the helper's own parser and answers with a typed result
 * the parent checks against what it asked for and knows by itself
 * (eng_parsed_check_dns, _fetch, _fresh).
 *
 *  parse, parent -> engine, ENG_PARSE_LEN bytes:
 *	0 version	1 ENG_T_PARSE	2 kind (enum eng_kind)	3 0
 *	4..7 n (what the parent expects: resolvers asked; for a fetch line,
 *	the helper's exit status, ENG_FETCH_SIGNALED + the signal if it
 *	died of one; 0 for a statement), 8..9 length (<= ENG_RAW_MAX), then
 *	ENG_RAW_MAX bytes, those beyond the length 0
 *
 *  parsed, engine -> parent, ENG_PARSED_LEN bytes:
 *	0 version	1 ENG_T_PARSED	2 kind	3 0
 *	4 ok (0 or 1), 5..8 n (<= DNS_MAX_RESOLVERS; a fetch line: the
 *	outcome, enum eng_fetch), then DNS_MAX_RESOLVERS verdicts (0 or 1;
 *	those beyond n, and all when not ok or not a DNS check, 0), then a
 *	statement's serial (8), time (8) and device (32) (all 0 unless an
 *	accepted statement), then the helper's line (ENG_PARSED_ERR,
 *	NUL-padded printable: a failed fetch's reason; empty otherwise), then
 *	the parser's one line (ENG_PARSED_ERR, NUL-padded printable; empty
 *	iff ok)
 */
#define ENG_T_PARSE	3
#define ENG_T_PARSED	4

enum eng_kind {
	ENG_PARSE_DNSCHECK = 1,	/* a sekisho-dnscheck line (dnspick.h) */
	ENG_PARSE_FETCH,	/* what sekisho-fetch wrote on stderr, its exit status */
	ENG_PARSE_FRESH,	/* the freshness statement it wrote (policy/bundle.h) */
	ENG_KIND_MAX = ENG_PARSE_FRESH
};

/* A fetch's outcome, by its exit status (lib/proto/fetch_helper.h). */
enum eng_fetch {
	ENG_FETCH_NEWER = 1,	/* exit FETCH_EXIT_NEWER, nothing on stderr */
	ENG_FETCH_NONE,		/* exit FETCH_EXIT_NONE, nothing on stderr */
	ENG_FETCH_FRESH,	/* exit FETCH_EXIT_FRESH, nothing on stderr */
	ENG_FETCH_ERROR,	/* exit FETCH_EXIT_ERROR, one printable line */
	ENG_FETCH_FAILED,	/* any other status; its text is not used */
	ENG_FETCH_MAX = ENG_FETCH_FAILED
};
#define ENG_FETCH_SIGNALED	256	/* n = this + the signal */

#define ENG_RAW_MAX	256
#define ENG_PARSED_ERR	160
#define ENG_STMT_KEY	32
#define ENG_PARSE_LEN	(4 + 4 + 2 + ENG_RAW_MAX)
#define ENG_PARSED_LEN	(4 + 1 + 4 + DNS_MAX_RESOLVERS + 8 + 8 + ENG_STMT_KEY + \
	2 * ENG_PARSED_ERR)

struct eng_parse {
	enum eng_kind	kind;
	uint32_t	n;
	size_t		len;
	uint8_t		raw[ENG_RAW_MAX];
};

struct eng_parsed {
	enum eng_kind	kind;
	int		ok;
	uint32_t	n;
	uint8_t		alive[DNS_MAX_RESOLVERS];
	uint64_t	serial, time;		/* a statement's */
	uint8_t		device[ENG_STMT_KEY];
	char		line[ENG_PARSED_ERR];	/* a failed fetch's one line */
	char		err[ENG_PARSED_ERR];
};

/* The engine's side: p parsed into *out (never fails: a refused line is
 * ok = 0 with the parser's line in out->err). */
void eng_parse_run(const struct eng_parse *p, struct eng_parsed *out);
void eng_parse_encode(uint8_t out[ENG_PARSE_LEN], const struct eng_parse *p);
int eng_parse_decode(const uint8_t *in, size_t len, struct eng_parse *p, struct sk_error *err);
void eng_parsed_encode(uint8_t out[ENG_PARSED_LEN], const struct eng_parsed *p);
int eng_parsed_decode(const uint8_t *in, size_t len, struct eng_parsed *p,
    struct sk_error *err);
/* The parent's bounds on a decoded DNS-check result: of that kind, for
 * exactly the n resolvers it asked about, ok. 0 with alive[] (n of them)
 * filled, or -EINVAL with one line (the parser's, or which bound). */
int eng_parsed_check_dns(const struct eng_parsed *p, size_t n, uint8_t *alive,
    struct sk_error *err);

/* The parent's bounds on a fetch's result: of that kind, ok, and the
 * outcome its own reading of the exit status gives (want). 0 with the
 * helper's line copied to line (empty unless ENG_FETCH_ERROR), or -EINVAL
 * with one line. */
int eng_parsed_check_fetch(const struct eng_parsed *p, enum eng_fetch want, char *line,
    size_t size, struct sk_error *err);
/* The outcome an exit status (waitpid's) gives, and n for eng_parse. */
enum eng_fetch eng_fetch_outcome(int wstatus, uint32_t *n);
/* ... on a statement's: of that kind, ok. 0 with serial, time, device,
 * or -EINVAL with one line. */
int eng_parsed_check_fresh(const struct eng_parsed *p, uint64_t *serial, uint64_t *time,
    uint8_t device[ENG_STMT_KEY], struct sk_error *err);

void eng_call_encode(uint8_t out[ENG_CALL_LEN], const struct eng_call *c);
/* 0 with *c, or -EINVAL with one line in err. */
int eng_call_decode(const uint8_t *in, size_t len, struct eng_call *c, struct sk_error *err);
void eng_result_encode(uint8_t out[ENG_RESULT_LEN], const struct eng_result *r);
int eng_result_decode(const uint8_t *in, size_t len, struct eng_result *r,
    struct sk_error *err);

#endif
