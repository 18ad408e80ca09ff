/*
 * `sekisho-agent prefer wifi|wwan|IFNAME|auto` and `sekisho-agent
 * uplinks` (docs/agent.md, "Uplink preference"): the employee's choice of
 * the uplink that carries the tunnel, asked of sekishod's control socket
 * on the work link (netvm.h). The netvm decides and says so in one line,
 * which is the agent's last line on stdout.
 */
#include <stdio.h>
#include <string.h>

#include "guestagent/sekisho-agent/agent.h"
#include "guestagent/sekisho-agent/netvm.h"
#include "lib/cli.h"

static const char status_req[] = "status\n";

/* The netvm's status, for the uplinks' names: 0 or -1 said on stdout. */
static int
ask_status(const struct agent *a, struct netvm_answer *ans)
{
	char err[256];

	if (netvm_ask(a->netvm, a->ctl_port, status_req, a->cfg.request_ms, ans, err,
	    sizeof(err)) != 0) {
		printf("Uplinks unknown: %s.\n", err);
		return -1;
	}
	if (ans->type != CTL_T_STATUS) {
		printf("Uplinks unknown: the netvm answered: %s\n", ans->line);
		return -1;
	}
	return 0;
}

int
uplinks_run(const struct agent *a)
{
	static struct netvm_answer ans;
	char line[128];

	if (ask_status(a, &ans) != 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < ans.status.n_uplinks; i++) {
		netvm_uplink_line(&ans.status, i, line, sizeof(line));
		printf("%s\n", line);
	}
	if (ans.status.flags & CTL_S_PREFER)
		printf("Preferred uplink: %s.\n", ans.status.prefer);
	else
		printf("Preferred uplink: none (automatic).\n");
	return EXIT_OK;
}

int
prefer_run(const struct agent *a, const char *what)
{
	static struct netvm_answer ans;
	char name[CTL_IFNAME_MAX + 1], req[CTL_MAX_LINE + 1], err[512];

	if (strcmp(what, "wifi") == 0 || strcmp(what, "wwan") == 0) {
		if (ask_status(a, &ans) != 0)
			return EXIT_FAIL;
		if (netvm_uplink_resolve(&ans.status, what, name, err, sizeof(err)) != 0) {
			printf("Not preferred: %s.\n", err);
			return EXIT_FAIL;
		}
	} else if (netvm_uplink_resolve(NULL, what, name, err, sizeof(err)) != 0) {
		fprintf(stderr, "sekisho-agent: prefer %s\n", err);
		return EXIT_USAGE;
	}
	if (ctl_prefer_request(req, name) < 0) {
		fprintf(stderr, "sekisho-agent: prefer %s: not an interface name\n", what);
		return EXIT_USAGE;
	}
	if (netvm_ask(a->netvm, a->ctl_port, req, a->cfg.request_ms, &ans, err,
	    sizeof(err)) != 0) {
		printf("Not preferred: %s.\n", err);
		return EXIT_FAIL;
	}
	printf("%s\n", ans.line);
	if (ans.type == CTL_T_ACCEPTED || ans.type == CTL_T_UNCHANGED)
		return EXIT_OK;
	return EXIT_FAIL;
}
