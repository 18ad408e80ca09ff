/*
 * The registry's change feed: what a follower (the gateway daemon) needs
 * to keep up with the registry by difference, never by a full re-read.
 *
 * Every change a gateway cares about appends one row to the change log
 * (table changes, schema v2) in the same transaction as the change itself,
 * from registry/ops.c and registry/session.c, so every writer feeds it:
 *
 *   kind      op        object   when
 *   device    add       DEVICE   reg_device_add
 *   device    key       DEVICE   reg_device_set_key (a new public key)
 *   device    revoke    DEVICE   reg_device_revoke
 *   group     template  GROUP    reg_group_set_template
 *   session   open      DEVICE   reg_session_open (also a handover: the
 *                                device's previous session is replaced)
 *   session   close     DEVICE   reg_session_close, a revocation, a new
 *                                key (reg_device_set_key), a user disabled
 *   session   role      DEVICE   reg_staff_put changed the role of the
 *                                user of the device's open session
 *
 * A row says only WHAT changed; the follower reads the object's current
 * state (reg_device_get, reg_session_active, reg_group_get), so that it
 * never applies a stale copy. Session expiry writes nothing: the follower
 * knows each session's expiry time.
 *
 * seq is strictly increasing in commit order (writers are serialised by
 * the write lock, reg_begin), not contiguous (a rolled-back transaction
 * may leave a gap). A follower keeps the last seq it applied and reads
 * reg_feed_since(last); that read is the truth, a wake-up only a hint.
 *
 * Waking up, without polling:
 *   PostgreSQL  at commit, a transaction that fed the log sends
 *               NOTIFY sekisho_registry, '<its highest seq>';
 *               reg_feed_listen opens a second connection of its own that
 *               LISTENs, and returns its socket.
 *   SQLite      reg_feed_listen returns an inotify descriptor watching the
 *               database file (IN_MODIFY, IN_CLOSE_WRITE, IN_ATTRIB) and
 *               its -wal (IN_MODIFY, IN_CLOSE_WRITE); any write wakes it
 *               (some wake-ups find nothing new). A write to the -wal
 *               comes BEFORE the commit is visible (SQLite then marks it
 *               in the -shm, through mmap, which inotify does not see): so
 *               a transaction that fed the log also touches the database
 *               file's times after its commit (IN_ATTRIB), the one
 *               wake-up that is never early. A writer that may not set
 *               them (sekisho-authd, its own user, the file root's) is
 *               covered by the follower: reg_feed_drain takes the write
 *               lock a moment (at most 200 ms), which waits for a commit
 *               in progress (the writer holds the lock from its first
 *               -wal write until its commit is visible). A writer that
 *               still holds it after 200 ms (an import, a writer not
 *               scheduled) is said by reg_feed_unsettled: the follower
 *               reads, then drains and reads again without waiting for
 *               a wake-up (that writer's last -wal write may have come
 *               before the drain).
 *
 * The loop:
 *
 *   reg_feed_listen(r, &fd);  reg_feed_since(r, last, ...);   (catch up)
 *   for (;;) { poll(fd); if (reg_feed_drain(r) < 0) -> lost;
 *              reg_feed_since(r, last, ...); }
 *
 * Drain BEFORE reading: a commit after the drain wakes fd again, so no
 * change is missed. "lost" (-ECONNRESET: the PostgreSQL connection is
 * gone): keep the last good state, reg_reopen(r) until it succeeds, then
 * reg_feed_listen again (a new fd: the old one is closed) and re-read
 * since the last seq: notifications sent while disconnected are lost,
 * the rows are not.
 *
 * For a sandboxed follower (seccomp): PostgreSQL needs its socket calls
 * only; SQLite inotify_init1, inotify_add_watch, read, and utimensat on
 * the database file when the follower itself commits a fed change (a
 * session it opens). The SQLite file is named by its absolute path from
 * reg_open on, so a chdir afterwards changes nothing.
 */
#ifndef SK_REGISTRY_FEED_H
#define SK_REGISTRY_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"
#include "registry/ops.h"
#include "registry/registry.h"

