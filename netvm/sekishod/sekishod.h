/*
 * sekishod's shared state and the functions its files offer one another,
 * grouped by file (as OpenBSD's daemons keep theirs in foo.h):
 *
 *	sekishod.c	start-up, the main loop, dispatch of events and signals
 *	actions.c	the engine's actions carried out
 *	watch.c		the tunnel's handshake, the gateway tried, children
 *	reload.c	a new bundle taken live, or refused
 *	fetch_sched.c	when bundles are fetched, and what comes of it
 *	config.c	the policy or bundle sekishod starts with; -n
 *	firewall.c	rulesets rendered and loaded
 *	timers.c	every timer: when armed, what runs when it fires
 *	dns.c		work's DNS moved to a resolver that answers
 *	engside.c	the engine process called, its actions checked
 *	signon.c	the sign-on relay started, restarted, stopped
 */
#ifndef SK_SEKISHOD_H
#define SK_SEKISHOD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "netvm/sekishod/accept.h"
#include "netvm/sekishod/dns.h"
#include "netvm/sekishod/engcheck.h"
#include "netvm/sekishod/engine.h"
#include "netvm/sekishod/engproc.h"
#include "netvm/sekishod/fetcher.h"
#include "netvm/sekishod/freshness.h"
#include "netvm/sekishod/frontend.h"
#include "netvm/sekishod/office.h"
#include "netvm/sekishod/rtnl.h"
#include "netvm/sekishod/signon.h"
#include "netvm/sekishod/timers.h"
#include "netvm/sekishod/tunnel.h"
#include "netvm/sekishod/workside.h"
#include "policy/policy.h"

struct buf;
struct fetch_status;
struct firewall;
struct fw_change;
struct fw_model;

struct sekishod {
	const char		*policy_path, *work_if, *tun_if, *sock_path, *rundir;
	const char		*keys_path, *device_path;
	int			 bundled;	/* -b: acc holds the bundle's state */
	struct accept		 acc;
	struct policy		 pol;
	uint8_t			 key[32];
	struct firewall		*fw;
	struct fw_model		*fw_held;	/* the kernel's table, if known (firewall.h) */
	struct engine		 engine;	/* the engine process's account of itself */
	struct engproc		 eng;		/* the engine process (engproc.h) */
	struct respawn		 eng_respawn, front_respawn;
	struct kview		 kv;		/* what the parent knows itself (engcheck.h) */
	int			 ctl_listen;	/* the control socket, for a new frontend */
	struct tunnel		 tun;
	struct workside		 work;
	struct signon		 signon;	/* the sign-on relay (signon.h) */
	struct prober		 prober;
	struct fetcher		 fetch;		/* bundle fetches (-b only) */
	struct dnswatch		 dns;		/* which resolver work's DNS goes to */
	struct freshness	 fresh;		/* the policy's age (-b only) */
	struct rtnl_watch	*rtnl;
	struct frontend		 front;		/* the control socket's clients */
	struct timers		 timers;
	int			 ctl_fd, sig_fd;
	int			 quit, resync, quiet;
	char			 prefer[IF_NAMESIZE];	/* the employee's uplink
							 * (prefer.c), "": none */
	int			 resync_fresh;	/* keep nothing the engine said before */
	struct event		 pending;	/* an event an action produced */
	int			 has_pending;
	enum mode		 rules_mode;	/* of the ruleset in the kernel */
	int			 office_ifindex;	/* the uplink office mode last used */
	char			 office_if[IF_NAMESIZE];
	int			 rules_base;	/* ... the policy-free base one */
	unsigned int		 rules_failures;	/* loads of the mode's failed in a row */
	int			 office_unroute_due;	/* office mode gone: empty its routes */
	uint64_t		 tidy_due;	/* a policy change left dead elements
						 * (tidy_now): when (now_ms), 0: none */
	uint64_t		 vouched_ms;	/* office mode's vouch last renewed */
	int			 arp_fd;	/* office mode: the router's ARP, or -1 */
	int			 arp_ifindex;
	int			 vouch_lapsed;	/* ... too long ago: closed in the kernel */
	time_t			 handshake_seen;
	uint64_t		 rx_seen;	/* the gateway peer's rx counter ... */
	uint64_t		 rx_seen_ms;	/* ... when it last grew; 0: never read */
	int			 live_probe_err;	/* the last probe's error, said once */
	uint64_t		 echo_seen_ms;	/* the probe's echo last answered; 0: never */
};

