#include "lib/proto/control_wire.h"

#include <errno.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/ifname.h"

/* No %zu here: the Windows agent links this file, and mingw's checker
 * takes sk_errorf's format as Microsoft's printf. */

_Static_assert(CTL_RESP_HDR_LEN == CTL_MAGIC_LEN + 1 + 1 + 4, "header length");

static const char *const requests[] = {
	[CTL_STATUS] = "status\n",
	[CTL_STATUS_JSON] = "status json\n",
	[CTL_RELOAD] = "reload\n",
};

#define PREFER		"prefer "
#define PREFER_LEN	(sizeof(PREFER) - 1)
#define PREFER_AUTO	"auto"

int
ctl_parse_req(const char *buf, size_t len, struct ctl_req *req)
{
	char name[CTL_IFNAME_MAX + 2];
	size_t n;

	if (len > CTL_MAX_LINE)
		return -EMSGSIZE;
	if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len) != buf + len - 1)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (len == strlen(requests[i]) && memcmp(buf, requests[i], len) == 0) {
			req->cmd = (enum ctl_cmd)i;
			return 0;
		}
	/* "prefer NAME\n": the name between the one space and the newline,
	 * no NUL in it, and a name lib/ifname.h takes. */
	if (len <= PREFER_LEN + 1 || memcmp(buf, PREFER, PREFER_LEN) != 0)
		return -EINVAL;
	n = len - PREFER_LEN - 1;
	if (n > CTL_IFNAME_MAX || memchr(buf + PREFER_LEN, '\0', n) != NULL)
		return -EINVAL;
	memcpy(name, buf + PREFER_LEN, n);
	name[n] = '\0';
	if (!ifname_valid(name))
		return -EINVAL;
	req->cmd = CTL_PREFER;
	if (strcmp(name, PREFER_AUTO) != 0)
		memcpy(req->uplink, name, n + 1);
	return 0;
}

int
ctl_parse(const char *buf, size_t len, enum ctl_cmd *cmd)
{
	struct ctl_req req;
	int rc;

	if ((rc = ctl_parse_req(buf, len, &req)) != 0)
		return rc;
	if (req.cmd == CTL_PREFER)
		return -EINVAL;
	*cmd = req.cmd;
	return 0;
}

int
ctl_prefer_request(char out[CTL_MAX_LINE + 1], const char *uplink)
{
	const char *name = uplink == NULL || uplink[0] == '\0' ? PREFER_AUTO : uplink;
	size_t n;

	if (!ifname_valid(name))
		return -EINVAL;
	n = strlen(name);
	memcpy(out, PREFER, PREFER_LEN);
	memcpy(out + PREFER_LEN, name, n);
	out[PREFER_LEN + n] = '\n';
	out[PREFER_LEN + n + 1] = '\0';
	return (int)(PREFER_LEN + n + 1);
}

const char *
ctl_request(enum ctl_cmd cmd)
{
	return requests[cmd];
}

const char *
ctl_mode_name(uint8_t m)
{
	switch (m) {
	case CTL_MODE_BLOCKED:
		return "blocked";
	case CTL_MODE_REMOTE:
		return "remote";
	case CTL_MODE_OFFICE:
		return "office";
	}
	return "?";
}

const char *
ctl_office_name(uint8_t o)
{
	switch (o) {
	case CTL_OFFICE_UNPROBED:
		return "unprobed";
	case CTL_OFFICE_PROBING:
		return "probing";
	case CTL_OFFICE_VERIFIED:
		return "office";
	case CTL_OFFICE_NO:
		return "not-office";
	}
	return "?";
}

/* ---- the header and text payloads --------------------------------------- */

void
ctl_header_encode(uint8_t out[CTL_RESP_HDR_LEN], uint8_t type, uint32_t len)
{
	memcpy(out, CTL_RESP_MAGIC, CTL_MAGIC_LEN);
	out[4] = CTL_VERSION;
	out[5] = type;
	be32_put(out + 6, len);
}

int
ctl_header_decode(const uint8_t in[CTL_RESP_HDR_LEN], uint8_t *type, uint32_t *len,
    struct sk_error *err)
{
	uint32_t n;

