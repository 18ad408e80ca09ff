/*
 * Office mode's side of the netvm: the route that sends LGWAN traffic
 * straight out of the office uplink, and the beacon probes that decide
 * whether an uplink is an office LAN at all (sekishod sends and receives,
 * timed by the kernel; the sekisho-probe helper, apart from the daemon,
 * parses what came back).
 */
#ifndef SK_OFFICE_H
#define SK_OFFICE_H

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/probe_wire.h"
#include "lib/util.h"
#include "netvm/sekishod/engine.h"

struct policy;

/* The office table's one route (office.c): the default via gw (or
 * on-link) out of oif, replacing the one there. The ruleset's office mark,
 * put only on LGWAN-bound packets, is what selects it. */
int office_routes(int oif, const struct in_addr *gw);
/* Office mode's ruleset is gone: the office table emptied (its route, and
 * any an older sekishod left), so nothing is routed out of an uplink that
 * is no longer proven, even should a packet still carry the office mark.
 * 0 or -errno. */
int office_unroute(void);

/*
 * The office proof across a restart. While office mode's ruleset is in
 * force, RUNDIR/office holds the uplink as the engine knew it when the
 * beacon answered (interface, carrier-flap count, address, gateway,
 * beacon); it goes before any other ruleset is loaded. A sekishod that
 * starts (after a crash, say) with the proof there knows the kernel holds
 * office rules, and keeps the proof only if the uplink is exactly as it
 * was (engine_vouch), then probes again at once: office mode goes on
 * without a detour through remote mode (and the flush of every tracked
 * connection that comes with changing mode).
 */
int office_proof_save(const char *rundir, const struct uplink *u);
/* 1 and *u filled if a well-formed proof was there, else 0. */
int office_proof_load(const char *rundir, struct uplink *u);
void office_proof_drop(const char *rundir);

/*
 * The proof's bytes, field by field, big-endian (version 2; nothing of
 * the struct's layout or padding reaches the file):
 *	 0  4 magic "SKO2"	 4  4 ifindex (> 0)	 8 16 name, NUL-padded
 *	24  4 priority		28  4 carrier		32  4 carrier flaps
 *	36  4 has_addr		40  4 address		44  1 prefix length
 *	45  4 has_gw		49  4 gateway		53 33 beacon, NUL-padded
 *	86  8 verified_ms	94  8 stale_until_ms
 * Addresses as on the wire. Only an uplink in office_state
 * OFFICE_VERIFIED has a proof.
 */
#define OFFICE_PROOF_LEN	102
void office_proof_encode(uint8_t out[OFFICE_PROOF_LEN], const struct uplink *u);
/* Exactly len bytes: 0 and *u filled (office = OFFICE_VERIFIED) if they
 * are a proof office_proof_encode() writes, else -EINVAL with one line in
 * err and *u untouched. */
int office_proof_parse(const uint8_t *buf, size_t len, struct uplink *u,
    struct sk_error *err);

/* A beacon a probe was asked about: its id and the keys the policy pins
 * for it, which sekishod verifies the answers under. */
#define PROBE_MAX_BEACONS	16	/* POLICY_MAX_BEACONS */
struct probe_beacon {
	char			id[ENGINE_BEACON_ID + 1];
	struct beacon_keys	keys;
	struct sockaddr_in	addr;	/* where its challenges go, its answers from */
};

/*
 * sekishod's check of an answer the probe passed on (lib/proto/
 * probe_wire.h): for a beacon it was asked about (index below n), and
 * bverify_answer() (beacon_verify()'s checks, the
 * signature in sekisho-beacon-verify) against the nonce sekishod chose, that
 * beacon's pinned keys and now (window BEACON_WINDOW), signed with that
 * beacon's id. 0 and *res filled, or -1 with *why (a fixed sentence).
 * Where it came from (the datagram sekishod received itself, with TTL
 * 255) and its round trip are the caller's to check: the probe says
 * nothing about either.
 */
int probe_answer_check(const struct probe_msg *m, const struct probe_beacon *b, size_t n,
    const uint8_t nonce[BEACON_NONCE_LEN], time_t now, struct beacon_result *res,
    const char **why);

/*
 * One probe of an uplink: sekishod's socket, the helper, and the rounds.
 * A round: a fresh nonce from getrandom(), to the helper and in a
 * challenge to every beacon, sent by sekishod on its own UDP socket
 * (bound to the uplink, TTL 255); each datagram that comes back from a
 * beacon's address with TTL 255 goes, unread, to the helper, one at a
 * time; the one it says verified is checked again here against
 * sekishod's own copy (probe_answer_check). Its round trip is the
 * kernel's: from the challenge's transmit time (SO_TIMESTAMPING, on the
 * socket's error queue) to the answer's receive time on the same socket,
 * so neither sekishod's scheduling nor the helper's is in it. The run
 * ends at the first genuine answer within beacon-rtt (office), a refused
 * answer or a broken helper (not office), after beacon-attempts rounds
 * without an answer, or PROBE_SLOW_ROUNDS rounds with a genuine answer
 * over the bound (not office: the best round trip seen, or why none
 * answered). A relay is slower than the bound every time.
 */
