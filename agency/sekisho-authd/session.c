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
