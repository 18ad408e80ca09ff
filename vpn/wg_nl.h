/*
 * The kernel backend: generic netlink family "wireguard" (<linux/wireguard.h>)
 * and rtnetlink for creating and deleting links. The message builders and
 * the reply parser are pure (caller buffers, no socket) and unit-tested; the
 * wg_nl_* verbs at the end do the live exchange.
 *
 * Buffers handed to the builders must be aligned for struct nlmsghdr.
 */
#ifndef SK_VPN_WG_NL_H
#define SK_VPN_WG_NL_H

#include <stddef.h>
#include <stdint.h>

#include "vpn/wg.h"

/* Size of one SET_DEVICE message, as wireguard-tools (one page, at most 8 KiB). */
#define WG_NL_MSG_SIZE		8192
/* Receive buffer for GET_DEVICE dumps. */
#define WG_NL_DUMP_SIZE		32768

/* WG_CMD_GET_DEVICE request (NLM_F_DUMP) for ifname. */
int wg_nl_build_get(void *buf, size_t buflen, uint16_t family, uint32_t seq,
    const char *ifname, size_t *len);

/*
 * WG_CMD_SET_DEVICE requests for dev, one message per call: start with a
 * zeroed cursor and call until cur->done. The first message carries the
 * device attributes (and WGDEVICE_F_REPLACE_PEERS); a peer split across
 * messages repeats its public key (and REMOVE_ME / UPDATE_ONLY) in each part,
 * but only its first part carries endpoint, keepalive and
 * WGPEER_F_REPLACE_ALLOWEDIPS. Every part of a peer with allowed IPs carries
 * at least one. -EMSGSIZE when buflen cannot hold any progress.
 * The buffer holds the private key: wipe it after use.
 */
struct wg_nl_cursor {
	size_t peer;		/* next peer to encode */
	size_t allowed;		/* next allowed IP of that peer; 0 = first part */
	int started;		/* the device attributes went out */
	int done;
};
int wg_nl_build_set(void *buf, size_t buflen, uint16_t family, uint32_t seq,
    const struct wg_device *dev, struct wg_nl_cursor *cur, size_t *len);

/*
 * Parses one message of a GET_DEVICE dump (buf holds one netlink message of
 * len bytes) into *out, accumulating: zero *out before the first message. A
 * message whose first peer is the last peer already in *out continues that
 * peer's allowed IPs, as the kernel splits large peers. Every known
 * attribute must have its exact size and a valid value; attribute types
 * beyond the ones <linux/wireguard.h> knows are skipped (newer kernels).
 * -EPROTO on malformed input, -E2BIG past the limits. *out may hold a
 * partial result on error: release it with wg_device_free().
 */
int wg_nl_parse_get(const void *buf, size_t len, uint16_t family,
    struct wg_device *out);

/* The live exchange (the kernel backend of wg.c). */
int wg_nl_resolve_family(const char *name, uint16_t *id);
int wg_nl_family(uint16_t *id);		/* "wireguard"; -ENOENT without module */
int wg_nl_create(const char *ifname);
int wg_nl_delete(const char *ifname);
int wg_nl_set(const struct wg_device *dev);
int wg_nl_get(const char *ifname, struct wg_device *out);

#endif
