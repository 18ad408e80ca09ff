/*
 * gateway export FILE: the gateway's WireGuard configuration in the format
 * `wg setconf` reads: its private key and port, one [Peer] per active
 * device that has a key, allowed-ips its tunnel addresses. Revoked devices
 * are absent, so applying it (setconf replaces the whole peer list) ends
 * their tunnels. FILE holds the private key: 0600. The gateway daemon to
 * come reads the registry directly instead.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/encode.h"
#include "policy/fileio.h"

struct peers {
	char	*s;
	size_t	 len, cap;
	size_t	 n;
};

static int
put(struct peers *o, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *ns;

	if (o->len + la + lb + lc + 1 > o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 65536;
		while (ncap < o->len + la + lb + lc + 1)
			ncap *= 2;
		if ((ns = realloc(o->s, ncap)) == NULL)
			return -ENOMEM;
		o->s = ns;
		o->cap = ncap;
	}
	memcpy(o->s + o->len, a, la);
	memcpy(o->s + o->len + la, b, lb);
	memcpy(o->s + o->len + la + lb, c, lc);
	o->len += la + lb + lc;
	o->s[o->len] = '\0';
	return 0;
}

static int
peer(void *arg, const struct reg_device *d)
{
	struct peers *o = arg;

	if (strcmp(d->state, "active") || d->pubkey[0] == '\0')
		return 0;
	o->n++;
	if (put(o, "\n# ", d->name, "\n[Peer]\n") < 0 ||
	    put(o, "PublicKey = ", d->pubkey, "\n") < 0 ||
	    put(o, "AllowedIPs = ", d->addr4, d->addr6[0] ? ", " : "") < 0 ||
	    put(o, d->addr6, "", "\n") < 0)
		return -ENOMEM;
	return 0;
}

static int
gateway_export(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pos[1];
	struct peers o = { 0 };
	struct sk_error err;
	uint8_t key[KEY_LEN];
	char path[REG_PATH_MAX], b64[KEY_B64_LEN], port[16];
	int n, rc;

	if ((n = prov_args(p, argc, argv, NULL, pos, 1, 1, "FILE",
	    "Writes the gateway's WireGuard configuration for `wg setconf IFACE FILE`:\n"
	    "its private key (FILE is 0600), its listen port, and every active\n"
	    "device's public key and tunnel addresses. Revoked devices are absent.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_meta_get(p->r, "listen_port", port, sizeof(port), &err) < 0)
		return prov_fail("%s (sekisho-provision init)", err.msg);
	prov_keypath(p, "gateway.key", path, sizeof(path));
	if (key_file_read(path, key, -1, &err) < 0)
		return prov_fail("%s", err.msg);
	key_to_b64(b64, key);
	wipe(key, sizeof(key));
	rc = put(&o, "# the agency gateway's peers, written by sekisho-provision gateway export\n"
	    "[Interface]\nPrivateKey = ", b64, "\n");
	wipe(b64, sizeof(b64));
	if (rc < 0 || put(&o, "ListenPort = ", port, "\n") < 0 ||
	    (rc = reg_device_list(p->r, peer, &o, &err)) < 0) {
		if (o.s != NULL)
			wipe(o.s, o.len);
		free(o.s);
		return rc == -ENOMEM || rc == 0 ? prov_fail("out of memory") : prov_fail("%s", err.msg);
	}
	rc = durable_write(pos[0], o.s, o.len, 0600, &err);
	wipe(o.s, o.len);
	free(o.s);
	if (rc < 0)
		return prov_fail("%s", err.msg);
	if (!p->quiet)
		fprintf(stderr, "%s: %zu peers\n", pos[0], o.n);
	return EXIT_OK;
}

static const struct cli_cmd gateway_cmds[] = {
	{ "export", gateway_export, "FILE", "the peer table for wg setconf (0600)" },
};

int
cmd_gateway(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("gateway", gateway_cmds, nitems(gateway_cmds), ctx, argc, argv);
}