	if (memcmp(in, CTL_RESP_MAGIC, CTL_MAGIC_LEN) != 0)
		return sk_errorf(err, EINVAL, "bad magic, expected \"%s\"", CTL_RESP_MAGIC);
	if (in[4] != CTL_VERSION)
		return sk_errorf(err, EINVAL, "unsupported version %u, this build speaks "
		    "version %u", in[4], CTL_VERSION);
	if (in[5] < CTL_T_STATUS || in[5] > CTL_T_ERROR)
		return sk_errorf(err, EINVAL, "unknown response type %u", in[5]);
	n = be32_get(in + 6);
	if (in[5] == CTL_T_STATUS && n > CTL_PAYLOAD_MAX)
		return sk_errorf(err, EINVAL, "status of %lu bytes, at most %u", (unsigned long)n,
		    CTL_PAYLOAD_MAX);
	if (in[5] != CTL_T_STATUS && (n == 0 || n > CTL_LINE_MAX))
		return sk_errorf(err, EINVAL, "line of %lu bytes, expected 1 to %u",
		    (unsigned long)n, CTL_LINE_MAX);
	*type = in[5];
	*len = n;
	return 0;
}

int
ctl_line_check(const uint8_t *in, size_t len, struct sk_error *err)
{
	if (len == 0 || len > CTL_LINE_MAX)
		return sk_errorf(err, EINVAL, "line of %lu bytes, expected 1 to %u", (unsigned long)len,
		    CTL_LINE_MAX);
	if (memchr(in, '\0', len) != NULL)
		return sk_errorf(err, EINVAL, "NUL in a line");
	if (in[len - 1] != '\n' || memchr(in, '\n', len) != in + len - 1)
		return sk_errorf(err, EINVAL, "not one line ending in a newline");
	return 0;
}

/* ---- the status payload -------------------------------------------------- */

struct wr {
	uint8_t	*p;
	size_t	 len, cap;
	int	 bad;
};

static void
put(struct wr *w, const void *p, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void
put8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void
put32(struct wr *w, uint32_t v)
{
	uint8_t b[4];

	be32_put(b, v);
	put(w, b, 4);
}

static void
put64(struct wr *w, uint64_t v)
{
	uint8_t b[8];

	be64_put(b, v);
	put(w, b, 8);
}

static void
put_str(struct wr *w, const char *s, size_t max)
{
	size_t n = strlen(s);
	uint8_t b[2];

	if (n > max) {
		w->bad = 1;
		return;
	}
	be16_put(b, (uint16_t)n);
	put(w, b, 2);
	put(w, s, n);
}

long
ctl_status_encode(uint8_t *out, size_t cap, const struct ctl_status *s)
{
	struct wr w = { out, 0, cap, 0 };

	if (s->n_uplinks > CTL_MAX_UPLINKS)	/* every flags byte is one (CTL_S_ALL) */
		return -EMSGSIZE;
	put8(&w, s->mode);
	put8(&w, s->flags);
	put64(&w, s->since_ms);
	put64(&w, s->serial);
	put8(&w, s->active);
	put8(&w, s->n_uplinks);
	put8(&w, s->n_gateways);
	put8(&w, s->gateway_pos);
	put_str(&w, s->reason, CTL_REASON_MAX);
	put_str(&w, s->policy_path, CTL_PATH_MAX);
	put_str(&w, s->tunnel_if, CTL_IFNAME_MAX);
	put_str(&w, s->gateway, CTL_NAME_MAX);
	if (s->flags & CTL_S_FAILOVER) {
		put_str(&w, s->gateway_from, CTL_NAME_MAX);
		put_str(&w, s->gateway_why, CTL_NAME_MAX);
	}
	for (size_t i = 0; i < s->n_uplinks; i++) {
		const struct ctl_uplink *u = &s->uplinks[i];

		put_str(&w, u->name, CTL_IFNAME_MAX);
		put8(&w, u->flags);
		put8(&w, u->office);
		put32(&w, u->priority);
		put(&w, u->addr, 4);
		put8(&w, u->plen);
		put(&w, u->gw, 4);
		put64(&w, u->verified_age_ms);
		put_str(&w, u->beacon, CTL_BEACON_MAX);
	}
	if (s->flags & CTL_S_TUNNEL) {
		put_str(&w, s->tunnel.peer, CTL_KEY_B64_MAX);
		put_str(&w, s->tunnel.endpoint, CTL_NAME_MAX);
		put64(&w, (uint64_t)s->tunnel.handshake_age_s);
		put64(&w, s->tunnel.rx_bytes);
		put64(&w, s->tunnel.tx_bytes);
	}
	if (s->flags & CTL_S_FETCH) {
		put_str(&w, s->fetch.server, CTL_NAME_MAX);
		put32(&w, s->fetch.interval_s);
		put8(&w, s->fetch.running);
		put64(&w, (uint64_t)s->fetch.next_s);
		put64(&w, (uint64_t)s->fetch.last);
		put64(&w, (uint64_t)s->fetch.last_age_s);
		put_str(&w, s->fetch.result, CTL_RESULT_MAX);
	}
	if (s->flags & CTL_S_PREFER) {
		if (!ifname_valid(s->prefer))
			return -EMSGSIZE;
		put_str(&w, s->prefer, CTL_IFNAME_MAX);
	}
	if (s->flags & CTL_S_BUNDLE) {
		put64(&w, (uint64_t)s->bundle.signed_at);
		put32(&w, s->bundle.max_age_s);
		put8(&w, s->bundle.by_statement);
		put8(&w, s->bundle.expired);
		put64(&w, (uint64_t)s->bundle.age_s);
		put64(&w, (uint64_t)s->bundle.left_s);
	}
	if (s->flags & CTL_S_PRESENCE) {
		put8(&w, s->presence);
		put8(&w, s->presence_s);
	}
	if (w.bad || w.len > CTL_PAYLOAD_MAX)
		return -EMSGSIZE;
	return (long)w.len;
}

struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	struct sk_error	*err;
	int		 bad;
};

