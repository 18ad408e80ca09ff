/*
 * otp: emergency one-time codes for someone who forgot their card. A code
 * replaces the card, never the PIN. Shown once, stored as a hash, used
 * once, refused after its expiry; issue and every use are in the audit.
 */
#include "provisioning/sekisho-provision/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "8h", "30m", "2d", "90s": seconds, or -1. */
static int64_t
duration(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	int64_t mul;

	if (end == s || v <= 0 || v > 100000)
		return -1;
	if (!strcmp(end, "s"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h") || *end == '\0')
		mul = 3600;
	else if (!strcmp(end, "d"))
		mul = 86400;
	else
		return -1;
	return (int64_t)v * mul;
}

static int
otp_issue(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *valid = "8h", *pos[1];
	const struct prov_opt opts[] = { { "valid", &valid, NULL }, { NULL, NULL, NULL } };
	char code[REG_OTP_LEN + 1], when[64];
	struct sk_error err;
	int64_t secs, exp;
	time_t t;
	int n, rc;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1, "STAFF_ID [--valid 8h]",
	    "Issues an emergency one-time code for a user who forgot their card. It is\n"
	    "shown once, here, and stored only as a hash; it works once, until it\n"
	    "expires (--valid: 90s, 30m, 8h, 2d; 1 minute to 7 days). The user still\n"
	    "types their PIN: the code replaces the card, never the PIN.\n")) < 0)
		return PROV_ARGS_RC(n);
	if ((secs = duration(valid)) < 0)
		return prov_fail("--valid %s: expected a duration like 8h, 30m or 2d", valid);
	if ((rc = prov_begin(p)) != 0)
		return rc;
	if (reg_otp_issue(p->r, pos[0], p->now, secs, code, &exp, &err) < 0)
		return prov_abort(p, &err);
	t = (time_t)exp;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	if ((rc = prov_audit(p, "otp issue", pos[0], "valid until %s", when)) != 0 ||
	    (rc = prov_commit(p)) != 0) {
		wipe(code, sizeof(code));
		return rc;
	}
	printf("%s\nvalid once, until %s\n", code, when);
	fflush(stdout);
	wipe(code, sizeof(code));
	return EXIT_OK;
}

static int
otp_verify(void *ctx, int argc, char *argv[])
{
	struct prov *p = ctx;
	const char *fds = NULL, *pos[1];
	const struct prov_opt opts[] = { { "code-fd", &fds, NULL }, { NULL, NULL, NULL } };
	char code[64];
	struct sk_error err;
	uint64_t fd = 0;
	ssize_t r;
	size_t len = 0;
	int n, rc;

	if ((n = prov_args(p, argc, argv, opts, pos, 1, 1, "STAFF_ID --code-fd N",
	    "Uses a user's one-time code (what the verifier does at sign-on): the\n"
	    "first line of descriptor N. Exit 0 and \"accepted\" once; a used, expired\n"
	    "or foreign code is refused with one line and counts towards the lockout.\n")) < 0)
		return PROV_ARGS_RC(n);
	if (fds == NULL || parse_u64(fds, 0, 1023, &fd) < 0)
		return prov_usage("otp verify STAFF_ID --code-fd N (the code never on the command line)");
	while (len + 1 < sizeof(code) && (r = read((int)fd, code + len, 1)) == 1 &&
	    code[len] != '\n')
		len++;
	code[len] = '\0';
	if (len > 0 && code[len - 1] == '\r')
		code[--len] = '\0';
	if ((rc = prov_begin(p)) != 0) {
		wipe(code, sizeof(code));
		return rc;
	}
	rc = reg_otp_use(p->r, &p->actor, pos[0], code, p->now, &err);
	wipe(code, sizeof(code));
	if (rc == -EACCES) {
		/* the refusal and the failure count are kept */
		if ((rc = prov_commit(p)) != 0)
			return rc;
		return prov_fail("%s", err.msg);
	}
	if (rc < 0)
		return prov_abort(p, &err);
	if ((rc = prov_commit(p)) != 0)
		return rc;
	printf("accepted\n");
	return EXIT_OK;
}

static const struct cli_cmd otp_cmds[] = {
	{ "issue", otp_issue, "STAFF_ID [--valid 8h]", "a one-time code, shown once" },
	{ "verify", otp_verify, "STAFF_ID --code-fd N", "use a code once (the verifier's check)" },
};

int
cmd_otp(void *ctx, int argc, char *argv[])
{
	return prov_dispatch("otp", otp_cmds, nitems(otp_cmds), ctx, argc, argv);
}
