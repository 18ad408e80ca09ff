/*
 * The verifier's side of the agent's audit outbox (engine.h, authd_events;
 * docs/agent.md "Audit outbox"): a batch of events from one laptop, bound
 * and signed by its netvm, goes into the sign-on audit chain exactly once
 * and in order. The last seq stored per laptop and outbox (its random id:
 * a laptop whose disk was lost starts a new outbox at seq 1, and those
 * events are new ones) is a meta row written in
 * the same transaction as the records, so a batch sent again (its
 * acknowledgement lost, the agent killed before it wrote it down) stores
 * nothing a second time, and a batch whose records were rolled back has
 * not moved it either.
 */
#include "agency/sekisho-authd/engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/ops.h"

#define EV_META_PREFIX	"agent_events:"

static int
last_seq(struct reg *r, const char *key, uint64_t *seq, struct sk_error *err)
{
	char v[32];
	struct sk_error e2;
	int rc;

	*seq = 0;
	rc = reg_meta_get(r, key, v, sizeof(v), &e2);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return *err = e2, rc;
	if (parse_u64(v, 0, UINT64_MAX, seq) != 0)
		return sk_errorf(err, EBADMSG, "registry: meta %s: '%s' is not a"
		    " sequence number", key, v);
	return 0;
}

static void
fill_rec(struct reg_signon_rec *rec, const struct signon_events_bound *eb,
    const char *source, int64_t now)
{
	memset(rec, 0, sizeof(*rec));
	rec->at = now;
	sk_strlcpy(rec->device, eb->device, sizeof(rec->device));
	sk_strlcpy(rec->factor, signon_factor_name(SIGNON_F_NONE), sizeof(rec->factor));
	sk_strlcpy(rec->mode, signon_mode_name(eb->mode), sizeof(rec->mode));
	sk_strlcpy(rec->uplink, eb->uplink, sizeof(rec->uplink));
	sk_strlcpy(rec->source, source, sizeof(rec->source));
}

/* The batch refused with one record (recs[0], its reason filled in):
 * appended to the chain; nothing of its events. */
static int
refuse_one(struct authd_engine *e, struct reg_signon_rec *recs, int *nrec, int result,
    struct sk_error *err)
{
	int rc;

	sk_strlcpy(recs[0].op, "events", sizeof(recs[0].op));
	sk_strlcpy(recs[0].result, signon_result_name(result), sizeof(recs[0].result));
	if ((rc = reg_signon_append(e->r, &recs[0], &e->head_count, e->head_hash, err)) < 0)
		return rc;
	recs[0].seq = e->head_count;
	e->head_dirty = 1;
	*nrec = 1;
	e->count[AUTHD_C_REFUSED]++;
	return 0;
}

int
authd_events(struct authd_engine *e, const uint8_t *in, size_t len,
    const char *source, int64_t now, uint8_t *out, size_t *outlen,
    struct reg_signon_rec *recs, int *nrec, struct sk_error *err)
{
	static struct signon_events_bound eb;
	struct signon_events_ack ack;
	char key[sizeof(EV_META_PREFIX) + SIGNON_DEVICE_LEN + 24], v[32];
	uint64_t stored, gap_from = 0;
	EVP_PKEY *pk = NULL;
	int rc;

	*outlen = 0;
	*nrec = 0;
	if (!authd_events_admit(e, source, now))
		return 0;
	if (signon_events_bound_decode(in, len, &eb) != SIGNON_OK) {
		e->count[AUTHD_C_MALFORMED]++;
		return 0;
	}
	if ((rc = authd_batch_begin(e, err)) < 0)
		return rc;
	memset(&ack, 0, sizeof(ack));
	sk_strlcpy(ack.device, eb.device, sizeof(ack.device));
	ack.first_seq = eb.ev.first_seq;
	ack.count = eb.ev.count;
	ack.outbox = eb.ev.outbox;
	ack.time = (uint64_t)now;
	ack.result = SIGNON_R_OK;

