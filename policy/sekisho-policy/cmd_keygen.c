/* sekisho-policy keygen KEYFILE: a new agency signing key (Ed25519),
 * created O_EXCL with mode 0600; its public key on stdout, to pin on the
 * devices (sekisho-policy verify --pubkey, sekishod). */
#include <stdio.h>

#include "lib/encode.h"
#include "lib/util.h"
#include "policy/bundle.h"
#include "policy/sekisho-policy/cmd.h"

int
keygen_main(void *ctx, int argc, char *argv[])
{
	uint8_t pub[BUNDLE_KEY_LEN];
	char b64[KEY_B64_LEN];
	struct sk_error err;
	(void)ctx;

	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage("keygen", "KEYFILE");
	if (bundle_keygen(argv[1], pub, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	key_to_b64(b64, pub);
	printf("%s\n", b64);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