/* sekishod.c */
void on_event(const struct event *ev, void *arg);

/* actions.c */
/* Puts the ruleset of mode (over the office uplink) in force. If it cannot
 * load, the policy-free base ruleset stands in for it (never an older,
 * wider one) and T_RULES tries again, backing off; d->rules_mode and
 * d->rules_base say what the kernel holds. 0, or -errno: not in force. */
struct fw_params;
/* The renderer's parameters for mode under pol, from the daemon's state
 * (the office router's MAC, the expiry): one place for every load. */
void rules_params(struct sekishod *d, enum mode mode, const char *uplink,
    const struct policy *pol, struct fw_params *p);
int apply_rules(struct sekishod *d, enum mode mode, const char *uplink);
/* The same for a policy change made ready (reload.c), mode and uplink as
 * it was made for: applied by difference, with the same fallback. */
int apply_policy_rules(struct sekishod *d, enum mode mode, const char *uplink,
    struct fw_change *c);
/* The same without the fallback: on failure the kernel holds the ruleset
 * it held (the change is one transaction), and the caller decides. */
int try_policy_rules(struct sekishod *d, enum mode mode, const char *uplink,
    struct fw_change *c);
/* T_RULES: the engine's mode, whose ruleset did not load, again. */
void rules_retry(struct sekishod *d);
/* Once the actions of an event are done: the office table emptied if
 * office mode's ruleset went (its routes, one per prefix, are no use to
 * the ruleset in force, which drops the office mark; emptying them waits
 * until the new mode's actions, the tunnel's routes among them, are
 * carried out). */
void office_unroute_now(struct sekishod *d);
/* In office mode, T_OFFICE_ARP: a unicast ARP request to the office
 * router, whose reply keeps it in the kernel's set router_alive
 * (fw_office.h); re-armed every router-arp ms (timers_router_arp_ms; off:
 * stopped). office_arp_stop: out of office mode, its socket closed. */
void office_arp(struct sekishod *d);
void office_arp_stop(struct sekishod *d);
/* T_VOUCH: office-vouch passed with no verified beacon answer, so the
 * kernel has closed the office path: said once, and the beacon asked. */
void office_vouch(struct sekishod *d);
/* After the engine took ev: a beacon that answered on the office uplink
 * renews office mode's deadline in the kernel (office-vouch); nothing
 * else does. */
void office_vouch_beacon(struct sekishod *d, const struct event *ev);
/* T_WATCHDOG: systemd's watchdog told the main loop runs. */
void watchdog(struct sekishod *d);
void do_action(struct sekishod *d, const struct action *a);
/* In office mode: ask the beacon again, now. */
void reverify(struct sekishod *d);
/* T_OFFICE_RETRY: probe the uplinks that fell from office mode whose
 * retry is due (engine_office_retry). */
void office_retry(struct sekishod *d);
/* T_REVERIFY: the same, every beacon-reverify (quietly when it holds). */
void recheck(struct sekishod *d);

/* watch.c: the timers' handlers, and SIGCHLD's */
void poll_tunnel(struct sekishod *d);
void check_gateway(struct sekishod *d);
/* T_TABLE: the kernel still holds our table, or it is loaded again. */
void check_table(struct sekishod *d);
void reap(struct sekishod *d);
void restart_children(struct sekishod *d);

/* reload.c */
void reload(struct sekishod *d, struct buf *out);
/* IPv6 forwarding on or off (the policy's has_v6), at start and on a live
 * change of it (reload.c). */
void v6_forwarding(int on);
void tidy_now(struct sekishod *d);
void ctl_reload(struct buf *out, void *arg);
/* prefer.c: "prefer UPLINK|auto" from the control socket (ctl_ops). */
void ctl_prefer(const char *uplink, struct buf *out, void *arg);
/* After a resynchronisation's dump: the preference, to a fresh engine. */
void prefer_restore(struct sekishod *d);

