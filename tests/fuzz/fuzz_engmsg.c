/* libFuzzer: the messages between sekishod's parent and its engine
 * process (netvm/sekishod/engmsg.h), both decoders on the same bytes.
 * Whatever they are: refused with one line, or accepted only when they
 * are exactly what the encoder writes for the decoded values. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netvm/sekishod/engmsg.h"

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
	static uint8_t back[ENG_RESULT_LEN], cb[ENG_CALL_LEN];
	static struct eng_result r;
	struct eng_call k;
	struct sk_error err;

	if (eng_call_decode(data, size, &k, &err) == 0) {
		eng_call_encode(cb, &k);
		if (size != ENG_CALL_LEN || memcmp(cb, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	if (eng_result_decode(data, size, &r, &err) == 0) {
		if (r.n > ENG_MAX_ACTS || r.state.n_uplinks > ENGINE_MAX_UPLINKS)
			__builtin_trap();
		eng_result_encode(back, &r);
		if (size != ENG_RESULT_LEN || memcmp(back, data, size) != 0)
			__builtin_trap();
	} else
		one_line(&err);
	return 0;
}
