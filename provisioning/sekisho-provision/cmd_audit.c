/* audit [OBJECT]: every change to the registry, who, when, what, why. */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <time.h>

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

int
cmd_audit(void *ctx, int argc, char *argv[])
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

	if ((n = prov_args(p, argc, argv, opts, pos, 0, 1, "[OBJECT] [--json | --csv]",
	    "The audit trail: every change by IT (who: the login or --by; when; what;\n"
	    "why: --reason), and every use of a one-time code. OBJECT narrows it to\n"
	    "one device, user or file.\n")) < 0)
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
