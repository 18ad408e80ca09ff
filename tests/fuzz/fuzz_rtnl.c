/* libFuzzer: the translation of rtnetlink messages into engine events,
 * with the engine fed the result. (Until the control protocol moved to
 * lib/proto, fuzz_control did this as well.) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "netvm/sekishod/engine.h"
#include "netvm/sekishod/rtnl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine e;
	static int init;
	struct action acts[ENGINE_MAX_ACTIONS];
	struct event ev;
	uint8_t *copy;

	if (!init) {
		struct in_addr ep = { htonl(0xc000020a) };

		engine_init(&e, 2, 9, ep, 1);
		init = 1;
	}
	/* An exact-size copy so that any over-read is caught. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (rtnl_parse(copy, size, &ev) == 1) {
		size_t n = engine_handle(&e, &ev, acts);

		if (n > ENGINE_MAX_ACTIONS || e.n_uplinks > ENGINE_MAX_UPLINKS)
			__builtin_trap();
	}
	free(copy);
	return 0;
}
