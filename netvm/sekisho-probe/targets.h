/*
 * sekisho-probe's input: the beacons to try, one per line on standard
 * input, as sekishod writes them (netvm/sekishod/office.c):
 *	ID ADDRESS:PORT KEY [KEY]
 * Pure parsing, apart from the sockets, so it can be fuzzed.
 */
#ifndef SK_PROBE_TARGETS_H
#define SK_PROBE_TARGETS_H

#include <netinet/in.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "lib/util.h"

struct probe_target {
	char			id[BEACON_ID_LEN + 1];
	struct sockaddr_in	addr;
	struct beacon_keys	keys;
};

/*
 * One line, its newline optional: three or four fields separated by
 * blanks (space, tab, CR, VT, FF), nothing else. ID is a policy's beacon
 * id ([a-z0-9-], 1 to 32 characters); ADDRESS:PORT an IPv4 address and
 * port exactly as printed ("10.66.0.2:51820"); each KEY an Ed25519 public
 * key in base64, not all zero. 0 and *t filled, or -EINVAL with one line
 * in err and *t undefined.
 */
int probe_target_parse(const char *line, struct probe_target *t, struct sk_error *err);

#endif
