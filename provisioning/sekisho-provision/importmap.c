/*
 * From a CSV file's bytes to validated rows (importmap.h): decode, frame,
 * map the header, validate each row, then the duplicates. Problems are
 * collected with their line numbers and sorted, so the report reads in
 * file order however they were found.
 */
#include "provisioning/sekisho-provision/importmap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/encode.h"
#include "lib/util.h"
#include "provisioning/sekisho-provision/csv.h"
#include "provisioning/sekisho-provision/reclist.h"

/* Problems kept before sorting; beyond it they are only counted. */
#define PROBLEMS_KEPT	(IMPORT_ERRORS_MAX * 8)

/* ---- validators ---------------------------------------------------- */

static const char P_EMPTY[] = "empty";
static const char P_CTRL[] = "control character";
static const char P_STAFF[] = "bad staff id (letters, digits, '.', '_', '-')";
static const char P_HOST[] = "bad device name (hostname: letters, digits, '-', "
    "at most 63, no '-' at either end)";
static const char P_GROUP[] = "bad group name (letters, digits, '.', '_', '-')";
static const char P_KEY[] = "bad WireGuard public key (base64 of 32 bytes)";
static const char P_DIS[] = "bad disabled value (1/0, yes/no, true/false, 無効/有効)";
static const char P_LONG[] = "too long";	/* the importer adds the sizes */

/* Control characters: C0, DEL, C1 (U+0080..U+009F: C2 80..C2 9F), the
 * line and paragraph separators (U+2028, U+2029: E2 80 A8, E2 80 A9). */
static int
has_control(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 1;
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return 1;
		if (u[i] == 0xe2 && i + 2 < len && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
			return 1;
	}
	return 0;
}

static int
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static const char *
check_id(const char *s, size_t max, const char *bad)
{
	size_t n = strlen(s);

	if (n == 0)
		return P_EMPTY;
	if (n > max)
		return P_LONG;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return has_control(s, n) ? P_CTRL : bad;
	return NULL;
}

const char *
importmap_check_staff_id(const char *s)
{
	return check_id(s, REC_ID_MAX, P_STAFF);
}

const char *
importmap_check_group(const char *s)
{
	return check_id(s, REC_ID_MAX, P_GROUP);
}

const char *
importmap_check_device_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return P_EMPTY;
	if (has_control(s, n))
		return P_CTRL;
	if (n > 63 || s[0] == '-' || s[n - 1] == '-')
		return P_HOST;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return P_HOST;
	return NULL;
}

const char *
importmap_check_pubkey(const char *s)
{
	uint8_t key[KEY_LEN];
	size_t n = strlen(s);

	if (n == 0)
		return NULL;
	if (has_control(s, n))
		return P_CTRL;
	if (n != KEY_B64_LEN - 1 || key_from_b64(key, s) != 0 ||
	    key_is_zero(key))
		return P_KEY;
	return NULL;
}

const char *
importmap_check_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (has_control(s, n))
		return P_CTRL;
	if (n > max)
		return P_LONG;
	return NULL;
}

/* ---- header names -------------------------------------------------- */

enum { F_STAFF_ID, F_NAME, F_KANA, F_DEPT, F_ROLE, F_DISABLED, F_NSTAFF };
enum { D_NAME, D_GROUP, D_PUBKEY, D_ASSET, D_USER, F_NDEV };
_Static_assert(F_NSTAFF <= 8 && F_NDEV <= 8, "field_col too small");

struct alias {
	const char	*norm;	/* normalised header */
	int		 field;
};

static const char *const staff_fields[F_NSTAFF] = {
	"staff_id", "name", "kana", "dept", "role", "disabled",
};
static const char *const dev_fields[F_NDEV] = {
	"name", "group", "pubkey", "asset", "user",
};

