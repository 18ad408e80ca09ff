/* The change feed's NOTIFY payload (registry/feedseq.c): any bytes in; an
 * accepted one is 1..19 decimal digits without a leading zero, and its
 * value printed back is exactly the input. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char back[24];
	int64_t v = -1;

	if (reg_feed_parse_seq((const char *)data, size, &v) != 0)
		return 0;
	if (v < 1 || size > 19)
		abort();
	snprintf(back, sizeof(back), "%" PRId64, v);
	if (strlen(back) != size || memcmp(back, data, size) != 0)
		abort();
	return 0;
}
