/*
 * The sign-on flows: card (identifier + PIN, or a keyed card that checks
 * the PIN and signs the challenge), emergency code + PIN, fingerprint;
 * sign-off; card-info and finger-enroll for IT. Every flow ends in one
 * struct outcome; PINs and codes are wiped before it returns.
 */
#include "guestagent/sekisho-agent/agent.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "guestagent/sekisho-agent/bio.h"
#include "guestagent/sekisho-agent/card.h"
#include "guestagent/sekisho-agent/link.h"
#include "guestagent/sekisho-agent/sc.h"
#include "guestagent/sekisho-agent/secret.h"
#include "lib/proto/signon_crypto.h"
#include "lib/util.h"

static void
prompt_card(void)
{
	fprintf(stderr, "Hold your staff card to the reader.\n");
}

static void
prompt_finger(void)
{
	fprintf(stderr, "Touch the fingerprint sensor.\n");
}

/* A smart card failure as the user reads it. */
static void
card_outcome(int e, struct outcome *o)
{
	switch (e) {
	case SC_E_NO_SERVICE:	o->kind = O_NO_SERVICE; break;
	case SC_E_NO_READER:	o->kind = O_NO_READER; break;
	case SC_E_REMOVED:	o->kind = O_REMOVED; break;
	case SC_E_TIMEOUT:	o->kind = O_NO_CARD; break;
	case CARD_E_NOT_STAFF:	o->kind = O_NOT_STAFF; break;
	default:		o->kind = O_CARD_BAD; break;
	}
}

/* Reads a PIN or code; 0, or 1 with *o set. */
static int
ask(int fd, const char *prompt, char *buf, size_t size, struct outcome *o)
{
	int n = secret_read(fd, prompt, buf, size);

	if (n > 0)
		return 0;
	secret_wipe(buf, size);
	if (n == 0) {
		o->kind = O_NO_INPUT;
	} else {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), n == -1 ?
		    "no terminal to ask on: give --pin-fd N (and --code-fd N)" :
		    "longer than %d characters", SECRET_MAX);
	}
	return 1;
}

static void
remember(const struct agent *a, const struct outcome *o)
{
	struct agent_session s;

	if (o->kind != O_OK || (o->op != SIGNON_OP_SIGNON && o->op != SIGNON_OP_HANDOVER))
		return;
	memset(&s, 0, sizeof(s));
	sk_strlcpy(s.staff, o->staff, sizeof(s.staff));
	s.factor = o->factor;
	s.until = (uint64_t)time(NULL) + o->lifetime_s;
	s.presence = o->presence;
	s.presence_s = o->presence_s;
	if (state_save(a->state_dir, &s) != 0)
		fprintf(stderr, "sekisho-agent: cannot record the session in %s\n",
		    a->state_dir);
}

/* HELLO, then the caller's REQUEST; link closed by the caller. */
static int
start(const struct agent *a, struct link **l, struct signon_challenge *ch,
    struct outcome *o)
{
	int e = link_open(l, a->netvm, a->port);

	if (e == LINK_E_ADDR) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "--netvm %s: not a numeric address",
		    a->netvm);
		return 1;
	}
	if (e != LINK_OK) {
		o->kind = O_UNREACHABLE;
		return 1;
	}
	return client_hello(*l, &a->cfg, ch, o);
}

/*
 * The keyed card refused the PIN typed into it (its own count is in o):
 * the verifier counts it too, for the user's lockout across factors
 * (docs/sign-on.md, "Lockout"). Its answer replaces the card's line when
 * it leaves fewer tries or the user is locked; unreachable, the card's
 * line stays (the card still counts).
 */
static void
report_pin_refused(const struct agent *a, const struct card_info *ci,
    struct outcome *o)
{
	struct link *l = NULL;
	struct signon_challenge ch;
	struct signon_request req;
	struct outcome v;

	memset(&v, 0, sizeof(v));
	memset(&req, 0, sizeof(req));
	v.op = SIGNON_OP_PIN_REFUSED;
	v.factor = SIGNON_F_CARD_KEY;
	if (start(a, &l, &ch, &v) == 0) {
		req.op = SIGNON_OP_PIN_REFUSED;
		req.factor = SIGNON_F_CARD_KEY;
		sk_strlcpy(req.card, ci->name, sizeof(req.card));
		client_request(l, &a->cfg, &ch, &req, "", 0, "", 0, &v);
	}
	link_close(l);
	if (a->verbose)
		fprintf(stderr, "the card's refusal reported: %s\n", outcome_name(&v));
	if (v.kind == O_VERIFIER && (v.result == SIGNON_R_LOCKED ||
	    (v.result == SIGNON_R_WRONG_PIN && o->kind == O_CARD_WRONG_PIN &&
	    v.tries < o->tries)))
		*o = v;
}

void
login_card(const struct agent *a, struct outcome *o)
{
	login_card_op(a, SIGNON_OP_SIGNON, o);
}