static const struct alias staff_alias[] = {
	{ "staffid", F_STAFF_ID }, { "職員番号", F_STAFF_ID }, { "職員id", F_STAFF_ID },
	{ "職員コード", F_STAFF_ID }, { "社員番号", F_STAFF_ID }, { "id", F_STAFF_ID },
	{ "name", F_NAME }, { "fullname", F_NAME }, { "氏名", F_NAME },
	{ "名前", F_NAME }, { "職員名", F_NAME },
	{ "kana", F_KANA }, { "furigana", F_KANA }, { "カナ", F_KANA },
	{ "フリガナ", F_KANA }, { "ふりがな", F_KANA }, { "氏名カナ", F_KANA },
	{ "カナ氏名", F_KANA }, { "氏名(カナ)", F_KANA }, { "氏名(フリガナ)", F_KANA },
	{ "dept", F_DEPT }, { "department", F_DEPT }, { "所属", F_DEPT },
	{ "部署", F_DEPT }, { "所属部署", F_DEPT }, { "所属名", F_DEPT }, { "課", F_DEPT },
	{ "role", F_ROLE }, { "title", F_ROLE }, { "役職", F_ROLE },
	{ "役職名", F_ROLE }, { "職位", F_ROLE },
	{ "disabled", F_DISABLED }, { "無効", F_DISABLED }, { "停止", F_DISABLED },
};

static const struct alias dev_alias[] = {
	{ "name", D_NAME }, { "hostname", D_NAME }, { "host", D_NAME },
	{ "computername", D_NAME }, { "device", D_NAME }, { "devicename", D_NAME },
	{ "端末名", D_NAME }, { "ホスト名", D_NAME }, { "コンピュータ名", D_NAME },
	{ "コンピューター名", D_NAME }, { "機器名", D_NAME }, { "pc名", D_NAME },
	{ "group", D_GROUP }, { "グループ", D_GROUP }, { "端末グループ", D_GROUP },
	{ "pubkey", D_PUBKEY }, { "publickey", D_PUBKEY }, { "wireguardkey", D_PUBKEY },
	{ "公開鍵", D_PUBKEY }, { "wireguard公開鍵", D_PUBKEY },
	{ "asset", D_ASSET }, { "assetnumber", D_ASSET }, { "assettag", D_ASSET },
	{ "資産番号", D_ASSET }, { "管理番号", D_ASSET },
	{ "user", D_USER }, { "staffid", D_USER }, { "利用者", D_USER },
	{ "使用者", D_USER }, { "職員番号", D_USER },
};

/*
 * Normalises a header into out (size outsz): full-width ASCII to ASCII,
 * U+3000 to a space, ASCII lower case, spaces, tabs, '_' and '-' dropped.
 * Anything else is copied as is. Truncates safely.
 */
static void
normalise(const char *s, size_t len, char *out, size_t outsz)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < outsz;) {
		unsigned c = u[i];
		size_t k = 1;

		/* U+FF01..U+FF5E are EF BC 81..EF BD 9E. */
		if (c == 0xef && i + 2 < len &&
		    ((u[i + 1] == 0xbc && u[i + 2] >= 0x81) ||
		    (u[i + 1] == 0xbd && u[i + 2] <= 0x9e))) {
			unsigned cp = 0xff00 | (u[i + 1] & 0x03) << 6 | (u[i + 2] & 0x3f);

			c = cp - 0xfee0;
			k = 3;
		} else if (c == 0xe3 && i + 2 < len && u[i + 1] == 0x80 &&
		    u[i + 2] == 0x80) {
			c = ' ';
			k = 3;
		}
		if (k == 3 || c < 0x80) {
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != ' ' && c != '\t' && c != '_' && c != '-')
				out[o++] = (char)c;
			i += k;
			continue;
		}
		out[o++] = (char)c;
		i++;
	}
	out[o] = '\0';
}

static int
lookup(enum import_kind kind, const char *h, size_t len)
{
	const struct alias *a = kind == IMPORT_STAFF ? staff_alias : dev_alias;
	size_t n = kind == IMPORT_STAFF ? nitems(staff_alias) : nitems(dev_alias);
	char norm[256];

	normalise(h, len, norm, sizeof(norm));
	for (size_t i = 0; i < n; i++)
		if (strcmp(norm, a[i].norm) == 0)
			return a[i].field;
	return -1;
}

const char *
importmap_header_field(enum import_kind kind, const char *header)
{
	int f = lookup(kind, header, strlen(header));

	if (f < 0)
		return NULL;
	return kind == IMPORT_STAFF ? staff_fields[f] : dev_fields[f];
}

/* ---- the report ---------------------------------------------------- */

struct problem {
	size_t	 line;
	size_t	 seq;
	char	*text;
};

