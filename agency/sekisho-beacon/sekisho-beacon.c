/*
 * sekisho-beacon: answers challenges on an office LAN segment with a signed
 * answer (docs/beacon.md). One UDP socket, one poll loop, no state per
 * request; the per-packet logic is beacon_handle().
 *
 *	sekisho-beacon [-dnv] -k keyfile -i beacon-id [-l addr[:port]]
 *	    [-r rate[/burst]] [-R rate[/burst]] [-p v4-prefix] [-H max-hops]
 *	    [-u user]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agency/sekisho-beacon/beacon_handle.h"
#include "lib/proto/beacon_sign.h"
#include "lib/udp.h"
#include "lib/proto/beacon_wire.h"
#include "agency/sekisho-beacon/ratelimit.h"
#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/sandbox.h"
#include "lib/util.h"

#define PROCNAME	"sekisho-beacon"
#define BUDGET		256	/* datagrams per wakeup, then signals again */

struct beacond {
	const char		*key_path, *id, *listen, *user;
	struct beacon_addr	 addr;
	struct rl_rate		 src_rate, global_rate;
	uint64_t		 v4_bits;
	uint64_t		 max_hops;
	int			 foreground, check, verbose;
	struct beacon_signer	 signer;
	struct ratelimit	 rl;
	struct beacon_handler	 h;
	int			 sock, sig_fd, quit;
	uint64_t		 send_errors;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " [-dnv] -k keyfile -i beacon-id "
	    "[-l addr[:port]]\n"
	    "\t[-r rate[/burst]] [-R rate[/burst]] [-p v4-prefix] [-H max-hops] "
	    "[-u user]\n");
	exit(1);
}

static void
opt_rate(const char *opt, const char *arg, struct rl_rate *r)
{
	if (ratelimit_parse(arg, r) < 0)
		fatalx("%s %s: must be RATE or RATE/BURST per second, "
		    "0 for no limit (RATE <= %u)", opt, arg, RL_RATE_MAX);
}

static void
opt_u64(const char *opt, const char *arg, uint64_t max, uint64_t *v)
{
	if (parse_u64(arg, 0, max, v) < 0)
		fatalx("%s %s: must be a number from 0 to %llu", opt, arg,
		    (unsigned long long)max);
}

static void
parse_args(struct beacond *d, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "dH:i:k:l:np:R:r:u:v")) != -1) {
		switch (ch) {
		case 'd': d->foreground = 1; break;
		case 'H': opt_u64("-H", optarg, 255, &d->max_hops); break;
		case 'i': d->id = optarg; break;
		case 'k': d->key_path = optarg; break;
		case 'l': d->listen = optarg; break;
		case 'n': d->check = 1; break;
		case 'p': opt_u64("-p", optarg, 32, &d->v4_bits); break;
		case 'R': opt_rate("-R", optarg, &d->global_rate); break;
		case 'r': opt_rate("-r", optarg, &d->src_rate); break;
		case 'u': d->user = optarg; break;
		case 'v': d->verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || d->key_path == NULL || d->id == NULL)
		usage();
}

/* Everything -n checks: the id, the address and the key file. */
static void
load_config(struct beacond *d)
{
	struct sk_error err;

	if (!beacon_id_valid(d->id))
		fatalx("beacon id \"%s\": must be 1 to %d characters of a-z, 0-9 "
		    "and '-', not starting with '-'", d->id, BEACON_ID_LEN);
	if (beacon_addr_parse(d->listen, BEACON_PORT, &d->addr, &err) < 0)
		fatalx("-l %s", err.msg);
	if (beacon_signer_load(&d->signer, d->key_path, 0, &err) < 0)
		fatalx("%s", err.msg);
}

static void
print_config(const struct beacond *d)
{
	char a[BEACON_ADDRSTRLEN], pub[KEY_B64_LEN];

	key_to_b64(pub, d->signer.pub);
	printf("beacon %s\nlisten %s\npublic-key %s\n", d->id,
	    beacon_addr_str(&d->addr, a, sizeof(a)), pub);
	printf("source-limit %u/%u per /%u (IPv6 /64)\nglobal-limit %u/%u\n",
	    d->src_rate.rate, d->src_rate.burst, (unsigned)d->v4_bits,
	    d->global_rate.rate, d->global_rate.burst);
	printf("max-hops %u\n", (unsigned)d->max_hops);
}