void
login_card_op(const struct agent *a, int op, struct outcome *o)
{
	struct sc *s = NULL;
	struct card_info ci;
	struct link *l = NULL;
	struct signon_challenge ch;
	struct signon_request req;
	char pin[SECRET_MAX + 1];
	uint8_t digest[32];
	int e, tries = 0, before = -1, t0 = 0;
	size_t pin_len;

	memset(o, 0, sizeof(*o));
	memset(&req, 0, sizeof(req));
	o->op = op;
	if ((e = sc_open(&s)) != SC_OK ||
	    (e = sc_wait_card(s, a->reader, a->wait_s * 1000, prompt_card)) != SC_OK ||
	    (e = card_identify(s, &ci)) != 0) {
		card_outcome(e, o);
		goto out;
	}
	if (a->verbose)
		fprintf(stderr, "card %s in %s\n", ci.name, sc_reader(s));
	o->factor = ci.keyed ? SIGNON_F_CARD_KEY : SIGNON_F_CARD_PIN;
	if (ask(a->pin_fd, "PIN: ", pin, sizeof(pin), o))
		goto out;
	pin_len = strlen(pin);
	if (ci.keyed) {
		/* The card checks its PIN itself; it never leaves the laptop. */
		if (pin_len < APDU_PIN_MIN || pin_len > APDU_PIN_MAX) {
			o->kind = O_PIN_FORMAT;
			goto out;
		}
		/* whether the card had tries left: a VERIFY that blocks it
		 * was a wrong PIN too, one on a blocked card was not tried */
		before = card_pin_status(s, &t0);
		e = card_verify_pin(s, pin, pin_len, &tries);
		secret_wipe(pin, sizeof(pin));
		if (e < 0 && a->verbose)
			fprintf(stderr, "card: %s\n", sc_last_error(s));
		if (e < 0) {
			card_outcome(e, o);
			goto out;
		}
		if (e != APDU_PIN_OK) {
			o->kind = e == APDU_PIN_WRONG ? O_CARD_WRONG_PIN :
			    e == APDU_PIN_BLOCKED ? O_CARD_BLOCKED : O_CARD_BAD;
			o->tries = tries;
			if (e == APDU_PIN_WRONG || (e == APDU_PIN_BLOCKED &&
			    before == APDU_PIN_WRONG))
				report_pin_refused(a, &ci, o);
			goto out;
		}
		pin_len = 0;
	}
	if (start(a, &l, &ch, o))
		goto out;
	req.op = (uint8_t)op;
	req.factor = (uint8_t)o->factor;
	sk_strlcpy(req.card, ci.name, sizeof(req.card));
	if (ci.keyed) {
		signon_card_digest(digest, ch.nonce, req.card);
		if ((e = card_sign(s, digest, req.card_sig)) != 0) {
			card_outcome(e, o);
			goto out;
		}
	}
	client_request(l, &a->cfg, &ch, &req, pin, pin_len, "", 0, o);
	remember(a, o);
out:
	secret_wipe(pin, sizeof(pin));
	link_close(l);
	sc_close(s);
}

void
login_otp(const struct agent *a, struct outcome *o)
{
	struct link *l = NULL;
	struct signon_challenge ch;
	struct signon_request req;
	char pin[SECRET_MAX + 1], code[SECRET_MAX + 1];

	memset(o, 0, sizeof(*o));
	memset(&req, 0, sizeof(req));
	memset(pin, 0, sizeof(pin));
	memset(code, 0, sizeof(code));
	o->op = SIGNON_OP_SIGNON;
	o->factor = SIGNON_F_CODE_PIN;
	/* The code replaces the card, never the PIN: both are asked. */
	if (ask(a->code_fd, "Emergency code: ", code, sizeof(code), o) ||
	    ask(a->pin_fd, "PIN: ", pin, sizeof(pin), o))
		goto out;
	if (start(a, &l, &ch, o))
		goto out;
	req.op = SIGNON_OP_SIGNON;
	req.factor = SIGNON_F_CODE_PIN;
	sk_strlcpy(req.staff, a->user, sizeof(req.staff));
	client_request(l, &a->cfg, &ch, &req, pin, strlen(pin), code, strlen(code), o);
	remember(a, o);
out:
	secret_wipe(pin, sizeof(pin));
	secret_wipe(code, sizeof(code));
	link_close(l);
}

static int
template_path(const struct agent *a, const char *user, char *path, size_t size)
{
	return (size_t)snprintf(path, size, "%s/%s.fp", a->prints, user) < size ? 0 : -1;
}

