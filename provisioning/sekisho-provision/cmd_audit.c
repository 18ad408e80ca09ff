/* audit [OBJECT]: every change to the registry, who, when, what, why.
 * audit verify: the sign-on trail's hash chain (registry/signon.h).
 * audit export: the sign-on trail for a span of days, for IT's Excel. */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/signon.h"

static const struct table_col audit_cols[] = {
	{ "at", NULL, TABLE_STR, 0 }, { "who", NULL, TABLE_STR, 0 },
	{ "action", NULL, TABLE_STR, 0 }, { "object", NULL, TABLE_STR, 0 },
	{ "detail", NULL, TABLE_STR, 0 }, { "reason", NULL, TABLE_STR, 0 },
};

static int
row(void *arg, const struct reg_audit_row *a)
{
	char at[32];
	time_t t = (time_t)a->at;
	const char *cells[6] = { at, a->who, a->action, a->object, a->detail, a->reason };

	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	return table_add(arg, cells) < 0 ? -ENOMEM : 0;
}

static int
audit_verify(struct prov *p, int argc, char *argv[])
{
	struct sk_error err;
	int64_t n;
	int rc;

	if ((rc = prov_args(p, argc, argv, NULL, NULL, 0, 0, "",
	    "Checks the sign-on audit trail's hash chain: every record's hash\n"
	    "over its fields and the record before it, and the chain's head. A\n"
	    "removed or altered record is named; exit 1.\n")) < 0)
		return PROV_ARGS_RC(rc);
	if (prov_open(p) != 0)
		return EXIT_FAIL;
	if (reg_signon_verify(p->r, &n, &err) < 0)
		return prov_fail("%s", err.msg);
	printf("sign-on audit: %lld records, chain intact\n", (long long)n);
	return EXIT_OK;
}

/* YYYY-MM-DD, local time: the start of that day. */
static int
day_start(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	*out = (int64_t)mktime(&tm);
	return 0;
}

static const struct table_col export_cols[] = {
	{ "time", NULL, TABLE_STR, 0 }, { "staff_id", NULL, TABLE_STR, 0 },
	{ "name", NULL, TABLE_STR, 0 }, { "laptop", NULL, TABLE_STR, 0 },
	{ "event", NULL, TABLE_STR, 0 }, { "factor", NULL, TABLE_STR, 0 },
	{ "result", NULL, TABLE_STR, 0 }, { "mode", NULL, TABLE_STR, 0 },
	{ "uplink", NULL, TABLE_STR, 0 }, { "from", NULL, TABLE_STR, 0 },
	{ "reason", NULL, TABLE_STR, 0 },
};

struct export_ctx {
	struct prov	*p;
	struct table	*t;
	char		 last_id[REG_NAME_MAX + 1];
	char		 last_name[REG_TEXT_MAX + 1];
};

static int
export_row(void *arg, const struct reg_signon_rec *rec)
{
	struct export_ctx *c = arg;
	struct reg_staff s;
	struct sk_error err;
	char at[40];
	time_t t = (time_t)rec->at;
	struct tm tm;
	const char *cells[11];

	if (strcmp(c->last_id, rec->staff) != 0) {
		sk_strlcpy(c->last_id, rec->staff, sizeof(c->last_id));
		c->last_name[0] = '\0';
		if (rec->staff[0] != '\0' && reg_staff_get(c->p->r, rec->staff, &s, &err) == 0)
			sk_strlcpy(c->last_name, s.name, sizeof(c->last_name));
	}
	localtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S", &tm);
	cells[0] = at;
	cells[1] = rec->staff;
	cells[2] = c->last_name;
	cells[3] = rec->device;
	cells[4] = rec->op;
	cells[5] = rec->factor;
	cells[6] = rec->result;
	cells[7] = rec->mode;
	cells[8] = rec->uplink;
	cells[9] = rec->source;
	cells[10] = rec->reason;
	return table_add(c->t, cells) < 0 ? -ENOMEM : 0;
}