static int
signals_open(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

	return signals_fd(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

static void
log_counts(const struct beacond *d)
{
	const uint64_t *c = d->h.count;

	log_info("%llu answered; dropped: %llu malformed, %llu off-link, "
	    "%llu source-limited, %llu global-limited, %llu sign-failed, "
	    "%llu send-failed",
	    (unsigned long long)c[BEACON_ANSWER],
	    (unsigned long long)c[BEACON_DROP_MALFORMED],
	    (unsigned long long)c[BEACON_DROP_HOPS],
	    (unsigned long long)c[BEACON_DROP_SOURCE],
	    (unsigned long long)c[BEACON_DROP_GLOBAL],
	    (unsigned long long)c[BEACON_DROP_FAILED],
	    (unsigned long long)d->send_errors);
}

static void
start(struct beacond *d)
{
	uint64_t secret[2];
	struct sk_error err;
	char a[BEACON_ADDRSTRLEN];

	if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
		fatal("getrandom");
	ratelimit_init(&d->rl, d->src_rate, d->global_rate, secret, now_ms());
	wipe(secret, sizeof(secret));
	d->h.signer = &d->signer;
	d->h.rl = &d->rl;
	sk_strlcpy(d->h.id, d->id, sizeof(d->h.id));
	d->h.min_ttl = BEACON_TTL - (int)d->max_hops;
	if (d->max_hops >= BEACON_TTL)
		d->h.min_ttl = 0;
	if ((d->sock = beacon_udp_listen(&d->addr, &err)) < 0)
		fatalx("%s", err.msg);
	if ((d->sig_fd = signals_open()) == -1)
		fatal("signals");
	log_info("beacon %s listening on %s", d->id,
	    beacon_addr_str(&d->addr, a, sizeof(a)));
}

static void
on_datagram(struct beacond *d, const struct beacon_dgram *in)
{
	uint8_t out[BEACON_ANSWER_LEN];
	size_t outlen = sizeof(out);
	struct beacon_src src;
	enum beacon_verdict v;
	int rc;

	src.key = ratelimit_key((const struct sockaddr *)&in->from.ss,
	    (unsigned)d->v4_bits, 64);
	src.ttl = in->ttl;
	v = beacon_handle(&d->h, in->buf, in->len, &src, now_ms(),
	    (uint64_t)time(NULL), out, &outlen);
	if (v != BEACON_ANSWER) {
		if (log_getverbose() >= LOG_LEVEL_DEBUG) {
			char a[BEACON_ADDRSTRLEN];

			log_debug("%s: %zu bytes, ttl %d: dropped (%s)",
			    beacon_addr_str(&in->from, a, sizeof(a)), in->len,
			    in->ttl, beacon_verdict_name(v));
		}
		return;
	}
	if ((rc = beacon_udp_reply(d->sock, in, out, outlen)) < 0 &&
	    d->send_errors++ == 0)
		log_warnx("send: %s (logged once; counted at exit)", strerror(-rc));
}

static void
on_readable(struct beacond *d)
{
	static struct beacon_dgram in;
	ssize_t n;

	for (int i = 0; i < BUDGET; i++) {
		if ((n = beacon_udp_recv(d->sock, &in)) == -EAGAIN)
			return;
		if (n < 0) {	/* e.g. ICMP errors of earlier answers */
			log_debug("recv: %s", strerror((int)-n));
			continue;
		}
		on_datagram(d, &in);
	}
}

static void
on_signal(struct beacond *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->quit = 1;
			break;
		case SIGUSR1:
			log_counts(d);
			break;
		case SIGHUP:
			log_info("SIGHUP ignored: restart to read a new key");
			break;
		}
	}
}

/* Bound, daemonized, key in memory: from here on, datagrams in and out,
 * signals from the signalfd, and the log. No file system at all. */
static void
enter_sandbox(const struct beacond *d)
{
	static const int calls[] = { SCMP_SYS(recvmsg), SCMP_SYS(sendmsg) };
	struct sandbox sb = {
		.name = PROCNAME, .user = d->user, .syscalls = calls,
		.n_syscalls = nitems(calls), .flags = SANDBOX_SYSLOG,
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) < 0)
		fatalx("%s", err.msg);
}

static void
loop(struct beacond *d)
{
	while (!d->quit) {
		struct pollfd pfd[2] = {
			{ .fd = d->sock, .events = POLLIN },
			{ .fd = d->sig_fd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & POLLIN)
			on_signal(d);
		if (pfd[0].revents & (POLLIN | POLLERR))
			on_readable(d);
	}
}

int
main(int argc, char **argv)
{
	static struct beacond d = {
		.listen = "0.0.0.0", .user = SANDBOX_USER_BEACON, .v4_bits = 32,
		.src_rate = { 5, 10 }, .global_rate = { 2000, 4000 },
	};
	log_init(PROCNAME, 1, LOG_LEVEL_WARN);
	/* The key will be in this process's memory: no core dump, no ptrace
	 * by the unprivileged user it runs as. */
	{
		struct sk_error err;

		if (sandbox_no_dump(&err) < 0)
			fatalx("%s", err.msg);
	}
	parse_args(&d, argc, argv);
	log_setverbose(d.verbose);
	load_config(&d);
	if (d.check) {
		if (d.verbose)
			print_config(&d);
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	start(&d);
	if (!d.foreground) {
		log_init(PROCNAME, 0, d.verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}
	enter_sandbox(&d);
	loop(&d);
	log_counts(&d);
	log_info("exiting on signal");
	beacon_signer_free(&d.signer);
	return 0;
}
