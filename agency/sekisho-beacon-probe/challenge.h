/*
 * The probe's two jobs: one verified challenge as the netvm makes it
 * (challenge.c), and a load generator for the benchmark (load.c).
 */
#ifndef SK_BEACON_PROBE_H
#define SK_BEACON_PROBE_H

#include <stdint.h>

#include "lib/proto/beacon_sign.h"
#include "lib/udp.h"

#define PROBE_MAX_PARALLEL	1024

struct probe {
	struct beacon_addr	 dst, src;
	int			 has_src;
	unsigned		 nsrc;		/* -s addr+n: n sources */
	struct beacon_keys	 keys;
	unsigned		 window;	/* seconds */
	unsigned		 timeout_ms, attempts;
	const char		*save_path;
	int			 verbose;
	/* load generator */
	int			 load;
	uint64_t		 count;
	unsigned		 seconds, parallel, verify_every;
};

/* Exit status: 0 if a verified answer arrived, else 1 with the reason. */
int probe_once(const struct probe *p);
/* Exit status: 0 if every answer received was valid, else 1. */
int probe_load(const struct probe *p);

/* Monotonic microseconds. */
uint64_t probe_now_us(void);

#endif
