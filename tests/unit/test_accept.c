/* Unit tests of accept_commit's atomicity (netvm/sekishod/accept.h): a new
 * bundle (serial 8) replaces the one in force (serial 7), and the commit
 * is cut before each of its steps, once as a failure (the step returns
 * -EIO: the real error path runs) and once as a crash (longjmp out of the
 * fault hook: nothing after it runs, the files stay as they are, as after
 * a power cut). After the cut a "restart" (accept_recover, then what is
 * on disk) must find exactly one of the two bundles in force, the store
 * agreeing with it: the old one when the cut came before the commit point
 * (the store), the new one from it on; never a mix, and no staging file
 * left. Also: a staging file cut short, or newer than the store, is
 * removed; sekishod -n (dry) changes nothing and names the file that
 * would be in force. A cut inside durable_write itself (the staging file's
 * or the store's, before the rename of its temporary file: rename is
 * wrapped here, module.mk) leaves BUNDLE.staged.tmpXXXXXX or
 * STORE.tmpXXXXXX; the restart removes it. A live change's order (stage
 * on a thread, commit point, the rest after the answer) leaves the same
 * two states. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "netvm/sekishod/accept.h"
#include "policy/bundle.h"
#include "policy/fileio.h"
#include "policy/serial.h"

#define T0	UINT64_C(1767225600)
#define GWPUB	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define POLICY_(serial) \
	"version 1\nserial " serial "\n" \
	"device {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/k\"\n}\n" \
	"gateway gw {\n\tendpoint 192.0.2.10:51820\n\tpublic-key \"" GWPUB "\"\n}\n" \
	"lgwan {\n\tprefix 10.64.0.0/16\n\tresolver 10.64.0.53\n}\n" \
	"work {\n\taddress 172.30.0.2/30\n\trouter 172.30.0.1\n}\n"

/* The fault hook (accept.h): this test's, over the daemon's weak one. */
static enum accept_step cut_at;
static int crash;		/* longjmp rather than fail */
static jmp_buf died;

int
accept_cut(enum accept_step step)
{
	if (step != cut_at)
		return 0;
	if (crash)
		longjmp(died, 1);
	return -EIO;
}

/* A rename onto crash_rename_to dies there (longjmp), after durable_write
 * made, filled and synced its temporary file. */
static const char *crash_rename_to;
int __real_rename(const char *from, const char *to);
int __wrap_rename(const char *from, const char *to);

int
__wrap_rename(const char *from, const char *to)
{
	if (crash_rename_to != NULL && strcmp(to, crash_rename_to) == 0)
		longjmp(died, 1);
	return __real_rename(from, to);
}

struct fx {
	char		 dir[64], bundle[96], incoming[96], store[96], staged[112],
			 next[112];
	uint8_t		*b7, *b8;
	size_t		 n7, n8;
};

static uint8_t *
sign(const char *text, size_t *len)
{
	struct bundle_signer s;
	uint8_t seed[32], device[32], *b = NULL;
	struct sk_error err;

	for (int i = 0; i < 32; i++) {
		seed[i] = (uint8_t)(1 + i * 7);
		device[i] = (uint8_t)(3 + i * 7);
	}
	assert_int_equal(bundle_signer_init(&s, seed, NULL), 0);
	if (bundle_sign(&s, "p.conf", text, strlen(text), device, T0, 3600, &b, len, &err) != 0)
		fail_msg("%s", err.msg);
	bundle_signer_free(&s);
	return b;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_accept.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->bundle, sizeof(f->bundle), "%s/bundle", f->dir);
	snprintf(f->incoming, sizeof(f->incoming), "%s/bundle.new", f->dir);
	snprintf(f->store, sizeof(f->store), "%s/serial", f->dir);
	snprintf(f->staged, sizeof(f->staged), "%s/bundle.staged", f->dir);
	snprintf(f->next, sizeof(f->next), "%s/serial.next", f->dir);
	f->b7 = sign(POLICY_("7"), &f->n7);
	f->b8 = sign(POLICY_("8"), &f->n8);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->bundle);
	unlink(f->incoming);
	unlink(f->store);
	unlink(f->staged);
	unlink(f->next);
	rmdir(f->dir);
	free(f->b7);
	free(f->b8);
	free(f);
	return 0;
}

/* Serial 7 in force, serial 8 waiting at the incoming path. */
static void
before(struct fx *f)
{
	unlink(f->staged);
	unlink(f->next);
	assert_int_equal(durable_write(f->bundle, f->b7, f->n7, 0600, NULL), 0);
	assert_int_equal(durable_write(f->incoming, f->b8, f->n8, 0600, NULL), 0);
	assert_int_equal(serial_store_save(f->store, 7, NULL), 0);
}

