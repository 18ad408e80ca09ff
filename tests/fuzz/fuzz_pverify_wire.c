/* libFuzzer: the head of sekishod's requests to sekisho-policy
 * verify-serve (lib/proto/pverify_wire.h), as the helper decodes it, and
 * the name check: whatever the bytes, a head is accepted only at the exact
 * size and within its limits, and what is accepted encodes back to the
 * same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proto/pverify_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[PVERIFY_HEAD_LEN];
	struct pverify_head h;

	if (pverify_name_check(data, size) == 0 &&
	    (size == 0 || memchr(data, '\n', size) != NULL || memchr(data, 0, size) != NULL))
		abort();
	if (pverify_head_decode(data, size, 4u << 20, &h) != 0)
		return 0;
	if (size != PVERIFY_HEAD_LEN || h.len == 0 || h.len > 4u << 20 || h.name_len == 0 ||
	    h.name_len > PVERIFY_NAME_MAX)
		abort();
	pverify_head_encode(out, &h);
	if (memcmp(out, data, PVERIFY_HEAD_LEN) != 0)
		abort();
	return 0;
}
