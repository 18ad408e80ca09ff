/*
 * The netvm's mode engine: events in, actions out, no syscalls. It knows
 * the uplinks as the kernel reports them (link, address, default route),
 * what the beacon probes on each of them proved, and whether the tunnel's
 * handshake is fresh; it decides the mode (blocked, remote, office) and
 * which uplink carries it. The edges turn rtnetlink messages (rtnl.c),
 * probe results (office.c) and the tunnel's handshake (watch.c) into
 * events, and actions into nftables transactions, route changes and probes
 * (actions.c's do_action). Nothing outside engine.c writes its state.
 *
 * The decision, in order:
 *  1. office, over the best usable uplink on which a beacon answered a
 *     fresh challenge with a signature under a pinned key;
 *  2. remote, over the best usable uplink whose tunnel is not stale (an
 *     uplink still being probed only when there is no other);
 *  3. remote over a stale one, rather than nothing;
 *  4. blocked.
 * "Best" is the highest priority (policy; default wired > Wi-Fi > WWAN),
 * then the uplink already in use (no needless moves), then the lowest
 * ifindex. In 2 and 3, an uplink the employee prefers (EV_PREFER, from the
 * agent through the control socket) comes before every other, whatever
 * its priority, as long as it is usable (and, in 2, not stale; while its
 * beacon is still asked too, since office mode would take over anyway): so a
 * preference only chooses which of the uplinks the engine would use
 * anyway carries the tunnel, never anything else. It has no say in 1: a
 * proven office LAN is never left for a preference, and in office mode a
 * new one is refused (engine_prefer_check). The preference is kept by
 * name (an LTE stick pulled and put back is preferred again) until
 * EV_PREFER with an empty name clears it.
 *
 * Office mode is bound to the router it was proven behind: the office
 * uplink's default route must name a router whose link-layer address the
 * kernel's neighbour table holds (EV_NEIGH), and the address known when
 * the beacon answered is the one office mode is bound to (office_mac; the
 * ruleset lets the office path leave only towards it). A neighbour entry
 * of that router with any other address is another network behind the
 * same IP address: office mode ends at once, and the uplink is probed
 * again. An entry that goes away (carrier loss flushes them) changes
 * nothing by itself: the kernel re-learns it, and a different address then
 * ends office mode as above.
 *
 * The gateway, in remote mode (docs/policy.md, "Failover"): the policy's
 * gateways are tried in file order, wrapping around.
 *  - EV_GATEWAY_TIMEOUT (the edge saw no handshake within gateway-timeout
 *    of pointing the tunnel somewhere new): the next gateway, over the
 *    same uplink. The uplink works for the other gateways as well as for
 *    this one, so the gateway is the suspect.
 *  - EV_TUNNEL_STALE (no handshake for handshake-stale seconds): another
 *    uplink first, keeping the gateway (the path is the usual suspect of a
 *    tunnel that worked); when there is no other uplink, the next gateway.
 *    The edge does not judge staleness itself: it feeds the age of the
 *    handshake it read (EV_HANDSHAKE), and in remote mode, with the tunnel
 *    on its path for more than handshake-stale and a handshake older than
 *    that, the engine takes the EV_TUNNEL_STALE course and reports it
 *    (ACT_STALE) unless a gateway switch says so already.
 *    A move starts a new try, so an uplink move that does not help ends in
 *    EV_GATEWAY_TIMEOUT and the next gateway.
 *  - A working backup is kept until the first answers again, and the
 *    first is preferred again whenever the tunnel starts afresh: remote
 *    mode entered from blocked or office. On a backup, every
 *    ENGINE_BACK_PROBE_MS the engine asks for ACT_BACK_PROBE: the first
 *    gateway as a second peer with no allowed IP (so no packet of work
 *    goes to it and the backup's tunnel is not cut), whose handshake the
 *    edge reports in EV_HANDSHAKE (has_first, first_age_ms). A handshake
 *    younger than ENGINE_BACK_FRESH_MS: back to the first (GW_BACK); its
 *    session exists by then, so the move loses nothing.
 *  - A quiet tunnel (one with a session, a handshake under
 *    ENGINE_SESSION_MS old, and no word from the gateway for
 *    ENGINE_QUIET_MS): ACT_LIVE_PROBE. What counts as a word depends on
 *    the probe:
 *     - the gateway in use has a tunnel address (ev.echo): the probe is an
 *       ICMP echo to it over the tunnel, and a word is only what proves
 *       that the gateway hears the laptop: an answer to an echo
 *       (echo_age_ms) or a handshake (the laptop's WireGuard records one
 *       only once the gateway has received its initiation or its
 *       response). Packets from the gateway are none: a gateway that
 *       still sends (LGWAN's traffic, keepalives, handshake initiations
 *       whose responses it loses) but no longer receives keeps WireGuard's
 *       rx counter moving. An unanswered echo is sent again every
 *       ENGINE_LIVE_RESEND_MS while the engine waits;
 *     - otherwise: one datagram into the tunnel, which a live gateway's
 *       WireGuard answers within Keepalive-Timeout (its passive
 *       keepalive; a handshake first if the session expired), and a word
 *       is any packet (its rx counter grew) or a handshake.
 *    No word for ENGINE_LIVE_WAIT_MS after the probe: the gateway is
 *    gone, and the stale course follows (another uplink, else the next
 *    gateway, GW_QUIET) without waiting for handshake-stale. So a dead or
 *    deaf gateway is left within ENGINE_QUIET_MS + ENGINE_LIVE_WAIT_MS
 *    plus one tunnel poll (TUNNEL_POLL_MS) of its last word, busy or idle.
 *  - Every gateway silent (n_gateways timeouts in a row with no handshake
 *    between): one ACT_SILENT, then each further timeout takes the next
 *    gateway quietly and asks the edge to wait retry_ms more before the
 *    next check, from ENGINE_RETRY_MIN_MS doubling to ENGINE_RETRY_MAX_MS
 *    (the edge adds jitter). The stale course waits meanwhile. The first
 *    handshake ends it with one ACT_ANSWERED.
 */
