/*
 * sekisho-agent watch (docs/agent.md "Lock and presence"): runs for the
 * user's session and
 *   - locks it when the card in the reader leaves (sc_wait_gone: blocked
 *     in SCardGetStatusChange, pcscd wakes it; no polling);
 *   - where the policy asks for presence (its presence block, which the
 *     relay hands the agent with the challenge and the session file keeps;
 *     --presence card|finger --presence-period S overrides it, for tests),
 *     re-verifies every S seconds and locks when nobody was verified
 *     for S: the card still there and answering, or a finger matching the
 *     signed-on user's (libfprint; the stand-in for a face where no face
 *     sensor is available);
 *   - records every lock in the audit outbox (outbox.h) and delivers the
 *     outbox, at once after an event and every --flush-every seconds.
 * Each lock prints one line on stdout ("Locked: the card was removed.").
 * Threads: the card in the main one, the finger and the delivery in
 * their own (pthreads here and on Windows, winpthread).
 */
#include "guestagent/sekisho-agent/agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guestagent/sekisho-agent/bio.h"
#include "guestagent/sekisho-agent/lock.h"
#include "guestagent/sekisho-agent/netvm.h"
#include "guestagent/sekisho-agent/outbox.h"
#include "guestagent/sekisho-agent/sc.h"
#include "lib/util.h"

/* While no presence is given on the command line, the session file is
 * read again this often when nothing else wakes the card's wait (a
 * sign-on made while the card was watched brings the policy's presence);
 * the finger's thread reads it each second, as it did for who is signed
 * on. */
#define SESSION_RECHECK_MS	(SIGNON_PRES_PERIOD_MIN * 1000)

struct watch {
	const struct agent	*a;
	pthread_mutex_t		 mu;	/* one lock at a time; the outbox wake */
	pthread_cond_t		 wake;
	int			 pending;	/* an event to deliver */
};

static const char *
reason_line(int reason, unsigned period)
{
	static char buf[96];

	if (reason == SIGNON_EVR_CARD_REMOVED)
		return "the card was removed";
	snprintf(buf, sizeof(buf), "nobody was verified for %u s", period);
	return buf;
}

/*
 * The policy's presence as the netvm's status says it now (docs/agent.md,
 * "Lock and presence"): a new policy's reaches a session already signed
 * on, at the latest SESSION_RECHECK_MS after the netvm took it. Asked at
 * most that often, by either thread; 0 with *f (SIGNON_PRES_*, NONE when
 * the policy has none) and *period, or -1 when the netvm did not answer
 * (then the session file's stands).
 */
static int
netvm_presence(const struct agent *a, uint8_t *f, unsigned *period)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct netvm_answer ans;
	static uint64_t asked_ms;
	static int known, said;
	static uint8_t kf, ks, said_f, said_s;
	char err[256];
	int rc;

	pthread_mutex_lock(&mu);
	if (asked_ms == 0 || now_ms() - asked_ms >= SESSION_RECHECK_MS) {
		asked_ms = now_ms();
		known = netvm_ask(a->netvm, a->ctl_port, "status\n", a->cfg.request_ms, &ans,
		    err, sizeof(err)) == 0 && ans.type == CTL_T_STATUS;
		if (known && (ans.status.flags & CTL_S_PRESENCE)) {
			kf = ans.status.presence == CTL_PRES_CARD ? SIGNON_PRES_CARD :
			    SIGNON_PRES_FACE;
			ks = ans.status.presence_s;
		} else if (known) {
			kf = SIGNON_PRES_NONE;
			ks = 0;
		}
		/* one line each time the policy's presence changes */
		if (known && (!said || kf != said_f || ks != said_s)) {
			if (kf == SIGNON_PRES_NONE)
				fprintf(stderr, "sekisho-agent: the netvm's policy asks for "
				    "no presence\n");
			else
				fprintf(stderr, "sekisho-agent: the netvm's policy asks for "
				    "presence by %s every %u s\n",
				    kf == SIGNON_PRES_CARD ? "card" : "face", (unsigned)ks);
			said = 1;
			said_f = kf;
			said_s = ks;
		}
	}
	rc = known ? 0 : -1;
	*f = kf;
	*period = ks;
	pthread_mutex_unlock(&mu);
	return rc;
}