/* The first failure is the one reported; later reads return zeros. */
static const uint8_t *
take(struct rd *r, size_t n, const char *what)
{
	static const uint8_t zero[8];

	if (r->bad)
		return zero;
	if (n > r->len - r->off) {
		r->bad = sk_errorf(r->err, EINVAL, "truncated status: %s at byte %lu of %lu",
		    what, (unsigned long)r->off, (unsigned long)r->len);
		return zero;
	}
	r->off += n;
	return r->p + r->off - n;
}

static uint8_t
get8(struct rd *r, const char *what)
{
	return take(r, 1, what)[0];
}

static uint32_t
get32(struct rd *r, const char *what)
{
	return be32_get(take(r, 4, what));
}

static uint64_t
get64(struct rd *r, const char *what)
{
	return be64_get(take(r, 8, what));
}

/* A signed 64-bit field that must be at least min (-1 or 0). */
static int64_t
get_s64(struct rd *r, int64_t min, const char *what)
{
	uint64_t v = get64(r, what);
	int64_t s = v > (uint64_t)INT64_MAX ? -(int64_t)(~v) - 1 : (int64_t)v;

	if (!r->bad && s < min)
		r->bad = sk_errorf(r->err, EINVAL, "%s %lld out of range", what, (long long)s);
	return r->bad ? 0 : s;
}

