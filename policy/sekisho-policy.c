/* sekisho-policy: checks and prints device policy files (docs/policy.md).
 * A table of subcommands in the shape of wireguard-tools' wg.c.
 *
 * Exit status: 0 valid, 1 invalid (or unreadable, or output failed),
 * 2 usage error. Errors are one line on stderr, "FILE:LINE: what". */
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "policy/policy.h"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char *prog_name;

static int check_main(int argc, char *argv[]);
static int print_main(int argc, char *argv[]);

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{ "check", check_main, "Checks a policy file: prints nothing if it is valid, else one error line" },
	{ "print", print_main, "Prints a policy file normalised (canonical order, defaults spelled out)" },
};

static void
show_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <cmd> [<args>]\n\n", prog_name);
	fprintf(f, "Available subcommands:\n");
	for (i = 0; i < nitems(subcommands); i++)
		fprintf(f, "  %s FILE: %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "Exit status: 0 valid, 1 invalid, 2 usage error.\n");
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
		return EXIT_INVALID;
	}
	return EXIT_OK;
}

static int
check_main(int argc, char *argv[])
{
	struct policy p;
	int rc;

	if ((rc = load(argc, argv, &p)) != EXIT_OK)
		return rc;
	policy_free(&p);
	return EXIT_OK;
}

static int
print_main(int argc, char *argv[])
{
	struct policy p;
	int rc;

	if ((rc = load(argc, argv, &p)) != EXIT_OK)
		return rc;
	rc = policy_print(stdout, &p);
	policy_free(&p);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot print the policy: %s\n", argv[1], strerror(-rc));
		return EXIT_INVALID;
	}
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	size_t i;

	prog_name = argv[0];
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < nitems(subcommands); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "Invalid subcommand: '%s'\n", argv[1]);
	show_usage(stderr);
	return EXIT_USAGE;
}
