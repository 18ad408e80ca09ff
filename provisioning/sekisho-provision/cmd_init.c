/*
 * init: the agency's keys and the registry's settings, once.
 *
 *   agency-1.key    the agency's Ed25519 signing key (bundles)
 *   gateway.key     the gateway's WireGuard private key (and gateway.pub)
 *   beacon-1.key    an office beacon's Ed25519 key (and beacon-1.pub)
 *
 * All in the key directory, 0600, created with O_EXCL: init never
 * replaces a key, and refuses a registry that already has one.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/proto/beacon_sign.h"

static const char init_help[] =
    "Creates the agency signing key, the gateway's WireGuard key and the\n"
    "beacon keys in the key directory (-K), mode 0600, and records the\n"
    "address pools in the registry. Refuses to overwrite any key.\n\n"
    "  --pool A.B.C.D/N     IPv4 tunnel addresses (.1 is the gateway's)\n"
    "  --pool6 X::/N        IPv6 tunnel addresses, for groups whose policy has IPv6\n"
    "  --endpoint HOST:PORT where laptops reach the gateway (for the docs/templates)\n"
    "  --listen-port N      the gateway's WireGuard port (default 51820)\n"
    "  --beacons N          how many beacon keys (default 1)\n";

/* A.B.C.D/N or X::/N */
static int
pool_ok(const char *s, int v6)
{
	char a[64];
	const char *sl = strchr(s, '/');
	uint8_t buf[16];
	char *end;
	long n;

	if (sl == NULL || (size_t)(sl - s) >= sizeof(a))
		return 0;
	memcpy(a, s, (size_t)(sl - s));
	a[sl - s] = '\0';
	n = strtol(sl + 1, &end, 10);
	if (*end != '\0' || inet_pton(v6 ? AF_INET6 : AF_INET, a, buf) != 1)
		return 0;
	return v6 ? n >= 64 && n <= 126 : n >= 8 && n <= 30;
}

static int
write_beacon(const char *path, const char *pubpath, struct sk_error *err)
{
	uint8_t seed[BEACON_SEED_LEN], pub[BEACON_PUB_LEN];
	char b64[KEY_B64_LEN + 1];
	int rc;

	if (beacon_keygen(seed, pub) < 0)
		return sk_errorf(err, EIO, "no random key from OpenSSL");
	rc = prov_secret_write(path, seed, 1, err);
	wipe(seed, sizeof(seed));
	if (rc < 0)
		return rc;
	key_to_b64(b64, pub);
	strcat(b64, "\n");
	return prov_public_write(pubpath, b64, err);
}