static int
audit_export(struct prov *p, int argc, char *argv[])
{
	const char *from = NULL, *to = NULL, *encs = "utf-8";
	int json = 0, csv = 0, n, rc;
	const struct prov_opt opts[] = { { "from", &from, NULL }, { "to", &to, NULL },
	    { "json", NULL, &json }, { "csv", NULL, &csv }, { "encoding", &encs, NULL },
	    { NULL, NULL, NULL } };
	struct export_ctx c = { .p = p };
	struct sk_error err;
	enum table_fmt fmt;
	enum textenc enc;
	int64_t f = 0, t = 0;

	if ((n = prov_args(p, argc, argv, opts, NULL, 0, 0,
	    "--from YYYY-MM-DD --to YYYY-MM-DD [--json | --csv [--encoding cp932]]",
	    "The sign-on audit trail from the start of --from to the end of --to\n"
	    "(local time): who signed on, off, locked, unlocked or failed, on which\n"
	    "laptop, from where (mode, uplink), with which factor, and why a\n"
	    "failure failed. --csv --encoding cp932 for Excel.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (from == NULL || to == NULL)
		return prov_usage("audit export --from YYYY-MM-DD --to YYYY-MM-DD [--csv]");
	if (day_start(from, &f) < 0)
		return prov_fail("--from %s: expected a date like 2026-12-05", from);
	if (day_start(to, &t) < 0)
		return prov_fail("--to %s: expected a date like 2026-12-05", to);
	t += 86400;
	if (t <= f)
		return prov_fail("--to %s is before --from %s", to, from);
	if (prov_list_fmt(json ? "" : NULL, csv ? "" : NULL, encs, &fmt, &enc) != 0 ||
	    prov_open(p) != 0)
		return EXIT_FAIL;
	if ((c.t = table_new(export_cols, nitems(export_cols))) == NULL)
		return prov_fail("out of memory");
	if ((rc = reg_signon_list(p->r, f, t, export_row, &c, &err)) < 0 ||
	    (rc = table_print(c.t, fmt, enc, stdout, &err)) < 0) {
		table_free(c.t);
		return prov_fail("%s", rc == -ENOMEM ? "out of memory" : err.msg);
	}
	table_free(c.t);
	return EXIT_OK;
}

static int audit_changes(void *ctx, int argc, char *argv[]);

int
cmd_audit(void *ctx, int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return audit_export(ctx, argc - 1, argv + 1);
	return audit_changes(ctx, argc, argv);
}

static int
audit_changes(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *encs = "utf-8", *pos[1] = { NULL };
	int json = 0, csv = 0, n, rc;
	const struct prov_opt opts[] = { { "json", NULL, &json }, { "csv", NULL, &csv },
	    { "encoding", &encs, NULL }, { NULL, NULL, NULL } };
	struct table *t;
	struct sk_error err;
	enum table_fmt fmt;
	enum textenc enc;

	if ((n = prov_args(p, argc, argv, opts, pos, 0, 1, "[OBJECT] [--json | --csv] | verify | export --from D --to D",
	    "The audit trail: every change by IT (who: the login or --by; when; what;\n"
	    "why: --reason), and every use of a one-time code. OBJECT narrows it to\n"
	    "one device, user or file. `audit verify` and `audit export`: the\n"
	    "sign-on trail (see their --help).\n")) < 0)
		return PROV_ARGS_RC(n);
	if (prov_list_fmt(json ? "" : NULL, csv ? "" : NULL, encs, &fmt, &enc) != 0 ||
	    prov_open(p) != 0)
		return EXIT_FAIL;
	if ((t = table_new(audit_cols, nitems(audit_cols))) == NULL)
		return prov_fail("out of memory");
	if ((rc = reg_audit_list(p->r, pos[0], row, t, &err)) < 0 ||
	    (rc = table_print(t, fmt, enc, stdout, &err)) < 0) {
		table_free(t);
		return prov_fail("%s", rc == -ENOMEM ? "out of memory" : err.msg);
	}
	table_free(t);
	return EXIT_OK;
}
