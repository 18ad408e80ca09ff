/*
 * sekishod's parent as a compromised frontend would find it: every
 * request outside the protocol (imsg.h) is refused with exactly one log
 * line and no answer; a good one is answered. Through the real
 * frontend_dispatch, over a real SOCK_SEQPACKET pair.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "netvm/sekishod/frontend.h"

static int reloads;

static void
gather(struct status *st, void *arg)
{
	(void)st;
	(void)arg;
	fail_msg("status gathered for a refused request");
}

static void
reload(struct buf *out, void *arg)
{
	(void)arg;
	reloads++;
	buf_printf(out, "unchanged: serial 7 is the newest\n");
}

static int prefers;
static char preferred[16];

static void
prefer(const char *uplink, struct buf *out, void *arg)
{
	(void)arg;
	prefers++;
	snprintf(preferred, sizeof(preferred), "%s", uplink);
	buf_printf(out, "accepted: %s is the preferred uplink; the tunnel runs over %s\n",
	    uplink, uplink);
}

static const struct ctl_ops ops = { gather, reload, prefer };

/* Sends msg as the frontend, lets the parent dispatch it; returns what
 * the parent logged (stderr) and whether it answered. */
static int
exchange(const uint8_t *msg, size_t len, char *logged, size_t cap, uint8_t *reply)
{
	struct frontend fe = { 0 };
	int sv[2], err[2], saved;
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe2(err, O_NONBLOCK), 0);
	fe.pid = 0;
	fe.fd = sv[0];
	assert_int_equal(send(sv[1], msg, len, 0), (ssize_t)len);
	fflush(stderr);
	saved = dup(2);
	dup2(err[1], 2);
	frontend_dispatch(&fe, &ops, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = read(err[0], logged, cap - 1);
	logged[n > 0 ? n : 0] = '\0';
	n = recv(sv[1], reply, IMSG_REPLY_LEN, MSG_DONTWAIT);
	close(sv[0]);
	close(sv[1]);
	close(err[0]);
	close(err[1]);
	return n == IMSG_REPLY_LEN;
}

static void
refused(const uint8_t *msg, size_t len, const char *why)
{
	static uint8_t reply[IMSG_REPLY_LEN];
	char logged[512], want[256];

	reloads = 0;
	prefers = 0;
	assert_false(exchange(msg, len, logged, sizeof(logged), reply));
	snprintf(want, sizeof(want), "test_frontend: frontend: request refused: %s\n", why);
	assert_string_equal(logged, want);
	assert_int_equal(reloads, 0);
	assert_int_equal(prefers, 0);
}

/* A preference (imsg.h, IMSG_PREFER): 20 bytes exactly, a name lib/ifname.h
 * takes, NUL-padded with one encoding; anything else refused. */
static void
test_prefer_out_of_bounds_refused(void **state)
{
	uint8_t m[IMSG_PREFER_LEN + 1];

	(void)state;
	assert_int_equal(imsg_prefer_encode(m, "wwan0"), 0);
	refused(m, IMSG_PREFER_LEN - 1, "prefer of 19 bytes, not 20");
	m[IMSG_PREFER_LEN] = 0;
	refused(m, IMSG_PREFER_LEN + 1, "prefer of 21 bytes, not 20");
	m[0] = 2;
	refused(m, IMSG_PREFER_LEN, "not a version 1 prefer");
	m[0] = 1;
	m[3] = 1;
	refused(m, IMSG_PREFER_LEN, "reserved bytes 0 1, not 0");
	m[3] = 0;
	memset(m + 4, 'a', 16);	/* no NUL */
	refused(m, IMSG_PREFER_LEN, "uplink name not NUL-terminated");
	assert_int_equal(imsg_prefer_encode(m, "wwan0"), 0);
	m[4 + 7] = 'x';		/* a byte after the name's NUL */
	refused(m, IMSG_PREFER_LEN, "byte 11 after the uplink name is not 0");
	assert_int_equal(imsg_prefer_encode(m, "wwan0"), 0);
	m[4 + 1] = ' ';		/* "w an0": nftables or a log line could read it */
	refused(m, IMSG_PREFER_LEN, "uplink name is not an interface name");
	assert_int_equal(imsg_prefer_encode(m, "wwan0"), 0);
	memcpy(m + 4, "..", 2);
	m[6] = 0;
	memset(m + 6, 0, 14);
	refused(m, IMSG_PREFER_LEN, "uplink name is not an interface name");
	/* the encoder refuses the same */
	assert_int_equal(imsg_prefer_encode(m, "a b"), -EINVAL);
	assert_int_equal(imsg_prefer_encode(m, "0123456789abcdef"), -EINVAL);
}

