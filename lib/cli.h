/*
 * What every Sekisho command-line tool shares: one set of exit statuses and
 * one table of subcommands in the shape of wireguard-tools' wg.c, one file
 * and one *_main() per subcommand. Usage goes to stdout when asked for
 * (-h, --help, help) and to stderr with status 2 when the command line is
 * wrong; an unknown subcommand is named in one line first.
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stddef.h>
#include <stdio.h>

enum {
	EXIT_OK = 0,		/* done; valid */
	EXIT_FAIL = 1,		/* failed, invalid or refused: one line says why */
	EXIT_USAGE = 2,		/* the command line was wrong */
};

struct cli_cmd {
	const char	*name;
	/* argv[0] is the subcommand's name; ctx is cli_run's. */
	int		(*fn)(void *ctx, int argc, char *argv[]);
	const char	*args;	/* "FILE", "" for none */
	const char	*help;
};

struct cli {
	const char		*prog;		/* argv[0] */
	const char		*synopsis;	/* after the program's name */
	const struct cli_cmd	*cmds;
	size_t			 n_cmds;
	const char		*footer;	/* after the table, may be NULL */
};

/* "Usage: PROG SYNOPSIS", the subcommands, the footer. */
void cli_usage(const struct cli *c, FILE *f);
/* 1 if argv[i] asks for help: -h, --help or help, alone on the line. */
int cli_wants_help(int argc, char *argv[]);
/*
 * Runs the subcommand named argv[0] with (ctx, argc, argv). With argc 0,
 * the usage on stderr and EXIT_USAGE; an unknown name: "Invalid
 * subcommand: 'NAME'", the usage on stderr and EXIT_USAGE.
 */
int cli_dispatch(const struct cli *c, void *ctx, int argc, char *argv[]);

#endif
