/*
 * The registry's rows for sign-on (docs/sign-on.md; schema version 3):
 * each laptop's sign-on key (the Ed25519 public key the verifier checks
 * its requests under), cards looked up by their id, the failure counter
 * set by the verifier, and the sign-on audit trail.
 *
 * The trail is append-only and hash-chained: each record's hash covers the
 * previous record's hash and every field of its own, so removing or
 * altering a record breaks the chain at that record; the chain's head
 * (count and last hash) is also kept in meta ("signon_audit_head"), so a
 * removed last record shows too. No PIN, code or key ever reaches it: the
 * fields are names, results and reasons.
 */
#ifndef SK_REGISTRY_SIGNON_H
#define SK_REGISTRY_SIGNON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "registry/ops.h"
#include "registry/registry.h"

#define REG_HASH_HEX	65	/* SHA-256 in hex and the NUL */

/* The device's sign-on public key (base64, "" if none yet) and state.
 * -ENOENT if no such device. */
int reg_device_signkey_get(struct reg *r, const char *device,
    char pub[REG_PUB_LEN + 1], char state[16], struct sk_error *err);
int reg_device_signkey_set(struct reg *r, const char *device, const char *pub,
    struct sk_error *err);

/* A card: its kind ("felica", "mifare", "pubkey") and holder. -ENOENT. */
int reg_card_get(struct reg *r, const char *card_id, char kind[16],
    char staff_id[REG_NAME_MAX + 1], struct sk_error *err);

/* Sets the user's failure counter (the verifier's decision across
 * factors: n + 1 after a failure, 0 after a success). */
int reg_staff_set_failures(struct reg *r, const char *id, int failures,
    struct sk_error *err);

/* ---- the audit trail ---- */
struct reg_signon_rec {
	int64_t	seq;				/* set by the registry */
	int64_t	at;				/* unix seconds */
	char	staff[REG_NAME_MAX + 1];	/* "" if unknown */
	char	device[REG_NAME_MAX + 1];
	char	op[16];				/* "signon", "signoff", ... */
	char	factor[16];			/* "card-pin", ... "none" */
	char	result[24];			/* "ok", "wrong-pin", ... */
	char	mode[16];			/* "remote", "office", "unknown" */
	char	uplink[24];			/* the laptop's uplink, "" */
	char	source[64];			/* the address it came from */
	char	reason[REG_TEXT_MAX + 1];	/* why, for a failure; "" */
	char	prev[REG_HASH_HEX];
	char	hash[REG_HASH_HEX];
};

/* The chain's head: count and last hash ("0", 64 zeros when empty). */
int reg_signon_head(struct reg *r, int64_t *count, char hash[REG_HASH_HEX],
    struct sk_error *err);
/* The hash of rec after prev (rec->prev is not read). */
void reg_signon_hash(const struct reg_signon_rec *rec, const char *prev,
    char out[REG_HASH_HEX]);
/*
 * Appends rec after the head (count, hash), both of which it advances;
 * sets rec->prev and rec->hash. In the caller's transaction, which read
 * the head with reg_signon_head after reg_begin (the write lock keeps
 * two writers from chaining onto the same record) and writes the new head
 * with reg_signon_head_set before it commits (once for many records).
 */
int reg_signon_append(struct reg *r, struct reg_signon_rec *rec,
    int64_t *count, char hash[REG_HASH_HEX], struct sk_error *err);
int reg_signon_head_set(struct reg *r, int64_t count,
    const char hash[REG_HASH_HEX], struct sk_error *err);
/* Records with from <= at < to (0, 0: all), in order; fn's non-zero
 * stops and is returned. */
int reg_signon_list(struct reg *r, int64_t from, int64_t to,
    int (*fn)(void *arg, const struct reg_signon_rec *rec), void *arg,
    struct sk_error *err);
/* Walks the whole chain: 0 with *n records, or -EBADMSG with one line
 * naming the first record that does not fit ("record 12: altered",
 * "record 12: the record before it was removed", "the last N records were
 * removed"). */
int reg_signon_verify(struct reg *r, int64_t *n, struct sk_error *err);

#endif
