/*
 * The list commands' output: an aligned table for a terminal, JSON, or
 * CSV (through csv.h; UTF-8 or CP932 for Excel). Cells are UTF-8 strings;
 * the table copies them. Display widths follow East Asian Width: wide and
 * full-width characters (kanji, kana, full-width forms) take two columns,
 * combining marks none (own table, no dependence on the locale). Control
 * characters in a cell are shown as '?' in the text table (the registry
 * holds none; this is belt and braces for the terminal).
 *
 * Text:  the header, a rule of '-', one line per row, columns separated by
 *        two spaces, the last column not padded.
 * JSON:  an array of objects {"key": value}; TABLE_INT and TABLE_BOOL
 *        columns become numbers and booleans ("1"/"0" for booleans), an
 *        empty TABLE_INT cell null.
 * CSV:   a header row of the column heads, then the rows, CRLF. A text
 *        cell that a spreadsheet would take for a formula (it starts with
 *        '=', '+', '-' or '@', after any apostrophes) gets one more
 *        apostrophe in front: Excel shows the text instead of running it,
 *        and the importer (importmap.h) takes the apostrophe off again, so
 *        `user list --csv` still reads back as the same rows. With
 *        TEXTENC_CP932 a character that has no CP932 form is an error:
 *        "row N (KEY): FIELD: character U+XXXX has no CP932 form" (N from
 *        1, KEY the row's first cell) and nothing is written.
 */
#ifndef SK_PROV_TABLE_H
#define SK_PROV_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "lib/util.h"
#include "provisioning/sekisho-provision/records.h"
#include "provisioning/sekisho-provision/textenc.h"

enum table_fmt {
	TABLE_TEXT,
	TABLE_JSON,
	TABLE_CSV,
};

enum table_type {
	TABLE_STR,
	TABLE_INT,
	TABLE_BOOL,
};

struct table_col {
	const char	*head;	/* text and CSV header: "staff_id" */
	const char	*key;	/* JSON key; NULL: same as head */
	enum table_type	 type;
	int		 right;	/* text: right-aligned */
};

struct table;

/* cols is copied by reference: it must outlive the table (static arrays). */
struct table *table_new(const struct table_col *cols, size_t ncols);
/* Appends a row of ncols cells (NULL = empty): 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
/* Writes the table to f. 0; -EILSEQ (CSV, CP932) or -EIO with err. enc is
 * used for TABLE_CSV only (TEXTENC_AUTO means UTF-8). */
int table_print(const struct table *t, enum table_fmt fmt, enum textenc enc,
    FILE *f, struct sk_error *err);
void table_free(struct table *t);

/* The columns of `user list` and `device list`, the same names as the
 * import headers, so that `user list --csv` reads back with `user import`:
 *   staff:   staff_id name kana dept role disabled
 *   devices: name group pubkey asset user
 * Callers with more columns (address, state) build their own table. */
struct table *table_from_staff(const struct staff_list *l);
struct table *table_from_devices(const struct device_list *l);

/* 1 if s would be a formula in a spreadsheet: '=', '+', '-' or '@' after
 * any number of apostrophes. */
int table_formula_guard(const char *s);

/* Display columns of a UTF-8 string (invalid bytes count 1). */
size_t table_width(const char *s);
/* Display columns of one code point: 0, 1 or 2. */
int table_cp_width(unsigned int cp);

#endif
