/*
 * sekisho-dhcpd: the work link's DHCP server (docs/architecture.md). It
 * gives the work partition its one address, the router and DNS (both the
 * netvm's address on the link) and, when the policy has IPv6, router
 * advertisements and DHCPv6 for its one IPv6 address. Windows can send it
 * anything, so it holds nothing: its sockets are opened as root, then it
 * enters its sandbox (lib/sandbox.h) for good: user _sekisho-dhcp, no
 * capability, no file system, no system call but receiving and sending
 * on those sockets. Answers go out through a packet socket, so a client
 * without an address gets its offer without ARP (dnsmasq kept
 * CAP_NET_ADMIN for life to inject ARP entries instead).
 *
 *	sekisho-dhcpd -i IFNAME -a ADDRESS/PLEN -r ROUTER
 *	    [-6 ADDRESS6/PLEN6 -R ROUTER6] [-l LEASE-SECONDS] [-v]
 *
 * The packets themselves are dhcp_codec.c's business (pure, fuzzed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "netvm/sekisho-dhcpd/dhcp_codec.h"

#define PROCNAME	"sekisho-dhcpd"
#define RA_INTERVAL_MS	200000	/* unsolicited advertisements, after the first few */

struct dhcpd {
	struct dhcpd_conf	 c;
	char			 ifname[IF_NAMESIZE];
	int			 ifindex;
	int			 u4, pk, u6, ra;	/* -1 when absent */
	uint64_t		 next_ra;
	unsigned int		 ras_sent;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " -i ifname -a address/plen -r router "
	    "[-6 address6/plen6 -R router6] [-l lease-seconds] [-v]\n");
	exit(2);
}

static int
parse_prefix(int af, const char *s, void *addr, unsigned int *plen)
{
	char buf[INET6_ADDRSTRLEN + 4];
	char *slash;
	uint64_t v;

	if (sk_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash++ = '\0';
	if (inet_pton(af, buf, addr) != 1 ||
	    parse_u64(slash, 1, af == AF_INET ? 30 : 128, &v) < 0)
		return -1;
	*plen = (unsigned int)v;
	return 0;
}

static void
parse_args(struct dhcpd *d, int argc, char **argv)
{
	unsigned int plen = 0;
	int ch, verbose = LOG_LEVEL_WARN, have6 = 0, haver6 = 0;
	uint64_t v;

	d->c.lease = DHCP_LEASE;
	while ((ch = getopt(argc, argv, "6:a:i:l:R:r:v")) != -1) {
		switch (ch) {
		case '6':
			if (parse_prefix(AF_INET6, optarg, &d->c.addr6, &d->c.plen6) < 0)
				usage();
			have6 = 1;
			break;
		case 'a':
			if (parse_prefix(AF_INET, optarg, &d->c.addr, &plen) < 0)
				usage();
			d->c.mask.s_addr = htonl(~0u << (32 - plen));
			break;
		case 'i':
			if (!ifname_valid(optarg))
				usage();
			sk_strlcpy(d->ifname, optarg, sizeof(d->ifname));
			break;
		case 'l':
			if (parse_u64(optarg, 120, 86400 * 7, &v) < 0)
				usage();
			d->c.lease = (uint32_t)v;
			break;
		case 'R':
			if (inet_pton(AF_INET6, optarg, &d->c.router6) != 1)
				usage();
			haver6 = 1;
			break;
		case 'r':
			if (inet_pton(AF_INET, optarg, &d->c.router) != 1)
				usage();
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || d->ifname[0] == '\0' || plen == 0 ||
	    d->c.router.s_addr == 0 || have6 != haver6)
		usage();
	d->c.has_v6 = have6;
	log_setverbose(verbose);
}

/* ---- sockets, opened as root ---- */

static int
udp_socket(int af, const char *ifname, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sl = sizeof(*sin6);
	}
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1 ||
	    (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, sl) == -1)
		fatal("%s: UDP port %u", ifname, port);
	return fd;
}

