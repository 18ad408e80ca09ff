/*
 * sekisho-fetch's reading of the server's response (docs/distribution.md):
 * the header, then for a newer bundle (or, when nothing is newer, a
 * freshness statement) exactly the length it declares, then the end of
 * the stream. A small state machine fed what each receive
 * brought, with no socket, so it can be fuzzed.
 */
#ifndef SK_FETCH_STREAM_H
#define SK_FETCH_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/dist_wire.h"
#include "lib/util.h"

enum fetch_verdict {
	FETCH_MORE,	/* feed what comes next */
	FETCH_NEWER,	/* the bundle was all of it, and nothing after */
	FETCH_NONE,	/* nothing newer, and nothing after */
	FETCH_FRESH,	/* nothing newer, with a freshness statement (the body) */
	FETCH_FAILED,	/* err says why, in one line */
};

struct fetch_stream {
	uint8_t			hdr[DIST_RESP_HDR_LEN];
	size_t			hdr_got;
	struct dist_response	resp;
	int			have_hdr;
	uint32_t		body_got;
	enum fetch_verdict	verdict;
	struct sk_error		err;
};

void fetch_stream_init(struct fetch_stream *s);
/* How many bytes to receive next: what is left of the header or of the
 * bundle, or 1 once the response is whole (to see that the server closes
 * there). 0 once decided. */
size_t fetch_stream_want(const struct fetch_stream *s);
/* What is awaited, for "no ... within N ms". */
const char *fetch_stream_what(const struct fetch_stream *s);
/*
 * Feeds the n bytes just received; n == 0 is the end of the stream. Bytes
 * of the bundle among them are *body .. *body + *body_len, to be written
 * out in order before anything else is fed. Returns FETCH_MORE or the
 * verdict, which then stays (s->err holds the line for FETCH_FAILED):
 * FETCH_NEWER only for a header declaring a bundle, exactly that many
 * bytes, and the end; FETCH_NONE only for a "nothing newer" header and
 * the end; FETCH_FRESH for a "nothing newer" header declaring a freshness
 * statement, exactly its bytes (the body) and the end; anything else
 * fails. The statement's signature is sekishod's business, as a bundle's.
 */
enum fetch_verdict fetch_stream_feed(struct fetch_stream *s, const uint8_t *p,
    size_t n, const uint8_t **body, size_t *body_len);

#endif
