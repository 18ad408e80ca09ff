/*
 * A device's bundle: the group's policy template, written once by IT, with
 * the device's own part appended (serial, tunnel addresses, key file; the
 * registry's reg_policy_compose, which the gateway uses too), and signed
 * by the active agency key (policy/bundle.h) for the device's WireGuard
 * key. The result is exactly what sekishod opens with -b.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"

const char *
prov_gw_tunnel(struct prov *p, struct sk_error *err)
{
	if (p->gw_tunnel[0] != '\0')
		return p->gw_tunnel;
	if (prov_open(p) != 0) {
		sk_errorf(err, EIO, "the registry cannot be opened");
		return NULL;
	}
	if (reg_gateway_tunnel(p->r, p->gw_tunnel, sizeof(p->gw_tunnel), err) < 0) {
		p->gw_tunnel[0] = '\0';
		return NULL;
	}
	return p->gw_tunnel;
}

/* "line N: what" (reg_policy_compose's) as "NAME:N: what" */
static int
template_error(const char *name, struct sk_error *err)
{
	unsigned line;
	int at = 0;

	if (sscanf(err->msg, "line %u: %n", &line, &at) == 1 && at > 0) {
		char what[sizeof(err->msg)];

		snprintf(what, sizeof(what), "%s", err->msg + at);
		sk_errorf(err, EINVAL, "%s:%u: %s", name, line, what);
	}
	return -EINVAL;
}

int
prov_template_check(struct prov *p, const char *name, const char *tmpl,
    const char *key_file, int *ipv6, struct sk_error *err)
{
	struct reg_device d;
	struct policy pol;
	struct sk_error e1;
	struct in_addr want;
	const char *l, *gw;
	unsigned line = 1;
	char *text;
	size_t len;
	int rc;

	/* the device's part is ours: the template must not hold it */
	for (l = tmpl; *l != '\0'; line++) {
		const char *w = l + strspn(l, " \t");
		if (!strncmp(w, "serial", 6) && (w[6] == ' ' || w[6] == '\t' || w[6] == '\n'))
			return sk_errorf(err, EINVAL, "%s:%u: a template has no 'serial':"
			    " sekisho-provision gives each device's bundle the next one", name, line);
		if (!strncmp(w, "device", 6) && (w[6] == ' ' || w[6] == '\t' || w[6] == '{'))
			return sk_errorf(err, EINVAL, "%s:%u: a template has no 'device' block:"
			    " sekisho-provision fills it in per device", name, line);
		if ((l = strchr(l, '\n')) == NULL)
			break;
		l++;
	}
	if (key_file[0] != '/')
		return sk_errorf(err, EINVAL, "key file '%s' is not an absolute path", key_file);
	/* the registry's gateways' address (none before init: not checked) */
	if ((gw = prov_gw_tunnel(p, &e1)) == NULL && strstr(e1.msg, "no address pool") == NULL)
		return sk_errorf(err, EIO, "%s", e1.msg);
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "template-check");
	snprintf(d.addr4, sizeof(d.addr4), "10.255.255.254/32");
	/* the template as IT wrote it first: the parser's lines are its own */
	for (*ipv6 = 0; *ipv6 <= 1; (*ipv6)++) {
		if (*ipv6)
			snprintf(d.addr6, sizeof(d.addr6), "fd00:ffff::fffe/128");
		if (reg_policy_compose(tmpl, &d, key_file, 1, NULL, &text, &len, err) < 0)
			return -ENOMEM;
		memset(&pol, 0, sizeof(pol));
		rc = policy_parse_buf(name, text, len, &pol, *ipv6 ? err : &e1);
		free(text);
		if (rc == 0) {
			policy_free(&pol);
			break;
		}
		/* only a want of tunnel-address6 makes it worth a second try */
		if (!*ipv6 && strstr(e1.msg, "tunnel-address6") == NULL) {
			if (err != NULL)
				*err = e1;
			return -EINVAL;
		}
	}
	if (*ipv6 > 1) {
		*ipv6 = 0;
		return -EINVAL;
	}
	if (gw == NULL)
		return 0;
	/* then with the gateways' tunnel-address filled in, as every bundle */
	if ((rc = reg_policy_compose(tmpl, &d, key_file, 1, gw, &text, &len, err)) < 0)
		return rc == -EINVAL ? template_error(name, err) : rc;
	memset(&pol, 0, sizeof(pol));
	rc = policy_parse_buf(name, text, len, &pol, err);
	free(text);
	if (rc < 0)
		return -EINVAL;
	{
		char a[INET_ADDRSTRLEN];	/* "A.B.C.D/32": the address before '/' */

		snprintf(a, sizeof(a), "%.*s", (int)strcspn(gw, "/"), gw);
		if (inet_pton(AF_INET, a, &want) != 1)
			return sk_errorf(err, EINVAL, "the registry's gateway address %s", gw);
	}
	for (size_t i = 0; i < pol.n_gateways; i++)
		if (pol.gateways[i].tunnel_addr.s_addr != want.s_addr) {
			rc = sk_errorf(err, EINVAL, "%s:%u: gateway \"%s\": its tunnel-address"
			    " could not be filled in: end its block with '}' on a line of its own",
			    name, pol.gateways[i].line, pol.gateways[i].name);
			break;
		}
	policy_free(&pol);
	return rc < 0 ? rc : 0;
}

