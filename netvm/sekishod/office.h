/*
 * Office mode's side of the netvm: the routes that send LGWAN traffic
 * straight out of the office uplink, and the beacon probes (run by the
 * sekisho-probe helper, apart from the daemon) that decide whether an
 * uplink is an office LAN at all.
 */
#ifndef SK_OFFICE_H
#define SK_OFFICE_H

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "netvm/sekishod/engine.h"

struct policy;

/* LGWAN prefixes and the office resolvers via gw (or on-link) out of oif. */
int office_routes(const struct policy *pol, int oif, const struct in_addr *gw);
/* A live policy change: removes from the office table the prefixes and
 * office resolvers old had and new has not. 0 or the first error. */
int office_withdraw(const struct policy *old, const struct policy *new);
/* Office mode's ruleset is gone: the office table is emptied of the
 * policy's routes, so nothing routes LGWAN out of an uplink that is no
 * longer proven. 0 or the first error (the others are still tried). */
int office_unroute(const struct policy *pol);

/*
 * The office proof across a restart. While office mode's ruleset is in
 * force, RUNDIR/office holds the uplink as the engine knew it when the
 * beacon answered (interface, carrier-flap count, address, gateway,
 * beacon); it goes before any other ruleset is loaded. A sekishod that
 * starts (after a crash, say) with the proof there knows the kernel holds
 * office rules, and keeps the proof only if the uplink is exactly as it
 * was (engine_vouch), then probes again at once: office mode goes on
 * without a detour through remote mode (and the flush of every tracked
 * connection that comes with changing mode).
 */
int office_proof_save(const char *rundir, const struct uplink *u);
/* 1 and *u filled if a well-formed proof was there, else 0. */
int office_proof_load(const char *rundir, struct uplink *u);
void office_proof_drop(const char *rundir);

struct probe_run {
	int		ifindex;
	char		ifname[IF_NAMESIZE];
	pid_t		pid;
	int		fd;		/* the helper's standard output */
	char		buf[256];
	size_t		len;
	uint64_t	deadline;
};

struct prober {
	char		helper[PATH_MAX];
	struct probe_run runs[ENGINE_MAX_UPLINKS];
	size_t		n;
};

void prober_init(struct prober *p, const char *helper);
/* Starts a probe of the policy's beacons over ifname (replacing one still
 * running there). 0 or -errno. */
int prober_start(struct prober *p, const struct policy *pol, int ifindex,
    const char *ifname, uint64_t now);
/* The descriptors to poll, in the order prober_read() takes them. */
size_t prober_pollfds(const struct prober *p, struct pollfd *pfd, size_t max);
/* Reads what run i wrote; 1 with *ev filled when its verdict is in. */
int prober_read(struct prober *p, size_t i, struct event *ev, uint64_t now);
/* Ends runs past their deadline, each with a failure event via cb. */
void prober_expire(struct prober *p, uint64_t now,
    void (*cb)(const struct event *, void *), void *arg);
/* A child was reaped: if it was a probe's helper, its run forgets the pid
 * (its output may still be unread), so nothing signals a pid the kernel
 * may give to another process. 1 if it was one. Call before anything else
 * can signal it, right after waitpid(). */
int prober_reaped(struct prober *p, pid_t pid);
/* Milliseconds until the next deadline, -1 if none. */
int prober_timeout(const struct prober *p, uint64_t now);
void prober_stop_all(struct prober *p);

#endif
