/*
 * device: laptops. add / import put them in the registry with the next
 * tunnel addresses of the pool; export signs each one's bundle with its
 * next serial and writes what goes onto its netvm; revoke takes it out of
 * the gateway's peer table for good; rekey gives it a new WireGuard key.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/proto/signon_crypto.h"
#include "policy/fileio.h"
#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/reclist.h"
#include "provisioning/sekisho-provision/table.h"
#include "registry/signon.h"

/* ---- groups seen in one run ------------------------------------------ */

struct gcache {
	struct reg_group	*v;
	size_t			 n;
};

static int
gcache_get(struct prov *p, struct gcache *c, const char *name,
    struct reg_group **out, struct sk_error *err)
{
	struct reg_group g, *nv;
	size_t i;
	int rc;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name)) {
			*out = &c->v[i];
			return 0;
		}
	if ((rc = reg_group_get(p->r, name, &g, err)) < 0)
		return rc;
	if ((nv = realloc(c->v, (c->n + 1) * sizeof(*nv))) == NULL) {
		reg_group_free(&g);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	c->v = nv;
	c->v[c->n] = g;
	*out = &c->v[c->n++];
	return 0;
}

static void
gcache_free(struct gcache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		reg_group_free(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---- add and import ----------------------------------------------------- */

static int
add_one(struct prov *p, struct gcache *gc, const struct device_rec *rec,
    const char *how, struct reg_device *d, struct sk_error *err)
{
	struct reg_group *g;
	int rc;

	memset(d, 0, sizeof(*d));
	sk_strlcpy(d->name, rec->name, sizeof(d->name));
	sk_strlcpy(d->grp, rec->group[0] ? rec->group : "default", sizeof(d->grp));
	sk_strlcpy(d->pubkey, rec->pubkey, sizeof(d->pubkey));
	sk_strlcpy(d->asset, rec->asset, sizeof(d->asset));
	sk_strlcpy(d->owner, rec->user, sizeof(d->owner));
	if ((rc = gcache_get(p, gc, d->grp, &g, err)) < 0)
		return rc != -ENOENT ? rc : sk_errorf(err, ENOENT,
		    "device %s: no group %s (group add makes one)", d->name, d->grp);
	if ((rc = reg_device_add(p->r, d, g->ipv6, err)) < 0)
		return rc;
	return reg_audit(p->r, &p->actor, "device add", d->name, how, err) < 0 ? -EIO : 0;
}

static int
device_add(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *group = "default", *pubkey = "", *asset = "", *user = "", *pos[1], *bad;
	const struct prov_opt opts[] = { { "group", &group, NULL }, { "pubkey", &pubkey, NULL },
	    { "asset", &asset, NULL }, { "user", &user, NULL }, { NULL, NULL, NULL } };
	struct device_rec rec;
	struct reg_device d;
	struct gcache gc = { 0 };
	struct sk_error err;
	char how[256];
	int rc, n;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1,
	    "NAME [--group G] [--pubkey KEY] [--asset A] [--user STAFF_ID]",
	    "Adds a laptop with the next tunnel addresses of the pool.\n\n"
	    "  --pubkey KEY  its WireGuard public key, made on the laptop (preferred:\n"
	    "                the private key never leaves it); without it, the key\n"
	    "                pair is made here at `device export` and handed over once\n"
	    "  --group G     its group (default \"default\")\n")) < 0)
		return PROV_ARGS_RC(n);
	if ((bad = importmap_check_device_name(pos[0])) != NULL)
		return prov_fail("device %s: %s", pos[0], bad);
	if ((bad = importmap_check_group(group)) != NULL)
		return prov_fail("--group %s: %s", group, bad);
	if ((bad = importmap_check_pubkey(pubkey)) != NULL)
		return prov_fail("--pubkey: %s", bad);
	if ((bad = importmap_check_text(asset, REC_ID_MAX)) != NULL)
		return prov_fail("--asset: %s", bad);
	if (user[0] != '\0' && (bad = importmap_check_staff_id(user)) != NULL)
		return prov_fail("--user %s: %s", user, bad);
	memset(&rec, 0, sizeof(rec));
	sk_strlcpy(rec.name, pos[0], sizeof(rec.name));
	sk_strlcpy(rec.group, group, sizeof(rec.group));
	sk_strlcpy(rec.pubkey, pubkey, sizeof(rec.pubkey));
	sk_strlcpy(rec.asset, asset, sizeof(rec.asset));
	sk_strlcpy(rec.user, user, sizeof(rec.user));
	if ((rc = prov_begin(p)) != 0)
		return rc;
	snprintf(how, sizeof(how), "group %s%s", rec.group[0] ? rec.group : "default",
	    pubkey[0] ? ", public key given" : ", key pair to be made at export");
	if (add_one(p, &gc, &rec, how, &d, &err) < 0) {
		gcache_free(&gc);
		return prov_abort(p, &err);
	}
	gcache_free(&gc);
	if ((rc = prov_commit(p)) != 0)
		return rc;
	printf("%s %s%s%s\n", d.name, d.addr4, d.addr6[0] ? " " : "", d.addr6);
	return EXIT_OK;
}

