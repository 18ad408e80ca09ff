/*
 * UDP for the beacon and its probe: "addr:port" parsing, the listening
 * socket (answers leave from the address the challenge was sent to, with
 * TTL 255, and the TTL of each challenge is known), and the probe's
 * connected socket.
 */
#ifndef SK_BEACON_UDP_H
#define SK_BEACON_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "lib/util.h"

#define BEACON_TTL		255	/* sent; an on-link receiver sees 255 */
#define BEACON_DGRAM_MAX	256	/* larger datagrams are cut here */
#define BEACON_ADDRSTRLEN	(INET6_ADDRSTRLEN + 8)

struct beacon_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/* One datagram as received, and what is needed to answer it. */
struct beacon_dgram {
	uint8_t			buf[BEACON_DGRAM_MAX];
	size_t			len;
	struct beacon_addr	from;
	int			ttl;		/* -1 if the kernel did not say */
	int64_t			rx_ns;		/* the kernel's receive time (SO_TIMESTAMPNS
						 * or SO_TIMESTAMPING's software stamp,
						 * CLOCK_REALTIME ns), -1 if it did not say */
	int			has_pktinfo;
	union {
		struct in_pktinfo	v4;
		struct in6_pktinfo	v6;
	} pktinfo;
};

/* "1.2.3.4:51821", "1.2.3.4", "[2001:db8::1]:51821", "[::1]" (numeric
 * only). 0 or -EINVAL with err naming the address. */
int beacon_addr_parse(const char *s, uint16_t default_port,
    struct beacon_addr *a, struct sk_error *err);
const char *beacon_addr_str(const struct beacon_addr *a, char *buf, size_t len);

/* A non-blocking socket bound to a; IPv6 addresses listen for IPv6 only. */
int beacon_udp_listen(const struct beacon_addr *a, struct sk_error *err);
/* The next datagram: its length, -EAGAIN when there is none, or -errno. */
ssize_t beacon_udp_recv(int fd, struct beacon_dgram *d);
/* What the kernel said of a datagram received into m (its control
 * buffer, msg_controllen bytes, msg_flags): d->ttl from an IP_TTL or
 * IPV6_HOPLIMIT message of exactly one int, else -1; d->pktinfo and
 * d->has_pktinfo likewise; d->rx_ns from an SCM_TIMESTAMPNS message of
 * exactly one struct timespec, or an SCM_TIMESTAMPING message of exactly
 * three whose first (the software stamp) is not zero, with tv_nsec below
 * 10^9, else -1. Nothing outside the buffer is read; a truncated buffer
 * (MSG_CTRUNC) says nothing. */
void beacon_cmsg_read(const struct msghdr *m, struct beacon_dgram *d);

/*
 * The kernel's own clock on a socket (SO_TIMESTAMPING, software stamps),
 * for the netvm's beacon socket (netvm/sekishod/office.c): every datagram
 * received carries its receive time (rx_ns above), and every datagram
 * sent leaves a transmit time on the socket's error queue, numbered from 0
 * in the order sent (OPT_ID), without the packet (OPT_TSONLY): taken as
 * the packet is queued to the device (SCHED) and as the driver hands it on
 * (SND), where the driver supports it. Also IP_RECVTTL. 0 or -errno.
 */
int beacon_udp_stamp(int fd);

struct beacon_tx_stamp {
	uint32_t	id;	/* the send's number on the socket, from 0 */
	int64_t		ns;	/* CLOCK_REALTIME */
	int		sched;	/* 1: at the queueing discipline; 0: by the driver */
};
/* One message of the error queue, received into m (MSG_ERRQUEUE): 1 and
 * *t when it is a transmit time (an IP_RECVERR of origin
 * SO_EE_ORIGIN_TIMESTAMPING with an SCM_TIMESTAMPING beside it), else 0.
 * Nothing outside the buffer is read. */
int beacon_tx_stamp_parse(const struct msghdr *m, struct beacon_tx_stamp *t);
/* Reads one message from fd's error queue: 1 with *t (a transmit time),
 * 0 for anything else (an ICMP error, say: read and dropped), -EAGAIN
 * when the queue is empty, or -errno. */
int beacon_tx_stamp_read(int fd, struct beacon_tx_stamp *t);
/* Answers d's sender from the address d was sent to. 0 or -errno. */
int beacon_udp_reply(int fd, const struct beacon_dgram *d, const uint8_t *buf,
    size_t len);

/* The probe's socket: connected to dst (so only dst's datagrams arrive),
 * bound to src when not NULL, sending with TTL 255. */
int beacon_udp_connect(const struct beacon_addr *dst,
    const struct beacon_addr *src, struct sk_error *err);

#endif
