#include "agency/sekisho-authd/engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "agency/sekisho-authd/session.h"
#include "lib/encode.h"
#include "registry/ops.h"

static const struct reg_actor authd_actor = { "sekisho-authd", "sign-on" };

void
authd_engine_free(struct authd_engine *e)
{
	if (e->keys == NULL)
		return;
	for (size_t i = 0; i < AUTHD_KEYCACHE; i++)
		EVP_PKEY_free(e->keys->e[i].pk);
	free(e->keys);
	e->keys = NULL;
}

int
authd_limits_init(struct authd_limits *l, uint32_t src_rate, uint32_t src_burst)
{
	memset(l, 0, sizeof(*l));
	if (rl_init(&l->src, src_rate, src_burst, AUTHD_RL_SLOTS) < 0 ||
	    rl_init(&l->dev, AUTHD_DEV_RATE, AUTHD_DEV_BURST, AUTHD_RL_SLOTS) < 0 ||
	    rl_init(&l->fail, AUTHD_FAIL_RATE, AUTHD_FAIL_BURST, AUTHD_RL_SLOTS) < 0 ||
	    rl_init(&l->ev, AUTHD_EV_RATE, AUTHD_EV_BURST, AUTHD_RL_SLOTS) < 0 ||
	    rl_init(&l->unv, AUTHD_UNV_RATE, AUTHD_UNV_BURST, AUTHD_RL_SLOTS) < 0) {
		authd_limits_free(l);
		return -ENOMEM;
	}
	return 0;
}

void
authd_limits_free(struct authd_limits *l)
{
	rl_free(&l->src);
	rl_free(&l->dev);
	rl_free(&l->fail);
	rl_free(&l->ev);
	rl_free(&l->unv);
}

static void
note(struct authd_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct authd_engine *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->note, sizeof(e->note), fmt, ap);
	va_end(ap);
	e->has_note = 1;
}

/* "10.77.0.2:1234" -> "10.77.0.2", "[fd00::1:2:3:4]:1234" -> "fd00::/64":
 * a source's bucket is its address, whatever port it sends from, and an
 * IPv6 source's is its /64 (one host holds a whole /64 and can send from
 * any of its 2^64 addresses: keyed by the full address each would have a
 * bucket of its own). An IPv4 address mapped into IPv6 is keyed as IPv4. */
static void
source_key(const char *source, char *key, size_t len)
{
	const char *end;
	char a[INET6_ADDRSTRLEN + 8];
	struct in6_addr in6;

	if (source[0] == '[' && (end = strchr(source, ']')) != NULL) {
		snprintf(a, sizeof(a), "%.*s", (int)(end - source - 1), source + 1);
		a[strcspn(a, "%")] = '\0';	/* a zone: fe80::1%eth0 */
		if (inet_pton(AF_INET6, a, &in6) != 1) {
			snprintf(key, len, "%s", a);
			return;
		}
		if (IN6_IS_ADDR_V4MAPPED(&in6)) {
			inet_ntop(AF_INET, &in6.s6_addr[12], a, sizeof(a));
			snprintf(key, len, "%s", a);
			return;
		}
		memset(&in6.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &in6, a, sizeof(a));
		snprintf(key, len, "%s/64", a);
		return;
	}
	end = strrchr(source, ':');
	snprintf(key, len, "%.*s", (int)(end != NULL ? end - source :
	    (ptrdiff_t)strlen(source)), source);
}

/* The key of a laptop's bucket (kind 'd': requests, 'f': failures). */
static void
device_key(const char *device, int kind, char *key, size_t len)
{
	snprintf(key, len, "%c:%s", kind, device);
}

/* The parsed key for id (kind 'd': a laptop's Ed25519 key, raw; 'c': a
 * card's P-256 key, SEC1), from the cache or made and kept. NULL if the
 * key is malformed or memory ran out. */
