#include "netvm/sekishod/engmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>

#include "lib/encode.h"
#include "lib/ifname.h"
#include "lib/proto/fetch_helper.h"
#include "policy/bundle.h"

/*
 * One function per struct serves both directions: encoding writes each
 * field at the cursor, decoding reads it back and checks its range. The
 * first field out of range ends decoding with one line naming it.
 */
struct cur {
	uint8_t		*w;	/* encoding into, or NULL */
	const uint8_t	*r;	/* decoding from */
	size_t		 off;
	struct sk_error	*err;
	int		 bad;
};

static int
refuse(struct cur *c, const char *what, const char *why)
{
	if (!c->bad)
		sk_errorf(c->err, EINVAL, "%s at byte %zu: %s", what, c->off, why);
	c->bad = 1;
	return -1;
}

static uint64_t
get_be(struct cur *c, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | c->r[c->off + i];
	c->off += n;
	return v;
}

static void
put_be(struct cur *c, uint64_t v, size_t n)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		c->w[c->off + i] = (uint8_t)v;
	c->off += n;
}

/* An unsigned field of n bytes, at most max. */
static void
f_uint(struct cur *c, uint64_t *v, size_t n, uint64_t max, const char *what)
{
	size_t at = c->off;
	uint64_t x;

	if (c->bad)
		return;
	if (c->w != NULL) {
		put_be(c, *v, n);
		return;
	}
	if ((x = get_be(c, n)) > max) {
		c->off = at;
		refuse(c, what, "out of range");
		return;
	}
	*v = x;
}

#define FIELD(c, lval, n, max, what) do {				\
	uint64_t v_ = (uint64_t)(lval);					\
	f_uint((c), &v_, (n), (max), (what));				\
	if ((c)->w == NULL && !(c)->bad)				\
		(lval) = (__typeof__(lval))v_;				\
} while (0)

static void
f_bytes(struct cur *c, void *p, size_t n)
{
	if (c->bad)
		return;
	if (c->w != NULL)
		memcpy(c->w + c->off, p, n);
	else
		memcpy(p, c->r + c->off, n);
	c->off += n;
}

static void
f_addr(struct cur *c, struct in_addr *a)
{
	f_bytes(c, &a->s_addr, 4);	/* as on the wire */
}

/* A NUL-terminated string in a field of n bytes, NUL-padded: an interface
 * name (valid or empty) or printable text. */
static void
f_str(struct cur *c, char *s, size_t n, int ifname, const char *what)
{
	size_t at = c->off, len;

	if (c->bad)
		return;
	if (c->w != NULL) {
		len = strnlen(s, n - 1);
		memset(c->w + c->off, 0, n);
		memcpy(c->w + c->off, s, len);
		c->off += n;
		return;
	}
	len = strnlen((const char *)c->r + at, n);
	if (len == n)
		return (void)refuse(c, what, "not NUL-terminated");
	for (size_t i = len; i < n; i++)
		if (c->r[at + i] != 0)
			return (void)refuse(c, what, "not NUL-padded");
	for (size_t i = 0; i < len; i++)
		if (c->r[at + i] < 0x20 || c->r[at + i] > 0x7e)
			return (void)refuse(c, what, "not printable");
	memcpy(s, c->r + at, n);
	if (ifname && len > 0 && !ifname_valid(s))
		return (void)refuse(c, what, "not an interface name");
	c->off += n;
}

#define BOOL(c, lval, what)	FIELD(c, lval, 1, 1, what)
#define IFX(c, lval, what)	FIELD(c, lval, 4, INT32_MAX, what)