/*
 * The presence in force and its period: the command line's when given,
 * else the policy's as the netvm's status says it now, else as the
 * session file holds it (PRESENCE_NONE with nobody signed on, or a
 * session without presence). s is filled when the session could be read.
 */
static int
presence_now(const struct agent *a, struct agent_session *s, unsigned *period)
{
	int have = state_load(a->state_dir, s) == 0;
	uint8_t pres;

	*period = 0;
	if (a->presence != PRESENCE_NONE) {
		*period = a->presence_s;
		return a->presence;
	}
	if (!have || s->until <= (uint64_t)time(NULL))
		return PRESENCE_NONE;
	*period = s->presence_s;
	pres = s->presence;
	if (netvm_presence(a, &pres, period) != 0) {
		pres = s->presence;
		*period = s->presence_s;
	}
	switch (pres) {
	case SIGNON_PRES_CARD:
		return PRESENCE_CARD;
	case SIGNON_PRES_FACE:
		return PRESENCE_FINGER;
	}
	return PRESENCE_NONE;
}

static void
do_lock(struct watch *w, int reason, unsigned period)
{
	const struct agent *a = w->a;
	struct agent_session s;
	struct outbox_ev ev;
	char detail[256], err[256];

	pthread_mutex_lock(&w->mu);
	if (session_lock(a->lock_cmd, detail, sizeof(detail)) != 0) {
		/* not recorded as a lock: it did not happen */
		fprintf(stderr, "sekisho-agent: the session could not be locked: %s\n",
		    detail);
		pthread_mutex_unlock(&w->mu);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.time = (uint64_t)time(NULL);
	ev.kind = SIGNON_EV_LOCK;
	ev.reason = (uint8_t)reason;
	if (state_load(a->state_dir, &s) == 0)
		sk_strlcpy(ev.staff, s.staff, sizeof(ev.staff));
	if (outbox_append(a->outbox, &ev, 1, err, sizeof(err)) != 0)
		fprintf(stderr, "sekisho-agent: the lock is not recorded: %s\n", err);
	printf("Locked: %s.\n", reason_line(reason, period));
	fflush(stdout);
	w->pending = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->mu);
}

/* Delivers the outbox after each event and every flush_s seconds. */
static void *
deliver_loop(void *arg)
{
	struct watch *w = arg;
	struct outcome o;
	uint64_t n;
	char msg[256];

	for (;;) {
		struct timespec until;

		if (outbox_flush(w->a, &n, &o) != 0 && w->a->verbose)
			fprintf(stderr, "sekisho-agent: audit outbox: %s\n",
			    outcome_message(&o, msg, sizeof(msg)));
		else if (n > 0 && w->a->verbose)
			fprintf(stderr, "sekisho-agent: delivered %llu audit events\n",
			    (unsigned long long)n);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)w->a->flush_s;
		pthread_mutex_lock(&w->mu);
		while (!w->pending && pthread_cond_timedwait(&w->wake, &w->mu,
		    &until) != ETIMEDOUT)
			;
		w->pending = 0;
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

static void
prompt_presence(void)
{
	fprintf(stderr, "Presence: touch the fingerprint sensor.\n");
}

/* Presence by finger: each period, a match of the signed-on user's
 * finger; none within the period locks, then a match re-arms. */
static void *
finger_loop(void *arg)
{
	struct watch *w = arg;
	const struct agent *a = w->a;
	char path[4096], detail[128];
	int locked = 0;

	for (;;) {
		struct agent_session s;
		time_t deadline;
		unsigned period;
		int matched = 0, e = BIO_E_TIMEOUT;

		if (presence_now(a, &s, &period) != PRESENCE_FINGER ||
		    state_load(a->state_dir, &s) != 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s.fp", a->prints,
		    s.staff) >= sizeof(path)) {
			/* nobody signed on, or no presence by face: nobody
			 * to verify */
			locked = 0;
			pause_ms(1000);
			continue;
		}
		/* the period: a matching finger within it, another finger is
		 * no one */
		deadline = time(NULL) + (time_t)period;
		while (!matched && time(NULL) < deadline) {
			detail[0] = '\0';
			e = bio_verify(path, (unsigned)(deadline - time(NULL)),
			    a->verbose ? prompt_presence : NULL, &matched, detail,
			    sizeof(detail));
			if (e != BIO_OK)
				break;
		}
		if (matched) {
			if (a->verbose)
				fprintf(stderr, "sekisho-agent: presence verified (%s)\n",
				    s.staff);
			locked = 0;
			continue;
		}
		if (e != BIO_OK && e != BIO_E_TIMEOUT)
			fprintf(stderr, "sekisho-agent: presence: the sensor failed%s%s\n",
			    detail[0] ? ": " : "", detail);
		if (!locked)
			do_lock(w, SIGNON_EVR_PRESENCE, period);
		locked = 1;
		if (e != BIO_OK && e != BIO_E_TIMEOUT)
			pause_ms(1000);
	}
	return NULL;
}

