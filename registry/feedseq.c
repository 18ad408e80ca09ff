/*
 * A NOTIFY payload of the change feed (registry/feed.h): what the database
 * says was the highest seq of a commit. Anyone who may connect can NOTIFY
 * on the channel: a hint only, parsed strictly, never trusted (the rows
 * are read from the log). Apart from feed.c so that it is fuzzed alone.
 */
#include "registry/feed.h"

#include <errno.h>
#include <stdint.h>

int
reg_feed_parse_seq(const char *s, size_t len, int64_t *seq)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || s[0] == '0')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*seq = v;
	return 0;
}
