/* The anti-rollback store: the highest policy serial this device has ever
 * accepted, kept in a small file so that a rollback is refused across
 * reboots too (docs/bundle.md, "The serial store").
 *
 * The file is exactly two lines, "sekisho-serial 1" and the serial in
 * decimal (0 = nothing accepted yet), mode 0600, replaced durably
 * (fileio.h: temp file, fsync, rename, fsync of the directory). Anything
 * else in it is corruption and is refused: the caller fails closed. */
#ifndef SK_SERIAL_H
#define SK_SERIAL_H

#include <stdint.h>

#include "lib/util.h"

#define SERIAL_STORE_MAGIC	"sekisho-serial 1\n"
#define SERIAL_STORE_MAX	64	/* bytes in a well-formed file, at most */
#define SERIAL_MAX		INT64_MAX

/*
 * Reads the stored serial into *serial. Returns 0, or
 *   -ENOENT  the store does not exist ("serial store PATH: missing");
 *   -EINVAL  the store is corrupt ("serial store PATH: corrupt: what");
 *   -EPERM   not a regular file, writable by group or others, or (when
 *            owner_uid >= 0) not owned by owner_uid;
 *   -errno   it cannot be read.
 * Every failure but -ENOENT must be treated as "accept nothing". -ENOENT
 * is the first start of a freshly provisioned device; what to do then is
 * the caller's decision (docs/bundle.md).
 */
int serial_store_load(const char *path, int owner_uid, uint64_t *serial,
    struct sk_error *err);

/* Replaces the stored serial (0 .. SERIAL_MAX) durably, mode 0600. Does not
 * compare with the old value: the caller has already decided, with the
 * value it loaded, that serial is not lower. 0 or -errno with err set. */
int serial_store_save(const char *path, uint64_t serial, struct sk_error *err);

/* serial_store_save in two halves, so that the caller places the commit
 * point: serial_store_prepare writes the new store durably beside it, as
 * PATH.next (nothing in force changes: serial_store_load never reads it);
 * serial_store_commit renames PATH.next over PATH and fsyncs the
 * directory: from then on the store holds the new serial.
 * serial_store_abort removes PATH.next (also what a restart does with one
 * a crash left). 0 or -errno with err set. */
int serial_store_prepare(const char *path, uint64_t serial, struct sk_error *err);
int serial_store_commit(const char *path, struct sk_error *err);
void serial_store_abort(const char *path);

/* The store's bytes (read by serial_store_load): the magic line, then the
 * serial and a newline, nothing else. 0 with *serial, or -EINVAL with
 * "serial store PATH: corrupt: what" in err. */
int serial_store_parse(const char *path, const char *s, size_t len,
    uint64_t *serial, struct sk_error *err);

#endif
