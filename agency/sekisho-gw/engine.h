/*
 * sekisho-gw's engine: what the registry says (devices, their groups,
 * sessions) against what the gateway has applied, and the one change of
 * the interface and the ruleset that brings the second to the first.
 * Pure: no system calls; events in, actions out (tests/unit/test_gw.c).
 *
 * The decisions, in order:
 *  1. A registry row is checked before anything of it is used: a name, a
 *     known state ("active", "revoked"), a known group (whose template
 *     rendered), a WireGuard key that decodes to 32 bytes and is not all
 *     zero, an IPv4 tunnel address /32 inside the pool ("pool4") and not
 *     its network, gateway (.1) or broadcast address, an IPv6 one /128
 *     inside "pool6" when there is one, and no other admitted device with
 *     the same key or address. A row that fails is skipped with one log
 *     action naming the device and the field; a device admitted before
 *     keeps its last good state; no other device is touched. The line is
 *     said once per device and problem, not at every re-read.
 *  2. An active device that passes is admitted: its peer (key, tunnel
 *     addresses as allowed IPs) and its address in its group's set
 *     (stage 1: the policy's prelogon services).
 *  3. A revoked or vanished device loses, in this order, its stage-2
 *     element, its group element, its peer, and its tracked connections.
 *     A new key is a new laptop: the same, then the new peer at stage 1.
 *  4. A session (stage 2) is opened only for an admitted device, only
 *     with a lifetime in the future; its element carries the remaining
 *     lifetime as the kernel's timeout, so it ends by itself even if the
 *     gateway dies. Close and expiry return the device to stage 1.
 *  5. At start, the interface's peers (read back) are compared with the
 *     registry: an unchanged peer is left alone (its session with the
 *     laptop goes on, as `wg syncconf` does), a changed one is set, an
 *     unknown one removed. A tunnel address the interface had for a peer
 *     and the registry no longer gives it (the peer removed, or moved to
 *     another address) loses its tracked connections, as a revocation's.
 *     Afterwards every change is one device's.
 *
 * Nothing is ever admitted that a checked registry row did not name.
 */
#ifndef SK_GW_ENGINE_H
#define SK_GW_ENGINE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define GW_NAME_MAX	64
#define GW_KEY_LEN	32
#define GW_FACTOR_MAX	15
#define GW_MAX_GROUPS	256
#define GW_LOG_MAX	200
#define GW_ROLE_MAX	31	/* POLICY_ROLE_MAX */
#define GW_MAX_ROLES	64	/* COMPILE_GW_MAX_ROLES */
/* The longest session admitted: the registry's own cap (a year and a
 * day, registry/session.c). A row beyond it is refused like any
 * malformed row, never a timeout nftables refuses, which would fail the
 * gateway's every transaction that carries it. */
#define GW_SESSION_MAX_S	(366 * 86400)

/* A device's row as the registry gave it: text, unchecked. */
struct gw_row {
	char	name[GW_NAME_MAX + 1];
	char	grp[GW_NAME_MAX + 1];
	char	pubkey[64];
	char	addr4[32];
	char	addr6[64];
	char	state[16];
};

struct gw_session {
	char	staff[GW_NAME_MAX + 1];
	char	factor[GW_FACTOR_MAX + 1];
	char	role[GW_ROLE_MAX + 1];	/* the role set it is in, "" none */
	int64_t	opened, expires;	/* seconds; expires 0: no session */
};

/* An admitted device: what the gateway applied for it. */
struct gw_dev {
	char			name[GW_NAME_MAX + 1];
	uint8_t			pub[GW_KEY_LEN];
	struct in_addr		a4;
	int			has6;
	struct in6_addr		a6;
	int			group;		/* the ruleset's group number, 1.. */
	struct gw_session	*sess;		/* its session, or NULL: kept only
						   for a device that has one (the
						   table holds every device: 50,000
						   x 136 bytes) */
	int64_t			stage_until;	/* its stage-2 element's own
						   expiry in the kernel, 0 none */
};
/* A device's session's end (seconds), 0 without one. */
static inline int64_t
gw_dev_expires(const struct gw_dev *d)
{
	return d->sess != NULL ? d->sess->expires : 0;
}

enum gw_act_type {
	GW_ACT_LOG = 1,		/* msg: one line for the log */
	GW_ACT_PEER_SET,	/* pub, a4 (a6): the peer, its allowed IPs replaced */
	GW_ACT_PEER_DEL,	/* pub */
	GW_ACT_ELEM_ADD,	/* a4 into devices_<group> */
	GW_ACT_ELEM_DEL,	/* a4 out of devices_<group> */
	GW_ACT_STAGE_ADD,	/* a4 into signed_on (and role_<role>), timeout_s;
				   replace: out of signed_on (and role_<old_role>)
				   first, in the same transaction */
	GW_ACT_STAGE_DEL,	/* a4 out of signed_on (and role_<role>) */
	GW_ACT_CT_FLUSH,	/* a4's tracked connections (device "" when no
				   device has it: a peer removed at start) */
};

struct gw_action {
	enum gw_act_type	type;
	char			device[GW_NAME_MAX + 1];
	uint8_t			pub[GW_KEY_LEN];
	struct in_addr		a4;
	int			has6;
	struct in6_addr		a6;
	int			group;
	int64_t			timeout_s;
	int			replace;	/* STAGE_ADD: an element may be
						   there already (remove it first) */
	char			role[GW_ROLE_MAX + 1];		/* STAGE_*: "" none */
	char			old_role[GW_ROLE_MAX + 1];	/* STAGE_ADD replace */
	char			msg[GW_LOG_MAX];
};