static int
device_import(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *encs = "auto", *pos[1];
	int dry = 0, rc, n;
	const struct prov_opt opts[] = { { "encoding", &encs, NULL }, { "dry-run", NULL, &dry },
	    { NULL, NULL, NULL } };
	struct device_list l = { 0 };
	struct import_report rep;
	struct reg_device d;
	struct gcache gc = { 0 };
	struct progress pg;
	struct sk_error err;
	enum textenc enc;
	char how[300];
	size_t i;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1,
	    "FILE.csv [--encoding auto|utf-8|cp932] [--dry-run]",
	    "Imports laptops from a CSV file (Excel's, UTF-8 or CP932, headers in\n"
	    "Japanese or English: name/端末名, group/グループ, pubkey/公開鍵,\n"
	    "asset/資産番号, user/利用者). All rows or none: one bad row imports\n"
	    "nothing, and every problem is one line FILE:LINE: field: problem.\n"
	    "--dry-run checks the file and the registry without writing.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (textenc_parse(encs, &enc) < 0)
		return prov_fail("--encoding %s: expected auto, utf-8 or cp932", encs);
	rc = importmap_devices_file(pos[0], enc, &l, &rep);
	import_report_print(&rep, stderr);
	if (rc < 0) {
		import_report_free(&rep);
		reclist_device_free(&l);
		return prov_fail("%s: nothing imported", pos[0]);
	}
	if ((rc = prov_begin(p)) != 0)
		goto out;
	progress_start(&pg, p, "device import", l.n);
	for (i = 0; i < l.n; i++) {
		snprintf(how, sizeof(how), "import %s:%zu", pos[0], l.v[i].line);
		if (add_one(p, &gc, &l.v[i], how, &d, &err) < 0) {
			progress_end(&pg);
			rc = prov_abortf(p, "%s:%zu: %s; nothing imported", pos[0], l.v[i].line,
			    err.msg);
			goto out;
		}
		progress_step(&pg, 1);
	}
	progress_end(&pg);
	if (dry) {
		reg_rollback(p->r);
		printf("%s: %zu devices would be imported (dry run: nothing written)\n",
		    pos[0], l.n);
		rc = EXIT_OK;
		goto out;
	}
	if ((rc = prov_audit(p, "device import", pos[0], "%zu devices (%s)", l.n,
	    textenc_name(rep.used))) != 0 || (rc = prov_commit(p)) != 0)
		goto out;
	printf("%s: %zu devices imported\n", pos[0], l.n);
out:
	gcache_free(&gc);
	import_report_free(&rep);
	reclist_device_free(&l);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

static const struct table_col dev_cols[] = {
	{ "name", NULL, TABLE_STR, 0 }, { "group", NULL, TABLE_STR, 0 },
	{ "pubkey", NULL, TABLE_STR, 0 }, { "asset", NULL, TABLE_STR, 0 },
	{ "user", NULL, TABLE_STR, 0 }, { "address", NULL, TABLE_STR, 0 },
	{ "address6", NULL, TABLE_STR, 0 }, { "state", NULL, TABLE_STR, 0 },
	{ "serial", NULL, TABLE_INT, 1 },
};

static int
list_row(void *arg, const struct reg_device *d)
{
	char serial[24];
	const char *cells[nitems(dev_cols)] = { d->name, d->grp, d->pubkey, d->asset,
	    d->owner, d->addr4, d->addr6, d->state, serial };

	snprintf(serial, sizeof(serial), "%lld", (long long)d->serial);
	return table_add(arg, cells) < 0 ? -ENOMEM : 0;
}

int
prov_list_fmt(const char *json, const char *csv, const char *encs, enum table_fmt *fmt,
    enum textenc *enc)
{
	*fmt = json ? TABLE_JSON : csv ? TABLE_CSV : TABLE_TEXT;
	if (textenc_parse(encs, enc) < 0)
		return prov_fail("--encoding %s: expected utf-8 or cp932", encs);
	return 0;
}

static int
device_list(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *encs = "utf-8";
	int json = 0, csv = 0, n, rc;
	const struct prov_opt opts[] = { { "json", NULL, &json }, { "csv", NULL, &csv },
	    { "encoding", &encs, NULL }, { NULL, NULL, NULL } };
	struct table *t;
	struct sk_error err;
	enum table_fmt fmt;
	enum textenc enc;

	if ((n = prov_args(p, argc, argv, opts, NULL, 0, 0,
	    "[--json | --csv [--encoding utf-8|cp932]]",
	    "Every device: a table, or JSON, or CSV (CP932 for Excel). The CSV reads\n"
	    "back with `device import`.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_list_fmt(json ? "" : NULL, csv ? "" : NULL, encs, &fmt, &enc) != 0)
		return EXIT_FAIL;
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if ((t = table_new(dev_cols, nitems(dev_cols))) == NULL)
		return prov_fail("out of memory");
	if ((rc = reg_device_list(p->r, list_row, t, &err)) < 0) {
		table_free(t);
		return rc == -ENOMEM ? prov_fail("out of memory") : prov_fail("%s", err.msg);
	}
	rc = table_print(t, fmt, enc, stdout, &err);
	table_free(t);
	if (rc < 0)
		return prov_fail("%s", err.msg);
	return fflush(stdout) == 0 ? EXIT_OK : prov_fail("standard output: %s", strerror(errno));
}

/* ---- export -------------------------------------------------------------- */

struct signed_dev {
	struct reg_device	 d;
	uint8_t			*bundle;
	size_t			 len;
	uint8_t			 priv[KEY_LEN];	/* made here now: handed over once */
	int			 has_priv;
	uint8_t			 sign_seed[KEY_LEN];	/* the sign-on key, likewise */
	char			 sign_pub[REG_PUB_LEN + 1];
	int			 has_sign;
};

struct devvec {
	struct signed_dev	*v;
	size_t			 n, cap;
};

static int
collect(void *arg, const struct reg_device *d)
{
	struct devvec *dv = arg;
	struct signed_dev *nv;

	if (strcmp(d->state, "active"))
		return 0;
	if (dv->n == dv->cap) {
		dv->cap = dv->cap ? dv->cap * 2 : 64;
		if ((nv = realloc(dv->v, dv->cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		dv->v = nv;
	}
	memset(&dv->v[dv->n], 0, sizeof(dv->v[0]));
	dv->v[dv->n++].d = *d;
	return 0;
}

static void
devvec_free(struct devvec *dv)
{
	size_t i;

	for (i = 0; i < dv->n; i++) {
		free(dv->v[i].bundle);
		wipe(dv->v[i].priv, sizeof(dv->v[i].priv));
		wipe(dv->v[i].sign_seed, sizeof(dv->v[i].sign_seed));
	}
	free(dv->v);
	memset(dv, 0, sizeof(*dv));
}

/* Signs s->d's next bundle, making its key pair first if it has none. */
static int
sign_one(struct prov *p, struct gcache *gc, struct signed_dev *s, struct sk_error *err)
{
	struct reg_group *g;
	uint8_t pub[KEY_LEN];
	char how[160], state[16];
	int rc;


	if ((rc = gcache_get(p, gc, s->d.grp, &g, err)) < 0)
		return rc;
	if (s->d.pubkey[0] == '\0') {
		if (prov_wg_keygen(s->priv, pub) < 0)
			return sk_errorf(err, EIO, "no random key from OpenSSL");
		s->has_priv = 1;
		key_to_b64(s->d.pubkey, pub);
		if ((rc = reg_device_set_key(p->r, s->d.name, s->d.pubkey, 1, err)) < 0)
			return rc;
	}
	/* the sign-on key (docs/sign-on.md): made here at the first export
	 * that has none, its private half handed over once like the above */
	if ((rc = reg_device_signkey_get(p->r, s->d.name, s->sign_pub, state, err)) < 0)
		return rc;
	if (s->sign_pub[0] == '\0') {
		if (signon_ed25519_keygen(s->sign_seed, pub) != SIGNON_OK)
			return sk_errorf(err, EIO, "no random key from OpenSSL");
		s->has_sign = 1;
		key_to_b64(s->sign_pub, pub);
		if ((rc = reg_device_signkey_set(p->r, s->d.name, s->sign_pub, err)) < 0)
			return rc;
	}
	if ((rc = prov_sign_device(p, &s->d, g, s->d.serial + 1, &s->bundle, &s->len,
	    err)) < 0)
		return rc;
	s->d.serial++;
	if ((rc = reg_device_signed(p->r, s->d.name, s->d.serial,
	    s->has_priv ? p->now : 0, err)) < 0)
		return rc;
	snprintf(how, sizeof(how), "bundle serial %lld%s%s", (long long)s->d.serial,
	    s->has_priv ? "; key pair made here, private key handed over" : "",
	    s->has_sign ? "; sign-on key made here, handed over" : "");
	return reg_audit(p->r, &p->actor, "device export", s->d.name, how, err) < 0 ? -EIO : 0;
}

static int
mkdir_private(const char *dir, struct sk_error *err)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return sk_errorf(err, errno, "%s: %s", dir, strerror(errno));
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return sk_errorf(err, ENOTDIR, "%s: not a directory", dir);
	return 0;
}

/* DIR/bundle (0600), DIR/agency.pub, DIR/device.pub, DIR/device.key (0600,
 * only when made here now), DIR/signon.key (0600) and signon.pub likewise:
 * the laptop's sign-on key, which netvm/sekisho-signon signs with. */
static int
write_out(const struct signed_dev *s, const char *dir, const char *trust,
    struct sk_error *err)
{
	char path[REG_PATH_MAX + REG_NAME_MAX + 64], pub[REG_PUB_LEN + 2];
	int rc;

	if ((rc = mkdir_private(dir, err)) < 0)
		return rc;
	if (s->has_priv) {
		snprintf(path, sizeof(path), "%s/device.key", dir);
		unlink(path);	/* a stale one from an earlier key: this is the new one */
		if ((rc = prov_secret_write(path, s->priv, 0, err)) < 0)
			return rc;
	}
	if (s->has_sign) {
		snprintf(path, sizeof(path), "%s/signon.key", dir);
		unlink(path);
		if ((rc = prov_secret_write(path, s->sign_seed, 0, err)) < 0)
			return rc;
		snprintf(pub, sizeof(pub), "%s\n", s->sign_pub);
		snprintf(path, sizeof(path), "%s/signon.pub", dir);
		if ((rc = prov_file_write(path, pub, strlen(pub), 0644, err)) < 0)
			return rc;
	}
	snprintf(path, sizeof(path), "%s/bundle", dir);
	if ((rc = prov_file_write(path, s->bundle, s->len, 0600, err)) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/agency.pub", dir);
	if ((rc = prov_file_write(path, trust, strlen(trust), 0644, err)) < 0)
		return rc;
	snprintf(pub, sizeof(pub), "%s\n", s->d.pubkey);
	snprintf(path, sizeof(path), "%s/device.pub", dir);
	return prov_file_write(path, pub, strlen(pub), 0644, err);
}

static int
device_export(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pos[2];
	int all = 0, rc = EXIT_FAIL, n;
	const struct prov_opt opts[] = { { "all", NULL, &all }, { NULL, NULL, NULL } };
	struct devvec dv = { 0 };
	struct gcache gc = { 0 };
	struct progress pg;
	struct sk_error err;
	char trust[1024], dir[REG_PATH_MAX + REG_NAME_MAX + 2];
	size_t i;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 2, "NAME DIR | --all DIR",
	    "Signs the device's next bundle (the group's template, its addresses, the\n"
	    "next serial) with the active agency key and writes into DIR what goes\n"
	    "onto its netvm: bundle (0600), agency.pub (the pinned agency keys),\n"
	    "device.pub, and device.key (0600) when its key pair is made here: only\n"
	    "then, once. --all writes DIR/NAME/ for every active device.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (n != (all ? 1 : 2))
		return prov_usage("device export NAME DIR | --all DIR");
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (all) {
		if ((rc = reg_device_list(p->r, collect, &dv, &err)) < 0) {
			rc = rc == -ENOMEM ? prov_abortf(p, "out of memory") : prov_abort(p, &err);
			goto out;
		}
	} else {
		if ((dv.v = calloc(1, sizeof(*dv.v))) == NULL) {
			rc = prov_abortf(p, "out of memory");
			goto out;
		}
		dv.cap = 1;
		if (reg_device_get(p->r, pos[0], &dv.v[0].d, &err) < 0) {
			rc = prov_abort(p, &err);
			goto out;
		}
		if (strcmp(dv.v[0].d.state, "active")) {
			rc = prov_abortf(p, "device %s is revoked: no bundle for it", pos[0]);
			goto out;
		}
		dv.n = 1;
	}
	if (prov_trust_text(p, trust, sizeof(trust), &err) < 0) {
		rc = prov_abort(p, &err);
		goto out;
	}
	progress_start(&pg, p, "signing bundles", dv.n);
	for (i = 0; i < dv.n; i++) {
		if (sign_one(p, &gc, &dv.v[i], &err) < 0) {
			progress_end(&pg);
			rc = prov_abortf(p, "device %s: %s", dv.v[i].d.name, err.msg);
			goto out;
		}
		progress_step(&pg, 1);
	}
	progress_end(&pg);
	/* recorded first: a serial is never signed twice, even if a write fails */
	if ((rc = prov_commit(p)) != 0)
		goto out;
	if (all && mkdir_private(pos[all ? 0 : 1], &err) < 0) {
		rc = prov_fail("%s", err.msg);
		goto out;
	}
	for (i = 0; i < dv.n; i++) {
		if (all)
			snprintf(dir, sizeof(dir), "%s/%s", pos[0], dv.v[i].d.name);
		else
			snprintf(dir, sizeof(dir), "%s", pos[1]);
		if (write_out(&dv.v[i], dir, trust, &err) < 0) {
			rc = prov_fail("%s (device %s: bundle serial %lld is recorded; export"
			    " again for the next)", err.msg, dv.v[i].d.name,
			    (long long)dv.v[i].d.serial);
			goto out;
		}
		if (!all)
			printf("%s: bundle serial %lld for %s%s\n", dir, (long long)dv.v[i].d.serial,
			    dv.v[i].d.pubkey, dv.v[i].has_priv ? ", device.key made here (handed over once)" : "");
	}
	/* one sync for every file written (an fsync per file costs minutes
	 * for 20,000 laptops) */
	{
		int fd = open(pos[all ? 0 : 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1 || syncfs(fd) == -1) {
			rc = prov_fail("%s: sync: %s", pos[all ? 0 : 1], strerror(errno));
			if (fd != -1)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (all)
		printf("%s: %zu bundles signed\n", pos[0], dv.n);
	rc = EXIT_OK;
out:
	gcache_free(&gc);
	devvec_free(&dv);
	return rc;
}

/* ---- revoke, rekey ------------------------------------------------------- */

static int
device_revoke(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pos[1];
	struct sk_error err;
	int rc, n;

	if ((n = prov_args(p, argc, argv, NULL, pos, 1, 1, "NAME --reason TEXT",
	    "Revokes a laptop: sekisho-gw drops its peer and its session at once\n"
	    "(and it leaves gateway export's peer table), it gets no more bundles,\n"
	    "and its addresses and name are never reused.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (p->actor.reason[0] == '\0')
		return prov_usage("device revoke NAME --reason TEXT (the reason is required)");
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_device_revoke(p->r, &p->actor, pos[0], p->actor.reason, &err) < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, "device revoke", pos[0], "revoked")) != 0 ||
	    (rc = prov_commit(p)) != 0)
		return rc;
	/* the change feed tells sekisho-gw in the revocation's commit */
	printf("%s revoked; sekisho-gw drops it now (a gateway run with plain wg:"
	    " `gateway export` and apply it)\n", pos[0]);
	return EXIT_OK;
}

static int
device_rekey(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *pubkey = "", *pos[1], *bad;
	const struct prov_opt opts[] = { { "pubkey", &pubkey, NULL }, { NULL, NULL, NULL } };
	struct sk_error err;
	int rc, n;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1, "NAME [--pubkey KEY]",
	    "Gives a laptop a new WireGuard key: the one given (made on the laptop),\n"
	    "or without --pubkey a key pair made here at its next `device export`.\n"
	    "The old key leaves the gateway's peer table at the next gateway export.\n")) < 0)
		return PROV_ARGS_RC(n);
	if ((bad = importmap_check_pubkey(pubkey)) != NULL)
		return prov_fail("--pubkey: %s", bad);
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_device_set_key(p->r, pos[0], pubkey, pubkey[0] == '\0', &err) < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, "device rekey", pos[0], "%s%s", pubkey[0] ? "new public key " :
	    "key pair to be made at the next export", pubkey)) != 0 ||
	    (rc = prov_commit(p)) != 0)
		return rc;
	return EXIT_OK;
}

static const struct cli_cmd device_cmds[] = {
	{ "add", device_add, "NAME [--group G] [--pubkey KEY]", "one laptop" },
	{ "import", device_import, "FILE.csv [--dry-run]", "laptops from a CSV file, all or none" },
	{ "list", device_list, "[--json | --csv]", "every laptop" },
	{ "export", device_export, "NAME DIR | --all DIR", "sign the next bundle, write it with the keys" },
	{ "revoke", device_revoke, "NAME --reason TEXT", "revoke a laptop for good" },
	{ "rekey", device_rekey, "NAME [--pubkey KEY]", "a new WireGuard key" },
};

int
cmd_device(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("device", device_cmds, nitems(device_cmds), ctx, argc, argv);
}
