/* Tables for the list commands: text, JSON, CSV (table.h). */
#include "provisioning/sekisho-provision/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/buf.h"
#include "provisioning/sekisho-provision/csv.h"

struct table {
	const struct table_col	*cols;
	size_t			 ncols;
	char			**cells;	/* rows * ncols */
	size_t			 rows, cap;
};

struct table *
table_new(const struct table_col *cols, size_t ncols)
{
	struct table *t;

	if (ncols == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

int
table_add(struct table *t, const char *const *cells)
{
	char **row;

	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **p;

		if (cap > SIZE_MAX / sizeof(*p) / t->ncols)
			return -ENOMEM;
		if ((p = realloc(t->cells, cap * t->ncols * sizeof(*p))) == NULL)
			return -ENOMEM;
		t->cells = p;
		t->cap = cap;
	}
	row = t->cells + t->rows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		if ((row[i] = strdup(cells[i] != NULL ? cells[i] : "")) == NULL) {
			while (i-- > 0)
				free(row[i]);
			return -ENOMEM;
		}
	}
	t->rows++;
	return 0;
}

size_t
table_rows(const struct table *t)
{
	return t->rows;
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* ---- display width ------------------------------------------------- */

struct range {
	unsigned int lo, hi;
};

/* Zero width: combining marks, zero-width spaces and joiners, variation
 * selectors, the kana voicing marks. */
static const struct range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 },
	{ 0x20d0, 0x20ff }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f }, { 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

/* East Asian Wide (W) and Fullwidth (F), the ranges Japanese text uses
 * and their neighbours. */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2e80, 0x303e }, { 0x3041, 0x3096 }, { 0x309b, 0x33ff },
	{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
	{ 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x1b000, 0x1b2ff }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int
in(const struct range *r, size_t n, unsigned int cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
table_cp_width(unsigned int cp)
{
	if (cp == 0)
		return 0;
	if (in(zero, nitems(zero), cp))
		return 0;
	if (in(wide, nitems(wide), cp))
		return 2;
	return 1;
}

/* Next code point at *s (advanced); an invalid byte is returned as
 * 0xfffd and skipped alone. */
static unsigned int
next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned int cp;
	size_t k, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 4;
		cp = p[0] & 0x07;
	} else {
		*s = p + 1;
		return 0xfffd;
	}
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + 1;
			return 0xfffd;
		}
		cp = cp << 6 | (p[i] & 0x3f);
	}
	*s = p + k;
	return cp;
}

size_t
table_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p != '\0') {
		unsigned int cp = next_cp(&p);

		w += cp == 0xfffd ? 1 : (size_t)table_cp_width(cp);
	}
	return w;
}

/* ---- text ---------------------------------------------------------- */

static int
is_control(unsigned int cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	    cp == 0x2028 || cp == 0x2029;
}

/* The cell with control characters as '?'; its width in *w. */
static void
put_cell(FILE *f, const char *s, size_t pad_to, int right)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = table_width(s);

	if (right)
		for (size_t i = w; i < pad_to; i++)
			fputc(' ', f);
	while (*p != '\0') {
		const unsigned char *q = p;
		unsigned int cp = next_cp(&p);

		if (is_control(cp) || cp == 0xfffd)
			fputc('?', f);
		else
			fwrite(q, 1, (size_t)(p - q), f);
	}
	if (!right)
		for (size_t i = w; i < pad_to; i++)
			fputc(' ', f);
}

static int
print_text(const struct table *t, FILE *f)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	for (size_t c = 0; c < t->ncols; c++)
		w[c] = table_width(t->cols[c].head);
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t x = table_width(t->cells[r * t->ncols + c]);

			if (x > w[c])
				w[c] = x;
		}
	for (size_t c = 0; c < t->ncols; c++) {
		int last = c + 1 == t->ncols;

		put_cell(f, t->cols[c].head, last && !t->cols[c].right ? 0 : w[c],
		    t->cols[c].right);
		fputs(last ? "\n" : "  ", f);
	}
	for (size_t c = 0; c < t->ncols; c++) {
		for (size_t i = 0; i < w[c]; i++)
			fputc('-', f);
		fputs(c + 1 == t->ncols ? "\n" : "  ", f);
	}
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			int last = c + 1 == t->ncols;

			put_cell(f, t->cells[r * t->ncols + c],
			    last && !t->cols[c].right ? 0 : w[c], t->cols[c].right);
			fputs(last ? "\n" : "  ", f);
		}
	free(w);
	return 0;
}

/* ---- JSON ---------------------------------------------------------- */

static json_object *
json_cell(const struct table_col *col, const char *s)
{
	char *end;
	long long v;

	switch (col->type) {
	case TABLE_BOOL:
		return json_object_new_boolean(strcmp(s, "1") == 0 ||
		    strcmp(s, "true") == 0);
	case TABLE_INT:
		if (*s == '\0')
			return NULL;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_object_new_int64(v);
		return json_object_new_string(s);
	default:
		return json_object_new_string(s);
	}
}

