/*
 * Every timer of sekishod, in one place (as the kernel's WireGuard keeps
 * all its timer policy in timers.c): when each is armed (the named
 * timers_on_* hooks the rest of the daemon calls), what runs when it
 * fires (timers_run, through the daemon's struct timer_ops), and every
 * timeout taken from the policy. The loop asks how long it may sleep.
 */
#ifndef SK_TIMERS_H
#define SK_TIMERS_H

#include <stdint.h>

#define TUNNEL_POLL_MS		5000	/* read handshake and counters */
#define TABLE_CHECK_MS		2000	/* someone else flushed our table? */
#define CHILD_RESTART_MS	1000	/* a helper process that died */
#define FETCH_RETRY_MAX_MS	60000	/* a failed bundle fetch is retried within */
#define PROBE_GRACE_MS		1000	/* a probe run's deadline, beyond its tries */
#define PROBE_SLOW_ROUNDS	8	/* genuine answers over beacon-rtt: another
					 * round each, up to this many (best of 8:
					 * docs/beacon.md, "Round trip") */
#define RULES_RETRY_MIN_MS	1000	/* a ruleset that failed to load: first retry */
#define RULES_RETRY_MAX_MS	30000	/* ... doubling up to this */
/* The resolver checks (dns.c): sekisho-dnscheck keeps this pace itself,
 * a round every DNS_CHECK_MS, an answer counting within the timeout. */
#define DNS_CHECK_MS		2000
#define DNS_CHECK_TIMEOUT_MS	1000

struct policy;
struct sekishod;

enum timer_id { T_TUNNEL_POLL, T_CHILD_RESTART, T_REVERIFY, T_FETCH,
	T_FETCH_DEADLINE, T_GATEWAY, T_RULES, T_VOUCH, T_WATCHDOG, T_TABLE, T_EXPIRY,
	T_OFFICE_RETRY, T_FRONT_PING, T_OFFICE_ARP, T_COUNT };

struct timers {
	uint64_t at[T_COUNT];	/* 0 = not armed */
	uint64_t watchdog_ms;	/* the watchdog's period, 0 = none */
};

void timers_on_start(struct timers *t, uint64_t now);
void timers_on_child_exit(struct timers *t, uint64_t now);
/* The engine or the frontend is to be started again at at (backing off,
 * engproc.h): T_CHILD_RESTART fires then, or sooner. */
void timers_on_respawn_due(struct timers *t, uint64_t at);
void timers_on_tunnel_polled(struct timers *t, uint64_t now);
/* In office mode the beacon is asked again every reverify_ms, give or take
 * a fifth (jitter: a floor of laptops must not probe in step); outside it,
 * never. Each call re-arms; r is any random number. */
void timers_on_office(struct timers *t, uint64_t now, unsigned int reverify_ms,
    uint32_t r);
void timers_on_not_office(struct timers *t);
/* The tunnel was pointed at a gateway (a new peer) or moved uplink: its
 * handshake is looked for once timeout_ms (gateway-timeout) have passed.
 * Idle, it waits for nothing. */
void timers_on_gateway_tried(struct timers *t, uint64_t now, unsigned int timeout_ms);
void timers_on_tunnel_idle(struct timers *t);
/* Bundle fetches (docs/distribution.md). A fetch started: none is due
 * until it ends, and it must end within timeout_ms. */
void timers_on_fetch_started(struct timers *t, uint64_t now, unsigned int timeout_ms);
/* A fetch ended: the next one interval_ms from now, give or take a fifth
 * (a fleet of laptops must not ask in step); after a failure, sooner:
 * the smaller of the interval and FETCH_RETRY_MAX_MS, with the same jitter. */
void timers_on_fetch_done(struct timers *t, uint64_t now, unsigned int interval_ms,
    int failed, uint32_t r);
/* No path (blocked) or no distribution server: no fetch is due. */
void timers_on_fetch_off(struct timers *t);
/* The mode's ruleset failed to load (the base ruleset stands in for it):
 * it is tried again after the failures-th consecutive failure (1, 2, ...)
 * in RULES_RETRY_MIN_MS, doubling each time, at most RULES_RETRY_MAX_MS.
 * Returns the delay armed. */
