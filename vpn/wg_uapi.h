/*
 * The cross-platform userspace API (https://www.wireguard.com/xplatform/):
 * the text encoding, which is pure and unit-tested without any socket, and
 * the exchange over /var/run/wireguard/<ifname>.sock.
 */
#ifndef SK_VPN_WG_UAPI_H
#define SK_VPN_WG_UAPI_H

#include <stddef.h>
#include <sys/socket.h>

#include "vpn/wg.h"

#define WG_UAPI_DIR		"/var/run/wireguard"
#define WG_UAPI_MAX_LINE	256	/* longest line, without its '\n' */
#define WG_UAPI_MAX_RESPONSE	(64u << 20)	/* WG_MAX_PEERS at ~300 bytes, with room */
#define WG_UAPI_TIMEOUT_MS	5000	/* per socket read or write */
#define WG_UAPI_PATH_MAX	108	/* sizeof(sockaddr_un.sun_path) */

/* "ip:port" or "[ip6]:port" (or "[ip6%zone]:port"), port 1..65535. */
#define WG_ENDPOINT_STRLEN	80
/* "ip/cidr" */
#define WG_ALLOWEDIP_STRLEN	52

/* Numeric endpoint; -EINVAL on anything else (no name resolution). */
int wg_parse_endpoint(const char *s, struct sockaddr_storage *ss);
int wg_format_endpoint(char *buf, size_t len, const struct sockaddr_storage *ss);
/* "10.0.0.0/8", "fd00::/64"; -EINVAL on anything else. */
int wg_parse_allowedip(const char *s, struct wg_allowedip *a);
int wg_format_allowedip(char *buf, size_t len, const struct wg_allowedip *a);

/* "set=1\n...\n\n" for dev (checked with wg_device_check()). *buf is heap
 * and holds the private key: release it with wg_uapi_free(). */
int wg_uapi_format_set(const struct wg_device *dev, char **buf, size_t *len);
void wg_uapi_free(char *buf, size_t len);

/*
 * Parses a complete reply to "get=1" (ending with "errno=N\n\n" and nothing
 * after it) into *out, which is zeroed first; ifname is left empty. Strict:
 * unknown or misplaced keys, repeated keys, bad hex, out-of-range numbers,
 * lines longer than WG_UAPI_MAX_LINE, NUL bytes -> -EPROTO; more than
 * WG_MAX_PEERS peers, WG_MAX_ALLOWEDIPS allowed IPs or WG_UAPI_MAX_RESPONSE
 * bytes -> -E2BIG; errno=N with N != 0 -> -|N|. On error *out holds
 * nothing (freed and wiped). The public key is derived from the private
 * key; a zero private key counts as none.
 */
int wg_uapi_parse_get(const char *buf, size_t len, struct wg_device *out);

/* The reply to "set=1": exactly "errno=N\n\n". 0, -|N|, or -EPROTO. */
int wg_uapi_parse_errno(const char *buf, size_t len);

/* The live exchange (the userspace backend of wg.c). */
int wg_uapi_sock_path(char *buf, size_t len, const char *ifname);
int wg_uapi_set(const struct wg_device *dev);
int wg_uapi_get(const char *ifname, struct wg_device *out);
/* The same, each read or write waiting timeout_ms at most (a program just
 * started: its socket exists before it answers). */
int wg_uapi_get_within(const char *ifname, struct wg_device *out, int timeout_ms);
/* Whether ifname's daemon answers: an empty set ("set=1\n\n", which
 * changes nothing) and its "errno=0". 0, -errno, -EPROTO. Unlike a get,
 * it costs the same with 50,000 peers as with none. */
int wg_uapi_probe(const char *ifname, int timeout_ms);

#endif
