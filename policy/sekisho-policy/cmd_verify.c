/* sekisho-policy verify --pubkey KEY [--pubkey KEY] [--device ID]
 * [--min-serial N] [--name NAME] [--signature-only] BUNDLE: the device's
 * decision on a bundle, offline. Prints "ok serial N device ID", or one
 * line saying why it is refused. BUNDLE "-" is standard input, so that a
 * daemon can run this as its verifying helper over the very bytes it
 * holds; --name is then the file name its messages begin with (sekishod
 * passes the bundle's path). --signature-only: structure, signature,
 * device and serial, the policy text not parsed: sekishod parses it
 * itself after this answer (bundle_check), once (a policy of 10,000
 * prefixes and 1,000 services costs about 10 ms of CPU to parse). */
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/proto/pverify_wire.h"
#include "lib/util.h"
#include "policy/bundle.h"
#include "policy/sekisho-policy/cmd.h"

#define VERIFY_ARGS "--pubkey AGENCY-PUBKEY [--pubkey ...] [--device DEVICE-PUBKEY] [--min-serial N] [--name NAME] [--signature-only] BUNDLE"

struct verify_args {
	uint8_t		 keys[BUNDLE_MAX_KEYS][BUNDLE_KEY_LEN];
	uint8_t		 device[BUNDLE_KEY_LEN];
	struct bundle_trust trust;
	const char	*path;
	const char	*name;		/* in messages; default: path */
	int		 signature_only;
};

static int
verify_option(int ch, struct verify_args *a)
{
	struct bundle_trust *t = &a->trust;

	switch (ch) {
	case 'p':
		if (t->n_keys == BUNDLE_MAX_KEYS) {
			fprintf(stderr, "%s verify: at most %d --pubkey\n", prog_name,
			    BUNDLE_MAX_KEYS);
			return EXIT_USAGE;
		}
		return cmd_key_arg("verify", "--pubkey", optarg,
		    "an agency public key", a->keys[t->n_keys++]);
	case 'd':
		t->device = a->device;
		return cmd_key_arg("verify", "--device", optarg,
		    "the device's WireGuard public key", a->device);
	case 's':
		if (parse_u64(optarg, 0, BUNDLE_SERIAL_MAX, &t->accepted) == 0)
			return EXIT_OK;
		fprintf(stderr, "%s verify: --min-serial '%s' is not a number from 0 to %" PRIu64 "\n",
		    prog_name, optarg, (uint64_t)BUNDLE_SERIAL_MAX);
		return EXIT_USAGE;
	case 'n':
		if (optarg[0] != '\0' && strlen(optarg) < PATH_MAX) {
			a->name = optarg;
			return EXIT_OK;
		}
		fprintf(stderr, "%s verify: --name must be 1 to %d bytes\n", prog_name,
		    PATH_MAX - 1);
		return EXIT_USAGE;
	case 'o':
		a->signature_only = 1;
		return EXIT_OK;
	}
	return cmd_usage("verify", VERIFY_ARGS);
}

static int
verify_options(int argc, char *argv[], struct verify_args *a)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ "min-serial", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "signature-only", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	a->trust.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])a->keys;
	a->trust.same_ok = 1;	/* --min-serial N: N itself passes */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = verify_option(ch, a)) != EXIT_OK)
			return rc;
	if (a->trust.n_keys == 0 || argc - optind != 1)
		return cmd_usage("verify", VERIFY_ARGS);
	a->path = argv[optind];
	if (a->name == NULL)
		a->name = a->path;
	return EXIT_OK;
}

/* bundle_open without the policy text: decode, signature, device, serial. */
static int
signature_only(const uint8_t *buf, size_t len, const struct verify_args *a,
    struct bundle_info *info, struct sk_error *err)
{
	struct bundle b;
	int rc;

