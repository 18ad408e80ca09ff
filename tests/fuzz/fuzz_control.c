/* libFuzzer: sekishod's control protocol (lib/proto/control_wire.h,
 * docs/control.md), both ends: the request parser (the agent's "prefer
 * UPLINK|auto" too), the response header, text payloads and the status
 * decoder. Whatever the bytes: a one-line message, a request that is
 * exactly what the client writes for it, or a decoded status within its
 * bounds that encodes back to the very same bytes; one marked for the
 * work partition carries nothing work may not see. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ifname.h"
#include "lib/proto/control_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const struct sk_error *err)
{
	size_t n = strlen(err->msg);

	if (n == 0 || n >= sizeof(err->msg) - 1 || strchr(err->msg, '\n') != NULL)
		__builtin_trap();
}

static void
check_status(const uint8_t *p, size_t n)
{
	static struct ctl_status s;
	static uint8_t back[CTL_PAYLOAD_MAX];
	struct sk_error err;
	long len;

	if (ctl_status_decode(p, n, &s, &err) != 0) {
		one_line(&err);
		return;
	}
	if ((s.flags & CTL_S_PREFER) && !ifname_valid(s.prefer))
		__builtin_trap();
	if (s.n_uplinks > CTL_MAX_UPLINKS || s.active > s.n_uplinks ||
	    s.mode > CTL_MODE_OFFICE ||
	    s.gateway_pos > s.n_gateways || s.n_gateways > CTL_MAX_GATEWAYS)
		__builtin_trap();
	for (size_t i = 0; i < s.n_uplinks; i++)
		if (s.uplinks[i].plen > 32 || s.uplinks[i].office > CTL_OFFICE_NO ||
		    s.uplinks[i].name[0] == '\0')
			__builtin_trap();
	if ((s.flags & CTL_S_PRESENCE) && ((s.presence != CTL_PRES_CARD &&
	    s.presence != CTL_PRES_FACE) || s.presence_s < CTL_PRES_PERIOD_MIN ||
	    s.presence_s > CTL_PRES_PERIOD_MAX))
		__builtin_trap();
	/* the work partition's status: nothing it may not see got through */
	if (s.flags & CTL_S_WORK) {
		if (s.serial != 0 || s.n_gateways != 0 || s.reason[0] || s.policy_path[0] ||
		    s.tunnel_if[0] || s.gateway[0] || s.tunnel.peer[0] || s.tunnel.endpoint[0] ||
		    s.tunnel.rx_bytes || s.tunnel.tx_bytes ||
		    (s.flags & (CTL_S_FAILOVER | CTL_S_FETCH | CTL_S_BUNDLE)))
			__builtin_trap();
		for (size_t i = 0; i < s.n_uplinks; i++)
			if (s.uplinks[i].beacon[0] || s.uplinks[i].plen ||
			    s.uplinks[i].verified_age_ms ||
			    memcmp(s.uplinks[i].addr, "\0\0\0\0", 4) != 0 ||
			    memcmp(s.uplinks[i].gw, "\0\0\0\0", 4) != 0)
				__builtin_trap();
	}
	len = ctl_status_encode(back, sizeof(back), &s);
	if (len < 0 || (size_t)len != n || memcmp(back, p, n) != 0)
		__builtin_trap();
}

static void
check_response(const uint8_t *p, size_t n)
{
	struct sk_error err;
	uint8_t type, hdr[CTL_RESP_HDR_LEN];
	uint32_t len;

	if (n < CTL_RESP_HDR_LEN)
		return;
	if (ctl_header_decode(p, &type, &len, &err) != 0) {
		one_line(&err);
		return;
	}
	ctl_header_encode(hdr, type, len);
	if (memcmp(hdr, p, sizeof(hdr)) != 0)
		__builtin_trap();
	if (n - CTL_RESP_HDR_LEN != len)
		return;
	if (type == CTL_T_STATUS)
		check_status(p + CTL_RESP_HDR_LEN, len);
	else if (ctl_line_check(p + CTL_RESP_HDR_LEN, len, &err) != 0)
		one_line(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CTL_MAX_LINE + 1];
	struct ctl_req req;
	enum ctl_cmd cmd;
	uint8_t *copy;
	int n;

	/* An exact-size copy so that any over-read is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (ctl_parse((const char *)copy, size, &cmd) == 0 &&
	    (cmd > CTL_RELOAD || strlen(ctl_request(cmd)) != size ||
	    memcmp(ctl_request(cmd), copy, size) != 0))
		__builtin_trap();
	if (ctl_parse_req((const char *)copy, size, &req) == 0) {
		if (req.cmd == CTL_PREFER) {
			/* a name for the engine, or auto: exactly the line the
			 * client writes for it */
			if ((req.uplink[0] != '\0' && !ifname_valid(req.uplink)) ||
			    strcmp(req.uplink, "auto") == 0 ||
			    (n = ctl_prefer_request(line, req.uplink)) < 0 ||
			    (size_t)n != size || memcmp(line, copy, size) != 0)
				__builtin_trap();
		} else if (req.cmd > CTL_RELOAD || req.uplink[0] != '\0' ||
		    strlen(ctl_request(req.cmd)) != size ||
		    memcmp(ctl_request(req.cmd), copy, size) != 0)
			__builtin_trap();
	}
	check_response(copy, size);
	check_status(copy, size);
	free(copy);
	return 0;
}