static void
f_event(struct cur *c, struct event *e)
{
	FIELD(c, e->type, 4, EV_PREFER, "event type");
	IFX(c, e->ifindex, "event ifindex");
	f_str(c, e->name, sizeof(e->name), 1, "event name");
	FIELD(c, e->priority, 4, UINT32_MAX, "event priority");
	FIELD(c, e->carrier, 4, 1, "event carrier");
	FIELD(c, e->carrier_changes, 4, UINT32_MAX, "event carrier changes");
	f_addr(c, &e->addr);
	FIELD(c, e->plen, 1, 32, "event prefix length");
	f_addr(c, &e->gw);
	f_str(c, e->beacon, sizeof(e->beacon), 0, "event beacon");
	BOOL(c, e->has_lladdr, "event has_lladdr");
	f_bytes(c, e->lladdr, ENGINE_MAC_LEN);
	FIELD(c, e->age_ms, 8, UINT64_MAX, "event age");
	BOOL(c, e->has_first, "event has_first");
	FIELD(c, e->first_age_ms, 8, UINT64_MAX, "event first age");
	FIELD(c, e->rx_age_ms, 8, UINT64_MAX, "event rx age");
	BOOL(c, e->echo, "event echo");
	FIELD(c, e->echo_age_ms, 8, UINT64_MAX, "event echo age");
	FIELD(c, e->now_ms, 8, UINT64_MAX, "event time");
	FIELD(c, e->rand, 4, UINT32_MAX, "event random");
}

static void
f_uplink(struct cur *c, struct uplink *u)
{
	IFX(c, u->ifindex, "uplink ifindex");
	f_str(c, u->name, sizeof(u->name), 1, "uplink name");
	FIELD(c, u->priority, 4, UINT32_MAX, "uplink priority");
	FIELD(c, u->carrier, 4, 1, "uplink carrier");
	FIELD(c, u->carrier_changes, 4, UINT32_MAX, "uplink carrier changes");
	BOOL(c, u->has_addr, "uplink has_addr");
	f_addr(c, &u->addr);
	FIELD(c, u->plen, 1, 32, "uplink prefix length");
	BOOL(c, u->has_gw, "uplink has_gw");
	f_addr(c, &u->gw);
	FIELD(c, u->office, 1, OFFICE_NO, "uplink office state");
	f_str(c, u->beacon, sizeof(u->beacon), 0, "uplink beacon");
	BOOL(c, u->has_gw_mac, "uplink has_gw_mac");
	f_bytes(c, u->gw_mac, ENGINE_MAC_LEN);
	BOOL(c, u->has_office_mac, "uplink has_office_mac");
	f_bytes(c, u->office_mac, ENGINE_MAC_LEN);
	FIELD(c, u->verified_ms, 8, UINT64_MAX, "uplink verified");
	FIELD(c, u->stale_until_ms, 8, UINT64_MAX, "uplink stale until");
	FIELD(c, u->retry_wait_ms, 8, UINT64_MAX, "uplink retry wait");
	FIELD(c, u->retry_at_ms, 8, UINT64_MAX, "uplink retry at");
	BOOL(c, u->has_retry_mac, "uplink has_retry_mac");
	f_bytes(c, u->retry_mac, ENGINE_MAC_LEN);
}

static void
f_action(struct cur *c, struct action *a)
{
	FIELD(c, a->type, 1, ACT_LIVE_PROBE, "action type");
	FIELD(c, a->mode, 1, MODE_OFFICE, "action mode");
	IFX(c, a->ifindex, "action ifindex");
	f_str(c, a->uplink, sizeof(a->uplink), 1, "action uplink");
	BOOL(c, a->has_gw, "action has_gw");
	f_addr(c, &a->gw);
	FIELD(c, a->gateway, 4, ENGINE_MAX_GATEWAYS - 1, "action gateway");
	FIELD(c, a->gw_from, 4, ENGINE_MAX_GATEWAYS - 1, "action gateway from");
	FIELD(c, a->why, 1, GW_QUIET, "action why");
	BOOL(c, a->moved, "action moved");
	BOOL(c, a->quiet, "action quiet");
	FIELD(c, a->retry_ms, 8, UINT64_MAX, "action retry");
	FIELD(c, a->silent_ms, 8, UINT64_MAX, "action silent");
}

