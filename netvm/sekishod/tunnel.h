/*
 * The tunnel to the agency gateway, on top of vpn/: the WireGuard interface
 * (reused if a previous sekishod left it running, so a restart does not
 * drop the tunnel), its address, the LGWAN routes into it, its one peer
 * (the policy's gateway in use; swapped on failover; beside it, on a
 * backup, the first as a probe with no allowed IP), and the routes that
 * steer its encrypted UDP to every gateway's endpoint over the chosen
 * uplink.
 */
#ifndef SK_TUNNEL_H
#define SK_TUNNEL_H

#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/util.h"
#include "policy/policy.h"
#include "vpn/wg.h"

struct tunnel {
	char		ifname[IF_NAMESIZE];
	int		ifindex;
	pid_t		child;		/* userspace WireGuard we started, or 0 */
	size_t		gw;		/* the policy's index of the peer */
	struct sockaddr_in endpoint_sa;	/* of that gateway */
	uint8_t		peer[32];	/* its public key */
	uint16_t	keepalive;
	struct in_addr	endpoints[POLICY_MAX_GATEWAYS];	/* of every gateway */
	size_t		n_endpoints;
	uint8_t		first[32];	/* the first gateway's key, probed ... */
	int		n_first;	/* ... 1 while its probe peer is in */
	int		has_echo_fd;	/* the liveness probe's ping socket ... */
	int		echo_fd;	/* ... open (to the gateway in use) */
	uint16_t	echo_seq;
};
#define TUNNEL_PROBE_KEEPALIVE_S	25	/* the probe's, if the policy has none */

struct tunnel_stats {
	int		up;
	struct timespec	last_handshake;	/* 0: never */
	uint64_t	rx_bytes, tx_bytes;
	char		peer[45];	/* the gateway's public key, base64 */
	char		endpoint[64];
	int		has_first;	/* on a backup: the first gateway's probe peer */
	struct timespec	first_handshake;	/* ... its last handshake, 0: never */
};

/* A reused interface keeps its peer if it is one of pol's gateways (t->gw
 * says which), else gets the first. */
int tunnel_open(struct tunnel *t, const char *ifname, const struct policy *pol,
    const uint8_t private_key[32], struct sk_error *err);
/* Every gateway's endpoint routed over the uplink (never the tunnel). */
int tunnel_via(struct tunnel *t, int uplink_ifindex, const struct in_addr *gw);
int tunnel_idle(struct tunnel *t);
/* Failover: the peer replaced by pol's gateway i (key, endpoint,
 * keepalive, the same allowed IPs) in one set, the new peer first, so no
 * instant has two peers with those allowed IPs (or none); the device's key
 * and addresses stay. 0 or -errno (then nothing changed). */
int tunnel_gateway(struct tunnel *t, const struct policy *pol, size_t i);
/* On a backup gateway: the first gateway (re)added as a second peer with
 * no allowed IP (no packet of work is routed to it: the backup's tunnel
 * goes on) and a keepalive, which makes WireGuard start a handshake with
 * it at once; a peer made anew has no handshake, so any it gets later is
 * an answer. When the first is taken back (tunnel_gateway) the peer is
 * updated, its session kept. 0 or -errno. */
int tunnel_back_probe(struct tunnel *t, const struct policy *pol);
/* A live policy change from old to pol, by difference: the routes of the
 * prefixes pol adds put into the tunnel's table, then the gateway's allowed
 * IPs made exactly pol's prefixes (only the new ones sent, unless a prefix
 * is withdrawn: WireGuard removes allowed IPs only by replacing them all).
 * 0 or -errno. */
int tunnel_update(struct tunnel *t, const struct policy *old, const struct policy *pol);
/* A new private key for the interface (a live change of the device's
 * key-file): its peers and their allowed IPs stay; the sessions made under
 * the old key end, and the next packet (or the keepalive) handshakes anew. */
