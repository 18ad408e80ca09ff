/*
 * The netvm's side of signed policy bundles (docs/bundle.md, "Accepting a
 * bundle"): the accepted bundle on disk, the serial store, and a candidate
 * for a live change at a fixed incoming path. A candidate is read once
 * into memory; those bytes are decoded here, have their signature checked
 * by the verifying helper (bundle_verify.h), are checked again here (device,
 * serial, policy) and, when accepted, are the bytes written to disk.
 */
#ifndef SK_ACCEPT_H
#define SK_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "netvm/sekishod/trust.h"
#include "policy/policy.h"

struct accept {
	const char	*bundle;	/* -b: the bundle in force */
	const char	*incoming;	/* -i: where a new one waits for a reload */
	const char	*store;		/* -S: the anti-rollback serial store */
	const char	*helper;	/* sekisho-policy */
	struct trust	 trust;
	uint64_t	 accepted;	/* the store's serial, 0 = none yet */
};

/* A bundle read and accepted, not yet stored. */
struct candidate {
	uint8_t		*buf;
	size_t		 len;
	uint64_t	 serial;
	uint16_t	 version;	/* bundle format */
	uint64_t	 signed_at;	/* its signed time */
	uint32_t	 max_age;	/* seconds; 0: format 1, never expires */
	struct policy	 pol;		/* the caller takes it over */
};

enum accept_result {
	ACCEPT_OK	=  0,
	ACCEPT_REFUSED	= -1,	/* one line in err: tampered, older, ... */
	ACCEPT_SAME	= -2,	/* the serial in force: nothing new (not an attack) */
	ACCEPT_ABSENT	= -3,	/* no such file */
};

/* Loads the pinned keys, the device key and the serial store (missing:
 * a first start, accepted = 0; any other problem refuses). 0 or -errno. */
int accept_init(struct accept *a, const char *keys_path, const char *device_path,
    struct sk_error *err);

/*
 * Reads path and decides on it: structure, signature (the helper), device,
 * serial against a->accepted (same_ok: equal passes, for the bundle in
 * force at start), policy. ACCEPT_OK fills c (candidate_free it; c->pol is
 * then the caller's); anything else leaves c empty with one line in err.
 */
int accept_open(const struct accept *a, const char *path, int same_ok,
    struct candidate *c, struct sk_error *err);

/*
 * Makes c the bundle in force on disk: written durably over a->bundle
 * (unless from_bundle: it was read from there), then the store raised
 * (this order: a crash between them leaves a bundle newer than the store,
 * which the next start repairs), then the incoming file removed. 0 or
 * -errno with err set; a->accepted follows the store.
 */
int accept_commit(struct accept *a, const struct candidate *c, int from_bundle,
    struct sk_error *err);

/* Frees the bytes; the policy is the caller's. */
void candidate_free(struct candidate *c);

#endif
