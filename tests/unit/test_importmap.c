/* Unit tests of sekisho-provision's import mapping (importmap.h): headers
 * in Japanese and English, every error class with its exact message, and
 * one bad row importing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/reclist.h"

#define KEY1 "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define KEY2 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

/* All errors of an import joined by "\n". */
static char *
errors_of(const struct import_report *rep)
{
	struct buf b;
	char *s;

	buf_init(&b);
	for (size_t i = 0; i < rep->n_err; i++)
		buf_printf(&b, "%s%s", i ? "\n" : "", rep->err[i]);
	if (rep->more_err)
		buf_printf(&b, "\n+%zu", rep->more_err);
	s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

static void
staff_fails(const char *csv, const char *want)
{
	struct staff_list l = { 0 };
	struct import_report rep;
	char *got;

	assert_int_equal(importmap_staff("s.csv", csv, strlen(csv), TEXTENC_AUTO,
	    &l, &rep), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	got = errors_of(&rep);
	assert_string_equal(got, want);
	free(got);
	import_report_free(&rep);
}

static void
devices_fail(const char *csv, const char *want)
{
	struct device_list l = { 0 };
	struct import_report rep;
	char *got;

	assert_int_equal(importmap_devices("d.csv", csv, strlen(csv),
	    TEXTENC_AUTO, &l, &rep), -EINVAL);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	got = errors_of(&rep);
	assert_string_equal(got, want);
	free(got);
	import_report_free(&rep);
}

static void
test_staff_japanese(void **state)
{
	/* A note with a line break moves the next record to line 6. */
	static const char csv[] =
	    "職員番号,氏名,フリガナ,所属,,役職,備考,内線\r\n"
	    "S0001,山田 太郎,ヤマダ タロウ,総務課,x,課長,,1234\r\n"
	    ",,,,,,,\r\n"
	    "S0002,\"佐藤, 花子\",サトウ ハナコ,税務課,,,\"異動予定\r\n4月\",\r\n"
	    "\r\n"
	    "S0003, 髙橋 一郎 ,,,,,,\r\n";
	struct staff_list l = { 0 };
	struct import_report rep;

	(void)state;
	assert_int_equal(importmap_staff("s.csv", csv, sizeof(csv) - 1,
	    TEXTENC_AUTO, &l, &rep), 0);
	assert_int_equal(rep.n_err, 0);
	assert_int_equal(rep.used, TEXTENC_UTF8);
	assert_int_equal(rep.n_note, 1);
	assert_string_equal(rep.note[0],
	    "s.csv:1: note: ignored column(s): 備考, 内線");
	assert_int_equal(rep.rows, 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].staff_id, "S0001");
	assert_string_equal(l.v[0].name, "山田 太郎");
	assert_string_equal(l.v[0].kana, "ヤマダ タロウ");
	assert_string_equal(l.v[0].dept, "総務課");
	assert_string_equal(l.v[0].role, "課長");
	assert_int_equal(l.v[0].disabled, 0);
	assert_int_equal(l.v[0].line, 2);
	assert_string_equal(l.v[1].name, "佐藤, 花子");
	assert_int_equal(l.v[1].line, 4);
	assert_string_equal(l.v[2].name, "髙橋 一郎");
	assert_int_equal(l.v[2].line, 7);
	import_report_free(&rep);
	reclist_staff_free(&l);
}

static void
test_staff_english_cp932(void **state)
{
	/* "Staff ID" in full-width letters, "Name", "kana", "Department",
	 * "ROLE", "disabled", in CP932 with 山田 (8e 52 93 63). */
	static const char csv[] =
	    "\x82\x72\x82\x94\x82\x81\x82\x86\x82\x86\x81\x40\x82\x68\x82\x63,"
	    "Name, kana ,Department,ROLE,disabled\r\n"
	    "s1,\x8e\x52\x93\x63,,,,\x96\xb3\x8c\xf8\r\n"
	    "s2,Bob,,,,0\r\n";
	struct staff_list l = { 0 };
	struct import_report rep;

	(void)state;
	assert_int_equal(importmap_staff("s.csv", csv, sizeof(csv) - 1,
	    TEXTENC_AUTO, &l, &rep), 0);
	assert_int_equal(rep.used, TEXTENC_CP932);
	assert_int_equal(rep.n_note, 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].staff_id, "s1");
	assert_string_equal(l.v[0].name, "山田");
	assert_int_equal(l.v[0].disabled, 1);
	assert_int_equal(l.v[1].disabled, 0);
	import_report_free(&rep);
	reclist_staff_free(&l);
}

