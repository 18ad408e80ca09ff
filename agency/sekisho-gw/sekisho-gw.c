/*
 * sekisho-gw: the agency's WireGuard gateway, fed from the registry
 * (docs/gateway.md). A table of subcommands (lib/cli.h); `run` is the
 * daemon, the others talk to it over its session socket.
 */
#include "agency/sekisho-gw/gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"

static int
run_main(void *ctx, int argc, char *argv[])
{
	(void)ctx;
	return gw_run(argc, argv);
}

static const struct cli_cmd cmds[] = {
	{ "run", run_main, "[-dov] [-r URL] [-i IFACE] [-k KEYFILE] [-s SOCKET] [-g GROUP] [-P MS]"
	    " [-n NAME] [-R S] [-K S] [-L S]", "the gateway daemon" },
	{ "prune", gw_prune_main, "[-r URL] [-K SECONDS] [-L SECONDS]",
	    "prune the registry's change log now (each gateway does it every -R)" },
	{ "status", gw_status_main, "[--summary] [--json]", "peers, stages, sessions, the last sync" },
	{ "session", gw_session_main, "list [--json] | open DEVICE STAFF [--lifetime S] [--factor F] | close DEVICE [--why TEXT]",
	    "the sessions (stage 2)" },
};

static const struct cli cli = {
	.prog = "sekisho-gw",
	.synopsis = "[-s SOCKET] SUBCOMMAND [ARGS]",
	.cmds = cmds,
	.n_cmds = nitems(cmds),
	.footer = "The session socket is " GWS_SOCK_DEFAULT " unless -s or $SEKISHO_GW_SOCKET names another.\n",
};

int
main(int argc, char *argv[])
{
	int i = 1;

	if (cli_wants_help(argc, argv)) {
		cli_usage(&cli, stdout);
		return EXIT_OK;
	}
	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		setenv("SEKISHO_GW_SOCKET", argv[2], 1);
		i = 3;
	}
	/* run takes the socket from -s too */
	if (i == 3 && argc > 3 && strcmp(argv[3], "run") == 0) {
		static char *nargv[64];
		int n = 0;

		if (argc > 60)
			return EXIT_USAGE;
		nargv[n++] = argv[3];
		nargv[n++] = (char *)"-s";
		nargv[n++] = argv[2];
		for (int k = 4; k < argc; k++)
			nargv[n++] = argv[k];
		nargv[n] = NULL;
		return gw_run(n, nargv);
	}
	return cli_dispatch(&cli, NULL, argc - i, argv + i);
}
