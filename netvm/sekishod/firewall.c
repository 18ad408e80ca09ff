#include "netvm/sekishod/firewall.h"

#include <errno.h>

#include "lib/buf.h"

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
