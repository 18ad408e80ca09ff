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
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "netvm/sekishod/clients.h"
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

/* ---- the frontend's clients (clients.h), over real sockets ---- */

static struct ctl_req asked_req;
static int asked;

static int
ask_record(const struct ctl_req *req, void *arg)
{
	(void)arg;
	asked_req = *req;
	asked++;
	return 0;
}

/* A status with everything in it that work may not see. */
static size_t
full_status(uint8_t *out, size_t cap)
{
	static struct ctl_status st;
	long n;

	memset(&st, 0, sizeof(st));
	st.mode = CTL_MODE_OFFICE;
	st.flags = CTL_S_BEACONS | CTL_S_TUNNEL | CTL_S_FETCH | CTL_S_BUNDLE | CTL_S_PREFER |
	    CTL_S_FAILOVER | CTL_S_PRESENCE;
	st.since_ms = 2500;
	st.serial = 42;
	st.active = 1;
	st.n_uplinks = 2;
	st.n_gateways = 2;
	st.gateway_pos = 2;
	snprintf(st.reason, sizeof(st.reason), "office via beacon tokyo-3f");
	snprintf(st.policy_path, sizeof(st.policy_path), "/var/lib/sekisho/policy.bundle");
	snprintf(st.tunnel_if, sizeof(st.tunnel_if), "skt0");
	snprintf(st.gateway, sizeof(st.gateway), "agency-gw-2");
	snprintf(st.gateway_from, sizeof(st.gateway_from), "agency-gw-1");
	snprintf(st.gateway_why, sizeof(st.gateway_why), "went stale");
	snprintf(st.uplinks[0].name, sizeof(st.uplinks[0].name), "up0");
	st.uplinks[0].flags = CTL_U_CARRIER | CTL_U_ADDR | CTL_U_GW;
	st.uplinks[0].office = CTL_OFFICE_VERIFIED;
	st.uplinks[0].priority = 300;
	memcpy(st.uplinks[0].addr, (uint8_t[]){ 10, 1, 2, 3 }, 4);
	st.uplinks[0].plen = 24;
	memcpy(st.uplinks[0].gw, (uint8_t[]){ 10, 1, 2, 1 }, 4);
	st.uplinks[0].verified_age_ms = 900;
	snprintf(st.uplinks[0].beacon, sizeof(st.uplinks[0].beacon), "tokyo-3f");
	snprintf(st.uplinks[1].name, sizeof(st.uplinks[1].name), "wwan0");
	st.uplinks[1].flags = CTL_U_CARRIER;
	st.uplinks[1].priority = 100;
	snprintf(st.tunnel.peer, sizeof(st.tunnel.peer), "%s",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	snprintf(st.tunnel.endpoint, sizeof(st.tunnel.endpoint), "192.0.2.10:51820");
	st.tunnel.handshake_age_s = 7;
	st.tunnel.rx_bytes = 1234;
	st.tunnel.tx_bytes = 5678;
	snprintf(st.fetch.server, sizeof(st.fetch.server), "10.64.0.9:51830");
	st.fetch.interval_s = 3600;
	st.fetch.next_s = -1;
	snprintf(st.prefer, sizeof(st.prefer), "wwan0");
	st.bundle.signed_at = 1700000000;
	st.bundle.left_s = -1;
	st.presence = CTL_PRES_FACE;
	st.presence_s = 10;
	n = ctl_status_encode(out, cap, &st);
	assert_true(n > 0);
	return (size_t)n;
}

struct rig {
	struct clients	cs;
	int		lfd, wfd;
	char		path[108];
	struct sockaddr_in wsin;
	uint64_t	now;
};

static void
rig_up(struct rig *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t sl = sizeof(r->wsin);

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "/tmp/test_frontend.%d.sock", (int)getpid());
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", r->path);
	unlink(r->path);
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(r->lfd, 16), 0);
	r->wfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r->wsin.sin_family = AF_INET;
	r->wsin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->wfd, (struct sockaddr *)&r->wsin, sizeof(r->wsin)), 0);
	assert_int_equal(listen(r->wfd, 16), 0);
	assert_int_equal(getsockname(r->wfd, (struct sockaddr *)&r->wsin, &sl), 0);
	clients_init(&r->cs, r->lfd, r->wfd, ask_record, NULL);
	r->now = 1000000;
	r->cs.accept_b.last_ms = r->cs.prefer_b.last_ms = r->now;
	asked = 0;
}