static int
load_signer(struct prov *p, struct sk_error *err)
{
	struct reg_key k[BUNDLE_MAX_KEYS];
	size_t n;
	int rc;

	if (p->signer_loaded)
		return 0;
	if ((rc = reg_keys(p->r, k, nitems(k), &n, err)) < 0)
		return rc;
	if (n == 0 || strcmp(k[0].state, "active"))
		return sk_errorf(err, ENOENT, "no active agency key: run init first");
	if ((rc = bundle_signer_load(&p->signer, k[0].file, err)) < 0)
		return rc;
	p->signer_loaded = 1;
	return 0;
}

int
prov_sign_device(struct prov *p, const struct reg_device *d,
    const struct reg_group *g, int64_t serial, uint8_t **out, size_t *outlen,
    struct sk_error *err)
{
	uint8_t dev[KEY_LEN];
	char *text, name[REG_NAME_MAX + 32];
	struct sk_error e1;
	const char *gw;
	size_t len;
	int rc;

	if ((rc = load_signer(p, err)) < 0)
		return rc;
	if (key_from_b64(dev, d->pubkey) < 0)
		return sk_errorf(err, EINVAL, "device %s: bad public key", d->name);
	if ((gw = prov_gw_tunnel(p, err)) == NULL)
		return -EIO;
	if ((rc = reg_policy_compose(g->tmpl, d, g->key_file, serial, gw, &text, &len, &e1)) < 0)
		return sk_errorf(err, -rc, "device %s: group %s's template: %s", d->name, g->name,
		    e1.msg);
	snprintf(name, sizeof(name), "group %s", g->name);
	rc = bundle_sign(&p->signer, name, text, len, dev, (uint64_t)p->now,
	    BUNDLE_MAX_AGE_DEFAULT, out, outlen, err);
	free(text);
	return rc < 0 ? -EINVAL : 0;
}

int
prov_trust_text(struct prov *p, char *out, size_t len, struct sk_error *err)
{
	struct reg_key k[BUNDLE_MAX_KEYS];
	size_t n, i, o;
	int rc;

	if ((rc = reg_keys(p->r, k, nitems(k), &n, err)) < 0)
		return rc;
	o = (size_t)snprintf(out, len, "# agency keys pinned by this device (sekisho-provision)\n");
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s\n", k[i].pub);
	return o < len ? 0 : sk_errorf(err, E2BIG, "trust file too long");
}
