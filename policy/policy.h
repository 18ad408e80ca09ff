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
#define POLICY_VERIFIER_PORT	51831	/* SIGNON_PORT */
#define POLICY_SIGNON_RELAY_PORT 51832	/* SIGNON_AGENT_PORT: the netvm's relay */
#define POLICY_CTL_WORK_PORT	51834	/* CTL_WORK_PORT: sekishod's frontend, for the agent */
#define POLICY_MAX_UPLINKS	16
/* timers { } defaults */
#define POLICY_DEFAULT_BEACON_TIMEOUT	100	/* ms per attempt */
#define POLICY_DEFAULT_BEACON_ATTEMPTS	3
#define POLICY_DEFAULT_BEACON_REVERIFY	500	/* ms, with jitter */
#define POLICY_DEFAULT_BEACON_RTT	2000	/* us: a genuine answer's round trip, at most */
#define POLICY_DEFAULT_OFFICE_VOUCH	1500	/* ms: office mode ends in the kernel unless a
						 * fresh beacon answer renews it */
/* The office router asked by unicast ARP every router-arp ms (0: off),
 * each reply keeping the office path open router-alive ms in the kernel
 * (policy/render/fw_office.h). router-alive must cover one lost request or
 * reply plus ROUTER_SLACK ms (the daemon's timer late, the router's answer):
 * at least 2 x router-arp + POLICY_ROUTER_SLACK. */
#define POLICY_DEFAULT_ROUTER_ARP	100	/* ms between ARP requests */
#define POLICY_DEFAULT_ROUTER_ALIVE	250	/* ms a reply keeps the path open */
#define POLICY_ROUTER_SLACK		20	/* ms, see above */
#define POLICY_DEFAULT_HANDSHAKE_STALE	180	/* s without a handshake */
#define POLICY_DEFAULT_GATEWAY_TIMEOUT	15	/* s for a new gateway's first handshake */
#define POLICY_MAX_GATEWAYS	4	/* tried in file order */
#define POLICY_NAME		64	/* bytes of a gateway, set or rule name, with NUL */
#define POLICY_MAX_SETS		4096
#define POLICY_MAX_SERVICES	4096
#define POLICY_MAX_INBOUND	64
#define POLICY_MAX_PORTS	64	/* port ranges in one tcp or udp line set */
#define POLICY_MAX_REFS		16	/* named sets in one rule's to / from */
#define POLICY_MAX_ROLES	8	/* role lines in one service */
#define POLICY_ROLE_MAX		31	/* bytes of a role name: [a-z0-9_] */
#define POLICY_DEFAULT_DIST_INTERVAL	3600	/* s between bundle fetches */
#define POLICY_DIST_PORT	51830
/* presence { }: the period, seconds (what such products use) */
#define POLICY_PRESENCE_MIN	10
#define POLICY_PRESENCE_MAX	60

/* presence { factor }: what the agent re-verifies the signed-on user by */
enum policy_presence {
	POLICY_PRESENCE_NONE = 0,
	POLICY_PRESENCE_CARD = 1,	/* the card still in the reader, answering */
	POLICY_PRESENCE_FACE = 2,	/* the biometric service sees the user */
};

struct prefix4 {
	struct in_addr addr;		/* network address: no host bits */
	uint8_t plen;
	unsigned int line;		/* where it was given, for messages */
};

struct prefix6 {
	struct in6_addr addr;		/* network address: no host bits */
	uint8_t plen;
	unsigned int line;
};

/* set "NAME" { prefix ... }: a named list of IPv4 and IPv6 prefixes, each
 * list sorted and disjoint. A rule's or the lgwan block's own prefixes
 * (written inline) form an anonymous set (name ""), printed inline. */
struct policy_set {
	char name[POLICY_NAME];
	struct prefix4 *v4;
	size_t n4;
	struct prefix6 *v6;
	size_t n6;
	unsigned int line;
};

/* Service classes: what a device may reach before a user has signed on to
 * Windows (prelogon: authentication, domain controllers, NTP, DNS, asset
 * management, updates) and what a signed-on user may reach (lgwan). The
 * netvm allows both (it cannot know who is signed on); the gateway admits a
 * device's lgwan class only in its signed-on stage. */
enum policy_class { POLICY_CLASS_PRELOGON = 1, POLICY_CLASS_LGWAN = 2 };

/* Mode bits: where a rule applies. */
#define POLICY_MODE_REMOTE	0x1
#define POLICY_MODE_OFFICE	0x2
#define POLICY_MODE_ANY		(POLICY_MODE_REMOTE | POLICY_MODE_OFFICE)

struct port_range {
	uint16_t lo, hi;		/* 1 .. 65535, lo <= hi */
};

struct policy_ports {			/* sorted, disjoint, adjacent merged */
	struct port_range r[POLICY_MAX_PORTS];
	size_t n;
};

