#include "netvm/sekishod/firewall.h"

#include <errno.h>

#include "lib/buf.h"
#include "lib/log.h"

static int
render_and(struct firewall *fw, const struct fw_params *p, struct sk_error *err,
    int (*load)(struct firewall *, const char *, struct sk_error *))
{
	struct buf text;
	int rc;

	buf_init(&text);
	fw_render(p, &text);
	if (buf_str(&text) == NULL)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
	else
		rc = load(fw, text.p, err);
	buf_free(&text);
	return rc;
}

int
fw_load(struct firewall *fw, const struct fw_params *p, struct sk_error *err)
{
	return render_and(fw, p, err, fw_apply);
}

int
fw_load_check(struct firewall *fw, const struct fw_params *p, struct sk_error *err)
{
	return render_and(fw, p, err, fw_check);
}

int
fw_vouch(struct firewall *fw, const char *uplink, unsigned int seconds,
    struct sk_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text);
	fw_render_vouch(uplink, seconds, &text);
	if (buf_str(&text) == NULL)
		rc = sk_errorf(err, ENOMEM, "office vouch: out of memory");
	else
		rc = fw_apply(fw, text.p, err);
	buf_free(&text);
	return rc;
}

/* The base ruleset (blocked, no policy needed) if the table is absent:
 * what the early-boot unit loads, and what a first start must ensure. */
int
ensure_base(struct firewall *fw)
{
	if (fw_table_listed(fw, "inet", FW_TABLE) == 1)
		return 0;
	return load_base(fw);
}

int
load_base(struct firewall *fw)
{
	struct fw_params p = { MODE_BLOCKED, NULL, NULL, NULL, NULL };
	struct sk_error err;
	int rc;

	if ((rc = fw_load(fw, &p, &err)) < 0)
		log_warnx("base ruleset: %s", err.msg);
	else
		log_info("base ruleset loaded: everything blocked");
	return rc;
}