int
cmd_init(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pool = NULL, *pool6 = NULL, *endpoint = NULL, *port = "51820",
	    *beacons = "1", *pos[1];
	const struct prov_opt opts[] = { { "pool", &pool, NULL }, { "pool6", &pool6, NULL },
	    { "endpoint", &endpoint, NULL }, { "listen-port", &port, NULL },
	    { "beacons", &beacons, NULL }, { NULL, NULL, NULL } };
	char path[REG_PATH_MAX], pubpath[REG_PATH_MAX], b64[KEY_B64_LEN + 1];
	uint8_t apub[KEY_LEN], gpriv[KEY_LEN], gpub[KEY_LEN];
	struct reg_key keys[BUNDLE_MAX_KEYS], k;
	struct sk_error err;
	struct stat st;
	size_t nk;
	uint64_t nb, lp;
	unsigned i;
	int n, rc;

	if ((n = prov_args(p, argc, argv, opts, pos, 0, 0,
	    "--pool A.B.C.D/N [--pool6 X::/N] [--endpoint HOST:PORT] [--listen-port N] [--beacons N]",
	    init_help)) < 0)
		return PROV_ARGS_RC(n);
	if (pool == NULL)
		return prov_usage("init --pool A.B.C.D/N [...] (--pool is required)");
	if (!pool_ok(pool, 0))
		return prov_fail("init: --pool %s: expected an IPv4 prefix A.B.C.D/N, N 8 to 30", pool);
	if (pool6 != NULL && !pool_ok(pool6, 1))
		return prov_fail("init: --pool6 %s: expected an IPv6 prefix X::/N, N 64 to 126", pool6);
	if (parse_u64(port, 1, 65535, &lp) < 0)
		return prov_fail("init: --listen-port %s: expected 1 to 65535", port);
	if (parse_u64(beacons, 0, 8, &nb) < 0)
		return prov_fail("init: --beacons %s: expected 0 to 8", beacons);
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_keys(p->r, keys, nitems(keys), &nk, &err) < 0)
		return prov_fail("%s", err.msg);
	if (nk > 0)
		return prov_fail("init: the registry is already initialised (agency key %s);"
		    " `key rotate` makes a new signing key", keys[0].pub);

	/* the key directory: ours alone */
	if (mkdir(p->keydir, 0700) == -1 && errno != EEXIST)
		return prov_fail("%s: %s", p->keydir, strerror(errno));
	if (lstat(p->keydir, &st) == -1 || !S_ISDIR(st.st_mode))
		return prov_fail("%s: not a directory", p->keydir);
	if (st.st_mode & 077)
		return prov_fail("%s: mode %04o, the key directory must be 0700",
		    p->keydir, (unsigned)(st.st_mode & 07777));
	/* every file refused before any is written */
	{
		const char *names[] = { "agency-1.key", "gateway.key", "gateway.pub" };
		for (i = 0; i < nitems(names); i++) {
			prov_keypath(p, names[i], path, sizeof(path));
			if (access(path, F_OK) == 0)
				return prov_fail("init: %s exists: refusing to overwrite it", path);
		}
	}

	prov_keypath(p, "agency-1.key", path, sizeof(path));
	if (bundle_keygen(path, apub, &err) < 0)
		return prov_fail("%s", err.msg);
	prov_keypath(p, "gateway.key", path, sizeof(path));
	prov_keypath(p, "gateway.pub", pubpath, sizeof(pubpath));
	if (prov_wg_keygen(gpriv, gpub) < 0)
		return prov_fail("no random key from OpenSSL");
	rc = prov_secret_write(path, gpriv, 1, &err);
	wipe(gpriv, sizeof(gpriv));
	if (rc < 0)
		return prov_fail("%s", err.msg);
	key_to_b64(b64, gpub);
	strcat(b64, "\n");
	if (prov_public_write(pubpath, b64, &err) < 0)
		return prov_fail("%s", err.msg);
	for (i = 1; i <= nb; i++) {
		char name[32], pname[32];
		snprintf(name, sizeof(name), "beacon-%u.key", i);
		snprintf(pname, sizeof(pname), "beacon-%u.pub", i);
		prov_keypath(p, name, path, sizeof(path));
		prov_keypath(p, pname, pubpath, sizeof(pubpath));
		if (write_beacon(path, pubpath, &err) < 0)
			return prov_fail("%s", err.msg);
	}

	memset(&k, 0, sizeof(k));
	key_to_b64(k.pub, apub);
	prov_keypath(p, "agency-1.key", k.file, sizeof(k.file));
	snprintf(k.state, sizeof(k.state), "active");
	k.created = p->now;
	if ((rc = prov_begin(p)) != 0)
		return rc;
	key_to_b64(b64, gpub);
	if (reg_meta_set(p->r, "pool4", pool, &err) < 0 ||
	    (pool6 != NULL && reg_meta_set(p->r, "pool6", pool6, &err) < 0) ||
	    reg_meta_set(p->r, "listen_port", port, &err) < 0 ||
	    reg_meta_set(p->r, "gateway_pub", b64, &err) < 0 ||
	    (endpoint != NULL && reg_meta_set(p->r, "endpoint", endpoint, &err) < 0) ||
	    reg_key_add(p->r, &k, &err) < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, "init", "registry", "agency key %s, gateway key %s,"
	    " pool %s%s%s", k.pub, b64, pool, pool6 ? ", pool6 " : "", pool6 ? pool6 : "")) != 0 ||
	    (rc = prov_commit(p)) != 0)
		return rc;
	printf("agency key:  %s (%s)\n", k.pub, k.file);
	printf("gateway key: %s (%s/gateway.key)\n", b64, p->keydir);
	for (i = 1; i <= nb; i++) {
		char pname[32], line[KEY_B64_LEN + 2] = "";
		FILE *f;
		snprintf(pname, sizeof(pname), "beacon-%u.pub", i);
		prov_keypath(p, pname, pubpath, sizeof(pubpath));
		if ((f = fopen(pubpath, "r")) != NULL) {
			if (fgets(line, sizeof(line), f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
		line[strcspn(line, "\n")] = '\0';
		printf("beacon key:  %s (%s/beacon-%u.key)\n", line, p->keydir, i);
	}
	return EXIT_OK;
}
