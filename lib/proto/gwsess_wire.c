/* sekisho-gw's session interface (gwsess_wire.h). A decoder reads the
 * fields, checks each, encodes them again and compares: every byte the
 * layout does not use must be 0 and every message has one spelling. */
#include "lib/proto/gwsess_wire.h"

#include <errno.h>
#include <string.h>

#include "lib/encode.h"

enum kind { NAME, TEXT };

static int
str_ok(const char *s, size_t field, enum kind k, int empty_ok)
{
	size_t n = strnlen(s, field);

	if (n >= field || (n == 0 && !empty_ok))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			return 0;
		if (k == NAME && (c == ' ' || c == '"' || c == '\\'))
			return 0;
	}
	return 1;
}

static void
put_str(uint8_t *out, size_t field, const char *s)
{
	size_t n = strnlen(s, field - 1);

	memset(out, 0, field);
	memcpy(out, s, n);
}

/* The field as a string (always terminated); its checks come from encode. */
static void
get_str(char *dst, const uint8_t *in, size_t field)
{
	memcpy(dst, in, field);
	dst[field - 1] = '\0';
}

int
gws_move_split(const char *text, char *from, char *to)
{
	const char *sp = strchr(text, ' ');
	size_t n = strnlen(text, GWS_NAME_FIELD);

	if (sp == NULL || n >= GWS_NAME_FIELD || strchr(sp + 1, ' ') != NULL)
		return -EINVAL;
	memcpy(from, text, (size_t)(sp - text));
	from[sp - text] = '\0';
	memcpy(to, sp + 1, n - (size_t)(sp - text));
	if (!str_ok(from, GWS_NAME_FIELD, NAME, 0) || !str_ok(to, GWS_NAME_FIELD, NAME, 0) ||
	    strcmp(from, to) == 0)
		return -EINVAL;
	return 0;
}

