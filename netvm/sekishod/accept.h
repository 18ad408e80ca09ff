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
#include <sys/types.h>
#include <time.h>

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
	int		 finish_due;	/* committed, accept_finish not yet run */
	dev_t		 in_dev;	/* the incoming file read last (accept_open), */
	ino_t		 in_ino;	/* removed by accept_store only if still it */
	struct timespec	 in_ctime;
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
	dev_t		 dev;		/* the file it was read from */
	ino_t		 ino;
	struct timespec	 ctime;
	uint64_t	 helper_us;	/* timed: the verifying helper's check */
	uint64_t	 parse_us;	/* and bundle_check (the policy parsed) */
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
 * Makes c the bundle in force on disk, atomically, in three calls (a live
 * change places its kernel transaction between the first two, and answers
 * between the last two: docs/distribution.md, "The order of a live
 * change"):
 *
 *   accept_stage   c's bytes written durably to the staging file
 *                  BUNDLE.staged (temporary file, fsync, rename, fsync of
 *                  the directory), and the store's new contents to
 *                  STORE.next (fsync): nothing in force changes;
 *   accept_store   THE COMMIT POINT: STORE.next renamed over the serial
 *                  store, its directory fsync'd; a->accepted follows; then
 *                  the incoming file removed (if it is still the file
 *                  accept_open read: same inode and change time);
 *   accept_finish  the staging file renamed over BUNDLE, its directory
 *                  fsync'd.
 *
 * Until the commit point nothing in force on disk has changed: a failure
 * there (or accept_abort, when the caller gives c up) removes the staging
 * files and returns -errno with err set, the previous bundle and store in
 * force. From it on, c is in force: a failure to finish is logged and
 * left to accept_recover at the next start. A cut anywhere (power, kill
 * -9) leaves a state accept_recover turns into exactly one of the two
 * (tests/unit/test_accept.c cuts at every step). accept_stage first runs
 * a finish still due.
 *
 * accept_commit: the three in a row (0 once committed). from_bundle: c was
 * read from BUNDLE itself (at start), nothing is written but the store,
 * raised if it is behind (a bundle installed by hand, as the refusal of a
 * fixed section asks).
 */
int accept_stage(struct accept *a, const struct candidate *c, struct sk_error *err);
int accept_store(struct accept *a, const struct candidate *c, struct sk_error *err);
void accept_finish(struct accept *a);
void accept_abort(struct accept *a);
int accept_commit(struct accept *a, const struct candidate *c, int from_bundle,
    struct sk_error *err);

/*
 * accept_stage on a thread of its own, so that its fsyncs overlap the
 * caller's work (computing and loading the new ruleset): accept_stage_start
 * returns at once (c must live until the wait), accept_stage_wait joins and
 * gives accept_stage's result. The thread touches nothing but the staging
 * files and c's bytes. Without a thread (pthread_create failed) the stage
 * runs in accept_stage_start itself.
 */
void accept_stage_start(struct accept *a, const struct candidate *c);
int accept_stage_wait(struct accept *a, struct sk_error *err);

/*
 * At start, after accept_init and before BUNDLE is opened: finishes or
 * undoes a commit that was cut. A staging file whose serial is the
 * store's was committed: renamed over BUNDLE (roll forward); any other
 * (older, newer: never committed; unreadable) is removed (roll back). One
 * log line says which. A STORE.next is never committed: removed. dry (sekishod -n): nothing is changed on disk, and
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
	ACCEPT_STEP_PREPARE,	/* write STORE.next durably */
	ACCEPT_STEP_STORE,	/* STORE.next over the store: the commit point */
	ACCEPT_STEP_INCOMING,	/* remove the incoming file */
	ACCEPT_STEP_RENAME,	/* BUNDLE.staged over BUNDLE */
	ACCEPT_STEP_SYNC,	/* fsync of BUNDLE's directory */
	ACCEPT_STEP_DONE
};
int accept_cut(enum accept_step step);

/* Frees the bytes; the policy is the caller's. */
void candidate_free(struct candidate *c);

#endif
