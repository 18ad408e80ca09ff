#include "netvm/sekishod/imsg.h"

#include <errno.h>
#include <string.h>

#include "lib/ifname.h"

void
imsg_req_encode(uint8_t out[IMSG_REQ_LEN], enum ctl_cmd cmd)
{
	out[0] = IMSG_VERSION;
	out[1] = IMSG_REQ;
	out[2] = (uint8_t)cmd;
	out[3] = 0;
}

int
imsg_req_decode(const uint8_t *in, size_t len, enum ctl_cmd *cmd, struct sk_error *err)
{
	if (len != IMSG_REQ_LEN)
		return sk_errorf(err, EINVAL, "request of %zu bytes, not %d", len, IMSG_REQ_LEN),
		    -EINVAL;
	if (in[0] != IMSG_VERSION)
		return sk_errorf(err, EINVAL, "request version %u, not %d", in[0], IMSG_VERSION),
		    -EINVAL;
	if (in[1] != IMSG_REQ)
		return sk_errorf(err, EINVAL, "message type %u is not a request", in[1]), -EINVAL;
	if (in[2] != CTL_STATUS && in[2] != CTL_STATUS_JSON && in[2] != CTL_RELOAD)
		return sk_errorf(err, EINVAL, "unknown command %u", in[2]), -EINVAL;
	if (in[3] != 0)
		return sk_errorf(err, EINVAL, "reserved byte %u, not 0", in[3]), -EINVAL;
	*cmd = (enum ctl_cmd)in[2];
	return 0;
}

#define PREFER_NAME	4
#define PREFER_NAME_LEN	(IMSG_PREFER_LEN - PREFER_NAME)

int
imsg_prefer_encode(uint8_t out[IMSG_PREFER_LEN], const char *uplink)
{
	size_t n = strlen(uplink);

	if (n > 0 && !ifname_valid(uplink))
		return -EINVAL;
	memset(out, 0, IMSG_PREFER_LEN);
	out[0] = IMSG_VERSION;
	out[1] = IMSG_PREFER;
	memcpy(out + PREFER_NAME, uplink, n);
	return 0;
}

int
imsg_prefer_decode(const uint8_t *in, size_t len, char uplink[CTL_IFNAME_MAX + 1],
    struct sk_error *err)
{
	size_t n;

	if (len != IMSG_PREFER_LEN)
		return sk_errorf(err, EINVAL, "prefer of %zu bytes, not %d", len,
		    IMSG_PREFER_LEN), -EINVAL;
	if (in[0] != IMSG_VERSION || in[1] != IMSG_PREFER)
		return sk_errorf(err, EINVAL, "not a version %d prefer", IMSG_VERSION), -EINVAL;
	if (in[2] != 0 || in[3] != 0)
		return sk_errorf(err, EINVAL, "reserved bytes %u %u, not 0", in[2], in[3]),
		    -EINVAL;
	/* One encoding only: the name, then zeros to the end (at least one). */
	for (n = 0; n < PREFER_NAME_LEN && in[PREFER_NAME + n] != 0; n++)
		;
	if (n == PREFER_NAME_LEN)
		return sk_errorf(err, EINVAL, "uplink name not NUL-terminated"), -EINVAL;
	for (size_t i = n; i < PREFER_NAME_LEN; i++)
		if (in[PREFER_NAME + i] != 0)
			return sk_errorf(err, EINVAL, "byte %zu after the uplink name is not 0",
			    PREFER_NAME + i), -EINVAL;
	memcpy(uplink, in + PREFER_NAME, n);
	uplink[n] = '\0';
	if (n > 0 && !ifname_valid(uplink))
		return sk_errorf(err, EINVAL, "uplink name is not an interface name"), -EINVAL;
	return 0;
}

void
imsg_listen_encode(uint8_t out[IMSG_REQ_LEN], int work)
{
	out[0] = IMSG_VERSION;
	out[1] = IMSG_LISTEN;
	out[2] = work ? 1 : 0;
	out[3] = 0;
}

int
imsg_listen_decode(const uint8_t *in, size_t len, int *work, struct sk_error *err)
{
	if (len != IMSG_REQ_LEN || in[0] != IMSG_VERSION || in[1] != IMSG_LISTEN ||
	    in[2] > 1 || in[3] != 0)
		return sk_errorf(err, EINVAL, "not a version %d listen message", IMSG_VERSION),
		    -EINVAL;
	*work = in[2];
	return 0;
}

int
imsg_reply_encode(uint8_t out[IMSG_REPLY_LEN], uint8_t type, const uint8_t *payload,
    size_t len)
{
	if (len > CTL_PAYLOAD_MAX)
		return -EMSGSIZE;
	memset(out, 0, IMSG_REPLY_LEN);
	out[0] = IMSG_VERSION;
	out[1] = IMSG_REPLY;
	out[2] = type;
	out[4] = (uint8_t)(len >> 24);
	out[5] = (uint8_t)(len >> 16);
	out[6] = (uint8_t)(len >> 8);
	out[7] = (uint8_t)len;
	if (len > 0)
		memcpy(out + IMSG_REPLY_HDR, payload, len);
	return 0;
}

int
imsg_reply_decode(const uint8_t *in, size_t len, uint8_t *type, const uint8_t **payload,
    size_t *plen, struct sk_error *err)
{
	uint32_t n;

	if (len != IMSG_REPLY_LEN)
		return sk_errorf(err, EINVAL, "reply of %zu bytes, not %d", len, IMSG_REPLY_LEN),
		    -EINVAL;
	if (in[0] != IMSG_VERSION || in[1] != IMSG_REPLY || in[3] != 0)
		return sk_errorf(err, EINVAL, "not a version %d reply", IMSG_VERSION), -EINVAL;
	if (in[2] < CTL_T_STATUS || in[2] > CTL_T_ERROR)
		return sk_errorf(err, EINVAL, "unknown answer type %u", in[2]), -EINVAL;
	n = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 | (uint32_t)in[6] << 8 | in[7];
	if (n > CTL_PAYLOAD_MAX)
		return sk_errorf(err, EINVAL, "payload of %u bytes, at most %d", n,
		    CTL_PAYLOAD_MAX), -EINVAL;
	for (size_t i = IMSG_REPLY_HDR + n; i < len; i++)
		if (in[i] != 0)
			return sk_errorf(err, EINVAL, "byte %zu after the payload is not 0", i),
			    -EINVAL;
	*type = in[2];
	*payload = in + IMSG_REPLY_HDR;
	*plen = n;
	return 0;
}

void
imsg_beat_encode(uint8_t out[IMSG_REQ_LEN], uint8_t type, uint16_t seq)
{
	out[0] = IMSG_VERSION;
	out[1] = type;
	out[2] = (uint8_t)(seq >> 8);
	out[3] = (uint8_t)seq;
}

int
imsg_beat_decode(const uint8_t *in, size_t len, uint8_t type, uint16_t *seq,
    struct sk_error *err)
{
	const char *what = type == IMSG_PING ? "ping" : "pong";

	if (len != IMSG_REQ_LEN)
		return sk_errorf(err, EINVAL, "%s of %zu bytes, not %d", what, len, IMSG_REQ_LEN),
		    -EINVAL;
	if (in[0] != IMSG_VERSION || in[1] != type)
		return sk_errorf(err, EINVAL, "not a version %d %s", IMSG_VERSION, what),
		    -EINVAL;
	*seq = (uint16_t)(in[2] << 8 | in[3]);
	return 0;
}
