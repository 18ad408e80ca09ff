/* libFuzzer: sekisho-gw's session socket (lib/proto/gwsess_wire.h). The
 * gateway decodes requests from local clients, the CLI decodes replies:
 * whatever the bytes, accepted only at the exact size, with every name
 * printable and bounded, and what is accepted encodes back to the same
 * bytes. The first byte picks the side. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/proto/gwsess_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
bounded(const char *s, size_t field)
{
	size_t n = strnlen(s, field);

	if (n >= field)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[GWS_REP_LEN];
	struct sk_error err;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct gws_req q;

		if (gws_req_decode(data + 1, size - 1, &q, &err) != 0)
			return 0;
		if (size - 1 != GWS_REQ_LEN || gws_req_encode(out, &q) != 0 ||
		    memcmp(out, data + 1, GWS_REQ_LEN) != 0)
			__builtin_trap();
		bounded(q.device, sizeof(q.device));
		bounded(q.text, sizeof(q.text));
		bounded(q.factor, sizeof(q.factor));
		if (q.type == GWS_OPEN && (q.lifetime == 0 || q.lifetime > GWS_LIFETIME_MAX ||
		    !q.device[0] || !q.text[0] || strchr(q.device, ' ') != NULL))
			__builtin_trap();
	} else {
		struct gws_rep r;

		if (gws_rep_decode(data + 1, size - 1, &r, &err) != 0)
			return 0;
		if (size - 1 != GWS_REP_LEN || gws_rep_encode(out, &r) != 0 ||
		    memcmp(out, data + 1, GWS_REP_LEN) != 0)
			__builtin_trap();
		bounded(r.text, sizeof(r.text));
		bounded(r.device, sizeof(r.device));
		bounded(r.registry, sizeof(r.registry));
	}
	return 0;
}