/* Into dst of max + 1 bytes, NUL-terminated. */
static void
get_str(struct rd *r, char *dst, size_t max, const char *what)
{
	uint16_t n;
	const uint8_t *p;

	dst[0] = '\0';
	n = be16_get(take(r, 2, what));
	if (r->bad)
		return;
	if (n > max) {
		r->bad = sk_errorf(r->err, EINVAL, "%s of %u bytes, at most %lu", what, n,
		    (unsigned long)max);
		return;
	}
	p = take(r, n, what);
	if (r->bad)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->bad = sk_errorf(r->err, EINVAL, "NUL in %s", what);
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void
check(struct rd *r, int ok, const char *what)
{
	if (!r->bad && !ok)
		r->bad = sk_errorf(r->err, EINVAL, "%s", what);
}

static void
get_uplink(struct rd *r, struct ctl_uplink *u, int work)
{
	static const uint8_t none[4];

	get_str(r, u->name, CTL_IFNAME_MAX, "uplink name");
	check(r, u->name[0] != '\0', "empty uplink name");
	u->flags = get8(r, "uplink flags");
	check(r, !(u->flags & ~CTL_U_ALL), "unknown uplink flags");
	u->office = get8(r, "office state");
	check(r, u->office <= CTL_OFFICE_NO, "unknown office state");
	u->priority = get32(r, "priority");
	memcpy(u->addr, take(r, 4, "address"), 4);
	u->plen = get8(r, "prefix length");
	check(r, u->plen <= 32, "prefix length above 32");
	check(r, (u->flags & CTL_U_ADDR) || (memcmp(u->addr, none, 4) == 0 && u->plen == 0),
	    "an address without its flag");
	memcpy(u->gw, take(r, 4, "gateway"), 4);
	check(r, (u->flags & CTL_U_GW) || memcmp(u->gw, none, 4) == 0,
	    "a gateway without its flag");
	u->verified_age_ms = get64(r, "verified age");
	get_str(r, u->beacon, CTL_BEACON_MAX, "beacon");
	if (work)
		check(r, u->beacon[0] == '\0' && u->verified_age_ms == 0 &&
		    memcmp(u->addr, none, 4) == 0 && u->plen == 0 && memcmp(u->gw, none, 4) == 0,
		    "an address, gateway or beacon in the work partition's status");
	else if (u->office == CTL_OFFICE_VERIFIED)
		check(r, u->beacon[0] != '\0', "a verified uplink without its beacon");
	else
		check(r, u->beacon[0] == '\0' && u->verified_age_ms == 0,
		    "a beacon on an uplink not verified");
}

/* CTL_S_WORK: nothing the work partition may not see (control_wire.h). */
static void
check_work(struct rd *r, const struct ctl_status *s)
{
	check(r, s->serial == 0 && s->n_gateways == 0 && s->reason[0] == '\0' &&
	    s->policy_path[0] == '\0' && s->tunnel_if[0] == '\0' && s->gateway[0] == '\0' &&
	    !(s->flags & (CTL_S_FAILOVER | CTL_S_FETCH | CTL_S_BUNDLE)) &&
	    s->tunnel.peer[0] == '\0' && s->tunnel.endpoint[0] == '\0' &&
	    s->tunnel.rx_bytes == 0 && s->tunnel.tx_bytes == 0,
	    "the work partition's status carries what it may not see");
}

int
ctl_status_decode(const uint8_t *in, size_t len, struct ctl_status *out,
    struct sk_error *err)
{
	struct ctl_status s;
	struct rd r = { in, len, 0, err, 0 };

	memset(&s, 0, sizeof(s));
	if (len > CTL_PAYLOAD_MAX)
		return sk_errorf(err, EINVAL, "status of %lu bytes, at most %u", (unsigned long)len,
		    CTL_PAYLOAD_MAX);
	s.mode = get8(&r, "mode");
	check(&r, s.mode <= CTL_MODE_OFFICE, "unknown mode");
	s.flags = get8(&r, "flags");	/* all eight bits are assigned (CTL_S_ALL) */
	s.since_ms = get64(&r, "since");
	s.serial = get64(&r, "serial");
	check(&r, s.serial <= CTL_SERIAL_MAX, "serial out of range");
	s.active = get8(&r, "active uplink");
	s.n_uplinks = get8(&r, "uplink count");
	check(&r, s.n_uplinks <= CTL_MAX_UPLINKS, "too many uplinks");
	check(&r, s.active <= s.n_uplinks, "active uplink out of range");
	s.n_gateways = get8(&r, "gateway count");
	s.gateway_pos = get8(&r, "gateway position");
	check(&r, s.n_gateways <= CTL_MAX_GATEWAYS, "too many gateways");
	check(&r, s.n_gateways == 0 ? s.gateway_pos == 0 :
	    s.gateway_pos >= 1 && s.gateway_pos <= s.n_gateways, "gateway position out of range");
	check(&r, s.n_gateways > 0 || !(s.flags & CTL_S_FAILOVER),
	    "a failover without gateways");
	get_str(&r, s.reason, CTL_REASON_MAX, "reason");
	get_str(&r, s.policy_path, CTL_PATH_MAX, "policy path");
	get_str(&r, s.tunnel_if, CTL_IFNAME_MAX, "tunnel interface");
	get_str(&r, s.gateway, CTL_NAME_MAX, "gateway");
	if (s.flags & CTL_S_FAILOVER) {
		get_str(&r, s.gateway_from, CTL_NAME_MAX, "failover from");
		get_str(&r, s.gateway_why, CTL_NAME_MAX, "failover why");
	}
	for (size_t i = 0; i < s.n_uplinks && !r.bad; i++)
		get_uplink(&r, &s.uplinks[i], (s.flags & CTL_S_WORK) != 0);
	if (s.flags & CTL_S_TUNNEL) {
		get_str(&r, s.tunnel.peer, CTL_KEY_B64_MAX, "peer");
		get_str(&r, s.tunnel.endpoint, CTL_NAME_MAX, "endpoint");
		s.tunnel.handshake_age_s = get_s64(&r, -1, "handshake age");
		s.tunnel.rx_bytes = get64(&r, "bytes received");
		s.tunnel.tx_bytes = get64(&r, "bytes sent");
	}
	if (s.flags & CTL_S_FETCH) {
		get_str(&r, s.fetch.server, CTL_NAME_MAX, "fetch server");
		s.fetch.interval_s = get32(&r, "fetch interval");
		s.fetch.running = get8(&r, "fetch running");
		check(&r, s.fetch.running <= 1, "fetch running not 0 or 1");
		s.fetch.next_s = get_s64(&r, -1, "next fetch");
		s.fetch.last = get_s64(&r, 0, "last fetch");
		s.fetch.last_age_s = get_s64(&r, 0, "last fetch age");
		get_str(&r, s.fetch.result, CTL_RESULT_MAX, "fetch result");
		check(&r, s.fetch.last != 0 || (s.fetch.last_age_s == 0 &&
		    s.fetch.result[0] == '\0'), "a fetch result without a fetch");
	}
	if (s.flags & CTL_S_PREFER) {
		get_str(&r, s.prefer, CTL_IFNAME_MAX, "preferred uplink");
		check(&r, ifname_valid(s.prefer), "preferred uplink not an interface name");
	}
	if (s.flags & CTL_S_BUNDLE) {
		s.bundle.signed_at = get_s64(&r, 0, "signed time");
		s.bundle.max_age_s = get32(&r, "max age");
		s.bundle.by_statement = get8(&r, "by statement");
		check(&r, s.bundle.by_statement <= 1, "by statement not 0 or 1");
		s.bundle.expired = get8(&r, "expired");
		check(&r, s.bundle.expired <= 1, "expired not 0 or 1");
		s.bundle.age_s = get_s64(&r, 0, "bundle age");
		s.bundle.left_s = get_s64(&r, -1, "bundle expiry");
		check(&r, s.bundle.max_age_s != 0 || (s.bundle.left_s == -1 &&
		    !s.bundle.expired), "a bundle without a max age that expires");
		check(&r, !s.bundle.expired || s.bundle.left_s == 0,
		    "an expired bundle with time left");
	}
	if (s.flags & CTL_S_PRESENCE) {
		s.presence = get8(&r, "presence factor");
		check(&r, s.presence == CTL_PRES_CARD || s.presence == CTL_PRES_FACE,
		    "unknown presence factor");
		s.presence_s = get8(&r, "presence period");
		check(&r, s.presence_s >= CTL_PRES_PERIOD_MIN &&
		    s.presence_s <= CTL_PRES_PERIOD_MAX, "presence period out of range");
	}
	if (s.flags & CTL_S_WORK)
		check_work(&r, &s);
	if (r.bad)
		return -EINVAL;
	if (r.off != len)
		return sk_errorf(err, EINVAL, "%lu bytes after the status",
		    (unsigned long)(len - r.off));
	memcpy(out, &s, sizeof(s));
	return 0;
}
