/* sekisho-policy: checks, prints, compiles and signs device policies
 * (docs/policy.md, docs/bundle.md). A table of subcommands in the shape of
 * wireguard-tools' wg.c; check and print live here, the others in
 * cmd_*.c.
 *
 * Exit status: 0 valid, 1 invalid or refused (or unreadable, or output
 * failed), 2 usage error. Errors are one line on stderr, "FILE:LINE: what"
 * or "FILE: what". */
#include <stdio.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/util.h"
#include "policy/sekisho-policy/cmd.h"
#include "policy/policy.h"

const char *prog_name = "sekisho-policy";

static int check_main(void *ctx, int argc, char *argv[]);
static int print_main(void *ctx, int argc, char *argv[]);

static const struct cli_cmd subcommands[] = {
	{ "check", check_main, "FILE", "Checks a policy file: prints nothing if it is valid, else one error line" },
	{ "print", print_main, "FILE", "Prints a policy file normalised (canonical order, defaults spelled out)" },
	{ "compile", compile_main, "--for netvm|gateway [--check] POLICY...",
	    "Prints the nftables ruleset for the netvm or the agency gateway; --check: nft's dry run instead" },
	{ "keygen", keygen_main, "KEYFILE", "Creates an agency signing key (mode 0600, never replaced); prints its public key" },
	{ "sign", sign_main, "--key KEYFILE --device DEVICE-PUBKEY [--max-age AGE] POLICY OUT",
	    "Signs a policy for one device into a bundle, relied on for AGE (default 7d)" },
	{ "fresh", fresh_main, "--key KEYFILE BUNDLE OUT",
	    "Signs a freshness statement: BUNDLE is still the newest for its device, now" },
	{ "verify-fresh", verify_fresh_main, "--pubkey KEY... --device DEVICE-PUBKEY --serial N [--after T] [--name NAME] STATEMENT",
	    "Decides on a freshness statement as a device would: \"ok fresh serial N time T\", or why not" },
	{ "verify", verify_main, "--pubkey KEY... [--device DEVICE-PUBKEY] [--min-serial N] [--name NAME] [--signature-only] BUNDLE",
	    "Decides on a bundle as a device would: \"ok serial N device ID\", or why it is refused" },
	{ "verify-serve", verify_serve_main, "--pubkey KEY... --device DEVICE-PUBKEY",
	    "verify --signature-only as a service, for sekishod: requests on stdin, one line each on stdout" },
};

int
cmd_usage(const char *sub, const char *args)
{
	fprintf(stderr, "Usage: %s %s %s\n", prog_name, sub, args);
	return EXIT_USAGE;
}

int
cmd_key_arg(const char *sub, const char *opt, const char *b64, const char *what,
    uint8_t key[32])
{
	if (strlen(b64) == KEY_B64_LEN - 1 && key_from_b64(key, b64) == 0 &&
	    !key_is_zero(key))
		return EXIT_OK;
	fprintf(stderr, "%s %s: %s '%.64s' is not %s (44 characters of base64)\n",
	    prog_name, sub, opt, b64, what);
	return EXIT_USAGE;
}

/* Parses argv[1] as the subcommand's one argument; 0 or an exit status. */
static int
load(int argc, char *argv[], struct policy *p)
{
	struct sk_error err;

	if (argc != 2) {
		fprintf(stderr, "Usage: %s %s FILE\n", prog_name, argv[0]);
		return EXIT_USAGE;
	}
	if (policy_parse_file(argv[1], p, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
check_main(void *ctx, int argc, char *argv[])
{
	struct policy p;
	int rc;

	(void)ctx;

	if ((rc = load(argc, argv, &p)) != EXIT_OK)
		return rc;
	policy_free(&p);
	return EXIT_OK;
}

static int
print_main(void *ctx, int argc, char *argv[])
{
	struct policy p;
	int rc;

	(void)ctx;

	if ((rc = load(argc, argv, &p)) != EXIT_OK)
		return rc;
	rc = policy_print(stdout, &p);
	policy_free(&p);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot print the policy: %s\n", argv[1], strerror(-rc));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	const struct cli c = { argv[0], "<cmd> [<args>]", subcommands,
	    nitems(subcommands),
	    "Exit status: 0 valid, 1 invalid or refused, 2 usage error.\n" };

	prog_name = argv[0];
	if (cli_wants_help(argc, argv)) {
		cli_usage(&c, stdout);
		return EXIT_OK;
	}
	return cli_dispatch(&c, NULL, argc - 1, argv + 1);
}
