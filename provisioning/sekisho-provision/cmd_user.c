/*
 * user: staff, from HR's CSV or the directory, their PINs and lockout
 * counters. PINs never come from argv or a CSV file: IT types them at the
 * terminal (no echo) or hands them over a descriptor (--pin-fd N).
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "provisioning/sekisho-provision/importmap.h"
#include "provisioning/sekisho-provision/ldapsync.h"
#include "provisioning/sekisho-provision/reclist.h"

static void
to_reg(const struct staff_rec *s, const char *source, struct reg_staff *r)
{
	memset(r, 0, sizeof(*r));
	sk_strlcpy(r->staff_id, s->staff_id, sizeof(r->staff_id));
	sk_strlcpy(r->name, s->name, sizeof(r->name));
	sk_strlcpy(r->kana, s->kana, sizeof(r->kana));
	sk_strlcpy(r->dept, s->dept, sizeof(r->dept));
	sk_strlcpy(r->role, s->role, sizeof(r->role));
	r->disabled = s->disabled;
	sk_strlcpy(r->source, source, sizeof(r->source));
}

static int
put_audited(struct prov *p, const struct staff_rec *s, const char *source,
    const char *how, struct sk_error *err)
{
	struct reg_staff r;
	int added, rc;

	to_reg(s, source, &r);
	if ((rc = reg_staff_put(p->r, &p->actor, &r, &added, err)) < 0)
		return rc;
	return reg_audit(p->r, &p->actor, added ? "user add" : "user update", r.staff_id,
	    how, err);
}

static int
user_add(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *name = NULL, *kana = "", *dept = "", *role = "", *pos[1], *bad;
	const struct prov_opt opts[] = { { "name", &name, NULL }, { "kana", &kana, NULL },
	    { "dept", &dept, NULL }, { "role", &role, NULL }, { NULL, NULL, NULL } };
	struct staff_rec s;
	struct sk_error err;
	int n, rc;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1,
	    "STAFF_ID --name NAME [--kana KANA] [--dept DEPT] [--role ROLE]",
	    "Adds (or updates) one member of staff.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (name == NULL)
		return prov_usage("user add STAFF_ID --name NAME [...] (--name is required)");
	if ((bad = importmap_check_staff_id(pos[0])) != NULL)
		return prov_fail("user %s: %s", pos[0], bad);
	if ((bad = importmap_check_text(name, REC_TEXT_MAX)) != NULL || name[0] == '\0')
		return prov_fail("--name: %s", bad ? bad : "empty");
	if ((bad = importmap_check_text(kana, REC_TEXT_MAX)) != NULL)
		return prov_fail("--kana: %s", bad);
	if ((bad = importmap_check_text(dept, REC_TEXT_MAX)) != NULL)
		return prov_fail("--dept: %s", bad);
	if ((bad = importmap_check_text(role, REC_ID_MAX)) != NULL)
		return prov_fail("--role: %s", bad);
	memset(&s, 0, sizeof(s));
	sk_strlcpy(s.staff_id, pos[0], sizeof(s.staff_id));
	sk_strlcpy(s.name, name, sizeof(s.name));
	sk_strlcpy(s.kana, kana, sizeof(s.kana));
	sk_strlcpy(s.dept, dept, sizeof(s.dept));
	sk_strlcpy(s.role, role, sizeof(s.role));
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (put_audited(p, &s, "cli", "", &err) < 0)
		return prov_abort(p, &err);
	return prov_commit(p);
}

static int
user_import(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *encs = "auto", *pos[1];
	int dry = 0, rc, n;
	const struct prov_opt opts[] = { { "encoding", &encs, NULL }, { "dry-run", NULL, &dry },
	    { NULL, NULL, NULL } };
	struct staff_list l = { 0 };
	struct import_report rep;
	struct progress pg;
	struct sk_error err;
	enum textenc enc;
	char how[300];
	size_t i;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1,
	    "FILE.csv [--encoding auto|utf-8|cp932] [--dry-run]",
	    "Imports staff from a CSV file (Excel's, UTF-8, UTF-8 with BOM or CP932;\n"
	    "headers in Japanese or English: staff_id/職員番号, name/氏名, kana/カナ,\n"
	    "dept/所属, role/役職, disabled/無効). New staff are added, known staff\n"
	    "updated. All rows or none; every problem is one line\n"
	    "FILE:LINE: field: problem. PINs are never in a CSV file (user pin).\n")) < 0)
		return PROV_ARGS_RC(n);
	if (textenc_parse(encs, &enc) < 0)
		return prov_fail("--encoding %s: expected auto, utf-8 or cp932", encs);
	rc = importmap_staff_file(pos[0], enc, &l, &rep);
	import_report_print(&rep, stderr);
	if (rc < 0) {
		import_report_free(&rep);
		reclist_staff_free(&l);
		return prov_fail("%s: nothing imported", pos[0]);
	}
	if ((rc = prov_begin(p)) != 0)
		goto out;
	progress_start(&pg, p, "user import", l.n);
	for (i = 0; i < l.n; i++) {
		snprintf(how, sizeof(how), "import %s:%zu", pos[0], l.v[i].line);
		if (put_audited(p, &l.v[i], "csv", how, &err) < 0) {
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
		printf("%s: %zu staff would be imported (dry run: nothing written)\n", pos[0], l.n);
		rc = EXIT_OK;
		goto out;
	}
	if ((rc = prov_audit(p, "user import", pos[0], "%zu staff (%s)", l.n,
	    textenc_name(rep.used))) != 0 || (rc = prov_commit(p)) != 0)
		goto out;
	printf("%s: %zu staff imported\n", pos[0], l.n);
out:
	import_report_free(&rep);
	reclist_staff_free(&l);
	return rc;
}

/* ---- list -------------------------------------------------------------- */

