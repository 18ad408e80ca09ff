/* Unit tests of sekisho-provision's CSV reader and writer (csv.h) and its
 * text encodings (textenc.h). CP932 test bytes are written as escapes. */
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
#include "provisioning/sekisho-provision/csv.h"
#include "provisioning/sekisho-provision/textenc.h"

/* Reads all of s into a printable form: "L:a|b;L:c" (line, fields). */
static int
read_all(const char *s, size_t len, char *out, size_t outsz,
    struct sk_error *err)
{
	struct csv_reader r;
	struct csv_record rec;
	size_t o = 0;
	int rc;

	out[0] = '\0';
	csv_reader_init(&r, "t.csv", s, len);
	while ((rc = csv_read(&r, &rec, err)) == 1) {
		o += (size_t)snprintf(out + o, outsz - o, "%s%zu:", o ? ";" : "",
		    rec.line);
		for (size_t i = 0; i < rec.n; i++)
			o += (size_t)snprintf(out + o, outsz - o, "%s%s",
			    i ? "|" : "", rec.field[i]);
	}
	csv_reader_free(&r);
	return rc;
}

static void
test_csv_simple(void **state)
{
	struct sk_error err;
	char out[512];

	(void)state;
	assert_int_equal(read_all("a,b\r\nc,d\r\n", 10, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:a|b;2:c|d");
	/* LF rows, no newline at the end, a lone CR. */
	assert_int_equal(read_all("a,b\nc,d", 7, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:a|b;2:c|d");
	assert_int_equal(read_all("a\rb\r", 4, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:a;2:b");
	/* Empty fields; a blank line in the middle is one empty field. */
	assert_int_equal(read_all(",,\r\n\r\nx\r\n", 9, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:||;2:;3:x");
	/* Nothing at all: no record. */
	assert_int_equal(read_all("", 0, out, sizeof(out), &err), 0);
	assert_string_equal(out, "");
}

static void
test_csv_quoted(void **state)
{
	static const char in[] =
	    "\"x,y\",\"he said \"\"hi\"\"\",\"line1\r\nline2\"\r\n"
	    "next,\"\"\r\n"
	    "\"a\nb\nc\",d\n"
	    "last\r\n";
	struct sk_error err;
	char out[512];

	(void)state;
	assert_int_equal(read_all(in, sizeof(in) - 1, out, sizeof(out), &err), 0);
	/* The record after a quoted line break starts on the physical line
	 * after it: 1 (two lines), 3, 4 (three lines), 7. */
	assert_string_equal(out, "1:x,y|he said \"hi\"|line1\r\nline2;3:next|;"
	    "4:a\nb\nc|d;7:last");
}

static void
test_csv_nul_and_lengths(void **state)
{
	static const char in[] = "a\0b,\"c\0\"\r\n";
	struct csv_reader r;
	struct csv_record rec;
	struct sk_error err;

	(void)state;
	csv_reader_init(&r, "t.csv", in, sizeof(in) - 1);
	assert_int_equal(csv_read(&r, &rec, &err), 1);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.len[0], 3);
	assert_memory_equal(rec.field[0], "a\0b", 3);
	assert_int_equal(rec.len[1], 2);
	assert_int_equal(csv_read(&r, &rec, &err), 0);
	csv_reader_free(&r);
}

static void
expect_error(const char *in, const char *msg)
{
	struct sk_error err;
	char out[512];

	assert_int_equal(read_all(in, strlen(in), out, sizeof(out), &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void
test_csv_errors(void **state)
{
	char *big;
	size_t n;

	(void)state;
	expect_error("a\r\n\"open,b\r\nc\r\n", "t.csv:2: unterminated quoted field");
	expect_error("a\r\nb\"c\r\n", "t.csv:2: quote inside an unquoted field");
	expect_error("\"a\"b\r\n", "t.csv:1: text after a closing quote");
	expect_error("\"a\" ,b\r\n", "t.csv:1: text after a closing quote");

	/* A field of CSV_FIELD_MAX bytes passes, one more does not. */
	n = CSV_FIELD_MAX + 1;
	big = malloc(n + 3);
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	expect_error(big, "t.csv:1: field longer than 4096 bytes");
	big[n - 1] = '\0';
	{
		struct sk_error err;
		char out[8];

		/* (out is too small for the text, snprintf truncates) */
		assert_int_equal(read_all(big, n - 1, out, sizeof(out), &err), 0);
	}
	free(big);

	/* CSV_FIELDS_MAX fields pass, one more does not. */
	big = malloc(2 * (CSV_FIELDS_MAX + 1) + 1);
	assert_non_null(big);
	for (size_t i = 0; i < CSV_FIELDS_MAX + 1; i++) {
		big[2 * i] = 'x';
		big[2 * i + 1] = ',';
	}
	big[2 * (CSV_FIELDS_MAX + 1) - 1] = '\0';
	expect_error(big, "t.csv:1: more than 256 fields");
	free(big);

	/* 20 fields of 4000 bytes: longer than a record may be. */
	n = 20 * 4001;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'y', n);
	for (size_t i = 1; i < 20; i++)
		big[i * 4001 - 1] = ',';
	big[n] = '\0';
	expect_error(big, "t.csv:1: record longer than 65536 bytes");
	free(big);
}

static void
test_csv_writer(void **state)
{
	const char *f[] = { "plain", "a,b", "say \"x\"", "two\r\nlines", " pad",
	    "", "山田 太郎" };
	struct buf b;

	(void)state;
	buf_init(&b);
	csv_write_record(&b, f, nitems(f));
	assert_string_equal(buf_str(&b), "plain,\"a,b\",\"say \"\"x\"\"\","
	    "\"two\r\nlines\",\" pad\",,山田 太郎\r\n");
	buf_free(&b);
}

/* Write then read gives the same fields, on fields made of the bytes
 * that matter to the format. */
static void
test_csv_roundtrip(void **state)
{
	static const char alphabet[] = { 'a', ',', '"', '\r', '\n', ' ', '\t',
	    '\0', 'z' };
	uint32_t seed = 12345;
	char fields[8][16];
	size_t flen[8];

	(void)state;
	for (int iter = 0; iter < 2000; iter++) {
		struct buf b;
		struct csv_reader r;
		struct csv_record rec;
		struct sk_error err;
		size_t nrec = 1 + iter % 3, nf = 1 + (size_t)iter % 8;

		buf_init(&b);
		for (size_t k = 0; k < nrec; k++) {
			if (k > 0)
				b.len -= 0;	/* records back to back */
			for (size_t i = 0; i < nf; i++) {
				seed = seed * 1103515245 + 12345;
				flen[i] = (seed >> 16) % 16;
				for (size_t j = 0; j < flen[i]; j++) {
					seed = seed * 1103515245 + 12345;
					fields[i][j] = alphabet[(seed >> 16) %
					    sizeof(alphabet)];
				}
				if (i > 0)
					buf_printf(&b, ",");
				csv_write_field(&b, fields[i], flen[i]);
			}
			buf_printf(&b, "\r\n");
		}
		assert_false(b.oom);
		csv_reader_init(&r, "rt", b.p, b.len);
		for (size_t k = 0; k < nrec; k++) {
			assert_int_equal(csv_read(&r, &rec, &err), 1);
			assert_int_equal(rec.n, nf);
			/* Only the last record's fields are remembered. */
			if (k + 1 == nrec)
				for (size_t i = 0; i < nf; i++) {
					assert_int_equal(rec.len[i], flen[i]);
					assert_memory_equal(rec.field[i], fields[i],
					    flen[i]);
				}
		}
		assert_int_equal(csv_read(&r, &rec, &err), 0);
		csv_reader_free(&r);
		buf_free(&b);
	}
}


static void
test_csv_file_read(void **state)
{
	char path[] = "/tmp/test_csv.XXXXXX", want[160];
	struct sk_error err;
	char *data;
	size_t len;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, "a,b\r\n", 5), 5);
	assert_int_equal(csv_file_read(path, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "a,b\r\n");
	free(data);
	/* One byte over the limit (a sparse file: nothing is written). */
	assert_int_equal(ftruncate(fd, (off_t)CSV_FILE_MAX + 1), 0);
	assert_int_equal(csv_file_read(path, &data, &len, &err), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 64 MiB", path);
	assert_string_equal(err.msg, want);
	close(fd);
	unlink(path);
	assert_int_equal(csv_file_read("/tmp", &data, &len, &err), -EINVAL);
	assert_string_equal(err.msg, "/tmp: not a regular file");
	assert_int_equal(csv_file_read("/nonexistent.csv", &data, &len, &err),
	    -ENOENT);
	assert_string_equal(err.msg, "/nonexistent.csv: No such file or directory");
}

/* ---- textenc ------------------------------------------------------- */

/* 職員番号,氏名 / 1,山田太郎 / 2,ｶﾅ in CP932. */
static const char cp932_file[] =
    "\x90\x45\x88\xf5\x94\xd4\x8d\x86,\x8e\x81\x96\xbc\r\n"
    "1,\x8e\x52\x93\x63\x91\xbe\x98\x59\r\n"
    "2,\xb6\xc5\r\n";
static const char utf8_file[] =
    "職員番号,氏名\r\n1,山田太郎\r\n2,ｶﾅ\r\n";

static void
test_textenc_detect(void **state)
{
	struct sk_error err;
	enum textenc used;
	char *out, bom[64];
	size_t len;

	(void)state;
	/* CP932 found and converted. */
	assert_int_equal(textenc_decode("s.csv", cp932_file, sizeof(cp932_file) - 1,
	    TEXTENC_AUTO, &out, &len, &used, &err), 0);
	assert_int_equal(used, TEXTENC_CP932);
	assert_string_equal(out, utf8_file);
	free(out);
	/* UTF-8 as it is. */
	assert_int_equal(textenc_decode("s.csv", utf8_file, sizeof(utf8_file) - 1,
	    TEXTENC_AUTO, &out, &len, &used, &err), 0);
	assert_int_equal(used, TEXTENC_UTF8);
	assert_string_equal(out, utf8_file);
	free(out);
	/* A BOM is dropped. */
	snprintf(bom, sizeof(bom), "\xef\xbb\xbf%s", utf8_file);
	assert_int_equal(textenc_decode("s.csv", bom, strlen(bom), TEXTENC_AUTO,
	    &out, &len, &used, &err), 0);
	assert_int_equal(used, TEXTENC_UTF8);
	assert_string_equal(out, utf8_file);
	assert_int_equal(len, sizeof(utf8_file) - 1);
	free(out);
	/* Forced CP932 on ASCII. */
	assert_int_equal(textenc_decode("s.csv", "a,b\n", 4, TEXTENC_CP932, &out,
	    &len, &used, &err), 0);
	assert_int_equal(used, TEXTENC_CP932);
	assert_string_equal(out, "a,b\n");
	free(out);
	/* CP932's own mapping of 0x8160 (FULLWIDTH TILDE), NEC's circled 1. */
	assert_int_equal(textenc_decode("s.csv", "\x81\x60\x87\x40", 4,
	    TEXTENC_CP932, &out, &len, &used, &err), 0);
	assert_string_equal(out, "～①");
	free(out);
}

static void
test_textenc_errors(void **state)
{
	struct sk_error err;
	char *out = NULL;
	size_t len;

	(void)state;
	/* CP932 bytes forced as UTF-8: the line of the first bad byte. */
	assert_int_equal(textenc_decode("s.csv", cp932_file, sizeof(cp932_file) - 1,
	    TEXTENC_UTF8, &out, &len, NULL, &err), -EILSEQ);
	assert_string_equal(err.msg, "s.csv:1: invalid UTF-8 byte sequence");
	assert_null(out);
	assert_int_equal(textenc_decode("s.csv", "ok\nfine\n\xe5\x90\r\n", 11,
	    TEXTENC_UTF8, &out, &len, NULL, &err), -EILSEQ);
	assert_string_equal(err.msg, "s.csv:3: invalid UTF-8 byte sequence");
	/* Overlong, surrogate, beyond U+10FFFF. */
	assert_int_equal(textenc_utf8_valid("\xc0\xaf", 2, NULL), 0);
	assert_int_equal(textenc_utf8_valid("\xe0\x80\xaf", 3, NULL), 0);
	assert_int_equal(textenc_utf8_valid("\xed\xa0\x80", 3, NULL), 0);
	assert_int_equal(textenc_utf8_valid("\xf4\x90\x80\x80", 4, NULL), 0);
	assert_int_equal(textenc_utf8_valid("\xf0\x9f\x98\x80", 4, NULL), 1);
	/* Not CP932 either: a lead byte without its trail, on line 2. */
	assert_int_equal(textenc_decode("s.csv", "a\nb\x81\x20\n", 6, TEXTENC_AUTO,
	    &out, &len, NULL, &err), -EILSEQ);
	assert_string_equal(err.msg, "s.csv:2: invalid CP932 byte sequence");
	/* A lead byte cut off at the end of the file. */
	assert_int_equal(textenc_decode("s.csv", "a\n\x8e", 3, TEXTENC_CP932,
	    &out, &len, NULL, &err), -EILSEQ);
	assert_string_equal(err.msg, "s.csv:2: invalid CP932 byte sequence");
}

static void
test_textenc_out(void **state)
{
	struct textenc_out *t;
	struct sk_error err;
	struct buf b;
	uint32_t bad = 0;

	(void)state;
	assert_non_null(t = textenc_out_open(TEXTENC_CP932, &err));
	buf_init(&b);
	assert_int_equal(textenc_out_conv(t, "山田太郎", strlen("山田太郎"), &b,
	    &bad), 0);
	assert_string_equal(buf_str(&b), "\x8e\x52\x93\x63\x91\xbe\x98\x59");
	/* WAVE DASH as Unix writes it becomes CP932's 0x8160. */
	b.len = 0;
	assert_int_equal(textenc_out_conv(t, "\xe3\x80\x9c", 3, &b, &bad), 0);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.p, "\x81\x60", 2);
	/* No CP932 form: the code point is named, nothing is appended. */
	b.len = 0;
	assert_int_equal(textenc_out_conv(t, "ab\xf0\x9f\x98\x80", 6, &b, &bad),
	    -EILSEQ);
	assert_int_equal(bad, 0x1f600);
	assert_int_equal(b.len, 0);
	/* Invalid UTF-8 input. */
	assert_int_equal(textenc_out_conv(t, "\xff", 1, &b, &bad), -EINVAL);
	buf_free(&b);
	textenc_out_close(t);
}

static void
test_textenc_parse(void **state)
{
	enum textenc e;

	(void)state;
	assert_int_equal(textenc_parse("UTF-8", &e), 0);
	assert_int_equal(e, TEXTENC_UTF8);
	assert_int_equal(textenc_parse("cp932", &e), 0);
	assert_int_equal(e, TEXTENC_CP932);
	assert_int_equal(textenc_parse("Shift_JIS", &e), 0);
	assert_int_equal(e, TEXTENC_CP932);
	assert_int_equal(textenc_parse("auto", &e), 0);
	assert_int_equal(e, TEXTENC_AUTO);
	assert_int_equal(textenc_parse("latin1", &e), -EINVAL);
	assert_string_equal(textenc_name(TEXTENC_CP932), "cp932");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_simple),
		cmocka_unit_test(test_csv_quoted),
		cmocka_unit_test(test_csv_nul_and_lengths),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_csv_writer),
		cmocka_unit_test(test_csv_roundtrip),
		cmocka_unit_test(test_csv_file_read),
		cmocka_unit_test(test_textenc_detect),
		cmocka_unit_test(test_textenc_errors),
		cmocka_unit_test(test_textenc_out),
		cmocka_unit_test(test_textenc_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
