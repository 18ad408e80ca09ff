/*
 * The registry's rows (registry/registry.h is the transport): meta
 * settings, agency keys, groups, devices and their address pool, staff,
 * cards, PINs, one-time codes and the audit. Each function is one or a few
 * statements; the caller holds the transaction (reg_begin .. reg_commit)
 * around every change, so that a bulk change and its audit rows land
 * together or not at all. Errors: -errno with one line in err; -ENOENT for
 * "no such row", -EEXIST for a duplicate.
 */
#ifndef SK_REGISTRY_OPS_H
#define SK_REGISTRY_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "registry/registry.h"

#define REG_NAME_MAX	64
#define REG_TEXT_MAX	255
#define REG_PUB_LEN	44
#define REG_PATH_MAX	1024
#define REG_MAX_FAILURES 5	/* PIN or code failures before a user is locked */
#define REG_OTP_LEN	19	/* XXXX-XXXX-XXXX-XXXX: 16 of 32 symbols, 80 bits */
#define REG_OTP_MAX_S	(7 * 86400)

/* Who changes the registry, and why: every audit row carries both. */
struct reg_actor {
	const char	*who;		/* the IT officer's login, or --by */
	const char	*reason;	/* --reason, "" if none given */
};

int reg_audit(struct reg *r, const struct reg_actor *a, const char *action,
    const char *object, const char *detail, struct sk_error *err);
struct reg_audit_row {
	int64_t		 at;
	const char	*who, *action, *object, *detail, *reason;
};
int reg_audit_list(struct reg *r, const char *object,
    int (*fn)(void *arg, const struct reg_audit_row *a), void *arg,
    struct sk_error *err);

/* meta: small settings (address pools, gateway). -ENOENT if unset. */
int reg_meta_get(struct reg *r, const char *key, char *out, size_t outlen,
    struct sk_error *err);
int reg_meta_set(struct reg *r, const char *key, const char *value,
    struct sk_error *err);

/* ---- agency signing keys ---- */
struct reg_key {
	char	pub[REG_PUB_LEN + 1];
	char	file[REG_PATH_MAX + 1];
	char	state[16];	/* "active", "next", "retired" */
	int64_t	created;
};
int reg_key_add(struct reg *r, const struct reg_key *k, struct sk_error *err);
int reg_key_set_state(struct reg *r, const char *pub, const char *state,
    struct sk_error *err);
/* Keys not retired, active first: at most max; *n set. */
int reg_keys(struct reg *r, struct reg_key *out, size_t max, size_t *n,
    struct sk_error *err);

/* ---- groups ---- */
struct reg_group {
	char	 name[REG_NAME_MAX + 1];
	char	*tmpl;			/* malloc'd by reg_group_get */
	char	 key_file[REG_PATH_MAX + 1];
	int	 ipv6;
};
int reg_group_add(struct reg *r, const struct reg_group *g, struct sk_error *err);
int reg_group_set_template(struct reg *r, const char *name, const char *tmpl,
    struct sk_error *err);
int reg_group_get(struct reg *r, const char *name, struct reg_group *g,
    struct sk_error *err);
void reg_group_free(struct reg_group *g);

/* ---- devices ---- */
struct reg_device {
	char	name[REG_NAME_MAX + 1];
	char	grp[REG_NAME_MAX + 1];
	char	pubkey[REG_PUB_LEN + 1];	/* "" until known */
	char	addr4[32];			/* A.B.C.D/32 */
	char	addr6[64];			/* X::Y/128, "" without a pool6 */
	char	asset[REG_NAME_MAX + 1];
	char	owner[REG_NAME_MAX + 1];
	char	state[16];			/* "active", "revoked" */
	int64_t	serial;				/* of the last bundle signed */
	int	key_here;			/* 1: the key pair is made here */
	int64_t	key_handed;			/* when its private key left, 0 */
	int64_t	created, revoked;
	char	reason[REG_TEXT_MAX + 1];
};
/* Inserts d (name, grp, pubkey, asset, owner) with the next addresses of
 * the pools "pool4" (and "pool6" if set and want6): never colliding, never
 * one used before (the pool's counter only goes up); fills d's addresses. */
int reg_device_add(struct reg *r, struct reg_device *d, int want6,
    struct sk_error *err);
int reg_device_get(struct reg *r, const char *name, struct reg_device *d,
    struct sk_error *err);
/* Every device, by name; fn's non-zero stops and is returned. */
int reg_device_list(struct reg *r, int (*fn)(void *arg,
    const struct reg_device *d), void *arg, struct sk_error *err);
/* Revokes a device and closes its open session (audited as a's, "device
 * revoked"), both fed to the change log. */
int reg_device_revoke(struct reg *r, const struct reg_actor *a, const char *name,
    const char *reason, struct sk_error *err);