#ifndef SK_ENGINE_H
#define SK_ENGINE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/render/mode.h"

#define ENGINE_MAX_UPLINKS	16
#define ENGINE_MAX_ACTIONS	6
#define ENGINE_BEACON_ID	32
#define ENGINE_STALE_RETRY_MS	30000	/* a stale uplink is tried again after */
#define ENGINE_MAX_GATEWAYS	4	/* POLICY_MAX_GATEWAYS */
#define ENGINE_BACK_PROBE_MS	10000	/* on a backup: the first asked again every */
#define ENGINE_BACK_FRESH_MS	(2 * ENGINE_BACK_PROBE_MS)	/* its answer counts for */
#define ENGINE_SESSION_MS	180000	/* a handshake younger: a session (WireGuard's
					 * Reject-After-Time, TUNNEL_SESSION_S) */
#define ENGINE_QUIET_MS		20000	/* nothing from the gateway for this long
					 * (rx did not grow): a liveness probe */
#define ENGINE_LIVE_WAIT_MS	15000	/* its answer, or the gateway is gone:
					 * WireGuard's Keepalive-Timeout (10 s,
					 * the gateway's passive keepalive) plus
					 * Rekey-Timeout (5 s) */
#define ENGINE_LIVE_RESEND_MS	5000	/* an echo unanswered is sent again after
					 * (one lost packet is no verdict) */
#define ENGINE_RETRY_MIN_MS	1000	/* all silent: first extra wait */
#define ENGINE_RETRY_MAX_MS	60000	/* ... doubling up to this */
#define ENGINE_MAC_LEN		6	/* an Ethernet address */
#define ENGINE_OFFICE_RETRY_MIN_MS 1000	/* fell from office: asked again after */
#define ENGINE_OFFICE_RETRY_MAX_MS 60000	/* ... doubling up to this */


