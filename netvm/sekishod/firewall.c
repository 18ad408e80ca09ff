#include "netvm/sekishod/firewall.h"

#include <errno.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "policy/render/fw_office.h"

/* The model of p's table from its two parts' texts; NULL out of memory. */
static struct fw_model *
model_of(const char *pol_part, const char *mode_part)
{
	struct fw_model *m = fw_model_new();

	if (m == NULL || fw_model_read(m, pol_part, FW_MODEL_POLICY) < 0 ||
	    fw_model_read(m, mode_part, FW_MODEL_MODE) < 0) {
		fw_model_free(m);
		return NULL;
	}
	return m;
}

static void
drop(struct fw_model **held)
{
	if (held != NULL) {
		fw_model_free(*held);
		*held = NULL;
	}
}

int
fw_policy_diff(const struct fw_model *held, const struct fw_params *p,
    struct fw_change *c, struct sk_error *err)
{
	struct buf a, b;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	buf_init(&c->text);
	buf_init(&a);
	buf_init(&b);
	fw_render_policy(p, &a);
	fw_render_mode(p, &b);
	if (a.oom || b.oom || (p->pol != NULL &&
	    (c->model = model_of(a.len ? a.p : "", b.len ? b.p : "")) == NULL)) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		goto out;
	}
	if (held == NULL || c->model == NULL) {
		fw_render_compose(a.len ? a.p : "", b.len ? b.p : "", &c->text);
		c->full = 1;
		c->cmds = 1;
	} else if ((c->cmds = fw_model_diff(held, c->model, FW_MODEL_POLICY | FW_MODEL_MODE,
	    &c->text)) < 0) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		goto out;
	}
	/* The office table (fw_office.h) goes whole with every transaction:
	 * a few lines, bound to this mode and office uplink. */
	fw_render_office_l2(p, &c->text);
	c->cmds++;
	if (c->text.oom)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
out:
	buf_free(&a);
	buf_free(&b);
	if (rc < 0)
		fw_change_free(c);
	return rc;
}

int
fw_change_check(struct firewall *fw, const struct fw_change *c, struct sk_error *err)
{
	if (c->cmds == 0)
		return 0;
	return fw_check(fw, buf_str(&c->text), err);
}

int
fw_change_apply(struct firewall *fw, struct fw_change *c, struct fw_model **held,
    struct sk_error *err)
{
	int rc = 0;

	if (c->cmds > 0 && (rc = fw_apply(fw, buf_str(&c->text), err)) < 0) {
		drop(held);
		return rc;
	}
	drop(held);
	*held = c->model;
	c->model = NULL;
	return 0;
}

void
fw_change_free(struct fw_change *c)
{
	fw_model_free(c->model);
	c->model = NULL;
	buf_free(&c->text);
}

int
fw_load(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	struct fw_change c;
	int rc;

	if ((rc = fw_policy_diff(NULL, p, &c, err)) < 0)
		return rc;
	if ((rc = fw_apply(fw, buf_str(&c.text), err)) == 0 && held != NULL) {
		drop(held);
		*held = c.model;
		c.model = NULL;
	}
	fw_change_free(&c);
	return rc;
}

int
fw_load_check(struct firewall *fw, const struct fw_params *p, struct sk_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text);
	fw_render(p, &text);
	if (buf_str(&text) == NULL)
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
	else
		rc = fw_check(fw, text.p, err);
	buf_free(&text);
	return rc;
}

int
fw_switch_mode(struct firewall *fw, const struct fw_params *p, struct fw_model **held,
    struct sk_error *err)
{
	struct fw_model *m;
	struct buf part, text;
	long n;
	int rc;

	if (*held == NULL || p->pol == NULL)
		return fw_load(fw, p, held, err);
	buf_init(&part);
	buf_init(&text);
	fw_render_mode(p, &part);
	m = fw_model_new();
	if (part.oom || m == NULL || fw_model_read(m, part.len ? part.p : "", FW_MODEL_MODE) < 0 ||
	    (n = fw_model_diff(*held, m, FW_MODEL_MODE, &text)) < 0) {
		rc = sk_errorf(err, ENOMEM, "ruleset: out of memory");
		drop(held);
		goto out;
	}
	/* In office mode office_vouch is made anew, its deadline from now
	 * (fw_model.h): the caller counts the vouch as fresh. */
	rc = 0;
	fw_render_office_l2(p, &text);	/* whole, with every change (fw_office.h) */
	if (text.len > 0 && (rc = fw_apply(fw, buf_str(&text), err)) < 0)
		drop(held);
	else if (fw_model_take(*held, m, FW_MODEL_MODE) < 0)
		drop(held);	/* the kernel has it; the next change loads in full */
out:
	fw_model_free(m);
	buf_free(&part);
	buf_free(&text);
	return rc;
}

int
fw_vouch(struct firewall *fw, const char *uplink, unsigned int ms,
    struct sk_error *err)
{
	struct buf text;
	int rc;

	buf_init(&text);
	fw_render_vouch(uplink, ms, &text);
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
	struct fw_params p = { MODE_BLOCKED, NULL, NULL, NULL, NULL, NULL, 0 };
	struct sk_error err;
	int rc;

	if ((rc = fw_load(fw, &p, NULL, &err)) < 0)
		log_warnx("base ruleset: %s", err.msg);
	else
		log_info("base ruleset loaded: everything blocked");
	return rc;
}