static void
f_state(struct cur *c, struct engine *e)
{
	IFX(c, e->work_ifindex, "state work ifindex");
	IFX(c, e->tunnel_ifindex, "state tunnel ifindex");
	for (size_t i = 0; i < ENGINE_MAX_GATEWAYS; i++)
		f_addr(c, &e->endpoints[i]);
	FIELD(c, e->n_gateways, 4, ENGINE_MAX_GATEWAYS, "state gateways");
	BOOL(c, e->beacons, "state beacons");
	FIELD(c, e->stale_ms, 8, UINT64_MAX, "state stale");
	FIELD(c, e->mode, 1, MODE_OFFICE, "state mode");
	IFX(c, e->active, "state active");
	BOOL(c, e->active_has_gw, "state active_has_gw");
	f_addr(c, &e->active_gw);
	FIELD(c, e->since_ms, 8, UINT64_MAX, "state since");
	FIELD(c, e->path_ms, 8, UINT64_MAX, "state path");
	FIELD(c, e->gateway, 4, ENGINE_MAX_GATEWAYS - 1, "state gateway");
	FIELD(c, e->gw_from, 4, ENGINE_MAX_GATEWAYS - 1, "state gateway from");
	FIELD(c, e->gw_why, 1, GW_QUIET, "state why");
	FIELD(c, e->back_ms, 8, UINT64_MAX, "state back");
	FIELD(c, e->timeouts, 4, UINT32_MAX, "state timeouts");
	BOOL(c, e->silent, "state silent");
	FIELD(c, e->silent_ms, 8, UINT64_MAX, "state silent since");
	FIELD(c, e->retry_ms, 8, UINT64_MAX, "state retry");
	FIELD(c, e->live_ms, 8, UINT64_MAX, "state live probe");
	FIELD(c, e->live_sent_ms, 8, UINT64_MAX, "state live probe sent");
	f_str(c, e->reason, sizeof(e->reason), 0, "state reason");
	f_str(c, e->prefer, sizeof(e->prefer), 1, "state preferred uplink");
	FIELD(c, e->n_uplinks, 4, ENGINE_MAX_UPLINKS, "state uplinks");
	for (size_t i = 0; i < ENGINE_MAX_UPLINKS; i++)
		f_uplink(c, &e->uplinks[i]);
}

static int
header(struct cur *c, uint8_t type, size_t len, size_t want, uint8_t *b2)
{
	if (len != want)
		return sk_errorf(c->err, EINVAL, "message of %zu bytes, not %zu", len, want),
		    -1;
	if (c->r[0] != ENG_VERSION)
		return sk_errorf(c->err, EINVAL, "version %u, not %d", c->r[0], ENG_VERSION),
		    -1;
	if (c->r[1] != type)
		return sk_errorf(c->err, EINVAL, "message type %u, not %u", c->r[1], type), -1;
	if (c->r[3] != 0)
		return sk_errorf(c->err, EINVAL, "reserved byte %u, not 0", c->r[3]), -1;
	*b2 = c->r[2];
	c->off = 4;
	return 0;
}

static void
f_call(struct cur *c, struct eng_call *k)
{
	FIELD(c, k->i1, 4, UINT32_MAX, "call i1");
	FIELD(c, k->i2, 4, UINT32_MAX, "call i2");
	FIELD(c, k->i3, 4, UINT32_MAX, "call i3");
	FIELD(c, k->u, 8, UINT64_MAX, "call u");
	FIELD(c, k->n, 4, ENGINE_MAX_GATEWAYS, "call n");
	for (size_t i = 0; i < ENGINE_MAX_GATEWAYS; i++)
		f_addr(c, &k->endpoints[i]);
	f_event(c, &k->ev);
	f_uplink(c, &k->up);
}

void
eng_call_encode(uint8_t out[ENG_CALL_LEN], const struct eng_call *k)
{
	struct cur c = { .w = out, .off = 4 };
	struct eng_call t = *k;	/* the codec's fields are read-write */

	out[0] = ENG_VERSION;
	out[1] = ENG_T_CALL;
	out[2] = (uint8_t)k->op;
	out[3] = 0;
	f_call(&c, &t);
	if (c.off != ENG_CALL_LEN)
		abort();
}

