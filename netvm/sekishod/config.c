/*
 * The configuration sekishod starts with: a plain policy file (-f) or a
 * signed bundle (-b) with its companions, the device key, and -n's check.
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/firewall.h"

/* -n: the policy, the key file and the remote ruleset nftables would get. */
int
check_only(struct sekishod *d)
{
	struct fw_params p = {
	    .mode = MODE_REMOTE, .pol = &d->pol, .work_if = d->work_if,
	    .tun_if = d->tun_if };
	struct sk_error err;

	if (fw_load_check(d->fw, &p, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	fprintf(stderr, "configuration OK\n");
	return 0;
}

/* -b: the bundle in force, accepted again at start (its serial may equal
 * the store's; below it is a rollback). A store behind the bundle (one
 * installed by hand) is raised, except by -n, which changes nothing. */
static void
load_bundle(struct sekishod *d, int check)
{
	char path[PATH_MAX];
	struct candidate c;
	struct sk_error err;

	/* A commit cut by a crash is finished or undone first (accept.h);
	 * -n only looks. */
	if (accept_init(&d->acc, d->keys_path, d->device_path, &err) < 0 ||
	    accept_recover(&d->acc, check, path, sizeof(path), &err) < 0 ||
	    accept_open(&d->acc, path, 1, &c, &err) != ACCEPT_OK)
		fatalx("%s", err.msg);
	if (!check && accept_commit(&d->acc, &c, 1, &err) < 0)
		fatalx("%s", err.msg);
	d->pol = c.pol;
	log_info("policy serial %llu from the signed bundle %s",
	    (unsigned long long)d->pol.serial, d->acc.bundle);
	if (!check)
		expiry_start(d, &c);
	candidate_free(&c);
}

void
load_config(struct sekishod *d, int check)
{
	struct sk_error err;

	if (d->bundled)
		load_bundle(d, check);
	else if (policy_parse_file(d->policy_path, &d->pol, &err) < 0)
		fatalx("%s", err.msg);
	if (key_file_read(d->pol.key_file, d->key, 0, &err) < 0)
		fatalx("%s", err.msg);
}

/* -b's companions default to files beside it: serial, bundle.new. */
void
bundle_paths(struct sekishod *d, char *store, char *incoming, size_t size)
{
	const char *slash = strrchr(d->acc.bundle, '/');
	int dir = slash == NULL ? 0 : (int)(slash - d->acc.bundle + 1);

	if (d->acc.store == NULL) {
		snprintf(store, size, "%.*sserial", dir, d->acc.bundle);
		d->acc.store = store;
	}
	if (d->acc.incoming == NULL) {
		snprintf(incoming, size, "%s.new", d->acc.bundle);
		d->acc.incoming = incoming;
	}
}