static void
init(struct fx *f, struct accept *a)
{
	memset(a, 0, sizeof(*a));
	a->bundle = f->bundle;
	a->incoming = f->incoming;
	a->store = f->store;
	assert_int_equal(serial_store_load(f->store, (int)geteuid(), &a->accepted, NULL), 0);
}

/* The serial of the bundle in path; 0 when it cannot be read. */
static uint64_t
serial_of(const char *path)
{
	struct bundle b;
	uint8_t *buf;
	size_t len;
	uint64_t s = 0;

	if (file_read_max(path, BUNDLE_MAX_SIZE + 1, &buf, &len, NULL) != 0)
		return 0;
	if (bundle_decode(buf, len, path, &b, NULL) == BUNDLE_OK)
		s = b.serial;
	free(buf);
	return s;
}

/* Files in the directory whose name holds ".tmp" (durable_write's), and
 * the store's next contents (STORE.next, serial_store_prepare's). */
static int
tmp_files(const struct fx *f)
{
	struct dirent *de;
	DIR *d = opendir(f->dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".tmp") != NULL || strcmp(de->d_name, "serial.next") == 0;
	closedir(d);
	return n;
}

/* A restart: what -n would take, then the recovery, then what is in
 * force; it must be want, bundle and store agreeing, no staging file and
 * no temporary file of a cut write. */
static void
restart_finds(struct fx *f, uint64_t want)
{
	struct accept a;
	struct sk_error err;
	char path[PATH_MAX];
	struct stat st;

	init(f, &a);
	assert_int_equal(accept_recover(&a, 1, path, sizeof(path), &err), 0);
	assert_true(serial_of(path) == want);
	assert_int_equal(accept_recover(&a, 0, path, sizeof(path), &err), 0);
	assert_string_equal(path, f->bundle);
	assert_true(serial_of(f->bundle) == want);
	assert_true(a.accepted == want);
	assert_int_equal(stat(f->staged, &st), -1);
	assert_int_equal(tmp_files(f), 0);
	assert_int_equal(stat(f->next, &st), -1);
	/* a second start finds nothing to do */
	assert_int_equal(accept_recover(&a, 0, path, sizeof(path), &err), 0);
	assert_true(serial_of(f->bundle) == want);
}

/* Serial 8 as accept_open leaves it: the identity of the incoming file. */
static struct candidate
cand8(const struct fx *f)
{
	struct candidate c = { .buf = f->b8, .len = f->n8, .serial = 8 };
	struct stat st;

	assert_int_equal(stat(f->incoming, &st), 0);
	c.dev = st.st_dev;
	c.ino = st.st_ino;
	c.ctime = st.st_ctim;
	return c;
}

static void
test_cut_each_step(void **state)
{
	struct fx *f = *state;

	for (crash = 0; crash < 2; crash++)
		for (volatile int k = ACCEPT_STEP_STAGE; k <= ACCEPT_STEP_DONE; k++) {
			struct candidate c;
			int committed = k > ACCEPT_STEP_STORE;
			volatile int rc = 1;
			struct sk_error err;
			struct accept a;

			before(f);
			c = cand8(f);
			init(f, &a);
			cut_at = (enum accept_step)k;
			if (setjmp(died) == 0)
				rc = accept_commit(&a, &c, 0, &err);
			cut_at = 0;	/* the hook is off for the restart */
			if (crash) {
				assert_int_equal(rc, 1);	/* it never returned */
			} else {
				/* a failure before the commit point is the
				 * caller's (it keeps 7 in force); after it,
				 * 8 is in force and the rest is logged */
				assert_int_equal(rc, committed ? 0 : -EIO);
				assert_true(a.accepted == (committed ? 8 : 7));
				if (!committed)
					assert_true(serial_of(f->bundle) == 7);
			}
			restart_finds(f, committed ? 8 : 7);
		}
	crash = 0;
	cut_at = 0;
}

/* Cuts inside the staging write itself: a staging file cut short, and one
 * complete but never committed (the store still 7), are removed; one the
 * store has (8) is put in place. */
static void
test_recover_staging_files(void **state)
{
	struct fx *f = *state;

	before(f);
	assert_int_equal(durable_write(f->staged, f->b8, f->n8 / 2, 0600, NULL), 0);
	restart_finds(f, 7);
	before(f);
	assert_int_equal(durable_write(f->staged, f->b8, f->n8, 0600, NULL), 0);
	restart_finds(f, 7);
	before(f);
	assert_int_equal(durable_write(f->staged, f->b8, f->n8, 0600, NULL), 0);
	assert_int_equal(serial_store_save(f->store, 8, NULL), 0);
	restart_finds(f, 8);
}