int
eng_call_decode(const uint8_t *in, size_t len, struct eng_call *k, struct sk_error *err)
{
	struct cur c = { .r = in, .err = err };
	struct eng_call t;
	uint8_t op;

	if (header(&c, ENG_T_CALL, len, ENG_CALL_LEN, &op) < 0)
		return -EINVAL;
	if (op < ENG_INIT || op > ENG_OP_MAX)
		return sk_errorf(err, EINVAL, "unknown operation %u", op), -EINVAL;
	memset(&t, 0, sizeof(t));
	t.op = (enum eng_op)op;
	f_call(&c, &t);
	if (c.bad)
		return -EINVAL;
	*k = t;
	return 0;
}

void
eng_result_encode(uint8_t out[ENG_RESULT_LEN], const struct eng_result *r)
{
	static struct eng_result t;	/* the codec's fields are read-write */
	struct cur c = { .w = out, .off = 4 };
	struct action none;
	uint64_t r32 = (uint32_t)r->r;

	t = *r;
	memset(&none, 0, sizeof(none));
	out[0] = ENG_VERSION;
	out[1] = ENG_T_RESULT;
	out[2] = (uint8_t)r->n;
	out[3] = 0;
	f_uint(&c, &r32, 4, 1, "r");
	f_uint(&c, &t.retry_at, 8, UINT64_MAX, "retry");
	for (size_t i = 0; i < ENG_MAX_ACTS; i++)
		f_action(&c, i < r->n ? &t.acts[i] : &none);
	f_state(&c, &t.state);
	if (c.off != ENG_RESULT_LEN)
		abort();
}

int
eng_result_decode(const uint8_t *in, size_t len, struct eng_result *r, struct sk_error *err)
{
	static struct eng_result t;
	struct cur c = { .r = in, .err = err };
	uint64_t r32 = 0;
	uint8_t n;

	if (header(&c, ENG_T_RESULT, len, ENG_RESULT_LEN, &n) < 0)
		return -EINVAL;
	if (n > ENG_MAX_ACTS)
		return sk_errorf(err, EINVAL, "%u actions, at most %d", n, ENG_MAX_ACTS), -EINVAL;
	memset(&t, 0, sizeof(t));
	t.n = n;
	f_uint(&c, &r32, 4, 1, "result");
	t.r = (int32_t)r32;
	f_uint(&c, &t.retry_at, 8, UINT64_MAX, "retry");
	for (size_t i = 0; i < ENG_MAX_ACTS && !c.bad; i++) {
		size_t at = c.off;

		if (i < n) {
			f_action(&c, &t.acts[i]);
			continue;
		}
		for (size_t j = 0; j < ENG_ACTION_LEN; j++)
			if (in[at + j] != 0)
				return sk_errorf(err, EINVAL, "byte %zu of unused action %zu is not 0",
				    at + j, i), -EINVAL;
		c.off += ENG_ACTION_LEN;
	}
	f_state(&c, &t.state);
	if (c.bad)
		return -EINVAL;
	*r = t;
	return 0;
}

/* ---- helper results (engmsg.h) ---- */

void
eng_parse_encode(uint8_t out[ENG_PARSE_LEN], const struct eng_parse *p)
{
	struct cur c = { .w = out, .off = 4 };
	uint64_t n = p->n, len = p->len;

	if (p->len > ENG_RAW_MAX)
		abort();
	memset(out, 0, ENG_PARSE_LEN);
	out[0] = ENG_VERSION;
	out[1] = ENG_T_PARSE;
	out[2] = (uint8_t)p->kind;
	f_uint(&c, &n, 4, UINT32_MAX, "parse n");
	f_uint(&c, &len, 2, ENG_RAW_MAX, "parse length");
	memcpy(out + c.off, p->raw, p->len);
}

int
eng_parse_decode(const uint8_t *in, size_t len, struct eng_parse *p, struct sk_error *err)
{
	struct cur c = { .r = in, .err = err };
	uint64_t n = 0, l = 0;
	uint8_t kind;

	if (header(&c, ENG_T_PARSE, len, ENG_PARSE_LEN, &kind) < 0)
		return -EINVAL;
	if (kind < ENG_PARSE_DNSCHECK || kind > ENG_KIND_MAX)
		return sk_errorf(err, EINVAL, "unknown helper result kind %u", kind), -EINVAL;
	f_uint(&c, &n, 4, UINT32_MAX, "parse n");
	f_uint(&c, &l, 2, ENG_RAW_MAX, "parse length");
	if (c.bad)
		return -EINVAL;
	for (size_t i = c.off + l; i < ENG_PARSE_LEN; i++)
		if (in[i] != 0)
			return sk_errorf(err, EINVAL, "byte %zu beyond the length is not 0", i),
			    -EINVAL;
	memset(p, 0, sizeof(*p));
	p->kind = (enum eng_kind)kind;
	p->n = (uint32_t)n;
	p->len = l;
	memcpy(p->raw, in + c.off, l);
	return 0;
}