static int
print_json(const struct table *t, FILE *f)
{
	json_object *arr = json_object_new_array();
	const char *s;
	int rc = 0;

	if (arr == NULL)
		return -ENOMEM;
	for (size_t r = 0; r < t->rows && rc == 0; r++) {
		json_object *o = json_object_new_object();

		if (o == NULL) {
			rc = -ENOMEM;
			break;
		}
		for (size_t c = 0; c < t->ncols; c++) {
			const struct table_col *col = &t->cols[c];

			json_object_object_add(o, col->key ? col->key : col->head,
			    json_cell(col, t->cells[r * t->ncols + c]));
		}
		if (json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			rc = -ENOMEM;
		}
	}
	if (rc == 0) {
		s = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (s == NULL)
			rc = -ENOMEM;
		else
			fprintf(f, "%s\n", s);
	}
	json_object_put(arr);
	return rc;
}

/* ---- CSV ----------------------------------------------------------- */

int
table_formula_guard(const char *s)
{
	while (*s == '\'')
		s++;
	return *s == '=' || *s == '+' || *s == '-' || *s == '@';
}

static int
print_csv(const struct table *t, enum textenc enc, FILE *f,
    struct sk_error *err)
{
	struct textenc_out *te;
	struct buf out, field;
	uint32_t bad = 0;
	int rc = 0;

	if ((te = textenc_out_open(enc, err)) == NULL)
		return -EIO;
	buf_init(&out);
	buf_init(&field);
	for (size_t r = 0; r <= t->rows && rc == 0; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r == 0 ? t->cols[c].head :
			    t->cells[(r - 1) * t->ncols + c];

			field.len = 0;
			/* A spreadsheet would run "=..." as a formula. */
			if (r > 0 && t->cols[c].type == TABLE_STR &&
			    table_formula_guard(s))
				buf_printf(&field, "'");
			if ((rc = textenc_out_conv(te, s, strlen(s), &field,
			    &bad)) < 0) {
				if (rc == -EILSEQ && r == 0)
					sk_errorf(err, EILSEQ, "header: %s: "
					    "character U+%04X has no CP932 form",
					    t->cols[c].head, bad);
				else if (rc == -EILSEQ)
					sk_errorf(err, EILSEQ, "row %zu (%s): %s: "
					    "character U+%04X has no CP932 form",
					    r, t->cells[(r - 1) * t->ncols],
					    t->cols[c].head, bad);
				else
					sk_errorf(err, -rc, "row %zu (%s): %s: "
					    "cannot convert", r, r ? t->cells[(r - 1) *
					    t->ncols] : "header", t->cols[c].head);
				break;
			}
			if (c > 0)
				buf_printf(&out, ",");
			csv_write_field(&out, field.p != NULL ? field.p : "",
			    field.len);
		}
		buf_printf(&out, "\r\n");
	}
	if (rc == 0 && (out.oom || field.oom))
		rc = sk_errorf(err, ENOMEM, "out of memory");
	if (rc == 0 && out.len > 0 && fwrite(out.p, 1, out.len, f) != out.len)
		rc = sk_errorf(err, EIO, "write: %s", strerror(errno));
	buf_free(&out);
	buf_free(&field);
	textenc_out_close(te);
	return rc;
}

int
table_print(const struct table *t, enum table_fmt fmt, enum textenc enc,
    FILE *f, struct sk_error *err)
{
	int rc;

	switch (fmt) {
	case TABLE_JSON:
		rc = print_json(t, f);
		break;
	case TABLE_CSV:
		return print_csv(t, enc, f, err);
	default:
		rc = print_text(t, f);
		break;
	}
	if (rc < 0)
		return sk_errorf(err, -rc, "out of memory");
	if (ferror(f))
		return sk_errorf(err, EIO, "write: %s", strerror(errno));
	return 0;
}

/* ---- the list commands' tables ------------------------------------- */

static const struct table_col staff_cols[] = {
	{ "staff_id", NULL, TABLE_STR, 0 },
	{ "name", NULL, TABLE_STR, 0 },
	{ "kana", NULL, TABLE_STR, 0 },
	{ "dept", NULL, TABLE_STR, 0 },
	{ "role", NULL, TABLE_STR, 0 },
	{ "disabled", NULL, TABLE_BOOL, 0 },
};

static const struct table_col device_cols[] = {
	{ "name", NULL, TABLE_STR, 0 },
	{ "group", NULL, TABLE_STR, 0 },
	{ "pubkey", NULL, TABLE_STR, 0 },
	{ "asset", NULL, TABLE_STR, 0 },
	{ "user", NULL, TABLE_STR, 0 },
};

struct table *
table_from_staff(const struct staff_list *l)
{
	struct table *t = table_new(staff_cols, nitems(staff_cols));

	for (size_t i = 0; t != NULL && i < l->n; i++) {
		const struct staff_rec *s = &l->v[i];
		const char *c[] = { s->staff_id, s->name, s->kana, s->dept,
		    s->role, s->disabled ? "1" : "0" };

		if (table_add(t, c) < 0) {
			table_free(t);
			t = NULL;
		}
	}
	return t;
}

struct table *
table_from_devices(const struct device_list *l)
{
	struct table *t = table_new(device_cols, nitems(device_cols));

	for (size_t i = 0; t != NULL && i < l->n; i++) {
		const struct device_rec *d = &l->v[i];
		const char *c[] = { d->name, d->group, d->pubkey, d->asset,
		    d->user };

		if (table_add(t, c) < 0) {
			table_free(t);
			t = NULL;
		}
	}
	return t;
}
