#include "guestagent/sekisho-agent/outcome.h"

#include <stdio.h>

#include "lib/proto/signon_wire.h"

static const char *
factor_text(int f)
{
	switch (f) {
	case SIGNON_F_CARD_PIN:		return "card + PIN";
	case SIGNON_F_CARD_KEY:		return "card key + PIN";
	case SIGNON_F_CODE_PIN:		return "emergency code + PIN";
	case SIGNON_F_BIOMETRIC:	return "fingerprint";
	case SIGNON_F_BIO_PIN:		return "face or fingerprint + PIN";
	default:			return "no factor";
	}
}

static const char *
tries_text(int tries, char *buf, size_t size)
{
	snprintf(buf, size, "%d %s left", tries, tries == 1 ? "try" : "tries");
	return buf;
}

static const char *
verifier_message(const struct outcome *o, char *buf, size_t size)
{
	char t[32];

	switch (o->result) {
	case SIGNON_R_WRONG_PIN:
		/* The last try gone: the verifier locked the user with it. */
		if (o->tries == 0)
			snprintf(buf, size, "Wrong PIN: no tries left; locked, ask IT to unlock your account.");
		else
			snprintf(buf, size, "Wrong PIN: %s.", tries_text(o->tries, t, sizeof(t)));
		break;
	case SIGNON_R_LOCKED:
		snprintf(buf, size, "Locked: too many failed sign-ons; ask IT to unlock your account.");
		break;
	case SIGNON_R_UNKNOWN_CARD:
		snprintf(buf, size, "Unknown card: this card is not registered for sign-on; ask IT.");
		break;
	case SIGNON_R_UNKNOWN_USER:
		snprintf(buf, size, "Unknown user: this staff ID is not registered; ask IT.");
		break;
	case SIGNON_R_CODE_USED:
		snprintf(buf, size, "Code refused: this emergency code was used already; ask IT for a new one.");
		break;
	case SIGNON_R_CODE_EXPIRED:
		snprintf(buf, size, "Code refused: this emergency code has expired; ask IT for a new one.");
		break;
	case SIGNON_R_CODE_INVALID:
		snprintf(buf, size, "Code refused: this is not a valid emergency code for you.");
		break;
	case SIGNON_R_FACTOR_REFUSED:
		snprintf(buf, size, "Refused: your policy does not allow signing on with %s.",
		    factor_text(o->factor));
		break;
	case SIGNON_R_CARD_SIG:
		snprintf(buf, size, "Refused: the card's signature did not verify; ask IT.");
		break;
	case SIGNON_R_REPLAY:
		snprintf(buf, size, "Refused: the exchange was stale or replayed; try again.");
		break;
	case SIGNON_R_DEVICE:
		snprintf(buf, size, "Refused: this laptop may not sign on (unknown or revoked); ask IT.");
		break;
	case SIGNON_R_DISABLED:
		snprintf(buf, size, "Refused: your account is disabled; ask IT.");
		break;
	case SIGNON_R_MALFORMED:
		snprintf(buf, size, "Refused: the verifier could not read the request; try again or ask IT.");
		break;
	case SIGNON_R_INTERNAL:
		snprintf(buf, size, "Verifier error: try again in a moment.");
		break;
	case SIGNON_R_NO_SESSION:
		snprintf(buf, size, o->op == SIGNON_OP_HANDOVER ? "Not signed on: there is"
		    " no session on this laptop to hand over; sign on." : "Not signed on.");
		break;
	case SIGNON_R_NO_MATCH:
		if (o->tries == 0)
			snprintf(buf, size, "Fingerprint not recognised: no tries left; locked, ask IT to unlock your account.");
		else
			snprintf(buf, size, "Fingerprint not recognised: %s; try again, or sign on with your card.",
			    tries_text(o->tries, t, sizeof(t)));
		break;
	case SIGNON_R_SLOW_DOWN:
		snprintf(buf, size, "Too many sign-on attempts from this laptop: wait a minute and try again.");
		break;
	case SIGNON_R_UNAVAILABLE:
		snprintf(buf, size, "Verifier unavailable: the agency cannot check sign-ons right now; try again in a moment.");
		break;
	default:
		snprintf(buf, size, "Refused (result %d).", o->result);
		break;
	}
	return buf;
}

static const char *
relay_message(const struct outcome *o, char *buf, size_t size)
{
	switch (o->relay_err) {
	case SIGNON_RE_UNREACHABLE:
		snprintf(buf, size, "Verifier unreachable: the sign-on service does not answer; LGWAN stays closed, try again later.");
		break;
	case SIGNON_RE_NO_VERIFIER:
		snprintf(buf, size, "Verifier unreachable: the policy names no sign-on service; ask IT.");
		break;
	case SIGNON_RE_BAD_ANSWER:
		snprintf(buf, size, "Verifier unreachable: its answer did not verify; LGWAN stays closed, ask IT.");
		break;
	case SIGNON_RE_BUSY:
		snprintf(buf, size, "Busy: another sign-on is under way; try again.");
		break;
	case SIGNON_RE_BLOCKED:
		snprintf(buf, size, "Verifier unreachable: this laptop has no network path now; LGWAN stays closed, try again later.");
		break;
	default:
		snprintf(buf, size, "Verifier unreachable (relay error %d).", o->relay_err);
		break;
	}
	return buf;
}

