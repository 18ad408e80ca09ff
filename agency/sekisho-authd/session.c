#include "agency/sekisho-authd/session.h"

#include "registry/ops.h"

/*
 * The registry's sessions (reg_session_open and reg_session_close, schema
 * version 2) come with the gateway's branch (h-gwfeed); until it is
 * merged these record nothing and the gateway is not told. Wiring them is
 * one line each, marked WIRE below.
 */
int
authd_session_open(struct reg *r, const char *device, const char *staff,
    const char *factor, int64_t now, uint32_t lifetime_s, struct sk_error *err)
{
	(void)r; (void)device; (void)staff; (void)factor; (void)now;
	(void)lifetime_s; (void)err;
	/* WIRE: return reg_session_open(r, &actor, device, staff, factor, now,
	 *     lifetime_s, NULL, err); */
	return 0;
}

int
authd_session_close(struct reg *r, const char *device, const char *why,
    int64_t now, struct sk_error *err)
{
	(void)r; (void)device; (void)why; (void)now; (void)err;
	/* WIRE: return reg_session_close(r, &actor, device, why, now, err); */
	return 0;
}

int
authd_session_close_staff(struct reg *r, const char *staff, const char *why,
    int64_t now, struct sk_error *err)
{
	(void)r; (void)staff; (void)why; (void)now; (void)err;
	/* WIRE: rc = reg_session_close_staff(r, &actor, staff, why, now, err);
	 *     return rc < 0 ? rc : 0; */
	return 0;
}