static void
bio_outcome(int e, const char *detail, struct outcome *o)
{
	switch (e) {
	case BIO_E_NO_DEVICE:	o->kind = O_BIO_NO_DEVICE; break;
	case BIO_E_NO_PRINT:	o->kind = O_BIO_NO_PRINT; break;
	case BIO_E_TIMEOUT:	o->kind = O_BIO_FAIL;
				snprintf(o->detail, sizeof(o->detail), "no finger in time"); break;
	default:		o->kind = O_BIO_FAIL;
				sk_strlcpy(o->detail, detail, sizeof(o->detail)); break;
	}
}

void
login_finger(const struct agent *a, struct outcome *o)
{
	login_finger_op(a, SIGNON_OP_SIGNON, 0, o);
}

void
login_finger_op(const struct agent *a, int op, int with_pin, struct outcome *o)
{
	struct link *l = NULL;
	struct signon_challenge ch;
	struct signon_request req;
	char path[4096], detail[128] = "", pin[SECRET_MAX + 1];
	int e, matched = 0;

	memset(o, 0, sizeof(*o));
	memset(&req, 0, sizeof(req));
	memset(pin, 0, sizeof(pin));
	o->op = op;
	o->factor = with_pin ? SIGNON_F_BIO_PIN : SIGNON_F_BIOMETRIC;
	if (template_path(a, a->user, path, sizeof(path)) != 0) {
		o->kind = O_BIO_NO_PRINT;
		return;
	}
	e = bio_verify(path, a->finger_s, prompt_finger, &matched, detail, sizeof(detail));
	if (e != BIO_OK) {
		bio_outcome(e, detail, o);
		return;
	}
	/* A non-match is reported too: it counts towards the user's lockout
	 * at the verifier, as a wrong PIN does. */
	if (matched)
		fprintf(stderr, "Fingerprint recognised.\n");
	/* with a PIN: asked whatever the sensor said (the verifier counts a
	 * non-match; the PIN is never checked on the laptop) */
	if (with_pin && ask(a->pin_fd, "PIN: ", pin, sizeof(pin), o)) {
		matched = 1;	/* the outcome is the PIN's, not the sensor's */
		goto out;
	}
	if (start(a, &l, &ch, o))
		goto out;
	req.op = (uint8_t)op;
	req.factor = (uint8_t)o->factor;
	req.match = matched ? SIGNON_MATCH_YES : SIGNON_MATCH_NO;
	sk_strlcpy(req.staff, a->user, sizeof(req.staff));
	client_request(l, &a->cfg, &ch, &req, pin, strlen(pin), "", 0, o);
	remember(a, o);
out:
	secret_wipe(pin, sizeof(pin));
	/* Whatever became of the report, the user is told the sensor's answer. */
	if (!matched && o->kind != O_VERIFIER)
		o->kind = O_BIO_NO_MATCH;
	link_close(l);
}

void
logout_run(const struct agent *a, const char *staff, struct outcome *o)
{
	struct link *l = NULL;
	struct signon_challenge ch;
	struct signon_request req;

	memset(o, 0, sizeof(*o));
	memset(&req, 0, sizeof(req));
	o->op = SIGNON_OP_SIGNOFF;
	if (start(a, &l, &ch, o))
		goto out;
	req.op = SIGNON_OP_SIGNOFF;
	req.factor = SIGNON_F_NONE;
	sk_strlcpy(req.staff, staff, sizeof(req.staff));
	client_request(l, &a->cfg, &ch, &req, "", 0, "", 0, o);
	if (o->kind == O_OK || (o->kind == O_VERIFIER && o->result == SIGNON_R_NO_SESSION))
		state_clear(a->state_dir);
out:
	link_close(l);
}

int
card_info_run(const struct agent *a, struct outcome *o)
{
	struct sc *s = NULL;
	struct card_info ci;
	int e;

	memset(o, 0, sizeof(*o));
	if ((e = sc_open(&s)) != SC_OK ||
	    (e = sc_wait_card(s, a->reader, a->wait_s * 1000, prompt_card)) != SC_OK ||
	    (e = card_identify(s, &ci)) != 0) {
		card_outcome(e, o);
		sc_close(s);
		return 1;
	}
	printf("reader: %s\n", sc_reader(s));
	printf("kind: %s\n", ci.keyed ? "keyed" : "identifier");
	if (ci.id_len > 0)
		printf("identifier: %s\n", ci.id_hex);
	printf("card: %s\n", ci.name);
	sc_close(s);
	return 0;
}

int
finger_enroll_run(const struct agent *a, struct outcome *o)
{
	char path[4096], detail[128] = "";
	int e;

	memset(o, 0, sizeof(*o));
	if (template_path(a, a->user, path, sizeof(path)) != 0) {
		o->kind = O_INTERNAL;
		snprintf(o->detail, sizeof(o->detail), "--prints: path too long");
		return 1;
	}
	e = bio_enroll(path, a->user, a->finger_s, prompt_finger, detail, sizeof(detail));
	if (e != BIO_OK) {
		bio_outcome(e, detail, o);
		return 1;
	}
	printf("Fingerprint enrolled for %s.\n", a->user);
	return 0;
}
