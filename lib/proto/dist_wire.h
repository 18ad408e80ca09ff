/*
 * The bundle distribution protocol, version 2 (docs/distribution.md): a
 * laptop asks the agency's sekisho-bundle-server over TCP whether a bundle
 * newer than the serial it holds waits for it, and gets it in the answer;
 * when nothing is newer, the agency's freshness statement for the serial
 * held, if the server has one.
 *
 *   request   (45 bytes, fixed)          response  (10 bytes + N)
 *     0  4  magic "SKBQ"                   0  4  magic "SKBR"
 *     4  1  version, 2 (or 1)              4  1  version, the request's
 *     5 32  device: WireGuard public key   5  1  status (enum dist_status)
 *    37  8  serial held, 0 .. 2^63-1      6  4  length N of what follows
 *                                         10  N  status 0: the bundle;
 *                                                status 1, version 2: none,
 *                                                or a freshness statement
 *
 * Version 1 (laptops not yet upgraded) differs only in that status 1 has
 * length 0: the server answers each request in its own version.
 *
 * Integers are big-endian. The version fixes both layouts: nothing is
 * optional, and nothing may follow (the server closes after its answer).
 * These decoders check exact lengths and every field; they allocate
 * nothing and touch no socket.
 */
#ifndef SK_DIST_WIRE_H
#define SK_DIST_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define DIST_REQ_MAGIC		"SKBQ"
#define DIST_RESP_MAGIC		"SKBR"
#define DIST_MAGIC_LEN		4
#define DIST_VERSION		2
#define DIST_VERSION_V1		1
#define DIST_KEY_LEN		32
#define DIST_REQ_LEN		45	/* magic, version, device, serial */
#define DIST_RESP_HDR_LEN	10	/* magic, version, status, length */
#define DIST_PORT		51830
#define DIST_SERIAL_MAX		INT64_MAX
/* A bundle in a response: the bundle format's bounds (policy/bundle.h). */
#define DIST_BODY_MIN		155	/* BUNDLE_MIN_SIZE */
#define DIST_BODY_MAX		4194462	/* BUNDLE_MAX_SIZE */
#define DIST_FRESH_LEN		150	/* FRESH_LEN: a freshness statement */

enum dist_status {
	DIST_NEWER = 0,		/* a newer bundle follows */
	DIST_NOTHING_NEWER = 1,	/* the server holds nothing above the serial asked */
	DIST_UNKNOWN_DEVICE = 2,/* the server holds nothing for this device */
};

struct dist_request {
	uint8_t		version;	/* DIST_VERSION or DIST_VERSION_V1 */
	uint8_t		device[DIST_KEY_LEN];
	uint64_t	serial;
};

struct dist_response {
	uint8_t		version;	/* the request's */
	uint8_t		status;		/* enum dist_status */
	uint32_t	len;		/* of what follows: the bundle (DIST_NEWER),
					 * 0 or DIST_FRESH_LEN (DIST_NOTHING_NEWER,
					 * version 2), else 0 */
};

/* Writes exactly DIST_REQ_LEN / DIST_RESP_HDR_LEN bytes. The fields are not
 * checked: encode only what the decoder would accept. */
void dist_request_encode(uint8_t out[DIST_REQ_LEN], const struct dist_request *r);
void dist_response_encode(uint8_t out[DIST_RESP_HDR_LEN],
    const struct dist_response *r);

/*
 * Decode exactly len bytes, checking in wire order: length, magic,
 * version (1 or 2, in r->version), then the fields (request: device key
 * not all zero, serial at most 2^63-1; response: a known status, length
 * 0 for status 2 and for status 1 in version 1, 0 or DIST_FRESH_LEN for
 * status 1 in version 2, DIST_BODY_MIN .. DIST_BODY_MAX for status 0). 0 and *r filled, or
 * -EINVAL with one line in err ("bad magic, expected \"SKBQ\"") and *r
 * untouched.
 */
int dist_request_decode(const uint8_t *in, size_t len, struct dist_request *r,
    struct sk_error *err);
int dist_response_decode(const uint8_t *in, size_t len, struct dist_response *r,
    struct sk_error *err);

/* The name a device's bundle has in the server's directory: its key in
 * base64url (RFC 4648, section 5: '-' and '_' for '+' and '/'), 44
 * characters with the padding, as `wg pubkey | tr '+/' '-_'` prints it. */
#define DIST_NAME_LEN		45	/* with the NUL */
void dist_device_name(char name[DIST_NAME_LEN], const uint8_t key[DIST_KEY_LEN]);

#endif
