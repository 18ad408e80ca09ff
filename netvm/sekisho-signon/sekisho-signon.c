/*
 * sekisho-signon: the netvm's sign-on relay (docs/sign-on.md). The agent
 * in the work partition talks to it on the work link; it binds each
 * request to this laptop with the laptop's sign-on key and forwards it to
 * the verifier named in the policy, over whatever path the mode gives
 * (tunnel or office LAN). Own user, no capability, no file system once
 * started: the key is read first (a 0600 file, or a descriptor passed by
 * sekishod with -K), then the sandbox closes everything but its two
 * sockets, sekishod's control socket (for the mode and uplink of each
 * request) and syslog.
 *
 *	sekisho-signon [-dv] -n DEVICE (-k signon.key | -K fd) -V addr[:port]
 *	    -S verifier-sign-key [-S next] -E verifier-seal-key [-E next]
 *	    -l work-addr[:port] [-c control-socket] [-u user]
 *	    [-P card:S|face:S]
 *
 * -S and -E may be given twice: the verifier's current and next keys, as
 * the policy pins them while the agency rolls its keys. -P is the policy's
 * presence block, handed to the agent with each challenge.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto/control_wire.h"
#include "lib/sandbox.h"
#include "lib/udp.h"
#include "lib/util.h"
#include "netvm/sekisho-signon/relay.h"

#define PROCNAME	"sekisho-signon"
/* sekishod's control socket answers a status at once (a local client goes
 * before any other, docs/control.md); a frontend that has stopped is
 * replaced by sekishod within about 2 s. The relay waits this long for it,
 * then records the request's mode and uplink as unknown, and does not ask
 * again for STATUS_QUIET_MS, so a burst of the agent's datagrams does not
 * wait once each. */
#define STATUS_WAIT_MS	1000
#define STATUS_QUIET_MS	5000

struct signond {
	const char		*device, *key_path, *verifier, *listen, *ctl_path, *user;
	const char		*presence;
	const char		*sign_b64[2], *seal_b64[2];
	int			 n_sign, n_seal;
	int			 key_fd, foreground, verbose, quit;
	struct beacon_addr	 vaddr, laddr;
	struct signon_signer	 key;
	struct relay		 r;
	int			 agent_sock, ver_sock, sig_fd;
	int			 ctl_silent;	/* the last ask timed out */
	uint64_t		 ctl_quiet_until;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " [-dv] -n DEVICE (-k signon.key | -K fd)"
	    " -V addr[:port]\n\t-S verifier-sign-key [-S next] -E verifier-seal-key"
	    " [-E next]\n\t-l work-addr[:port] [-c control-socket] [-u user]"
	    " [-P card:S|face:S]\n");
	exit(1);
}