static const struct table_col user_cols[] = {
	{ "staff_id", NULL, TABLE_STR, 0 }, { "name", NULL, TABLE_STR, 0 },
	{ "kana", NULL, TABLE_STR, 0 }, { "dept", NULL, TABLE_STR, 0 },
	{ "role", NULL, TABLE_STR, 0 }, { "disabled", NULL, TABLE_BOOL, 0 },
	{ "source", NULL, TABLE_STR, 0 }, { "pin", NULL, TABLE_BOOL, 0 },
	{ "failures", NULL, TABLE_INT, 1 },
};

static int
user_row(void *arg, const struct reg_staff *s)
{
	char f[16];
	const char *cells[nitems(user_cols)] = { s->staff_id, s->name, s->kana, s->dept,
	    s->role, s->disabled ? "1" : "0", s->source, s->pin_set ? "1" : "0", f };

	snprintf(f, sizeof(f), "%d", s->failures);
	return table_add(arg, cells) < 0 ? -ENOMEM : 0;
}

static int
user_list(void *ctx, int argc, char *argv[])
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
	    "Every member of staff with the lockout counter (failures: PIN and code\n"
	    "failures since the last success; 5 locks, `user unlock` resets). The CSV\n"
	    "reads back with `user import`.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_list_fmt(json ? "" : NULL, csv ? "" : NULL, encs, &fmt, &enc) != 0)
		return EXIT_FAIL;
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if ((t = table_new(user_cols, nitems(user_cols))) == NULL)
		return prov_fail("out of memory");
	if ((rc = reg_staff_list(p->r, user_row, t, &err)) < 0) {
		table_free(t);
		return rc == -ENOMEM ? prov_fail("out of memory") : prov_fail("%s", err.msg);
	}
	rc = table_print(t, fmt, enc, stdout, &err);
	table_free(t);
	if (rc < 0)
		return prov_fail("%s", err.msg);
	return fflush(stdout) == 0 ? EXIT_OK : prov_fail("standard output: %s", strerror(errno));
}

/* ---- PIN, lockout, enable ---------------------------------------------- */

static int
user_pin(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *fds = NULL, *pos[1];
	const struct prov_opt opts[] = { { "pin-fd", &fds, NULL }, { NULL, NULL, NULL } };
	char pin[REG_PIN_MAX + 2];
	struct reg_staff s;
	struct sk_error err;
	uint64_t fd = 0;
	int n, rc, len;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1, "STAFF_ID [--pin-fd N]",
	    "Sets a user's PIN: typed at the terminal twice without echo, or the first\n"
	    "line read from descriptor N (--pin-fd 3 3<pinfile). Never on the command\n"
	    "line, never logged. Stored as Argon2id (19 MiB, t=2, p=1). Resets the\n"
	    "lockout counter, by design: a locked user is unlocked by a new PIN (the\n"
	    "wrong tries were against the old one); the audit line says so.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (fds != NULL && parse_u64(fds, 0, 1023, &fd) < 0)
		return prov_fail("--pin-fd %s: expected a descriptor number", fds);
	if ((len = prov_read_pin(fds != NULL ? (int)fd : -1, pin, sizeof(pin))) < 0)
		return EXIT_FAIL;
	if ((rc = prov_begin(p)) != 0) {
		wipe(pin, sizeof(pin));
		return rc;
	}
	/* the counter it resets, for the audit (no user: reg_pin_set says) */
	memset(&s, 0, sizeof(s));
	if ((rc = reg_staff_get(p->r, pos[0], &s, &err)) < 0 && rc != -ENOENT) {
		wipe(pin, sizeof(pin));
		return prov_abort(p, &err);
	}
	rc = reg_pin_set(p->r, pos[0], pin, (size_t)len, &err);
	wipe(pin, sizeof(pin));
	if (rc < 0)
		return prov_abort(p, &err);
	if (s.failures > 0)
		rc = prov_audit(p, "user pin", pos[0], "PIN set; lockout counter reset"
		    " from %d%s", s.failures, s.failures >= REG_MAX_FAILURES ?
		    " (locked)" : "");
	else
		rc = prov_audit(p, "user pin", pos[0], "PIN set");
	if (rc != 0)
		return rc;
	return prov_commit(p);
}

