/* libFuzzer: sekisho-fetch's reading of the server's response
 * (netvm/sekisho-fetch/stream.c), the input being all the server sent
 * before it closed. Fed as the helper feeds it (never more than wanted,
 * in pieces of input-chosen sizes) and in one piece: NEWER exactly when
 * the input is a header declaring a bundle and that many bytes, with the
 * bundle written out being those bytes; NONE exactly for a lone "nothing
 * newer" header; FRESH for a "nothing newer" header declaring a freshness
 * statement and exactly its bytes (written out as the body); anything else,
 * a response in another version than the request's among it, one error
 * line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netvm/sekisho-fetch/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum fetch_verdict
expected(const uint8_t *data, size_t size)
{
	struct dist_response r;

	if (size < DIST_RESP_HDR_LEN ||
	    dist_response_decode(data, DIST_RESP_HDR_LEN, &r, NULL) != 0)
		return FETCH_FAILED;
	if (r.version != DIST_VERSION)
		return FETCH_FAILED;
	if (r.status == DIST_NEWER && size == DIST_RESP_HDR_LEN + (size_t)r.len)
		return FETCH_NEWER;
	if (r.status == DIST_NOTHING_NEWER && r.len == 0 && size == DIST_RESP_HDR_LEN)
		return FETCH_NONE;
	if (r.status == DIST_NOTHING_NEWER && r.len > 0 &&
	    size == DIST_RESP_HDR_LEN + (size_t)r.len)
		return FETCH_FRESH;
	return FETCH_FAILED;
}

/* Feeds data; piece sizes from seed (0: all at once, past what is wanted). */
static void
run(const uint8_t *data, size_t size, uint32_t seed, uint8_t *out)
{
	struct fetch_stream s;
	enum fetch_verdict v = FETCH_MORE, want_v = expected(data, size);
	const uint8_t *body;
	size_t off = 0, out_len = 0, n, body_len;

	fetch_stream_init(&s);
	while (v == FETCH_MORE) {
		if (seed == 0)
			n = size - off;
		else {
			seed = seed * 1103515245u + 12345u;
			n = fetch_stream_want(&s);
			if (n == 0)
				__builtin_trap();
			n = (seed >> 16) % n + 1;
			if (n > size - off)
				n = size - off;
		}
		v = fetch_stream_feed(&s, data + off, n, &body, &body_len);
		if (body_len > 0 && (body < data + off || body + body_len > data + off + n))
			__builtin_trap();
		memcpy(out + out_len, body, body_len);
		out_len += body_len;
		off += n;
		if (v == FETCH_MORE && off == size && n == 0)
			__builtin_trap();	/* the end of the stream must decide */
	}
	if (v != want_v || fetch_stream_want(&s) != 0)
		__builtin_trap();
	if ((v == FETCH_NEWER || v == FETCH_FRESH) &&
	    (off != size || out_len != size - DIST_RESP_HDR_LEN ||
	    memcmp(out, data + DIST_RESP_HDR_LEN, out_len) != 0))
		__builtin_trap();
	if (v == FETCH_FAILED) {
		size_t len = strlen(s.err.msg);

		if (len == 0 || len >= sizeof(s.err.msg) - 1 || strchr(s.err.msg, '\n') != NULL)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size + 1);
	uint32_t seed = 1;

	if (out == NULL)
		return 0;
	for (size_t i = 0; i < size && i < 4; i++)
		seed = seed * 31 + data[i];
	run(data, size, 0, out);
	run(data, size, seed | 1, out);
	free(out);
	return 0;
}