	if ((rc = bundle_decode(buf, len, a->name, &b, err)) != BUNDLE_OK ||
	    (rc = bundle_verify(&b, a->name, a->trust.keys, a->trust.n_keys,
	    &info->key_index, err)) != BUNDLE_OK ||
	    (rc = bundle_check_head(&b, a->name, &a->trust, err)) != BUNDLE_OK)
		return rc;
	info->serial = b.serial;
	memcpy(info->device, b.device, BUNDLE_KEY_LEN);
	return BUNDLE_OK;
}

int
verify_main(void *ctx, int argc, char *argv[])
{
	struct verify_args a;
	struct bundle_info info;
	struct sk_error err;
	struct policy p;
	char dev[KEY_B64_LEN];
	uint8_t *buf;
	size_t len;
	int rc;
	(void)ctx;

	memset(&a, 0, sizeof(a));
	if ((rc = verify_options(argc, argv, &a)) != EXIT_OK)
		return rc;
	if (bundle_read_file(a.path, &buf, &len, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if (a.signature_only)
		rc = signature_only(buf, len, &a, &info, &err);
	else if ((rc = bundle_open(buf, len, a.name, &a.trust, &p, &info, &err)) == BUNDLE_OK)
		policy_free(&p);
	free(buf);
	if (rc != BUNDLE_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	key_to_b64(dev, info.device);
	printf("ok serial %" PRIu64 " device %s\n", info.serial, dev);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/*
 * sekisho-policy verify-serve --pubkey KEY... --device DEVICE-PUBKEY:
 * `verify --signature-only` as a service, for sekishod, which keeps one
 * running (in the same sandbox as `verify`) instead of starting one per
 * bundle: requests on standard input, one reply line each on standard
 * output (lib/proto/pverify_wire.h). Exit 0 at the end of its input, 1 at
 * a request it cannot read (sekishod then starts another).
 */
#define SERVE_ARGS "--pubkey AGENCY-PUBKEY [--pubkey ...] --device DEVICE-PUBKEY"

/* One request read and answered: 1 done, 0 end of input, -1 unreadable. */
static int
serve_one(struct verify_args *a)
{
	uint8_t head[PVERIFY_HEAD_LEN], *buf = NULL;
	char name[PVERIFY_NAME_MAX + 1], dev[KEY_B64_LEN];
	struct pverify_head h;
	struct bundle_info info;
	struct sk_error err;
	size_t got;
	int rc;

	if (read_full(STDIN_FILENO, head, sizeof(head), &got) < 0)
		return -1;
	if (got == 0)
		return 0;
	if (pverify_head_decode(head, got, BUNDLE_MAX_SIZE + 1, &h) < 0 ||
	    read_full(STDIN_FILENO, name, h.name_len, &got) < 0 || got != h.name_len ||
	    pverify_name_check((const uint8_t *)name, got) < 0 ||
	    (buf = malloc(h.len)) == NULL ||
	    read_full(STDIN_FILENO, buf, h.len, &got) < 0 || got != h.len) {
		free(buf);
		return -1;
	}
	name[h.name_len] = '\0';
	a->name = name;
	a->trust.accepted = h.min_serial;
	memset(&info, 0, sizeof(info));
	rc = signature_only(buf, h.len, a, &info, &err);
	free(buf);
	if (rc != BUNDLE_OK) {
		for (char *p = err.msg; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		printf(PVERIFY_REFUSED "%s\n", err.msg);
	} else {
		key_to_b64(dev, info.device);
		printf("ok serial %" PRIu64 " device %s\n", info.serial, dev);
	}
	return fflush(stdout) == 0 ? 1 : -1;
}

int
verify_serve_main(void *ctx, int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_args a;
	int ch, rc;
	(void)ctx;

	memset(&a, 0, sizeof(a));
	a.trust.keys = (const uint8_t (*)[BUNDLE_KEY_LEN])a.keys;
	a.trust.same_ok = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = verify_option(ch, &a)) != EXIT_OK)
			return rc;
	if (a.trust.n_keys == 0 || a.trust.device == NULL || argc != optind)
		return cmd_usage("verify-serve", SERVE_ARGS);
	while ((rc = serve_one(&a)) > 0)
		;
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
