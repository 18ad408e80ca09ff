/*
 * The work-facing link (a Xen vif in production, a veth in the lab): the
 * netvm's router address on it, and the DHCP server that gives the work
 * partition its one address, served on that link only.
 */
#ifndef SK_WORKSIDE_H
#define SK_WORKSIDE_H

#include <sys/types.h>

#include "lib/util.h"

struct policy;

struct workside {
	char	ifname[16];
	int	ifindex;
	pid_t	dhcp;		/* sekisho-dhcpd, our child */
	char	rundir[256];
};

int workside_open(struct workside *w, const char *ifname, const char *rundir,
    const struct policy *pol, struct sk_error *err);
/* (Re)starts the DHCP server; a server left by a previous run is stopped. */
int workside_dhcp_start(struct workside *w, const struct policy *pol);
/* A live change of the work section (IPv4): the netvm's address on the
 * work link and the DHCP server follow pol. Work's connections are cut:
 * its address changes. 0 or -errno. */
int workside_update(struct workside *w, const struct policy *old, const struct policy *pol);
void workside_close(struct workside *w);

#endif