unsigned int timers_on_rules_failed(struct timers *t, uint64_t now, unsigned int failures);
/* The mode's ruleset is in force: no retry is due. */
void timers_on_rules_loaded(struct timers *t);
/* Office mode's ruleset is in force, or a verified beacon answer renewed
 * its vouch (the uplink in set office_vouch for vouch_ms more): T_VOUCH
 * fires when the kernel's deadline passes with no renewal (then the
 * office path is closed in the kernel already). timers_on_not_office()
 * disarms it. */
void timers_on_vouched(struct timers *t, uint64_t now, unsigned int vouch_ms);
/* systemd's watchdog (WATCHDOG_USEC): the main loop says it is alive every
 * half of usec; 0: no watchdog. */
void timers_on_watchdog(struct timers *t, uint64_t now, uint64_t usec);

/* An uplink that fell from office mode is asked again at at_ms (the
 * engine's earliest retry, engine_office_retry_at); 0 disarms it. */
void timers_on_office_retry(struct timers *t, uint64_t at_ms);

/* The policy's age looked at again in ms (expiry.c: at its expiry, and
 * at least every minute); 0 disarms it. */
void timers_on_expiry(struct timers *t, uint64_t now, uint64_t ms);

/* The office router's liveness (fw_office.h): asked again in ms; 0 stops. */
void timers_on_office_arp(struct timers *t, uint64_t now, unsigned int ms);
/* The frontend's heartbeat (frontend.h): looked at again in ms. */
void timers_on_front_ping(struct timers *t, uint64_t now, unsigned int ms);

/* The policy's timeouts in milliseconds, computed here and nowhere else. */
unsigned int timers_gateway_timeout_ms(const struct policy *pol);	/* gateway-timeout */
unsigned int timers_reverify_ms(const struct policy *pol);	/* beacon-reverify */
unsigned int timers_vouch_ms(const struct policy *pol);	/* office-vouch */
unsigned int timers_router_arp_ms(const struct policy *pol);	/* router-arp; 0: off */
uint64_t timers_stale_ms(const struct policy *pol);		/* handshake-stale */
unsigned int timers_fetch_interval_ms(const struct policy *pol);	/* distribution interval */
/* When a beacon probe started at now must have answered: every attempt
 * and every slow round timed out, plus PROBE_GRACE_MS for the helper
 * itself. */
uint64_t timers_probe_deadline(const struct policy *pol, uint64_t now);

/* What each timer does when it fires: the daemon's handlers. */
struct timer_ops {
	void (*tunnel_poll)(struct sekishod *);	/* T_TUNNEL_POLL: handshake, counters */
	void (*child_restart)(struct sekishod *);	/* T_CHILD_RESTART */
	void (*office_reverify)(struct sekishod *);	/* T_REVERIFY: ask the beacon again */
	void (*fetch_due)(struct sekishod *);	/* T_FETCH: start a bundle fetch */
	void (*fetch_overdue)(struct sekishod *);	/* T_FETCH_DEADLINE: end it */
	void (*gateway_check)(struct sekishod *);	/* T_GATEWAY: did it answer? */
	void (*rules_retry)(struct sekishod *);	/* T_RULES: load the mode's ruleset again */
	void (*office_vouch)(struct sekishod *);	/* T_VOUCH: office mode's deadline passed */
	void (*watchdog)(struct sekishod *);	/* T_WATCHDOG: tell systemd the loop runs */
	void (*table_check)(struct sekishod *);	/* T_TABLE: is our table still in the kernel? */
	void (*expiry_check)(struct sekishod *);	/* T_EXPIRY: has the policy expired? */
	void (*office_retry)(struct sekishod *);	/* T_OFFICE_RETRY: ask a beacon again */
	void (*front_ping)(struct sekishod *);	/* T_FRONT_PING: the frontend's heartbeat */
	void (*office_arp)(struct sekishod *);	/* T_OFFICE_ARP: ask the office router */
};
/* Runs every timer due by now (read again after each one), each through
 * its handler; the tunnel poll then re-arms, TUNNEL_POLL_MS on. */
void timers_run(struct timers *t, const struct timer_ops *ops, struct sekishod *d);
/* Milliseconds until the next timer, -1 if none (a poll() timeout). */
int timers_timeout(const struct timers *t, uint64_t now);
/* Returns a due timer and disarms it, or T_COUNT if none is due. */
enum timer_id timers_due(struct timers *t, uint64_t now);

#endif
