#include "netvm/sekisho-fetch/stream.h"

#include <errno.h>
#include <string.h>

void
fetch_stream_init(struct fetch_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->verdict = FETCH_MORE;
}

size_t
fetch_stream_want(const struct fetch_stream *s)
{
	if (s->verdict != FETCH_MORE)
		return 0;
	if (!s->have_hdr)
		return sizeof(s->hdr) - s->hdr_got;
	if (s->body_got < s->resp.len)
		return s->resp.len - s->body_got;
	return 1;
}

const char *
fetch_stream_what(const struct fetch_stream *s)
{
	if (!s->have_hdr)
		return "response";
	if (s->body_got < s->resp.len)
		return s->resp.status == DIST_NEWER ? "bundle" : "freshness statement";
	return "end of the response";
}

static enum fetch_verdict
failed(struct fetch_stream *s)
{
	return s->verdict = FETCH_FAILED;
}

static enum fetch_verdict
header(struct fetch_stream *s)
{
	struct sk_error err;

	if (dist_response_decode(s->hdr, s->hdr_got, &s->resp, &err) < 0) {
		sk_errorf(&s->err, EINVAL, "bad response: %s", err.msg);
		return failed(s);
	}
	/* The server answers in the request's version. */
	if (s->resp.version != DIST_VERSION) {
		sk_errorf(&s->err, EINVAL, "bad response: version %u to a version %u request",
		    s->resp.version, DIST_VERSION);
		return failed(s);
	}
	s->have_hdr = 1;
	return FETCH_MORE;
}

/* The stream ended where it may: the verdict the header announced. */
static enum fetch_verdict
end(struct fetch_stream *s)
{
	switch (s->resp.status) {
	case DIST_NEWER:
		return s->verdict = FETCH_NEWER;
	case DIST_NOTHING_NEWER:
		return s->verdict = s->resp.len > 0 ? FETCH_FRESH : FETCH_NONE;
	default:
		sk_errorf(&s->err, EINVAL, "unknown device: the server holds no bundle "
		    "for this device");
		return failed(s);
	}
}

enum fetch_verdict
fetch_stream_feed(struct fetch_stream *s, const uint8_t *p, size_t n,
    const uint8_t **body, size_t *body_len)
{
	size_t take;

	*body = p;
	*body_len = 0;
	if (s->verdict != FETCH_MORE)
		return s->verdict;
	if (!s->have_hdr) {
		if (n == 0) {
			if (s->hdr_got == 0) {
				sk_errorf(&s->err, EPROTO, "closed without a response");
				return failed(s);
			}
			return header(s);	/* short: the decoder says so */
		}
		take = sizeof(s->hdr) - s->hdr_got;
		take = n < take ? n : take;
		memcpy(s->hdr + s->hdr_got, p, take);
		s->hdr_got += take;
		p += take;
		n -= take;
		if (s->hdr_got < sizeof(s->hdr))
			return FETCH_MORE;
		if (header(s) != FETCH_MORE)
			return s->verdict;
		if (n == 0)
			return FETCH_MORE;	/* not the end: nothing more yet */
	}
	/* What follows the header: a bundle, or a freshness statement (the
	 * decoder allows a length for nothing else). */
	if (s->body_got < s->resp.len) {
		if (n == 0) {
			sk_errorf(&s->err, EPROTO, "bad response: truncated %s: "
			    "%lu of %lu bytes", s->resp.status == DIST_NEWER ? "bundle" :
			    "freshness statement", (unsigned long)s->body_got,
			    (unsigned long)s->resp.len);
			return failed(s);
		}
		take = s->resp.len - s->body_got;
		take = n < take ? n : take;
		*body = p;
		*body_len = take;
		s->body_got += (uint32_t)take;
		p += take;
		n -= take;
		if (n == 0)
			return FETCH_MORE;	/* the end is yet to be seen */
	}
	if (n > 0) {
		sk_errorf(&s->err, EPROTO, "bad response: bytes after its end");
		return failed(s);
	}
	/* n was 0 from the start: the stream ended where the response did. */
	return end(s);
}
