#include "netvm/sekishod/workside.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
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

#define DHCPD	"sekisho-dhcpd"

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

/* The work link's DHCP server sits beside sekishod (or in
 * /usr/libexec/sekisho when sekishod cannot tell where it is). */
static void
dhcpd_path(char *buf, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		sk_strlcpy(buf, "/usr/libexec/sekisho/" DHCPD, size);
		return;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		slash[1] = '\0';
	sk_strlcpy(buf, self, size);
	if (strlen(buf) + strlen(DHCPD) < size)
		strcat(buf, DHCPD);
}

/* A server left running by a sekishod that was killed holds the DHCP
 * port; stop it, but only if the pid file still names one. */
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
	if (strncmp(comm, DHCPD, strlen(DHCPD)) != 0)
		return;
	kill((pid_t)pid, SIGTERM);
	for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
		usleep(10000);
}

static void
write_pidfile(const char *pidfile, pid_t pid)
{
	FILE *f = fopen(pidfile, "w");

	if (f == NULL || fprintf(f, "%ld\n", (long)pid) < 0 || fclose(f) != 0)
		log_warn("%s", pidfile);
}

/*
 * sekisho-dhcpd, not dnsmasq: whatever work can send a packet to must hold
 * no capability and not run as root (issue 10, item 8). dnsmasq keeps
 * CAP_NET_ADMIN and CAP_NET_RAW for life once it does DHCP (for ARP
 * injection and ICMP), and dies if it cannot; sekisho-dhcpd opens its
 * sockets as root, then enters its sandbox (lib/sandbox.h) with nothing.
 * It does what dnsmasq was configured to do here: the one address,
 * router and DNS = the netvm's address, 12 h leases, authoritative; with
 * IPv6, router advertisements (managed) and DHCPv6 for the one address.
 */
int
workside_dhcp_start(struct workside *w, const struct policy *pol)
{
	char prog[PATH_MAX], a[INET_ADDRSTRLEN + 4], r[INET_ADDRSTRLEN];
	char a6[INET6_ADDRSTRLEN + 5], r6[INET6_ADDRSTRLEN], pidf[300], s[INET_ADDRSTRLEN];
	char *argv[] = { DHCPD, "-i", w->ifname, "-a", a, "-r", r, NULL, NULL,
	    NULL, NULL, NULL };
	int rc;

	dhcpd_path(prog, sizeof(prog));
	inet_ntop(AF_INET, &pol->work_addr, s, sizeof(s));
	snprintf(a, sizeof(a), "%s/%u", s, (unsigned)pol->work_plen);
	inet_ntop(AF_INET, &pol->work_router, r, sizeof(r));
	if (pol->has_v6) {
		char x[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &pol->work_addr6, x, sizeof(x));
		snprintf(a6, sizeof(a6), "%s/%u", x, (unsigned)pol->work_plen6);
		inet_ntop(AF_INET6, &pol->work_router6, r6, sizeof(r6));
		argv[7] = "-6";
		argv[8] = a6;
		argv[9] = "-R";
		argv[10] = r6;
	}
	snprintf(pidf, sizeof(pidf), "%s/work-dhcp.pid", w->rundir);
	stop_stale(pidf);
	if ((rc = spawn_child(&w->dhcp, prog, argv, -1, -1, -1)) < 0) {
		w->dhcp = 0;
		return rc;
	}
	write_pidfile(pidf, w->dhcp);
	log_info("work link %s: DHCP serves %s (router and DNS %s)", w->ifname, s, r);
	return 0;
}

int
workside_update(struct workside *w, const struct policy *old, const struct policy *pol)
{
	int rc;

	/* The netvm's new address on the work link first, then the old one
	 * goes (unless it is the same), then the DHCP server serves the new
	 * address: work takes it at its next request, which the server
	 * answers for the old one with a refusal. */
	if ((rc = route_addr_add(w->ifindex, pol->work_router, pol->work_plen)) < 0)
		return rc;
	if ((old->work_router.s_addr != pol->work_router.s_addr ||
	    old->work_plen != pol->work_plen) &&
	    (rc = route_addr_del(w->ifindex, old->work_router, old->work_plen)) < 0)
		return rc;
	workside_close(w);
	return workside_dhcp_start(w, pol);
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