enum eng_fetch
eng_fetch_outcome(int wstatus, uint32_t *n)
{
	if (WIFSIGNALED(wstatus)) {
		*n = ENG_FETCH_SIGNALED + (uint32_t)WTERMSIG(wstatus);
		return ENG_FETCH_FAILED;
	}
	*n = WIFEXITED(wstatus) ? (uint32_t)WEXITSTATUS(wstatus) : ENG_FETCH_SIGNALED;
	switch (*n) {
	case FETCH_EXIT_NEWER:	return ENG_FETCH_NEWER;
	case FETCH_EXIT_NONE:	return ENG_FETCH_NONE;
	case FETCH_EXIT_FRESH:	return ENG_FETCH_FRESH;
	case FETCH_EXIT_ERROR:	return ENG_FETCH_ERROR;
	default:		return ENG_FETCH_FAILED;
	}
}

static const char *
outcome_name(enum eng_fetch o)
{
	switch (o) {
	case ENG_FETCH_NEWER:	return "newer";
	case ENG_FETCH_NONE:	return "nothing newer";
	case ENG_FETCH_FRESH:	return "a freshness statement";
	case ENG_FETCH_ERROR:	return "an error";
	default:		return "a failure";
	}
}

/* sekisho-fetch's standard error, given its exit status: nothing when it
 * says it succeeded; one printable line ending in '\n' when it says it
 * failed (lib/proto/fetch_helper.h). Anything else is a lie: two verdicts
 * at once, a forged log line, bytes no line holds. */
static int
parse_fetch(const struct eng_parse *p, struct eng_parsed *out, struct sk_error *err)
{
	uint32_t status = p->n;
	enum eng_fetch o;
	size_t len = p->len;

	if (status >= ENG_FETCH_SIGNALED)
		o = ENG_FETCH_FAILED;
	else
		o = eng_fetch_outcome((int)(status & 0xff) << 8, &status);
	out->n = o;
	if (o == ENG_FETCH_FAILED)
		return 0;	/* its text is not used: the parent says why */
	if (o != ENG_FETCH_ERROR) {
		if (len != 0)
			return sk_errorf(err, EINVAL, "its exit status says %s, and it wrote %zu "
			    "bytes on standard error", outcome_name(o), len),
			    -EINVAL;
		return 0;
	}
	if (len == 0)
		return sk_errorf(err, EINVAL, "it failed without its line"),
		    -EINVAL;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p->raw[i];

		if (b == '\n' && i + 1 != len)
			return sk_errorf(err, EINVAL, "more than one line"),
			    -EINVAL;
		if (b == '\0')
			return sk_errorf(err, EINVAL, "NUL byte at %zu of its line",
			    i), -EINVAL;
		if (b != '\n' && (b < 0x20 || b > 0x7e))
			return sk_errorf(err, EINVAL, "byte 0x%02x at %zu of its line", b, i), -EINVAL;
	}
	if (p->raw[len - 1] != '\n')
		return sk_errorf(err, EINVAL, "its line has no end"), -EINVAL;
	if (len == 1)
		return sk_errorf(err, EINVAL, "its line is empty"), -EINVAL;
	if (len - 1 >= sizeof(out->line))
		return sk_errorf(err, EINVAL, "its line is %zu bytes, at most %zu",
		    len - 1, sizeof(out->line) - 1), -EINVAL;
	memcpy(out->line, p->raw, len - 1);
	return 0;
}

/* A freshness statement: decoded by the policy's own decoder (it verifies
 * nothing: the signature is the sandboxed verifier's, the bounds the
 * parent's). */