static EVP_PKEY *
cached_key(struct authd_engine *e, const char *id, int kind, const uint8_t *raw,
    size_t rawlen)
{
	uint32_t h = 2166136261u;
	size_t i;
	EVP_PKEY *pk;

	if (e->keys == NULL && (e->keys = calloc(1, sizeof(*e->keys))) == NULL)
		return NULL;
	for (const char *p = id; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	i = (h ^ (uint32_t)kind) % AUTHD_KEYCACHE;
	if (e->keys->e[i].pk != NULL && e->keys->e[i].id[0] == kind &&
	    strcmp(e->keys->e[i].id + 1, id) == 0)
		return e->keys->e[i].pk;
	pk = kind == 'd' ? signon_ed25519_key(raw) : signon_card_key(raw, rawlen);
	if (pk == NULL)
		return NULL;
	EVP_PKEY_free(e->keys->e[i].pk);
	e->keys->e[i].pk = pk;
	e->keys->e[i].id[0] = (char)kind;
	sk_strlcpy(e->keys->e[i].id + 1, id, sizeof(e->keys->e[i].id) - 1);
	return pk;
}

int
authd_batch_begin(struct authd_engine *e, struct sk_error *err)
{
	int rc;

	if (e->in_batch)
		return 0;
	if ((rc = reg_begin(e->r, err)) < 0)
		return rc;
	if ((rc = reg_signon_head(e->r, &e->head_count, e->head_hash, err)) < 0) {
		reg_rollback(e->r);
		return rc;
	}
	e->in_batch = 1;
	e->head_dirty = 0;
	return 0;
}

int
authd_batch_commit(struct authd_engine *e, struct sk_error *err)
{
	int rc;

	if (!e->in_batch)
		return 0;
	e->in_batch = 0;
	if (e->head_dirty && (rc = reg_signon_head_set(e->r, e->head_count,
	    e->head_hash, err)) < 0) {
		reg_rollback(e->r);
		return rc;
	}
	e->head_dirty = 0;
	return reg_commit(e->r, err);
}

void
authd_batch_abort(struct authd_engine *e)
{
	if (e->in_batch)
		reg_rollback(e->r);
	e->in_batch = 0;
	e->head_dirty = 0;
}

/* One attempt being decided. */
struct attempt {
	const struct signon_bound	*bd;
	struct signon_result_msg	 res;
	struct reg_signon_rec		*rec;
	struct reg_staff		 staff;
	int				 have_staff;
	int				 unrecorded;	/* over the laptop's rate:
							 * no audit record */
	int				 unverified;	/* under no laptop's key */
	int				 answer;	/* 0: answer nothing */
};

static int
refuse(struct attempt *a, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(struct attempt *a, int result, const char *fmt, ...)
{
	va_list ap;

	a->res.result = (uint8_t)result;
	va_start(ap, fmt);
	vsnprintf(a->rec->reason, sizeof(a->rec->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* Steps 5 and 6 for a sign-on or unlock: the result in a->res. A
 * negative return is the registry's failure (abort the batch). */
static int
check_factor(struct authd_engine *e, struct attempt *a, struct sk_error *err)
{
	const struct signon_request *q = &a->bd->req;
	char kind[16], staff[REG_NAME_MAX + 1], fkey[RL_KEY_MAX];
	char pin[SIGNON_PIN_MAX + 1], code[SIGNON_CODE_MAX + 1];
	size_t pin_len = 0, code_len = 0;
	int rc, counted = 0, f0, ok = 0;
	struct sk_error e2;

	/* who */
	if (q->factor == SIGNON_F_CARD_PIN || q->factor == SIGNON_F_CARD_KEY) {
		rc = reg_card_get(e->r, q->card, kind, staff, &e2);
		if (rc == -ENOENT)
			return refuse(a, SIGNON_R_UNKNOWN_CARD, "card %s is not assigned",
			    q->card);
		if (rc < 0)
			return *err = e2, rc;
		if (q->factor == SIGNON_F_CARD_PIN && strcmp(kind, "pubkey") == 0)
			return refuse(a, SIGNON_R_FACTOR_REFUSED, "card %s holds a key:"
			    " it answers the challenge (card-key), its id is public",
			    q->card);
		if (q->factor == SIGNON_F_CARD_KEY && strcmp(kind, "pubkey") != 0)
			return refuse(a, SIGNON_R_FACTOR_REFUSED, "card %s has no"
			    " enrolled key", q->card);
	} else
		sk_strlcpy(staff, q->staff, sizeof(staff));
	sk_strlcpy(a->res.staff, staff, sizeof(a->res.staff));
	sk_strlcpy(a->rec->staff, staff, sizeof(a->rec->staff));
	rc = reg_staff_get(e->r, staff, &a->staff, &e2);
	if (rc == -ENOENT) {
		a->res.staff[0] = '\0';	/* no such user: not echoed */
		return refuse(a, SIGNON_R_UNKNOWN_USER, "no user %s", staff);
	}
	if (rc < 0)
		return *err = e2, rc;
	a->have_staff = 1;
	f0 = a->staff.failures;
	if (a->staff.disabled)
		return refuse(a, SIGNON_R_DISABLED, "user %s is disabled", staff);
	if (f0 >= e->max_failures)
		return refuse(a, SIGNON_R_LOCKED, "user %s is locked after %d failures",
		    staff, f0);
	if (q->op != SIGNON_OP_PIN_REFUSED && !rules_allow(e->rules, a->staff.role,
	    q->factor))
		return refuse(a, SIGNON_R_FACTOR_REFUSED, "factor %s is not allowed"
		    " for role %s", signon_factor_name(q->factor),
		    a->staff.role[0] ? a->staff.role : "(none)");
	/* the laptop's failure budget: spent, nothing is checked or counted
	 * (one laptop cannot lock user after user) */
	device_key(a->bd->device, 'f', fkey, sizeof(fkey));
	if (e->limits != NULL && !rl_has(&e->limits->fail, fkey, e->now_ms))
		return refuse(a, SIGNON_R_SLOW_DOWN, "laptop %s caused %u failures"
		    " lately (%u an hour at most): not checked, not counted",
		    a->bd->device, AUTHD_FAIL_BURST, AUTHD_FAIL_RATE * 60);
	if (q->op == SIGNON_OP_PIN_REFUSED) {
		/* the card counted the wrong PIN; so does the agency */
		counted = 1;
		refuse(a, SIGNON_R_WRONG_PIN, "wrong PIN: the card refused it");
		rc = 0;
		goto out;
	}

	/* the factor; biometric + PIN: the match first, then the PIN */
	if (q->factor == SIGNON_F_BIO_PIN && q->match != SIGNON_MATCH_YES) {
		counted = 1;
		refuse(a, SIGNON_R_NO_MATCH, "biometric did not match");
		goto out;
	}
	if (q->factor == SIGNON_F_CARD_PIN || q->factor == SIGNON_F_CODE_PIN ||
	    q->factor == SIGNON_F_BIO_PIN) {
		if (signon_request_open(e->unsealer, a->bd->req_raw, pin, &pin_len,
		    code, &code_len) != SIGNON_OK) {
			refuse(a, SIGNON_R_MALFORMED, "the sealed secret does not open");
			goto out;
		}
		if (pin_len == 0 || (q->factor == SIGNON_F_CODE_PIN && code_len == 0)) {
			refuse(a, SIGNON_R_MALFORMED, "the sealed secret lacks the %s",
			    pin_len == 0 ? "PIN" : "code");
			goto out;
		}
		if (q->factor != SIGNON_F_CODE_PIN && code_len != 0) {
			refuse(a, SIGNON_R_MALFORMED, "a code with a %s: no",
			    q->factor == SIGNON_F_CARD_PIN ? "card" : "biometric");
			goto out;
		}
		rc = reg_pin_verify(e->r, staff, pin, pin_len, &e2);
		if (rc == -EACCES) {
			counted = 1;
			rc = refuse(a, SIGNON_R_WRONG_PIN, "wrong PIN");
			goto out;
		}
		if (rc == -ENOENT) {
			rc = refuse(a, SIGNON_R_FACTOR_REFUSED, "user %s has no PIN", staff);
			goto out;
		}
		if (rc < 0) {
			*err = e2;
			goto out;
		}
		if (q->factor == SIGNON_F_CODE_PIN) {
			struct reg_actor act = authd_actor;

			act.reason = a->bd->device;
			rc = reg_otp_use(e->r, &act, staff, code, (int64_t)a->rec->at, &e2);
			if (rc == -EACCES) {
				counted = 1;
				if (strstr(e2.msg, "already used") != NULL)
					refuse(a, SIGNON_R_CODE_USED, "code refused: already used");
				else if (strstr(e2.msg, "expired") != NULL)
					refuse(a, SIGNON_R_CODE_EXPIRED, "code refused: expired");
				else
					refuse(a, SIGNON_R_CODE_INVALID, "code refused: not"
					    " a code of this user");
				rc = 0;
				goto out;
			}
			if (rc < 0) {
				*err = e2;
				goto out;
			}
		}
		ok = 1;
	} else if (q->factor == SIGNON_F_CARD_KEY) {
		uint8_t pub[SIGNON_P256_PUB_MAX], dg[32];
		size_t publen;
		EVP_PKEY *pk = NULL;

		if (signon_card_pub(q->card, pub, &publen) != SIGNON_OK ||
		    (pk = cached_key(e, q->card, 'c', pub, publen)) == NULL) {
			refuse(a, SIGNON_R_FACTOR_REFUSED, "card %s: enrolled key"
			    " malformed", q->card);
			goto out;
		}
		signon_card_digest(dg, q->nonce, q->card);
		if (signon_card_verify_key(pk, dg, q->card_sig) != SIGNON_OK) {
			counted = 1;
			refuse(a, SIGNON_R_CARD_SIG, "the card's signature does not"
			    " verify");
			goto out;
		}
		ok = 1;
	} else if (q->factor == SIGNON_F_BIOMETRIC) {
		if (q->match != SIGNON_MATCH_YES) {
			counted = 1;
			refuse(a, SIGNON_R_NO_MATCH, "fingerprint did not match");
			goto out;
		}
		a->res.result = SIGNON_R_OK;
		rc = 0;
		goto out;	/* the counter stays: see engine.h, step 6 */
	}
	rc = 0;
out:
	wipe(pin, sizeof(pin));
	wipe(code, sizeof(code));
	if (rc < 0)
		return rc;
	if (ok) {
		a->res.result = SIGNON_R_OK;
		if (f0 != 0 || q->factor == SIGNON_F_CODE_PIN)
			rc = reg_staff_set_failures(e->r, staff, 0, err);
		return rc;
	}
	if (counted) {
		int n = f0 + 1;

		if (e->limits != NULL)
			(void)rl_take(&e->limits->fail, fkey, e->now_ms, NULL);
		if ((rc = reg_staff_set_failures(e->r, staff, n, err)) < 0)
			return rc;
		a->res.tries_left = (uint8_t)(n >= e->max_failures ? 0 :
		    e->max_failures - n);
		snprintf(a->rec->reason + strlen(a->rec->reason),
		    sizeof(a->rec->reason) - strlen(a->rec->reason),
		    " (%d of %d)%s", n, e->max_failures,
		    n >= e->max_failures ? "; user locked" : "");
		if (n >= e->max_failures && (rc = authd_session_close_staff(e->r,
		    staff, "locked", (int64_t)a->rec->at, err)) < 0)
			return rc;
	}
	return 0;
}

int
authd_events_admit(struct authd_engine *e, const char *source, int64_t now)
{
	char k[RL_KEY_MAX];
	uint64_t n;
	int rc;

	e->has_note = 0;
	e->now_ms = e->clock_ms != 0 ? e->clock_ms : now * 1000;
	if (e->unavailable) {
		e->count[AUTHD_C_UNAVAILABLE]++;
		return 0;
	}
	if (e->limits == NULL)
		return 1;
	source_key(source, k, sizeof(k));
	if ((rc = rl_take(&e->limits->ev, k, e->now_ms, &n)) != RL_OK) {
		e->count[AUTHD_C_LIMITED]++;
		if (rc == RL_REFUSED_NOTE)
			note(e, "source %s is over its audit events rate (%u a minute,"
			    " %u at once): dropped", k, e->limits->ev.rate,
			    e->limits->ev.burst);
		return 0;
	}
	return 1;
}

int
authd_unverified_recorded(struct authd_engine *e, const char *source)
{
	char k[RL_KEY_MAX];
	uint64_t n;
	int rc;

	if (e->limits == NULL)
		return 1;
	source_key(source, k, sizeof(k));
	if ((rc = rl_take(&e->limits->unv, k, e->now_ms, &n)) == RL_OK)
		return 1;
	e->count[AUTHD_C_LIMITED]++;
	if (rc == RL_REFUSED_NOTE)
		note(e, "source %s sent more requests that verify under no laptop's key"
		    " than %u a minute (%u at once): answered, not recorded", k,
		    e->limits->unv.rate, e->limits->unv.burst);
	return 0;
}

int
authd_device_key(struct authd_engine *e, const char *device, EVP_PKEY **pk,
    char *why, size_t whylen, struct sk_error *err)
{
	char pub_b64[REG_PUB_LEN + 1], state[16], id[SIGNON_DEVICE_LEN + REG_PUB_LEN + 2];
	uint8_t pub[KEY_LEN];
	int rc;

	rc = reg_device_signkey_get(e->r, device, pub_b64, state, err);
	if (rc == -ENOENT)
		return snprintf(why, whylen, "unknown laptop %s", device), 1;
	if (rc < 0)
		return rc;
	if (strcmp(state, "active") != 0)
		return snprintf(why, whylen, "laptop %s is %s", device, state), 1;
	snprintf(id, sizeof(id), "%s %s", device, pub_b64);
	if (key_from_b64(pub, pub_b64) != 0 ||
	    (*pk = cached_key(e, id, 'd', pub, sizeof(pub))) == NULL)
		return snprintf(why, whylen, "laptop %s has no sign-on key", device), 1;
	return 0;
}

static int
handle_bound(struct authd_engine *e, const uint8_t *in, size_t len, int64_t now,
    struct attempt *a, struct sk_error *err)
{
	static struct signon_bound bd;
	const struct signon_request *q = &bd.req;
	char from[REG_NAME_MAX + 1] = "";
	EVP_PKEY *pk;
	struct sk_error e2;
	int rc;

	if (signon_bound_decode(in, len, &bd) != SIGNON_OK)
		return 1;	/* dropped */
	a->bd = &bd;
	memcpy(a->res.nonce, q->nonce, SIGNON_NONCE_LEN);
	a->res.op = q->op;
	a->res.factor = q->factor;
	sk_strlcpy(a->res.device, bd.device, sizeof(a->res.device));
	sk_strlcpy(a->rec->device, bd.device, sizeof(a->rec->device));
	sk_strlcpy(a->rec->op, signon_op_name(q->op), sizeof(a->rec->op));
	sk_strlcpy(a->rec->factor, signon_factor_name(q->factor), sizeof(a->rec->factor));
	sk_strlcpy(a->rec->mode, signon_mode_name(bd.mode), sizeof(a->rec->mode));
	sk_strlcpy(a->rec->uplink, bd.uplink, sizeof(a->rec->uplink));
	if (q->staff[0] != '\0')
		sk_strlcpy(a->rec->staff, q->staff, sizeof(a->rec->staff));

	/* 2: the laptop */
	if ((rc = authd_device_key(e, bd.device, &pk, a->rec->reason,
	    sizeof(a->rec->reason), err)) < 0)
		return rc;
	a->unverified = 1;
	if (rc > 0)
		return a->res.result = SIGNON_R_DEVICE, 0;
	if (signon_bound_verify_key(in, pk) != SIGNON_OK)
		return refuse(a, SIGNON_R_DEVICE, "the request does not verify under"
		    " laptop %s's key", bd.device);
	a->unverified = 0;
	/* 3: the nonce */
	if ((rc = nonce_use(e->nonces, q->nonce, bd.device, e->now_ms / 1000)) !=
	    NONCE_OK)
		return refuse(a, rc == NONCE_E_FULL ? SIGNON_R_INTERNAL : SIGNON_R_REPLAY,
		    "%s", nonce_strerror(rc));
	/* 3b: the laptop's rate */
	if (e->limits != NULL) {
		char k[RL_KEY_MAX];
		uint64_t n;

		device_key(bd.device, 'd', k, sizeof(k));
		if ((rc = rl_take(&e->limits->dev, k, e->now_ms, &n)) != RL_OK) {
			a->unrecorded = 1;
			a->answer = rl_answer(&e->limits->dev, k, e->now_ms);
			if (rc == RL_REFUSED_NOTE)
				note(e, "laptop %s is over its rate (%u a minute,"
				    " %u at once): slowed down", bd.device,
				    AUTHD_DEV_RATE, AUTHD_DEV_BURST);
			return refuse(a, SIGNON_R_SLOW_DOWN, "over the laptop's rate");
		}
	}
	/* 4 */
	if (q->op == SIGNON_OP_LOCK)
		return a->res.result = SIGNON_R_OK, 0;
	if (q->op == SIGNON_OP_SIGNOFF) {
		rc = authd_session_close(e->r, bd.device, "signed off", now, &e2);
		if (rc == -ENOENT)
			return refuse(a, SIGNON_R_NO_SESSION, "no session open");
		if (rc < 0)
			return *err = e2, rc;
		return a->res.result = SIGNON_R_OK, 0;
	}
	/* 4b: a handover needs someone signed on to hand over from */
	if (q->op == SIGNON_OP_HANDOVER) {
		rc = authd_session_holder(e->r, bd.device, now, from, &e2);
		if (rc == -ENOENT)
			return refuse(a, SIGNON_R_NO_SESSION, "no session to hand over");
		if (rc < 0)
			return *err = e2, rc;
	}
	/* 5, 6 */
	if ((rc = check_factor(e, a, err)) < 0 || a->res.result != SIGNON_R_OK)
		return rc;
	if (q->op == SIGNON_OP_HANDOVER && strcmp(from, a->res.staff) != 0) {
		/* 7b: one step, both sessions; one record naming both */
		rc = authd_session_handover(e->r, bd.device, from, a->res.staff,
		    signon_factor_name(q->factor), now, e->lifetime_s, &e2);
		if (rc == -EPERM || rc == -ENOENT || rc == -ESRCH)
			return refuse(a, rc == -ESRCH ? SIGNON_R_NO_SESSION : SIGNON_R_DEVICE,
			    "no handover: %s", e2.msg);
		if (rc < 0)
			return *err = e2, rc;
		snprintf(a->rec->reason, sizeof(a->rec->reason), "handover from %s to %s",
		    from, a->res.staff);
		a->res.lifetime_s = e->lifetime_s;
		return 0;
	}
	if (q->op == SIGNON_OP_HANDOVER)
		snprintf(a->rec->reason, sizeof(a->rec->reason), "%s is the user signed"
		    " on: nothing handed over, the session renewed", from);
	/* 7 */
	rc = authd_session_open(e->r, bd.device, a->res.staff,
	    signon_factor_name(q->factor), now, e->lifetime_s, &e2);
	if (rc == -EPERM || rc == -ENOENT)
		return refuse(a, SIGNON_R_DEVICE, "no session: %s", e2.msg);
	if (rc < 0)
		return *err = e2, rc;
	a->res.lifetime_s = e->lifetime_s;
	return 0;
}

int
authd_answer_unchecked(struct authd_engine *e, const uint8_t *in, size_t len,
    int result, int64_t now, uint8_t *out, size_t *outlen, struct sk_error *err)
{
	static struct signon_bound bd;
	struct signon_result_msg res;
	int rc;

	*outlen = 0;
	if (signon_bound_decode(in, len, &bd) != SIGNON_OK) {
		e->count[AUTHD_C_MALFORMED]++;
		return 0;
	}
	memset(&res, 0, sizeof(res));
	memcpy(res.nonce, bd.req.nonce, SIGNON_NONCE_LEN);
	res.op = bd.req.op;
	res.factor = bd.req.factor;
	res.result = (uint8_t)result;
	res.time = (uint64_t)now;
	sk_strlcpy(res.device, bd.device, sizeof(res.device));
	if ((rc = signon_result_sign(out, SIGNON_RESULT_LEN, &res, e->signer)) < 0)
		return sk_errorf(err, EIO, "signing a result failed: %s",
		    signon_strerror(rc));
	*outlen = (size_t)rc;
	return 0;
}

int
authd_handle(struct authd_engine *e, const uint8_t *in, size_t len,
    const char *source, int64_t now, uint8_t *out, size_t *outlen,
    struct reg_signon_rec *rec, int *has_rec, struct sk_error *err)
{
	struct attempt a;
	int rc, t;

	*outlen = 0;
	*has_rec = 0;
	e->has_note = 0;
	e->now_ms = e->clock_ms != 0 ? e->clock_ms : now * 1000;
	t = signon_peek(in, len);
	if (e->limits != NULL) {
		char k[RL_KEY_MAX];
		uint64_t n;

		source_key(source, k, sizeof(k));
		if ((rc = rl_take(&e->limits->src, k, e->now_ms, &n)) != RL_OK) {
			e->count[AUTHD_C_LIMITED]++;
			if (rc == RL_REFUSED_NOTE)
				note(e, "source %s is over its rate (%u a minute, %u at"
				    " once): slowed down", k, e->limits->src.rate,
				    e->limits->src.burst);
			if (t == SIGNON_BOUND && rl_answer(&e->limits->src, k, e->now_ms))
				return authd_answer_unchecked(e, in, len, SIGNON_R_SLOW_DOWN,
				    now, out, outlen, err);
			return 0;
		}
	}
	if (t == SIGNON_BOUND && e->unavailable) {
		e->count[AUTHD_C_UNAVAILABLE]++;
		return authd_answer_unchecked(e, in, len, SIGNON_R_UNAVAILABLE, now, out,
		    outlen, err);
	}
	if (t == SIGNON_NONCE_REQ) {
		struct signon_nonce_req nr;
		struct signon_challenge c;

		if (signon_nonce_req_decode(in, len, &nr) != SIGNON_OK) {
			e->count[AUTHD_C_MALFORMED]++;
			return 0;
		}
		memset(&c, 0, sizeof(c));
		nonce_mint(e->nonces, nr.device, e->now_ms / 1000, c.nonce);
		c.time = (uint64_t)now;
		c.valid_s = e->nonces->ttl;
		memcpy(c.seal_pub, e->unsealer->pub, SIGNON_X25519_LEN);
		*outlen = (size_t)signon_challenge_encode(out, SIGNON_CHALLENGE_LEN, &c);
		e->count[AUTHD_C_CHALLENGE]++;
		return 0;
	}
	if (t != SIGNON_BOUND) {
		e->count[AUTHD_C_MALFORMED]++;
		return 0;
	}
	if ((rc = authd_batch_begin(e, err)) < 0)
		return rc;
	memset(&a, 0, sizeof(a));
	memset(rec, 0, sizeof(*rec));
	a.rec = rec;
	rec->at = now;
	sk_strlcpy(rec->source, source, sizeof(rec->source));
	a.res.time = (uint64_t)now;
	a.res.result = SIGNON_R_INTERNAL;
	a.answer = 1;
	if ((rc = handle_bound(e, in, len, now, &a, err)) != 0) {
		if (rc > 0)
			e->count[AUTHD_C_MALFORMED]++;
		return rc > 0 ? 0 : rc;
	}
	if (a.unrecorded) {
		e->count[AUTHD_C_LIMITED]++;
		if (!a.answer)
			return 0;
		goto sign;
	}
	if (a.unverified && !authd_unverified_recorded(e, source))
		goto sign;
	sk_strlcpy(rec->result, signon_result_name(a.res.result), sizeof(rec->result));
	if ((rc = reg_signon_append(e->r, rec, &e->head_count, e->head_hash, err)) < 0)
		return rc;
	rec->seq = e->head_count;	/* its place in the chain */
	e->head_dirty = 1;
	*has_rec = 1;
	e->count[a.res.result == SIGNON_R_OK ? AUTHD_C_OK : AUTHD_C_REFUSED]++;
sign:
	rc = signon_result_sign(out, SIGNON_RESULT_LEN, &a.res, e->signer);
	if (rc < 0)
		return sk_errorf(err, EIO, "signing a result failed: %s",
		    signon_strerror(rc));
	*outlen = (size_t)rc;
	return 0;
}

/* JSON strings: the fields are names and reasons the verifier wrote, but
 * a card id or device name came from the wire: escape everything. */
static size_t
jstr(char *buf, size_t len, size_t o, const char *key, const char *v, int last)
{
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "\"%s\":\"", key);
	for (; *v != '\0' && o + 8 < len; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
		else
			buf[o++] = (char)c;
	}
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "\"%s", last ? "" : ",");
	return o;
}

void
authd_rec_json(const struct reg_signon_rec *rec, char *buf, size_t len)
{
	char at[32];
	time_t t = (time_t)rec->at;
	struct tm tm;
	size_t o;

	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = (size_t)snprintf(buf, len, "{\"seq\":%lld,", (long long)rec->seq);
	o = jstr(buf, len, o, "at", at, 0);
	o = jstr(buf, len, o, "user", rec->staff, 0);
	o = jstr(buf, len, o, "laptop", rec->device, 0);
	o = jstr(buf, len, o, "op", rec->op, 0);
	o = jstr(buf, len, o, "factor", rec->factor, 0);
	o = jstr(buf, len, o, "result", rec->result, 0);
	o = jstr(buf, len, o, "mode", rec->mode, 0);
	o = jstr(buf, len, o, "uplink", rec->uplink, 0);
	o = jstr(buf, len, o, "from", rec->source, 0);
	o = jstr(buf, len, o, "reason", rec->reason, 0);
	o = jstr(buf, len, o, "hash", rec->hash, 1);
	if (o < len)
		snprintf(buf + o, len - o, "}");
}