/* Cuts inside the two writes of accept_commit before the commit point:
 * the staging file's and the store's temporary files are left behind
 * (-n leaves them), and the restart finds 7 in force and removes them.
 * The store's is STORE.next, whose rename over the store is the commit
 * point itself: cut there, nothing was committed. */
static void
test_cut_inside_writes(void **state)
{
	struct fx *f = *state;
	const char *targets[] = { f->staged, f->store };

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct candidate c = { .buf = f->b8, .len = f->n8, .serial = 8 };
		char path[PATH_MAX];
		struct sk_error err;
		struct accept a;
		volatile int rc = 1;

		before(f);
		init(f, &a);
		crash_rename_to = targets[i];
		if (setjmp(died) == 0)
			rc = accept_commit(&a, &c, 0, &err);
		crash_rename_to = NULL;
		assert_int_equal(rc, 1);	/* it never returned */
		assert_int_equal(tmp_files(f), 1);
		init(f, &a);
		assert_int_equal(accept_recover(&a, 1, path, sizeof(path), &err), 0);
		assert_int_equal(tmp_files(f), 1);	/* dry: untouched */
		restart_finds(f, 7);
	}
}

/* The uncut commit: 8 in force, the incoming file gone, nothing staged. */
static void
test_commit_whole(void **state)
{
	struct fx *f = *state;
	struct candidate c;
	struct sk_error err;
	struct accept a;
	struct stat st;

	before(f);
	c = cand8(f);
	init(f, &a);
	assert_int_equal(accept_commit(&a, &c, 0, &err), 0);
	assert_true(a.accepted == 8);
	assert_true(serial_of(f->bundle) == 8);
	assert_int_equal(stat(f->incoming, &st), -1);
	assert_int_equal(stat(f->staged, &st), -1);
	restart_finds(f, 8);
}

/* A live change's order (reload.c): staged on a thread, the commit
 * point, then, after the answer, the rest. Committed before the rest:
 * a restart then finds 8; a restart before the commit point finds 7 and
 * nothing staged. */
static void
test_live_order(void **state)
{
	struct fx *f = *state;
	struct candidate c;
	struct sk_error err;
	struct accept a;
	struct stat st;

	before(f);
	c = cand8(f);
	init(f, &a);
	accept_stage_start(&a, &c);
	assert_int_equal(accept_stage_wait(&a, &err), 0);
	assert_int_equal(stat(f->staged, &st), 0);
	assert_int_equal(stat(f->next, &st), 0);
	assert_true(serial_of(f->bundle) == 7 && a.accepted == 7);
	restart_finds(f, 7);	/* given up (or a crash) before the commit point */

	before(f);
	c = cand8(f);
	init(f, &a);
	accept_stage_start(&a, &c);
	assert_int_equal(accept_stage_wait(&a, &err), 0);
	assert_int_equal(accept_store(&a, &c, &err), 0);
	assert_true(a.accepted == 8 && a.finish_due);
	assert_true(serial_of(f->bundle) == 7);	/* the rest is still due */
	restart_finds(f, 8);	/* a crash here: the start finishes it */

	before(f);
	c = cand8(f);
	init(f, &a);
	assert_int_equal(accept_stage(&a, &c, &err), 0);
	accept_abort(&a);	/* nftables refused its ruleset */
	assert_int_equal(stat(f->staged, &st), -1);
	assert_int_equal(stat(f->next, &st), -1);
	assert_true(serial_of(f->bundle) == 7);
	restart_finds(f, 7);

	/* a newer file put at the incoming path while the change was under
	 * way (a fetch renames its file over it) is left for the next
	 * reload; the one read goes before the answer (the commit point) */
	before(f);
	c = cand8(f);
	init(f, &a);
	assert_int_equal(accept_stage(&a, &c, &err), 0);
	assert_int_equal(durable_write(f->incoming, f->b7, f->n7, 0600, NULL), 0);
	assert_int_equal(accept_store(&a, &c, &err), 0);
	assert_true(serial_of(f->incoming) == 7);
	accept_finish(&a);
	assert_true(serial_of(f->bundle) == 8);
	assert_true(serial_of(f->incoming) == 7);
	before(f);
	c = cand8(f);
	init(f, &a);
	assert_int_equal(accept_stage(&a, &c, &err), 0);
	assert_int_equal(accept_store(&a, &c, &err), 0);
	assert_int_equal(stat(f->incoming, &st), -1);	/* gone before the rest */
	assert_true(serial_of(f->bundle) == 7);
	accept_finish(&a);
	assert_true(serial_of(f->bundle) == 8);
	restart_finds(f, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_whole),
		cmocka_unit_test(test_cut_each_step),
		cmocka_unit_test(test_recover_staging_files),
		cmocka_unit_test(test_cut_inside_writes),
		cmocka_unit_test(test_live_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