struct probe_run {
	int		ifindex;
	char		ifname[IF_NAMESIZE];
	pid_t		pid;
	int		fd;		/* the helper: SOCK_SEQPACKET */
	int		udp;		/* sekishod's beacon socket (lib/udp.h: beacon_udp_stamp) */
	uint64_t	deadline;	/* the run's */
	uint64_t	round_deadline;	/* this round's: beacon-timeout after it began */
	unsigned int	timeout_ms;	/* beacon-timeout */
	struct probe_beacon beacons[PROBE_MAX_BEACONS];	/* what it was asked */
	size_t		n_beacons;
	unsigned int	round;		/* rounds started */
	unsigned int	misses, attempts;	/* rounds without an answer; beacon-attempts */
	unsigned int	slow;		/* rounds with a genuine answer over the bound */
	uint32_t	bound_us;	/* beacon-rtt */
	uint32_t	best_us;	/* the fastest genuine answer over the bound */
	uint8_t		nonce[BEACON_NONCE_LEN];	/* this round's */
	int64_t		t0_real_ns, t0_mono_ns;	/* just before this round's challenges */
	uint32_t	sends;		/* datagrams sent on udp: the next one's OPT_ID */
	uint32_t	first_id;	/* this round's first challenge's */
	uint32_t	tx_id[PROBE_MAX_BEACONS];	/* this round's challenge to each */
	int64_t		tx_ns[PROBE_MAX_BEACONS];	/* its transmit time, -1: none yet */
	uint8_t		tx_snd[PROBE_MAX_BEACONS];	/* 1: the driver's stamp, not the qdisc's */
	int		pending;	/* a datagram is with the helper */
	unsigned int	pending_index;	/* the beacon it came from */
	uint8_t		pending_pkt[BEACON_ANSWER_LEN];	/* sekishod's copy */
	int64_t		pending_rx_ns;	/* the kernel's receive time */
	char		why[256];	/* why not office, so far */
	int		quiet;		/* 1: a re-verification: "verified" at debug
					 * level; 2: an office retry: a failure */
};

/* The round trip of one answer, in microseconds, from the kernel's
 * transmit time of its challenge (tx_ns; -1 if the kernel gave none: then
 * t0_real_ns, the moment before the challenge was sent, which only makes
 * it longer) to the kernel's receive time of the answer (rx_ns; -1: now,
 * later still). UINT32_MAX if the real-time clock stepped since t0 (it
 * disagrees with the monotonic clock by more than a millisecond): no
 * measure at all. Pure but for reading the clocks; now_real_ns and
 * now_mono_ns are the clocks as read by the caller. */
uint32_t probe_round_trip_us(int64_t t0_real_ns, int64_t t0_mono_ns, int64_t tx_ns,
    int64_t rx_ns, int64_t now_real_ns, int64_t now_mono_ns);

struct prober {
	char		helper[PATH_MAX];
	struct probe_run runs[ENGINE_MAX_UPLINKS];
	size_t		n;
};

void prober_init(struct prober *p, const char *helper);
/* Starts a probe of the policy's beacons over ifname (replacing one still
 * running there). 0 or -errno. */
int prober_start(struct prober *p, const struct policy *pol, int ifindex,
    const char *ifname, uint64_t now);
/* The source of every challenge of the run on ifindex: the uplink's
 * address the engine probes for (bound before the first round), never one
 * the kernel would choose at each send (another interface's, while the
 * uplink's is being replaced: the beacon then cannot answer). 0, or
 * -errno with the run ended. */
int prober_source(struct prober *p, int ifindex, struct in_addr addr);
/* The run on ifindex is a periodic re-verification: an answer that holds
 * is logged at debug level only (one line every beacon-reverify would
 * drown the log); a failure is logged as always. */
void prober_quiet(struct prober *p, int ifindex);
/* An office retry (office_retry): a failure at debug level, as said once
 * already; an answer at info level, as it ends that. */
void prober_hush(struct prober *p, int ifindex);
/* The descriptors to poll, two per run (PROBER_MAX_POLLFDS in all): the
 * helper's socket and the beacon socket. */
#define PROBER_MAX_POLLFDS	(2 * ENGINE_MAX_UPLINKS)
size_t prober_pollfds(const struct prober *p, struct pollfd *pfd, size_t max);
/* What pfd (one prober_pollfds() gave, after poll()) has to say: 1 with
 * *ev filled when a run's verdict is in (that run then ends, and the last
 * run takes its place: walk the descriptors backwards). */
int prober_read(struct prober *p, const struct pollfd *pfd, struct event *ev,
    uint64_t now);
/* Rounds past their deadline: another round, or the run's end; runs past
 * their own deadline end. Each verdict a failure event via cb. */
void prober_expire(struct prober *p, uint64_t now,
    void (*cb)(const struct event *, void *), void *arg);
/* A child was reaped: if it was a probe's helper, its run forgets the pid
 * (its output may still be unread), so nothing signals a pid the kernel
 * may give to another process. 1 if it was one. Call before anything else
 * can signal it, right after waitpid(). */
int prober_reaped(struct prober *p, pid_t pid);
/* Milliseconds until the next deadline, -1 if none. */
int prober_timeout(const struct prober *p, uint64_t now);
void prober_stop_all(struct prober *p);

#endif
