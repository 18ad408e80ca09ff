#include "lib/proto/dist_wire.h"

#include <errno.h>
#include <string.h>

#include "lib/encode.h"

_Static_assert(DIST_REQ_LEN == DIST_MAGIC_LEN + 1 + DIST_KEY_LEN + 8, "request length");
_Static_assert(DIST_RESP_HDR_LEN == DIST_MAGIC_LEN + 1 + 1 + 4, "response header length");

void
dist_request_encode(uint8_t out[DIST_REQ_LEN], const struct dist_request *r)
{
	memcpy(out, DIST_REQ_MAGIC, DIST_MAGIC_LEN);
	out[4] = r->version;
	memcpy(out + 5, r->device, DIST_KEY_LEN);
	be64_put(out + 5 + DIST_KEY_LEN, r->serial);
}

void
dist_response_encode(uint8_t out[DIST_RESP_HDR_LEN], const struct dist_response *r)
{
	memcpy(out, DIST_RESP_MAGIC, DIST_MAGIC_LEN);
	out[4] = r->version;
	out[5] = r->status;
	be32_put(out + 6, r->len);
}

/* Length, magic and version: the part both messages share. */
static int
check_head(const uint8_t *in, size_t len, size_t want, const char *what,
    const char *magic, struct sk_error *err)
{
	if (len < want)
		return sk_errorf(err, EINVAL, "truncated %s: %zu of %zu bytes", what, len, want);
	if (len > want)
		return sk_errorf(err, EINVAL, "%s longer than %zu bytes", what, want);
	if (memcmp(in, magic, DIST_MAGIC_LEN) != 0)
		return sk_errorf(err, EINVAL, "bad magic, expected \"%s\"", magic);
	if (in[4] != DIST_VERSION && in[4] != DIST_VERSION_V1)
		return sk_errorf(err, EINVAL, "unsupported version %u, this build speaks "
		    "versions %u and %u", in[4], DIST_VERSION_V1, DIST_VERSION);
	return 0;
}

int
dist_request_decode(const uint8_t *in, size_t len, struct dist_request *r,
    struct sk_error *err)
{
	uint64_t serial;
	int rc;

	if ((rc = check_head(in, len, DIST_REQ_LEN, "request", DIST_REQ_MAGIC, err)) < 0)
		return rc;
	if (key_is_zero(in + 5))
		return sk_errorf(err, EINVAL, "device key is all zero");
	serial = be64_get(in + 5 + DIST_KEY_LEN);
	if (serial > DIST_SERIAL_MAX)
		return sk_errorf(err, EINVAL, "serial %llu out of range, expected 0 to %llu",
		    (unsigned long long)serial, (unsigned long long)DIST_SERIAL_MAX);
	memcpy(r->device, in + 5, DIST_KEY_LEN);
	r->serial = serial;
	r->version = in[4];
	return 0;
}

int
dist_response_decode(const uint8_t *in, size_t len, struct dist_response *r,
    struct sk_error *err)
{
	uint32_t n;
	int rc;

	if ((rc = check_head(in, len, DIST_RESP_HDR_LEN, "response header",
	    DIST_RESP_MAGIC, err)) < 0)
		return rc;
	n = be32_get(in + 6);
	switch (in[5]) {
	case DIST_NEWER:
		if (n < DIST_BODY_MIN || n > DIST_BODY_MAX)
			return sk_errorf(err, EINVAL, "bundle length %lu out of range, "
			    "expected %u to %u", (unsigned long)n, DIST_BODY_MIN, DIST_BODY_MAX);
		break;
	case DIST_NOTHING_NEWER:
		/* Version 2: the freshness statement for the serial held may
		 * follow. */
		if (n == 0 || (in[4] == DIST_VERSION && n == DIST_FRESH_LEN))
			break;
		if (in[4] == DIST_VERSION)
			return sk_errorf(err, EINVAL, "status 1 with length %lu, expected 0 "
			    "or %u", (unsigned long)n, DIST_FRESH_LEN);
		return sk_errorf(err, EINVAL, "status 1 with length %lu, expected 0",
		    (unsigned long)n);
	case DIST_UNKNOWN_DEVICE:
		if (n != 0)
			return sk_errorf(err, EINVAL, "status %u with length %lu, expected 0",
			    in[5], (unsigned long)n);
		break;
	default:
		return sk_errorf(err, EINVAL, "unknown status %u, expected 0, 1 or 2", in[5]);
	}
	r->version = in[4];
	r->status = in[5];
	r->len = n;
	return 0;
}

void
dist_device_name(char name[DIST_NAME_LEN], const uint8_t key[DIST_KEY_LEN])
{
	key_to_b64(name, key);
	for (char *c = name; *c != '\0'; c++) {
		if (*c == '+')
			*c = '-';
		else if (*c == '/')
			*c = '_';
	}
}
