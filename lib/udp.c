#include "lib/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
addr_split(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *end;
	size_t n;

	*port = NULL;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -EINVAL;
		n = (size_t)(end - s - 1);
		s++;
		if (end[1] == ':')
			*port = end + 2;
		else if (end[1] != '\0')
			return -EINVAL;
	} else {
		end = strchr(s, ':');
		if (end != NULL && strchr(end + 1, ':') != NULL)
			return -EINVAL;	/* IPv6 without brackets */
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		if (end != NULL)
			*port = end + 1;
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int
beacon_addr_parse(const char *s, uint16_t default_port, struct beacon_addr *a,
    struct sk_error *err)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN];
	const char *port;
	uint64_t p = default_port;

	memset(a, 0, sizeof(*a));
	if (addr_split(s, host, sizeof(host), &port) != 0 ||
	    (port != NULL && parse_u64(port, 1, 65535, &p) != 0))
		return sk_errorf(err, EINVAL,
		    "address \"%s\": must be ADDR[:PORT] or [ADDR6][:PORT]", s);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*sin6);
	} else
		return sk_errorf(err, EINVAL,
		    "address \"%s\": \"%s\" is no numeric IPv4 or IPv6 address", s, host);
	return 0;
}

const char *
beacon_addr_str(const struct beacon_addr *a, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "(unknown family)");
	return buf;
}

static int
setint(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/* TTL 255 out; TTL and destination address of each datagram in. */
static int
sock_options(int fd, int family, int listening)
{
	if (family == AF_INET)
		return setint(fd, IPPROTO_IP, IP_TTL, BEACON_TTL) == -1 ||
		    (listening && (setint(fd, IPPROTO_IP, IP_RECVTTL, 1) == -1 ||
		    setint(fd, IPPROTO_IP, IP_PKTINFO, 1) == -1)) ? -1 : 0;
	return setint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, BEACON_TTL) == -1 ||
	    (listening && (setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) == -1 ||
	    setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) == -1 ||
	    setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) == -1)) ? -1 : 0;
}

int
beacon_udp_listen(const struct beacon_addr *a, struct sk_error *err)
{
	char s[BEACON_ADDRSTRLEN];
	int fd, rc;

	fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return sk_errorf(err, errno, "socket: %s", strerror(errno));
	if (sock_options(fd, a->ss.ss_family, 1) == -1 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1) {
		rc = sk_errorf(err, errno, "listen on %s: %s",
		    beacon_addr_str(a, s, sizeof(s)), strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

/* A kernel time in ns, -1 if out of range. */
static int64_t
timespec_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= 0 && ts->tv_sec < INT64_MAX / 1000000000 - 1 &&
	    ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000)
		return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
	return -1;
}

/* Walks the control buffer by hand, every header and its data checked to
 * lie inside msg_controllen: CMSG_NXTHDR's pointer arithmetic on a
 * cmsg_len past the buffer would already be out of bounds. */
void
beacon_cmsg_read(const struct msghdr *m, struct beacon_dgram *d)
{
	const uint8_t *ctl = m->msg_control;
	size_t len = m->msg_control != NULL ? m->msg_controllen : 0, off = 0, dlen;
	struct cmsghdr c;
	const uint8_t *data;

	d->ttl = -1;
	d->has_pktinfo = 0;
	d->rx_ns = -1;
	if (m->msg_flags & MSG_CTRUNC)
		return;
	while (len - off >= CMSG_LEN(0)) {
		memcpy(&c, ctl + off, sizeof(c));
		if (c.cmsg_len < CMSG_LEN(0) || c.cmsg_len > len - off)
			return;
		data = ctl + off + CMSG_LEN(0);
		dlen = c.cmsg_len - CMSG_LEN(0);
		if (c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_TTL && dlen == sizeof(int))
			memcpy(&d->ttl, data, sizeof(int));
		else if (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_HOPLIMIT &&
		    dlen == sizeof(int))
			memcpy(&d->ttl, data, sizeof(int));
		else if (c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_PKTINFO &&
		    dlen == sizeof(struct in_pktinfo)) {
			memcpy(&d->pktinfo.v4, data, sizeof(d->pktinfo.v4));
			d->has_pktinfo = 1;
		} else if (c.cmsg_level == IPPROTO_IPV6 && c.cmsg_type == IPV6_PKTINFO &&
		    dlen == sizeof(struct in6_pktinfo)) {
			memcpy(&d->pktinfo.v6, data, sizeof(d->pktinfo.v6));
			d->has_pktinfo = 1;
		} else if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_TIMESTAMPNS &&
		    dlen == sizeof(struct timespec)) {
			struct timespec ts;

			memcpy(&ts, data, sizeof(ts));
			d->rx_ns = timespec_ns(&ts);
		} else if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_TIMESTAMPING &&
		    dlen == 3 * sizeof(struct timespec)) {
			struct timespec ts;

			memcpy(&ts, data, sizeof(ts));	/* [0]: the software stamp */
			if (ts.tv_sec != 0 || ts.tv_nsec != 0)
				d->rx_ns = timespec_ns(&ts);
		}
		if (CMSG_ALIGN(c.cmsg_len) >= len - off)
			return;
		off += CMSG_ALIGN(c.cmsg_len);
	}
}