static int
user_flag(struct prov *p, int argc, char *argv[], const char *action,
    const char *help)
{
	const char *pos[1];
	struct sk_error err;
	int n, rc;

	if ((n = prov_args(p, argc, argv, NULL, pos, 1, 1, "STAFF_ID [--reason TEXT]",
	    help)) < 0)
		return PROV_ARGS_RC(n);
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (!strcmp(argv[0], "unlock"))
		rc = reg_staff_reset_failures(p->r, pos[0], &err);
	else
		rc = reg_staff_set_disabled(p->r, &p->actor, pos[0],
		    !strcmp(argv[0], "disable"), &err);
	if (rc < 0)
		return prov_abort(p, &err);
	if ((rc = prov_audit(p, action, pos[0], "%s", "")) != 0)
		return rc;
	return prov_commit(p);
}

static int
user_unlock(void *ctx, int argc, char *argv[])
{
	return user_flag(ctx, argc, argv, "user unlock",
	    "Resets the user's lockout counter (PIN and code failures) to 0.\n");
}

static int
user_disable(void *ctx, int argc, char *argv[])
{
	return user_flag(ctx, argc, argv, "user disable",
	    "Disables a user: no sign-on, no one-time code.\n");
}

static int
user_enable(void *ctx, int argc, char *argv[])
{
	return user_flag(ctx, argc, argv, "user enable", "Enables a disabled user again.\n");
}

/* ---- directory sync ------------------------------------------------------ */

static int
to_rec(void *arg, const struct reg_staff *r)
{
	struct staff_rec s;

	memset(&s, 0, sizeof(s));
	sk_strlcpy(s.staff_id, r->staff_id, sizeof(s.staff_id));
	sk_strlcpy(s.name, r->name, sizeof(s.name));
	sk_strlcpy(s.kana, r->kana, sizeof(s.kana));
	sk_strlcpy(s.dept, r->dept, sizeof(s.dept));
	sk_strlcpy(s.role, r->role, sizeof(s.role));
	s.disabled = r->disabled;
	return reclist_staff_add(arg, &s) < 0 ? -ENOMEM : 0;
}