static void
join6(int fd, int ifindex, const char *group)
{
	struct ipv6_mreq m = { .ipv6mr_interface = (unsigned int)ifindex };

	inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof(m)) == -1)
		fatal("join %s", group);
}

static void
open_sockets(struct dhcpd *d)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;

	d->u6 = d->ra = -1;
	if ((d->ifindex = (int)if_nametoindex(d->ifname)) == 0)
		fatal("%s", d->ifname);
	d->u4 = udp_socket(AF_INET, d->ifname, 67);
	memset(&ifr, 0, sizeof(ifr));
	sk_strlcpy(ifr.ifr_name, d->ifname, sizeof(ifr.ifr_name));
	if (ioctl(d->u4, SIOCGIFHWADDR, &ifr) == -1)
		fatal("%s: hardware address", d->ifname);
	memcpy(d->c.mac, ifr.ifr_hwaddr.sa_data, 6);
	/* Protocol 0: it receives nothing, it only sends our answers. */
	if ((d->pk = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("packet socket");
	sll.sll_ifindex = d->ifindex;
	if (bind(d->pk, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		fatal("packet socket on %s", d->ifname);
	if (!d->c.has_v6)
		return;
	d->u6 = udp_socket(AF_INET6, d->ifname, 547);
	join6(d->u6, d->ifindex, "ff02::1:2");
	{
		struct icmp6_filter f;
		int hops = 255;

		d->ra = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
		if (d->ra == -1 ||
		    setsockopt(d->ra, SOL_SOCKET, SO_BINDTODEVICE, d->ifname,
		    (socklen_t)strlen(d->ifname)) == -1 ||
		    setsockopt(d->ra, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) == -1 ||
		    setsockopt(d->ra, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) == -1 ||
		    setsockopt(d->ra, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) == -1)
			fatal("ICMPv6 socket on %s", d->ifname);
		join6(d->ra, d->ifindex, "ff02::2");
	}
}

/* From here on: the sockets above, nothing else. */
static void
enter_sandbox(void)
{
	static const int calls[] = { SCMP_SYS(recvfrom), SCMP_SYS(sendto) };
	static const struct sandbox sb = {
		.name = PROCNAME, .user = SANDBOX_USER_DHCP, .syscalls = calls,
		.n_syscalls = nitems(calls),
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) < 0)
		fatalx("%s", err.msg);
}

/* ---- DHCPv4 ---- */

static uint16_t
csum(uint32_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)(b[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
send4(struct dhcpd *d, const uint8_t *msg, size_t len, const struct dhcp4_dest *to)
{
	static uint8_t frame[sizeof(struct iphdr) + sizeof(struct udphdr) + DHCP4_MAX];
	struct iphdr *ip = (struct iphdr *)frame;
	struct udphdr *udp = (struct udphdr *)(frame + sizeof(*ip));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6,
	    .sll_protocol = htons(ETH_P_IP), .sll_ifindex = d->ifindex };
	uint8_t pseudo[12];
	uint32_t sum;
	size_t n = sizeof(*ip) + sizeof(*udp) + len;

	memset(frame, 0, sizeof(*ip) + sizeof(*udp));
	memcpy(frame + sizeof(*ip) + sizeof(*udp), msg, len);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)n);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = d->c.router.s_addr;
	ip->daddr = to->broadcast ? INADDR_BROADCAST : to->ip.s_addr;
	ip->check = htons(csum(0, ip, sizeof(*ip)));
	udp->source = htons(67);
	udp->dest = htons(68);
	udp->len = htons((uint16_t)(sizeof(*udp) + len));
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	memcpy(pseudo + 10, &udp->len, 2);
	sum = (uint16_t)~csum(0, pseudo, sizeof(pseudo));
	udp->check = htons(csum(sum, udp, sizeof(*udp) + len));
	if (udp->check == 0)
		udp->check = 0xffff;
	if (to->broadcast)
		memset(sll.sll_addr, 0xff, 6);
	else
		memcpy(sll.sll_addr, to->mac, 6);
	if (sendto(d->pk, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		log_warn("%s: DHCP answer", d->ifname);
}

static void
on_dhcp4(struct dhcpd *d)
{
	static uint8_t in[DHCP4_MAX + 1], out[DHCP4_MAX];
	struct dhcp4_dest to;
	ssize_t n;
	int len;

	while ((n = recvfrom(d->u4, in, sizeof(in), MSG_DONTWAIT, NULL, NULL)) >= 0) {
		if ((len = dhcp4_answer(&d->c, in, (size_t)n, out, &to)) > 0)
			send4(d, out, (size_t)len, &to);
		else if (len < 0)
			log_debug("%s: malformed DHCP request (%zd bytes) dropped", d->ifname, n);
	}
}

/* ---- IPv6 ---- */

static void
on_dhcp6(struct dhcpd *d)
{
	static uint8_t in[DHCP6_MAX + 1], out[DHCP6_MAX];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int len;

	while ((n = recvfrom(d->u6, in, sizeof(in), MSG_DONTWAIT,
	    (struct sockaddr *)&from, &fl)) >= 0) {
		if ((len = dhcp6_answer(&d->c, in, (size_t)n, out)) > 0 &&
		    sendto(d->u6, out, (size_t)len, 0, (struct sockaddr *)&from, fl) == -1)
			log_warn("%s: DHCPv6 answer", d->ifname);
		fl = sizeof(from);
	}
}

static void
send_ra(struct dhcpd *d)
{
	struct sockaddr_in6 all = { .sin6_family = AF_INET6,
	    .sin6_scope_id = (uint32_t)d->ifindex };
	uint8_t ra[64];
	size_t n = ra_build(&d->c, ra);

	inet_pton(AF_INET6, "ff02::1", &all.sin6_addr);
	/* Fails quietly while the link-local address is still tentative. */
	if (sendto(d->ra, ra, n, 0, (struct sockaddr *)&all, sizeof(all)) == 0 ||
	    errno != EADDRNOTAVAIL)
		d->ras_sent++;
	d->next_ra = now_ms() + (d->ras_sent < 3 ? 3000 : RA_INTERVAL_MS);
}

static void
on_rs(struct dhcpd *d)
{
	uint8_t buf[1500];
	int got = 0;

	while (recvfrom(d->ra, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL) >= 0)
		got = 1;
	if (got)
		send_ra(d);
}

static void
loop(struct dhcpd *d)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = d->u4, .events = POLLIN },
			{ .fd = d->u6, .events = POLLIN },
			{ .fd = d->ra, .events = POLLIN },
		};
		int timeout = -1;
		uint64_t now = now_ms();

		if (d->ra != -1)
			timeout = d->next_ra > now ? (int)(d->next_ra - now) : 0;
		if (poll(pfd, 3, timeout) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN)
			on_dhcp4(d);
		if (pfd[1].revents & POLLIN)
			on_dhcp6(d);
		if (pfd[2].revents & POLLIN)
			on_rs(d);
		if (d->ra != -1 && now_ms() >= d->next_ra)
			send_ra(d);
	}
}

int
main(int argc, char **argv)
{
	static struct dhcpd d;
	char a[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	log_init(PROCNAME, 1, LOG_LEVEL_WARN);
	parse_args(&d, argc, argv);
	open_sockets(&d);
	enter_sandbox();
	d.next_ra = now_ms() + 500;
	log_info("%s: serves %s, router and DNS %s%s", d.ifname,
	    inet_ntop(AF_INET, &d.c.addr, a, sizeof(a)),
	    inet_ntop(AF_INET, &d.c.router, r, sizeof(r)),
	    d.c.has_v6 ? ", with RA and DHCPv6" : "");
	loop(&d);
}