enum office_state {
	OFFICE_UNKNOWN,		/* nothing asked yet (or no beacons in policy) */
	OFFICE_PROBING,		/* a probe is out on this uplink */
	OFFICE_VERIFIED,	/* a beacon proved this is an agency LAN */
	OFFICE_NO,		/* no beacon proved it */
};

struct uplink {
	int		ifindex;
	char		name[IF_NAMESIZE];
	unsigned int	priority;
	int		carrier;
	uint32_t	carrier_changes;	/* the kernel's count of carrier flaps */
	int		has_addr;
	struct in_addr	addr;
	uint8_t		plen;
	int		has_gw;
	struct in_addr	gw;
	enum office_state office;
	char		beacon[ENGINE_BEACON_ID + 1];	/* which one verified */
	int		has_gw_mac;	/* the kernel's neighbour entry of gw */
	uint8_t		gw_mac[ENGINE_MAC_LEN];
	int		has_office_mac;	/* the router office mode is bound to */
	uint8_t		office_mac[ENGINE_MAC_LEN];
	uint64_t	verified_ms;
	uint64_t	stale_until_ms;	/* the tunnel went stale over it */
	/* Fell from office mode (OFFICE_VERIFIED, then EV_BEACON_FAIL) on
	 * the same link, address, gateway and router: asked again from
	 * retry_at_ms (retry_wait_ms, give or take a fifth, after the
	 * failure; doubling each failure). 0: never verified, or it
	 * changed since: no retry (no challenges onto a home LAN). */
	uint64_t	retry_wait_ms;
	uint64_t	retry_at_ms;
	int		has_retry_mac;	/* the router it fell behind */
	uint8_t		retry_mac[ENGINE_MAC_LEN];
};

enum ev_type {
	EV_LINK,	/* link appeared or changed: ifindex, name, carrier, priority */
	EV_LINK_GONE,	/* ifindex */
	EV_ADDR_ADD,	/* ifindex, addr, plen */
	EV_ADDR_DEL,	/* ifindex, addr, plen */
	EV_GW_ADD,	/* default route: ifindex, gw */
	EV_GW_DEL,	/* ifindex, gw */
	EV_BEACON_OK,	/* ifindex, beacon */
	EV_BEACON_FAIL,	/* ifindex */
	EV_TUNNEL_STALE,/* the handshake over the active uplink is too old */
	EV_GATEWAY_TIMEOUT,/* no handshake with the gateway tried: the next one */
	EV_TICK,	/* time passes: stale uplinks may be tried again */
	EV_HANDSHAKE,	/* the tunnel's handshake was read: age_ms */
	EV_NEIGH,	/* a neighbour entry: ifindex, addr, lladdr (has_lladdr 0:
			 * gone, or no address resolved) */
	EV_PREFER,	/* the employee prefers uplink name ("": the policy's
			 * order again); ifindex 0. Only after
			 * engine_prefer_check() said PREFER_OK */
};

struct event {
	enum ev_type	type;
	int		ifindex;
	char		name[IF_NAMESIZE];
	unsigned int	priority;
	int		carrier;
	uint32_t	carrier_changes;	/* EV_LINK: IFLA_CARRIER_CHANGES */
	struct in_addr	addr;
	uint8_t		plen;
	struct in_addr	gw;
	char		beacon[ENGINE_BEACON_ID + 1];
	int		has_lladdr;	/* EV_NEIGH */
	uint8_t		lladdr[ENGINE_MAC_LEN];
	uint64_t	age_ms;		/* EV_HANDSHAKE; UINT64_MAX: none yet */
	int		has_first;	/* EV_HANDSHAKE: the first gateway's probe
					 * peer has a handshake, first_age_ms old */
	uint64_t	first_age_ms;
	uint64_t	rx_age_ms;	/* EV_HANDSHAKE: since the gateway's last
					 * packet (its rx counter grew);
					 * UINT64_MAX: unknown */
	int		echo;		/* EV_HANDSHAKE: the gateway in use has a
					 * tunnel address: the probe is an ICMP
					 * echo to it, judged by its answer */
	uint64_t	echo_age_ms;	/* ... since its last echo answer;
					 * UINT64_MAX: none yet */
	uint64_t	now_ms;
	uint32_t	rand;		/* any random number (EV_BEACON_FAIL: the
					 * jitter of the office retry) */
};