static void
rig_down(struct rig *r)
{
	for (size_t i = 0; i < CLIENTS_MAX; i++)
		if (r->cs.c[i].fd != -1)
			close(r->cs.c[i].fd);
	close(r->lfd);
	close(r->wfd);
	unlink(r->path);
}

/* One turn of the frontend's loop, waiting at most wait_ms for an event;
 * the clock moves only when the test says so. */
static void
turn(struct rig *r, int wait_ms)
{
	struct pollfd pfd[CLIENTS_POLLFDS];
	int timeout = wait_ms;
	size_t n;

	n = clients_poll(&r->cs, pfd, 0, r->now, &timeout);
	if (timeout > wait_ms)
		timeout = wait_ms;
	assert_true(poll(pfd, (nfds_t)n, timeout) >= 0);
	clients_run(&r->cs, pfd, r->now);
}

static int
connect_local(struct rig *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", r->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static int
connect_work(struct rig *r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&r->wsin, sizeof(r->wsin)), 0);
	return fd;
}

/* The whole response on fd, once the frontend closed it: its length. */
static size_t
response(struct rig *r, int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;

	for (int i = 0; i < 200; i++) {
		ssize_t n = recv(fd, buf + got, cap - got, MSG_DONTWAIT);

		if (n == 0)
			return got;
		if (n > 0)
			got += (size_t)n;
		else
			turn(r, 10);
	}
	fail_msg("no whole response");
	return 0;
}

/* Work holds every slot open without sending, and keeps connecting; two
 * local requests are answered all the same, while work's
 * connections are still held (no time passes on the frontend's clock:
 * nothing waited for them to expire). */
static void
test_clients_local_not_starved(void **state)
{
	static uint8_t resp[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX], payload[CTL_PAYLOAD_MAX];
	static const char line[] = "unchanged: serial 42 is the newest\n";
	struct rig r;
	int held[CLIENTS_WORK + 6], l;
	size_t plen, n;

	(void)state;
	rig_up(&r);
	for (size_t i = 0; i < nitems(held); i++) {
		held[i] = connect_work(&r);
		turn(&r, 0);
	}
	for (int i = 0; i < 5; i++)
		turn(&r, 0);
	assert_int_equal(clients_open(&r.cs, 1), CLIENTS_WORK);
	plen = full_status(payload, sizeof(payload));
	for (int k = 0; k < 2; k++) {
		l = connect_local(&r);
		if (k == 0)
			assert_int_equal(write(l, "status\n", 7), 7);
		else
			assert_int_equal(write(l, "status json\n", 12), 12);
		for (int i = 0; i < 20 && asked == k; i++)
			turn(&r, 10);
		assert_int_equal(asked, k + 1);
		assert_int_equal(asked_req.cmd, k == 0 ? CTL_STATUS : CTL_STATUS_JSON);
		if (k == 0)
			clients_reply(&r.cs, CTL_T_STATUS, payload, plen, r.now);
		else
			clients_reply(&r.cs, CTL_T_UNCHANGED, (const uint8_t *)line,
			    sizeof(line) - 1, r.now);
		n = response(&r, l, resp, sizeof(resp));
		if (k == 0) {
			/* root's status is the whole status */
			assert_int_equal(n, CTL_RESP_HDR_LEN + plen);
			assert_memory_equal(resp + CTL_RESP_HDR_LEN, payload, plen);
		} else {
			assert_int_equal(n, CTL_RESP_HDR_LEN + sizeof(line) - 1);
			assert_memory_equal(resp + CTL_RESP_HDR_LEN, line, sizeof(line) - 1);
		}
		close(l);
		assert_int_equal(clients_open(&r.cs, 1), CLIENTS_WORK);
	}
	for (size_t i = 0; i < nitems(held); i++)
		close(held[i]);
	rig_down(&r);
}

/* Work's idle clients are let go after CLIENTS_READ_MS; work's accepts
 * follow the token bucket; a local client asks before work's. */
