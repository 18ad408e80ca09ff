/*
 * sekisho-probe: looks into what the uplink's network sent, for sekishod.
 * sekishod sends each beacon challenge and receives each answer itself,
 * on its own socket bound to the uplink, so that the kernel times both
 * (SO_TIMESTAMPING; docs/beacon.md, "Round trip"); it hands every datagram
 * that came from a beacon's address with TTL 255 to this helper, unread,
 * and this helper is where those bytes are parsed. It is the netvm's
 * frontend for untrusted input, so it runs apart from the daemon and
 * enters its sandbox (lib/sandbox.h) before it reads a datagram: user
 * _sekisho-probe, no capability, no file system, no socket, no system
 * call but reading and writing its lines.
 *
 *	sekisho-probe [-i IFNAME]
 *
 * It decides nothing: sekishod chooses each nonce and verifies the answer
 * this helper picks out itself, against its own copy of the datagram
 * (lib/proto/probe_wire.h has the exchange, on standard input and output).
 * The helper checks each datagram (signature under the beacon's pinned
 * keys, nonce, id), so that sekishod spends its own check only on the one
 * that verifies, whatever a hostile network sends first. -i names the
 * uplink, for ps and nothing else.
 */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "lib/proto/probe_wire.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "netvm/sekisho-probe/targets.h"

#define MAX_BEACONS	16

static struct probe_target targets[MAX_BEACONS];
static size_t n_targets;

/* One line, one write(): on sekishod's side one message. */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	char line[PROBE_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "fail line too long\n");
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		exit(1);	/* sekishod went away */
}

static void __attribute__((noreturn))
fail(const char *why)
{
	say("fail %s\n", why);
	exit(1);
}

/* The next line of standard input without its '\n'; NULL at the end. */
static char *
next_line(void)
{
	static char buf[PROBE_LINE_MAX * 2];
	static size_t len, skip;
	char *nl;
	ssize_t n;

	memmove(buf, buf + skip, len - skip);
	len -= skip;
	skip = 0;
	while ((nl = memchr(buf, '\n', len)) == NULL) {
		if (len == sizeof(buf) - 1)
			fail("input line too long");
		n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		len += (size_t)n;
	}
	*nl = '\0';
	skip = (size_t)(nl - buf) + 1;
	return buf;
}

static void
read_targets(void)
{
	struct sk_error err;
	char *line, msg[sizeof(err.msg) + 32];

	while ((line = next_line()) != NULL && strcmp(line, "go") != 0) {
		if (n_targets == MAX_BEACONS)
			fail("more than 16 beacons");
		if (probe_target_parse(line, &targets[n_targets], &err) != 0) {
			snprintf(msg, sizeof(msg), "bad beacon line: %s", err.msg);
			fail(msg);
		}
		n_targets++;
	}
	if (line == NULL)
		exit(0);	/* sekishod gave up before it began */
	if (n_targets == 0)
		fail("no beacons to probe");
}

/* Nothing below needs privilege, nor any system call but read and write
 * on its standard input and output: the Ed25519 check is computation. */
static void
enter_sandbox(void)
{
	static const struct sandbox sb = {
		.name = "sekisho-probe", .user = SANDBOX_USER_PROBE,
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) != 0)
		fail(err.msg);
}

/* One datagram sekishod received from beacon i: "answer" with it, back
 * exactly, if it verifies; else "none" and why not. */
static void
check_dgram(unsigned int i, const uint8_t pkt[BEACON_ANSWER_LEN],
    const uint8_t nonce[BEACON_NONCE_LEN])
{
	char line[PROBE_LINE_MAX];
	struct beacon_result res;
	int rc;

	rc = beacon_verify(pkt, BEACON_ANSWER_LEN, nonce, &targets[i].keys, time(NULL),
	    BEACON_WINDOW, &res);
	if (rc != BEACON_OK) {
		say("none %s: %s\n", targets[i].id, beacon_strerror(rc));
		return;
	}
	if (strcmp(res.id, targets[i].id) != 0) {
		say("none %s: answer from another beacon id\n", targets[i].id);
		return;
	}
	if (probe_answer_format(line, sizeof(line), i, pkt) < 0)
		fail("cannot format an answer");
	say("%s", line);
}

int
main(int argc, char *argv[])
{
	static const char usage[] = "usage: sekisho-probe [-i ifname]";
	uint8_t nonce[BEACON_NONCE_LEN], pkt[BEACON_ANSWER_LEN];
	const char *ifname = NULL;
	int ch, have_nonce = 0;
	unsigned int i;
	char *line;

	while ((ch = getopt(argc, argv, "i:")) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		default:
			fail(usage);
		}
	}
	if ((ifname != NULL && strlen(ifname) >= IF_NAMESIZE) || optind != argc)
		fail(usage);
	read_targets();
	enter_sandbox();
	say("ready\n");
	while ((line = next_line()) != NULL) {
		if (probe_nonce_parse(line, nonce) == 0)
			have_nonce = 1;
		else if (have_nonce && probe_dgram_parse(line, n_targets, &i, pkt) == 0)
			check_dgram(i, pkt, nonce);
		else
			fail("expected \"nonce HEX\" or \"dgram INDEX HEX\"");
	}
	return 0;
}
