/*
 * sekisho-dhcpd's packets, pure: no sockets, no Linux headers beyond the
 * address types. The work link has one client and one address, so the
 * server holds no state: each answer follows from the request and the
 * configuration alone.
 *
 * DHCPv4 (RFC 2131/2132): DISCOVER -> OFFER, REQUEST -> ACK for the one
 * address (NAK for any other, when the request is ours), INFORM -> ACK
 * without a lease; RELEASE and DECLINE need no answer. Options sent:
 * message type, server id (the router), lease time, T1, T2, netmask,
 * router, DNS server (the router). Over-long, truncated or non-Ethernet
 * requests, requests without the magic cookie or a message type, and
 * options that overrun are refused (-1).
 *
 * DHCPv6 (RFC 8415): SOLICIT -> ADVERTISE, REQUEST/RENEW/REBIND -> REPLY
 * with IA_NA holding the one address, CONFIRM/RELEASE/DECLINE -> REPLY
 * with status Success, INFORMATION-REQUEST -> REPLY; every answer carries
 * the client's id, our DUID-LL and the DNS server (the router's address).
 * A request naming another server, or none where one is required, gets
 * no answer (0).
 *
 * Router advertisement (RFC 4861): managed and other-config flags (the
 * address comes from DHCPv6, as dnsmasq's --enable-ra with a DHCPv6
 * range does), router lifetime 0 (as dnsmasq sent it: the netvm has no
 * IPv6 default route of its own), the on-link prefix without autonomous
 * configuration, our link-layer address.
 */
#ifndef SK_DHCP_CODEC_H
#define SK_DHCP_CODEC_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP4_MAX	1500	/* what we accept and what we send */
#define DHCP6_MAX	1500
#define DHCP_LEASE	43200	/* 12 h, as dnsmasq was configured */

struct dhcpd_conf {
	struct in_addr	 addr, router, mask;
	uint32_t	 lease;		/* seconds */
	int		 has_v6;
	struct in6_addr	 addr6, router6;
	unsigned int	 plen6;
	uint8_t		 mac[6];	/* the work link's, for DUID and RA */
};

/* Where a DHCPv4 answer goes (the caller builds the frame). */
struct dhcp4_dest {
	uint8_t		 mac[6];	/* the client's hardware address */
	int		 broadcast;	/* to ff:ff:ff:ff:ff:ff, 255.255.255.255 */
	struct in_addr	 ip;		/* else this address, unicast */
};

/* The answer to one request: its length in out, 0 for no answer, -1 for a
 * malformed request. out must hold DHCP4_MAX bytes. */
int dhcp4_answer(const struct dhcpd_conf *c, const uint8_t *in, size_t len,
    uint8_t *out, struct dhcp4_dest *dest);

/* The same for DHCPv6; out holds DHCP6_MAX bytes. */
int dhcp6_answer(const struct dhcpd_conf *c, const uint8_t *in, size_t len,
    uint8_t *out);

/* A router advertisement (ICMPv6 type 134, checksum left 0: the kernel
 * fills it in); its length. out holds 64 bytes. */
size_t ra_build(const struct dhcpd_conf *c, uint8_t *out);

#endif
