/*
 * Delivering the audit outbox (outbox.h) through the netvm's relay: the
 * pending events in batches of SIGNON_EV_MAX, one EVENTS at a time, each
 * written down as delivered (an 'A' line) once the verifier's signed
 * EVENTS_ACK says it holds them. A batch sent twice (no answer in time,
 * the agent killed before it wrote the 'A' line) is stored once: the
 * verifier keeps only seqs above the last it holds for the laptop's
 * outbox (its id, in every batch).
 */
#include "guestagent/sekisho-agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestagent/sekisho-agent/lock.h"
#include "guestagent/sekisho-agent/outbox.h"
#include "lib/util.h"

#define BUSY_PAUSE_MS	200
#define BUSY_TRIES	40	/* longer than the relay's own 3 s exchange */
#define STRAY_TRIES	8	/* answers that are not for this batch */
#define ACK_EVERY	8	/* batches between 'A' lines, and the last */

static void
internal(struct outcome *o, const char *what)
{
	o->kind = O_INTERNAL;
	sk_strlcpy(o->detail, what, sizeof(o->detail));
}

/* One batch: 0 with *through (what the verifier holds), 1 with *o set. */
static int
send_batch(const struct agent *a, struct link *l, uint64_t id,
    const struct outbox_ev *evs, size_t k, uint64_t *through, struct outcome *o)
{
	struct signon_events m;
	struct signon_events_ack ack;
	uint8_t msg[SIGNON_EVENTS_LEN], ans[SIGNON_MAX_LEN];
	size_t alen;
	int busy = 0, stray = 0, timeouts = 0, e;

	memset(&m, 0, sizeof(m));
	m.first_seq = evs[0].seq;
	m.count = (uint8_t)k;
	m.outbox = id;
	for (size_t i = 0; i < k; i++) {
		m.ev[i].time = evs[i].time;
		m.ev[i].kind = evs[i].kind;
		m.ev[i].reason = evs[i].reason;
		sk_strlcpy(m.ev[i].staff, evs[i].staff, sizeof(m.ev[i].staff));
	}
	if (signon_events_encode(msg, sizeof(msg), &m) != SIGNON_EVENTS_LEN) {
		internal(o, "an outbox event does not encode");
		return 1;
	}
	for (;;) {
		/* sent again only when nothing came: harmless, the verifier
		 * stores a seq once */
		e = link_exchange(l, msg, sizeof(msg), ans, sizeof(ans), &alen,
		    a->cfg.request_ms, 1);
		if (e == LINK_E_TIMEOUT && ++timeouts < a->cfg.hello_tries)
			continue;
		if (e != LINK_OK) {
			o->kind = e == LINK_E_ADDR ? O_INTERNAL : O_UNREACHABLE;
			return 1;
		}
		memset(&ack, 0, sizeof(ack));
		switch (client_parse_ack(ans, alen, m.outbox, m.first_seq, m.count, &ack, o)) {
		case -1:
			if (++stray >= STRAY_TRIES) {
				o->kind = O_UNREACHABLE;
				return 1;
			}
			continue;
		case 1:
			if (o->relay_err == SIGNON_RE_BUSY && ++busy < BUSY_TRIES) {
				pause_ms(BUSY_PAUSE_MS);
				continue;
			}
			return 1;
		}
		if (ack.result != SIGNON_R_OK) {
			o->kind = O_VERIFIER;
			o->result = ack.result;
			return 1;
		}
		if (ack.stored_through < m.first_seq + m.count - 1) {
			snprintf(o->detail, sizeof(o->detail), "the verifier holds this"
			    " laptop's events only through %llu",
			    (unsigned long long)ack.stored_through);
			o->kind = O_INTERNAL;
			return 1;
		}
		*through = m.first_seq + m.count - 1;
		return 0;
	}
}

int
outbox_flush(const struct agent *a, uint64_t *delivered, struct outcome *o)
{
	struct outbox_ev *evs = NULL;
	struct link *l = NULL;
	char err[256];
	uint64_t id, through, acked, last = 0;
	size_t n, i, batches = 0;
	int rc = 1;

	memset(o, 0, sizeof(*o));
	*delivered = 0;
	if (outbox_pending(a->outbox, &id, &evs, &n, &through, err, sizeof(err)) != 0) {
		internal(o, err);
		return 1;
	}
	if (n == 0) {
		free(evs);
		return 0;
	}
	acked = through;
	if (link_open(&l, a->netvm, a->port) != LINK_OK) {
		internal(o, "the netvm's address is not a numeric address");
		goto out;
	}
	for (i = 0; i < n; ) {
		size_t k = n - i < SIGNON_EV_MAX ? n - i : SIGNON_EV_MAX;

		if (send_batch(a, l, id, evs + i, k, &last, o) != 0)
			break;
		i += k;
		*delivered += k;
		if (++batches % ACK_EVERY == 0 || i == n) {
			if (outbox_ack(a->outbox, last, err, sizeof(err)) != 0) {
				internal(o, err);
				goto out;
			}
			acked = last;
		}
	}
	if (i == n)
		rc = 0;
	else if (last > acked && outbox_ack(a->outbox, last, err, sizeof(err)) != 0 &&
	    o->kind != O_INTERNAL)
		internal(o, err);	/* what went through stays written down */
out:
	link_close(l);
	free(evs);
	return rc;
}