int tunnel_set_key(const struct tunnel *t, const uint8_t key[32]);
/*
 * The same on a thread of its own, so that it runs while sekishod computes
 * and commits the ruleset (reload.c): the routes first, then the
 * allowed-IPs set written and its answer read (with wireguard-go, which
 * applies the set while it reads it: 10,000 allowed IPs, when a
 * withdrawal replaces them all, are 254 kB of UAPI text).
 * tunnel_update_start copies old and pol (shallow: their arrays must
 * live, and t stay as it is, until the join); tunnel_update_routed waits
 * until the routes are in (their result: 0 or -errno; the set is then
 * not sent if they failed), tunnel_update_join until all is done
 * (tunnel_update's result). Every start must be joined. Without a
 * thread (pthread_create failed) start does it all at once. The thread
 * logs nothing; route_batch is safe beside it, nothing else of the
 * tunnel's or the routes' is (the caller does neither until the join).
 */
struct tunnel_job {
	const struct tunnel	*t;
	struct policy		 old, pol;	/* shallow copies */
	pthread_t		 tid;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 thread, routed, done;
	int			 rc_routes, rc;
};
void tunnel_update_start(const struct tunnel *t, const struct policy *old,
    const struct policy *pol, struct tunnel_job *j);
int tunnel_update_routed(struct tunnel_job *j);
int tunnel_update_join(struct tunnel_job *j);
/* Then, once the new ruleset is in force: the routes of the prefixes old
 * had and new has not removed. Goes on past a failure; 0 or the first. */
int tunnel_withdraw(const struct policy *old, const struct policy *new);
/* A live change of the gateway section: the endpoints' routing rules
 * follow pol (new ones added first, gone ones removed last); the gateway
 * in use, if pol still has it (key and endpoint), stays with its session,
 * else pol's first becomes the peer and handshakes anew. 1 (session kept),
 * 0 (a new peer), or -errno. The caller has the engine read the gateways
 * again (engine_gateways, through a resync). */
int tunnel_gateways(struct tunnel *t, const struct policy *old, const struct policy *pol);
/* Removes the interface (ending a userspace implementation). */
void tunnel_close(struct tunnel *t);
int tunnel_stats(const struct tunnel *t, struct tunnel_stats *st);
/* A quiet tunnel's liveness probe (engine.h, ACT_LIVE_PROBE).
 *  - The gateway in use has a tunnel address (the policy's gateway
 *    tunnel-address; tunnel_has_echo): an ICMP echo request to it, out of
 *    the tunnel and nowhere else (SO_BINDTODEVICE), on a ping socket
 *    (SOCK_DGRAM, IPPROTO_ICMP: the system's net.ipv4.ping_group_range
 *    must hold root's group, sysctl.d/60-sekishod.conf) kept until the
 *    gateway changes. Only a
 *    gateway that received the request answers it.
 *  - Otherwise one empty UDP datagram (port TUNNEL_LIVE_PORT, discard)
 *    into the tunnel, to the first address of the policy's first LGWAN
 *    prefix: WireGuard carries it to the gateway, whose WireGuard answers
 *    it (a passive keepalive) whatever becomes of the datagram there.
 * 0 or -errno. */
#define TUNNEL_LIVE_PORT	9
int tunnel_live_probe(struct tunnel *t, const struct policy *pol);
/* Whether the gateway in use has a tunnel address to echo to. */
int tunnel_has_echo(const struct tunnel *t, const struct policy *pol);
/* The echo's answers that came since the last call: how many came from
 * the gateway's tunnel address (0: none, or no probe out). Nothing of an
 * answer is read but its sender's address, which the kernel fills in:
 * the ping socket takes only echo replies carrying its own identifier,
 * arriving on the tunnel it is bound to, and WireGuard takes a packet
 * from that address only from the peer whose allowed IPs hold it, the
 * gateway in use. The reply's bytes are left unread (a zero-length read
 * that drops the datagram), so no process parses them. */
int tunnel_echo_heard(struct tunnel *t, const struct policy *pol);
/* 1 when the peer has a session that carries traffic: a handshake less than
 * TUNNEL_SESSION_S ago (WireGuard's Reject-After-Time; a session that old
 * needs no new handshake, e.g. after a move to another uplink). 0 when it
 * has none, -errno when the interface cannot be read. */
#define TUNNEL_SESSION_S	180
int tunnel_alive(const struct tunnel *t);

#endif