enum act_type {
	ACT_PROBE,	/* probe the policy's beacons over uplink (ifindex, name) */
	ACT_TUNNEL_VIA,	/* steer the tunnel's UDP over uplink (ifindex, name, gw) */
	ACT_OFFICE_VIA,	/* route LGWAN straight out of uplink (ifindex, name, gw) */
	ACT_RULES,	/* load the ruleset of mode (over uplink, bound to its
			 * office_mac in office mode), one transaction */
	ACT_TUNNEL_IDLE,/* the tunnel carries nothing: remove its route */
	ACT_GATEWAY,	/* replace the tunnel's peer by gateway (from, why; uplink) */
	ACT_STALE,	/* report: the tunnel over uplink went stale (why
			 * GW_STALE) or its gateway answered no probe (GW_QUIET);
			 * moved, or nothing else to try (a gateway switch
			 * reports itself) */
	ACT_BACK_PROBE,	/* (re)start a handshake with the first gateway as a
			 * peer with no allowed IP, beside the backup in use */
	ACT_SILENT,	/* report: every gateway silent; next try in retry_ms */
	ACT_ANSWERED,	/* report: gateway answered after silent_ms of silence */
	ACT_LIVE_PROBE,	/* a quiet tunnel: an ICMP echo to the gateway's
			 * tunnel address (ev.echo), or else one datagram
			 * into it, which the gateway's WireGuard answers
			 * (passive keepalive) */
};

/* Why the tunnel uses the gateway it uses. */
enum gw_why {
	GW_FIRST,	/* the first, or the one a running tunnel had */
	GW_TIMEOUT,	/* from gave no handshake within gateway-timeout */
	GW_STALE,	/* from went stale and there was no other uplink */
	GW_AFRESH,	/* the tunnel started afresh: the first one again */
	GW_BACK,	/* the first answered again while on from */
	GW_QUIET,	/* from answered no liveness probe and there was no
			 * other uplink */
};

struct action {
	enum act_type	type;
	enum mode	mode;
	int		ifindex;
	char		uplink[IF_NAMESIZE];
	int		has_gw;
	struct in_addr	gw;
	size_t		gateway, gw_from;	/* ACT_GATEWAY: policy indexes */
	enum gw_why	why;
	int		moved;		/* ACT_STALE: another uplink took over */
	int		quiet;		/* ACT_GATEWAY: all silent, said once */
	uint64_t	retry_ms;	/* ACT_GATEWAY, ACT_SILENT: wait this much
					 * more than gateway-timeout */
	uint64_t	silent_ms;	/* ACT_ANSWERED */
};

struct engine {
	/* configuration, set before the first event */
	int		work_ifindex;
	int		tunnel_ifindex;
	struct in_addr	endpoints[ENGINE_MAX_GATEWAYS];	/* in failover order */
	size_t		n_gateways;
	int		beacons;	/* the policy names beacons to probe */
	uint64_t	stale_ms;	/* handshake-stale; 0: never stale */

	/* state */
	enum mode	mode;
	int		active;		/* ifindex carrying the mode, 0 = none */
	int		active_has_gw;	/* the route the mode was set up with */
	struct in_addr	active_gw;
	uint64_t	since_ms;	/* when mode or uplink last changed */
	uint64_t	path_ms;	/* ... or the gateway, or a stale retry */
	size_t		gateway;	/* index of the one in use */
	size_t		gw_from;	/* the one it replaced, and why */
	enum gw_why	gw_why;
	uint64_t	back_ms;	/* on a backup: the next ACT_BACK_PROBE */
	size_t		timeouts;	/* in a row, no handshake between */
	int		silent;		/* every gateway silent (ACT_SILENT said) */
	uint64_t	silent_ms;	/* since when */
	uint64_t	retry_ms;	/* the next extra wait */
	uint64_t	live_ms;	/* a quiet tunnel's probe went then; 0: none */
	uint64_t	live_sent_ms;	/* ... an echo last sent then (resent) */
	char		reason[96];
	char		prefer[IF_NAMESIZE];	/* the preferred uplink, "": none */
	struct uplink	uplinks[ENGINE_MAX_UPLINKS];
	size_t		n_uplinks;
};