struct run {
	const char		*name;
	enum import_kind	 kind;
	struct import_report	*rep;
	struct problem		*pv;
	size_t			 pn, pcap, dropped;
	int			 oom;
	/* the header */
	int			 col_field[CSV_FIELDS_MAX];	/* -1: ignored */
	char			*col_head[CSV_FIELDS_MAX];	/* as written */
	size_t			 ncols;
	int			 field_col[8];	/* >= F_NSTAFF, F_NDEV */
};

static void
problem(struct run *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct run *r, size_t line, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (r->pn == PROBLEMS_KEPT) {
		r->dropped++;
		return;
	}
	if (r->pn == r->pcap) {
		size_t cap = r->pcap ? r->pcap * 2 : 16;
		struct problem *p = realloc(r->pv, cap * sizeof(*p));

		if (p == NULL) {
			r->oom = 1;
			return;
		}
		r->pv = p;
		r->pcap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1) {
		r->oom = 1;
		va_end(ap);
		return;
	}
	va_end(ap);
	r->pv[r->pn].line = line;
	r->pv[r->pn].seq = r->pn;
	r->pv[r->pn].text = s;
	r->pn++;
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
list_add(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL) {
		free(s);
		return -ENOMEM;
	}
	*v = p;
	p[(*n)++] = s;
	return 0;
}

/* Moves the sorted problems into the report, capped. */
static void
finish_problems(struct run *r)
{
	struct import_report *rep = r->rep;
	size_t i;

	if (r->pn > 1)
		qsort(r->pv, r->pn, sizeof(*r->pv), problem_cmp);
	for (i = 0; i < r->pn; i++) {
		if (rep->n_err == IMPORT_ERRORS_MAX) {
			free(r->pv[i].text);
			rep->more_err++;
			continue;
		}
		if (list_add(&rep->err, &rep->n_err, r->pv[i].text) < 0)
			r->oom = 1;
	}
	rep->more_err += r->dropped;
	free(r->pv);
	r->pv = NULL;
	r->pn = r->pcap = 0;
}

void
import_report_free(struct import_report *rep)
{
	for (size_t i = 0; i < rep->n_err; i++)
		free(rep->err[i]);
	for (size_t i = 0; i < rep->n_note; i++)
		free(rep->note[i]);
	free(rep->err);
	free(rep->note);
	memset(rep, 0, sizeof(*rep));
}

void
import_report_print(const struct import_report *rep, FILE *f)
{
	for (size_t i = 0; i < rep->n_note; i++)
		fprintf(f, "%s\n", rep->note[i]);
	for (size_t i = 0; i < rep->n_err; i++)
		fprintf(f, "%s\n", rep->err[i]);
	if (rep->more_err > 0)
		fprintf(f, "... and %zu more error%s\n", rep->more_err,
		    rep->more_err == 1 ? "" : "s");
}

/* ---- header -------------------------------------------------------- */

static const char *
field_name(const struct run *r, int f)
{
	return r->kind == IMPORT_STAFF ? staff_fields[f] : dev_fields[f];
}

