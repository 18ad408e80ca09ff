/*
 * The userspace backend: the cross-platform UAPI text ("set=1" / "get=1",
 * keys in lowercase hex) and its exchange over a unix socket.
 */
#include "vpn/wg_uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/encode.h"
#include "lib/util.h"

#define WG_MAX_ERRNO	4095

/* ---- endpoints and allowed IPs as text ---- */

static int
parse_port(const char *s, in_port_t *port)
{
	uint64_t v;

	if (parse_u64(s, 1, 65535, &v) != 0)
		return -EINVAL;
	*port = htons((uint16_t)v);
	return 0;
}

static int
parse_zone(const char *s, uint32_t *scope)
{
	uint64_t v;

	if (*s >= '0' && *s <= '9') {
		if (parse_u64(s, 0, UINT32_MAX, &v) != 0)
			return -EINVAL;
		*scope = (uint32_t)v;
		return 0;
	}
	if (strnlen(s, IFNAMSIZ) >= IFNAMSIZ || (*scope = if_nametoindex(s)) == 0)
		return -EINVAL;
	return 0;
}

/* Copies s[0..n) to a NUL-terminated host buffer. */
static int
host_copy(char *host, size_t size, const char *s, size_t n)
{
	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

static int
parse_endpoint6(const char *s, struct sockaddr_in6 *sin6)
{
	char host[INET6_ADDRSTRLEN + IFNAMSIZ + 1], *zone;
	const char *end = strchr(s, ']');

	if (end == NULL || end[1] != ':' ||
	    host_copy(host, sizeof(host), s + 1, (size_t)(end - s - 1)) != 0)
		return -EINVAL;
	if ((zone = strchr(host, '%')) != NULL) {
		*zone++ = '\0';
		if (parse_zone(zone, &sin6->sin6_scope_id) != 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
	    parse_port(end + 2, &sin6->sin6_port) != 0)
		return -EINVAL;
	sin6->sin6_family = AF_INET6;
	return 0;
}

static int
parse_endpoint4(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');

	if (colon == NULL ||
	    host_copy(host, sizeof(host), s, (size_t)(colon - s)) != 0 ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    parse_port(colon + 1, &sin->sin_port) != 0)
		return -EINVAL;
	sin->sin_family = AF_INET;
	return 0;
}

int
wg_parse_endpoint(const char *s, struct sockaddr_storage *ss)
{
	int rc;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[')
		rc = parse_endpoint6(s, (struct sockaddr_in6 *)ss);
	else
		rc = parse_endpoint4(s, (struct sockaddr_in *)ss);
	if (rc != 0)
		memset(ss, 0, sizeof(*ss));
	return rc;
}

int
wg_format_endpoint(char *buf, size_t len, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN];
	int n;

	if (ss->ss_family == AF_INET) {
		if (inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) == NULL)
			return -errno;
		n = snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) == NULL)
			return -errno;
		if (sin6->sin6_scope_id != 0)
			n = snprintf(buf, len, "[%s%%%u]:%u", host,
			    (unsigned)sin6->sin6_scope_id, ntohs(sin6->sin6_port));
		else
			n = snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else
		return -EAFNOSUPPORT;
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int
wg_parse_allowedip(const char *s, struct wg_allowedip *a)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	uint64_t cidr;

	memset(a, 0, sizeof(*a));
	if (slash == NULL ||
	    host_copy(host, sizeof(host), s, (size_t)(slash - s)) != 0)
		return -EINVAL;
	if (strchr(host, ':') != NULL) {
		if (inet_pton(AF_INET6, host, &a->ip6) != 1)
			goto bad;
		a->family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, host, &a->ip4) != 1)
			goto bad;
		a->family = AF_INET;
	}
	if (parse_u64(slash + 1, 0, a->family == AF_INET ? 32 : 128, &cidr) != 0)
		goto bad;
	a->cidr = (uint8_t)cidr;
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

int
wg_format_allowedip(char *buf, size_t len, const struct wg_allowedip *a)
{
	char host[INET6_ADDRSTRLEN];
	int n;

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, &a->ip6, host, sizeof(host)) == NULL)
		return -EAFNOSUPPORT;
	n = snprintf(buf, len, "%s/%u", host, (unsigned)a->cidr);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

