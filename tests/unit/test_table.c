/* Unit tests of sekisho-provision's tables (table.h): display widths of
 * Japanese text, alignment, JSON types, CSV in UTF-8 and CP932. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/reclist.h"
#include "provisioning/sekisho-provision/table.h"

/* Prints t into a malloc'd string. */
static char *
render(const struct table *t, enum table_fmt fmt, enum textenc enc, int *rc,
    struct sk_error *err)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	assert_non_null(f);
	*rc = table_print(t, fmt, enc, f, err);
	fclose(f);
	return p;
}

static void
test_widths(void **state)
{
	(void)state;
	assert_int_equal(table_width("abc"), 3);
	assert_int_equal(table_width("山田 太郎"), 9);
	assert_int_equal(table_width("ヤマダ"), 6);
	assert_int_equal(table_width("ｶﾅ"), 2);		/* half-width kana */
	assert_int_equal(table_width("ＡＢ"), 4);		/* full-width letters */
	assert_int_equal(table_width("か\xe3\x82\x99"), 2);	/* combining voiced mark */
	assert_int_equal(table_width("𠀋"), 2);		/* plane 2 kanji */
	assert_int_equal(table_width("é"), 1);
	assert_int_equal(table_width("\xff"), 1);
	assert_int_equal(table_cp_width(0x3000), 2);
	assert_int_equal(table_cp_width(0x0301), 0);
}

static const struct table_col cols[] = {
	{ "id", NULL, TABLE_STR, 0 },
	{ "name", NULL, TABLE_STR, 0 },
	{ "n", "count", TABLE_INT, 1 },
	{ "off", "disabled", TABLE_BOOL, 0 },
};

static struct table *
sample(void)
{
	struct table *t = table_new(cols, nitems(cols));
	const char *r1[] = { "S1", "山田 太郎", "12", "0" };
	const char *r2[] = { "S0002", "Bob", "7", "1" };
	const char *r3[] = { "S3", "a\tb", "", NULL };

	assert_non_null(t);
	assert_int_equal(table_add(t, r1), 0);
	assert_int_equal(table_add(t, r2), 0);
	assert_int_equal(table_add(t, r3), 0);
	assert_int_equal(table_rows(t), 3);
	return t;
}

static void
test_text(void **state)
{
	struct table *t = sample();
	struct sk_error err;
	char *s;
	int rc;

	(void)state;
	s = render(t, TABLE_TEXT, TEXTENC_AUTO, &rc, &err);
	assert_int_equal(rc, 0);
	/* 山田 太郎 is 9 columns wide: "Bob" is padded to 9; the tab shows
	 * as '?'. */
	assert_string_equal(s,
	    "id     name        n  off\n"
	    "-----  ---------  --  ---\n"
	    "S1     山田 太郎  12  0\n"
	    "S0002  Bob         7  1\n"
	    "S3     a?b            \n");
	free(s);
	table_free(t);
}

static void
test_json(void **state)
{
	struct table *t = sample();
	struct sk_error err;
	char *s;
	int rc;

	(void)state;
	s = render(t, TABLE_JSON, TEXTENC_AUTO, &rc, &err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(s, "\"name\": \"山田 太郎\""));
	assert_non_null(strstr(s, "\"count\": 12"));
	assert_non_null(strstr(s, "\"disabled\": true"));
	assert_non_null(strstr(s, "\"disabled\": false"));
	assert_non_null(strstr(s, "\"count\": null"));
	assert_non_null(strstr(s, "\"name\": \"a\\tb\""));
	free(s);
	table_free(t);
}

static void
test_csv_out(void **state)
{
	struct table *t = sample();
	struct sk_error err;
	char *s;
	int rc;

	(void)state;
	s = render(t, TABLE_CSV, TEXTENC_UTF8, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "id,name,n,off\r\nS1,山田 太郎,12,0\r\n"
	    "S0002,Bob,7,1\r\nS3,a\tb,,\r\n");
	free(s);
	s = render(t, TABLE_CSV, TEXTENC_CP932, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(s, "id,name,n,off\r\nS1,\x8e\x52\x93\x63 "
	    "\x91\xbe\x98\x59,12,0\r\nS0002,Bob,7,1\r\nS3,a\tb,,\r\n");
	free(s);
	table_free(t);
}

static void
test_csv_cp932_unmappable(void **state)
{
	struct table *t = table_new(cols, nitems(cols));
	const char *r1[] = { "S1", "ok", "1", "0" };
	const char *r2[] = { "S2", "smile 😀", "1", "0" };
	struct sk_error err;
	char *s;
	int rc;

	(void)state;
	assert_int_equal(table_add(t, r1), 0);
	assert_int_equal(table_add(t, r2), 0);
	s = render(t, TABLE_CSV, TEXTENC_CP932, &rc, &err);
	assert_int_equal(rc, -EILSEQ);
	assert_string_equal(err.msg,
	    "row 2 (S2): name: character U+1F600 has no CP932 form");
	/* Nothing written. */
	assert_string_equal(s, "");
	free(s);
	table_free(t);
}

/* user list --csv reads back with user import: the same rows. */
static void
test_staff_roundtrip(void **state)
{
	static const char csv[] =
	    "職員番号,氏名,カナ,所属,役職\r\n"
	    "S1,\"山田, 太郎\",ヤマダ タロウ,総務課,\"課長 \"\"代理\"\"\"\r\n"
	    "S2,髙橋 一郎,,,\r\n"
	    "S3,\"=HYPERLINK(\"\"http://x\"\")\",@SUM(A1),-,+81\r\n"
	    "-S4,'''=x,'a,'',o'=k\r\n";
	struct staff_list a = { 0 }, b = { 0 };
	struct import_report rep;
	struct sk_error err;
	struct table *t;
	char *out;
	int rc;

	(void)state;
	assert_int_equal(importmap_staff("s.csv", csv, sizeof(csv) - 1,
	    TEXTENC_AUTO, &a, &rep), 0);
	import_report_free(&rep);
	assert_non_null(t = table_from_staff(&a));
	out = render(t, TABLE_CSV, TEXTENC_CP932, &rc, &err);
	assert_int_equal(rc, 0);
	/* Formulas are shown, not run, in a spreadsheet. */
	assert_non_null(strstr(out, "\r\nS3,\"'=HYPERLINK(\"\"http://x\"\")\","
	    "'@SUM(A1),'-,'+81,0\r\n"));
	assert_non_null(strstr(out, "\r\n'-S4,'''=x,'a,'',o'=k,0\r\n"));
	assert_int_equal(importmap_staff("l.csv", out, strlen(out), TEXTENC_AUTO,
	    &b, &rep), 0);
	assert_int_equal(rep.used, TEXTENC_CP932);
	assert_int_equal(b.n, a.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.v[i].staff_id, b.v[i].staff_id);
		assert_string_equal(a.v[i].name, b.v[i].name);
		assert_string_equal(a.v[i].kana, b.v[i].kana);
		assert_string_equal(a.v[i].dept, b.v[i].dept);
		assert_string_equal(a.v[i].role, b.v[i].role);
		assert_int_equal(a.v[i].disabled, b.v[i].disabled);
	}
	import_report_free(&rep);
	free(out);
	table_free(t);
	reclist_staff_free(&a);
	reclist_staff_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_csv_out),
		cmocka_unit_test(test_csv_cp932_unmappable),
		cmocka_unit_test(test_staff_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