/* The card: lock when it leaves; with --presence card, also when it stops
 * answering within a period. A card service that fails while a card is
 * watched can no longer say whether it is there: that locks too (fail
 * closed). A service or reader that is not there is asked again each
 * second, said once. */
static int
card_loop(struct watch *w)
{
	const struct agent *a = w->a;
	struct sc *s = NULL;
	int e, said = 0;

	for (;;) {
		if (s == NULL && sc_open(&s) != SC_OK) {
			s = NULL;
			if (!said++)
				fprintf(stderr, "sekisho-agent: watch: no card service"
				    " (pcscd); asking again each second\n");
			pause_ms(1000);
			continue;
		}
		/* arm: a card in the reader */
		e = sc_wait_card(s, a->reader, 0, NULL);
		if (e != SC_OK) {
			if (!said++)
				fprintf(stderr, "sekisho-agent: watch: %s\n", e == SC_E_NO_READER ?
				    "no card reader" : sc_last_error(s));
			if (e != SC_E_NO_READER) {
				sc_close(s);
				s = NULL;
			}
			pause_ms(1000);
			continue;
		}
		said = 0;
		if (a->verbose)
			fprintf(stderr, "sekisho-agent: watching the card in %s\n",
			    sc_reader(s));
		for (;;) {
			struct agent_session ss;
			unsigned period;
			int p = presence_now(a, &ss, &period);

			e = sc_wait_gone(s, p == PRESENCE_CARD ? period * 1000 :
			    a->presence != PRESENCE_NONE ? 0 : SESSION_RECHECK_MS);
			if (e == SC_E_TIMEOUT) {
				uint8_t atr[SC_ATR_MAX];
				size_t len;

				/* the period's re-verification: still there,
				 * answering (or only the session read again) */
				if (p != PRESENCE_CARD || sc_atr(s, atr, &len) == SC_OK)
					continue;
				do_lock(w, SIGNON_EVR_PRESENCE, period);
				break;
			}
			if (e != SC_OK) {
				fprintf(stderr, "sekisho-agent: watch: the card service"
				    " failed (%s): locking\n", sc_last_error(s));
				do_lock(w, SIGNON_EVR_CARD_REMOVED, 0);
				sc_close(s);
				s = NULL;
				break;
			}
			do_lock(w, SIGNON_EVR_CARD_REMOVED, 0);
			break;
		}
		if (s != NULL)
			sc_release(s);
	}
	return 0;
}

int
watch_run(const struct agent *a)
{
	static struct watch w;
	pthread_t t;

	memset(&w, 0, sizeof(w));
	w.a = a;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.wake, NULL);
	if (pthread_create(&t, NULL, deliver_loop, &w) != 0) {
		fprintf(stderr, "sekisho-agent: watch: cannot start the delivery\n");
		return -1;
	}
	/* the finger's thread also where the policy may ask for a face */
	if (a->presence != PRESENCE_CARD &&
	    pthread_create(&t, NULL, finger_loop, &w) != 0) {
		fprintf(stderr, "sekisho-agent: watch: cannot start the presence check\n");
		return -1;
	}
	if (a->no_card) {
		for (;;)
			pause_ms(3600 * 1000);
	}
	return card_loop(&w);
}
