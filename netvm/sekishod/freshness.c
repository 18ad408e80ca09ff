/* The age of the policy in force (freshness.h): signed times only move
 * forward; the age is the larger of the wall clock's and the monotonic
 * estimate. No system call: the clocks are the caller's. */
#include "netvm/sekishod/freshness.h"

#include <string.h>

static void
take(struct freshness *f, uint64_t signed_at, uint64_t wall_s, uint64_t boot_ms)
{
	f->signed_at = signed_at;
	f->base_age_s = wall_s > signed_at ? wall_s - signed_at : 0;
	f->base_boot_ms = boot_ms;
}

void
fresh_bundle(struct freshness *f, uint64_t serial, uint32_t max_age,
    uint64_t signed_at, uint64_t wall_s, uint64_t boot_ms)
{
	int expired = f->expired;

	memset(f, 0, sizeof(*f));
	f->serial = serial;
	f->max_age = max_age;
	f->expired = expired;	/* fresh_update decides, and says so */
	take(f, signed_at, wall_s, boot_ms);
}

int
fresh_statement(struct freshness *f, uint64_t t, uint64_t wall_s, uint64_t boot_ms)
{
	if (t <= f->signed_at)
		return -1;
	take(f, t, wall_s, boot_ms);
	f->by_statement = 1;
	return 0;
}

uint64_t
fresh_age_s(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms)
{
	uint64_t mono = f->base_age_s, wall;

	if (boot_ms > f->base_boot_ms)
		mono += (boot_ms - f->base_boot_ms) / 1000;
	wall = wall_s > f->signed_at ? wall_s - f->signed_at : 0;
	return wall > mono ? wall : mono;
}

int
fresh_is_expired(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms)
{
	return f->max_age != 0 && fresh_age_s(f, wall_s, boot_ms) >= f->max_age;
}

uint64_t
fresh_left_s(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms)
{
	uint64_t age = fresh_age_s(f, wall_s, boot_ms);

	if (f->max_age == 0)
		return UINT64_MAX;
	return age >= f->max_age ? 0 : f->max_age - age;
}

int
fresh_update(struct freshness *f, uint64_t wall_s, uint64_t boot_ms)
{
	int now = fresh_is_expired(f, wall_s, boot_ms);

	if (now == f->expired)
		return 0;
	f->expired = now;
	return 1;
}
