/*
 * sekisho-agent: sign-on from the work partition (docs/agent.md).
 *
 *   sekisho-agent login [--otp | --finger] [options]
 *   sekisho-agent handover [options]       (a shared terminal, locked)
 *   sekisho-agent logout | status | card-info | finger-enroll --user ID
 *   sekisho-agent tray [--read]
 *   sekisho-agent prefer wifi|wwan|IFNAME|auto | uplinks
 *
 * The final line on stdout is the one message for the outcome; prompts
 * and progress go to stderr. PINs and codes come from the terminal (no
 * echo) or from a descriptor (--pin-fd N, --code-fd N), never argv.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guestagent/sekisho-agent/agent.h"
#include "guestagent/sekisho-agent/link.h"
#include "guestagent/sekisho-agent/outbox.h"
#include "guestagent/sekisho-agent/ui.h"
#include "lib/cli.h"
#include "lib/proto/control_wire.h"
#include "lib/proto/signon_wire.h"
#include "lib/util.h"

enum { M_CARD, M_OTP, M_FINGER };

static int
number(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (parse_u64(s, min, max, out) != 0) {
		fprintf(stderr, "sekisho-agent: %s %s: a number from %llu to %llu\n",
		    opt, s, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* The options every subcommand takes; *mode for login's. */
