/*
 * A device's policy: its group's template, written once by IT, with the
 * device's own part appended (serial, tunnel addresses, key file). One
 * function for the bundle sekisho-provision signs and for the rules the
 * gateway compiles, so the two never differ.
 */
#include "registry/ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
reg_policy_compose(const char *tmpl, const struct reg_device *d,
    const char *key_file, int64_t serial, char **out, size_t *outlen)
{
	size_t tl = strlen(tmpl), cap = tl + 512 + strlen(key_file);
	char *s = malloc(cap);
	int n;

	if (s == NULL)
		return -ENOMEM;
	memcpy(s, tmpl, tl);
	if (tl > 0 && s[tl - 1] != '\n')
		s[tl++] = '\n';
	n = snprintf(s + tl, cap - tl,
	    "# device %s, filled in by sekisho-provision\n"
	    "serial %lld\n"
	    "device {\n"
	    "\ttunnel-address %s\n"
	    "%s%s%s"
	    "\tkey-file \"%s\"\n"
	    "}\n", d->name, (long long)serial, d->addr4,
	    d->addr6[0] ? "\ttunnel-address6 " : "", d->addr6, d->addr6[0] ? "\n" : "",
	    key_file);
	if (n < 0 || (size_t)n >= cap - tl) {
		free(s);
		return -E2BIG;
	}
	*out = s;
	*outlen = tl + (size_t)n;
	return 0;
}

int
reg_device_policy_text(struct reg *r, const struct reg_device *d, char **text,
    struct sk_error *err)
{
	struct reg_group g;
	size_t len;
	int rc;

	*text = NULL;
	if ((rc = reg_group_get(r, d->grp, &g, err)) < 0)
		return rc;
	rc = reg_policy_compose(g.tmpl, d, g.key_file, d->serial, text, &len);
	reg_group_free(&g);
	if (rc < 0)
		return sk_errorf(err, -rc, "device %s: %s", d->name,
		    rc == -ENOMEM ? "out of memory" : "policy text too long");
	return 0;
}
