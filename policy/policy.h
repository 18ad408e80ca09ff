/* The device policy, format version 1 (docs/policy.md): parsed from a file
 * into struct policy, printed back normalised. Any problem rejects the whole
 * file with one error line; unknown keywords are always errors. */
#ifndef SK_POLICY_H
#define SK_POLICY_H

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/util.h"

#define POLICY_VERSION		1
#define POLICY_MAX_SIZE		(4u << 20)	/* bytes in a file */
#define POLICY_MAX_LINE		1024		/* bytes in a line, without '\n' */
#define POLICY_MAX_PREFIXES	65536
#define POLICY_MAX_RESOLVERS	8
#define POLICY_DEFAULT_MTU	1420
#define POLICY_DEFAULT_KEEPALIVE 25
#define POLICY_MAX_BEACONS	16
#define POLICY_BEACON_KEYS	2	/* pinned at once: current and next */
#define POLICY_BEACON_ID	32	/* [a-z0-9-], as the beacon signs it */
#define POLICY_BEACON_PORT	51821
#define POLICY_MAX_UPLINKS	16
/* timers { } defaults */
#define POLICY_DEFAULT_BEACON_TIMEOUT	100	/* ms per attempt */
#define POLICY_DEFAULT_BEACON_ATTEMPTS	3
#define POLICY_DEFAULT_BEACON_REVERIFY	30	/* s, with jitter */
#define POLICY_DEFAULT_HANDSHAKE_STALE	180	/* s without a handshake */

struct prefix4 {
	struct in_addr addr;		/* network address: no host bits */
	uint8_t plen;
	unsigned int line;		/* where it was given, for messages */
};

/* beacon "ID" { }: an office LAN's beacon and the keys pinned for it. */
struct policy_beacon {
	char id[POLICY_BEACON_ID + 1];
	struct sockaddr_in addr;
	uint8_t keys[POLICY_BEACON_KEYS][32];	/* Ed25519 public keys */
	size_t n_keys;
	unsigned int line;
};

/* uplink "IFNAME" { }: a priority that overrides the kind's default. */
struct policy_uplink {
	char name[16];
	unsigned int priority;
	unsigned int line;
};

struct policy {
	unsigned int version;		/* POLICY_VERSION */
	uint64_t serial;		/* 1 .. 2^63-1 */
	/* device { } */
	struct in_addr tunnel_addr;	/* /32 */
	char key_file[PATH_MAX];	/* absolute; not read by the parser */
	uint16_t mtu;
	/* gateway "NAME" { } */
	char gw_name[64];
	struct sockaddr_in gw_endpoint;
	uint8_t gw_pubkey[32];
	uint16_t gw_keepalive;		/* seconds, 0 = off */
	/* lgwan { } */
	struct prefix4 *lgwan;		/* heap, sorted by address, disjoint */
	size_t n_lgwan;
	struct in_addr resolvers[POLICY_MAX_RESOLVERS];	/* in file order */
	size_t n_resolvers;
	/* work { } */
	struct in_addr work_addr;
	uint8_t work_plen;
	struct in_addr work_router;
	/* beacon "ID" { } ... */
	struct policy_beacon beacons[POLICY_MAX_BEACONS];
	size_t n_beacons;
	/* office { }: resolvers reached directly in office mode; when absent
	 * the lgwan resolvers are used */
	struct in_addr office_resolvers[POLICY_MAX_RESOLVERS];
	size_t n_office_resolvers;
	/* uplink "IFNAME" { } ... */
	struct policy_uplink uplinks[POLICY_MAX_UPLINKS];
	size_t n_uplinks;
	/* timers { } */
	unsigned int beacon_timeout_ms, beacon_attempts, beacon_reverify_s;
	unsigned int handshake_stale_s;
};

/* Both return 0 and fill *out, or return -errno with one line in err->msg:
 * -EINVAL for any content error ("NAME:LINE: what" or "NAME: missing ..."),
 * -EFBIG above POLICY_MAX_SIZE, -ENOMEM, or the open/read errno for a file.
 * On failure *out is not touched. On success *out is overwritten without
 * freeing what it held: parse into a fresh struct, then swap and free the
 * old one with policy_free. The parser never reads the key file. */
int policy_parse_file(const char *path, struct policy *out, struct sk_error *err);
int policy_parse_buf(const char *name, const char *buf, size_t len,
    struct policy *out, struct sk_error *err);
void policy_free(struct policy *p);

/* Writes the policy in canonical order, defaults spelled out, one tab of
 * indentation; parsing the output gives the same policy. 0, -EINVAL if a
 * string cannot be written back, or -EIO if writing failed. */
int policy_print(FILE *f, const struct policy *p);

/* 1 if a lies in some lgwan prefix (binary search over the sorted, disjoint
 * prefixes the parser produces), else 0. */
int policy_prefix_contains(const struct policy *p, struct in_addr a);

#endif