static int
options(struct agent *a, int argc, char *argv[], int *mode)
{
	static const struct option lo[] = {
		{ "netvm", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "reader", required_argument, NULL, 'r' },
		{ "wait", required_argument, NULL, 'w' },
		{ "pin-fd", required_argument, NULL, 'P' },
		{ "code-fd", required_argument, NULL, 'C' },
		{ "user", required_argument, NULL, 'u' },
		{ "prints", required_argument, NULL, 'f' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "finger-timeout", required_argument, NULL, 'F' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "otp", no_argument, NULL, 'o' },
		{ "finger", no_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "outbox", required_argument, NULL, 'O' },
		{ "lock-cmd", required_argument, NULL, 'L' },
		{ "presence", required_argument, NULL, 'R' },
		{ "presence-period", required_argument, NULL, 'T' },
		{ "flush-every", required_argument, NULL, 'E' },
		{ "no-card", no_argument, NULL, 'N' },
		{ "count", required_argument, NULL, 'c' },
		{ "ctl-port", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 'n': a->netvm = optarg; break;
		case 'p':
			if (number("--port", optarg, 1, 65535, &v) < 0)
				return -1;
			a->port = (uint16_t)v;
			break;
		case 'r': a->reader = optarg; break;
		case 'w':
			if (number("--wait", optarg, 0, 86400, &v) < 0)
				return -1;
			a->wait_s = (unsigned)v;
			break;
		case 'P': case 'C':
			if (number(c == 'P' ? "--pin-fd" : "--code-fd", optarg, 0, 1024, &v) < 0)
				return -1;
			*(c == 'P' ? &a->pin_fd : &a->code_fd) = (int)v;
			break;
		case 'u': a->user = optarg; break;
		case 'K':
			if (number("--ctl-port", optarg, 1, 65535, &v) < 0)
				return -1;
			a->ctl_port = (uint16_t)v;
			break;
		case 'f': a->prints = optarg; break;
		case 's': a->state_dir = optarg; break;
		case 'F':
			if (number("--finger-timeout", optarg, 1, 3600, &v) < 0)
				return -1;
			a->finger_s = (unsigned)v;
			break;
		case 't':
			if (number("--timeout-ms", optarg, 100, 600000, &v) < 0)
				return -1;
			a->cfg.hello_ms = (unsigned)v;
			a->cfg.request_ms = (unsigned)v;
			break;
		case 'o': case 'g':
			if (mode == NULL || *mode != M_CARD) {
				fprintf(stderr, "sekisho-agent: --otp and --finger are login's, one of them\n");
				return -1;
			}
			*mode = c == 'o' ? M_OTP : M_FINGER;
			break;
		case 'v': a->verbose = 1; break;
		case 'O': a->outbox = optarg; break;
		case 'L': a->lock_cmd = optarg; break;
		case 'R':
			if (strcmp(optarg, "card") == 0)
				a->presence = PRESENCE_CARD;
			else if (strcmp(optarg, "finger") == 0 || strcmp(optarg, "face") == 0)
				a->presence = PRESENCE_FINGER;
			else {
				fprintf(stderr, "sekisho-agent: --presence %s: card or"
				    " finger (face)\n", optarg);
				return -1;
			}
			break;
		case 'T':
			/* the policy's range is 10 to 60 s; down to 2 for tests */
			if (number("--presence-period", optarg, 2, 60, &v) < 0)
				return -1;
			a->presence_s = (unsigned)v;
			break;
		case 'E':
			if (number("--flush-every", optarg, 1, 86400, &v) < 0)
				return -1;
			a->flush_s = (unsigned)v;
			break;
		case 'N': a->no_card = 1; break;
		case 'c':
			if (number("--count", optarg, 1, 100000, &v) < 0)
				return -1;
			a->count = (unsigned)v;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sekisho-agent: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!link_addr_valid(a->netvm)) {
		fprintf(stderr, "sekisho-agent: --netvm %s: an IPv4 or IPv6 address\n", a->netvm);
		return -1;
	}
	if (a->user != NULL && (strlen(a->user) > SIGNON_STAFF_LEN || !signon_staff_valid(a->user))) {
		fprintf(stderr, "sekisho-agent: --user %s: not a staff ID\n", a->user);
		return -1;
	}
	return 0;
}

static int
finish(const struct outcome *o)
{
	char msg[256];

	printf("%s\n", outcome_message(o, msg, sizeof(msg)));
	fflush(stdout);
	return outcome_exit(o);
}

static int
cmd_login(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct outcome o;
	int mode = M_CARD;

	if (options(a, argc, argv, &mode) < 0)
		return EXIT_USAGE;
	if (mode != M_CARD && a->user == NULL) {
		fprintf(stderr, "sekisho-agent: login --otp and --finger need --user STAFF_ID\n");
		return EXIT_USAGE;
	}
	if (mode == M_OTP)
		login_otp(a, &o);
	else if (mode == M_FINGER)
		login_finger(a, &o);
	else
		login_card(a, &o);
	return finish(&o);
}

static int
cmd_handover(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct outcome o;
	int mode = M_CARD;

	if (options(a, argc, argv, &mode) < 0)
		return EXIT_USAGE;
	if (mode == M_OTP || (mode == M_FINGER && a->user == NULL)) {
		fprintf(stderr, "sekisho-agent: handover takes a card, or --finger --user STAFF_ID\n");
		return EXIT_USAGE;
	}
	handover_run(a, mode == M_FINGER, &o);
	return finish(&o);
}

static int
cmd_logout(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct agent_session s;
	struct outcome o;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	if (state_load(a->state_dir, &s) != 0) {
		if (a->user == NULL) {
			memset(&o, 0, sizeof(o));
			o.kind = O_NOT_SIGNED_ON;
			return finish(&o);
		}
		sk_strlcpy(s.staff, a->user, sizeof(s.staff));
	}
	logout_run(a, s.staff, &o);
	return finish(&o);
}

static int
cmd_status(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	char line[256];
	int on;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	on = state_line(a->state_dir, line, sizeof(line));
	printf("%s\n", line);
	return on ? EXIT_OK : EXIT_FAIL;
}

static int
cmd_tray(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;

	if (argc == 2 && strcmp(argv[1], "--read") == 0)
		return ui_tray_read() == 0 ? EXIT_OK : EXIT_FAIL;
	/* the uplink menu as it would pop up now: `tray --menu [options]` */
	if (argc >= 2 && strcmp(argv[1], "--menu") == 0) {
		if (options(a, argc - 1, argv + 1, NULL) < 0)
			return EXIT_USAGE;
		return ui_tray_menu(a) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	return ui_tray_run(a) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int
cmd_card_info(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct outcome o;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	if (card_info_run(a, &o) != 0)
		return finish(&o);
	return EXIT_OK;
}

static int
cmd_finger_enroll(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct outcome o;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	if (a->user == NULL) {
		fprintf(stderr, "sekisho-agent: finger-enroll needs --user STAFF_ID\n");
		return EXIT_USAGE;
	}
	if (finger_enroll_run(a, &o) != 0)
		return finish(&o);
	return EXIT_OK;
}

static int
cmd_watch(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	if (a->no_card && a->presence == PRESENCE_CARD) {
		fprintf(stderr, "sekisho-agent: watch --no-card cannot watch --presence card\n");
		return EXIT_USAGE;
	}
	return watch_run(a) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int
cmd_flush(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct outcome o;
	uint64_t n;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	if (outbox_flush(a, &n, &o) != 0) {
		fprintf(stderr, "sekisho-agent: %llu audit events delivered before this\n",
		    (unsigned long long)n);
		if (o.kind == O_INTERNAL) {
			printf("Audit outbox: %s.\n", o.detail);
			return EXIT_FAIL;
		}
		return finish(&o);
	}
	printf("Delivered %llu audit events.\n", (unsigned long long)n);
	return EXIT_OK;
}

/* A mark in the audit trail (IT, tests): --count of them, each appended
 * and fsync'd on its own as any event is. */
static int
cmd_mark(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;
	struct agent_session s;
	struct outbox_ev ev;
	char err[256];

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	for (unsigned i = 0; i < a->count; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.time = (uint64_t)time(NULL);
		ev.kind = SIGNON_EV_MARK;
		ev.reason = SIGNON_EVR_USER;
		if (a->user != NULL)
			sk_strlcpy(ev.staff, a->user, sizeof(ev.staff));
		else if (state_load(a->state_dir, &s) == 0)
			sk_strlcpy(ev.staff, s.staff, sizeof(ev.staff));
		if (outbox_append(a->outbox, &ev, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "sekisho-agent: %s\n", err);
			return EXIT_FAIL;
		}
	}
	printf("Recorded %u audit events.\n", a->count);
	return EXIT_OK;
}

static int
cmd_prefer(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;

	/* the uplink first, then the options (argv[1] is getopt's argv[0]) */
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: sekisho-agent prefer wifi|wwan|IFNAME|auto [--netvm ADDR]\n");
		return EXIT_USAGE;
	}
	if (options(a, argc - 1, argv + 1, NULL) < 0)
		return EXIT_USAGE;
	return prefer_run(a, argv[1]);
}

static int
cmd_uplinks(void *ctx, int argc, char *argv[])
{
	struct agent *a = ctx;

	if (options(a, argc, argv, NULL) < 0)
		return EXIT_USAGE;
	return uplinks_run(a);
}

static const struct cli_cmd cmds[] = {
	{ "login", cmd_login, "[--otp | --finger --user ID] [--pin-fd N] [--code-fd N]",
	    "sign on: staff card + PIN, emergency code + PIN, or fingerprint" },
	{ "handover", cmd_handover, "[--finger --user ID] [--pin-fd N]",
	    "a shared terminal, locked: your card (or face/finger) + PIN takes the session over" },
	{ "logout", cmd_logout, "", "sign off" },
	{ "status", cmd_status, "", "who is signed on, until when" },
	{ "tray", cmd_tray, "[--read | --menu]",
	    "the status in the notification area (Windows); --read prints its window's text, "
	    "--menu its uplink menu" },
	{ "card-info", cmd_card_info, "", "what names the card in the reader (for IT)" },
	{ "finger-enroll", cmd_finger_enroll, "--user ID", "enrol a finger on this laptop" },
	{ "watch", cmd_watch, "[--lock-cmd CMD] [--presence card|finger --presence-period S]",
	    "lock the session when the card leaves or presence lapses; deliver the audit outbox" },
	{ "flush", cmd_flush, "[--outbox DIR]", "deliver the audit outbox now" },
	{ "mark", cmd_mark, "[--count N]", "record a mark in the audit outbox (IT, tests)" },
	{ "prefer", cmd_prefer, "wifi|wwan|IFNAME|auto",
	    "carry the tunnel over this uplink when both are there (auto: the policy's order)" },
	{ "uplinks", cmd_uplinks, "", "the netvm's uplinks, which one is active and preferred" },
};

int
main(int argc, char *argv[])
{
	struct agent a = {
		.netvm = AGENT_NETVM_DEFAULT,
		.port = SIGNON_AGENT_PORT,
		.pin_fd = -1,
		.code_fd = -1,
		.prints = AGENT_PRINTS_DEFAULT,
		.state_dir = AGENT_STATE_DEFAULT,
		.finger_s = 30,
		.outbox = AGENT_OUTBOX_DEFAULT,
		.presence_s = 30,
		.flush_s = 30,
		.count = 1,
		.ctl_port = CTL_WORK_PORT,
		/* Longer than the relay's own wait for the verifier (3 s, its
		 * RELAY_TIMEOUT_MS), so that the relay's "unreachable" reaches
		 * the user rather than the agent's own silence. */
		.cfg = { .hello_ms = 4000, .hello_tries = 2, .request_ms = 5000 },
	};
	const struct cli c = {
		.prog = "sekisho-agent",
		.synopsis = "COMMAND [--netvm ADDR] [--port N] [--reader NAME] [--wait S] ...",
		.cmds = cmds,
		.n_cmds = nitems(cmds),
		.footer = "Options: --netvm ADDR (172.30.0.1) --port N (51832) --reader NAME\n"
		    "  --wait S (for a card, 0 = forever) --pin-fd N --code-fd N --user ID\n"
		    "  --prints DIR --state-dir DIR --finger-timeout S --timeout-ms N -v\n"
		    "  --outbox DIR (/var/lib/sekisho-agent) --lock-cmd CMD --presence card|finger\n"
		    "  --presence-period S (30) --flush-every S (30) --no-card --count N\n"
		    "  --ctl-port N (51834: the netvm's control socket, prefer and uplinks)\n",
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cli_wants_help(argc, argv)) {
		cli_usage(&c, stdout);
		return EXIT_OK;
	}
	return cli_dispatch(&c, &a, argc - 1, argv + 1);
}