static int
parse_fresh(const struct eng_parse *p, struct eng_parsed *out, struct sk_error *err)
{
	struct fresh f;

	if (p->n != 0)
		return sk_errorf(err, EINVAL, "statement: n %u, not 0", p->n), -EINVAL;
	if (fresh_decode(p->raw, p->len, "statement", &f, err) != BUNDLE_OK)
		return -EINVAL;
	out->serial = f.serial;
	out->time = f.time;
	memcpy(out->device, f.device, sizeof(out->device));
	return 0;
}

void
eng_parse_run(const struct eng_parse *p, struct eng_parsed *out)
{
	char line[ENG_RAW_MAX + 1];
	struct sk_error err;
	int rc = -EINVAL;

	memset(out, 0, sizeof(*out));
	out->kind = p->kind;
	if (p->len > ENG_RAW_MAX)
		abort();
	memcpy(line, p->raw, p->len);
	line[p->len] = '\0';
	sk_errorf(&err, EINVAL, "refused");
	switch (p->kind) {
	case ENG_PARSE_DNSCHECK:
		if (memchr(p->raw, '\0', p->len) != NULL)
			sk_errorf(&err, EINVAL, "dns check: NUL byte in line");
		else if (p->n < 1 || p->n > DNS_MAX_RESOLVERS)
			sk_errorf(&err, EINVAL, "dns check: %u resolvers asked", p->n);
		else
			rc = dnscheck_line_parse(line, p->n, out->alive, &err);
		if (rc == 0)
			out->n = p->n;
		break;
	case ENG_PARSE_FETCH:
		rc = parse_fetch(p, out, &err);
		break;
	case ENG_PARSE_FRESH:
		rc = parse_fresh(p, out, &err);
		break;
	}
	if (rc == 0) {
		out->ok = 1;
		return;
	}
	memset(out->alive, 0, sizeof(out->alive));
	out->n = 0;
	out->serial = out->time = 0;
	memset(out->device, 0, sizeof(out->device));
	memset(out->line, 0, sizeof(out->line));
	/* printable, one line, fits */
	for (size_t i = 0; err.msg[i] != '\0' && i < sizeof(out->err) - 1; i++)
		out->err[i] = err.msg[i] >= 0x20 && err.msg[i] <= 0x7e ? err.msg[i] : '?';
	if (out->err[0] == '\0')
		snprintf(out->err, sizeof(out->err), "refused");
}

static void
f_parsed(struct cur *c, struct eng_parsed *p)
{
	BOOL(c, p->ok, "parsed ok");
	FIELD(c, p->n, 4, DNS_MAX_RESOLVERS, "parsed n");
	for (size_t i = 0; i < DNS_MAX_RESOLVERS; i++)
		FIELD(c, p->alive[i], 1, 1, "parsed verdict");
	FIELD(c, p->serial, 8, UINT64_MAX, "parsed serial");
	FIELD(c, p->time, 8, UINT64_MAX, "parsed time");
	f_bytes(c, p->device, sizeof(p->device));
	f_str(c, p->line, sizeof(p->line), 0, "parsed line");
	f_str(c, p->err, sizeof(p->err), 0, "parsed error");
}

void
eng_parsed_encode(uint8_t out[ENG_PARSED_LEN], const struct eng_parsed *p)
{
	struct cur c = { .w = out, .off = 4 };
	struct eng_parsed t = *p;

	out[0] = ENG_VERSION;
	out[1] = ENG_T_PARSED;
	out[2] = (uint8_t)p->kind;
	out[3] = 0;
	f_parsed(&c, &t);
	if (c.off != ENG_PARSED_LEN)
		abort();
}