/* ---- "set=1": formatting ---- */

/* Upper bounds of the text per item, for one allocation up front. */
#define SET_DEVICE_MAX	160
#define SET_PEER_MAX	320
#define SET_ALLOWED_MAX	64

struct sb {
	char *p;
	size_t len, cap;	/* cap counts the final NUL */
};

static int
sb_put(struct sb *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len)
		return -ENOSPC;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int sb_printf(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		return -ENOSPC;
	b->len += (size_t)n;
	return 0;
}

/* name=<hex>\n, without the key passing through printf. */
static int
sb_key(struct sb *b, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[KEY_HEX_LEN];
	int rc;

	key_to_hex(hex, key);
	if ((rc = sb_put(b, name, strlen(name))) == 0 &&
	    (rc = sb_put(b, "=", 1)) == 0 &&
	    (rc = sb_put(b, hex, KEY_HEX_LEN - 1)) == 0)
		rc = sb_put(b, "\n", 1);
	wipe(hex, sizeof(hex));
	return rc;
}

static int
format_device(struct sb *b, const struct wg_device *dev)
{
	int rc;

	if ((rc = sb_put(b, "set=1\n", 6)) != 0)
		return rc;
	if (dev->has_private_key &&
	    (rc = sb_key(b, "private_key", dev->private_key)) != 0)
		return rc;
	if (dev->has_listen_port &&
	    (rc = sb_printf(b, "listen_port=%u\n", dev->listen_port)) != 0)
		return rc;
	if (dev->flags & WG_DEVICE_REPLACE_PEERS)
		return sb_printf(b, "replace_peers=true\n");
	return 0;
}

static int
format_allowed(struct sb *b, const struct wg_peer *p)
{
	char ip[WG_ALLOWEDIP_STRLEN];
	size_t i;
	int rc;

	for (i = 0; i < p->n_allowed; i++) {
		if ((rc = wg_format_allowedip(ip, sizeof(ip), &p->allowed[i])) != 0 ||
		    (rc = sb_printf(b, "allowed_ip=%s\n", ip)) != 0)
			return rc;
	}
	return 0;
}

/* A peer's lines up to its allowed IPs (at most SET_PEER_MAX bytes). */
static int
format_peer_head(struct sb *b, const struct wg_peer *p)
{
	char ep[WG_ENDPOINT_STRLEN];
	int rc;

	if ((rc = sb_key(b, "public_key", p->public_key)) != 0)
		return rc;
	if (p->flags & WG_PEER_REMOVE)
		return sb_printf(b, "remove=true\n");
	if ((p->flags & WG_PEER_UPDATE_ONLY) &&
	    (rc = sb_printf(b, "update_only=true\n")) != 0)
		return rc;
	if (p->endpoint.ss_family != 0 &&
	    ((rc = wg_format_endpoint(ep, sizeof(ep), &p->endpoint)) != 0 ||
	    (rc = sb_printf(b, "endpoint=%s\n", ep)) != 0))
		return rc;
	if ((rc = sb_printf(b, "persistent_keepalive_interval=%u\n",
	    p->keepalive)) != 0)
		return rc;
	if ((p->flags & WG_PEER_REPLACE_ALLOWEDIPS) &&
	    (rc = sb_printf(b, "replace_allowed_ips=true\n")) != 0)
		return rc;
	return 0;
}

static int
format_peer(struct sb *b, const struct wg_peer *p)
{
	int rc;

	if ((rc = format_peer_head(b, p)) != 0 || (p->flags & WG_PEER_REMOVE))
		return rc;
	return format_allowed(b, p);
}

