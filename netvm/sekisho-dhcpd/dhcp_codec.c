#include "netvm/sekisho-dhcpd/dhcp_codec.h"

#include <string.h>

/* ---- DHCPv4 ---- */

#define BOOTP_LEN	236
#define COOKIE_OFF	236
#define OPTS_OFF	240
static const uint8_t cookie[4] = { 99, 130, 83, 99 };

enum { DISCOVER = 1, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM };

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Appends option code with n bytes of v at *off (bounds: the caller's
 * options all fit in DHCP4_MAX). */
static void
opt4(uint8_t *out, size_t *off, uint8_t code, const void *v, uint8_t n)
{
	out[(*off)++] = code;
	out[(*off)++] = n;
	memcpy(out + *off, v, n);
	*off += n;
}

struct req4 {
	int		 type;
	int		 has_req, has_sid;
	struct in_addr	 req, sid;
};

static int
parse_opts4(const uint8_t *in, size_t len, struct req4 *r)
{
	size_t i = OPTS_OFF;

	memset(r, 0, sizeof(*r));
	while (i < len) {
		uint8_t code = in[i++], n;

		if (code == 0)
			continue;
		if (code == 255)
			break;
		if (i >= len)
			return -1;
		n = in[i++];
		if (n > len - i)
			return -1;
		switch (code) {
		case 53:
			if (n != 1 || r->type != 0)
				return -1;
			r->type = in[i];
			break;
		case 50:
			if (n != 4)
				return -1;
			memcpy(&r->req, in + i, 4);
			r->has_req = 1;
			break;
		case 54:
			if (n != 4)
				return -1;
			memcpy(&r->sid, in + i, 4);
			r->has_sid = 1;
			break;
		}
		i += n;
	}
	return r->type >= DISCOVER && r->type <= INFORM ? 0 : -1;
}

int
dhcp4_answer(const struct dhcpd_conf *c, const uint8_t *in, size_t len,
    uint8_t *out, struct dhcp4_dest *dest)
{
	struct in_addr ciaddr, giaddr, yiaddr = { 0 };
	struct req4 r;
	uint8_t type, t;
	uint32_t v;
	size_t off;

	if (len < OPTS_OFF || len > DHCP4_MAX || in[0] != 1 || in[1] != 1 ||
	    in[2] != 6 || memcmp(in + COOKIE_OFF, cookie, 4) != 0 ||
	    parse_opts4(in, len, &r) < 0)
		return -1;
	memcpy(&ciaddr, in + 12, 4);
	memcpy(&giaddr, in + 24, 4);
	if (giaddr.s_addr != 0)		/* relayed: not from the work link */
		return 0;
	switch (r.type) {
	case DISCOVER:
		type = OFFER;
		yiaddr = c->addr;
		break;
	case REQUEST:
		if (r.has_sid && r.sid.s_addr != c->router.s_addr)
			return 0;	/* the client chose another server */
		t = (r.has_req ? r.req : ciaddr).s_addr == c->addr.s_addr;
		type = t ? ACK : NAK;
		if (t)
			yiaddr = c->addr;
		break;
	case INFORM:
		if (ciaddr.s_addr == 0)
			return 0;
		type = ACK;
		break;
	default:		/* RELEASE, DECLINE: nothing to answer */
		return 0;
	}
	memset(out, 0, OPTS_OFF);
	out[0] = 2;
	out[1] = 1;
	out[2] = 6;
	memcpy(out + 4, in + 4, 4);		/* xid */
	memcpy(out + 10, in + 10, 2);		/* flags */
	if (type != NAK)
		memcpy(out + 12, in + 12, 4);	/* ciaddr */
	memcpy(out + 16, &yiaddr, 4);
	memcpy(out + 28, in + 28, 16);		/* chaddr */
	memcpy(out + COOKIE_OFF, cookie, 4);
	off = OPTS_OFF;
	opt4(out, &off, 53, &type, 1);
	opt4(out, &off, 54, &c->router, 4);
	if (type != NAK) {
		if (r.type != INFORM) {
			uint8_t b[4];

			put32(b, c->lease);
			opt4(out, &off, 51, b, 4);
			put32(b, c->lease / 2);
			opt4(out, &off, 58, b, 4);
			v = (uint32_t)((uint64_t)c->lease * 7 / 8);
			put32(b, v);
			opt4(out, &off, 59, b, 4);
		}
		opt4(out, &off, 1, &c->mask, 4);
		opt4(out, &off, 3, &c->router, 4);
		opt4(out, &off, 6, &c->router, 4);
	}
	out[off++] = 255;
	while (off < 300)	/* BOOTP's minimum, which some clients want */
		out[off++] = 0;
	/* RFC 2131 4.1: a configured client by unicast, a NAK or a client
	 * asking for it by broadcast, else to the address being offered. */
	memset(dest, 0, sizeof(*dest));
	memcpy(dest->mac, in + 28, 6);
	if (type != NAK && ciaddr.s_addr != 0)
		dest->ip = ciaddr;
	else if (type == NAK || (in[10] & 0x80))
		dest->broadcast = 1;
	else
		dest->ip = yiaddr;
	return (int)off;
}

/* ---- DHCPv6 ---- */

enum { SOLICIT = 1, ADVERTISE, REQUEST6, CONFIRM, RENEW, REBIND, REPLY, RELEASE6,
	DECLINE6, INFO_REQUEST = 11 };
enum { O_CLIENTID = 1, O_SERVERID, O_IA_NA, O_IAADDR = 5, O_STATUS = 13,
	O_DNS = 23 };