int
eng_parsed_decode(const uint8_t *in, size_t len, struct eng_parsed *p, struct sk_error *err)
{
	struct cur c = { .r = in, .err = err };
	struct eng_parsed t;
	uint8_t kind;

	if (header(&c, ENG_T_PARSED, len, ENG_PARSED_LEN, &kind) < 0)
		return -EINVAL;
	if (kind < ENG_PARSE_DNSCHECK || kind > ENG_KIND_MAX)
		return sk_errorf(err, EINVAL, "unknown helper result kind %u", kind), -EINVAL;
	memset(&t, 0, sizeof(t));
	t.kind = (enum eng_kind)kind;
	f_parsed(&c, &t);
	if (c.bad)
		return -EINVAL;
	for (size_t i = t.ok && kind == ENG_PARSE_DNSCHECK ? t.n : 0; i < DNS_MAX_RESOLVERS;
	    i++)
		if (t.alive[i] != 0)
			return sk_errorf(err, EINVAL, "verdict %zu beyond the %s is not 0", i + 1,
			    t.ok ? "count" : "refusal"), -EINVAL;
	if (t.ok != (t.err[0] == '\0'))
		return sk_errorf(err, EINVAL, "parsed %s with%s a reason", t.ok ? "ok" : "refused",
		    t.ok ? "" : "out"), -EINVAL;
	if ((!t.ok || kind == ENG_PARSE_FRESH) && t.n != 0)
		return sk_errorf(err, EINVAL, "n %u with no count", t.n), -EINVAL;
	if (t.ok && kind == ENG_PARSE_FETCH && (t.n < 1 || t.n > ENG_FETCH_MAX))
		return sk_errorf(err, EINVAL, "fetch outcome %u", t.n), -EINVAL;
	if ((!t.ok || kind != ENG_PARSE_FRESH) &&
	    (t.serial != 0 || t.time != 0 || !key_is_zero(t.device)))
		return sk_errorf(err, EINVAL, "a statement's fields in a %s result",
		    t.ok ? "non-statement" : "refused"), -EINVAL;
	if ((!t.ok || kind != ENG_PARSE_FETCH || t.n != ENG_FETCH_ERROR) != (t.line[0] == '\0'))
		return sk_errorf(err, EINVAL, "a helper's line %s", t.line[0] == '\0' ?
		    "missing" : "where none belongs"), -EINVAL;
	*p = t;
	return 0;
}

int
eng_parsed_check_dns(const struct eng_parsed *p, size_t n, uint8_t *alive,
    struct sk_error *err)
{
	if (p->kind != ENG_PARSE_DNSCHECK)
		return sk_errorf(err, EINVAL, "dns check: the engine answered for kind %u",
		    p->kind), -EINVAL;
	if (!p->ok)
		return sk_errorf(err, EINVAL, "%s", p->err), -EINVAL;
	if (n < 1 || n > DNS_MAX_RESOLVERS || p->n != n)
		return sk_errorf(err, EINVAL, "dns check: the engine gave %u verdicts for %zu "
		    "resolvers", p->n, n), -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (p->alive[i] > 1)
			return sk_errorf(err, EINVAL, "dns check: verdict %zu is %u", i + 1,
			    p->alive[i]), -EINVAL;
		alive[i] = p->alive[i];
	}
	return 0;
}

int
eng_parsed_check_fetch(const struct eng_parsed *p, enum eng_fetch want, char *line,
    size_t size, struct sk_error *err)
{
	if (p->kind != ENG_PARSE_FETCH)
		return sk_errorf(err, EINVAL, "fetch: the engine answered for kind %u", p->kind),
		    -EINVAL;
	if (!p->ok)
		return sk_errorf(err, EINVAL, "%s", p->err), -EINVAL;
	if (p->n != (uint32_t)want)
		return sk_errorf(err, EINVAL, "fetch: the engine read outcome %u, the exit status "
		    "says %u", p->n, (unsigned)want), -EINVAL;
	sk_strlcpy(line, p->line, size);
	return 0;
}

int
eng_parsed_check_fresh(const struct eng_parsed *p, uint64_t *serial, uint64_t *time,
    uint8_t device[ENG_STMT_KEY], struct sk_error *err)
{
	if (p->kind != ENG_PARSE_FRESH)
		return sk_errorf(err, EINVAL, "statement: the engine answered for kind %u",
		    p->kind), -EINVAL;
	if (!p->ok)
		return sk_errorf(err, EINVAL, "%s", p->err), -EINVAL;
	*serial = p->serial;
	*time = p->time;
	memcpy(device, p->device, ENG_STMT_KEY);
	return 0;
}