static void
test_clients_expire_and_order(void **state)
{
	struct rig r;
	int w[2], l;

	(void)state;
	rig_up(&r);
	w[0] = connect_work(&r);
	turn(&r, 10);
	assert_int_equal(clients_open(&r.cs, 1), 1);
	r.now += CLIENTS_READ_MS;
	turn(&r, 0);
	assert_int_equal(clients_open(&r.cs, 1), 0);
	close(w[0]);
	/* both wait to be asked: local first, though work came first */
	w[0] = connect_work(&r);
	assert_int_equal(write(w[0], "status\n", 7), 7);
	w[1] = connect_work(&r);
	assert_int_equal(write(w[1], "status\n", 7), 7);
	l = connect_local(&r);
	assert_int_equal(write(l, "status json\n", 12), 12);
	asked = 0;
	for (int i = 0; i < 20 && (clients_open(&r.cs, 0) < 1 ||
	    clients_open(&r.cs, 1) < 2 || asked == 0); i++) {
		/* the parent is busy: nothing answered yet */
		turn(&r, 10);
	}
	assert_int_equal(asked, 1);
	/* the first question may be work's, taken before the local client
	 * came; then the local one is next */
	if (asked_req.cmd != CTL_STATUS_JSON) {
		clients_reply(&r.cs, CTL_T_ERROR, (const uint8_t *)"error: x\n", 9, r.now);
		for (int i = 0; i < 20 && asked == 1; i++)
			turn(&r, 10);
		assert_int_equal(asked, 2);
	}
	assert_int_equal(asked_req.cmd, CTL_STATUS_JSON);
	close(w[0]);
	close(w[1]);
	close(l);
	rig_down(&r);
}

/* Work's preferences: three that change nothing (answered "unchanged")
 * spend nothing; CLIENTS_PREFER_BURST taken, then refused with one line
 * to the client each and one log line in all; a token later, asked
 * again. Work's status: narrowed. */
static void
test_clients_work_limits(void **state)
{
	static uint8_t resp[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX], payload[CTL_PAYLOAD_MAX];
	static const char ok[] = "accepted: up0 is the preferred uplink\n";
	static const char same[] = "unchanged: up0 is the preferred uplink already\n";
	static const char lim[] = "refused: too many uplink preferences from the work "
	    "partition; try again in a minute; nothing changed\n";
	static struct ctl_status st;
	struct sk_error e;
	int err[2], saved, fd;
	char logged[1024];
	size_t n, plen;
	uint8_t type;
	uint32_t len;
	ssize_t k;
	struct rig r;

	(void)state;
	rig_up(&r);
	assert_int_equal(pipe2(err, O_NONBLOCK), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(err[1], 2);
	for (int i = 0; i < 3 + CLIENTS_PREFER_BURST + 3; i++) {
		int before = asked, taken = i < 3 + CLIENTS_PREFER_BURST;

		fd = connect_work(&r);
		assert_int_equal(write(fd, "prefer up0\n", 11), 11);
		for (int t = 0; taken && t < 20 && asked == before; t++)
			turn(&r, 10);
		if (i < 3) {
			assert_int_equal(asked, before + 1);
			clients_reply(&r.cs, CTL_T_UNCHANGED, (const uint8_t *)same,
			    sizeof(same) - 1, r.now);
		} else if (taken) {
			assert_int_equal(asked, before + 1);
			clients_reply(&r.cs, CTL_T_ACCEPTED, (const uint8_t *)ok, sizeof(ok) - 1,
			    r.now);
		}
		n = response(&r, fd, resp, sizeof(resp));
		close(fd);
		assert_int_equal(ctl_header_decode(resp, &type, &len, &e), 0);
		if (taken) {
			assert_int_equal(type, i < 3 ? CTL_T_UNCHANGED : CTL_T_ACCEPTED);
		} else {
			assert_int_equal(asked, 3 + CLIENTS_PREFER_BURST);
			assert_int_equal(type, CTL_T_REFUSED);
			assert_int_equal(n, CTL_RESP_HDR_LEN + sizeof(lim) - 1);
			assert_memory_equal(resp + CTL_RESP_HDR_LEN, lim, sizeof(lim) - 1);
		}
	}
	/* one token later: asked again */
	r.now += CLIENTS_PREFER_EVERY_MS;
	fd = connect_work(&r);
	assert_int_equal(write(fd, "prefer auto\n", 12), 12);
	for (int t = 0; t < 20 && asked == 3 + CLIENTS_PREFER_BURST; t++)
		turn(&r, 10);
	assert_int_equal(asked, 3 + CLIENTS_PREFER_BURST + 1);
	assert_string_equal(asked_req.uplink, "");
	clients_reply(&r.cs, CTL_T_ACCEPTED, (const uint8_t *)ok, sizeof(ok) - 1, r.now);
	(void)response(&r, fd, resp, sizeof(resp));
	close(fd);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	k = read(err[0], logged, sizeof(logged) - 1);
	logged[k > 0 ? k : 0] = '\0';
	close(err[0]);
	close(err[1]);
	assert_string_equal(logged, "test_frontend: frontend: the work partition asks for more "
	    "uplink preferences than 5 a minute: refused (1 so far; this line once a minute "
	    "at most)\n");

	/* the status as work sees it */
	plen = full_status(payload, sizeof(payload));
	fd = connect_work(&r);
	assert_int_equal(write(fd, "status\n", 7), 7);
	for (int t = 0; t < 20 && asked == 3 + CLIENTS_PREFER_BURST + 1; t++)
		turn(&r, 10);
	clients_reply(&r.cs, CTL_T_STATUS, payload, plen, r.now);
	n = response(&r, fd, resp, sizeof(resp));
	close(fd);
	assert_int_equal(ctl_header_decode(resp, &type, &len, &e), 0);
	assert_int_equal(type, CTL_T_STATUS);
	assert_int_equal(n, CTL_RESP_HDR_LEN + len);
	assert_int_equal(ctl_status_decode(resp + CTL_RESP_HDR_LEN, len, &st, &e), 0);
	assert_int_equal(st.flags, CTL_S_WORK | CTL_S_TUNNEL | CTL_S_PREFER | CTL_S_PRESENCE);
	assert_int_equal(st.mode, CTL_MODE_OFFICE);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.n_uplinks, 2);
	assert_string_equal(st.uplinks[0].name, "up0");
	assert_int_equal(st.uplinks[0].flags, CTL_U_CARRIER | CTL_U_ADDR | CTL_U_GW);
	assert_int_equal(st.uplinks[0].office, CTL_OFFICE_VERIFIED);
	assert_int_equal(st.uplinks[0].priority, 300);
	assert_string_equal(st.uplinks[0].beacon, "");
	assert_int_equal(st.uplinks[0].plen, 0);
	assert_string_equal(st.prefer, "wwan0");
	assert_int_equal(st.tunnel.handshake_age_s, 7);
	assert_int_equal(st.presence, CTL_PRES_FACE);
	assert_int_equal(st.presence_s, 10);
	/* none of these bytes reach work */
	{
		static const char *const secret[] = { "tokyo", "agency-gw", "skt0",
		    "192.0.2.10", "AAEC", "policy.bundle", "10.64.0.9", "went stale" };
		static const uint8_t addr[] = { 10, 1, 2 };

		for (size_t i = 0; i < nitems(secret); i++)
			assert_null(memmem(resp, n, secret[i], strlen(secret[i])));
		assert_null(memmem(resp, n, addr, sizeof(addr)));
	}
	rig_down(&r);
}

