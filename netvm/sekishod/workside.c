#include "netvm/sekishod/workside.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/proc.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/route6.h"
#include "policy/policy.h"

#define DNSMASQ "/usr/sbin/dnsmasq"

int
workside_open(struct workside *w, const char *ifname, const char *rundir,
    const struct policy *pol, struct sk_error *err)
{
	int rc;

	memset(w, 0, sizeof(*w));
	sk_strlcpy(w->ifname, ifname, sizeof(w->ifname));
	sk_strlcpy(w->rundir, rundir, sizeof(w->rundir));
	if ((w->ifindex = (int)if_nametoindex(ifname)) == 0)
		return sk_errorf(err, ENODEV, "work interface %s: no such interface",
		    ifname);
	if ((rc = route_addr_add(w->ifindex, pol->work_router, pol->work_plen)) < 0 ||
	    (pol->has_v6 && (rc = route6_addr_add(w->ifindex, &pol->work_router6,
	    pol->work_plen6)) < 0) ||
	    (rc = route_link_set(w->ifindex, 1, 0)) < 0)
		return sk_errorf(err, -rc, "work interface %s: %s", ifname,
		    strerror(-rc));
	return 0;
}

/* A dnsmasq left running by a sekishod that was killed holds the DHCP
 * port; stop it, but only if the pid file still names a dnsmasq. */
static void
stop_stale(const char *pidfile)
{
	char path[64], comm[32] = "";
	long pid = 0;
	FILE *f;

	if ((f = fopen(pidfile, "r")) == NULL)
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	if (strncmp(comm, "dnsmasq", 7) != 0)
		return;
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
		usleep(10000);
}

int
workside_dhcp_start(struct workside *w, const struct policy *pol)
{
	char iface[64], range[96], router[64], dns[64], pidf[300], leases[300];
	char range6[160], pidarg[320], *argv[] = { "dnsmasq", "--keep-in-foreground",
	    "--conf-file=/dev/null", "--port=0", "--bind-interfaces", iface,
	    "--except-interface=lo", range, router, dns, "--dhcp-authoritative",
	    leases, pidarg, "--log-facility=-", "--quiet-dhcp", "--quiet-dhcp6",
	    "--quiet-ra", NULL, NULL, NULL };
	int rc;
	char a[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	uint32_t mask = htonl(~0u << (32 - pol->work_plen));
	struct in_addr m = { mask };
	char mk[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &pol->work_addr, a, sizeof(a));
	inet_ntop(AF_INET, &pol->work_router, r, sizeof(r));
	inet_ntop(AF_INET, &m, mk, sizeof(mk));
	snprintf(pidf, sizeof(pidf), "%s/work-dhcp.pid", w->rundir);
	snprintf(leases, sizeof(leases), "--dhcp-leasefile=%s/work-dhcp.leases", w->rundir);
	snprintf(iface, sizeof(iface), "--interface=%s", w->ifname);
	snprintf(range, sizeof(range), "--dhcp-range=%s,%s,%s,12h", a, a, mk);
	snprintf(router, sizeof(router), "--dhcp-option=option:router,%s", r);
	snprintf(dns, sizeof(dns), "--dhcp-option=option:dns-server,%s", r);
	snprintf(pidarg, sizeof(pidarg), "--pid-file=%s", pidf);
	if (pol->has_v6) {
		/* Router advertisements with the managed flag, and DHCPv6 handing
		 * out the one address work may use. */
		char a6[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &pol->work_addr6, a6, sizeof(a6));
		snprintf(range6, sizeof(range6), "--dhcp-range=%s,%s,%u,12h", a6, a6,
		    (unsigned)pol->work_plen6);
		argv[nitems(argv) - 3] = "--enable-ra";
		argv[nitems(argv) - 2] = range6;
	}
	stop_stale(pidf);
	if ((rc = spawn_child(&w->dhcp, DNSMASQ, argv, -1, -1, -1)) < 0) {
		w->dhcp = 0;
		return rc;
	}
	log_info("work link %s: DHCP serves %s (router and DNS %s)", w->ifname, a, r);
	return 0;
}

void
workside_close(struct workside *w)
{
	if (w->dhcp > 0) {
		kill(w->dhcp, SIGTERM);
		waitpid(w->dhcp, NULL, 0);
		w->dhcp = 0;
	}
}
