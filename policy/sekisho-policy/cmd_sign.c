/* sekisho-policy sign --key KEYFILE --device ID [--max-age AGE] POLICY
 * OUT: signs a policy for one device. The private key is read only from
 * KEYFILE (refused when group or world accessible), never from the
 * command line, and never reaches a message. The signed time is now, or
 * $SOURCE_DATE_EPOCH for reproducible bundles; the device relies on the
 * bundle for --max-age after it (default 7d) unless a freshness statement
 * (sekisho-policy fresh) vouches for it later. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "policy/bundle.h"
#include "policy/sekisho-policy/cmd.h"
#include "policy/fileio.h"

#define SIGN_ARGS "--key KEYFILE --device DEVICE-PUBKEY [--max-age AGE] POLICY OUT"

struct sign_args {
	const char	*key, *policy, *out;
	uint8_t		 device[BUNDLE_KEY_LEN];
	uint64_t	 issued;
	uint32_t	 max_age;
};

int
cmd_signed_time(const char *sub, uint64_t *t)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");

	if (s == NULL) {
		*t = (uint64_t)time(NULL);
		return EXIT_OK;
	}
	if (parse_u64(s, 1, BUNDLE_TIME_MAX, t) != 0) {
		fprintf(stderr, "%s %s: SOURCE_DATE_EPOCH '%s' is not a number of seconds "
		    "from 1\n", prog_name, sub, s);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* N, Ns, Nm, Nh or Nd, BUNDLE_MAX_AGE_MIN .. BUNDLE_MAX_AGE_MAX seconds. */
static int
max_age_arg(const char *arg, uint32_t *out)
{
	static const struct { char unit; uint64_t s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[24];
	size_t n = strlen(arg);
	uint64_t v, mul = 1;

	if (n > 0 && n < sizeof(num)) {
		memcpy(num, arg, n + 1);
		for (size_t i = 0; i < nitems(units); i++)
			if (num[n - 1] == units[i].unit) {
				num[--n] = '\0';
				mul = units[i].s;
			}
		if (parse_u64(num, 1, BUNDLE_MAX_AGE_MAX, &v) == 0 &&
		    v * mul >= BUNDLE_MAX_AGE_MIN && v * mul <= BUNDLE_MAX_AGE_MAX) {
			*out = (uint32_t)(v * mul);
			return EXIT_OK;
		}
	}
	fprintf(stderr, "%s sign: --max-age '%.32s' is not a duration (N, Ns, Nm, Nh or "
	    "Nd) from %d s to %d d\n", prog_name, arg, BUNDLE_MAX_AGE_MIN,
	    BUNDLE_MAX_AGE_MAX / 86400);
	return EXIT_USAGE;
}

static int
sign_options(int argc, char *argv[], struct sign_args *a)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'd' },
		{ "max-age", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc, have_device = 0;

	a->max_age = BUNDLE_MAX_AGE_DEFAULT;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'k')
			a->key = optarg;
		else if (ch == 'd') {
			if ((rc = cmd_key_arg("sign", "--device", optarg,
			    "the device's WireGuard public key", a->device)) != EXIT_OK)
				return rc;
			have_device = 1;
		} else if (ch == 'a') {
			if ((rc = max_age_arg(optarg, &a->max_age)) != EXIT_OK)
				return rc;
		} else
			return cmd_usage("sign", SIGN_ARGS);
	}
	if (a->key == NULL || !have_device || argc - optind != 2)
		return cmd_usage("sign", SIGN_ARGS);
	a->policy = argv[optind];
	a->out = argv[optind + 1];
	return cmd_signed_time("sign", &a->issued);
}

/* Reads, signs and writes; 0 or -1 with err set. */
static int
sign_file(const struct sign_args *a, const struct bundle_signer *s,
    struct sk_error *err)
{
	uint8_t *text = NULL, *bundle = NULL;
	size_t len, blen;
	int rc;

	if ((rc = file_read_max(a->policy, POLICY_MAX_SIZE + 1, &text, &len, err)) == 0 &&
	    (rc = bundle_sign(s, a->policy, (const char *)text, len, a->device,
	    a->issued, a->max_age, &bundle, &blen, err)) == 0)
		rc = durable_write(a->out, bundle, blen, 0644, err);
	free(text);
	free(bundle);
	return rc == 0 ? 0 : -1;
}

int
sign_main(void *ctx, int argc, char *argv[])
{
	struct sign_args a;
	struct bundle_signer s;
	struct sk_error err;
	int rc;
	(void)ctx;

	memset(&a, 0, sizeof(a));
	if ((rc = sign_options(argc, argv, &a)) != EXIT_OK)
		return rc;
	if (bundle_signer_load(&s, a.key, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	rc = sign_file(&a, &s, &err);
	bundle_signer_free(&s);
	if (rc != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
