#include "lib/cli.h"

#include <string.h>

void
cli_usage(const struct cli *c, FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s %s\n\n", c->prog, c->synopsis);
	fprintf(f, "Available subcommands:\n");
	for (i = 0; i < c->n_cmds; i++)
		fprintf(f, "  %s%s%s: %s\n", c->cmds[i].name,
		    c->cmds[i].args[0] != '\0' ? " " : "", c->cmds[i].args,
		    c->cmds[i].help);
	if (c->footer != NULL)
		fputs(c->footer, f);
}

int
cli_wants_help(int argc, char *argv[])
{
	return argc == 2 && (!strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"));
}

int
cli_dispatch(const struct cli *c, void *ctx, int argc, char *argv[])
{
	size_t i;

	if (argc < 1) {
		cli_usage(c, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < c->n_cmds; i++)
		if (!strcmp(argv[0], c->cmds[i].name))
			return c->cmds[i].fn(ctx, argc, argv);
	fprintf(stderr, "Invalid subcommand: '%s'\n", argv[0]);
	cli_usage(c, stderr);
	return EXIT_USAGE;
}