struct req6 {
	int		 type;
	const uint8_t	*cid, *sid, *iaid;
	uint16_t	 cid_len, sid_len;
};

static int
parse6(const uint8_t *in, size_t len, struct req6 *r)
{
	size_t i = 4;

	memset(r, 0, sizeof(*r));
	if (len < 4 || len > DHCP6_MAX)
		return -1;
	r->type = in[0];
	while (i < len) {
		uint16_t code, n;

		if (len - i < 4)
			return -1;
		code = get16(in + i);
		n = get16(in + i + 2);
		i += 4;
		if (n > len - i)
			return -1;
		switch (code) {
		case O_CLIENTID:
			if (r->cid != NULL || n == 0 || n > 130)
				return -1;
			r->cid = in + i;
			r->cid_len = n;
			break;
		case O_SERVERID:
			if (r->sid != NULL || n == 0 || n > 130)
				return -1;
			r->sid = in + i;
			r->sid_len = n;
			break;
		case O_IA_NA:
			if (n < 12)
				return -1;
			if (r->iaid == NULL)
				r->iaid = in + i;
			break;
		}
		i += n;
	}
	return 0;
}

static size_t
duid(const struct dhcpd_conf *c, uint8_t *p)
{
	put16(p, 3);		/* DUID-LL */
	put16(p + 2, 1);	/* Ethernet */
	memcpy(p + 4, c->mac, 6);
	return 10;
}

static void
opt6(uint8_t *out, size_t *off, uint16_t code, const void *v, uint16_t n)
{
	put16(out + *off, code);
	put16(out + *off + 2, n);
	memcpy(out + *off + 4, v, n);
	*off += 4 + (size_t)n;
}

int
dhcp6_answer(const struct dhcpd_conf *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t ours[10], ia[12 + 4 + 24], status[2] = { 0, 0 };
	int need_sid, no_sid, with_ia;
	struct req6 r;
	size_t off;

	if (!c->has_v6 || parse6(in, len, &r) < 0)
		return -1;
	switch (r.type) {
	case SOLICIT: case REBIND: case CONFIRM:
		need_sid = 0, no_sid = 1;
		break;
	case REQUEST6: case RENEW: case RELEASE6: case DECLINE6:
		need_sid = 1, no_sid = 0;
		break;
	case INFO_REQUEST:
		need_sid = 0, no_sid = 0;
		break;
	default:		/* server messages, relays: not ours */
		return 0;
	}
	duid(c, ours);
	if (r.cid == NULL && r.type != INFO_REQUEST)
		return 0;
	if ((need_sid && r.sid == NULL) || (no_sid && r.sid != NULL) ||
	    (r.sid != NULL && (r.sid_len != sizeof(ours) ||
	    memcmp(r.sid, ours, sizeof(ours)) != 0)))
		return 0;
	out[0] = r.type == SOLICIT ? ADVERTISE : REPLY;
	memcpy(out + 1, in + 1, 3);		/* transaction id */
	off = 4;
	if (r.cid != NULL)
		opt6(out, &off, O_CLIENTID, r.cid, r.cid_len);
	opt6(out, &off, O_SERVERID, ours, sizeof(ours));
	with_ia = r.iaid != NULL && (r.type == SOLICIT || r.type == REQUEST6 ||
	    r.type == RENEW || r.type == REBIND);
	if (with_ia) {
		memcpy(ia, r.iaid, 4);
		put32(ia + 4, c->lease / 2);
		put32(ia + 8, (uint32_t)((uint64_t)c->lease * 4 / 5));
		put16(ia + 12, O_IAADDR);
		put16(ia + 14, 24);
		memcpy(ia + 16, &c->addr6, 16);
		put32(ia + 32, c->lease);
		put32(ia + 36, c->lease);
		opt6(out, &off, O_IA_NA, ia, sizeof(ia));
	} else if (r.type != INFO_REQUEST && r.type != SOLICIT) {
		opt6(out, &off, O_STATUS, status, sizeof(status));	/* Success */
	}
	if (r.type != RELEASE6 && r.type != DECLINE6)
		opt6(out, &off, O_DNS, &c->router6, 16);
	return (int)off;
}

/* ---- router advertisement ---- */

size_t
ra_build(const struct dhcpd_conf *c, uint8_t *out)
{
	struct in6_addr prefix = c->addr6;
	size_t off = 16;

	memset(out, 0, 64);
	out[0] = 134;
	out[4] = 64;			/* current hop limit */
	out[5] = 0x80 | 0x40;		/* managed, other configuration */
	/* Router lifetime 0: not a default router, as dnsmasq advertised it
	 * here (it offers 1800 only when the netvm itself has an IPv6 default
	 * route in its main table, which it never has: the modes route in
	 * their own tables). Work's routes stay what they were. */
	put16(out + 6, 0);
	out[off] = 1;			/* source link-layer address */
	out[off + 1] = 1;
	memcpy(out + off + 2, c->mac, 6);
	off += 8;
	for (unsigned int b = c->plen6; b < 128; b++)
		prefix.s6_addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	out[off] = 3;			/* prefix information */
	out[off + 1] = 4;
	out[off + 2] = (uint8_t)c->plen6;
	out[off + 3] = 0x80;		/* on-link; addresses from DHCPv6 only */
	put32(out + off + 4, c->lease);
	put32(out + off + 8, c->lease);
	memcpy(out + off + 16, &prefix, 16);
	return off + 32;
}
