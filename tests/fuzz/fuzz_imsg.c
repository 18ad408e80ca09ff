/* libFuzzer: the messages between sekishod's parent and its frontend
 * (netvm/sekishod/imsg.h), every decoder on the same bytes. Whatever they
 * are: refused with one line, or accepted only when they are exactly what
 * the encoder writes for the decoded values. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/ifname.h"
#include "netvm/sekishod/imsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t back[IMSG_REPLY_LEN];
	struct sk_error err;
	enum ctl_cmd cmd;
	const uint8_t *p;
	uint8_t req[IMSG_REQ_LEN], pref[IMSG_PREFER_LEN], type;
	char uplink[CTL_IFNAME_MAX + 1];
	size_t len;
	uint16_t seq;
	int work;

	if (imsg_req_decode(data, size, &cmd, &err) == 0) {
		imsg_req_encode(req, cmd);
		if (size != IMSG_REQ_LEN || memcmp(req, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	if (imsg_listen_decode(data, size, &work, &err) == 0) {
		imsg_listen_encode(req, work);
		if (size != IMSG_REQ_LEN || memcmp(req, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	/* the agent's preference: a name lib/ifname.h takes, or auto */
	if (imsg_prefer_decode(data, size, uplink, &err) == 0) {
		if ((uplink[0] != '\0' && !ifname_valid(uplink)) ||
		    imsg_prefer_encode(pref, uplink) != 0 ||
		    size != IMSG_PREFER_LEN || memcmp(pref, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	if (imsg_reply_decode(data, size, &type, &p, &len, &err) == 0) {
		if (len > CTL_PAYLOAD_MAX || p != data + IMSG_REPLY_HDR ||
		    imsg_reply_encode(back, type, p, len) != 0 ||
		    size != IMSG_REPLY_LEN || memcmp(back, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	/* the heartbeat, both ways */
	for (uint8_t t = IMSG_PING; t <= IMSG_PONG; t++) {
		if (imsg_beat_decode(data, size, t, &seq, &err) == 0) {
			imsg_beat_encode(req, t, seq);
			if (size != IMSG_REQ_LEN || memcmp(req, data, size) != 0)
				__builtin_trap();
		} else
			one_line(&err);
	}
	return 0;
}