struct gw_actions {
	struct gw_action	*v;
	size_t			 n, cap;
	int			 oom;	/* an append failed: the list is short */
};
void gw_actions_clear(struct gw_actions *a);
void gw_actions_free(struct gw_actions *a);

/* A peer as the interface reported it at start (adopted by the first sync). */
struct gw_seen {
	uint8_t		pub[GW_KEY_LEN];
	struct in_addr	a4;		/* its one /32, 0 if it has not exactly that */
	int		has6;
	struct in6_addr	a6;
	int		other;		/* allowed IPs beyond those: to replace */
};

struct gw_engine {
	struct in_addr	 pool;
	uint8_t		 pool_plen;
	int		 has_pool6;
	struct in6_addr	 pool6;
	uint8_t		 pool6_plen;
	char		 groups[GW_MAX_GROUPS][GW_NAME_MAX + 1];
	int		 group_num[GW_MAX_GROUPS];
	size_t		 n_groups;
	char		 roles[GW_MAX_ROLES][GW_ROLE_MAX + 1];	/* with a set */
	size_t		 n_roles;
	struct gw_dev	*devs;		/* admitted, sorted by name */
	size_t		 n, cap;
	struct gw_seen	*seen;		/* the interface at start, until the first sync */
	size_t		 n_seen;
	int		 synced;	/* the first sync is done */
	uint64_t	 skipped;	/* refusals logged since start */
	struct gw_refused {
		char	 name[GW_NAME_MAX + 1];
		uint32_t h;		/* of its log line: said once */
	}		*refused;
	size_t		 n_refused, cap_refused;
};

/* pool4 "A.B.C.D/N" (the registry's meta pool4), pool6 "X::/N" or NULL.
 * -EINVAL with one line in err. */
int gw_engine_init(struct gw_engine *e, const char *pool4, const char *pool6,
    struct sk_error *err);
void gw_engine_free(struct gw_engine *e);

/* The registry groups whose templates rendered, and their numbers in the
 * ruleset. Replaces the previous table; devices of a group no longer
 * known are handled at the next sync or change of theirs. -E2BIG. */
int gw_engine_set_groups(struct gw_engine *e, const char *const *names,
    const int *nums, size_t n);

/* The roles the ruleset has a set role_<name> for (the services' `role`
 * lines of every group). A session's user of another role, or of none,
 * is in signed_on only. -E2BIG, -EINVAL (a name too long). */
int gw_engine_set_roles(struct gw_engine *e, const char *const *names, size_t n);

/* The interface's peers at start (copied); the first gw_engine_sync
 * compares with them and forgets them. */
int gw_engine_adopt(struct gw_engine *e, const struct gw_seen *seen, size_t n);

/* The whole registry (every device row): at start, and after the change
 * feed lost its place. Actions for the differences only. -ENOMEM. */
int gw_engine_sync(struct gw_engine *e, const struct gw_row *rows, size_t n,
    int64_t now, struct gw_actions *out);

/* One device changed: row is its row now, NULL if it is gone. */
int gw_engine_device(struct gw_engine *e, const char *name, const struct gw_row *row,
    int64_t now, struct gw_actions *out);

/* Stage 2 for device until expires (> now), for staff of role (the
 * staff row's, "" none: in a role set only if gw_engine_set_roles named
 * it). -ENOENT: not admitted (unknown, revoked or refused); -EINVAL:
 * expires not in the future or a bad staff id or factor. An open session
 * is replaced: another user's is a handover, which moves the device
 * from the first user's elements to the second's in one action (its
 * removals and additions in one nftables transaction: no instant with
 * both users' access, none with neither); the same session again (staff,
 * factor, expiry) changes nothing. */
int gw_engine_session_open(struct gw_engine *e, const char *device, const char *staff,
    const char *role, const char *factor, int64_t opened, int64_t expires, int64_t now,
    struct gw_actions *out);
/* A handover asked for by name (the session socket's MOVE): as
 * gw_engine_session_open for to_staff, but only while from_staff's
 * session is the one in force on device: -ESRCH otherwise (nothing
 * changes: a stale request never takes a third user's stage away). */
int gw_engine_session_move(struct gw_engine *e, const char *device, const char *from_staff,
    const char *to_staff, const char *role, const char *factor, int64_t opened,
    int64_t expires, int64_t now, struct gw_actions *out);
/* Back to stage 1. -ENOENT if the device has no session. */
int gw_engine_session_close(struct gw_engine *e, const char *device, const char *why,
    struct gw_actions *out);
/* Sessions past their expiry end (the kernel's timeout already removed
 * their elements: a log line each, no action on the set). Returns the
 * next expiry after now, 0 if none. */
int64_t gw_engine_tick(struct gw_engine *e, int64_t now, struct gw_actions *out);

/* The admitted device of that name, or NULL. */
const struct gw_dev *gw_engine_find(const struct gw_engine *e, const char *name);

/* A row's check alone (decision 1 without the duplicate check): 0, or
 * -EINVAL with "FIELD: what" in why. */
int gw_row_check(const struct gw_engine *e, const struct gw_row *row, struct gw_dev *out,
    char *why, size_t whylen);

#endif