static int
user_sync(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *conf = "/etc/sekisho/ldap.conf", *pos[1];
	int dry = 0, n, rc = EXIT_FAIL;
	const struct prov_opt opts[] = { { "config", &conf, NULL }, { "dry-run", NULL, &dry },
	    { NULL, NULL, NULL } };
	struct ldapsync_conf c;
	struct staff_list reg = { 0 }, dir = { 0 };
	struct ldapsync_plan plan;
	struct ldapsync_stats st;
	struct import_report rep;
	struct progress pg;
	struct sk_error err;
	char how[64];
	size_t i;

	if ((n = prov_args(p, argc, argv, opts, pos, 0, 1,
	    "[ldap://HOST/] [--config FILE] [--dry-run]",
	    "Adds, updates and disables staff from Active Directory or OpenLDAP,\n"
	    "read through the attribute mapping in FILE (default /etc/sekisho/ldap.conf,\n"
	    "docs/provisioning.md); a URL given here replaces the file's. Nothing is\n"
	    "ever deleted; the whole plan is one transaction. --dry-run prints it.\n")) < 0)
		return PROV_ARGS_RC(n);
	memset(&plan, 0, sizeof(plan));
	if (ldapsync_conf_load(conf, &c, &err) < 0 ||
	    (n == 1 && ldapsync_conf_set_url(&c, pos[0], &err) < 0))
		return prov_fail("%s", err.msg);
	rc = ldapsync_search(&c, &dir, &rep, &st, &err);
	if (rc == -EINVAL) {
		import_report_print(&rep, stderr);
		import_report_free(&rep);
		reclist_staff_free(&dir);
		return prov_fail("%s: nothing synchronised", c.url);
	}
	import_report_free(&rep);
	if (rc < 0) {
		reclist_staff_free(&dir);
		return prov_fail("%s", err.msg);
	}
	if ((rc = prov_begin(p)) != 0)
		goto out;
	if (reg_staff_list(p->r, to_rec, &reg, &err) < 0) {
		rc = prov_abortf(p, "%s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	if (ldapsync_plan(&reg, &dir, ldapsync_conf_fields(&c), &plan, &err) < 0) {
		rc = prov_abort(p, &err);
		goto out;
	}
	if (dry) {
		reg_rollback(p->r);
		ldapsync_plan_print(&plan, stdout);
		rc = EXIT_OK;
		goto out;
	}
	progress_start(&pg, p, "user sync", plan.n);
	for (i = 0; i < plan.n; i++) {
		const struct ldapsync_change *ch = &plan.v[i];
		if (ch->op == LDAPSYNC_DISABLE) {
			rc = reg_staff_set_disabled(p->r, &p->actor, ch->reg->staff_id, 1,
			    &err);
			if (rc == 0)
				rc = reg_audit(p->r, &p->actor, "user disable", ch->reg->staff_id,
				    ch->why == LDAPSYNC_WHY_ABSENT ? "ldap sync: not in the directory" :
				    "ldap sync: disabled in the directory", &err);
		} else {
			/* an update changes only what the directory supplies and
			 * differs; the rest of the registry's row stays */
			struct staff_rec s = ch->op == LDAPSYNC_ADD ? *ch->dir : *ch->reg;
			if (ch->op == LDAPSYNC_UPDATE) {
				if (ch->fields & LDAPSYNC_CH_NAME)
					sk_strlcpy(s.name, ch->dir->name, sizeof(s.name));
				if (ch->fields & LDAPSYNC_CH_KANA)
					sk_strlcpy(s.kana, ch->dir->kana, sizeof(s.kana));
				if (ch->fields & LDAPSYNC_CH_DEPT)
					sk_strlcpy(s.dept, ch->dir->dept, sizeof(s.dept));
				if (ch->fields & LDAPSYNC_CH_ROLE)
					sk_strlcpy(s.role, ch->dir->role, sizeof(s.role));
			}
			s.disabled = 0;
			snprintf(how, sizeof(how), "ldap sync");
			rc = put_audited(p, &s, "ldap", how, &err);
		}
		if (rc < 0) {
			progress_end(&pg);
			rc = prov_abort(p, &err);
			goto out;
		}
		progress_step(&pg, 1);
	}
	progress_end(&pg);
	if ((rc = prov_audit(p, "user sync", c.url, "%zu added, %zu updated, %zu disabled,"
	    " %zu unchanged", plan.adds, plan.updates, plan.disables, plan.unchanged)) != 0 ||
	    (rc = prov_commit(p)) != 0)
		goto out;
	printf("ldap sync: %zu added, %zu updated, %zu disabled, %zu unchanged\n",
	    plan.adds, plan.updates, plan.disables, plan.unchanged);
	rc = EXIT_OK;
out:
	ldapsync_plan_free(&plan);
	reclist_staff_free(&reg);
	reclist_staff_free(&dir);
	return rc;
}

static const struct cli_cmd user_cmds[] = {
	{ "add", user_add, "STAFF_ID --name NAME", "one member of staff" },
	{ "import", user_import, "FILE.csv [--dry-run]", "staff from a CSV file, all or none" },
	{ "list", user_list, "[--json | --csv]", "staff with their lockout counters" },
	{ "sync", user_sync, "[ldap://...] [--config FILE] [--dry-run]", "from the directory" },
	{ "pin", user_pin, "STAFF_ID [--pin-fd N]", "set a PIN (terminal or descriptor)" },
	{ "unlock", user_unlock, "STAFF_ID", "reset the lockout counter" },
	{ "disable", user_disable, "STAFF_ID", "no sign-on for this user" },
	{ "enable", user_enable, "STAFF_ID", "sign-on again" },
};

int
cmd_user(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("user", user_cmds, nitems(user_cmds), ctx, argc, argv);
}
