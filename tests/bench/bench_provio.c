/*
 * sekisho-provision's input and output parts, in process (tests/bench/
 * provision-io.sh prints the figures): the whole import (decode, frame,
 * map, validate, duplicates) of 20,000 staff rows in UTF-8 and in CP932,
 * of 20,000 device rows with public keys, and `user list --csv --encoding
 * cp932` of 20,000 rows. Prints "NAME MS" lines, best of BENCH_ROUNDS (5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/encode.h"
#include "lib/util.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/reclist.h"
#include "provisioning/sekisho-provision/table.h"
#include "provisioning/sekisho-provision/textenc.h"

#define ROWS 20000

static double
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
fail(const char *what, const struct import_report *rep)
{
	fprintf(stderr, "bench-provio: %s failed\n", what);
	if (rep != NULL)
		import_report_print(rep, stderr);
	exit(1);
}

int
main(void)
{
	static const char *fam[] = { "山田", "佐藤", "鈴木", "髙橋", "田中" };
	static const char *kana[] = { "ヤマダ", "サトウ", "スズキ", "タカハシ", "タナカ" };
	const char *env = getenv("BENCH_ROUNDS");
	int rounds = env != NULL ? atoi(env) : 5;
	double best_u = 1e9, best_c = 1e9, best_d = 1e9, best_o = 1e9;
	struct textenc_out *te;
	struct import_report rep;
	struct staff_list sl = { 0 };
	struct device_list dl = { 0 };
	struct sk_error err;
	struct buf u, c, d;
	uint32_t bad;

	buf_init(&u);
	buf_init(&c);
	buf_init(&d);
	buf_printf(&u, "職員番号,氏名,フリガナ,所属,役職,備考\r\n");
	for (int i = 0; i < ROWS; i++)
		buf_printf(&u, "S%05d,%s 太郎%d,%s タロウ,\"総務部, 総務課\",主事,\r\n",
		    i, fam[i % 5], i, kana[i % 5]);
	buf_printf(&d, "端末名,グループ,公開鍵,資産番号,利用者\r\n");
	for (int i = 0; i < ROWS; i++) {
		uint8_t key[KEY_LEN];
		char b64[KEY_B64_LEN];

		memset(key, 0, sizeof(key));
		memcpy(key, &i, sizeof(i));
		key[31] = 1;
		key_to_b64(b64, key);
		buf_printf(&d, "pc-%05d,soumu,%s,A-%05d,S%05d\r\n", i, b64, i, i);
	}
	if ((te = textenc_out_open(TEXTENC_CP932, &err)) == NULL ||
	    textenc_out_conv(te, u.p, u.len, &c, &bad) < 0)
		fail("CP932 conversion", NULL);
	textenc_out_close(te);
	if (u.oom || c.oom || d.oom)
		fail("allocation", NULL);

	for (int r = 0; r < rounds; r++) {
		struct table *t;
		FILE *devnull;
		double t0;

		t0 = ms();
		if (importmap_staff("u.csv", u.p, u.len, TEXTENC_AUTO, &sl, &rep) < 0 ||
		    sl.n != ROWS)
			fail("staff import (UTF-8)", &rep);
		if (ms() - t0 < best_u)
			best_u = ms() - t0;
		import_report_free(&rep);

		t0 = ms();
		if ((t = table_from_staff(&sl)) == NULL ||
		    (devnull = fopen("/dev/null", "w")) == NULL ||
		    table_print(t, TABLE_CSV, TEXTENC_CP932, devnull, &err) < 0)
			fail("list --csv --encoding cp932", NULL);
		fclose(devnull);
		table_free(t);
		if (ms() - t0 < best_o)
			best_o = ms() - t0;
		reclist_staff_free(&sl);

		t0 = ms();
		if (importmap_staff("c.csv", c.p, c.len, TEXTENC_AUTO, &sl, &rep) < 0 ||
		    sl.n != ROWS || rep.used != TEXTENC_CP932)
			fail("staff import (CP932)", &rep);
		if (ms() - t0 < best_c)
			best_c = ms() - t0;
		import_report_free(&rep);
		reclist_staff_free(&sl);

		t0 = ms();
		if (importmap_devices("d.csv", d.p, d.len, TEXTENC_AUTO, &dl, &rep) < 0 ||
		    dl.n != ROWS)
			fail("device import", &rep);
		if (ms() - t0 < best_d)
			best_d = ms() - t0;
		import_report_free(&rep);
		reclist_device_free(&dl);
	}
	printf("import_20000_staff_utf8_ms %.1f\n", best_u);
	printf("import_20000_staff_cp932_ms %.1f\n", best_c);
	printf("import_20000_devices_ms %.1f\n", best_d);
	printf("list_csv_cp932_20000_ms %.1f\n", best_o);
	buf_free(&u);
	buf_free(&c);
	buf_free(&d);
	return 0;
}
