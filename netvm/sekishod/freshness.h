/*
 * How old the policy in force is, and whether it has expired
 * (docs/distribution.md, "Expiry"). Pure: the caller passes the clocks.
 *
 * A bundle of format 2 carries the time it was signed and a max age; a
 * freshness statement from the agency can later vouch, with a newer
 * signed time, that the same serial is still the newest. The freshest
 * signed time seen for the serial in force is what the age counts from,
 * and it only ever moves forward: a statement or time not newer than it
 * is refused, whatever the laptop's clock says.
 *
 * The laptop's clocks are not trusted to keep a policy alive: the age is
 * the larger of two estimates,
 *   - the wall clock's: wall now - signed time (a clock set forward only
 *     ends the policy sooner: fail closed, and an attacker who can set
 *     it can block the laptop anyway);
 *   - the monotonic one: the wall clock's estimate at the moment the
 *     signed time was taken in (0 if the clock was then behind it), plus
 *     the time elapsed since on CLOCK_BOOTTIME, which counts suspend and
 *     cannot be set back.
 * So a clock wound back (by a spoofed NTP answer, say) cannot extend a
 * policy by a second while sekishod runs. Across a restart only the wall
 * clock remains: a laptop whose clock is wound back while sekishod is not
 * running is trusted up to the signed time it last saw (the age never goes
 * below 0); this is the one clock assumption, documented there.
 */
#ifndef SK_FRESHNESS_H
#define SK_FRESHNESS_H

#include <stdint.h>

struct freshness {
	uint64_t	serial;		/* the serial in force */
	uint32_t	max_age;	/* seconds; 0: format 1, never expires */
	uint64_t	signed_at;	/* freshest signed time for serial, unix s */
	int		by_statement;	/* ... from a freshness statement */
	uint64_t	base_age_s;	/* the wall clock's age when taken in */
	uint64_t	base_boot_ms;	/* CLOCK_BOOTTIME then */
	int		expired;	/* as last decided by fresh_update */
};

/* A bundle taken into force (at start or live): its own signed time. */
void fresh_bundle(struct freshness *f, uint64_t serial, uint32_t max_age,
    uint64_t signed_at, uint64_t wall_s, uint64_t boot_ms);
/* A freshness statement for f->serial signed at t: 0, or -1 when t is not
 * after f->signed_at (a replay, or older) and nothing changes. */
int fresh_statement(struct freshness *f, uint64_t t, uint64_t wall_s,
    uint64_t boot_ms);
/* The age now, in seconds (see above). */
uint64_t fresh_age_s(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms);
/* Whether the policy is past its max age now; never for format 1. */
int fresh_is_expired(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms);
/* Seconds until it expires (0: expired), UINT64_MAX if it never does. */
uint64_t fresh_left_s(const struct freshness *f, uint64_t wall_s, uint64_t boot_ms);
/* Decides anew: 1 if f->expired changed (the caller logs and reloads the
 * ruleset), else 0. */
int fresh_update(struct freshness *f, uint64_t wall_s, uint64_t boot_ms);

#endif