const char *
outcome_message(const struct outcome *o, char *buf, size_t size)
{
	char t[32];

	switch (o->kind) {
	case O_OK:
		if (o->op == SIGNON_OP_SIGNOFF)
			snprintf(buf, size, "Signed off.");
		else if (o->op == SIGNON_OP_LOCK)
			snprintf(buf, size, "Locked.");
		else if (o->op == SIGNON_OP_HANDOVER)
			snprintf(buf, size, "Handed over%s%s: signed on as %s with %s for %u"
			    " minutes.", o->from[0] ? " from " : "", o->from,
			    o->staff[0] ? o->staff : "?", factor_text(o->factor),
			    (unsigned)(o->lifetime_s / 60));
		else
			snprintf(buf, size, "Signed on as %s with %s for %u minutes.",
			    o->staff[0] ? o->staff : "?", factor_text(o->factor),
			    (unsigned)(o->lifetime_s / 60));
		return buf;
	case O_VERIFIER:
		return verifier_message(o, buf, size);
	case O_RELAY:
		return relay_message(o, buf, size);
	case O_UNREACHABLE:
		snprintf(buf, size, "Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later.");
		return buf;
	case O_NO_SERVICE:
		snprintf(buf, size, "No card service: the smart card service (pcscd) is not running.");
		return buf;
	case O_NO_READER:
		snprintf(buf, size, "No card reader: connect the card reader and try again.");
		return buf;
	case O_NO_CARD:
		snprintf(buf, size, "No card: none was held to the reader in time.");
		return buf;
	case O_REMOVED:
		snprintf(buf, size, "Card removed: the card left the reader before sign-on finished; hold it to the reader and try again.");
		return buf;
	case O_NOT_STAFF:
		snprintf(buf, size, "Unknown card: this is not a staff card.");
		return buf;
	case O_CARD_BAD:
		snprintf(buf, size, "Card error: the card's answer makes no sense; try again or ask IT.");
		return buf;
	case O_CARD_WRONG_PIN:
		snprintf(buf, size, "Wrong PIN: %s.", tries_text(o->tries, t, sizeof(t)));
		return buf;
	case O_CARD_BLOCKED:
		snprintf(buf, size, "Locked: this card is blocked after too many wrong PINs; ask IT to reset it.");
		return buf;
	case O_PIN_FORMAT:
		snprintf(buf, size, "Wrong PIN: this card's PIN has 4 to 8 characters (no try used).");
		return buf;
	case O_NO_INPUT:
		snprintf(buf, size, "Cancelled: no PIN or code was given.");
		return buf;
	case O_BIO_NO_DEVICE:
		snprintf(buf, size, "No fingerprint sensor: connect the sensor and try again.");
		return buf;
	case O_BIO_NO_MATCH:
		snprintf(buf, size, "Fingerprint not recognised: try again, or sign on with your card.");
		return buf;
	case O_BIO_NO_PRINT:
		snprintf(buf, size, "No fingerprint enrolled for this user on this laptop.");
		return buf;
	case O_BIO_FAIL:
		snprintf(buf, size, "Fingerprint sensor error: %s.", o->detail);
		return buf;
	case O_NOT_SIGNED_ON:
		snprintf(buf, size, o->op == SIGNON_OP_HANDOVER ? "Not signed on: there is"
		    " no session on this laptop to hand over; sign on." : "Not signed on.");
		return buf;
	default:
		snprintf(buf, size, "Sign-on failed: %s.", o->detail[0] ? o->detail : "internal error");
		return buf;
	}
}

int
outcome_exit(const struct outcome *o)
{
	return o->kind == O_OK ? 0 : 1;
}

const char *
outcome_name(const struct outcome *o)
{
	static const char *names[O_KIND_MAX] = {
		[O_OK] = "ok", [O_VERIFIER] = "refused", [O_RELAY] = "relay",
		[O_UNREACHABLE] = "unreachable", [O_NO_SERVICE] = "no-service",
		[O_NO_READER] = "no-reader", [O_NO_CARD] = "no-card",
		[O_REMOVED] = "removed", [O_NOT_STAFF] = "not-staff",
		[O_CARD_BAD] = "card-bad", [O_CARD_WRONG_PIN] = "wrong-pin",
		[O_CARD_BLOCKED] = "card-blocked", [O_PIN_FORMAT] = "pin-format",
		[O_NO_INPUT] = "no-input", [O_BIO_NO_DEVICE] = "no-sensor",
		[O_BIO_NO_MATCH] = "no-match", [O_BIO_NO_PRINT] = "no-print",
		[O_BIO_FAIL] = "sensor-error", [O_NOT_SIGNED_ON] = "not-signed-on",
		[O_INTERNAL] = "internal",
	};

	if (o->kind == O_VERIFIER)
		return signon_result_name(o->result);
	if (o->kind < 0 || o->kind >= O_KIND_MAX)
		return "?";
	return names[o->kind];
}
