/* Unit tests of bundle distribution (docs/distribution.md): the wire codec
 * at its offsets and every refusal with its exact message; the server's
 * decision on a real directory (newer, nothing newer, unknown device, and
 * every file it must not serve); sekishod's fetch timers; and sekishod's
 * handling of the fetch helper's exit, run against stand-in helpers (the
 * helper itself, with the real server, is tests/integration/70-distribution.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agency/sekisho-bundle-server/dist_serve.h"
#include "lib/proto/dist_wire.h"
#include "lib/buf.h"
#include "lib/encode.h"
#include "lib/util.h"
#include "netvm/sekishod/control.h"
#include "tests/unit/status_wire.h"
#include "netvm/sekishod/fetcher.h"
#include "netvm/sekishod/freshness.h"
#include "netvm/sekishod/timers.h"
#include "policy/bundle.h"

#define T0	UINT64_C(1767225600)
#define GWPUB	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define POLICY_(serial) \
	"version 1\nserial " serial "\n" \
	"device {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/k\"\n}\n" \
	"gateway gw {\n\tendpoint 192.0.2.10:51820\n\tpublic-key \"" GWPUB "\"\n}\n" \
	"lgwan {\n\tprefix 10.64.0.0/16\n\tresolver 10.64.0.53\n}\n" \
	"work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"

static const uint8_t dev[32] = { 0xfb, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

/* ---- the wire ---------------------------------------------------------- */

