#include "agency/sekisho-authd/session.h"

#include "registry/ops.h"

/* The registry's sessions (schema version 2), which every gateway follows
 * through the change feed (docs/gateway.md): stage 2 opens and closes
 * with these rows, in the verifier's batch transaction. */
static const struct reg_actor actor = { "sekisho-authd", "sign-on" };

int
authd_session_open(struct reg *r, const char *device, const char *staff,
    const char *factor, int64_t now, uint32_t lifetime_s, struct sk_error *err)
{
	/* the engine read the laptop (active) and the user (enabled, not
	 * locked) in this batch's transaction */
	return reg_session_open_checked(r, &actor, device, staff, factor, now,
	    lifetime_s, NULL, err);
}

int
authd_session_holder(struct reg *r, const char *device, int64_t now,
    char staff[REG_NAME_MAX + 1], struct sk_error *err)
{
	struct reg_session s;
	int rc;

	staff[0] = '\0';
	if ((rc = reg_session_active(r, device, now, &s, err)) < 0)
		return rc;
	sk_strlcpy(staff, s.staff_id, REG_NAME_MAX + 1);
	return 0;
}

int
authd_session_handover(struct reg *r, const char *device, const char *from,
    const char *to, const char *factor, int64_t now, uint32_t lifetime_s,
    struct sk_error *err)
{
	static const struct reg_actor handover = { "sekisho-authd", "handover" };

	return reg_session_handover(r, &handover, device, from, to, factor, now,
	    lifetime_s, NULL, err);
}

int
authd_session_close(struct reg *r, const char *device, const char *why,
    int64_t now, struct sk_error *err)
{
	return reg_session_close(r, &actor, device, why, now, err);
}

int
authd_session_close_staff(struct reg *r, const char *staff, const char *why,
    int64_t now, struct sk_error *err)
{
	int rc = reg_session_close_staff(r, &actor, staff, why, now, err);

	return rc < 0 ? rc : 0;
}
