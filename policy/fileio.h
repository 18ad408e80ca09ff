/* Files the policy tools and the netvm keep: read whole with a size cap,
 * and written durably (temp file, fsync, rename, fsync of the directory),
 * so that after a crash or a power cut the file holds either the old or
 * the new contents, never a mixture and never nothing. */
#ifndef SK_FILEIO_H
#define SK_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"

/* Reads at most max bytes of path into a fresh malloc'd buffer (NUL
 * appended, not counted in *len). A file longer than max is read as max
 * bytes: pass the limit + 1 so that the caller can say "too large".
 * 0, or -errno with "PATH: what" in err. */
int file_read_max(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct sk_error *err);


/* Replaces path with data, durably and atomically, the new file having
 * mode (e.g. 0600). A temporary file beside path (same directory, so the
 * rename stays within one file system) is written, fsync'd, renamed over
 * path, and the directory fsync'd. On failure before the rename, path is
 * untouched and the temporary file removed; a failure of the directory's
 * fsync comes after it (path holds the new contents, perhaps not durably).
 * 0, or -errno with "PATH: what" in err. */
int durable_write(const char *path, const void *data, size_t len, mode_t mode,
    struct sk_error *err);

/* durable_write in two halves, for a caller that places the rename (its
 * commit point) itself: durable_prepare writes data to tmp (a name the
 * caller chose beside the final path; an old file there is replaced),
 * mode, fsync'd, and nothing else; durable_finish renames tmp over path
 * and fsyncs the directory. Until the rename, path is untouched; a
 * failed prepare removes tmp. 0, or -errno with "PATH: what" in err. */
int durable_prepare(const char *tmp, const void *data, size_t len, mode_t mode,
    struct sk_error *err);
int durable_finish(const char *tmp, const char *path, struct sk_error *err);

/* fsync of the directory holding path: makes a rename or a creation in it
 * durable. 0, or -errno with "PATH: what" in err. */
int fsync_parent(const char *path, struct sk_error *err);

#endif