#define REG_FEED_CHANNEL	"sekisho_registry"

struct reg_change {
	int64_t	seq;
	char	kind[16];			/* "device", "group", "session" */
	char	object[REG_NAME_MAX + 1];	/* the device's or group's name */
	char	op[16];				/* "add", "key", "revoke", "template",
						   "open", "close" */
	int64_t	at;				/* unix time of the change */
};

/* The highest seq, 0 if the log never had a row (a log pruned empty: the
 * highest seq pruned). */
int reg_feed_head(struct reg *r, int64_t *seq, struct sk_error *err);
/* The changes with seq > after, in order, at most max (0: no limit); fn's
 * non-zero stops and is returned. Returns 0, fn's value or -errno. */
int reg_feed_since(struct reg *r, int64_t after, size_t max,
    int (*fn)(void *arg, const struct reg_change *c), void *arg,
    struct sk_error *err);
/* *fd becomes readable when the registry may have changed (above). Owned
 * by r: closed by reg_close/reg_reopen; a second call returns the same. */
int reg_feed_listen(struct reg *r, int *fd, struct sk_error *err);
/* After fd was readable: consumes the wake-ups. 0 or the number of
 * notifications read (PostgreSQL); -ECONNRESET when the listening
 * connection is lost; -EINVAL before reg_feed_listen. */
int reg_feed_drain(struct reg *r, struct sk_error *err);
/* 1 when the last reg_feed_drain found a write still in progress that it
 * could not wait out (SQLite, above): drain and read again soon, even
 * without a wake-up. Always 0 on PostgreSQL (a notification comes at
 * commit). */
int reg_feed_unsettled(const struct reg *r);
/* The highest seq the notifications drained so far named (PostgreSQL; 0
 * for SQLite or none): a hint, for logs and tests; never trusted. */
int64_t reg_feed_hint(const struct reg *r);

/*
 * Pruning (docs/provisioning.md, "Pruning the log"). Each follower reports
 * the last seq it applied, now and then (meta "feed_follower:NAME" =
 * "SEQ UNIXTIME"). reg_feed_prune removes the rows older than keep_s AND
 * at or below the lowest seq a follower reported within the last live_s
 * (a follower silent for longer no longer holds the log back; with no
 * live follower, age alone), in one transaction that also raises the
 * marker meta "changes_pruned" to the highest seq removed: every row at
 * or below the marker is gone, every row above it is there.
 *
 * reg_feed_since checks the marker AFTER reading the rows: when it is
 * above `after`, rows the follower has not seen may be gone, and it
 * returns -ESTALE ("change N was pruned ...") however many rows it passed
 * to fn: the follower throws them away and brings itself to the
 * registry's state by difference (a full re-read), then follows from the
 * head it read before that re-read.
 */
#define REG_FEED_NAME_MAX	96
/* In its own transaction (or the caller's). */
int reg_feed_report(struct reg *r, const char *name, int64_t seq, int64_t now,
    struct sk_error *err);
/* *removed rows; *cut the new marker (0: none). In its own transaction. */
int reg_feed_prune(struct reg *r, int64_t now, int64_t keep_s, int64_t live_s,
    int64_t *removed, int64_t *cut, struct sk_error *err);
/* The marker: the highest seq pruned, 0 if none. */
int reg_feed_pruned(struct reg *r, int64_t *seq, struct sk_error *err);

/* ---- for registry/ itself ---- */
/* Appends one row (in the caller's transaction). */
int reg_feed_append(struct reg *r, const char *kind, const char *object,
    const char *op, struct sk_error *err);
/* reg_commit: the NOTIFY of a transaction that fed the log. */
int reg_feed_precommit(struct reg *r, struct sk_error *err);
/* reg_commit, after COMMIT: SQLite's wake-up (below). */
void reg_feed_postcommit(struct reg *r);
void reg_feed_close(struct reg *r);
/* A NOTIFY payload: a decimal seq, 1..INT64_MAX, nothing else. 0 or -EINVAL. */
int reg_feed_parse_seq(const char *s, size_t len, int64_t *seq);

#endif