int
wg_uapi_format_set(const struct wg_device *dev, char **buf, size_t *len)
{
	struct sb b = { NULL, 0, 0 };
	size_t i, n_allowed = 0;
	int rc;

	*buf = NULL;
	*len = 0;
	if ((rc = wg_device_check(dev)) != 0)
		return rc;
	for (i = 0; i < dev->n_peers; i++)
		n_allowed += dev->peers[i].n_allowed;
	/* Bounded by WG_MAX_PEERS and WG_MAX_ALLOWEDIPS: no overflow. */
	b.cap = SET_DEVICE_MAX + dev->n_peers * SET_PEER_MAX +
	    n_allowed * SET_ALLOWED_MAX;
	if ((b.p = calloc(1, b.cap)) == NULL)
		return -ENOMEM;
	rc = format_device(&b, dev);
	for (i = 0; rc == 0 && i < dev->n_peers; i++)
		rc = format_peer(&b, &dev->peers[i]);
	if (rc == 0)
		rc = sb_put(&b, "\n", 1);
	if (rc != 0) {
		wg_uapi_free(b.p, b.cap);
		return rc;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

void
wg_uapi_free(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	wipe(buf, len);
	free(buf);
}

/* ---- "get=1": parsing ---- */

enum { SEC_DEVICE = 1, SEC_PEER = 2, SEC_ANY = 3 };

struct uapi_get {
	struct wg_device *dev;
	struct wg_peer *peer;		/* the current peer, NULL before one */
	size_t n_allowed;		/* over all peers */
	uint32_t seen;			/* keys seen in the current section */
	int done;			/* errno= came */
	int err;			/* its value, negated */
};

typedef int (*uapi_fn)(struct uapi_get *, const char *);

static int
num(const char *v, uint64_t max, uint64_t *out)
{
	return parse_u64(v, 0, max, out) == 0 ? 0 : -EPROTO;
}

static int
get_private_key(struct uapi_get *g, const char *v)
{
	struct wg_device *d = g->dev;

	if (key_from_hex(d->private_key, v) != 0)
		return -EPROTO;
	if (key_is_zero(d->private_key))
		return 0;
	d->has_private_key = 1;
	/* Weak: present only in programs that link vpn/wg_pubkey.c. */
	if (wg_public_key == NULL)
		return 0;
	return wg_public_key(d->public_key, d->private_key);
}

static int
get_listen_port(struct uapi_get *g, const char *v)
{
	uint64_t n;

	if (num(v, UINT16_MAX, &n) != 0)
		return -EPROTO;
	g->dev->listen_port = (uint16_t)n;
	g->dev->has_listen_port = 1;
	return 0;
}

static int
get_fwmark(struct uapi_get *g, const char *v)
{
	uint64_t n;

	(void)g;
	return num(v, UINT32_MAX, &n);
}

static int
get_public_key(struct uapi_get *g, const char *v)
{
	int rc;

	if ((rc = wg_device_add_peer(g->dev, &g->peer)) != 0)
		return rc;
	g->seen = 0;
	return key_from_hex(g->peer->public_key, v) == 0 ? 0 : -EPROTO;
}

static int
get_preshared_key(struct uapi_get *g, const char *v)
{
	uint8_t psk[WG_KEY_LEN];
	int rc;

	(void)g;
	rc = key_from_hex(psk, v) == 0 ? 0 : -EPROTO;
	wipe(psk, sizeof(psk));
	return rc;
}

static int
get_protocol_version(struct uapi_get *g, const char *v)
{
	(void)g;
	return strcmp(v, "1") == 0 ? 0 : -EPROTO;
}

static int
get_endpoint(struct uapi_get *g, const char *v)
{
	return wg_parse_endpoint(v, &g->peer->endpoint) == 0 ? 0 : -EPROTO;
}

static int
get_handshake_sec(struct uapi_get *g, const char *v)
{
	uint64_t max = sizeof(time_t) == 8 ? INT64_MAX : INT32_MAX, n;

	if (num(v, max, &n) != 0)
		return -EPROTO;
	g->peer->last_handshake.tv_sec = (time_t)n;
	return 0;
}

static int
get_handshake_nsec(struct uapi_get *g, const char *v)
{
	uint64_t n;

	if (num(v, 999999999, &n) != 0)
		return -EPROTO;
	g->peer->last_handshake.tv_nsec = (long)n;
	return 0;
}

static int
get_rx_bytes(struct uapi_get *g, const char *v)
{
	return num(v, UINT64_MAX, &g->peer->rx_bytes);
}

static int
get_tx_bytes(struct uapi_get *g, const char *v)
{
	return num(v, UINT64_MAX, &g->peer->tx_bytes);
}

static int
get_keepalive(struct uapi_get *g, const char *v)
{
	uint64_t n;

	if (num(v, UINT16_MAX, &n) != 0)
		return -EPROTO;
	g->peer->keepalive = (uint16_t)n;
	return 0;
}

static int
get_allowed_ip(struct uapi_get *g, const char *v)
{
	struct wg_allowedip a;

	if (wg_parse_allowedip(v, &a) != 0)
		return -EPROTO;
	if (g->n_allowed >= WG_MAX_ALLOWEDIPS)
		return -E2BIG;
	g->n_allowed++;
	return wg_peer_add_allowedip(g->peer, &a);
}

/* errno=N: wireguard-go writes -N, the protocol text N; both mean -N. */
static int
errno_value(const char *v, int *err)
{
	uint64_t n;

	if (*v == '-')
		v++;
	if (num(v, WG_MAX_ERRNO, &n) != 0)
		return -EPROTO;
	*err = -(int)n;
	return 0;
}

static int
get_errno(struct uapi_get *g, const char *v)
{
	g->done = 1;
	return errno_value(v, &g->err);
}

static const struct uapi_key {
	const char *name;
	int section;
	int repeats;
	uapi_fn fn;
} uapi_keys[] = {
	{ "private_key", SEC_DEVICE, 0, get_private_key },
	{ "listen_port", SEC_DEVICE, 0, get_listen_port },
	{ "fwmark", SEC_DEVICE, 0, get_fwmark },
	{ "public_key", SEC_ANY, 1, get_public_key },
	{ "preshared_key", SEC_PEER, 0, get_preshared_key },
	{ "protocol_version", SEC_PEER, 0, get_protocol_version },
	{ "endpoint", SEC_PEER, 0, get_endpoint },
	{ "last_handshake_time_sec", SEC_PEER, 0, get_handshake_sec },
	{ "last_handshake_time_nsec", SEC_PEER, 0, get_handshake_nsec },
	{ "rx_bytes", SEC_PEER, 0, get_rx_bytes },
	{ "tx_bytes", SEC_PEER, 0, get_tx_bytes },
	{ "persistent_keepalive_interval", SEC_PEER, 0, get_keepalive },
	{ "allowed_ip", SEC_PEER, 1, get_allowed_ip },
	{ "errno", SEC_ANY, 0, get_errno },
};

static int
uapi_line(struct uapi_get *g, const char *s, size_t n)
{
	char line[WG_UAPI_MAX_LINE + 1], *value;
	int rc = -EPROTO, section = g->peer != NULL ? SEC_PEER : SEC_DEVICE;
	size_t i;

	if (n > WG_UAPI_MAX_LINE || memchr(s, '\0', n) != NULL)
		return -EPROTO;
	memcpy(line, s, n);
	line[n] = '\0';
	if ((value = strchr(line, '=')) == NULL)
		goto out;
	*value++ = '\0';
	for (i = 0; i < nitems(uapi_keys); i++)
		if (strcmp(line, uapi_keys[i].name) == 0)
			break;
	if (i == nitems(uapi_keys) || !(uapi_keys[i].section & section) ||
	    (!uapi_keys[i].repeats && (g->seen & (1u << i))))
		goto out;
	if ((rc = uapi_keys[i].fn(g, value)) == 0)
		g->seen |= 1u << i;
out:
	wipe(line, sizeof(line));
	return rc;
}

int
wg_uapi_parse_get(const char *buf, size_t len, struct wg_device *out)
{
	struct uapi_get g = { .dev = out };
	size_t pos = 0, n;
	const char *nl;
	int rc = -EPROTO;

	memset(out, 0, sizeof(*out));
	if (len > WG_UAPI_MAX_RESPONSE)
		return -E2BIG;
	while (pos < len) {
		n = len - pos;
		if (n > WG_UAPI_MAX_LINE + 1)
			n = WG_UAPI_MAX_LINE + 1;
		if ((nl = memchr(buf + pos, '\n', n)) == NULL)
			break;		/* over-long or unterminated line */
		n = (size_t)(nl - (buf + pos));
		if (n == 0) {		/* the blank line: last, after errno= */
			if (g.done && pos + 1 == len)
				rc = g.err;
			break;
		}
		if (g.done || (rc = uapi_line(&g, buf + pos, n)) != 0) {
			rc = rc != 0 ? rc : -EPROTO;
			break;
		}
		rc = -EPROTO;
		pos += n + 1;
	}
	if (rc != 0)
		wg_device_free(out);
	return rc;
}

int
wg_uapi_parse_errno(const char *buf, size_t len)
{
	char v[16];
	int err;

	if (len < 9 || len - 8 >= sizeof(v) || memcmp(buf, "errno=", 6) != 0 ||
	    memcmp(buf + len - 2, "\n\n", 2) != 0 ||
	    memchr(buf + 6, '\0', len - 8) != NULL)
		return -EPROTO;
	memcpy(v, buf + 6, len - 8);
	v[len - 8] = '\0';
	if (errno_value(v, &err) != 0)
		return -EPROTO;
	return err;
}

/* ---- the socket ---- */

int
wg_uapi_sock_path(char *buf, size_t len, const char *ifname)
{
	int n;

	if (!ifname_valid(ifname))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s.sock", WG_UAPI_DIR, ifname);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int
uapi_connect(const char *ifname, int timeout_ms, int *fdp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd, rc;

	*fdp = -1;
	if ((rc = wg_uapi_sock_path(sun.sun_path, sizeof(sun.sun_path), ifname)) != 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int
uapi_send(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Grows *buf, wiping the old copy (a reply may hold the private key). */
static int
uapi_grow(char **buf, size_t len, size_t *cap)
{
	size_t ncap = *cap == 0 ? 4096 : 2 * *cap;
	char *p;

	if (*cap >= WG_UAPI_MAX_RESPONSE)
		return -E2BIG;
	if (ncap > WG_UAPI_MAX_RESPONSE)
		ncap = WG_UAPI_MAX_RESPONSE;
	if ((p = malloc(ncap)) == NULL)
		return -ENOMEM;
	if (*buf != NULL)
		memcpy(p, *buf, len);
	wg_uapi_free(*buf, *cap);
	*buf = p;
	*cap = ncap;
	return 0;
}

/* Reads one reply: up to the blank line that ends it. */
static int
uapi_recv(int fd, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, from;
	ssize_t n;
	int rc = 0;

	for (;;) {
		if (len == cap && (rc = uapi_grow(&buf, len, &cap)) != 0)
			break;
		if ((n = recv(fd, buf + len, cap - len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0) {
			rc = -EPROTO;	/* closed before the end */
			break;
		}
		from = len > 0 ? len - 1 : 0;
		len += (size_t)n;
		if (memmem(buf + from, len - from, "\n\n", 2) != NULL)
			break;
	}
	if (rc != 0) {
		wg_uapi_free(buf, len);
		return rc;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* One request, one reply. */
static int
uapi_exchange(const char *ifname, const char *req, size_t reqlen, int timeout_ms,
    char **reply, size_t *replylen)
{
	int fd, rc;

	*reply = NULL;
	*replylen = 0;
	if ((rc = uapi_connect(ifname, timeout_ms, &fd)) != 0)
		return rc;
	if ((rc = uapi_send(fd, req, reqlen)) == 0)
		rc = uapi_recv(fd, reply, replylen);
	close(fd);
	return rc;
}

int
wg_uapi_get(const char *ifname, struct wg_device *out)
{
	return wg_uapi_get_within(ifname, out, WG_UAPI_TIMEOUT_MS);
}

int
wg_uapi_get_within(const char *ifname, struct wg_device *out, int timeout_ms)
{
	char *reply = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = uapi_exchange(ifname, "get=1\n\n", 7, timeout_ms > 0 ? timeout_ms : 1, &reply, &len)) != 0)
		goto out;
	if ((rc = wg_uapi_parse_get(reply, len, out)) != 0)
		goto out;
	sk_strlcpy(out->ifname, ifname, sizeof(out->ifname));
out:
	wg_uapi_free(reply, len);
	return rc;
}

int
wg_uapi_probe(const char *ifname, int timeout_ms)
{
	char *reply = NULL;
	size_t len = 0;
	int rc;

	if ((rc = uapi_exchange(ifname, "set=1\n\n", 7, timeout_ms > 0 ? timeout_ms : 1, &reply,
	    &len)) == 0)
		rc = wg_uapi_parse_errno(reply, len);
	wg_uapi_free(reply, len);
	return rc;
}

/*
 * The set is streamed: the text of wg_uapi_format_set, written in chunks
 * of SET_CHUNK bytes as it is formatted, so that the daemon (which reads
 * and applies it line by line) is at work on the first peers while the
 * later ones are still being formatted, and a set of 50,000 peers needs
 * no buffer of megabytes. The configuration is checked whole before the
 * first byte goes (wg_device_check); a failed write leaves what the
 * daemon read applied, as one write of the whole text would.
 */
#define SET_CHUNK	(64 * 1024)

/* Sends b's text when fewer than need bytes are free (and at the end:
 * need 0 with last set), then starts b again; the chunk is wiped. */
static int
chunk_flush(int fd, struct sb *b, size_t need, int last)
{
	int rc;

	if (!last && b->cap - b->len > need)
		return 0;
	rc = uapi_send(fd, b->p, b->len);
	wipe(b->p, b->len);
	b->len = 0;
	b->p[0] = '\0';
	return rc;
}

static int
stream_set(int fd, const struct wg_device *dev, struct sb *b)
{
	char ip[WG_ALLOWEDIP_STRLEN];
	int rc;

	if ((rc = format_device(b, dev)) != 0)
		return rc;
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if ((rc = chunk_flush(fd, b, SET_PEER_MAX, 0)) != 0 ||
		    (rc = format_peer_head(b, p)) != 0)
			return rc;
		for (size_t k = 0; !(p->flags & WG_PEER_REMOVE) && k < p->n_allowed; k++)
			if ((rc = chunk_flush(fd, b, SET_ALLOWED_MAX, 0)) != 0 ||
			    (rc = wg_format_allowedip(ip, sizeof(ip), &p->allowed[k])) != 0 ||
			    (rc = sb_printf(b, "allowed_ip=%s\n", ip)) != 0)
				return rc;
	}
	if ((rc = chunk_flush(fd, b, 2, 0)) != 0 || (rc = sb_put(b, "\n", 1)) != 0)
		return rc;
	return chunk_flush(fd, b, 0, 1);
}

/* wg_uapi_set in two halves: the set written (the daemon applies it line
 * by line as it reads), then its answer read. On success *fdp is the open
 * exchange for set_end, which closes it; on error nothing is open. */
static int
set_begin(const struct wg_device *dev, int *fdp)
{
	struct sb b = { NULL, 0, SET_CHUNK };
	int fd = -1, rc;

	*fdp = -1;
	if ((rc = wg_device_check(dev)) != 0)
		return rc;
	if ((b.p = malloc(SET_CHUNK)) == NULL)
		return -ENOMEM;
	b.p[0] = '\0';
	if ((rc = uapi_connect(dev->ifname, WG_UAPI_TIMEOUT_MS, &fd)) == 0 &&
	    (rc = stream_set(fd, dev, &b)) != 0) {
		close(fd);
		fd = -1;
	}
	wg_uapi_free(b.p, SET_CHUNK);
	*fdp = fd;
	return rc;
}

static int
set_end(int fd)
{
	char *reply = NULL;
	size_t len = 0;
	int rc;

	if (fd == -1)
		return -EBADF;
	if ((rc = uapi_recv(fd, &reply, &len)) == 0)
		rc = wg_uapi_parse_errno(reply, len);
	close(fd);
	wg_uapi_free(reply, len);
	return rc;
}

int
wg_uapi_set(const struct wg_device *dev)
{
	int fd, rc;

	if ((rc = set_begin(dev, &fd)) != 0)
		return rc;
	return set_end(fd);
}
