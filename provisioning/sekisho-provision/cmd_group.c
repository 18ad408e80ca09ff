/*
 * group: devices belong to a group whose policy template IT writes once
 * (a policy file without `serial` and `device`, docs/provisioning.md);
 * each device's part is filled in when its bundle is signed.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/fileio.h"
#include "provisioning/sekisho-provision/importmap.h"

static const char tmpl_help[] =
    "TEMPLATE is a device policy (docs/policy.md) without `serial` and without\n"
    "the `device` block: sekisho-provision appends them per device (the next\n"
    "serial, its tunnel addresses, the key file). It must parse once they are\n"
    "filled in; IPv6 in the template gives the group's devices IPv6 addresses.\n\n"
    "  --key-file PATH  where the laptop keeps its WireGuard key\n"
    "                   (default /etc/sekisho/device.key)\n";

static int
read_template(const char *path, char **out, struct sk_error *err)
{
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = file_read_max(path, POLICY_MAX_SIZE, &buf, &len, err)) < 0)
		return rc;
	if (memchr(buf, '\0', len) != NULL) {
		free(buf);
		return sk_errorf(err, EINVAL, "%s: a NUL byte in a template", path);
	}
	*out = realloc(buf, len + 1);
	if (*out == NULL) {
		free(buf);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	(*out)[len] = '\0';
	return 0;
}

static int
group_add(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *key_file = "/etc/sekisho/device.key", *pos[2], *bad;
	const struct prov_opt opts[] = { { "key-file", &key_file, NULL }, { NULL, NULL, NULL } };
	struct reg_group g;
	struct sk_error err;
	int rc, n;

	if ((n = prov_args(p, argc, argv, opts, pos, 2, 2, "NAME TEMPLATE [--key-file PATH]",
	    tmpl_help)) < 0)
		return PROV_ARGS_RC(n);
	if ((bad = importmap_check_group(pos[0])) != NULL)
		return prov_fail("group %s: %s", pos[0], bad);
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", pos[0]);
	if (strlen(key_file) > REG_PATH_MAX)
		return prov_fail("--key-file: longer than %d bytes", REG_PATH_MAX);
	snprintf(g.key_file, sizeof(g.key_file), "%s", key_file);
	if (read_template(pos[1], &g.tmpl, &err) < 0)
		return prov_fail("%s", err.msg);
	if (prov_template_check(p, pos[1], g.tmpl, g.key_file, &g.ipv6, &err) < 0) {
		free(g.tmpl);
		return prov_fail("%s", err.msg);
	}
	if ((rc = prov_begin(p)) != 0 ||
	    (reg_group_add(p->r, &g, &err) < 0 && (rc = prov_abort(p, &err)) != 0) ||
	    (rc = prov_audit(p, "group add", g.name, "template %s (%zu bytes)%s, key file %s",
	    pos[1], strlen(g.tmpl), g.ipv6 ? ", IPv6" : "", g.key_file)) != 0 ||
	    (rc = prov_commit(p)) != 0) {
		free(g.tmpl);
		return rc;
	}
	free(g.tmpl);
	return EXIT_OK;
}

static int
group_set(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pos[2];
	struct reg_group g;
	struct sk_error err;
	char *tmpl;
	int rc, n, v6;

	if ((n = prov_args(p, argc, argv, NULL, pos, 2, 2, "NAME TEMPLATE",
	    "Replaces a group's template. The devices' next bundles (device export)\n"
	    "carry it, with their next serial.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (read_template(pos[1], &tmpl, &err) < 0)
		return prov_fail("%s", err.msg);
	if ((rc = prov_begin(p)) != 0)
		goto out;
	if (reg_group_get(p->r, pos[0], &g, &err) < 0) {
		rc = prov_abort(p, &err);
		goto out;
	}
	if (prov_template_check(p, pos[1], tmpl, g.key_file, &v6, &err) < 0) {
		rc = prov_abort(p, &err);
	} else if (v6 != g.ipv6) {
		rc = prov_abortf(p, "group %s: the template %s IPv6; its devices' addresses"
		    " were given %s it: make a new group", g.name, v6 ? "adds" : "drops",
		    g.ipv6 ? "with" : "without");
	} else if (reg_group_set_template(p->r, pos[0], tmpl, &err) < 0) {
		rc = prov_abort(p, &err);
	} else if ((rc = prov_audit(p, "group set", pos[0], "template %s (%zu bytes)",
	    pos[1], strlen(tmpl))) == 0)
		rc = prov_commit(p);
	reg_group_free(&g);
out:
	free(tmpl);
	return rc;
}

static int
group_show(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pos[1];
	struct reg_group g;
	struct sk_error err;
	int n;

	if ((n = prov_args(p, argc, argv, NULL, pos, 1, 1, "NAME",
	    "Prints the group's template.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_group_get(p->r, pos[0], &g, &err) < 0)
		return prov_fail("%s", err.msg);
	printf("# group %s, key file %s%s\n%s", g.name, g.key_file, g.ipv6 ? ", IPv6" : "",
	    g.tmpl);
	reg_group_free(&g);
	return EXIT_OK;
}

static const struct cli_cmd group_cmds[] = {
	{ "add", group_add, "NAME TEMPLATE [--key-file PATH]", "a group and its policy template" },
	{ "set", group_set, "NAME TEMPLATE", "replace a group's template" },
	{ "show", group_show, "NAME", "print a group's template" },
};

int
cmd_group(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("group", group_cmds, nitems(group_cmds), ctx, argc, argv);
}
