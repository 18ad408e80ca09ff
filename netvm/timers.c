#include "netvm/timers.h"

#include <string.h>

void
timers_on_start(struct timers *t, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->at[T_TUNNEL_POLL] = now + TUNNEL_POLL_MS;
}

void
timers_on_child_exit(struct timers *t, uint64_t now)
{
	if (t->at[T_CHILD_RESTART] == 0)
		t->at[T_CHILD_RESTART] = now + CHILD_RESTART_MS;
}

void
timers_on_tunnel_polled(struct timers *t, uint64_t now)
{
	t->at[T_TUNNEL_POLL] = now + TUNNEL_POLL_MS;
}

void
timers_on_office(struct timers *t, uint64_t now, unsigned int reverify_ms,
    uint32_t r)
{
	uint64_t span = reverify_ms / 5;

	t->at[T_REVERIFY] = now + reverify_ms - span + (span ? r % (2 * span) : 0);
}

void
timers_on_not_office(struct timers *t)
{
	t->at[T_REVERIFY] = 0;
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
