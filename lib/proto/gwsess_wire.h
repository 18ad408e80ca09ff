/*
 * sekisho-gw's session interface, version 1 (docs/gateway.md): what the
 * sign-on verifier (sekisho-authd, to come) and `sekisho-gw session|status`
 * say to the gateway over its local socket (/run/sekisho-gw/session.sock,
 * SOCK_SEQPACKET: one datagram, one message), and what it answers. Every
 * message has one fixed size; nothing optional, nothing may follow.
 *
 * Request, client -> gateway, GWS_REQ_LEN = 192 bytes:
 *     0  1  version     GWS_VERSION
 *     1  1  type        GWS_OPEN, GWS_CLOSE, GWS_LIST, GWS_STATUS,
 *                       GWS_SUMMARY (STATUS without the peers),
 *                       GWS_MOVE (a handover by name: appended, same layout)
 *     2  2  reserved    0
 *     4  4  lifetime    seconds, big-endian: OPEN, MOVE 1 .. GWS_LIFETIME_MAX, else 0
 *     8 80  device      OPEN, CLOSE, MOVE: the device's registry name; else zeros
 *    88 80  text        OPEN: the staff id; CLOSE: why (may be empty);
 *                       MOVE: the staff id handing over, one space, the staff
 *                       id taking over (two names, different); else zeros
 *   168 16  factor      OPEN, MOVE: "card", "code", "bio", "cli" ...; else zeros
 *   184  8  reserved    0
 *
 * Replies, gateway -> client, GWS_REP_LEN = 256 bytes each:
 *     0  1  version     GWS_VERSION
 *     1  1  type        GWS_R_*
 *     2  2  reserved    0
 *     4  4  status      GWS_R_DONE: 0 done, else an errno value
 *   GWS_R_DONE (ends every answer):
 *     8 160 text        one line: what was done, or why not
 *   GWS_R_SESSION (LIST: one per session; STATUS: after the PEER of
 *   each device at stage 2):
 *     8 80  device, 88 80 staff, 168 16 factor,
 *   184  8  opened, 192 8 expires (UNIX seconds, big-endian)
 *   GWS_R_PEER (STATUS: one per admitted device):
 *     8 80  device
 *    88  4  IPv4 tunnel address
 *    92  1  stage 1 or 2
 *    93  1  reserved 0
 *    94  2  group number, big-endian
 *    96  8  session expiry (0 at stage 1)
 *   104  8  last handshake, UNIX seconds, 0 never
 *   112  8  bytes received, 120 8 bytes sent
 *   GWS_R_SUMMARY (STATUS, SUMMARY: first):
 *     8  8  peers, 16 8 at stage 2, 24 8 rows skipped since start,
 *    32  8  last change-feed sequence applied (0: none, or no feed),
 *    40  8  last sync, UNIX seconds, 48 8 started, UNIX seconds,
 *    56  1  registry connected 0/1, 57 1 reserved, 58 2 groups,
 *    60 16  interface name, 76 16 backend ("userspace", "kernel"),
 *    92 64  registry backend and state (text)
 *   156  8  the last change: microseconds from the gateway learning of it
 *            (change feed or re-read) to its peer and rules in force
 *
 * Texts: printable ASCII, then NUL bytes to the end of the field (at
 * least one: an 80-byte field holds at most 79 characters). Names (device,
 * staff, factor) have no space, quote or backslash. Every byte the layout
 * does not use is 0. Anything else is refused with one line.
 */
#ifndef SK_GWSESS_WIRE_H
#define SK_GWSESS_WIRE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define GWS_VERSION		1
#define GWS_REQ_LEN		192
#define GWS_REP_LEN		256
#define GWS_NAME_FIELD		80
#define GWS_FACTOR_FIELD	16
#define GWS_TEXT_FIELD		160
#define GWS_LIFETIME_MAX	(7 * 86400)
#define GWS_SOCK_DEFAULT	"/run/sekisho-gw/session.sock"

enum gws_type { GWS_OPEN = 1, GWS_CLOSE = 2, GWS_LIST = 3, GWS_STATUS = 4,
	GWS_SUMMARY = 5, GWS_MOVE = 6 };
enum gws_rtype { GWS_R_DONE = 0x81, GWS_R_SESSION = 0x82, GWS_R_PEER = 0x83,
	GWS_R_SUMMARY = 0x84 };

struct gws_req {
	enum gws_type	type;
	uint32_t	lifetime;
	char		device[GWS_NAME_FIELD];
	char		text[GWS_NAME_FIELD];
	char		factor[GWS_FACTOR_FIELD];
};

struct gws_rep {
	enum gws_rtype	type;
	uint32_t	status;
	char		text[GWS_TEXT_FIELD];		/* DONE */
	char		device[GWS_NAME_FIELD];		/* SESSION, PEER */
	char		staff[GWS_NAME_FIELD];		/* SESSION */
	char		factor[GWS_FACTOR_FIELD];	/* SESSION */
	int64_t		opened, expires;		/* SESSION; PEER: expires */
	struct in_addr	addr;				/* PEER */
	uint8_t		stage;				/* PEER */
	uint16_t	group;				/* PEER; SUMMARY: groups */
	int64_t		handshake;			/* PEER */
	uint64_t	rx, tx;				/* PEER */
	uint64_t	peers, stage2, skipped, seq;	/* SUMMARY */
	int64_t		last_sync, started;		/* SUMMARY */
	uint8_t		connected;			/* SUMMARY */
	char		ifname[16], backend[16];	/* SUMMARY */
	char		registry[64];			/* SUMMARY */
	uint64_t	change_us;			/* SUMMARY */
};

/* MOVE's text split: 0 with from and to (each GWS_NAME_FIELD), or
 * -EINVAL unless it is two different names and one space. */
int gws_move_split(const char *text, char *from, char *to);

/* 0, or -EINVAL (a field too long or not allowed for the type). */
int gws_req_encode(uint8_t out[GWS_REQ_LEN], const struct gws_req *r);
/* 0 with *r filled, or -EINVAL with one line in err. */
int gws_req_decode(const uint8_t *in, size_t len, struct gws_req *r, struct sk_error *err);
int gws_rep_encode(uint8_t out[GWS_REP_LEN], const struct gws_rep *r);
int gws_rep_decode(const uint8_t *in, size_t len, struct gws_rep *r, struct sk_error *err);

#endif