/* fetch_sched.c */
void fetch_now(struct sekishod *d);
void fetch_end(struct sekishod *d);
void fetch_overdue(struct sekishod *d);
void fetch_on_mode(struct sekishod *d, enum mode prev);
void fetch_on_policy(struct sekishod *d);
const struct fetch_status *fetch_gather(const struct sekishod *d, struct fetch_status *fs);

/* dns.c */
/* The kernel's ruleset changed (d->rules_mode): the checker follows the
 * mode's resolvers (none in blocked mode), and the resolver picked
 * before is put back into the new ruleset's map. */
void dns_on_rules(struct sekishod *d);
/* The checker (again), unless it runs or there is nothing to check.
 * 0 or -errno. */
int dns_restart(struct sekishod *d);
/* The checker wrote: each round may move work's DNS. */
void dns_read(struct sekishod *d);

/* expiry.c: the policy's max age (docs/distribution.md, "Expiry") */
struct expiry_status;
/* At start, the bundle in force and the statement kept beside it. */
void expiry_start(struct sekishod *d, const struct candidate *c);
/* A newer bundle accepted live, before its ruleset is applied. */
void expiry_bundle(struct sekishod *d, const struct candidate *c);
/* A fetched freshness statement: taken, or refused with one line; the
 * outcome for status into result. */
void expiry_statement(struct sekishod *d, const uint8_t *buf, size_t len,
    const char *from, char *result, size_t rsize);
/* T_EXPIRY: expired (or not) now? The ruleset follows, with one line. */
void expiry_check(struct sekishod *d);
void expiry_gather(const struct sekishod *d, struct expiry_status *es);

/* engside.c: the engine process (engproc.h), its actions checked
 * (engcheck.h) before they are carried out */
int eng_start(struct sekishod *d);
int eng_running(const struct sekishod *d);
/* The engine died, hung, or asked out of bounds (why, one line): blocked,
 * and a new one after a backoff (eng_restart, from T_CHILD_RESTART). */
void eng_lost(struct sekishod *d, const char *why);
void eng_restart(struct sekishod *d);
int eng_init(struct sekishod *d);
int eng_set_policy(struct sekishod *d);
int eng_gateways(struct sekishod *d, const struct in_addr *endpoints, size_t n,
    size_t current);
int eng_vouch(struct sekishod *d, const struct uplink *was);
size_t eng_handle(struct sekishod *d, const struct event *ev,
    struct action out[ENG_MAX_ACTS]);
size_t eng_restate(struct sekishod *d, uint64_t now, struct action out[ENG_MAX_ACTS]);
size_t eng_probe_all(struct sekishod *d, struct action out[ENG_MAX_ACTS]);
size_t eng_office_retry(struct sekishod *d, uint64_t now, struct action out[ENG_MAX_ACTS]);
/* A sekisho-dnscheck line (len bytes, no newline) for the n resolvers
 * asked, parsed by the engine (engmsg.h), its result held to n: 0 with
 * alive[] filled; -1 refused (one line in err: the checker's fault); -2
 * no engine (ended, eng_lost done: the caller stops there). */
int eng_parse_dns(struct sekishod *d, const char *line, size_t len, size_t n,
    uint8_t *alive, struct sk_error *err);
/* sekisho-fetch's standard error (f->line, f->len raw) and exit status
 * (f->wstatus), read by the engine (engmsg.h): 0 with f->line its one
 * printable line (empty unless it failed with one), -1 refused with one
 * line in err, -2 the engine is gone. */
int eng_parse_fetch(struct sekishod *d, struct fetcher *f, struct sk_error *err);
/* A freshness statement's bytes, decoded by the engine: 0 with its
 * serial, time and device (not yet verified, nor bounded: the caller's),
 * -1 refused, -2 the engine is gone; one line in err. */
int eng_parse_fresh(struct sekishod *d, const uint8_t *buf, size_t len, uint64_t *serial,
    uint64_t *time, uint8_t device[ENG_STMT_KEY], struct sk_error *err);
/* A frontend that died: a new one after a backoff, handed the socket. */
void front_restart(struct sekishod *d);
/* The work link's control socket for a new frontend, or -1 (said once). */
int work_listener(struct sekishod *d);

/* config.c */
int check_only(struct sekishod *d);
void load_config(struct sekishod *d, int check);
void bundle_paths(struct sekishod *d, char *store, char *incoming, size_t size);

#endif