/* A new public key ("" : to be made here at the next export). The
 * device's session in force ends with the old key ("device rekeyed"),
 * except for a key made here (key_here) at the export of a device that
 * had none: no tunnel had a key, and removing one ended its session. */
int reg_device_set_key(struct reg *r, const char *name, const char *pubkey,
    int key_here, struct sk_error *err);
/* A bundle with this serial was signed; handed != 0: the private key
 * made here left with it. */
int reg_device_signed(struct reg *r, const char *name, int64_t serial,
    int64_t handed, struct sk_error *err);

/* ---- staff, PINs, cards, one-time codes ---- */
struct reg_staff {
	char	staff_id[REG_NAME_MAX + 1];
	char	name[REG_TEXT_MAX + 1];
	char	kana[REG_TEXT_MAX + 1];
	char	dept[REG_TEXT_MAX + 1];
	char	role[REG_NAME_MAX + 1];
	int	disabled;
	char	source[16];	/* "csv", "ldap", "cli" */
	int	failures;	/* PIN and code failures since the last success */
	int	pin_set;	/* 1: a PIN hash is stored */
};
/* Inserts or updates; *added 1 if new (may be NULL). A member put as
 * disabled loses their open sessions (audited as a's). */
int reg_staff_put(struct reg *r, const struct reg_actor *a,
    const struct reg_staff *s, int *added, struct sk_error *err);
int reg_staff_get(struct reg *r, const char *id, struct reg_staff *s,
    struct sk_error *err);
int reg_staff_list(struct reg *r, int (*fn)(void *arg,
    const struct reg_staff *s), void *arg, struct sk_error *err);
/* Disabling closes the member's open sessions (audited as a's). */
int reg_staff_set_disabled(struct reg *r, const struct reg_actor *a,
    const char *id, int disabled, struct sk_error *err);
int reg_staff_reset_failures(struct reg *r, const char *id, struct sk_error *err);

/* PINs: Argon2id, m = REG_PIN_M_KIB, t = 2, p = 1, a fresh salt; the
 * PIN is never stored, logged or kept after the call. */
#define REG_PIN_M_KIB	19456
#define REG_PIN_T	2
#define REG_PIN_MIN	4
#define REG_PIN_MAX	64
int reg_pin_set(struct reg *r, const char *id, const char *pin, size_t len,
    struct sk_error *err);
/* 0 if pin is the user's (failures reset), -EACCES if not (failures + 1,
 * "user X: wrong PIN (N of 5)"), -EPERM if locked or disabled, -ENOENT. */
int reg_pin_verify(struct reg *r, const char *id, const char *pin, size_t len,
    struct sk_error *err);

int reg_card_assign(struct reg *r, const char *card_id, const char *kind,
    const char *staff_id, struct sk_error *err);
int reg_card_list(struct reg *r, int (*fn)(void *arg, const char *card_id,
    const char *kind, const char *staff_id, int64_t assigned), void *arg,
    struct sk_error *err);

/* Issues a code for id, valid valid_s seconds from now: code (REG_OTP_LEN
 * + 1 bytes) is shown once by the caller and wiped; only its hash is
 * stored. *expires set. */
int reg_otp_issue(struct reg *r, const char *id, int64_t now, int64_t valid_s,
    char code[REG_OTP_LEN + 1], int64_t *expires, struct sk_error *err);
/* Uses a code once: 0, or -EACCES with "code refused: already used" /
 * "expired" / "not issued to ID", -EPERM locked. A failure counts towards
 * the user's lockout. Records the use in the audit (who = a->who). Call in
 * a transaction. */
int reg_otp_use(struct reg *r, const struct reg_actor *a, const char *id,
    const char *code, int64_t now, struct sk_error *err);

/* ---- sessions (registry/session.c) ----
 *
 * A session admits one device to its user's stage (issue 13): it lives
 * in the registry, so every gateway on the same registry admits the same
 * device at the same stage. At most one open session per device. Every
 * change is audited (a's who and reason) and fed to the change log
 * (kind "session", object the device). Called outside a transaction, each
 * change is its own (begin .. commit); inside one, it is the caller's.
 * Times are unix seconds given by the caller (now).
 */
#define REG_FACTOR_MAX	15
struct reg_session {
	int64_t	id;
	char	device[REG_NAME_MAX + 1];
	char	staff_id[REG_NAME_MAX + 1];
	char	factor[REG_FACTOR_MAX + 1];	/* "card", "face", "otp", "pin", ... */
	int64_t	opened, expires, closed;	/* closed 0: open */
	char	why[REG_TEXT_MAX + 1];		/* why it closed, "" while open */
};
/* Opens a session for device and staff_id until now + lifetime_s; *id set
 * (may be NULL). The device's previous session, if any, is closed in the
 * same transaction ("replaced by STAFF", a handover is one step; the feed
 * then carries one "open"). -ENOENT no such device or user; -EPERM a
 * revoked device, a disabled or locked user; -EINVAL a bad factor or
 * lifetime. */
