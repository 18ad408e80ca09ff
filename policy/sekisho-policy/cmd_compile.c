/* sekisho-policy compile --for netvm|gateway [--check] ... POLICY...:
 * the nftables ruleset of a policy, for the laptop's netvm (one policy,
 * one mode: what sekishod loads) or for the agency gateway (one or more
 * device policies). --check hands it to nftables' dry run (libnftables)
 * instead of printing it: nothing on success, nft's complaint otherwise. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "lib/nftload.h"
#include "policy/render/fw_render.h"
#include "policy/sekisho-policy/cmd.h"
#include "policy/render/compile.h"
#include "policy/policy.h"

#define COMPILE_ARGS "--for netvm|gateway [--check] [--mode remote|office|blocked] " \
	"[--work-if IF] [--tun-if IF] [--uplink IF] POLICY..."

struct compile_args {
	int			 gateway, check, netvm_only;
	const char		*target, *tun_if;
	struct compile_netvm	 nv;
};

static int
parse_mode(const char *s, enum mode *m)
{
	if (strcmp(s, "remote") == 0)
		*m = MODE_REMOTE;
	else if (strcmp(s, "office") == 0)
		*m = MODE_OFFICE;
	else if (strcmp(s, "blocked") == 0)
		*m = MODE_BLOCKED;
	else
		return -1;
	return 0;
}

static int
compile_option(int ch, struct compile_args *a)
{
	switch (ch) {
	case 'f': a->target = optarg; return EXIT_OK;
	case 'c': a->check = 1; return EXIT_OK;
	case 't': a->tun_if = optarg; return EXIT_OK;
	case 'w': a->nv.work_if = optarg; a->netvm_only = 1; return EXIT_OK;
	case 'u': a->nv.uplink = optarg; a->netvm_only = 1; return EXIT_OK;
	case 'm':
		a->netvm_only = 1;
		if (parse_mode(optarg, &a->nv.mode) == 0)
			return EXIT_OK;
		fprintf(stderr, "%s compile: --mode '%s', expected remote, office or blocked\n",
		    prog_name, optarg);
		return EXIT_USAGE;
	}
	return cmd_usage("compile", COMPILE_ARGS);
}

static int
compile_options(int argc, char *argv[], struct compile_args *a)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "work-if", required_argument, NULL, 'w' },
		{ "tun-if", required_argument, NULL, 't' },
		{ "uplink", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	a->nv.mode = MODE_REMOTE;
	a->nv.work_if = "wk0";		/* sekishod's defaults */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((rc = compile_option(ch, a)) != EXIT_OK)
			return rc;
	if (a->target == NULL || optind == argc)
		return cmd_usage("compile", COMPILE_ARGS);
	a->gateway = strcmp(a->target, "gateway") == 0;
	if ((!a->gateway && strcmp(a->target, "netvm") != 0) ||
	    (a->gateway && a->netvm_only) || (!a->gateway && argc - optind != 1))
		return cmd_usage("compile", COMPILE_ARGS);
	if (a->tun_if == NULL)
		a->tun_if = a->gateway ? COMPILE_GW_TUN_IF : "sekisho0";
	a->nv.tun_if = a->tun_if;
	return EXIT_OK;
}

/* Parses every policy; on failure the ones parsed are freed. */
static int
load_all(char *paths[], size_t n, struct policy *pols, struct sk_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (policy_parse_file(paths[i], &pols[i], err) != 0) {
			while (i-- > 0)
				policy_free(&pols[i]);
			return -1;
		}
	return 0;
}

static int
render(const struct compile_args *a, char *paths[], const struct policy *pols,
    size_t n, struct buf *out, struct sk_error *err)
{
	const struct policy **pp;
	int rc;

	if (!a->gateway)
		return compile_netvm(&pols[0], &a->nv, out, err);
	if ((pp = calloc(n, sizeof(*pp))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		pp[i] = &pols[i];
	rc = compile_gateway(pp, (const char *const *)paths, n, a->tun_if, out, err);
	free(pp);
	return rc;
}

/* Prints the ruleset, or with --check hands it to nft's dry run. */
static int
emit(const struct compile_args *a, const char *text, struct sk_error *err)
{
	struct firewall *fw;
	int rc;

	if (!a->check)
		return fputs(text, stdout) == EOF || fflush(stdout) != 0 ?
		    sk_errorf(err, EIO, "cannot write the ruleset") : 0;
	if ((fw = fw_open(err)) == NULL)
		return -1;
	rc = fw_check(fw, text, err);
	fw_close(fw);
	return rc;
}

int
compile_main(void *ctx, int argc, char *argv[])
{
	struct compile_args a;
	struct policy *pols;
	struct sk_error err;
	struct buf out;
	size_t n;
	int rc;
	(void)ctx;

	memset(&a, 0, sizeof(a));
	if ((rc = compile_options(argc, argv, &a)) != EXIT_OK)
		return rc;
	n = (size_t)(argc - optind);
	if ((pols = calloc(n, sizeof(*pols))) == NULL)
		return EXIT_FAIL;
	if (load_all(argv + optind, n, pols, &err) != 0) {
		free(pols);
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	buf_init(&out);
	rc = render(&a, argv + optind, pols, n, &out, &err);
	if (rc == 0 && buf_str(&out) == NULL)
		rc = sk_errorf(&err, ENOMEM, "out of memory");
	if (rc == 0)
		rc = emit(&a, out.p, &err);
	buf_free(&out);
	for (size_t i = 0; i < n; i++)
		policy_free(&pols[i]);
	free(pols);
	if (rc != 0)
		fprintf(stderr, "%s\n", err.msg);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
