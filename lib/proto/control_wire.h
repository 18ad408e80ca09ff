/*
 * sekishod's control protocol, version 1 (docs/control.md): what
 * sekishoctl (and later the work partition's agent, through a relay that
 * passes "status" only) says to sekishod over its local socket, and what
 * sekishod answers. One request, one response, then sekishod closes.
 *
 * Request: one line of exactly these bytes, at most CTL_MAX_LINE:
 *   "status\n"  "status json\n"  "reload\n"  "prefer NAME\n"  "prefer auto\n"
 * ("status json" gets the same answer as "status": the client renders it.
 * NAME is an interface name as lib/ifname.h takes it, one space before it;
 * "auto" clears the preference, so an uplink named "auto" cannot be
 * preferred.)
 *
 * Response (10 bytes + N):
 *    0  4  magic "SKCR"
 *    4  1  version, 1
 *    5  1  type (enum ctl_type)
 *    6  4  length N of the payload, at most CTL_PAYLOAD_MAX
 *   10  N  payload: CTL_T_STATUS: the status below; every other type: one
 *          line of text ending in '\n', no other '\n', no NUL
 *
 * Status payload, in this order (str: 2-byte length L, then L bytes, no
 * NUL, L at most the field's bound; flags: bits not named are refused,
 * and the status's flags name all eight):
 *    1  mode (enum ctl_mode)
 *    1  flags (CTL_S_*)
 *    8  since: ms in this mode on this uplink
 *    8  policy serial, 0 .. 2^63-1
 *    1  active uplink: 0 none, else 1 .. count
 *    1  count of uplinks, 0 .. CTL_MAX_UPLINKS
 *    1  gateways in the failover order, 0 (not shown) .. CTL_MAX_GATEWAYS
 *    1  position of the gateway in use: 0 when none shown, else 1 .. gateways
 *  str  reason                  (CTL_REASON_MAX)
 *  str  policy path             (CTL_PATH_MAX)
 *  str  tunnel interface        (CTL_IFNAME_MAX)
 *  str  gateway: the policy's name for it (CTL_NAME_MAX)
 *  if CTL_S_FAILOVER:  str from (CTL_NAME_MAX), str why (CTL_NAME_MAX)
 *  count times, an uplink:
 *     str  name (CTL_IFNAME_MAX, not empty)
 *       1  flags (CTL_U_*)
 *       1  office state (enum ctl_office)
 *       4  priority
 *       4  IPv4 address, 1 prefix length 0 .. 32 (all 0 without CTL_U_ADDR)
 *       4  IPv4 default gateway (0 without CTL_U_GW)
 *       8  ms since a beacon verified it (0 unless office state verified)
 *     str  beacon that verified it (CTL_BEACON_MAX; empty unless verified,
 *          not empty when verified)
 *  if CTL_S_TUNNEL (the tunnel's counters could be read):
 *     str  peer public key, base64 (CTL_KEY_B64_MAX)
 *     str  endpoint "a.b.c.d:port" or empty (CTL_NAME_MAX)
 *       8  seconds since the last handshake, -1 never (two's complement)
 *       8  bytes received, 8 bytes sent
 *  if CTL_S_FETCH (the policy names a distribution server):
 *     str  server "a.b.c.d:port" (CTL_NAME_MAX)
 *       4  interval, seconds
 *       1  a fetch running now: 0 or 1
 *       8  seconds until the next one, -1 none due
 *       8  wall clock of the last one, UNIX seconds, 0 none yet
 *       8  seconds since then (0 when none yet)
 *     str  its result line (CTL_RESULT_MAX)
 *  if CTL_S_PREFER (the employee prefers an uplink, docs/control.md
 *  "Uplink preference"):
 *     str  the preferred uplink's name (CTL_IFNAME_MAX, a valid interface name)
 *  if CTL_S_BUNDLE (a signed bundle is in force, docs/distribution.md
 *  "Expiry"):
 *       8  the freshest signed time for its serial, UNIX seconds, 0 .. 2^63-1
 *       4  its max age, seconds; 0: a format 1 bundle, never expires
 *       1  that time is a freshness statement's: 0 or 1
 *       1  expired: 0 or 1 (never with max age 0)
 *       8  its age, seconds, 0 .. 2^63-1
 *       8  seconds until it expires, -1 never (0 once expired)
 *  if CTL_S_PRESENCE (the policy's presence block, docs/agent.md "Lock
 *  and presence"):
 *       1  factor: CTL_PRES_CARD or CTL_PRES_FACE
 *       1  period, seconds, CTL_PRES_PERIOD_MIN .. CTL_PRES_PERIOD_MAX
 *
 * CTL_S_WORK marks the status served on the work link (docs/control.md,
 * "From the work partition"): the same layout with what work may not see
 * left out, and the decoder refuses one that carries any of it: serial 0,
 * no gateways, empty reason, policy path, tunnel interface and gateway;
 * no CTL_S_FAILOVER, CTL_S_FETCH or CTL_S_BUNDLE; every uplink's address,
 * prefix length and default gateway 0 (its flags kept), its beacon empty
 * and verified age 0 (an office state "office" without its beacon is
 * allowed here only); the tunnel's peer and endpoint empty, its byte
 * counts 0.
 *
 * Integers are big-endian. The version fixes the layout: every field is
 * there (or absent by a flag), and nothing may follow. The decoders check
 * exact lengths, bounds and flags; they allocate nothing, touch no socket
 * and use only standard C, so the agent can build them with mingw.
 */