static void
test_request_layout(void **state)
{
	struct dist_request r = { .version = 2, .serial = UINT64_C(0x0102030405060708) },
	    back;
	uint8_t b[DIST_REQ_LEN];

	(void)state;
	memcpy(r.device, dev, 32);
	dist_request_encode(b, &r);
	assert_memory_equal(b, "SKBQ\x02", 5);
	assert_memory_equal(b + 5, dev, 32);
	assert_memory_equal(b + 37, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(dist_request_decode(b, sizeof(b), &back, NULL), 0);
	assert_memory_equal(back.device, dev, 32);
	assert_true(back.serial == r.serial && back.version == 2);
	/* Version 1, from laptops not yet upgraded: the same layout. */
	r.version = 1;
	dist_request_encode(b, &r);
	assert_memory_equal(b, "SKBQ\x01", 5);
	assert_int_equal(dist_request_decode(b, sizeof(b), &back, NULL), 0);
	assert_int_equal(back.version, 1);
}

static void
expect_req(const uint8_t *b, size_t n, const char *msg)
{
	struct dist_request r;
	struct sk_error err;

	memset(&r, 0xee, sizeof(r));
	assert_int_equal(dist_request_decode(b, n, &r, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
	assert_int_equal(r.device[0], 0xee);	/* untouched */
}

static void
test_request_refusals(void **state)
{
	struct dist_request r = { .version = 2, .serial = 7 };
	uint8_t b[DIST_REQ_LEN + 1], c[DIST_REQ_LEN + 1];

	(void)state;
	memcpy(r.device, dev, 32);
	dist_request_encode(b, &r);
	b[DIST_REQ_LEN] = 0;
	expect_req(b, 0, "truncated request: 0 of 45 bytes");
	expect_req(b, 44, "truncated request: 44 of 45 bytes");
	expect_req(b, 46, "request longer than 45 bytes");
	memcpy(c, b, sizeof(c));
	c[3] = 'R';
	expect_req(c, 45, "bad magic, expected \"SKBQ\"");
	memcpy(c, b, sizeof(c));
	c[4] = 3;
	expect_req(c, 45, "unsupported version 3, this build speaks versions 1 and 2");
	c[4] = 0;
	expect_req(c, 45, "unsupported version 0, this build speaks versions 1 and 2");
	memcpy(c, b, sizeof(c));
	memset(c + 5, 0, 32);
	expect_req(c, 45, "device key is all zero");
	memcpy(c, b, sizeof(c));
	c[37] = 0x80;
	memset(c + 38, 0, 7);
	expect_req(c, 45, "serial 9223372036854775808 out of range, expected 0 to "
	    "9223372036854775807");
	/* The bounds themselves pass. */
	c[37] = 0x7f;
	memset(c + 38, 0xff, 7);
	assert_int_equal(dist_request_decode(c, 45, &r, NULL), 0);
	assert_true(r.serial == INT64_MAX);
	memset(c + 37, 0, 8);
	assert_int_equal(dist_request_decode(c, 45, &r, NULL), 0);
	assert_true(r.serial == 0);
}

static void
expect_resp_v(uint8_t version, uint8_t status, uint32_t len, const char *msg)
{
	struct dist_response r = { version, status, len };
	uint8_t b[DIST_RESP_HDR_LEN];
	struct sk_error err;

	dist_response_encode(b, &r);
	if (msg == NULL) {
		memset(&r, 0, sizeof(r));
		assert_int_equal(dist_response_decode(b, sizeof(b), &r, &err), 0);
		assert_int_equal(r.status, status);
		assert_int_equal(r.len, len);
		assert_int_equal(r.version, version);
		return;
	}
	assert_int_equal(dist_response_decode(b, sizeof(b), &r, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void
expect_resp(uint8_t status, uint32_t len, const char *msg)
{
	expect_resp_v(DIST_VERSION, status, len, msg);
}

static void
test_response(void **state)
{
	struct dist_response r = { 2, DIST_NEWER, 0x01020304 };
	uint8_t b[DIST_RESP_HDR_LEN + 1] = { 0 };
	struct sk_error err;

	(void)state;
	dist_response_encode(b, &r);
	assert_memory_equal(b, "SKBR\x02\x00\x01\x02\x03\x04", 10);
	expect_resp(DIST_NEWER, 155, NULL);
	expect_resp(DIST_NEWER, 4194462, NULL);
	expect_resp(DIST_NOTHING_NEWER, 0, NULL);
	expect_resp(DIST_NOTHING_NEWER, 150, NULL);	/* a freshness statement */
	expect_resp(DIST_UNKNOWN_DEVICE, 0, NULL);
	expect_resp(DIST_NEWER, 154, "bundle length 154 out of range, expected 155 to 4194462");
	expect_resp(DIST_NEWER, 4194463,
	    "bundle length 4194463 out of range, expected 155 to 4194462");
	expect_resp(DIST_NEWER, UINT32_MAX,
	    "bundle length 4294967295 out of range, expected 155 to 4194462");
	expect_resp(DIST_NOTHING_NEWER, 1, "status 1 with length 1, expected 0 or 150");
	expect_resp(DIST_NOTHING_NEWER, 149, "status 1 with length 149, expected 0 or 150");
	expect_resp(DIST_NOTHING_NEWER, 151, "status 1 with length 151, expected 0 or 150");
	expect_resp(DIST_UNKNOWN_DEVICE, 10, "status 2 with length 10, expected 0");
	expect_resp(DIST_UNKNOWN_DEVICE, 150, "status 2 with length 150, expected 0");
	/* Version 1: nothing follows "nothing newer". */
	expect_resp_v(1, DIST_NOTHING_NEWER, 0, NULL);
	expect_resp_v(1, DIST_NEWER, 155, NULL);
	expect_resp_v(1, DIST_NOTHING_NEWER, 150, "status 1 with length 150, expected 0");
	expect_resp(3, 0, "unknown status 3, expected 0, 1 or 2");
	expect_resp(255, 0, "unknown status 255, expected 0, 1 or 2");
	assert_int_equal(dist_response_decode(b, 9, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "truncated response header: 9 of 10 bytes");
	assert_int_equal(dist_response_decode(b, 11, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "response header longer than 10 bytes");
	memcpy(b, "HTTP/1.0 2", 10);
	assert_int_equal(dist_response_decode(b, 10, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "bad magic, expected \"SKBR\"");
	memcpy(b, "SKBR\x00\x01\0\0\0\0", 10);
	assert_int_equal(dist_response_decode(b, 10, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "unsupported version 0, this build speaks versions 1 and 2");
}

static void
test_device_name(void **state)
{
	char name[DIST_NAME_LEN], b64[KEY_B64_LEN];

	(void)state;
	dist_device_name(name, dev);
	key_to_b64(b64, dev);
	assert_int_equal(strlen(name), 44);
	assert_non_null(strchr(b64, '+'));
	assert_non_null(strchr(b64, '/'));
	for (size_t i = 0; i < 44; i++)
		assert_int_equal(name[i], b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i]);
}

/* ---- the server's decision ------------------------------------------------ */

struct dir {
	char path[64], file[160];
	uint8_t *b5;		/* serial 5 for dev */
	size_t n5;
};

static int
dir_setup(void **state)
{
	static const uint8_t seed[32] = { 42 };
	struct dir *d = calloc(1, sizeof(*d));
	struct bundle_signer s;
	char name[DIST_NAME_LEN];

	strcpy(d->path, "/tmp/test_dist.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	dist_device_name(name, dev);
	snprintf(d->file, sizeof(d->file), "%s/%s", d->path, name);
	assert_int_equal(bundle_signer_init(&s, seed, NULL), 0);
	assert_int_equal(bundle_sign(&s, "p", POLICY_("5"), strlen(POLICY_("5")), dev, T0,
	    3600, &d->b5, &d->n5, NULL), 0);
	bundle_signer_free(&s);
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	assert_int_equal(system(cmd), 0);
	free(d->b5);
	free(d);
	return 0;
}

static void
put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static enum dist_verdict
ask_v(const struct dir *d, uint8_t version, uint64_t serial, size_t budget,
    struct dist_answer *a)
{
	struct dist_request r = { .version = version, .serial = serial };

	memcpy(r.device, dev, 32);
	return dist_serve(d->path, &r, budget, a);
}

static enum dist_verdict
ask(const struct dir *d, uint64_t serial, size_t budget, struct dist_answer *a)
{
	return ask_v(d, DIST_VERSION, serial, budget, a);
}

static void
test_serve(void **state)
{
	struct dir *d = *state;
	struct dist_answer a;
	struct dist_response r;
	char msg[600];

	/* No file: unknown device. */
	assert_int_equal(ask(d, 0, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	assert_int_equal(dist_response_decode(a.out, a.len, &r, NULL), 0);
	assert_int_equal(r.status, DIST_UNKNOWN_DEVICE);
	snprintf(msg, sizeof(msg), "unknown device (no %s)", d->file);
	assert_string_equal(a.line, msg);
	dist_answer_free(&a);

	/* Serial 5 held: newer for 4 (the file's very bytes), not for 5 or 6. */
	put(d->file, d->b5, d->n5);
	assert_int_equal(ask(d, 4, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN + d->n5);
	assert_int_equal(dist_response_decode(a.out, DIST_RESP_HDR_LEN, &r, NULL), 0);
	assert_int_equal(r.status, DIST_NEWER);
	assert_int_equal(r.len, d->n5);
	assert_memory_equal(a.out + DIST_RESP_HDR_LEN, d->b5, d->n5);
	snprintf(msg, sizeof(msg), "newer: serial 5, %zu bytes", d->n5);
	assert_string_equal(a.line, msg);
	dist_answer_free(&a);
	for (uint64_t s = 5; s <= 6; s++) {
		assert_int_equal(ask(d, s, 1 << 20, &a), DIST_SEND);
		assert_int_equal(dist_response_decode(a.out, a.len, &r, NULL), 0);
		assert_int_equal(r.status, DIST_NOTHING_NEWER);
		assert_string_equal(a.line, s == 5 ?
		    "nothing newer (holds serial 5); no freshness statement (none)" :
		    "nothing newer (holds serial 5)");
		dist_answer_free(&a);
	}
	/* In version 1, the same answer, in version 1. */
	assert_int_equal(ask_v(d, 1, 4, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.out[4], 1);
	dist_answer_free(&a);
	assert_int_equal(ask_v(d, 1, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	assert_memory_equal(a.out, "SKBR\x01\x01\0\0\0\0", 10);
	assert_string_equal(a.line, "nothing newer (holds serial 5)");
	dist_answer_free(&a);

	/* Over the memory budget: not answered. */
	assert_int_equal(ask(d, 4, d->n5 - 1, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "busy: %zu bytes would exceed the memory budget", d->n5);
	assert_string_equal(a.line, msg);
	assert_null(a.out);
}

static void
test_serve_refusals(void **state)
{
	struct dir *d = *state;
	struct dist_answer a;
	char msg[600], other[200];
	uint8_t *b = malloc(d->n5);

	/* Not a bundle. */
	put(d->file, "version 1\n", 10);
	assert_int_equal(ask(d, 0, 1 << 20, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "%s: unsigned: a plain policy file, not a signed bundle",
	    d->file);
	assert_string_equal(a.line, msg);
	/* Made for another device (the device field changed). */
	memcpy(b, d->b5, d->n5);
	b[26] ^= 1;
	put(d->file, b, d->n5);
	assert_int_equal(ask(d, 0, 1 << 20, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "%s: made for another device", d->file);
	assert_string_equal(a.line, msg);
	/* Too large (sparse). */
	assert_int_equal(truncate(d->file, DIST_BODY_MAX + 1), 0);
	assert_int_equal(ask(d, 0, (size_t)1 << 30, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "%s: 4194463 bytes, a bundle has at most 4194462", d->file);
	assert_string_equal(a.line, msg);
	/* A symbolic link, even to a good bundle. */
	unlink(d->file);
	snprintf(other, sizeof(other), "%s/good", d->path);
	put(other, d->b5, d->n5);
	assert_int_equal(symlink(other, d->file), 0);
	assert_int_equal(ask(d, 0, 1 << 20, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "%s: a symbolic link, not served", d->file);
	assert_string_equal(a.line, msg);
	/* A directory. */
	unlink(d->file);
	assert_int_equal(mkdir(d->file, 0700), 0);
	assert_int_equal(ask(d, 0, 1 << 20, &a), DIST_FAIL);
	snprintf(msg, sizeof(msg), "%s: not a regular file", d->file);
	assert_string_equal(a.line, msg);
	rmdir(d->file);
	free(b);
}

/* The agency's freshness statement beside the bundle (NAME.fresh): sent
 * with "nothing newer" to a version 2 request for exactly the serial it
 * speaks of; anything else about it, no statement, and the line says why. */
static void
test_serve_statement(void **state)
{
	static const uint8_t seed[32] = { 42 };
	struct dir *d = *state;
	struct bundle_signer s;
	struct dist_answer a;
	struct dist_response r;
	uint8_t st[FRESH_LEN], other[FRESH_LEN];
	char fpath[256];

	assert_int_equal(bundle_signer_init(&s, seed, NULL), 0);
	assert_int_equal(fresh_sign(&s, 5, T0 + 60, dev, st, NULL), 0);
	assert_int_equal(fresh_sign(&s, 4, T0 + 60, dev, other, NULL), 0);
	bundle_signer_free(&s);
	put(d->file, d->b5, d->n5);
	snprintf(fpath, sizeof(fpath), "%s.fresh", d->file);
	put(fpath, st, sizeof(st));
	assert_int_equal(ask(d, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN + FRESH_LEN);
	assert_int_equal(dist_response_decode(a.out, DIST_RESP_HDR_LEN, &r, NULL), 0);
	assert_true(r.status == DIST_NOTHING_NEWER && r.len == FRESH_LEN);
	assert_memory_equal(a.out + DIST_RESP_HDR_LEN, st, FRESH_LEN);
	assert_string_equal(a.line, "nothing newer (holds serial 5); freshness statement "
	    "signed at 1767225660");
	dist_answer_free(&a);
	/* Not to a device above the serial held, nor in version 1. */
	assert_int_equal(ask(d, 6, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	dist_answer_free(&a);
	assert_int_equal(ask_v(d, 1, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	dist_answer_free(&a);
	/* A statement about another serial (the cron is behind): none. */
	put(fpath, other, sizeof(other));
	assert_int_equal(ask(d, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	assert_string_equal(a.line, "nothing newer (holds serial 5); no freshness "
	    "statement (it speaks of another serial)");
	dist_answer_free(&a);
	/* Not a statement: none, with the decoder's line. */
	put(fpath, st, sizeof(st) - 1);
	assert_int_equal(ask(d, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	assert_string_equal(a.line, "nothing newer (holds serial 5); no freshness "
	    "statement (statement: freshness statement of 149 bytes, expected 150)");
	dist_answer_free(&a);
	/* A symbolic link: none. */
	unlink(fpath);
	assert_int_equal(symlink(d->file, fpath), 0);
	assert_int_equal(ask(d, 5, 1 << 20, &a), DIST_SEND);
	assert_int_equal(a.len, DIST_RESP_HDR_LEN);
	assert_string_equal(a.line, "nothing newer (holds serial 5); no freshness "
	    "statement (Too many levels of symbolic links)");
	dist_answer_free(&a);
	unlink(fpath);
	unlink(d->file);
}

/* ---- the policy's age (freshness.c) ------------------------------------------ */

#define W0	UINT64_C(1767225600)	/* wall clock, unix s */
#define B0	UINT64_C(5000000)	/* CLOCK_BOOTTIME, ms */

static void
test_fresh_age(void **state)
{
	struct freshness f = { 0 };

	(void)state;
	/* Signed 100 s before now, max age 3600: 3500 s left; expires at
	 * exactly 3600 s of age, not a second before. */
	fresh_bundle(&f, 5, 3600, W0 - 100, W0, B0);
	assert_true(fresh_age_s(&f, W0, B0) == 100);
	assert_true(fresh_left_s(&f, W0, B0) == 3500);
	assert_false(fresh_is_expired(&f, W0 + 3499, B0 + 3499000));
	assert_true(fresh_is_expired(&f, W0 + 3500, B0 + 3500000));
	assert_int_equal(fresh_update(&f, W0 + 3499, B0 + 3499000), 0);
	assert_int_equal(fresh_update(&f, W0 + 3500, B0 + 3500000), 1);
	assert_true(f.expired);
	assert_int_equal(fresh_update(&f, W0 + 3501, B0 + 3501000), 0);	/* said once */
	/* The wall clock set back by a day: the boot clock still counts. */
	assert_true(fresh_is_expired(&f, W0 - 86400, B0 + 3500000));
	assert_true(fresh_age_s(&f, W0 - 86400, B0 + 3500000) == 3600);
	/* Set forward: it ends sooner (fail closed), never later. */
	fresh_bundle(&f, 5, 3600, W0 - 100, W0, B0);
	assert_true(fresh_is_expired(&f, W0 + 3500, B0 + 1000));
	/* A clock behind the signed time: the age is 0, never negative, and
	 * runs on the boot clock. */
	fresh_bundle(&f, 5, 3600, W0 + 1000, W0, B0);
	assert_true(fresh_age_s(&f, W0, B0) == 0);
	assert_true(fresh_age_s(&f, W0 + 10, B0 + 3600000) == 3600);
	/* Format 1: never. */
	fresh_bundle(&f, 5, 0, 0, W0, B0);
	assert_false(fresh_is_expired(&f, UINT64_MAX / 2, UINT64_MAX / 2));
	assert_true(fresh_left_s(&f, W0, B0) == UINT64_MAX);
}

static void
test_fresh_statements(void **state)
{
	struct freshness f = { 0 };

	(void)state;
	fresh_bundle(&f, 5, 3600, W0 - 4000, W0, B0);
	assert_int_equal(fresh_update(&f, W0, B0), 1);
	assert_true(f.expired && !f.by_statement);
	/* A statement signed now: fresh again, the age counts from it. */
	assert_int_equal(fresh_statement(&f, W0 - 10, W0, B0), 0);
	assert_true(f.by_statement && f.signed_at == W0 - 10);
	assert_int_equal(fresh_update(&f, W0, B0), 1);
	assert_false(f.expired);
	assert_true(fresh_left_s(&f, W0, B0) == 3590);
	/* Replayed, or older: refused, nothing moves. */
	assert_int_equal(fresh_statement(&f, W0 - 10, W0 + 5, B0 + 5000), -1);
	assert_int_equal(fresh_statement(&f, W0 - 4000, W0 + 5, B0 + 5000), -1);
	assert_true(f.signed_at == W0 - 10 && f.base_boot_ms == B0);
	/* A newer bundle starts from its own time. */
	fresh_bundle(&f, 6, 7200, W0 - 1, W0, B0);
	assert_true(f.serial == 6 && !f.by_statement && fresh_left_s(&f, W0, B0) == 7199);
}

/* ---- sekishod's timers ----------------------------------------------------- */

static void
test_fetch_timers(void **state)
{
	struct timers t;
	uint64_t lo = UINT64_MAX, hi = 0;

	(void)state;
	timers_on_start(&t, 1000);
	assert_true(t.at[T_FETCH] == 0);
	timers_on_fetch_started(&t, 1000, FETCH_TIMEOUT_MS);
	assert_true(t.at[T_FETCH_DEADLINE] == 1000 + FETCH_TIMEOUT_MS);
	for (uint32_t r = 0; r < 200000; r += 7) {
		timers_on_fetch_done(&t, 1000, 3600 * 1000, 0, r * 2654435761u);
		assert_true(t.at[T_FETCH_DEADLINE] == 0);
		lo = t.at[T_FETCH] < lo ? t.at[T_FETCH] : lo;
		hi = t.at[T_FETCH] > hi ? t.at[T_FETCH] : hi;
	}
	/* 3600 s, give or take a fifth, and the spread is used. */
	assert_true(lo >= 1000 + 2880000 && hi < 1000 + 4320000);
	assert_true(lo < 1000 + 2900000 && hi > 1000 + 4300000);
	/* A failure: within a minute, jittered too. */
	timers_on_fetch_done(&t, 1000, 3600 * 1000, 1, 0);
	assert_true(t.at[T_FETCH] == 1000 + 48000);
	timers_on_fetch_done(&t, 1000, 10 * 1000, 1, 0);
	assert_true(t.at[T_FETCH] == 1000 + 8000);
	timers_on_fetch_off(&t);
	assert_true(t.at[T_FETCH] == 0 && t.at[T_FETCH_DEADLINE] == 0);
	/* Only the periodic timers are left: the table check comes first. */
	assert_int_equal(timers_timeout(&t, 2000),
	    (TABLE_CHECK_MS < TUNNEL_POLL_MS ? TABLE_CHECK_MS : TUNNEL_POLL_MS) - 1000);
}

/* ---- sekishod's side of a fetch, with stand-in helpers ------------------------ */

struct run {
	char dir[64], helper[128], incoming[128];
	struct fetcher f;
};

static void
helper_script(struct run *r, const char *body)
{
	FILE *f = fopen(r->helper, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(r->helper, 0700), 0);
}

/* Runs the fetch to its end as sekishod's loop would: read the line until
 * its end, reap the helper. */
static enum fetch_outcome
run_fetch(struct run *r, const char *body)
{
	struct fetch_args a = { .device = dev, .serial = 4, .mark = 0x5e1,
	    .incoming = r->incoming, .via = "the tunnel" };
	struct pollfd pfd;
	int status;
	pid_t pid;

	a.server.sin_family = AF_INET;
	a.server.sin_port = htons(51830);
	a.server.sin_addr.s_addr = htonl(0x0a400009);
	helper_script(r, body);
	fetch_init(&r->f, r->helper);
	assert_int_equal(fetch_start(&r->f, &a, 0), 0);
	assert_true(fetch_running(&r->f));
	assert_int_equal(fetch_start(&r->f, &a, 0), -EBUSY);	/* never two */
	while (fetch_pollfd(&r->f, &pfd)) {
		assert_true(poll(&pfd, 1, 5000) == 1);
		fetch_read(&r->f);
	}
	assert_int_equal(fetch_finish(&r->f, r->incoming), FETCH_RUNNING);
	pid = waitpid(r->f.pid, &status, 0);
	assert_int_equal(fetch_reaped(&r->f, pid, status), 1);
	return fetch_finish(&r->f, r->incoming);
}

static int
run_setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	strcpy(r->dir, "/tmp/test_fetch.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->helper, sizeof(r->helper), "%s/helper", r->dir);
	snprintf(r->incoming, sizeof(r->incoming), "%s/bundle.new", r->dir);
	*state = r;
	return 0;
}

static int
run_teardown(void **state)
{
	struct run *r = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
	return 0;
}

/* Only the helper and, at most, the incoming file: no temporary left. */
static int
files_in(const struct run *r)
{
	char cmd[160];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", r->dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void
test_fetch_outcomes(void **state)
{
	struct run *r = *state;
	struct stat st;
	char buf[160] = { 0 };
	FILE *f;

	/* The arguments it is given, and a bundle written to standard output. */
	assert_int_equal(run_fetch(r, "echo \"$*\" > $0.args; printf BUNDLE; exit 0"),
	    FETCH_NEWER);
	assert_int_equal(stat(r->incoming, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(r->f.size, 6);
	assert_non_null(f = fopen(r->incoming, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "BUNDLE");
	snprintf(buf, sizeof(buf), "%s.args", r->helper);
	assert_non_null(f = fopen(buf, "r"));
	{
		char args[256], b64[KEY_B64_LEN], want[256];

		assert_non_null(fgets(args, sizeof(args), f));
		key_to_b64(b64, dev);
		snprintf(want, sizeof(want), "-s 10.64.0.9:51830 -k %s -n 4 -m 1505 -t %u\n",
		    b64, FETCH_HELPER_TIMEOUT_MS);
		assert_string_equal(args, want);
	}
	fclose(f);
	unlink(buf);
	assert_int_equal(files_in(r), 2);
	assert_false(fetch_running(&r->f));

	/* Nothing newer: no file, the incoming one untouched. */
	assert_int_equal(run_fetch(r, "exit 3"), FETCH_NONE);
	assert_int_equal(stat(r->incoming, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(files_in(r), 2);
	unlink(r->incoming);

	/* Nothing newer, with a statement: its bytes in memory (at most one
	 * more than a statement), no file left, the incoming path untouched. */
	assert_int_equal(run_fetch(r, "head -c 150 /dev/zero | tr '\\0' S; exit 4"),
	    FETCH_STATEMENT);
	assert_int_equal(r->f.statement_len, 150);
	assert_int_equal(r->f.statement[0], 'S');
	assert_int_equal(r->f.statement[149], 'S');
	assert_int_equal(files_in(r), 1);
	assert_int_equal(run_fetch(r, "head -c 400 /dev/zero; exit 4"), FETCH_STATEMENT);
	assert_int_equal(r->f.statement_len, FETCH_STATEMENT_MAX);
	assert_int_equal(files_in(r), 1);

	/* An error: what it wrote, raw, for the engine to read and refuse
	 * (eng_parse_fetch, test_engproc: not one printable line); a
	 * half-written bundle is thrown away. */
	assert_int_equal(run_fetch(r, "printf PARTIAL; printf '10.64.0.9:51830: bad\\033[31m\\n"
	    "second line\\n' >&2; exit 1"), FETCH_ERROR);
	assert_int_equal(r->f.len, 38);
	assert_memory_equal(r->f.line, "10.64.0.9:51830: bad\033[31m\nsecond line\n", 38);
	assert_int_equal(files_in(r), 1);
	assert_int_equal(run_fetch(r, "exit 1"), FETCH_ERROR);
	assert_string_equal(r->f.line, "10.64.0.9:51830: the fetch helper failed (exit status 1)");
	assert_int_equal(run_fetch(r, "kill -9 $$"), FETCH_ERROR);
	assert_string_equal(r->f.line, "10.64.0.9:51830: the fetch helper died of signal 9");
	/* A newer bundle claimed, but the exit says otherwise: nothing stored. */
	assert_int_equal(run_fetch(r, "printf BUNDLE; exit 2"), FETCH_ERROR);
	assert_int_equal(files_in(r), 1);
}

static void
test_fetch_stop(void **state)
{
	struct run *r = *state;
	struct fetch_args a = { .device = dev, .serial = 4, .incoming = r->incoming,
	    .via = "the tunnel" };
	int status;
	pid_t pid;

	a.server.sin_family = AF_INET;
	a.server.sin_port = htons(51830);
	helper_script(r, "printf PART; exec sleep 30");
	fetch_init(&r->f, r->helper);
	assert_int_equal(fetch_start(&r->f, &a, 0), 0);
	pid = r->f.pid;
	fetch_stop(&r->f);
	assert_false(fetch_running(&r->f));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(fetch_reaped(&r->f, pid, status), 0);	/* no longer ours */
	assert_int_equal(files_in(r), 1);
	/* A missing helper: the spawn fails or the child cannot exec. */
	fetch_init(&r->f, "/nonexistent/sekisho-fetch");
	if (fetch_start(&r->f, &a, 0) == 0) {
		while (r->f.err_fd != -1)
			fetch_read(&r->f);
		pid = waitpid(r->f.pid, &status, 0);
		fetch_reaped(&r->f, pid, status);
		assert_int_equal(fetch_finish(&r->f, r->incoming), FETCH_ERROR);
	}
	assert_int_equal(files_in(r), 1);
}

/* ---- what `sekishoctl status` shows ---------------------------------------- */

static void
test_status(void **state)
{
	struct fetch_status f = { "10.64.0.9:51830", 3600, 0, 3412, 1767225600,
	    "unchanged: 10.64.0.9:51830 has nothing newer than serial 5" };
	struct status s;
	struct engine e;
	struct buf b;
	const char *t;

	(void)state;
	engine_init(&e, 1, 2, (struct in_addr){ 0 }, 0);
	memset(&s, 0, sizeof(s));
	s.engine = &e;
	s.tunnel_if = "skt0";
	s.policy_path = "/b";
	s.serial = 5;
	s.wall.tv_sec = 1767225612;
	s.fetch = &f;
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(t = strstr(buf_str(&b), "policy:"));
	assert_string_equal(t, "policy:     serial 5 (/b)\n"
	    "fetch:      10.64.0.9:51830 every 3600 s, next in 3412 s\n"
	    "  last:     2026-01-01T00:00:00Z (12 s ago): unchanged: 10.64.0.9:51830 has "
	    "nothing newer than serial 5\n");
	buf_free(&b);
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(t = strstr(buf_str(&b), ",\"fetch\""));
	assert_string_equal(t, ",\"fetch\":{\"server\":\"10.64.0.9:51830\",\"interval_s\":3600,"
	    "\"running\":false,\"next_s\":3412,\"last\":\"2026-01-01T00:00:00Z\","
	    "\"last_age_s\":12,\"result\":\"unchanged: 10.64.0.9:51830 has nothing newer "
	    "than serial 5\"}}\n");
	buf_free(&b);
	/* Running, none yet; and no path. */
	f.running = 1;
	f.last = 0;
	buf_init(&b);
	status_text(&s, &b);
	assert_non_null(t = strstr(buf_str(&b), "fetch:"));
	assert_string_equal(t, "fetch:      10.64.0.9:51830 every 3600 s, one running now\n"
	    "  last:     none yet\n");
	buf_free(&b);
	f.running = 0;
	f.next_s = -1;
	buf_init(&b);
	status_json(&s, &b);
	assert_non_null(t = strstr(buf_str(&b), ",\"fetch\""));
	assert_string_equal(t, ",\"fetch\":{\"server\":\"10.64.0.9:51830\",\"interval_s\":3600,"
	    "\"running\":false,\"next_s\":null,\"last\":null,\"last_age_s\":null,"
	    "\"result\":null}}\n");
	buf_free(&b);
	/* Without a distribution server: nothing about fetches at all. */
	s.fetch = NULL;
	buf_init(&b);
	status_text(&s, &b);
	assert_null(strstr(buf_str(&b), "fetch"));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_layout),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_device_name),
		cmocka_unit_test_setup_teardown(test_serve, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_serve_refusals, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_serve_statement, dir_setup, dir_teardown),
		cmocka_unit_test(test_fresh_age),
		cmocka_unit_test(test_fresh_statements),
		cmocka_unit_test(test_fetch_timers),
		cmocka_unit_test_setup_teardown(test_fetch_outcomes, run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_stop, run_setup, run_teardown),
		cmocka_unit_test(test_status),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
