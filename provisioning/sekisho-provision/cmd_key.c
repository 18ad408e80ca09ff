/*
 * key: the agency signing key and its rotation with an overlap.
 *
 *   key rotate   a new key, "next": every trust file exported from now on
 *                pins it beside the active one; bundles are still signed
 *                by the active key, so laptops that have the old trust
 *                file go on accepting them.
 *   key retire   when every laptop has a trust file with both (a round of
 *                `device export`): next becomes active and signs, the old
 *                one is retired and leaves the trust files.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/encode.h"

static int
key_list(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	struct reg_key k[BUNDLE_MAX_KEYS];
	struct sk_error err;
	size_t n, i;
	int rc;

	if ((rc = prov_args(p, argc, argv, NULL, NULL, 0, 0, "",
	    "The agency signing keys in use: active (signs), next (trusted, not yet signing).\n")) < 0)
		return PROV_ARGS_RC(rc);
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_keys(p->r, k, nitems(k), &n, &err) < 0)
		return prov_fail("%s", err.msg);
	for (i = 0; i < n; i++)
		printf("%-7s %s %s\n", k[i].state, k[i].pub, k[i].file);
	return EXIT_OK;
}

static int
key_rotate(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	struct reg_key k[BUNDLE_MAX_KEYS], nk;
	struct sk_error err;
	uint8_t pub[KEY_LEN];
	size_t n, i, serial = 1;
	int rc;

	if ((rc = prov_args(p, argc, argv, NULL, NULL, 0, 0, "[--reason TEXT]",
	    "Makes the next agency signing key. Trust files exported from now on pin\n"
	    "it beside the active key; `key retire` later makes it the signer.\n")) < 0)
		return PROV_ARGS_RC(rc);
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_keys(p->r, k, nitems(k), &n, &err) < 0)
		return prov_abort(p, &err);
	if (n == 0)
		return prov_abortf(p, "key rotate: no agency key: run init first");
	for (i = 0; i < n; i++)
		if (!strcmp(k[i].state, "next"))
			return prov_abortf(p, "key rotate: key %s is already"
			    " next; `key retire` finishes that rotation first", k[i].pub);
	/* agency-N.key: the first N not taken */
	memset(&nk, 0, sizeof(nk));
	for (serial = 1; serial < 1000; serial++) {
		char name[32];
		snprintf(name, sizeof(name), "agency-%zu.key", serial);
		prov_keypath(p, name, nk.file, sizeof(nk.file));
		if (access(nk.file, F_OK) == -1 && errno == ENOENT)
			break;
	}
	if (bundle_keygen(nk.file, pub, &err) < 0)
		return prov_abort(p, &err);
	key_to_b64(nk.pub, pub);
	snprintf(nk.state, sizeof(nk.state), "next");
	nk.created = p->now;
	if (reg_key_add(p->r, &nk, &err) < 0) {
		unlink(nk.file);
		return prov_abort(p, &err);
	}
	if ((rc = prov_audit(p, "key rotate", "agency key", "next %s (%s), active %s",
	    nk.pub, nk.file, k[0].pub)) != 0)
		return rc;
	if ((rc = prov_commit(p)) != 0) {
		unlink(nk.file);
		return rc;
	}
	printf("next agency key: %s (%s)\n"
	    "Export every device again (device export) so that its trust file pins\n"
	    "both keys, then run `key retire`.\n", nk.pub, nk.file);
	return EXIT_OK;
}

static int
key_retire(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	struct reg_key k[BUNDLE_MAX_KEYS];
	struct sk_error err;
	size_t n, i;
	int rc, next = -1;

	if ((rc = prov_args(p, argc, argv, NULL, NULL, 0, 0, "[--reason TEXT]",
	    "Ends a rotation: the next key becomes the active signer, the old one is\n"
	    "retired and leaves the trust files exported from now on.\n")) < 0)
		return PROV_ARGS_RC(rc);
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_keys(p->r, k, nitems(k), &n, &err) < 0)
		return prov_abort(p, &err);
	for (i = 0; i < n; i++)
		if (!strcmp(k[i].state, "next"))
			next = (int)i;
	if (next < 0 || n < 2)
		return prov_abortf(p, "key retire: no rotation under way"
		    " (key rotate starts one)");
	if (reg_key_set_state(p->r, k[0].pub, "retired", &err) < 0 ||
	    reg_key_set_state(p->r, k[next].pub, "active", &err) < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, "key retire", "agency key", "retired %s, active %s",
	    k[0].pub, k[next].pub)) != 0 || (rc = prov_commit(p)) != 0)
		return rc;
	printf("active agency key: %s\nretired: %s\n", k[next].pub, k[0].pub);
	return EXIT_OK;
}

static const struct cli_cmd key_cmds[] = {
	{ "list", key_list, "", "the agency keys in use" },
	{ "rotate", key_rotate, "", "make the next signing key (trusted beside the active one)" },
	{ "retire", key_retire, "", "the next key signs from now on; the old one is retired" },
};

int
cmd_key(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("key", key_cmds, nitems(key_cmds), ctx, argc, argv);
}
