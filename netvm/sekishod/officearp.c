/*
 * The office router's liveness (policy/render/fw_office.h): in office
 * mode the parent asks the router it was proven behind, every router-arp
 * ms (the policy's timers; off: never), by a unicast ARP request from the office uplink; the
 * kernel itself (set router_alive) keeps the office path open only while
 * the replies come, from exactly that link-layer address for exactly that
 * address. sekishod sends; it reads nothing: the reply is the kernel's
 * business. A packet socket that receives nothing (protocol 0), bound to
 * the office uplink.
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

void
office_arp_stop(struct sekishod *d)
{
	if (d->arp_fd > 0)
		close(d->arp_fd);
	d->arp_fd = -1;
	d->arp_ifindex = 0;
	timers_on_office_arp(&d->timers, now_ms(), 0);
}

/* Our own hardware and IPv4 address on ifname, from the kernel. */
static int
own_addrs(int fd, const char *ifname, uint8_t mac[6], struct in_addr *ip)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	sk_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&ifr, 0, sizeof(ifr));
	sk_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_addr.sa_family = AF_INET;
	if (ioctl(fd, SIOCGIFADDR, &ifr) == -1)
		return -errno;
	*ip = ((struct sockaddr_in *)(void *)&ifr.ifr_addr)->sin_addr;
	return 0;
}

void
office_arp(struct sekishod *d)
{
	const struct uplink *u = engine_office_uplink(&d->engine);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6,
	    .sll_protocol = htons(ETH_P_ARP) };
	const struct in_addr *gw;
	const uint8_t *mac;
	struct ether_arp a;
	struct in_addr own = { 0 };

	if (d->rules_mode != MODE_OFFICE || u == NULL ||
	    timers_router_arp_ms(&d->pol) == 0 ||	/* router-arp off */
	    (mac = kv_office_mac(&d->kv, u->ifindex)) == NULL ||
	    (gw = kv_office_gw(&d->kv, u->ifindex)) == NULL) {
		office_arp_stop(d);
		return;
	}
	if (d->arp_fd > 0 && d->arp_ifindex != u->ifindex)
		office_arp_stop(d);	/* office mode moved to another uplink */
	timers_on_office_arp(&d->timers, now_ms(), timers_router_arp_ms(&d->pol));
	if (d->arp_fd <= 0) {
		struct sockaddr_ll b = { .sll_family = AF_PACKET, .sll_ifindex = u->ifindex };

		if ((d->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
		    bind(d->arp_fd, (struct sockaddr *)&b, sizeof(b)) == -1) {
			log_warn("office: ARP to the router on %s", u->name);
			if (d->arp_fd != -1)
				close(d->arp_fd);
			d->arp_fd = -1;
			return;
		}
		d->arp_ifindex = u->ifindex;
	}
	memset(&a, 0, sizeof(a));
	a.arp_hrd = htons(ARPHRD_ETHER);
	a.arp_pro = htons(ETH_P_IP);
	a.arp_hln = 6;
	a.arp_pln = 4;
	a.arp_op = htons(ARPOP_REQUEST);
	if (own_addrs(d->arp_fd, u->name, a.arp_sha, &own) < 0)
		return;		/* no address now: the next tick */
	memcpy(a.arp_spa, &own.s_addr, 4);
	memcpy(a.arp_tha, mac, 6);
	memcpy(a.arp_tpa, &gw->s_addr, 4);
	sll.sll_ifindex = u->ifindex;
	memcpy(sll.sll_addr, mac, 6);
	if (sendto(d->arp_fd, &a, sizeof(a), MSG_DONTWAIT, (struct sockaddr *)&sll,
	    sizeof(sll)) == -1 && errno != ENOBUFS && errno != EAGAIN)
		log_debug("office: ARP to the router on %s: %s", u->name, strerror(errno));
}
