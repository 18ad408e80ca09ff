#include "netvm/sekishod/timers.h"

#include <string.h>

#include "lib/util.h"
#include "policy/policy.h"

void
timers_on_start(struct timers *t, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->at[T_TUNNEL_POLL] = now + TUNNEL_POLL_MS;
	t->at[T_TABLE] = now + TABLE_CHECK_MS;
}

void
timers_on_child_exit(struct timers *t, uint64_t now)
{
	if (t->at[T_CHILD_RESTART] == 0)
		t->at[T_CHILD_RESTART] = now + CHILD_RESTART_MS;
}

void
timers_on_respawn_due(struct timers *t, uint64_t at)
{
	if (t->at[T_CHILD_RESTART] == 0 || at < t->at[T_CHILD_RESTART])
		t->at[T_CHILD_RESTART] = at;
}

void
timers_on_tunnel_polled(struct timers *t, uint64_t now)
{
	t->at[T_TUNNEL_POLL] = now + TUNNEL_POLL_MS;
}

/* ms from now, give or take a fifth. */
static uint64_t
jittered(uint64_t now, unsigned int ms, uint32_t r)
{
	uint64_t span = ms / 5;

	return now + ms - span + (span ? r % (2 * span) : 0);
}

void
timers_on_office(struct timers *t, uint64_t now, unsigned int reverify_ms,
    uint32_t r)
{
	t->at[T_REVERIFY] = jittered(now, reverify_ms, r);
}

void
timers_on_not_office(struct timers *t)
{
	t->at[T_REVERIFY] = 0;
	t->at[T_VOUCH] = 0;
}

void
timers_on_vouched(struct timers *t, uint64_t now, unsigned int vouch_ms)
{
	t->at[T_VOUCH] = now + vouch_ms;
}

void
timers_on_watchdog(struct timers *t, uint64_t now, uint64_t usec)
{
	t->watchdog_ms = usec / 2000;
	if (usec != 0 && t->watchdog_ms == 0)
		t->watchdog_ms = 1;
	t->at[T_WATCHDOG] = t->watchdog_ms ? now + t->watchdog_ms : 0;
}

void
timers_on_gateway_tried(struct timers *t, uint64_t now, unsigned int timeout_ms)
{
	t->at[T_GATEWAY] = now + timeout_ms;
}

void
timers_on_tunnel_idle(struct timers *t)
{
	t->at[T_GATEWAY] = 0;
}

void
timers_on_fetch_started(struct timers *t, uint64_t now, unsigned int timeout_ms)
{
	t->at[T_FETCH] = 0;
	t->at[T_FETCH_DEADLINE] = now + timeout_ms;
}

void
timers_on_fetch_done(struct timers *t, uint64_t now, unsigned int interval_ms,
    int failed, uint32_t r)
{
	if (failed && interval_ms > FETCH_RETRY_MAX_MS)
		interval_ms = FETCH_RETRY_MAX_MS;
	t->at[T_FETCH_DEADLINE] = 0;
	t->at[T_FETCH] = jittered(now, interval_ms, r);
}

void
timers_on_fetch_off(struct timers *t)
{
	t->at[T_FETCH] = 0;
	t->at[T_FETCH_DEADLINE] = 0;
}

unsigned int
timers_on_rules_failed(struct timers *t, uint64_t now, unsigned int failures)
{
	unsigned int ms = RULES_RETRY_MIN_MS;

	for (unsigned int i = 1; i < failures && ms < RULES_RETRY_MAX_MS; i++)
		ms *= 2;
	if (ms > RULES_RETRY_MAX_MS)
		ms = RULES_RETRY_MAX_MS;
	t->at[T_RULES] = now + ms;
	return ms;
}

void
timers_on_rules_loaded(struct timers *t)
{
	t->at[T_RULES] = 0;
}