int reg_session_open(struct reg *r, const struct reg_actor *a, const char *device,
    const char *staff_id, const char *factor, int64_t now, int64_t lifetime_s,
    int64_t *id, struct sk_error *err);
/* The same for a caller that has, in its open transaction (else -EINVAL),
 * read the device as active and the user as enabled and not locked (the
 * verifier, which reads both to check the request): they are not read
 * again. Four statements when no session was open. */
int reg_session_open_checked(struct reg *r, const struct reg_actor *a,
    const char *device, const char *staff_id, const char *factor, int64_t now,
    int64_t lifetime_s, int64_t *id, struct sk_error *err);
/* A handover on a shared terminal: the device's session in force must be
 * from_staff's; it is closed ("handed over to TO") and to_staff's opened
 * until now + lifetime_s, in one transaction (the caller's, or its own):
 * no moment with both sessions, none with neither; the feed carries one
 * "open". -ESRCH when the device has no unexpired session of from_staff
 * (nothing changes); -EINVAL the same user twice; else as
 * reg_session_open. */
int reg_session_handover(struct reg *r, const struct reg_actor *a, const char *device,
    const char *from_staff, const char *to_staff, const char *factor, int64_t now,
    int64_t lifetime_s, int64_t *id, struct sk_error *err);
/* Closes the device's open session (why, "" for "closed"). -ENOENT if
 * none is open (an expired one is closed all the same). */
int reg_session_close(struct reg *r, const struct reg_actor *a, const char *device,
    const char *why, int64_t now, struct sk_error *err);
/* Closes the device's session in force (unexpired), if any, in one
 * statement (audited and fed when there was one): 1 closed, 0 none, or
 * -errno. In the caller's transaction (a new key: reg_device_set_key). */
int reg_session_end_in_force(struct reg *r, const struct reg_actor *a,
    const char *device, const char *why, int64_t now, struct sk_error *err);
/* The device's open, unexpired session: 0, or -ENOENT. */
int reg_session_active(struct reg *r, const char *device, int64_t now,
    struct reg_session *s, struct sk_error *err);
/* Every open, unexpired session, by device; fn's non-zero stops and is
 * returned. */
int reg_session_list(struct reg *r, int64_t now,
    int (*fn)(void *arg, const struct reg_session *s), void *arg,
    struct sk_error *err);
/* Feeds one change "session role DEVICE" for every open session of a
 * member of staff whose role changed (reg_staff_put): each gateway reads
 * the session and the role again and moves it to the new role's set
 * (docs/gateway.md, "Roles and handover"). The number fed, or -errno. In
 * the caller's transaction. */
int reg_session_refeed_staff(struct reg *r, const char *staff_id,
    struct sk_error *err);
/* Closes every open session of a member of staff (why): the number
 * closed, or -errno. In the caller's transaction. */
int reg_session_close_staff(struct reg *r, const struct reg_actor *a,
    const char *staff_id, const char *why, int64_t now, struct sk_error *err);

/* ---- a device's policy (registry/devpolicy.c) ----
 *
 * The group's template with the device's own part appended (serial,
 * tunnel addresses, key file): exactly the policy text of the device's
 * bundle (sekisho-provision device export signs it), and what the gateway
 * compiles the device's rules from. Parsing it is the caller's (policy/).
 */
/* The text for template tmpl: *out malloc'd, *outlen without the NUL.
 * gw (reg_gateway_tunnel's "A.B.C.D/32", or NULL: the template as it
 * is): every gateway block of the template gets "tunnel-address GW"
 * where it has none, in a place that moves none of the template's lines
 * (docs/provisioning.md, "Bundles"); a block whose own tunnel-address is
 * another: -EINVAL, "line N: ..." in err. -ENOMEM, -E2BIG. */
int reg_policy_compose(const char *tmpl, const struct reg_device *d,
    const char *key_file, int64_t serial, const char *gw, char **out, size_t *outlen,
    struct sk_error *err);
/* The gateways' own address in the tunnel: the IPv4 pool's .1, as
 * "A.B.C.D/32" (sekisho-gw refuses it to any device). -ENOENT without a
 * pool (init not run). */
int reg_gateway_tunnel(struct reg *r, char *out, size_t outlen, struct sk_error *err);
/* The device's policy with serial d->serial (its last bundle's; 0 if
 * never exported) from its group's current template, the gateways'
 * tunnel address filled in: *text malloc'd, NUL-terminated. -ENOENT no
 * such group or no pool; -EINVAL a template that contradicts the
 * registry. */
int reg_device_policy_text(struct reg *r, const struct reg_device *d, char **text,
    struct sk_error *err);

#endif
