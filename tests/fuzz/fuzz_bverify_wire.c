/* libFuzzer: sekishod <-> sekisho-beacon-verify (lib/proto/bverify_wire.h).
 * The helper decodes requests and sekishod decodes replies: whatever the
 * bytes, accepted only at the exact size, and what is accepted encodes
 * back to the same bytes. The first byte picks the side, the second the
 * key count sekishod sent. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/proto/bverify_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[BVERIFY_REQ_LEN];
	struct bverify_req q;
	struct bverify_rep r;
	size_t n_keys;

	if (size < 2)
		return 0;
	n_keys = data[1] % (BVERIFY_MAX_KEYS + 2);
	if (data[0] & 1) {
		if (bverify_req_decode(data + 2, size - 2, &q) != 0)
			return 0;
		if (size - 2 != BVERIFY_REQ_LEN || q.n_keys == 0 ||
		    q.n_keys > BVERIFY_MAX_KEYS || bverify_req_encode(out, &q) != 0 ||
		    memcmp(out, data + 2, BVERIFY_REQ_LEN) != 0)
			__builtin_trap();
	} else {
		if (bverify_rep_decode(data + 2, size - 2, n_keys, &r) != 0)
			return 0;
		if (size - 2 != BVERIFY_REP_LEN || r.verdict < 0 || r.verdict > BVERIFY_MAX ||
		    (r.verdict == BVERIFY_OK) != (r.key >= 0) || (r.key >= (int)n_keys) ||
		    bverify_rep_encode(out, &r) != 0 ||
		    memcmp(out, data + 2, BVERIFY_REP_LEN) != 0)
			__builtin_trap();
	}
	return 0;
}
