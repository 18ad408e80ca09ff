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
 * Makes c the bundle in force on disk, atomically: its bytes written
 * durably to the staging file BUNDLE.staged (temporary file, fsync,
 * rename, fsync of the directory), then THE COMMIT POINT: the serial store
 * raised to c's serial (itself replaced durably by one rename); then the
 * staging file renamed over BUNDLE (directory fsync'd) and the incoming
 * file removed. Until the commit point nothing in force on disk has
 * changed: a failure there removes the staging file and returns -errno
 * with err set, the previous bundle and store in force. From it on, c is
 * in force: a failure to finish is logged and left to accept_recover at
 * the next start, and 0 is returned. A cut anywhere (power, kill -9)
 * leaves a state accept_recover turns into exactly one of the two
 * (tests/unit/test_accept.c cuts at every step). a->accepted follows the
 * store.
 *
 * from_bundle: c was read from BUNDLE itself (at start), nothing is
 * written but the store, raised if it is behind (a bundle installed by
 * hand, as the refusal of a fixed section asks).
 */
int accept_commit(struct accept *a, const struct candidate *c, int from_bundle,
    struct sk_error *err);

/*
 * At start, after accept_init and before BUNDLE is opened: finishes or
 * undoes a commit that was cut. A staging file whose serial is the
 * store's was committed: renamed over BUNDLE (roll forward); any other
 * (older, newer: never committed; unreadable) is removed (roll back). One
 * log line says which. dry (sekishod -n): nothing is changed on disk, and
 * *path names the file that would be in force (BUNDLE or the staging
 * file); otherwise *path is a->bundle. 0, or -errno with err set (a
 * rename or removal that failed: the caller fails closed).
 */
int accept_recover(struct accept *a, int dry, char *path, size_t size,
    struct sk_error *err);

/* The steps of accept_commit, in order, for fault injection: before each
 * one accept_commit calls accept_cut(step), which returns 0 in the daemon
 * (a weak definition); tests/unit/test_accept.c's own returns -EIO (the
 * step fails) or never returns (longjmp: the machine died there). */
enum accept_step {
	ACCEPT_STEP_STAGE = 1,	/* write BUNDLE.staged durably */
	ACCEPT_STEP_STORE,	/* raise the store: the commit point */
	ACCEPT_STEP_RENAME,	/* BUNDLE.staged over BUNDLE */
	ACCEPT_STEP_SYNC,	/* fsync of BUNDLE's directory */
	ACCEPT_STEP_INCOMING,	/* remove the incoming file */
	ACCEPT_STEP_DONE
};
int accept_cut(enum accept_step step);

/* Frees the bytes; the policy is the caller's. */
void candidate_free(struct candidate *c);

#endif