/* service "NAME" { } (work -> LGWAN) or inbound "NAME" { } (LGWAN -> work).
 * sets[] index p->sets: the named ones in file order, then the rule's own
 * anonymous set if it wrote prefixes inline. No tcp, udp or icmp line in a
 * service means every protocol (all = 1); an inbound rule always has ports. */
struct policy_rule {
	char name[POLICY_NAME];
	enum policy_class class;	/* services; inbound rules: 0 */
	unsigned int modes;		/* POLICY_MODE_* */
	size_t sets[POLICY_MAX_REFS + 1];
	size_t n_sets;
	struct policy_ports tcp, udp;
	int icmp;			/* echo request (and its errors) */
	int all;			/* every protocol and port */
	/* role NAME ...: a service of class lgwan only for a user of one of
	 * these roles (the staff row's role in the registry); none: every
	 * signed-on user. The gateway enforces it (the netvm cannot know who
	 * is signed on, as for classes). */
	char roles[POLICY_MAX_ROLES][POLICY_ROLE_MAX + 1];
	size_t n_roles;
	unsigned int line;
};

/* gateway "NAME" { }: the agency's WireGuard gateways, tried in file order. */
struct policy_gateway {
	char name[POLICY_NAME];
	struct sockaddr_in endpoint;
	uint8_t pubkey[32];
	uint16_t keepalive;		/* seconds, 0 = off */
	/* tunnel-address: the gateway's own address inside the tunnel (the
	 * pool's .1), which the laptop's liveness probe sends an ICMP echo to
	 * (docs/policy.md, "Failover"); routed to this gateway only while it
	 * is the one in use. 0: none given (the probe then judges by
	 * WireGuard's counters alone). */
	struct in_addr tunnel_addr;
	unsigned int line;
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
	struct in6_addr tunnel_addr6;	/* /128; set when has_v6 */
	/* gateway "NAME" { } ... in failover order */
	struct policy_gateway gateways[POLICY_MAX_GATEWAYS];
	size_t n_gateways;
	/* set "NAME" { } ..., then the anonymous sets; heap */
	struct policy_set *sets;
	size_t n_sets;
	/* lgwan { }: what is routed through the tunnel (or onto the office
	 * LAN): the union of its own prefixes and the sets it names, sorted and
	 * disjoint (heap). lgwan_sets[] index sets, for printing. */
	struct prefix4 *lgwan;
	size_t n_lgwan;
	struct prefix6 *lgwan6;
	size_t n_lgwan6;
	size_t lgwan_sets[POLICY_MAX_REFS + 1];
	size_t n_lgwan_sets;
	struct in_addr resolvers[POLICY_MAX_RESOLVERS];	/* in file order */
	size_t n_resolvers;
	/* work { } */
	struct in_addr work_addr;
	uint8_t work_plen;
	struct in_addr work_router;
	struct in6_addr work_addr6;	/* with work_plen6; set when has_v6 */
	uint8_t work_plen6;
	struct in6_addr work_router6;
	int has_v6;			/* tunnel-address6, address6, router6 */
	/* service "NAME" { } ... (heap, file order). None at all means one
	 * implicit service: class lgwan, every mode, every protocol, to all
	 * of lgwan (what version 1 files without services meant). */
	struct policy_rule *services;
	size_t n_services;
	/* inbound "NAME" { } ... (heap, file order) */
	struct policy_rule *inbound;
	size_t n_inbound;
	/* distribution { }: where sekishod fetches newer bundles */
	struct sockaddr_in dist_server;	/* sin_family 0 when absent */
	unsigned int dist_interval_s;
	/* verifier { }: the sign-on verifier (docs/sign-on.md) and the keys
	 * pinned for it: its results' Ed25519 key, the X25519 key secrets
	 * are sealed to */
	struct sockaddr_in verifier;	/* sin_family 0 when absent */
	uint8_t verifier_sign[32], verifier_seal[32];
	/* the next keys, pinned besides while the agency rolls its keys
	 * (next-sign-key, next-seal-key; has_* 0 when absent) */
	uint8_t verifier_sign_next[32], verifier_seal_next[32];
	int has_verifier_sign_next, has_verifier_seal_next;
	/* presence { }: the agent re-verifies the signed-on user every
	 * presence_period_s and locks the session when nobody was verified
	 * (docs/agent.md "Lock and presence"); it learns both from the relay
	 * at sign-on. POLICY_PRESENCE_NONE (period 0) when absent. */
	enum policy_presence presence;
	unsigned int presence_period_s;
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
	unsigned int beacon_timeout_ms, beacon_attempts, beacon_reverify_ms;
	unsigned int beacon_rtt_us;	/* beacon-rtt */
	unsigned int office_vouch_ms;	/* office-vouch */
	unsigned int router_arp_ms;	/* router-arp; 0: off */
	unsigned int router_alive_ms;	/* router-alive; 0 with router-arp off */
	unsigned int handshake_stale_s;
	unsigned int gateway_timeout_s;
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
int policy_prefix6_contains(const struct policy *p, const struct in6_addr *a);

#endif