#ifndef SK_CONTROL_WIRE_H
#define SK_CONTROL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define CTL_MAX_LINE		64
#define CTL_SOCKET		"/run/sekisho/sekishod.sock"
#define CTL_WORK_PORT		51834	/* TCP on the work link: the agent's
					 * requests (docs/control.md) */
#define CTL_RESP_MAGIC		"SKCR"
#define CTL_MAGIC_LEN		4
#define CTL_VERSION		1
#define CTL_RESP_HDR_LEN	10	/* magic, version, type, length */
#define CTL_PAYLOAD_MAX		32768
#define CTL_LINE_MAX		4096	/* a text payload */

#define CTL_MAX_UPLINKS		16	/* ENGINE_MAX_UPLINKS */
#define CTL_MAX_GATEWAYS	4	/* POLICY_MAX_GATEWAYS */
#define CTL_IFNAME_MAX		15	/* IF_NAMESIZE - 1 */
#define CTL_BEACON_MAX		32	/* ENGINE_BEACON_ID */
#define CTL_NAME_MAX		63
#define CTL_KEY_B64_MAX		44
#define CTL_REASON_MAX		95
#define CTL_PATH_MAX		4095
#define CTL_RESULT_MAX		1023
#define CTL_SERIAL_MAX		INT64_MAX

enum ctl_cmd { CTL_STATUS, CTL_STATUS_JSON, CTL_RELOAD, CTL_PREFER };

/* One parsed request: the command and, for CTL_PREFER, the uplink ("" for
 * "prefer auto"). */
struct ctl_req {
	enum ctl_cmd	cmd;
	char		uplink[CTL_IFNAME_MAX + 1];
};

enum ctl_type {
	CTL_T_STATUS = 1,	/* the status payload */
	CTL_T_ACCEPTED = 2,	/* reload: a new bundle was taken; prefer: the
				 * preference was taken ("accepted: ...") */
	CTL_T_UNCHANGED = 3,	/* reload, prefer: nothing new ("unchanged: ...") */
	CTL_T_REFUSED = 4,	/* reload, prefer: refused ("refused: ...") */
	CTL_T_ERROR = 5,	/* the request was not understood */
};

enum ctl_mode { CTL_MODE_BLOCKED = 0, CTL_MODE_REMOTE = 1, CTL_MODE_OFFICE = 2 };
enum ctl_office {
	CTL_OFFICE_UNPROBED = 0,
	CTL_OFFICE_PROBING = 1,
	CTL_OFFICE_VERIFIED = 2,
	CTL_OFFICE_NO = 3,
};

#define CTL_S_BEACONS	0x01	/* the policy names beacons to probe */
#define CTL_S_FAILOVER	0x02	/* the gateway replaced another: from, why */
#define CTL_S_TUNNEL	0x04	/* the tunnel's counters follow */
#define CTL_S_FETCH	0x08	/* bundle fetches follow */
#define CTL_S_BUNDLE	0x10	/* the bundle's age follows */
#define CTL_S_PREFER	0x20	/* the preferred uplink follows */
#define CTL_S_WORK	0x40	/* narrowed for the work partition */
#define CTL_S_PRESENCE	0x80	/* the policy's presence follows */
#define CTL_S_ALL	0xff
/* The flags byte is full: eight flags, one bit each, so no flags byte is
 * refused and there is no mask to check. A ninth flag needs a new protocol
 * version (CTL_VERSION), not a bit. */
_Static_assert((CTL_S_BEACONS | CTL_S_FAILOVER | CTL_S_TUNNEL | CTL_S_FETCH |
    CTL_S_BUNDLE | CTL_S_PREFER | CTL_S_WORK | CTL_S_PRESENCE) == CTL_S_ALL &&
    CTL_S_BEACONS + CTL_S_FAILOVER + CTL_S_TUNNEL + CTL_S_FETCH + CTL_S_BUNDLE +
    CTL_S_PREFER + CTL_S_WORK + CTL_S_PRESENCE == CTL_S_ALL && CTL_S_ALL == UINT8_MAX,
    "the status flags: eight distinct bits that fill the byte");

#define CTL_PRES_CARD		1
#define CTL_PRES_FACE		2
#define CTL_PRES_PERIOD_MIN	10
#define CTL_PRES_PERIOD_MAX	60

