/*
 * The agent's audit outbox (docs/agent.md "Audit outbox"): every event the
 * agent makes (a lock, and why) is first written to a local file, and
 * delivered to the verifier from there, in order and exactly once, when
 * the agency can be reached. The file lives under the agent's persistent
 * directory (--outbox, default /var/lib/sekisho-agent), mode 0600,
 * append-only, each append fsync'd before it counts. It is plain text,
 * one record a line, readable by IT on the laptop as CSV:
 *
 *   O,ID                             first line: the outbox's id, 16 hex
 *                                    digits, random, made with the file
 *                                    (the verifier keeps seqs per laptop
 *                                    and outbox: a new disk, a new id)
 *   E,SEQ,TIME,KIND,REASON,STAFF     an event: seq from 1 up, unix time,
 *                                    kind and reason by name, staff or ""
 *   A,THROUGH,LAST                   the verifier holds every event up to
 *                                    THROUGH; LAST is the last seq made
 *   B,THROUGH                        second line only: the events up to
 *                                    THROUGH were delivered and dropped
 *                                    from the file (its bound, below)
 *
 * so the last line alone tells the next seq. A line cut short by a crash
 * (no newline) was never fsync'd as a whole: the next writer drops it;
 * any other bad line stops reading there, with one line naming it.
 * Writers take the lock (lock.h) of OUTBOX_LOCK, a file of its own, for
 * the whole read-append, and open the outbox only under it.
 */
#ifndef SK_AGENT_OUTBOX_H
#define SK_AGENT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/signon_wire.h"

#define OUTBOX_FILE		"outbox.csv"
#define OUTBOX_LOCK		"outbox.lock"
#define OUTBOX_LINE_MAX		160
/* Past this, an acknowledgement makes the file shorter: the delivered
 * events go, the undelivered stay (about 12,000 events' lines). */
#define OUTBOX_COMPACT_BYTES	(1u << 20)
extern size_t outbox_compact_bytes;	/* OUTBOX_COMPACT_BYTES; tests lower it */

struct outbox_ev {
	uint64_t	seq, time;
	uint8_t		kind, reason;
	char		staff[SIGNON_STAFF_LEN + 1];
};

/* One line (without its newline): 'E' with *ev set, 'A' or 'B' with
 * *through and *last set, 'O' (outbox_parse_id reads it), or -1 when it
 * is not a record. Pure; fuzzed. */
int outbox_parse_line(const char *line, struct outbox_ev *ev, uint64_t *through,
    uint64_t *last);
/* The id line "O,ID": 0 with *id (not 0), or -1. */
int outbox_parse_id(const char *line, uint64_t *id);
/* The line for ev, with its newline: its length, or -1. */
int outbox_format(const struct outbox_ev *ev, char *buf, size_t size);

/*
 * Appends n events (their seq set here, from the last one up), written and
 * fsync'd under the lock before it returns 0; -1 with err set (the file
 * unchanged, or only a cut line the next writer drops). A new outbox gets
 * its id line with its first events.
 */
int outbox_append(const char *dir, struct outbox_ev *evs, size_t n,
    char *err, size_t errlen);
/*
 * The events not yet delivered, in order: *evs (free it) with *n, *id
 * the outbox's id (0 when there is no outbox yet) and *through the seq
 * the verifier holds up to. 0, or -1 with err set.
 */
int outbox_pending(const char *dir, uint64_t *id, struct outbox_ev **evs,
    size_t *n, uint64_t *through, char *err, size_t errlen);
/* Records that the verifier holds every event up to through; past the
 * bound, drops the delivered events from the file. */
int outbox_ack(const char *dir, uint64_t through, char *err, size_t errlen);

#endif