static void
test_prefer_answered(void **state)
{
	static uint8_t reply[IMSG_REPLY_LEN];
	static const char line[] = "accepted: wwan0 is the preferred uplink; the tunnel runs "
	    "over wwan0\n";
	uint8_t msg[IMSG_PREFER_LEN], type;
	const uint8_t *p;
	struct sk_error err;
	char logged[512];
	size_t len;

	(void)state;
	prefers = 0;
	assert_int_equal(imsg_prefer_encode(msg, "wwan0"), 0);
	assert_true(exchange(msg, sizeof(msg), logged, sizeof(logged), reply));
	assert_string_equal(logged, "");
	assert_int_equal(prefers, 1);
	assert_string_equal(preferred, "wwan0");
	assert_int_equal(imsg_reply_decode(reply, sizeof(reply), &type, &p, &len, &err), 0);
	assert_int_equal(type, CTL_T_ACCEPTED);
	assert_int_equal(len, sizeof(line) - 1);
	assert_memory_equal(p, line, len);
	/* auto: all zeros after the header */
	assert_int_equal(imsg_prefer_encode(msg, ""), 0);
	for (size_t i = 4; i < sizeof(msg); i++)
		assert_int_equal(msg[i], 0);
	assert_true(exchange(msg, sizeof(msg), logged, sizeof(logged), reply));
	assert_int_equal(prefers, 2);
	assert_string_equal(preferred, "");
}

static void
test_out_of_bounds_refused(void **state)
{
	static const uint8_t unknown[] = { 1, 1, 3, 0 }, version[] = { 2, 1, 2, 0 },
	    reply_type[] = { 1, 2, 2, 0 }, listen[] = { 1, 3, 0, 0 },
	    reserved[] = { 1, 1, 2, 1 }, longer[] = { 1, 1, 2, 0, 0 }, shorter[] = { 1, 1, 2 };

	(void)state;
	/* 3 is CTL_PREFER's number: a plain request cannot carry it (no
	 * name); only IMSG_PREFER can */
	refused(unknown, sizeof(unknown), "unknown command 3");
	refused(version, sizeof(version), "request version 2, not 1");
	refused(reply_type, sizeof(reply_type), "message type 2 is not a request");
	refused(listen, sizeof(listen), "message type 3 is not a request");
	refused(reserved, sizeof(reserved), "reserved byte 1, not 0");
	refused(longer, sizeof(longer), "request of 5 bytes, not 4");
	refused(shorter, sizeof(shorter), "request of 3 bytes, not 4");
}

static void
test_good_request_answered(void **state)
{
	static uint8_t reply[IMSG_REPLY_LEN];
	static const char line[] = "unchanged: serial 7 is the newest\n";
	uint8_t msg[IMSG_REQ_LEN], type;
	const uint8_t *p;
	struct sk_error err;
	char logged[512];
	size_t len;

	(void)state;
	reloads = 0;
	imsg_req_encode(msg, CTL_RELOAD);
	assert_true(exchange(msg, sizeof(msg), logged, sizeof(logged), reply));
	assert_string_equal(logged, "");
	assert_int_equal(reloads, 1);
	assert_int_equal(imsg_reply_decode(reply, sizeof(reply), &type, &p, &len, &err), 0);
	assert_int_equal(type, CTL_T_UNCHANGED);
	assert_int_equal(len, sizeof(line) - 1);
	assert_memory_equal(p, line, len);
}