/* "staff_id" or "staff_id (職員番号)" into out. */
static void
field_label(const struct run *r, int f, char *out, size_t outsz)
{
	const char *canon = field_name(r, f);
	const char *head = r->col_head[r->field_col[f]];

	if (strcmp(canon, head) == 0)
		snprintf(out, outsz, "%s", canon);
	else
		snprintf(out, outsz, "%s (%s)", canon, head);
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * table.h's CSV output puts an apostrophe before a cell a spreadsheet
 * would run as a formula ("'=1+2"); that apostrophe goes: one apostrophe
 * off a cell of apostrophes followed by '=', '+', '-' or '@'.
 */
static void
unguard(const char **s, size_t *len)
{
	size_t i = 0;

	while (i < *len && (*s)[i] == '\'')
		i++;
	if (i > 0 && i < *len && ((*s)[i] == '=' || (*s)[i] == '+' ||
	    (*s)[i] == '-' || (*s)[i] == '@')) {
		(*s)++;
		(*len)--;
	}
}

static int
map_header(struct run *r, const struct csv_record *h)
{
	int nfields = r->kind == IMPORT_STAFF ? F_NSTAFF : F_NDEV;
	struct buf ignored, missing;
	int bad = 0;

	buf_init(&ignored);
	buf_init(&missing);
	for (int f = 0; f < nfields; f++)
		r->field_col[f] = -1;
	r->ncols = h->n;
	for (size_t i = 0; i < h->n; i++) {
		const char *s = h->field[i];
		size_t len = h->len[i];
		int f;

		trim(&s, &len);
		if ((r->col_head[i] = strndup(s, len)) == NULL) {
			r->oom = 1;
			return -ENOMEM;
		}
		if (len == 0) {
			/* A column without a header (Excel's trailing comma
			 * after the last one): nothing to map or to name. */
			r->col_field[i] = -1;
			continue;
		}
		f = has_control(s, len) ? -1 : lookup(r->kind, s, len);
		r->col_field[i] = f;
		if (f < 0) {
			buf_printf(&ignored, "%s%s", ignored.len ? ", " : "",
			    has_control(s, len) ? "(control character)" :
			    r->col_head[i]);
			continue;
		}
		if (r->field_col[f] >= 0) {
			problem(r, h->line, "%s:%zu: columns \"%s\" and \"%s\" are both %s",
			    r->name, h->line, r->col_head[r->field_col[f]],
			    r->col_head[i], field_name(r, f));
			bad = 1;
			continue;
		}
		r->field_col[f] = (int)i;
	}
	if (r->kind == IMPORT_STAFF) {
		if (r->field_col[F_STAFF_ID] < 0)
			buf_printf(&missing, "staff_id");
		if (r->field_col[F_NAME] < 0)
			buf_printf(&missing, "%sname", missing.len ? ", " : "");
	} else if (r->field_col[D_NAME] < 0)
		buf_printf(&missing, "name");
	if (missing.len > 0) {
		problem(r, h->line, "%s:%zu: missing required column(s): %s",
		    r->name, h->line, buf_str(&missing));
		bad = 1;
	}
	if (ignored.len > 0 && !ignored.oom) {
		char *s;

		if (asprintf(&s, "%s:%zu: note: ignored column(s): %s", r->name,
		    h->line, buf_str(&ignored)) == -1 ||
		    list_add(&r->rep->note, &r->rep->n_note, s) < 0)
			r->oom = 1;
	}
	if (ignored.oom || missing.oom)
		r->oom = 1;
	buf_free(&ignored);
	buf_free(&missing);
	return bad ? -EINVAL : 0;
}

/* ---- rows ---------------------------------------------------------- */

/*
 * The cell for field f of rec, trimmed, copied into out (size outsz, the
 * record field's size + 1). Returns 0 when stored, -1 when a problem was
 * reported. check: a validator (NULL: free text of outsz - 1 bytes).
 */
static int
cell(struct run *r, const struct csv_record *rec, int f, int required,
    const char *(*check)(const char *), char *out, size_t outsz)
{
	char label[320];
	const char *s, *why;
	size_t len;
	int col = r->field_col[f];

	out[0] = '\0';
	if (col < 0 || (size_t)col >= rec->n) {
		s = "";
		len = 0;
	} else {
		s = rec->field[col];
		len = rec->len[col];
		trim(&s, &len);
		unguard(&s, &len);
	}
	if (len == 0) {
		if (!required)
			return 0;
		why = P_EMPTY;
	} else if (has_control(s, len))
		why = P_CTRL;
	else if (len > outsz - 1) {
		/* A fixed format says what it wants rather than a size. */
		if (check == importmap_check_pubkey)
			why = P_KEY;
		else if (check == importmap_check_device_name)
			why = P_HOST;
		else
			why = P_LONG;
	} else {
		memcpy(out, s, len);
		out[len] = '\0';
		why = check != NULL ? check(out) : NULL;
	}
	if (why == NULL)
		return 0;
	out[0] = '\0';
	field_label(r, f, label, sizeof(label));
	if (why == P_LONG)
		problem(r, rec->line, "%s:%zu: %s: too long (%zu bytes, at most %zu)",
		    r->name, rec->line, label, len, outsz - 1);
	else
		problem(r, rec->line, "%s:%zu: %s: %s", r->name, rec->line, label,
		    why);
	return -1;
}

static int
parse_disabled(const char *s, int *out)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "無効", "停止" };
	static const char *const no[] = { "0", "no", "n", "false", "有効" };

	for (size_t i = 0; i < nitems(yes); i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (size_t i = 0; i < nitems(no); i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

static const char *
check_disabled(const char *s)
{
	int d;

	return parse_disabled(s, &d) < 0 ? P_DIS : NULL;
}

static int
all_empty(const struct csv_record *rec)
{
	for (size_t i = 0; i < rec->n; i++) {
		const char *s = rec->field[i];
		size_t len = rec->len[i];

		trim(&s, &len);
		if (len > 0)
			return 0;
	}
	return 1;
}

/* Extra non-empty cells beyond the header: the row is shifted. */
static int
check_width(struct run *r, const struct csv_record *rec)
{
	size_t last = rec->n;

	while (last > r->ncols && rec->len[last - 1] == 0)
		last--;
	if (last <= r->ncols)
		return 0;
	problem(r, rec->line, "%s:%zu: row: %zu fields, the header has %zu",
	    r->name, rec->line, rec->n, r->ncols);
	return -1;
}

static void
staff_row(struct run *r, const struct csv_record *rec, struct staff_list *out)
{
	struct staff_rec s;
	int bad = 0;

	memset(&s, 0, sizeof(s));
	s.line = rec->line;
	bad |= check_width(r, rec);
	bad |= cell(r, rec, F_STAFF_ID, 1, importmap_check_staff_id, s.staff_id,
	    sizeof(s.staff_id));
	bad |= cell(r, rec, F_NAME, 1, NULL, s.name, sizeof(s.name));
	bad |= cell(r, rec, F_KANA, 0, NULL, s.kana, sizeof(s.kana));
	bad |= cell(r, rec, F_DEPT, 0, NULL, s.dept, sizeof(s.dept));
	bad |= cell(r, rec, F_ROLE, 0, NULL, s.role, sizeof(s.role));
	if (r->field_col[F_DISABLED] >= 0) {
		char tmp[64];

		if (cell(r, rec, F_DISABLED, 0, check_disabled, tmp,
		    sizeof(tmp)) < 0)
			bad = 1;
		else if (tmp[0] != '\0')
			(void)parse_disabled(tmp, &s.disabled);
	}
	if (bad || r->oom)
		return;
	if (reclist_staff_add(out, &s) < 0)
		r->oom = 1;
}

static void
device_row(struct run *r, const struct csv_record *rec, struct device_list *out)
{
	struct device_rec d;
	int bad = 0;

	memset(&d, 0, sizeof(d));
	d.line = rec->line;
	bad |= check_width(r, rec);
	bad |= cell(r, rec, D_NAME, 1, importmap_check_device_name, d.name,
	    sizeof(d.name));
	bad |= cell(r, rec, D_GROUP, 0, importmap_check_group, d.group,
	    sizeof(d.group));
	bad |= cell(r, rec, D_PUBKEY, 0, importmap_check_pubkey, d.pubkey,
	    sizeof(d.pubkey));
	bad |= cell(r, rec, D_ASSET, 0, NULL, d.asset, sizeof(d.asset));
	bad |= cell(r, rec, D_USER, 0, importmap_check_staff_id, d.user,
	    sizeof(d.user));
	if (bad || r->oom)
		return;
	if (reclist_device_add(out, &d) < 0)
		r->oom = 1;
}

/* ---- duplicates ---------------------------------------------------- */

struct keyref {
	const char	*key;
	size_t		 line;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = reclist_keycmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void
duplicates(struct run *r, struct keyref *k, size_t n, int f)
{
	char label[320];

	field_label(r, f, label, sizeof(label));
	qsort(k, n, sizeof(*k), keyref_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (reclist_keycmp(k[i].key, k[first].key) != 0) {
			first = i;
			continue;
		}
		problem(r, k[i].line, "%s:%zu: %s: duplicate, first on line %zu",
		    r->name, k[i].line, label, k[first].line);
	}
}

/* ---- the pipeline -------------------------------------------------- */

static int
run_import(const char *name, const char *data, size_t len, enum textenc enc,
    enum import_kind kind, void *out, struct import_report *rep)
{
	struct staff_list *sl = out;
	struct device_list *dl = out;
	struct csv_reader cr;
	struct csv_record rec;
	struct sk_error err;
	struct run r;
	char *text = NULL;
	size_t textlen, rows = 0;
	int rc, hdr = 0;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.kind = kind;
	r.rep = rep;

	if ((rc = textenc_decode(name, data, len, enc, &text, &textlen,
	    &rep->used, &err)) < 0) {
		problem(&r, 0, "%s", err.msg);
		goto done;
	}
	csv_reader_init(&cr, name, text, textlen);
	while ((rc = csv_read(&cr, &rec, &err)) == 1 && !r.oom) {
		if (!hdr) {
			hdr = 1;
			if (map_header(&r, &rec) < 0)
				break;
			continue;
		}
		if (all_empty(&rec))
			continue;
		if (++rows > IMPORT_ROWS_MAX) {
			problem(&r, rec.line, "%s:%zu: more than %d rows", name,
			    rec.line, IMPORT_ROWS_MAX);
			break;
		}
		if (kind == IMPORT_STAFF)
			staff_row(&r, &rec, sl);
		else
			device_row(&r, &rec, dl);
	}
	if (rc < 0)
		problem(&r, cr.line, "%s", err.msg);
	else if (!hdr)
		problem(&r, 0, "%s: empty file (no header row)", name);
	csv_reader_free(&cr);
	rep->rows = rows;

	/* Duplicate keys, only among rows that passed (a bad key is already
	 * reported). */
	if (r.pn == 0 && !r.oom) {
		size_t n = kind == IMPORT_STAFF ? sl->n : dl->n;
		struct keyref *k = n ? calloc(n, sizeof(*k)) : NULL;

		if (n && k == NULL)
			r.oom = 1;
		for (size_t i = 0; k != NULL && i < n; i++) {
			k[i].key = kind == IMPORT_STAFF ? sl->v[i].staff_id :
			    dl->v[i].name;
			k[i].line = kind == IMPORT_STAFF ? sl->v[i].line :
			    dl->v[i].line;
		}
		if (k != NULL)
			duplicates(&r, k, n, kind == IMPORT_STAFF ? F_STAFF_ID :
			    D_NAME);
		free(k);
	}
done:
	if (r.oom) {
		for (size_t i = 0; i < r.pn; i++)
			free(r.pv[i].text);
		r.pn = 0;
		problem(&r, 0, "%s: out of memory", name);
	}
	finish_problems(&r);
	for (size_t i = 0; i < r.ncols; i++)
		free(r.col_head[i]);
	if (text != NULL) {
		wipe(text, textlen);
		free(text);
	}
	if (rep->n_err == 0 && !r.oom)
		return 0;
	if (kind == IMPORT_STAFF)
		reclist_staff_free(sl);
	else
		reclist_device_free(dl);
	return r.oom ? -ENOMEM : -EINVAL;
}

int
importmap_staff(const char *name, const char *data, size_t len,
    enum textenc enc, struct staff_list *out, struct import_report *rep)
{
	return run_import(name, data, len, enc, IMPORT_STAFF, out, rep);
}

int
importmap_devices(const char *name, const char *data, size_t len,
    enum textenc enc, struct device_list *out, struct import_report *rep)
{
	return run_import(name, data, len, enc, IMPORT_DEVICES, out, rep);
}

static int
from_file(const char *path, enum textenc enc, enum import_kind kind,
    void *out, struct import_report *rep)
{
	struct sk_error err;
	char *data, *s;
	size_t len;
	int rc;

	if ((rc = csv_file_read(path, &data, &len, &err)) < 0) {
		memset(rep, 0, sizeof(*rep));
		if ((s = strdup(err.msg)) == NULL ||
		    list_add(&rep->err, &rep->n_err, s) < 0)
			return -ENOMEM;
		return rc;
	}
	rc = run_import(path, data, len, enc, kind, out, rep);
	free(data);
	return rc;
}

int
importmap_staff_file(const char *path, enum textenc enc,
    struct staff_list *out, struct import_report *rep)
{
	return from_file(path, enc, IMPORT_STAFF, out, rep);
}

int
importmap_devices_file(const char *path, enum textenc enc,
    struct device_list *out, struct import_report *rep)
{
	return from_file(path, enc, IMPORT_DEVICES, out, rep);
}
