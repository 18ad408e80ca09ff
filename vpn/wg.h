/*
 * WireGuard control: one device model (device -> peer -> allowed IP, as in
 * wireguard-tools' containers.h), the verbs create/set/get/delete, and two
 * backends hidden behind them: the kernel module over generic netlink
 * (wg_nl.c) and a userspace implementation (wireguard-go) over the
 * cross-platform UAPI socket (wg_uapi.c). wg.c picks the backend.
 *
 * Every function returns 0 or -errno. Private keys are never logged or
 * printed (print "(hidden)"); buffers that held them are wiped.
 *
 * Differences from the first sketch of this API:
 *  - added WG_PEER_UPDATE_ONLY (both backends support it);
 *  - added wg_device_check() and the interface-name check (lib/ifname.h), which wg_set() and the
 *    encoders apply, so a daemon can refuse a configuration early (-n);
 *  - added WG_MAX_PEERS / WG_MAX_ALLOWEDIPS, enforced on set and on get
 *    (raised from 16,384 / 131,072 for sekisho-gw, whose gateway holds
 *    50,000 laptops and more: 65,536 peers, 4 allowed IPs each);
 *  - added wg_device_add_peer() / wg_peer_add_allowedip(), shared by the
 *    two backends' reply parsers.
 *
 * Semantics of wg_set() (the same on both backends):
 *  - private key and listen port are set only when has_* is non-zero;
 *  - a peer with WG_PEER_REMOVE carries nothing but its key;
 *  - otherwise its endpoint is set when endpoint.ss_family is not 0, and its
 *    keepalive is ALWAYS set (0 turns it off);
 *  - allowed IPs are added (WG_PEER_REPLACE_ALLOWEDIPS replaces them).
 *  The userspace backend applies one configuration atomically. The kernel
 *  backend applies a configuration too large for one netlink message in
 *  several messages, as wireguard-tools does; the REPLACE flags travel in
 *  the first one only.
 */
#ifndef SK_VPN_WG_H
#define SK_VPN_WG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#define WG_KEY_LEN		32

#define WG_MAX_PEERS		65536	/* per device */
#define WG_MAX_ALLOWEDIPS	262144	/* per device, all peers together */

/* wg_device.flags */
#define WG_DEVICE_REPLACE_PEERS		(1U << 0)
#define WG_DEVICE_FLAGS_ALL		WG_DEVICE_REPLACE_PEERS
/* wg_peer.flags */
#define WG_PEER_REMOVE			(1U << 0)
#define WG_PEER_REPLACE_ALLOWEDIPS	(1U << 1)
#define WG_PEER_UPDATE_ONLY		(1U << 2)	/* never creates the peer */
#define WG_PEER_FLAGS_ALL		(WG_PEER_REMOVE | \
    WG_PEER_REPLACE_ALLOWEDIPS | WG_PEER_UPDATE_ONLY)

enum wg_backend { WG_BACKEND_AUTO, WG_BACKEND_KERNEL, WG_BACKEND_USERSPACE };

struct wg_allowedip {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
	uint8_t cidr;
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	struct sockaddr_storage endpoint;	/* ss_family 0: none / unchanged */
	uint16_t keepalive;			/* seconds, 0 = off */
	struct wg_allowedip *allowed;		/* caller-owned on set, heap on get */
	size_t n_allowed;
	/* read back only: */
	struct timespec last_handshake;		/* 0 = never */
	uint64_t rx_bytes, tx_bytes;
	/* set only: */
	unsigned int flags;			/* WG_PEER_* */
};

struct wg_device {
	char ifname[IFNAMSIZ];
	uint8_t private_key[WG_KEY_LEN];	/* never printed: "(hidden)" */
	int has_private_key;
	uint8_t public_key[WG_KEY_LEN];		/* read back */
	uint16_t listen_port;
	int has_listen_port;
	unsigned int flags;			/* WG_DEVICE_*, set only */
	struct wg_peer *peers;			/* caller-owned on set, heap on get */
	size_t n_peers;
};

/*
 * Creates ifname and makes it answer.
 * kernel: RTM_NEWLINK of kind "wireguard"; *child = 0.
 * userspace: spawns `wireguard-go -f ifname` (in the test build only,
 *   build/test/, $SEKISHO_WG_USERSPACE may name another program) and waits
 *   up to WG_CREATE_TIMEOUT_MS for
 *   its UAPI socket to answer. *child is its pid: the caller supervises and
 *   reaps it (SIGTERM stops it). On failure the child is already reaped.
 * If the interface already exists and answers, nothing is started and
 *   *child = 0: a restarted daemon resumes the live tunnel.
 * AUTO: a live userspace interface of that name is reused; otherwise the
 *   kernel when the generic netlink family "wireguard" resolves, otherwise
 *   userspace.
 */
#define WG_CREATE_TIMEOUT_MS	3000
int wg_create(const char *ifname, enum wg_backend b, pid_t *child);

/* Applies one configuration (see the semantics above). */
int wg_set(const struct wg_device *dev);

/* The public key of priv (X25519). Defined in vpn/wg_pubkey.c, which a
 * program links when it wants wg_get() to fill in the public key on the
 * userspace backend (the UAPI does not report it); without it that field
 * stays zero and the program does not depend on libcrypto. */
int wg_public_key(uint8_t pub[WG_KEY_LEN], const uint8_t priv[WG_KEY_LEN])
    __attribute__((weak));

/* Reads ifname back into *out (zeroed first). peers and their allowed IPs
 * are heap-allocated: release with wg_device_free(). On error *out holds
 * nothing (calling wg_device_free() on it is harmless). */
int wg_get(const char *ifname, struct wg_device *out);

/* Frees what wg_get() allocated and wipes the whole structure (private key
 * included). Never call it on a caller-built configuration. */
void wg_device_free(struct wg_device *dev);

/*
 * kernel: RTM_DELLINK.
 * userspace: removes the UAPI socket; wireguard-go notices, removes its
 *   interface and exits. Reaping it (or SIGTERM if it does not exit) is the
 *   caller's job, since the caller holds its pid from wg_create().
 */
int wg_delete(const char *ifname);

/* USERSPACE when ifname's UAPI socket exists, KERNEL otherwise (whether or
 * not such an interface exists), as wireguard-tools decides. */
enum wg_backend wg_backend_of(const char *ifname);


/* Checks a configuration as wg_set() would: interface name, flag bits,
 * endpoint and allowed-IP families, prefix lengths, counts. -EINVAL or
 * -E2BIG (limits). */
int wg_device_check(const struct wg_device *dev);

/* For the backends' readers: append a zeroed peer, or one allowed IP to a
 * peer. -E2BIG past WG_MAX_PEERS / WG_MAX_ALLOWEDIPS (per peer; readers
 * also count the device's total), -ENOMEM. */
int wg_device_add_peer(struct wg_device *dev, struct wg_peer **out);
int wg_peer_add_allowedip(struct wg_peer *p, const struct wg_allowedip *a);

#endif
