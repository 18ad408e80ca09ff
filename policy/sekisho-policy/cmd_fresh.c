/* sekisho-policy fresh --key KEYFILE BUNDLE OUT: the agency's signed word
 * that BUNDLE is still the newest for its device, now (or at
 * $SOURCE_DATE_EPOCH): a freshness statement (docs/distribution.md,
 * "Freshness"), which the agency's cron renews well within the bundle's
 * max age and publishes beside it as NAME.fresh. The key must be the one
 * that signed BUNDLE.
 *
 * sekisho-policy verify-fresh --pubkey KEY... --device D --serial N
 * [--after T] [--name NAME] STATEMENT: the device's decision, offline and
 * for its verifying helper (STATEMENT "-" is standard input): pinned key,
 * signature, device, serial N exactly, signed after T. Prints "ok fresh
 * serial N time T". */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "policy/bundle.h"
#include "policy/fileio.h"
#include "policy/sekisho-policy/cmd.h"

#define FRESH_ARGS "--key KEYFILE BUNDLE OUT"
#define VFRESH_ARGS "--pubkey AGENCY-PUBKEY [--pubkey ...] --device DEVICE-PUBKEY " \
	"--serial N [--after T] [--name NAME] STATEMENT"

/* The statement for the bundle at path, by s, at time t. 0 or -1. */
static int
fresh_for(const char *path, const struct bundle_signer *s, uint64_t t,
    uint8_t out[FRESH_LEN], struct sk_error *err)
{
	struct bundle b;
	uint8_t *buf = NULL;
	size_t len;
	int rc = -1;

	if (bundle_read_file(path, &buf, &len, err) != 0)
		return -1;
	if (bundle_decode(buf, len, path, &b, err) == BUNDLE_OK) {
		if (!ct_equal(b.signer, s->pub, BUNDLE_KEY_LEN))
			sk_errorf(err, EPERM, "%s: signed by another key than the one given",
			    path);
		else
			rc = fresh_sign(s, b.serial, t, b.device, out, err) == BUNDLE_OK ?
			    0 : -1;
	}
	free(buf);
	return rc;
}

int
fresh_main(void *ctx, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t st[FRESH_LEN];
	struct bundle_signer s;
	struct sk_error err;
	const char *key = NULL;
	uint64_t t;
	int ch, rc;
	(void)ctx;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'k')
			return cmd_usage("fresh", FRESH_ARGS);
		key = optarg;
	}
	if (key == NULL || argc - optind != 2)
		return cmd_usage("fresh", FRESH_ARGS);
	if ((rc = cmd_signed_time("fresh", &t)) != EXIT_OK)
		return rc;
	if (bundle_signer_load(&s, key, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	rc = fresh_for(argv[optind], &s, t, st, &err);
	bundle_signer_free(&s);
	if (rc == 0)
		rc = durable_write(argv[optind + 1], st, sizeof(st), 0644, &err);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

struct vfresh_args {
	uint8_t		 keys[BUNDLE_MAX_KEYS][BUNDLE_KEY_LEN];
	size_t		 n_keys;
	uint8_t		 device[BUNDLE_KEY_LEN];
	int		 have_device, have_serial;
	uint64_t	 serial, after;
	const char	*name;
};

static int
vfresh_num(const char *opt, const char *arg, uint64_t min, uint64_t *v)
{
	if (parse_u64(arg, min, INT64_MAX, v) == 0)
		return EXIT_OK;
	fprintf(stderr, "%s verify-fresh: %s '%.32s' is not a number from %" PRIu64
	    " to %" PRId64 "\n", prog_name, opt, arg, min, INT64_MAX);
	return EXIT_USAGE;
}

static int
vfresh_option(int ch, struct vfresh_args *a)
{
	switch (ch) {
	case 'p':
		if (a->n_keys == BUNDLE_MAX_KEYS) {
			fprintf(stderr, "%s verify-fresh: at most %d --pubkey\n", prog_name,
			    BUNDLE_MAX_KEYS);
			return EXIT_USAGE;
		}
		return cmd_key_arg("verify-fresh", "--pubkey", optarg,
		    "an agency public key", a->keys[a->n_keys++]);
	case 'd':
		a->have_device = 1;
		return cmd_key_arg("verify-fresh", "--device", optarg,
		    "the device's WireGuard public key", a->device);
	case 's':
		a->have_serial = 1;
		return vfresh_num("--serial", optarg, 1, &a->serial);
	case 'a':
		return vfresh_num("--after", optarg, 0, &a->after);
	case 'n':
		if (optarg[0] != '\0' && strlen(optarg) < PATH_MAX) {
			a->name = optarg;
			return EXIT_OK;
		}
		fprintf(stderr, "%s verify-fresh: --name must be 1 to %d bytes\n",
		    prog_name, PATH_MAX - 1);
		return EXIT_USAGE;
	}
	return cmd_usage("verify-fresh", VFRESH_ARGS);
}

int
verify_fresh_main(void *ctx, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "serial", required_argument, NULL, 's' },
		{ "after", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfresh_args a;
	struct sk_error err;
	struct fresh f;
	uint8_t *buf = NULL;
	size_t len;
	int ch, rc;
	(void)ctx;

	memset(&a, 0, sizeof(a));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = vfresh_option(ch, &a)) != EXIT_OK)
			return rc;
	if (a.n_keys == 0 || !a.have_device || !a.have_serial || argc - optind != 1)
		return cmd_usage("verify-fresh", VFRESH_ARGS);
	if (a.name == NULL)
		a.name = argv[optind];
	/* At most one byte more than a statement: decode says "too long". */
	if (file_read_max(strcmp(argv[optind], "-") == 0 ? "/dev/stdin" : argv[optind],
	    FRESH_LEN + 1, &buf, &len, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if ((rc = fresh_decode(buf, len, a.name, &f, &err)) == BUNDLE_OK &&
	    (rc = fresh_verify(&f, a.name, (const uint8_t (*)[BUNDLE_KEY_LEN])a.keys,
	    a.n_keys, &err)) == BUNDLE_OK)
		rc = fresh_check(&f, a.name, a.device, a.serial, a.after, &err);
	free(buf);
	if (rc != BUNDLE_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	printf("ok fresh serial %" PRIu64 " time %" PRIu64 "\n", f.serial, f.time);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
