/*
 * Every timer of sekishod, in one place (as the kernel's WireGuard keeps
 * all its timer policy in timers.c). The rest of the daemon calls the
 * named hooks; the loop asks how long it may sleep.
 */
#ifndef SK_TIMERS_H
#define SK_TIMERS_H

#include <stdint.h>

#define TUNNEL_POLL_MS		5000	/* read handshake and counters */
#define CHILD_RESTART_MS	1000	/* a helper process that died */
#define FETCH_RETRY_MAX_MS	60000	/* a failed bundle fetch is retried within */

enum timer_id { T_TUNNEL_POLL, T_CHILD_RESTART, T_REVERIFY, T_FETCH,
	T_FETCH_DEADLINE, T_GATEWAY, T_COUNT };

struct timers {
	uint64_t at[T_COUNT];	/* 0 = not armed */
};

void timers_on_start(struct timers *t, uint64_t now);
void timers_on_child_exit(struct timers *t, uint64_t now);
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
/* Milliseconds until the next timer, -1 if none (a poll() timeout). */
int timers_timeout(const struct timers *t, uint64_t now);
/* Returns a due timer and disarms it, or T_COUNT if none is due. */
enum timer_id timers_due(struct timers *t, uint64_t now);

#endif
