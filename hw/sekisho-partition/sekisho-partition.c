/* sekisho-partition: the hardware inventory and the partition plan of a
 * laptop under Xen (docs/hw.md). A table of subcommands in the shape of
 * wireguard-tools' wg.c, one file per subcommand (hw/cmd_*.c).
 *
 * Exit status: 0 done, 1 failed (one error line on stderr), 2 usage error
 * or not available on this machine. */
#include <stdio.h>
#include <string.h>

#include "hw/sekisho-partition/partition.h"

static const struct cli_cmd subcommands[] = {
	{ "inventory", inventory_main, "[--json]",
	    "Lists the PCI and USB devices and what each one is" },
	{ "plan", plan_main, "[--json]",
	    "Shows which partition gets each device, how, and why" },
	{ "config", config_main, "netvm|work",
	    "Prints the domain's xl configuration (needs --domains)" },
	{ "devices", devices_main, "",
	    "Prints the known device ids in the devices file's syntax" },
	{ "up", up_main, "",
	    "Starts the netvm, waits until it is armed, then starts work" },
	{ "down", down_main, "", "Stops work, then the netvm" },
	{ "status", status_main, "", "Shows the state of both partitions" },
	{ "usb-ids", usb_ids_main, "",
	    "Prints the work USB file for the plan's work USB devices" },
	{ "usb-attach", usb_attach_main, "[--dry-run] [--verbose]",
	    "Attaches work's USB devices where they are now (needs --usb)" },
};

static const char footer[] =
    "\nGlobal options:\n"
    "  --sysfs ROOT      read ROOT/sys instead of /sys\n"
    "  --devices FILE    more device ids (docs/hw.md)\n"
    "  --overrides FILE  assignments that replace the rules' (docs/hw.md)\n"
    "  --domains FILE    kernel, memory, disk of the domains (docs/hw.md)\n"
    "  --usb FILE        work's USB devices by identity (docs/hw.md)\n"
    "Exit status: 0 done, 1 failed, 2 usage error or not available.\n";

/* Takes "--name VALUE" or "--name=VALUE" at argv[*i]: 1 taken, 0 not this
 * option, -1 value missing. */
static int
take(const char *name, int argc, char *argv[], int *i, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* The global options; returns the index of the subcommand, or -1. */
static int
parse_globals(struct partition_opts *o, int argc, char *argv[])
{
	int i, r;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((r = take("--sysfs", argc, argv, &i, &o->sysfs)) == 0 &&
		    (r = take("--devices", argc, argv, &i, &o->devices)) == 0 &&
		    (r = take("--overrides", argc, argv, &i, &o->overrides)) == 0 &&
		    (r = take("--domains", argc, argv, &i, &o->domains)) == 0)
			r = take("--usb", argc, argv, &i, &o->usb);
		if (r == 1)
			continue;
		if (r == -1)
			fprintf(stderr, "%s: option '%s' needs a value\n", o->prog,
			    argv[i]);
		else
			fprintf(stderr, "%s: unknown option '%s'\n", o->prog,
			    argv[i]);
		return -1;
	}
	return i;
}

int
main(int argc, char *argv[])
{
	struct partition_opts o = { argv[0], "/", NULL, NULL, NULL, NULL };
	const struct cli c = { o.prog, "[--sysfs ROOT] [--devices FILE] "
	    "[--overrides FILE] [--domains FILE] [--usb FILE]\n       <cmd> [<args>]",
	    subcommands, nitems(subcommands), footer };
	int cmd;

	if (cli_wants_help(argc, argv)) {
		cli_usage(&c, stdout);
		return EXIT_OK;
	}
	if ((cmd = parse_globals(&o, argc, argv)) < 0 || cmd >= argc) {
		cli_usage(&c, stderr);
		return EXIT_USAGE;
	}
	return cli_dispatch(&c, &o, argc - cmd, argv + cmd);
}