	fill_rec(&recs[0], &eb, source, now);
	if ((rc = authd_device_key(e, eb.device, &pk, recs[0].reason,
	    sizeof(recs[0].reason), err)) < 0)
		return rc;
	if (rc == 0 && signon_events_bound_verify_key(in, pk) != SIGNON_OK) {
		snprintf(recs[0].reason, sizeof(recs[0].reason), "the events do not"
		    " verify under laptop %s's key", eb.device);
		rc = 1;
	}
	if (rc > 0) {
		ack.result = SIGNON_R_DEVICE;
		if (!authd_unverified_recorded(e, source)) {
			e->count[AUTHD_C_REFUSED]++;
			goto answer;
		}
		if ((rc = refuse_one(e, recs, nrec, SIGNON_R_DEVICE, err)) < 0)
			return rc;
		goto answer;
	}

	/* per laptop and outbox: a new outbox (a lost disk) starts at 1 */
	snprintf(key, sizeof(key), EV_META_PREFIX "%s:%016" PRIx64, eb.device,
	    eb.ev.outbox);
	if ((rc = last_seq(e->r, key, &stored, err)) < 0)
		return rc;
	if (eb.ev.first_seq > stored &&
	    eb.ev.first_seq - stored > (uint64_t)SIGNON_EV_OUTBOX_MAX) {
		/* wider than any outbox: not the agent's; one record, and the
		 * stored seq stays where it is */
		snprintf(recs[0].reason, sizeof(recs[0].reason), "events from %"
		    PRIu64 " on outbox %016" PRIx64 ": %" PRIu64 " past the last"
		    " stored (%" PRIu64 "), more than an outbox holds (%u): refused",
		    eb.ev.first_seq, eb.ev.outbox, eb.ev.first_seq - stored - 1,
		    stored, (unsigned)SIGNON_EV_OUTBOX_MAX);
		if ((rc = refuse_one(e, recs, nrec, SIGNON_R_MALFORMED, err)) < 0)
			return rc;
		ack.result = SIGNON_R_MALFORMED;
		ack.stored_through = stored;
		goto answer;
	}
	if (eb.ev.first_seq > stored + 1)
		gap_from = stored + 1;	/* the laptop lost some: said below */
	for (int i = 0; i < eb.ev.count; i++) {
		const struct signon_event *ev = &eb.ev.ev[i];
		uint64_t seq = eb.ev.first_seq + (uint64_t)i;
		struct reg_signon_rec *rec = &recs[*nrec];
		char at[32];
		time_t t = (time_t)ev->time;
		struct tm tm;

		if (seq <= stored) {
			e->count[AUTHD_C_EV_DUP]++;
			continue;
		}
		fill_rec(rec, &eb, source, now);
		sk_strlcpy(rec->staff, ev->staff, sizeof(rec->staff));
		sk_strlcpy(rec->op, signon_ev_kind_name(ev->kind), sizeof(rec->op));
		sk_strlcpy(rec->result, signon_result_name(SIGNON_R_OK), sizeof(rec->result));
		if (ev->time > (uint64_t)INT32_MAX * 64 || gmtime_r(&t, &tm) == NULL)
			sk_strlcpy(at, "?", sizeof(at));
		else
			strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(rec->reason, sizeof(rec->reason), "event %" PRIu64 ": %s;"
		    " at %s on the laptop; outbox %016" PRIx64, seq,
		    signon_ev_reason_name(ev->reason), at, eb.ev.outbox);
		if (gap_from != 0) {
			snprintf(rec->reason + strlen(rec->reason), sizeof(rec->reason) -
			    strlen(rec->reason), "; events %" PRIu64 " to %" PRIu64
			    " never arrived", gap_from, seq - 1);
			gap_from = 0;
		}
		if ((rc = reg_signon_append(e->r, rec, &e->head_count, e->head_hash,
		    err)) < 0)
			return rc;
		rec->seq = e->head_count;
		e->head_dirty = 1;
		(*nrec)++;
		stored = seq;
		e->count[AUTHD_C_EVENTS]++;
	}
	if (*nrec > 0) {
		snprintf(v, sizeof(v), "%" PRIu64, stored);
		if ((rc = reg_meta_set(e->r, key, v, err)) < 0)
			return rc;
	}
	ack.stored_through = stored;
answer:
	rc = signon_events_ack_sign(out, SIGNON_EVENTS_ACK_LEN, &ack, e->signer);
	if (rc < 0)
		return sk_errorf(err, EIO, "signing an acknowledgement failed: %s",
		    signon_strerror(rc));
	*outlen = (size_t)rc;
	return 0;
}
