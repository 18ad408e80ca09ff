/*
 * CSV as Excel writes it (RFC 4180): fields separated by commas, records
 * ended by CRLF (LF and a lone CR are accepted too), a field in double
 * quotes may hold commas, CR, LF and doubled quotes (""). An empty last
 * line is no record. The reader works on a buffer in memory (already
 * decoded to UTF-8 by textenc.h, or any bytes: it does not look at them
 * beyond the ASCII delimiters, so NUL bytes travel inside a field with
 * their length) and tells the physical line on which each record starts.
 *
 * Refused, as one line "FILE:LINE: what" naming the record's first line:
 *   "unterminated quoted field"
 *   "quote inside an unquoted field"
 *   "text after a closing quote"
 *   "field longer than N bytes"
 *   "more than N fields"
 *   "record longer than N bytes"
 * The reader stops at the first such error: the rest of the file cannot
 * be framed reliably after a broken quote.
 *
 * The writer quotes a field only when it must (comma, quote, CR, LF, or
 * a leading/trailing space or tab that a reader might trim) and ends
 * every record with CRLF, so reading back what it wrote gives the same
 * fields (tests/fuzz/fuzz_csv.c checks this property).
 */
#ifndef SK_PROV_CSV_H
#define SK_PROV_CSV_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/util.h"

#define CSV_FILE_MAX	(64u << 20)	/* a file larger than this is refused */
#define CSV_FIELD_MAX	4096		/* bytes in one field (after unquoting) */
#define CSV_FIELDS_MAX	256		/* fields in one record */
#define CSV_RECORD_MAX	65536		/* bytes in one record (all fields) */

struct csv_reader {
	const char	*name;		/* file name for messages */
	const char	*p;		/* the input, not owned */
	size_t		 len, off;
	size_t		 line;		/* physical line of p[off], from 1 */
	/* The current record: fields, NUL-terminated, back to back in buf. */
	char		*buf;
	size_t		 buflen, bufcap;
	size_t		*foff, *flen;	/* per field: offset into buf, length */
	const char	**fptr;		/* per field: pointer, filled on return */
	size_t		 nf, fcap;
};

/* One record, valid until the next csv_read() or csv_reader_free(). */
struct csv_record {
	size_t		 line;		/* physical line where the record starts */
	size_t		 n;		/* number of fields, >= 1 */
	const char	*const *field;	/* field[i]: NUL-terminated */
	const size_t	*len;		/* len[i]: bytes, may hold NULs before */
};

/* name: for messages ("staff.csv"); data/len: not copied, must outlive r. */
void csv_reader_init(struct csv_reader *r, const char *name,
    const char *data, size_t len);
/* 1: a record in *rec; 0: end of input; -EINVAL (err "FILE:LINE: what"),
 * -ENOMEM. */
int csv_read(struct csv_reader *r, struct csv_record *rec,
    struct sk_error *err);
void csv_reader_free(struct csv_reader *r);

/*
 * Reads a whole file into memory (malloc'd, NUL-terminated; caller frees):
 * 0, or -errno with err "FILE: what" ("larger than 64 MiB", "changed
 * while being read", strerror). Refuses anything but a regular file.
 */
int csv_file_read(const char *path, char **data, size_t *len,
    struct sk_error *err);

/* Appends one field (len bytes, quoted when needed) to out; not the
 * separator. */
void csv_write_field(struct buf *out, const char *s, size_t len);
/* Appends n NUL-terminated fields separated by commas, then CRLF. */
void csv_write_record(struct buf *out, const char *const *fields, size_t n);
/* 1 if s (len bytes) must be quoted. */
int csv_needs_quote(const char *s, size_t len);

#endif