int
beacon_udp_stamp(int fd)
{
	int flags = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_TX_SOFTWARE |
	    SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
	    SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY, on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)) == -1)
		return -errno;
	return 0;
}

int
beacon_tx_stamp_parse(const struct msghdr *m, struct beacon_tx_stamp *t)
{
	const uint8_t *ctl = m->msg_control;
	size_t len = m->msg_control != NULL ? m->msg_controllen : 0, off = 0, dlen;
	struct sock_extended_err ee;
	struct timespec ts;
	struct cmsghdr c;
	const uint8_t *data;
	int has_ee = 0, has_ts = 0;

	if (m->msg_flags & MSG_CTRUNC)
		return 0;
	while (len - off >= CMSG_LEN(0)) {
		memcpy(&c, ctl + off, sizeof(c));
		if (c.cmsg_len < CMSG_LEN(0) || c.cmsg_len > len - off)
			return 0;
		data = ctl + off + CMSG_LEN(0);
		dlen = c.cmsg_len - CMSG_LEN(0);
		if (c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_RECVERR &&
		    dlen >= sizeof(ee)) {
			memcpy(&ee, data, sizeof(ee));
			has_ee = ee.ee_errno == ENOMSG &&
			    ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
			    (ee.ee_info == SCM_TSTAMP_SND || ee.ee_info == SCM_TSTAMP_SCHED);
		} else if (c.cmsg_level == SOL_SOCKET && c.cmsg_type == SCM_TIMESTAMPING &&
		    dlen == 3 * sizeof(struct timespec)) {
			memcpy(&ts, data, sizeof(ts));
			has_ts = (ts.tv_sec != 0 || ts.tv_nsec != 0) && timespec_ns(&ts) >= 0;
		}
		if (CMSG_ALIGN(c.cmsg_len) >= len - off)
			break;
		off += CMSG_ALIGN(c.cmsg_len);
	}
	if (!has_ee || !has_ts)
		return 0;
	t->id = ee.ee_data;
	t->ns = timespec_ns(&ts);
	t->sched = ee.ee_info == SCM_TSTAMP_SCHED;
	return 1;
}

int
beacon_tx_stamp_read(int fd, struct beacon_tx_stamp *t)
{
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6)) +
				    CMSG_SPACE(3 * sizeof(struct timespec)) + 64];
	} ctl;
	uint8_t pkt[BEACON_DGRAM_MAX];
	struct iovec iov = { pkt, sizeof(pkt) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};

	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return beacon_tx_stamp_parse(&m, t);
}

ssize_t
beacon_udp_recv(int fd, struct beacon_dgram *d)
{
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(int)) +
				    CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(3 * sizeof(struct timespec))];
	} ctl;
	struct iovec iov = { d->buf, sizeof(d->buf) };
	struct msghdr m = {
		.msg_name = &d->from.ss, .msg_namelen = sizeof(d->from.ss),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	/* A datagram longer than buf arrives cut to sizeof(buf): still of a
	 * wrong length, and never read past the buffer. */
	if ((n = recvmsg(fd, &m, MSG_DONTWAIT)) == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	d->len = (size_t)n;
	d->from.len = m.msg_namelen;
	beacon_cmsg_read(&m, d);
	return n;
}

/* The answer's source: the local address the challenge reached (for IPv4,
 * the kernel's spec_dst, which is also right for a broadcast). */
static void
cmsg_write(struct msghdr *m, const struct beacon_dgram *d, uint8_t *buf)
{
	struct cmsghdr *c;

	m->msg_control = buf;
	if (d->from.ss.ss_family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		pi.ipi_spec_dst = d->pktinfo.v4.ipi_spec_dst;
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = d->pktinfo.v6;

		if (IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr))
			memset(&pi.ipi6_addr, 0, sizeof(pi.ipi6_addr));
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

int
beacon_udp_reply(int fd, const struct beacon_dgram *d, const uint8_t *buf,
    size_t len)
{
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr m = {
		.msg_name = (void *)(uintptr_t)&d->from.ss, .msg_namelen = d->from.len,
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	memset(&ctl, 0, sizeof(ctl));
	if (d->has_pktinfo)
		cmsg_write(&m, d, ctl.buf);
	if (sendmsg(fd, &m, MSG_DONTWAIT) == -1)
		return -errno;
	return 0;
}

int
beacon_udp_connect(const struct beacon_addr *dst, const struct beacon_addr *src,
    struct sk_error *err)
{
	char s[BEACON_ADDRSTRLEN];
	int fd, rc;

	fd = socket(dst->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return sk_errorf(err, errno, "socket: %s", strerror(errno));
	if (sock_options(fd, dst->ss.ss_family, 0) == -1 ||
	    (src != NULL && bind(fd, (const struct sockaddr *)&src->ss, src->len) == -1)) {
		rc = sk_errorf(err, errno, "bind %s: %s", src != NULL ?
		    beacon_addr_str(src, s, sizeof(s)) : "", strerror(errno));
		close(fd);
		return rc;
	}
	if (connect(fd, (const struct sockaddr *)&dst->ss, dst->len) == -1) {
		rc = sk_errorf(err, errno, "connect %s: %s",
		    beacon_addr_str(dst, s, sizeof(s)), strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}