static void
parse_args(struct signond *d, int argc, char **argv)
{
	uint64_t fd;
	int ch;

	while ((ch = getopt(argc, argv, "c:dE:K:k:l:n:P:S:u:V:v")) != -1) {
		switch (ch) {
		case 'c': d->ctl_path = optarg; break;
		case 'd': d->foreground = 1; break;
		case 'E':
			if (d->n_seal == 2)
				fatalx("-E %s: at most two seal keys (the current and"
				    " the next)", optarg);
			d->seal_b64[d->n_seal++] = optarg;
			break;
		case 'K':
			if (parse_u64(optarg, 3, 1024, &fd) < 0)
				fatalx("-K %s: a descriptor number from 3", optarg);
			d->key_fd = (int)fd;
			break;
		case 'k': d->key_path = optarg; break;
		case 'l': d->listen = optarg; break;
		case 'n': d->device = optarg; break;
		case 'P': d->presence = optarg; break;
		case 'S':
			if (d->n_sign == 2)
				fatalx("-S %s: at most two sign keys (the current and"
				    " the next)", optarg);
			d->sign_b64[d->n_sign++] = optarg;
			break;
		case 'u': d->user = optarg; break;
		case 'V': d->verifier = optarg; break;
		case 'v': d->verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || d->device == NULL || d->verifier == NULL ||
	    d->listen == NULL || d->n_sign == 0 || d->n_seal == 0 ||
	    (d->key_path == NULL) == (d->key_fd < 0))
		usage();
}

static void
start(struct signond *d)
{
	uint8_t sign[2][32], seal[2][32];
	struct sk_error err;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	if (!signon_device_valid(d->device))
		fatalx("-n %s: not a device name ([a-z0-9._-], up to %d)", d->device,
		    SIGNON_DEVICE_LEN);
	for (int i = 0; i < d->n_sign; i++)
		if (key_from_b64(sign[i], d->sign_b64[i]) != 0)
			fatalx("-S %s: not a base64 32-byte key", d->sign_b64[i]);
	for (int i = 0; i < d->n_seal; i++)
		if (key_from_b64(seal[i], d->seal_b64[i]) != 0)
			fatalx("-E %s: not a base64 32-byte key", d->seal_b64[i]);
	if (beacon_addr_parse(d->verifier, SIGNON_PORT, &d->vaddr, &err) < 0)
		fatalx("-V %s", err.msg);
	if (beacon_addr_parse(d->listen, SIGNON_AGENT_PORT, &d->laddr, &err) < 0)
		fatalx("-l %s", err.msg);
	if (d->key_path != NULL ?
	    signon_signer_load(&d->key, d->key_path, -1, &err) < 0 :
	    signon_signer_load_fd(&d->key, d->key_fd, "descriptor", &err) < 0)
		fatalx("%s", err.msg);
	relay_init(&d->r, d->device, &d->key, sign[0], seal[0]);
	relay_set_next(&d->r, d->n_sign == 2 ? sign[1] : NULL,
	    d->n_seal == 2 ? seal[1] : NULL);
	if (d->presence != NULL && relay_set_presence(&d->r, d->presence) != 0)
		fatalx("-P %s: card:S or face:S, S from %d to %d seconds", d->presence,
		    SIGNON_PRES_PERIOD_MIN, SIGNON_PRES_PERIOD_MAX);
	if ((d->agent_sock = beacon_udp_listen(&d->laddr, &err)) < 0)
		fatalx("%s", err.msg);
	if ((d->ver_sock = beacon_udp_connect(&d->vaddr, NULL, &err)) < 0)
		fatalx("%s", err.msg);
	if ((d->sig_fd = signals_fd(sigs, nitems(sigs))) == -1)
		fatal("signals");
	log_info("relay for %s on %s to the verifier %s", d->device, d->listen,
	    d->verifier);
}

/* The whole answer, until sekishod closes or deadline: 0 (*got bytes),
 * -ETIMEDOUT, or -errno. fd is non-blocking. */
static int
read_answer(int fd, uint8_t *buf, size_t cap, size_t *got, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	*got = 0;
	for (;;) {
		uint64_t now = now_ms();

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((n = read(fd, buf + *got, cap - *got)) == 0)
			return 0;
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if ((*got += (size_t)n) == cap)
			return 0;	/* more than a status can be: refused below */
	}
}

/* The mode and active uplink, from sekishod's control socket; unknown
 * (and not blocked) when it cannot be asked or does not answer within
 * STATUS_WAIT_MS. */
static void
ask_status(struct signond *d, struct relay_ctx *c)
{
	static struct ctl_status s;
	static uint8_t buf[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sk_error err;
	size_t got = 0;
	uint64_t now = now_ms();
	uint32_t len;
	uint8_t type;
	int fd, rc;

	c->mode = SIGNON_MODE_UNKNOWN;
	c->blocked = 0;
	c->uplink[0] = '\0';
	if (d->ctl_path == NULL || strlen(d->ctl_path) >= sizeof(sun.sun_path) ||
	    now < d->ctl_quiet_until)
		return;
	sk_strlcpy(sun.sun_path, d->ctl_path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return;
	/* A local stream socket connects at once, or EAGAIN when its backlog
	 * is full (nobody accepts): that is silence too. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
	else if (write(fd, "status\n", 7) != 7)
		rc = -EIO;
	else
		rc = read_answer(fd, buf, sizeof(buf), &got, now + STATUS_WAIT_MS);
	if (rc == -ETIMEDOUT) {
		d->ctl_quiet_until = now_ms() + STATUS_QUIET_MS;
		if (!d->ctl_silent)
			log_warnx("control socket %s: no status within %d ms: the mode and"
			    " uplink are recorded as unknown until it answers", d->ctl_path,
			    STATUS_WAIT_MS);
		d->ctl_silent = 1;
		goto out;
	}
	if (rc != 0)
		goto out;
	if (d->ctl_silent)
		log_info("control socket %s: answers again", d->ctl_path);
	d->ctl_silent = 0;
	if (got < CTL_RESP_HDR_LEN ||
	    ctl_header_decode(buf, &type, &len, &err) != 0 || type != CTL_T_STATUS ||
	    got != CTL_RESP_HDR_LEN + len ||
	    ctl_status_decode(buf + CTL_RESP_HDR_LEN, len, &s, &err) != 0)
		goto out;
	c->mode = s.mode == CTL_MODE_REMOTE ? SIGNON_MODE_REMOTE :
	    s.mode == CTL_MODE_OFFICE ? SIGNON_MODE_OFFICE : SIGNON_MODE_UNKNOWN;
	c->blocked = s.mode == CTL_MODE_BLOCKED;
	if (s.active > 0 && s.active <= s.n_uplinks)
		sk_strlcpy(c->uplink, s.uplinks[s.active - 1].name, sizeof(c->uplink));
out:
	close(fd);
}

static void
ctx_now(struct relay_ctx *c)
{
	c->now_ms = now_ms();
	c->wall_s = (uint64_t)time(NULL);
}

static void
send_out(struct signond *d, const struct relay_out *o)
{
	struct sockaddr_storage ss;

	if (o->len == 0)
		return;
	if (o->dest == RELAY_TO_VERIFIER) {
		if (send(d->ver_sock, o->buf, o->len, 0) == -1)
			log_debug("send to the verifier: %s", strerror(errno));
		return;
	}
	if (o->to.len > sizeof(ss))
		return;
	memcpy(&ss, o->to.addr, o->to.len);
	if (sendto(d->agent_sock, o->buf, o->len, 0, (struct sockaddr *)&ss,
	    o->to.len) == -1)
		log_debug("send to the agent: %s", strerror(errno));
}

static void
on_agent(struct signond *d)
{
	uint8_t in[SIGNON_MAX_LEN + 1];
	struct relay_peer from;
	struct relay_ctx c;
	struct relay_out o;
	socklen_t sl;
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;

		sl = sizeof(ss);
		if ((n = recvfrom(d->agent_sock, in, sizeof(in), MSG_DONTWAIT,
		    (struct sockaddr *)&ss, &sl)) == -1)
			return;
		if (sl > sizeof(from.addr))
			continue;
		memset(&from, 0, sizeof(from));
		memcpy(from.addr, &ss, sl);
		from.len = sl;
		ask_status(d, &c);
		ctx_now(&c);
		relay_from_agent(&d->r, &from, in, (size_t)n, &c, &o);
		send_out(d, &o);
	}
}

static void
on_verifier(struct signond *d)
{
	uint8_t in[SIGNON_MAX_LEN + 1];
	struct relay_ctx c = { 0 };
	struct relay_out o;
	ssize_t n;

	for (int i = 0; i < 16; i++) {
		if ((n = recv(d->ver_sock, in, sizeof(in), MSG_DONTWAIT)) == -1)
			return;
		ctx_now(&c);
		relay_from_verifier(&d->r, in, (size_t)n, &c, &o);
		send_out(d, &o);
	}
}

static void
on_signal(struct signond *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			d->quit = 1;
		else if (si.ssi_signo == SIGUSR1)
			log_info("%llu forwarded, %llu results, %llu bad from work,"
			    " %llu bad answers, %llu busy, %llu timeouts",
			    (unsigned long long)d->r.count[RELAY_C_FORWARDED],
			    (unsigned long long)d->r.count[RELAY_C_RESULTS],
			    (unsigned long long)d->r.count[RELAY_C_BAD_AGENT],
			    (unsigned long long)d->r.count[RELAY_C_BAD_ANSWER],
			    (unsigned long long)d->r.count[RELAY_C_BUSY],
			    (unsigned long long)d->r.count[RELAY_C_TIMEOUT]);
	}
}

static void
enter_sandbox(struct signond *d)
{
	static const int calls[] = {
		SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
		SCMP_SYS(sendmsg),
	};
	struct sandbox_path paths[1] = { { d->ctl_path, SANDBOX_READ } };
	struct sandbox sb = {
		.name = PROCNAME, .user = d->user, .syscalls = calls,
		.n_syscalls = nitems(calls), .flags = SANDBOX_SYSLOG,
		.paths = paths, .n_paths = d->ctl_path != NULL ? 1 : 0,
	};
	struct sk_error err;
	int fd;

	/* A control socket this user cannot reach costs the records their
	 * mode and uplink ("unknown"), never the relay. */
	if (d->ctl_path != NULL) {
		if ((fd = open(d->ctl_path, O_PATH | O_CLOEXEC)) == -1) {
			log_warn("control socket %s: the mode and uplink are recorded as"
			    " unknown", d->ctl_path);
			d->ctl_path = NULL;
			sb.n_paths = 0;
		} else
			close(fd);
	}
	if (sandbox_enter(&sb, &err) < 0)
		fatalx("%s", err.msg);
}

int
main(int argc, char **argv)
{
	static struct signond d = { .key_fd = -1, .user = SANDBOX_USER_SIGNON };

	log_init(PROCNAME, 1, LOG_LEVEL_WARN);
	{
		struct sk_error err;	/* the key is in memory */

		if (sandbox_no_dump(&err) < 0)
			fatalx("%s", err.msg);
	}
	parse_args(&d, argc, argv);
	/* Started by sekishod with the key's descriptor (-K): it ends with
	 * sekishod, whose restart starts a relay of its own; one left behind
	 * would hold the work link's port. */
	if (d.key_fd >= 0)
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	log_setverbose(d.verbose);
	start(&d);
	if (!d.foreground) {
		log_init(PROCNAME, 0, d.verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}
	enter_sandbox(&d);
	while (!d.quit) {
		struct pollfd pfd[3] = {
			{ .fd = d.agent_sock, .events = POLLIN },
			{ .fd = d.ver_sock, .events = POLLIN },
			{ .fd = d.sig_fd, .events = POLLIN },
		};
		struct relay_ctx c = { 0 };
		struct relay_out o;

		if (poll(pfd, 3, relay_timeout(&d.r, now_ms())) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[2].revents & POLLIN)
			on_signal(&d);
		if (pfd[0].revents & POLLIN)
			on_agent(&d);
		if (pfd[1].revents & (POLLIN | POLLERR))
			on_verifier(&d);
		ctx_now(&c);
		do {	/* each slot's exchange past its deadline */
			relay_tick(&d.r, &c, &o);
			send_out(&d, &o);
		} while (o.dest != RELAY_TO_NONE);
	}
	signon_signer_free(&d.key);
	return 0;
}
