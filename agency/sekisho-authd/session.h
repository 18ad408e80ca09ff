/*
 * Stage 2 (docs/sign-on.md): the session a successful sign-on opens for
 * the laptop and the user, in the registry that every gateway follows.
 * One small file so that the verifier's engine does not care how: the
 * registry's sessions (reg_session_open, which the gateways follow
 * through the change feed) are called here and nowhere else.
 */
#ifndef SK_AUTHD_SESSION_H
#define SK_AUTHD_SESSION_H

#include <stdint.h>

#include "lib/util.h"
#include "registry/ops.h"
#include "registry/registry.h"

/* 0 or the registry's -errno. In the caller's transaction, which has
 * read the laptop as active and the user as enabled and not locked
 * (reg_session_open_checked: they are not read again). */
int authd_session_open(struct reg *r, const char *device, const char *staff,
    const char *factor, int64_t now, uint32_t lifetime_s, struct sk_error *err);
/* The user whose session is in force on the laptop, into staff: 0, or
 * -ENOENT when none is. */
int authd_session_holder(struct reg *r, const char *device, int64_t now,
    char staff[REG_NAME_MAX + 1], struct sk_error *err);
/* A handover (shared terminal): from's session closed, to's opened, in
 * the caller's transaction. 0, -ESRCH (from's session is no longer the
 * one in force), -EPERM, -ENOENT, or the registry's -errno. */
int authd_session_handover(struct reg *r, const char *device, const char *from,
    const char *to, const char *factor, int64_t now, uint32_t lifetime_s,
    struct sk_error *err);
/* 0, -ENOENT when the laptop has no open session. */
int authd_session_close(struct reg *r, const char *device, const char *why,
    int64_t now, struct sk_error *err);
/* Every session of a user (lockout): 0 or -errno. */
int authd_session_close_staff(struct reg *r, const char *staff, const char *why,
    int64_t now, struct sk_error *err);

#endif