/* What a preference for an uplink would meet (engine_prefer_check). */
enum prefer_verdict {
	PREFER_OK,		/* taken: it changes the preference */
	PREFER_SAME,		/* it is the preference already */
	PREFER_UNKNOWN,		/* no uplink of that name (the work link and
				 * the tunnel are none) */
	PREFER_DOWN,		/* that uplink cannot carry the tunnel now */
	PREFER_OFFICE,		/* office mode: a proven LAN is not left */
};

void engine_init(struct engine *e, int work_ifindex, int tunnel_ifindex,
    struct in_addr endpoint, int beacons);
/* The policy's gateways (n clamped to 1..ENGINE_MAX_GATEWAYS) and the one
 * the tunnel holds now (after engine_init, before the first event). */
void engine_gateways(struct engine *e, const struct in_addr *endpoints, size_t n,
    size_t current);
/* The policy's part in the decision, at start and whenever a new policy
 * takes over: are there beacons to probe, and handshake-stale. */
void engine_set_policy(struct engine *e, int beacons, uint64_t stale_ms);
/* Feeds one event; writes up to ENGINE_MAX_ACTIONS actions in the order
 * they must be carried out and returns how many. */
size_t engine_handle(struct engine *e, const struct event *ev,
    struct action out[ENGINE_MAX_ACTIONS]);
/* The actions that establish the current decision from scratch (after a
 * restart or a resynchronisation), whatever the kernel held before. The
 * caller has stopped every probe: an uplink left "probing" (by events fed
 * while actions were not carried out, as during a dump) is unprobed again,
 * so engine_probe_all() asks for it. */
size_t engine_restate(struct engine *e, uint64_t now,
    struct action out[ENGINE_MAX_ACTIONS]);
/* Probes of every usable uplink not yet probed (after a restate). */
size_t engine_probe_all(struct engine *e, struct action out[ENGINE_MAX_UPLINKS]);
/* Probes of every uplink that fell from office mode whose retry is due
 * by now: it is "probing" again. */
size_t engine_office_retry(struct engine *e, uint64_t now,
    struct action out[ENGINE_MAX_UPLINKS]);
/* When the next of those retries is due; 0: none waits. */
uint64_t engine_office_retry_at(const struct engine *e);
/* After a resynchronisation (fresh engine, dump fed): keeps the office
 * proof was (the uplink as the engine knew it before) holds, if the
 * kernel's view of that uplink is exactly what it was when the beacon
 * answered: same interface, carrier and carrier-flap count, address and
 * gateway, and the router's link-layer address if was has one (else the
 * one the kernel shows now is bound). Anything else means it may be
 * another network now. Before
 * engine_restate(); the caller then probes it again at once. 1 if kept. */
int engine_vouch(struct engine *e, const struct uplink *was);
const struct uplink *engine_uplink(const struct engine *e, int ifindex);
/* The uplink of that name, or NULL. */
const struct uplink *engine_uplink_named(const struct engine *e, const char *name);
/* Would a preference for name ("": none) be taken, now? Refused in office
 * mode (unless it clears one), for a name that is no uplink, and for an
 * uplink that cannot carry anything (no carrier, no address, no way on);
 * why (if not NULL) then says what it lacks, e.g. "no carrier". */
enum prefer_verdict engine_prefer_check(const struct engine *e, const char *name,
    const char **why);
/* Is u usable (carrier, address, a way on)? */
int engine_usable(const struct engine *e, const struct uplink *u);
/* The uplink whose office status must be checked again, or NULL. */
const struct uplink *engine_office_uplink(const struct engine *e);
const char *office_state_name(enum office_state s);
/* "gave no handshake", "went stale", or NULL for no failover. */
const char *gw_why_text(enum gw_why w);

#endif
