/*
 * What sekishod and its sekisho-probe helper say to each other (version
 * 3; docs/beacon.md, "The netvm's probe"). sekishod chooses every nonce,
 * sends every challenge and receives every answer on its own socket,
 * timed by the kernel there (SO_TIMESTAMPING), and verifies every answer
 * itself. The probe, sandboxed, is where the bytes the uplink's network
 * sent are first looked into: it parses and checks each datagram sekishod
 * hands it, and says which one verified. Nothing it says touches the
 * round trip, and a compromised probe can deny office mode and nothing
 * more.
 *
 * Text lines, each ending in '\n', written with one write() each (on
 * both sides one SOCK_SEQPACKET message per line).
 *
 * sekishod -> probe:
 *	ID ADDRESS:PORT KEY [KEY]	a beacon, at most 16
 *					(netvm/sekisho-probe/targets.h)
 *	go				the beacons are all there
 *	nonce HEX			a round begins: answers must carry this
 *					nonce (64 lowercase hex digits)
 *	dgram INDEX HEX			a datagram of 144 bytes that came from
 *					beacon INDEX's address on the uplink with
 *					TTL 255 (288 lowercase hex digits); one at
 *					a time, each answered before the next
 * probe -> sekishod:
 *	ready				sandbox entered
 *	answer INDEX HEX		the datagram it was given verified in the
 *					probe (signature, nonce, id): the same
 *					index and the same bytes back
 *	none REASON			it did not verify, and why
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

enum probe_msg_type {
	PROBE_MSG_READY,
	PROBE_MSG_ANSWER,
	PROBE_MSG_NONE,
	PROBE_MSG_FAIL,
};

struct probe_msg {
	enum probe_msg_type	type;
	unsigned int		index;		/* answer */
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
int probe_answer_format(char *buf, size_t size, unsigned int index,
    const uint8_t answer[BEACON_ANSWER_LEN]);

/* sekishod's "nonce HEX\n": its length, or -ENOSPC. */
int probe_nonce_format(char *buf, size_t size, const uint8_t nonce[BEACON_NONCE_LEN]);
/* "nonce HEX" without '\n': 0 and nonce filled, else -EINVAL. */
int probe_nonce_parse(const char *line, uint8_t nonce[BEACON_NONCE_LEN]);

/* sekishod's "dgram INDEX HEX\n": its length, or -ENOSPC. */
int probe_dgram_format(char *buf, size_t size, unsigned int index,
    const uint8_t pkt[BEACON_ANSWER_LEN]);
/* "dgram INDEX HEX" without '\n', INDEX below n_beacons: 0 with *index and
 * pkt filled, else -EINVAL. */
int probe_dgram_parse(const char *line, size_t n_beacons, unsigned int *index,
    uint8_t pkt[BEACON_ANSWER_LEN]);

#endif