int
timers_timeout(const struct timers *t, uint64_t now)
{
	uint64_t next = 0;

	for (int i = 0; i < T_COUNT; i++)
		if (t->at[i] != 0 && (next == 0 || t->at[i] < next))
			next = t->at[i];
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

enum timer_id
timers_due(struct timers *t, uint64_t now)
{
	for (int i = 0; i < T_COUNT; i++) {
		if (t->at[i] != 0 && t->at[i] <= now) {
			t->at[i] = 0;
			return (enum timer_id)i;
		}
	}
	return T_COUNT;
}

unsigned int
timers_gateway_timeout_ms(const struct policy *pol)
{
	return pol->gateway_timeout_s * 1000;
}

unsigned int
timers_reverify_ms(const struct policy *pol)
{
	return pol->beacon_reverify_ms;
}

unsigned int
timers_vouch_ms(const struct policy *pol)
{
	return pol->office_vouch_ms;
}

unsigned int
timers_router_arp_ms(const struct policy *pol)
{
	return pol->router_arp_ms;
}

uint64_t
timers_stale_ms(const struct policy *pol)
{
	return (uint64_t)pol->handshake_stale_s * 1000;
}

unsigned int
timers_fetch_interval_ms(const struct policy *pol)
{
	return pol->dist_interval_s * 1000;
}

uint64_t
timers_probe_deadline(const struct policy *pol, uint64_t now)
{
	return now + (uint64_t)pol->beacon_timeout_ms *
	    (pol->beacon_attempts + PROBE_SLOW_ROUNDS) + PROBE_GRACE_MS;
}

static void
expired(struct timers *t, enum timer_id id, const struct timer_ops *ops,
    struct sekishod *d)
{
	switch (id) {
	case T_TUNNEL_POLL:
		ops->tunnel_poll(d);
		timers_on_tunnel_polled(t, now_ms());
		break;
	case T_CHILD_RESTART:
		ops->child_restart(d);
		break;
	case T_REVERIFY:
		ops->office_reverify(d);
		break;
	case T_FETCH:
		ops->fetch_due(d);
		break;
	case T_FETCH_DEADLINE:
		ops->fetch_overdue(d);
		break;
	case T_GATEWAY:
		ops->gateway_check(d);
		break;
	case T_RULES:
		ops->rules_retry(d);
		break;
	case T_VOUCH:
		ops->office_vouch(d);
		break;
	case T_WATCHDOG:
		ops->watchdog(d);
		timers_on_watchdog(t, now_ms(), t->watchdog_ms * 2000);
		break;
	case T_TABLE:
		ops->table_check(d);
		t->at[T_TABLE] = now_ms() + TABLE_CHECK_MS;
		break;
	case T_EXPIRY:
		ops->expiry_check(d);
		break;
	case T_OFFICE_RETRY:
		ops->office_retry(d);
		break;
	case T_FRONT_PING:
		ops->front_ping(d);
		break;
	case T_OFFICE_ARP:
		ops->office_arp(d);
		break;
	case T_COUNT:
		break;
	}
}

void
timers_on_office_arp(struct timers *t, uint64_t now, unsigned int ms)
{
	t->at[T_OFFICE_ARP] = ms != 0 ? now + ms : 0;
}

void
timers_on_front_ping(struct timers *t, uint64_t now, unsigned int ms)
{
	t->at[T_FRONT_PING] = now + ms;
}

void
timers_on_office_retry(struct timers *t, uint64_t at_ms)
{
	t->at[T_OFFICE_RETRY] = at_ms;
}

void
timers_on_expiry(struct timers *t, uint64_t now, uint64_t ms)
{
	t->at[T_EXPIRY] = ms != 0 ? now + ms : 0;
}

void
timers_run(struct timers *t, const struct timer_ops *ops, struct sekishod *d)
{
	enum timer_id id;

	while ((id = timers_due(t, now_ms())) != T_COUNT)
		expired(t, id, ops, d);
}
