/*
 * Handover on a shared terminal (docs/agent.md, "Handover"): the screen
 * is locked with one user's session; a colleague holds their own card to
 * the reader and types their PIN (or shows their face or finger to the
 * sensor and types their PIN, where their role allows "biometric-pin"). The verifier checks the colleague's
 * factor as for a sign-on and moves the laptop's session to them in one
 * step (the gateway swaps the first user's stage-2 elements for the
 * second's in one nftables transaction), recorded once as "handover"
 * naming both. No Windows logoff: the work session goes on.
 *
 * The agent needs a session of its own to hand over (the verifier
 * checks the same against the registry: a handover where nobody is
 * signed on is refused there too); on success the session file names
 * the new user.
 */
#include "guestagent/sekisho-agent/agent.h"

#include <string.h>

#include "lib/proto/signon_wire.h"
#include "lib/util.h"

void
handover_run(const struct agent *a, int finger, struct outcome *o)
{
	struct agent_session cur;

	memset(o, 0, sizeof(*o));
	if (state_load(a->state_dir, &cur) != 0) {
		o->kind = O_NOT_SIGNED_ON;
		o->op = SIGNON_OP_HANDOVER;
		return;
	}
	if (finger)
		login_finger_op(a, SIGNON_OP_HANDOVER, 1, o);
	else
		login_card_op(a, SIGNON_OP_HANDOVER, o);
	if (o->kind == O_OK)
		sk_strlcpy(o->from, cur.staff, sizeof(o->from));
}