/* The heartbeat (frontend.h): a ping to a frontend that owes none; its
 * pong ends it; a pong to no ping, or to another, is refused with one
 * line; a ping unanswered for FRONTEND_PING_MS says so. */
static void
dispatch_logged(struct frontend *fe, char *logged, size_t cap)
{
	int err[2], saved;
	ssize_t n;

	assert_int_equal(pipe2(err, O_NONBLOCK), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(err[1], 2);
	frontend_dispatch(fe, &ops, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = read(err[0], logged, cap - 1);
	logged[n > 0 ? n : 0] = '\0';
	close(err[0]);
	close(err[1]);
}

static void
test_heartbeat(void **state)
{
	struct frontend fe = { 0 };
	uint8_t msg[IMSG_REQ_LEN + 1], pong[IMSG_REQ_LEN];
	struct sk_error err;
	char logged[512];
	uint16_t seq;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fe.pid = 12345;	/* never signalled: nothing here kills */
	fe.fd = sv[0];
	assert_int_equal(frontend_beat(&fe, 1000), 0);
	assert_int_equal(fe.ping_out, 1);
	assert_int_equal(recv(sv[1], msg, sizeof(msg), MSG_DONTWAIT), IMSG_REQ_LEN);
	assert_int_equal(imsg_beat_decode(msg, IMSG_REQ_LEN, IMSG_PING, &seq, &err), 0);
	/* owed, not yet late: no second ping */
	assert_int_equal(frontend_beat(&fe, 1000 + FRONTEND_PING_MS - 1), 0);
	assert_int_equal(recv(sv[1], msg, sizeof(msg), MSG_DONTWAIT), -1);
	/* a pong to another ping: refused, still owed */
	imsg_beat_encode(pong, IMSG_PONG, (uint16_t)(seq + 1));
	assert_int_equal(send(sv[1], pong, sizeof(pong), 0), (ssize_t)sizeof(pong));
	dispatch_logged(&fe, logged, sizeof(logged));
	{
		char want[128];

		snprintf(want, sizeof(want), "test_frontend: frontend: request refused: pong %u, "
		    "not to ping %u\n", (unsigned)(uint16_t)(seq + 1), (unsigned)seq);
		assert_string_equal(logged, want);
	}
	assert_int_equal(fe.ping_out, 1);
	/* late: the caller ends it */
	assert_int_equal(frontend_beat(&fe, 1000 + FRONTEND_PING_MS), -1);
	/* its pong after all: ends the ping, the next beat pings again */
	imsg_beat_encode(pong, IMSG_PONG, seq);
	assert_int_equal(send(sv[1], pong, sizeof(pong), 0), (ssize_t)sizeof(pong));
	dispatch_logged(&fe, logged, sizeof(logged));
	assert_string_equal(logged, "");
	assert_int_equal(fe.ping_out, 0);
	assert_int_equal(frontend_beat(&fe, 5000), 0);
	assert_int_equal(recv(sv[1], msg, sizeof(msg), MSG_DONTWAIT), IMSG_REQ_LEN);
	assert_int_equal(imsg_beat_decode(msg, IMSG_REQ_LEN, IMSG_PING, &seq, &err), 0);
	/* a pong of another size: refused with one line */
	assert_int_equal(send(sv[1], pong, 3, 0), 3);
	dispatch_logged(&fe, logged, sizeof(logged));
	assert_string_equal(logged, "test_frontend: frontend: request refused: pong of 3 "
	    "bytes, not 4\n");
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_bounds_refused),
		cmocka_unit_test(test_good_request_answered),
		cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_prefer_out_of_bounds_refused),
		cmocka_unit_test(test_prefer_answered),
	};

	log_init("test_frontend", 1, LOG_LEVEL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
