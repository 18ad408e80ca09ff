/*
 * sekisho-provision: agency keys, groups, devices, staff, cards and
 * one-time codes in the registry (docs/provisioning.md).
 *
 *	sekisho-provision [-q] [-r URL] [-K KEYDIR] [--by LOGIN] SUBCOMMAND ...
 */
#include "provisioning/sekisho-provision/prov.h"
#include "lib/sandbox.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct cli_cmd cmds[] = {
	{ "init", cmd_init, "--pool A.B.C.D/N --endpoint HOST:PORT [...]",
	    "agency signing key, gateway and beacon keys, address pools" },
	{ "key", cmd_key, "list|rotate|retire", "the agency signing key and its rotation" },
	{ "group", cmd_group, "add|set|show|list", "device groups and their policy templates" },
	{ "device", cmd_device, "add|import|list|export|revoke|rekey",
	    "laptops, their addresses, keys and signed bundles" },
	{ "gateway", cmd_gateway, "export FILE", "the gateway's peer table for wg setconf" },
	{ "user", cmd_user, "add|import|list|sync|pin|unlock|disable|enable",
	    "staff, their PINs and lockout counters" },
	{ "card", cmd_card, "assign|list", "staff cards: FeliCa IDm, MIFARE UID, card keys" },
	{ "otp", cmd_otp, "issue|verify", "emergency one-time codes" },
	{ "audit", cmd_audit, "[OBJECT]", "who changed what, when and why" },
};

static const char footer[] =
    "\nOptions before the subcommand:\n"
    "  -r URL      registry: sqlite:PATH or postgresql://... ($SEKISHO_REGISTRY)\n"
    "  -K DIR      agency key directory ($SEKISHO_KEYS, default " PROV_KEYDIR_DEFAULT ")\n"
    "  --by LOGIN  who is making the change, for the audit (default: your login)\n"
    "  -q          no progress bar (also when stderr is not a terminal)\n"
    "Every change may carry --reason TEXT, recorded in the audit.\n";

static const char *
login_name(void)
{
	const char *s;
	struct passwd *pw;

	if ((s = getenv("SUDO_USER")) != NULL && *s != '\0')
		return s;
	if ((s = getlogin()) != NULL && *s != '\0')
		return s;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_name;
	return "unknown";
}

int
main(int argc, char *argv[])
{
	struct prov p;
	struct cli c = { PROV_NAME, "[-q] [-r URL] [-K DIR] [--by LOGIN] SUBCOMMAND [ARGS]",
	    cmds, nitems(cmds), footer };
	int i = 1, rc;

	/* The agency's signing key, laptops' keys, PINs and codes pass
	 * through this process: no core file, no ptrace by its user. */
	{
		struct sk_error err;

		if (sandbox_no_dump(&err) < 0) {
			fprintf(stderr, "%s: %s\n", PROV_NAME, err.msg);
			return EXIT_FAILURE;
		}
	}
	memset(&p, 0, sizeof(p));
	p.url = getenv("SEKISHO_REGISTRY");
	p.keydir = getenv("SEKISHO_KEYS");
	if (p.keydir == NULL || *p.keydir == '\0')
		p.keydir = PROV_KEYDIR_DEFAULT;
	p.actor.reason = "";
	p.now = (int64_t)time(NULL);
#ifdef SEKISHO_TEST_HOOKS
	/* the test build only (build/test/, Makefile): a fixed clock for
	 * expiry. The installed program has no such hook: a clock from the
	 * environment would take an expired code for a good one. */
	{
		const char *now = getenv("SEKISHO_NOW");

		if (now != NULL)
			p.now = strtoll(now, NULL, 10);
	}
#endif
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-q"))
			p.quiet = 1;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_usage(&c, stdout);
			return EXIT_OK;
		} else if (i + 1 < argc && !strcmp(argv[i], "-r"))
			p.url = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "-K"))
			p.keydir = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--by"))
			p.actor.who = argv[++i];
		else {
			fprintf(stderr, "%s: unknown option %s\n", PROV_NAME, argv[i]);
			cli_usage(&c, stderr);
			return EXIT_USAGE;
		}
	}
	if (p.actor.who == NULL)
		p.actor.who = login_name();
	if (reg_url_has_password(p.url)) {
		fprintf(stderr, "%s: the registry URL holds a password, which anyone could read"
		    " in the process list: give it in ~/.pgpass or $PGPASSFILE instead\n", PROV_NAME);
		return EXIT_USAGE;
	}
	if (i < argc && !strcmp(argv[i], "help")) {
		cli_usage(&c, stdout);
		return EXIT_OK;
	}
	rc = cli_dispatch(&c, &p, argc - i, argv + i);
	reg_close(p.r);
	return rc;
}
