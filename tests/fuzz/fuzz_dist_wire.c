/* libFuzzer: the distribution protocol's decoders (docs/distribution.md),
 * both sides of the wire. Whatever the bytes: a one-line message or a
 * decoded message within its bounds, which encodes back to the very same
 * bytes; and input of any other length than the exact one is refused. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/proto/dist_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

static void
check_request(const uint8_t *p, size_t n)
{
	struct dist_request r;
	struct sk_error err;
	uint8_t back[DIST_REQ_LEN];

	if (dist_request_decode(p, n, &r, &err) != 0) {
		one_line(&err);
		return;
	}
	if (n != DIST_REQ_LEN || r.serial > DIST_SERIAL_MAX ||
	    (r.version != DIST_VERSION && r.version != DIST_VERSION_V1))
		__builtin_trap();
	dist_request_encode(back, &r);
	if (memcmp(back, p, n) != 0)
		__builtin_trap();
}

static void
check_response(const uint8_t *p, size_t n)
{
	struct dist_response r;
	struct sk_error err;
	uint8_t back[DIST_RESP_HDR_LEN];

	if (dist_response_decode(p, n, &r, &err) != 0) {
		one_line(&err);
		return;
	}
	if (n != DIST_RESP_HDR_LEN || r.status > DIST_UNKNOWN_DEVICE ||
	    (r.version != DIST_VERSION && r.version != DIST_VERSION_V1) ||
	    (r.status == DIST_NEWER && (r.len < DIST_BODY_MIN || r.len > DIST_BODY_MAX)) ||
	    /* version 2: "nothing newer" may carry a freshness statement */
	    (r.status == DIST_NOTHING_NEWER && r.len != 0 &&
	    (r.version != DIST_VERSION || r.len != DIST_FRESH_LEN)) ||
	    (r.status == DIST_UNKNOWN_DEVICE && r.len != 0))
		__builtin_trap();
	dist_response_encode(back, &r);
	if (memcmp(back, p, n) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_response(data, size);
	/* With the right magic and version, so the fields are reached often. */
	if (size >= 5) {
		uint8_t buf[64];
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		memcpy(buf, data, n);
		memcpy(buf, DIST_REQ_MAGIC, 4);
		buf[4] = data[4] & 1 ? DIST_VERSION : DIST_VERSION_V1;
		check_request(buf, n);
		memcpy(buf, DIST_RESP_MAGIC, 4);
		check_response(buf, n);
	}
	return 0;
}