/* Two preferences from work at once with one change left: one is asked,
 * the other refused at once (a change is held while the parent decides,
 * so parallel requests cannot each take the last one). */
static void
test_clients_prefer_in_flight(void **state)
{
	static uint8_t resp[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX];
	static const char ok[] = "accepted: up0 is the preferred uplink\n";
	struct sk_error e;
	int err[2], saved, fd[2];
	uint8_t type;
	uint32_t len;
	struct rig r;

	(void)state;
	rig_up(&r);
	r.cs.prefer_b.tokens_ms = CLIENTS_PREFER_EVERY_MS;	/* one change left */
	assert_int_equal(pipe2(err, O_NONBLOCK), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(err[1], 2);
	for (int i = 0; i < 2; i++) {
		fd[i] = connect_work(&r);
		assert_int_equal(write(fd[i], "prefer up0\n", 11), 11);
	}
	for (int t = 0; t < 40 && (asked == 0 || clients_open(&r.cs, 1) > 1); t++)
		turn(&r, 10);
	assert_int_equal(asked, 1);
	clients_reply(&r.cs, CTL_T_ACCEPTED, (const uint8_t *)ok, sizeof(ok) - 1, r.now);
	for (int i = 0; i < 2; i++) {
		(void)response(&r, fd[i], resp, sizeof(resp));
		close(fd[i]);
		assert_int_equal(ctl_header_decode(resp, &type, &len, &e), 0);
		/* which of the two came first is the kernel's */
		fd[i] = type;
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(err[0]);
	close(err[1]);
	assert_true((fd[0] == CTL_T_ACCEPTED && fd[1] == CTL_T_REFUSED) ||
	    (fd[0] == CTL_T_REFUSED && fd[1] == CTL_T_ACCEPTED));
	assert_int_equal(asked, 1);
	rig_down(&r);
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
		cmocka_unit_test(test_clients_local_not_starved),
		cmocka_unit_test(test_clients_expire_and_order),
		cmocka_unit_test(test_clients_work_limits),
		cmocka_unit_test(test_clients_prefer_in_flight),
	};

	log_init("test_frontend", 1, LOG_LEVEL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