static void
test_header_names(void **state)
{
	static const struct {
		enum import_kind k;
		const char *h, *f;
	} v[] = {
		{ IMPORT_STAFF, "職員番号", "staff_id" },
		{ IMPORT_STAFF, "職員ＩＤ", "staff_id" },
		{ IMPORT_STAFF, "staff id", "staff_id" },
		{ IMPORT_STAFF, "Staff_ID", "staff_id" },
		{ IMPORT_STAFF, "氏名", "name" },
		{ IMPORT_STAFF, "名前", "name" },
		{ IMPORT_STAFF, "カナ", "kana" },
		{ IMPORT_STAFF, "氏名（カナ）", "kana" },
		{ IMPORT_STAFF, "フリガナ", "kana" },
		{ IMPORT_STAFF, "部署", "dept" },
		{ IMPORT_STAFF, "役職", "role" },
		{ IMPORT_DEVICES, "端末名", "name" },
		{ IMPORT_DEVICES, "ホスト名", "name" },
		{ IMPORT_DEVICES, "コンピュータ名", "name" },
		{ IMPORT_DEVICES, "Host Name", "name" },
		{ IMPORT_DEVICES, "ＰＣ名", "name" },
		{ IMPORT_DEVICES, "グループ", "group" },
		{ IMPORT_DEVICES, "公開鍵", "pubkey" },
		{ IMPORT_DEVICES, "public_key", "pubkey" },
		{ IMPORT_DEVICES, "資産番号", "asset" },
		{ IMPORT_DEVICES, "利用者", "user" },
		{ IMPORT_DEVICES, "使用者", "user" },
		{ IMPORT_DEVICES, "　利用者　", "user" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(v); i++) {
		const char *f = importmap_header_field(v[i].k, v[i].h);

		assert_non_null(f);
		assert_string_equal(f, v[i].f);
	}
	assert_null(importmap_header_field(IMPORT_STAFF, "備考"));
	assert_null(importmap_header_field(IMPORT_DEVICES, "氏名"));
}

static void
test_devices(void **state)
{
	static const char csv[] =
	    "端末名,グループ,公開鍵,資産番号,利用者\n"
	    "pc-0001,soumu," KEY1 ",A-123,S0001\n"
	    "PC-0002,,,,\n";
	struct device_list l = { 0 };
	struct import_report rep;

	(void)state;
	assert_int_equal(importmap_devices("d.csv", csv, sizeof(csv) - 1,
	    TEXTENC_AUTO, &l, &rep), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "pc-0001");
	assert_string_equal(l.v[0].group, "soumu");
	assert_string_equal(l.v[0].pubkey, KEY1);
	assert_string_equal(l.v[0].asset, "A-123");
	assert_string_equal(l.v[0].user, "S0001");
	assert_string_equal(l.v[1].pubkey, "");
	assert_string_equal(l.v[1].group, "");
	import_report_free(&rep);
	reclist_device_free(&l);
}

/* Every error class, each with its exact text; the good rows around the
 * bad one are not imported either. */
static void
test_staff_errors(void **state)
{
	char csv[2048], longname[300];

	(void)state;
	staff_fails("職員番号,氏名\r\nS1,山田\r\n,佐藤\r\nS3,鈴木\r\n",
	    "s.csv:3: staff_id (職員番号): empty");
	staff_fails("staff_id,name\nS1,\nS2,x\n", "s.csv:2: name: empty");
	staff_fails("staff_id,name\nS 1,x\n",
	    "s.csv:2: staff_id: bad staff id (letters, digits, '.', '_', '-')");
	staff_fails("staff_id,name\n山田,x\n",
	    "s.csv:2: staff_id: bad staff id (letters, digits, '.', '_', '-')");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	snprintf(csv, sizeof(csv), "staff_id,name\nS1,%s\n", longname);
	staff_fails(csv, "s.csv:2: name: too long (256 bytes, at most 255)");
	staff_fails("staff_id,name\nS1,a\tb\n", "s.csv:2: name: control character");
	staff_fails("staff_id,name\nS1,\"a\r\nb\"\n",
	    "s.csv:2: name: control character");
	staff_fails("staff_id,name\nS1,a\xc2\x85z\n",
	    "s.csv:2: name: control character");
	staff_fails("staff_id,name\nS1,x\nS2,y\ns1,z\nS2,w\n",
	    "s.csv:4: staff_id: duplicate, first on line 2\n"
	    "s.csv:5: staff_id: duplicate, first on line 3");
	staff_fails("staff_id,name,disabled\nS1,x,maybe\n",
	    "s.csv:2: disabled: bad disabled value (1/0, yes/no, true/false, 無効/有効)");
	staff_fails("staff_id,name\nS1,x,extra\n",
	    "s.csv:2: row: 3 fields, the header has 2");
	/* Several problems in one file: all reported, in line order. */
	staff_fails("職員番号,氏名,所属\n,,総務課\nS2,\x01,\n",
	    "s.csv:2: staff_id (職員番号): empty\n"
	    "s.csv:2: name (氏名): empty\n"
	    "s.csv:3: name (氏名): control character");
}

static void
test_file_errors(void **state)
{
	(void)state;
	staff_fails("", "s.csv: empty file (no header row)");
	staff_fails("氏名,所属\nx,y\n",
	    "s.csv:1: missing required column(s): staff_id");
	staff_fails("備考\nx\n",
	    "s.csv:1: missing required column(s): staff_id, name");
	staff_fails("職員番号,氏名,名前\n1,x,y\n",
	    "s.csv:1: columns \"氏名\" and \"名前\" are both name");
	/* Invalid in UTF-8 and in CP932 (a lead byte and a space). */
	staff_fails("staff_id,name\nS1,x\nS2,\x81\x20\n",
	    "s.csv:3: invalid CP932 byte sequence");
	staff_fails("staff_id,name\nS1,\"x\nS2,y\n",
	    "s.csv:2: unterminated quoted field");
	devices_fail("端末名\n\"pc\"1\n", "d.csv:2: text after a closing quote");
}

static void
test_forced_utf8(void **state)
{
	static const char csv[] = "staff_id,name\nS1,\x8e\x52\x93\x63\n";
	struct staff_list l = { 0 };
	struct import_report rep;

	(void)state;
	assert_int_equal(importmap_staff("s.csv", csv, sizeof(csv) - 1,
	    TEXTENC_UTF8, &l, &rep), -EINVAL);
	assert_int_equal(rep.n_err, 1);
	assert_string_equal(rep.err[0], "s.csv:2: invalid UTF-8 byte sequence");
	import_report_free(&rep);
}

static void
test_device_errors(void **state)
{
	(void)state;
	devices_fail("name\n-pc\n", "d.csv:2: name: bad device name (hostname: "
	    "letters, digits, '-', at most 63, no '-' at either end)");
	devices_fail("name\npc_1\n", "d.csv:2: name: bad device name (hostname: "
	    "letters, digits, '-', at most 63, no '-' at either end)");
	devices_fail("ホスト名\npc.example\n", "d.csv:2: name (ホスト名): bad device "
	    "name (hostname: letters, digits, '-', at most 63, no '-' at either end)");
	devices_fail("name,pubkey\npc1,abc\n",
	    "d.csv:2: pubkey: bad WireGuard public key (base64 of 32 bytes)");
	devices_fail("name,pubkey\npc1,"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	    "d.csv:2: pubkey: bad WireGuard public key (base64 of 32 bytes)");
	devices_fail("name,pubkey\npc1," KEY2 "x\n",
	    "d.csv:2: pubkey: bad WireGuard public key (base64 of 32 bytes)");
	devices_fail("name,group\npc1,総務\n",
	    "d.csv:2: group: bad group name (letters, digits, '.', '_', '-')");
	devices_fail("name,user\npc1,a b\n",
	    "d.csv:2: user: bad staff id (letters, digits, '.', '_', '-')");
	devices_fail("端末名\npc1\nPC1\n",
	    "d.csv:3: name (端末名): duplicate, first on line 2");
}

/* More problems than the cap: the first IMPORT_ERRORS_MAX are kept, the
 * rest counted. */
static void
test_error_cap(void **state)
{
	struct staff_list l = { 0 };
	struct import_report rep;
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_printf(&b, "staff_id,name\n");
	for (int i = 0; i < 250; i++)
		buf_printf(&b, "S%d,\n", i);
	assert_int_equal(importmap_staff("s.csv", b.p, b.len, TEXTENC_AUTO, &l,
	    &rep), -EINVAL);
	assert_int_equal(rep.n_err, IMPORT_ERRORS_MAX);
	assert_int_equal(rep.more_err, 150);
	assert_string_equal(rep.err[0], "s.csv:2: name: empty");
	assert_string_equal(rep.err[99], "s.csv:101: name: empty");
	import_report_free(&rep);
	buf_free(&b);
}

static void
test_validators(void **state)
{
	(void)state;
	assert_null(importmap_check_staff_id("S-0001_a.b"));
	assert_string_equal(importmap_check_staff_id(""), "empty");
	assert_null(importmap_check_device_name("pc-0001"));
	assert_null(importmap_check_device_name(
	    "a23456789012345678901234567890123456789012345678901234567890123"));
	assert_non_null(importmap_check_device_name(
	    "a234567890123456789012345678901234567890123456789012345678901234"));
	assert_null(importmap_check_pubkey(""));
	assert_null(importmap_check_pubkey(KEY1));
	assert_string_equal(importmap_check_text("a\nb", 10), "control character");
	assert_string_equal(importmap_check_text("abc", 2), "too long");
}

/* 20,000 rows: the shape the bench imports (timing lives in the bench). */
static void
test_many_rows(void **state)
{
	struct staff_list l = { 0 };
	struct import_report rep;
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_printf(&b, "職員番号,氏名,カナ,所属,役職\r\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&b, "S%05d,山田 太郎%d,ヤマダ タロウ,総務課,主事\r\n", i, i);
	assert_int_equal(importmap_staff("s.csv", b.p, b.len, TEXTENC_AUTO, &l,
	    &rep), 0);
	assert_int_equal(l.n, 20000);
	assert_int_equal(l.v[19999].line, 20001);
	import_report_free(&rep);
	reclist_staff_free(&l);
	buf_free(&b);
}

/* From a file: CP932 with CRLF; a file that is not there. */
static void
test_from_file(void **state)
{
	static const char csv[] =
	    "\x90\x45\x88\xf5\x94\xd4\x8d\x86,\x8e\x81\x96\xbc\r\n"
	    "1,\x8e\x52\x93\x63\x91\xbe\x98\x59\r\n";
	char path[] = "/tmp/test_importmap.XXXXXX";
	struct staff_list l = { 0 };
	struct import_report rep;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, csv, sizeof(csv) - 1), sizeof(csv) - 1);
	close(fd);
	assert_int_equal(importmap_staff_file(path, TEXTENC_AUTO, &l, &rep), 0);
	assert_int_equal(rep.used, TEXTENC_CP932);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "山田太郎");
	import_report_free(&rep);
	reclist_staff_free(&l);
	unlink(path);
	assert_int_equal(importmap_staff_file(path, TEXTENC_AUTO, &l, &rep),
	    -ENOENT);
	assert_int_equal(rep.n_err, 1);
	assert_non_null(strstr(rep.err[0], ": No such file or directory"));
	assert_int_equal(l.n, 0);
	import_report_free(&rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staff_japanese),
		cmocka_unit_test(test_staff_english_cp932),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_staff_errors),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_forced_utf8),
		cmocka_unit_test(test_device_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_from_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