int
gws_req_encode(uint8_t out[GWS_REQ_LEN], const struct gws_req *r)
{
	memset(out, 0, GWS_REQ_LEN);
	switch (r->type) {
	case GWS_OPEN:
		if (r->lifetime < 1 || r->lifetime > GWS_LIFETIME_MAX ||
		    !str_ok(r->device, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->text, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->factor, GWS_FACTOR_FIELD, NAME, 0))
			return -EINVAL;
		put_str(out + 88, GWS_NAME_FIELD, r->text);
		put_str(out + 168, GWS_FACTOR_FIELD, r->factor);
		break;
	case GWS_MOVE: {
		char from[GWS_NAME_FIELD], to[GWS_NAME_FIELD];

		if (r->lifetime < 1 || r->lifetime > GWS_LIFETIME_MAX ||
		    !str_ok(r->device, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->text, GWS_NAME_FIELD, TEXT, 0) ||
		    gws_move_split(r->text, from, to) != 0 ||
		    !str_ok(r->factor, GWS_FACTOR_FIELD, NAME, 0))
			return -EINVAL;
		put_str(out + 88, GWS_NAME_FIELD, r->text);
		put_str(out + 168, GWS_FACTOR_FIELD, r->factor);
		break;
	}
	case GWS_CLOSE:
		if (r->lifetime != 0 || !str_ok(r->device, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->text, GWS_NAME_FIELD, TEXT, 1) || r->factor[0] != '\0')
			return -EINVAL;
		put_str(out + 88, GWS_NAME_FIELD, r->text);
		break;
	case GWS_LIST:
	case GWS_STATUS:
	case GWS_SUMMARY:
		if (r->lifetime != 0 || r->device[0] || r->text[0] || r->factor[0])
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	out[0] = GWS_VERSION;
	out[1] = (uint8_t)r->type;
	be32_put(out + 4, r->lifetime);
	if (r->type == GWS_OPEN || r->type == GWS_CLOSE || r->type == GWS_MOVE)
		put_str(out + 8, GWS_NAME_FIELD, r->device);
	return 0;
}

int
gws_req_decode(const uint8_t *in, size_t len, struct gws_req *r, struct sk_error *err)
{
	uint8_t again[GWS_REQ_LEN];

	memset(r, 0, sizeof(*r));
	if (len != GWS_REQ_LEN)
		return sk_errorf(err, EINVAL, "session request of %zu bytes, not %d", len,
		    GWS_REQ_LEN);
	if (in[0] != GWS_VERSION)
		return sk_errorf(err, EINVAL, "session request of version %u, not %d", in[0],
		    GWS_VERSION);
	if (in[1] < GWS_OPEN || in[1] > GWS_MOVE)
		return sk_errorf(err, EINVAL, "session request of unknown type %u", in[1]);
	r->type = (enum gws_type)in[1];
	r->lifetime = be32_get(in + 4);
	get_str(r->device, in + 8, GWS_NAME_FIELD);
	get_str(r->text, in + 88, GWS_NAME_FIELD);
	get_str(r->factor, in + 168, GWS_FACTOR_FIELD);
	if (gws_req_encode(again, r) != 0 || memcmp(again, in, GWS_REQ_LEN) != 0) {
		memset(r, 0, sizeof(*r));
		return sk_errorf(err, EINVAL, "session request refused: a field out of bounds"
		    " or not zero (type %u)", in[1]);
	}
	return 0;
}

int
gws_rep_encode(uint8_t out[GWS_REP_LEN], const struct gws_rep *r)
{
	memset(out, 0, GWS_REP_LEN);
	out[0] = GWS_VERSION;
	out[1] = (uint8_t)r->type;
	switch (r->type) {
	case GWS_R_DONE:
		if (!str_ok(r->text, GWS_TEXT_FIELD, TEXT, 1) || r->status > 4095)
			return -EINVAL;
		be32_put(out + 4, r->status);
		put_str(out + 8, GWS_TEXT_FIELD, r->text);
		break;
	case GWS_R_SESSION:
		if (!str_ok(r->device, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->staff, GWS_NAME_FIELD, NAME, 0) ||
		    !str_ok(r->factor, GWS_FACTOR_FIELD, NAME, 0) || r->opened < 0 ||
		    r->expires < 0)
			return -EINVAL;
		put_str(out + 8, GWS_NAME_FIELD, r->device);
		put_str(out + 88, GWS_NAME_FIELD, r->staff);
		put_str(out + 168, GWS_FACTOR_FIELD, r->factor);
		be64_put(out + 184, (uint64_t)r->opened);
		be64_put(out + 192, (uint64_t)r->expires);
		break;
	case GWS_R_PEER:
		if (!str_ok(r->device, GWS_NAME_FIELD, NAME, 0) || r->stage < 1 ||
		    r->stage > 2 || r->expires < 0 || r->handshake < 0 ||
		    (r->stage == 1) != (r->expires == 0))
			return -EINVAL;
		put_str(out + 8, GWS_NAME_FIELD, r->device);
		memcpy(out + 88, &r->addr.s_addr, 4);
		out[92] = r->stage;
		be16_put(out + 94, r->group);
		be64_put(out + 96, (uint64_t)r->expires);
		be64_put(out + 104, (uint64_t)r->handshake);
		be64_put(out + 112, r->rx);
		be64_put(out + 120, r->tx);
		break;
	case GWS_R_SUMMARY:
		if (r->connected > 1 || r->last_sync < 0 || r->started < 0 ||
		    !str_ok(r->ifname, sizeof(r->ifname), NAME, 1) ||
		    !str_ok(r->backend, sizeof(r->backend), NAME, 1) ||
		    !str_ok(r->registry, sizeof(r->registry), TEXT, 1))
			return -EINVAL;
		be64_put(out + 8, r->peers);
		be64_put(out + 16, r->stage2);
		be64_put(out + 24, r->skipped);
		be64_put(out + 32, r->seq);
		be64_put(out + 40, (uint64_t)r->last_sync);
		be64_put(out + 48, (uint64_t)r->started);
		out[56] = r->connected;
		be16_put(out + 58, r->group);
		put_str(out + 60, 16, r->ifname);
		put_str(out + 76, 16, r->backend);
		put_str(out + 92, 64, r->registry);
		be64_put(out + 156, r->change_us);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int
gws_rep_decode(const uint8_t *in, size_t len, struct gws_rep *r, struct sk_error *err)
{
	uint8_t again[GWS_REP_LEN];

	memset(r, 0, sizeof(*r));
	if (len != GWS_REP_LEN)
		return sk_errorf(err, EINVAL, "session reply of %zu bytes, not %d", len,
		    GWS_REP_LEN);
	if (in[0] != GWS_VERSION)
		return sk_errorf(err, EINVAL, "session reply of version %u, not %d", in[0],
		    GWS_VERSION);
	r->type = (enum gws_rtype)in[1];
	switch (r->type) {
	case GWS_R_DONE:
		r->status = be32_get(in + 4);
		get_str(r->text, in + 8, GWS_TEXT_FIELD);
		break;
	case GWS_R_SESSION:
		get_str(r->device, in + 8, GWS_NAME_FIELD);
		get_str(r->staff, in + 88, GWS_NAME_FIELD);
		get_str(r->factor, in + 168, GWS_FACTOR_FIELD);
		r->opened = (int64_t)be64_get(in + 184);
		r->expires = (int64_t)be64_get(in + 192);
		break;
	case GWS_R_PEER:
		get_str(r->device, in + 8, GWS_NAME_FIELD);
		memcpy(&r->addr.s_addr, in + 88, 4);
		r->stage = in[92];
		r->group = be16_get(in + 94);
		r->expires = (int64_t)be64_get(in + 96);
		r->handshake = (int64_t)be64_get(in + 104);
		r->rx = be64_get(in + 112);
		r->tx = be64_get(in + 120);
		break;
	case GWS_R_SUMMARY:
		r->peers = be64_get(in + 8);
		r->stage2 = be64_get(in + 16);
		r->skipped = be64_get(in + 24);
		r->seq = be64_get(in + 32);
		r->last_sync = (int64_t)be64_get(in + 40);
		r->started = (int64_t)be64_get(in + 48);
		r->connected = in[56];
		r->group = be16_get(in + 58);
		get_str(r->ifname, in + 60, 16);
		get_str(r->backend, in + 76, 16);
		get_str(r->registry, in + 92, 64);
		r->change_us = be64_get(in + 156);
		break;
	default:
		return sk_errorf(err, EINVAL, "session reply of unknown type %u", in[1]);
	}
	if (gws_rep_encode(again, r) != 0 || memcmp(again, in, GWS_REP_LEN) != 0) {
		memset(r, 0, sizeof(*r));
		return sk_errorf(err, EINVAL, "session reply refused: a field out of bounds"
		    " or not zero (type %u)", in[1]);
	}
	return 0;
}
