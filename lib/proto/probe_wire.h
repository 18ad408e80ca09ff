/*
 * What sekishod and its sekisho-probe helper say to each other (version
 * 2; docs/beacon.md, "The netvm's probe"). sekishod chooses every nonce
 * and verifies every answer itself: the probe, which reads whatever the
 * uplink's network sends, only carries challenges out and candidate
 * answers back, so a compromised probe can deny office mode and nothing
 * more.
 *
 * Text lines, each ending in '\n', written with one write() each: on
 * sekishod's side the channel is one SOCK_SEQPACKET socket, so each of the
 * probe's lines is one message whose kernel receive time sekishod reads
 * (SO_TIMESTAMPNS): sekishod's own measure of a round trip, which the
 * probe cannot shorten.
 *
 * sekishod -> probe:
 *	ID ADDRESS:PORT KEY [KEY]	a beacon to try, at most 16
 *					(netvm/sekisho-probe/targets.h)
 *	go				the beacons are all there
 *	nonce HEX			one round: a challenge with this nonce
 *					(64 lowercase hex digits) to every beacon
 * probe -> sekishod:
 *	ready				sockets open, sandbox entered
 *	answer INDEX TTL RTT-US HEX	this round's first answer that verified in
 *					the probe: the beacon's index in the order
 *					given, the IP TTL it arrived with, the
 *					probe's send-to-receive time in
 *					microseconds (kernel receive timestamp),
 *					the raw 144 bytes as 288 lowercase hex digits
 *	none REASON			no answer verified in this round
 *	fail REASON			the probe gives up and exits
 * End of input ends the probe. Numbers are decimal without sign or
 * leading zero; fields are separated by exactly one space; REASON is 1 or
 * more printable ASCII characters.
 */
#ifndef SK_PROTO_PROBE_WIRE_H
#define SK_PROTO_PROBE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/beacon_wire.h"
#include "lib/util.h"

#define PROBE_LINE_MAX		512	/* bytes of any line, '\n' included */
#define PROBE_RTT_US_MAX	UINT32_MAX

enum probe_msg_type {
	PROBE_MSG_READY,
	PROBE_MSG_ANSWER,
	PROBE_MSG_NONE,
	PROBE_MSG_FAIL,
};

struct probe_msg {
	enum probe_msg_type	type;
	unsigned int		index;		/* answer */
	int			ttl;		/* answer: 0..255 */
	uint32_t		rtt_us;		/* answer: the probe's own measure */
	uint8_t			answer[BEACON_ANSWER_LEN];	/* answer: raw */
	const char		*reason;	/* none, fail: within the line */
};

/*
 * One of the probe's lines, without its '\n': 0 and *m filled, or
 * -EINVAL with one line in err (and *m undefined). An answer's INDEX must
 * be below n_beacons. Nothing here says the answer is any good: that is
 * beacon_verify()'s work, in sekishod.
 */
int probe_msg_parse(const char *line, size_t n_beacons, struct probe_msg *m,
    struct sk_error *err);

/* The probe's answer line, '\n' included: its length, or -ENOSPC. */
int probe_answer_format(char *buf, size_t size, unsigned int index, int ttl,
    uint32_t rtt_us, const uint8_t answer[BEACON_ANSWER_LEN]);

/* sekishod's "nonce HEX\n": its length, or -ENOSPC. */
int probe_nonce_format(char *buf, size_t size, const uint8_t nonce[BEACON_NONCE_LEN]);
/* "nonce HEX" without '\n': 0 and nonce filled, else -EINVAL. */
int probe_nonce_parse(const char *line, uint8_t nonce[BEACON_NONCE_LEN]);

#endif