#define CTL_U_CARRIER	0x01
#define CTL_U_ADDR	0x02
#define CTL_U_GW	0x04
#define CTL_U_ALL	0x07

struct ctl_uplink {
	char		name[CTL_IFNAME_MAX + 1];
	uint8_t		flags;		/* CTL_U_* */
	uint8_t		office;		/* enum ctl_office */
	uint32_t	priority;
	uint8_t		addr[4], plen, gw[4];
	uint64_t	verified_age_ms;
	char		beacon[CTL_BEACON_MAX + 1];
};

/* Everything `sekishoctl status` shows. */
struct ctl_status {
	uint8_t		mode;		/* enum ctl_mode */
	uint8_t		flags;		/* CTL_S_* */
	uint64_t	since_ms;
	uint64_t	serial;
	uint8_t		active;		/* 0 none, else uplinks[active - 1] */
	uint8_t		n_uplinks;
	uint8_t		n_gateways, gateway_pos;
	char		reason[CTL_REASON_MAX + 1];
	char		policy_path[CTL_PATH_MAX + 1];
	char		tunnel_if[CTL_IFNAME_MAX + 1];
	char		gateway[CTL_NAME_MAX + 1];
	char		gateway_from[CTL_NAME_MAX + 1];	/* CTL_S_FAILOVER */
	char		gateway_why[CTL_NAME_MAX + 1];
	struct ctl_uplink uplinks[CTL_MAX_UPLINKS];
	struct {					/* CTL_S_TUNNEL */
		char		peer[CTL_KEY_B64_MAX + 1];
		char		endpoint[CTL_NAME_MAX + 1];
		int64_t		handshake_age_s;	/* -1 never */
		uint64_t	rx_bytes, tx_bytes;
	} tunnel;
	struct {					/* CTL_S_FETCH */
		char		server[CTL_NAME_MAX + 1];
		uint32_t	interval_s;
		uint8_t		running;
		int64_t		next_s;		/* -1 none due */
		int64_t		last;		/* UNIX seconds, 0 none yet */
		int64_t		last_age_s;
		char		result[CTL_RESULT_MAX + 1];
	} fetch;
	char		prefer[CTL_IFNAME_MAX + 1];	/* CTL_S_PREFER */
	struct {					/* CTL_S_BUNDLE */
		int64_t		signed_at;	/* UNIX seconds */
		uint32_t	max_age_s;	/* 0 never expires */
		uint8_t		by_statement, expired;
		int64_t		age_s;
		int64_t		left_s;		/* -1 never */
	} bundle;
	uint8_t		presence, presence_s;	/* CTL_S_PRESENCE: CTL_PRES_*, s */
};

/*
 * Parses one request of exactly len bytes ending in '\n'. 0 or -errno:
 * -EMSGSIZE too long, -EINVAL not a known request (a "prefer" whose name
 * is no interface name included).
 */
int ctl_parse_req(const char *buf, size_t len, struct ctl_req *req);
/* The same, for the requests without an argument; "prefer" is -EINVAL. */
int ctl_parse(const char *buf, size_t len, enum ctl_cmd *cmd);
/* The request line for cmd (not CTL_PREFER), NUL-terminated. */
const char *ctl_request(enum ctl_cmd cmd);
/* "prefer NAME\n" or "prefer auto\n" (uplink NULL or "") into out, NUL-
 * terminated; its length, or -EINVAL if uplink is no interface name. */
int ctl_prefer_request(char out[CTL_MAX_LINE + 1], const char *uplink);

/* Writes the CTL_RESP_HDR_LEN-byte header for a payload of len bytes. */
void ctl_header_encode(uint8_t out[CTL_RESP_HDR_LEN], uint8_t type, uint32_t len);
/* Checks a header: magic, version, a known type, N within bounds (a text
 * type: 1 .. CTL_LINE_MAX). 0 with *type and *len, or -EINVAL and a line
 * in err. */
int ctl_header_decode(const uint8_t in[CTL_RESP_HDR_LEN], uint8_t *type, uint32_t *len,
    struct sk_error *err);
/* A text payload: N bytes, no NUL, '\n' last and only there. */
int ctl_line_check(const uint8_t *in, size_t len, struct sk_error *err);

/*
 * Encodes s (fields within the bounds above; strings too long are a
 * caller's bug and fail) into out. The number of bytes, or -EMSGSIZE when
 * cap is too small or a field is out of bounds.
 */
long ctl_status_encode(uint8_t *out, size_t cap, const struct ctl_status *s);
/* Decodes exactly len bytes. 0 and *s filled (strings NUL-terminated,
 * absent sections zeroed), or -EINVAL with one line in err. */
int ctl_status_decode(const uint8_t *in, size_t len, struct ctl_status *s,
    struct sk_error *err);

/* "blocked", "remote", "office"; "unprobed", "probing", "office",
 * "not-office" (the names sekishod has always shown). */
const char *ctl_mode_name(uint8_t m);
const char *ctl_office_name(uint8_t o);

#endif
