/*
 * sekisho-authd: the sign-on verifier (docs/sign-on.md). One UDP socket,
 * one poll loop; each wakeup is one batch: every datagram waiting (up to
 * BUDGET) goes through the engine inside one registry transaction, which
 * is committed before any result is sent, so that no laptop is told "ok"
 * for a session the registry does not hold.
 *
 *	sekisho-authd [-dnv] -r registry -k sign.key -s seal.key -f rules
 *	    [-l addr[:port]] [-L lifetime-s] [-T nonce-ttl-s] [-j jsonl]
 *	    [-R per-source-a-minute] [-u user]
 *
 * A lost PostgreSQL connection (the server restarted, the link cut) is
 * tried again with a backoff (RETRY_MIN_MS doubling to RETRY_MAX_MS);
 * meanwhile every request is answered "unavailable" (the engine's
 * e.unavailable), never checked, never accepted.
 *	sekisho-authd -G DIR	make the verifier's keys in DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agency/sekisho-authd/engine.h"
#include "agency/sekisho-authd/rules.h"
#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/sandbox.h"
#include "lib/secfile.h"
#include "lib/udp.h"
#include "lib/util.h"
#include "registry/registry.h"

#define PROCNAME	"sekisho-authd"
#define BUDGET		64	/* datagrams per batch */
#define NONCE_SLOTS	(1u << 18)
#define RETRY_MIN_MS	250	/* the registry's reconnection backoff */
#define RETRY_MAX_MS	8000

struct authd {
	const char		*url, *sign_path, *seal_path, *rules_path, *listen;
	const char		*jsonl_path, *user, *keygen_dir;
	uint64_t		 lifetime_s, nonce_ttl, src_rate;
	int			 foreground, check, verbose;
	struct beacon_addr	 addr;
	struct reg		*r;
	struct rules		 rules;
	struct signon_signer	 signer;
	struct signon_unsealer	 unsealer;
	struct nonce_state	 nonces;
	struct authd_engine	 e;
	struct authd_limits	 limits;
	int			 sock, sig_fd, jsonl_fd, quit;
	uint64_t		 send_errors;
	/* the registry out of reach (e.unavailable): the next try */
	int64_t			 retry_at_ms;
	int			 retry_ms, retries;
};

struct pending {
	uint8_t			 buf[SIGNON_RESULT_LEN > SIGNON_EVENTS_ACK_LEN ?
				     SIGNON_RESULT_LEN : SIGNON_EVENTS_ACK_LEN];
	size_t			 len;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	int			 nrec;
	struct reg_signon_rec	 rec[SIGNON_EV_MAX];	/* one, or a batch of events */
	int			 checked;	/* the answer says what the
						 * registry holds: not sent
						 * if the batch fails */
	uint8_t			 in[SIGNON_BOUND_LEN];	/* a BOUND, for an
							 * "unavailable" */
	size_t			 inlen;
};
_Static_assert(SIGNON_CHALLENGE_LEN <= SIGNON_RESULT_LEN, "pending");

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " [-dnv] -r registry -k sign.key -s seal.key"
	    " -f rules\n\t[-l addr[:port]] [-L lifetime-s] [-T nonce-ttl-s]"
	    " [-j jsonl] [-R per-source-a-minute] [-u user]\n       " PROCNAME " -G DIR\n");
	exit(1);
}

static void
opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	if (parse_u64(arg, min, max, v) < 0)
		fatalx("%s %s: must be a number from %llu to %llu", opt, arg,
		    (unsigned long long)min, (unsigned long long)max);
}

static void
parse_args(struct authd *d, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "df:G:j:k:L:l:nR:r:s:T:u:v")) != -1) {
		switch (ch) {
		case 'd': d->foreground = 1; break;
		case 'f': d->rules_path = optarg; break;
		case 'G': d->keygen_dir = optarg; break;
		case 'j': d->jsonl_path = optarg; break;
		case 'k': d->sign_path = optarg; break;
		case 'L': opt_u64("-L", optarg, 60, 7 * 86400, &d->lifetime_s); break;
		case 'l': d->listen = optarg; break;
		case 'n': d->check = 1; break;
		case 'R': opt_u64("-R", optarg, 0, 600000, &d->src_rate); break;
		case 'r': d->url = optarg; break;
		case 's': d->seal_path = optarg; break;
		case 'T': opt_u64("-T", optarg, 5, 300, &d->nonce_ttl); break;
		case 'u': d->user = optarg; break;
		case 'v': d->verbose++; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (d->keygen_dir != NULL)
		return;
	if (d->url == NULL)
		d->url = getenv("SEKISHO_REGISTRY");
	if (d->url == NULL || d->sign_path == NULL || d->seal_path == NULL ||
	    d->rules_path == NULL)
		usage();
}

/* -G DIR: sign.key/sign.pub (Ed25519: results), seal.key/seal.pub
 * (X25519: secrets). Keys are never replaced. */
static int
keygen(const char *dir)
{
	uint8_t priv[32], pub[32];
	char path[4096], b64[KEY_B64_LEN + 1];
	struct sk_error err;
	static const char *const names[2] = { "sign", "seal" };

	for (int i = 0; i < 2; i++) {
		int fd, rc = i == 0 ? signon_ed25519_keygen(priv, pub) :
		    signon_x25519_keygen(priv, pub);

		if (rc != SIGNON_OK)
			fatalx("no key from OpenSSL");
		snprintf(path, sizeof(path), "%s/%s.key", dir, names[i]);
		if (access(path, F_OK) == 0)
			fatalx("%s exists: keys are never replaced", path);
		if (key_file_write(path, priv, &err) < 0)
			fatalx("%s", err.msg);
		wipe(priv, sizeof(priv));
		key_to_b64(b64, pub);
		snprintf(path, sizeof(path), "%s/%s.pub", dir, names[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
			fatal("%s", path);
		b64[KEY_B64_LEN - 1] = '\n';
		if (write(fd, b64, KEY_B64_LEN) != KEY_B64_LEN || close(fd) == -1)
			fatal("%s", path);
		b64[KEY_B64_LEN - 1] = '\0';
		printf("%s-key %s\n", names[i], b64);
	}
	return 0;
}

static void
load_config(struct authd *d)
{
	const struct secfile_rule rule = { "rules file", 0, SECFILE_ANY_OWNER, NULL };
	struct sk_error err;
	uint8_t *text = NULL;
	size_t len = 0;

	if (beacon_addr_parse(d->listen, SIGNON_PORT, &d->addr, &err) < 0)
		fatalx("-l %s", err.msg);
	if (signon_signer_load(&d->signer, d->sign_path, 0, &err) < 0)
		fatalx("%s", err.msg);
	if (signon_unsealer_load(&d->unsealer, d->seal_path, 0, &err) < 0)
		fatalx("%s", err.msg);
	if (secfile_read(d->rules_path, &rule, RULES_FILE_MAX, &text, &len, &err) < 0)
		fatalx("%s", err.msg);
	if (rules_parse(d->rules_path, (const char *)text, len, &d->rules, &err) < 0)
		fatalx("%s", err.msg);
	free(text);
}

/* A burst of two seconds' worth (AUTHD_SRC_BURST at the default rate),
 * at least 4: a sign-on is two datagrams. */
static uint32_t
src_burst(const struct authd *d)
{
	uint64_t b = d->src_rate / 30;

	return b < 4 ? 4 : (uint32_t)b;
}

static void
print_config(const struct authd *d)
{
	char a[BEACON_ADDRSTRLEN], pub[KEY_B64_LEN], rl[8192];

	printf("listen %s\n", beacon_addr_str(&d->addr, a, sizeof(a)));
	key_to_b64(pub, d->signer.pub);
	printf("sign-key %s\n", pub);
	key_to_b64(pub, d->unsealer.pub);
	printf("seal-key %s\n", pub);
	printf("session-lifetime %llu\nnonce-ttl %llu\n",
	    (unsigned long long)d->lifetime_s, (unsigned long long)d->nonce_ttl);
	printf("rate source %llu/min burst %u, laptop %u/min burst %u, failures"
	    " %u/min burst %u\n", (unsigned long long)d->src_rate, src_burst(d),
	    AUTHD_DEV_RATE, AUTHD_DEV_BURST, AUTHD_FAIL_RATE, AUTHD_FAIL_BURST);
	rules_print(&d->rules, rl, sizeof(rl));
	fputs(rl, stdout);
}

static void
start(struct authd *d)
{
	uint8_t key[NONCE_KEY_LEN];
	struct sk_error err;
	char a[BEACON_ADDRSTRLEN];
	int64_t count;
	char head[REG_HASH_HEX];

	if (reg_open(d->url, &d->r, &err) < 0)
		fatalx("%s", err.msg);
	/* the registry's files are open before the sandbox closes the file
	 * system: one read now */
	if (reg_signon_head(d->r, &count, head, &err) < 0)
		fatalx("%s", err.msg);
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		fatal("getrandom");
	if (nonce_init(&d->nonces, key, (uint32_t)d->nonce_ttl, NONCE_SLOTS) < 0)
		fatalx("out of memory for the nonce table");
	wipe(key, sizeof(key));
	d->e.r = d->r;
	d->e.rules = &d->rules;
	d->e.signer = &d->signer;
	d->e.unsealer = &d->unsealer;
	d->e.nonces = &d->nonces;
	d->e.lifetime_s = (uint32_t)d->lifetime_s;
	d->e.max_failures = REG_MAX_FAILURES;
	if (authd_limits_init(&d->limits, (uint32_t)d->src_rate, src_burst(d)) < 0)
		fatalx("out of memory for the rate limits");
	d->e.limits = &d->limits;
	d->jsonl_fd = -1;
	if (d->jsonl_path != NULL && (d->jsonl_fd = open(d->jsonl_path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) == -1)
		fatal("%s", d->jsonl_path);
	if ((d->sock = beacon_udp_listen(&d->addr, &err)) < 0)
		fatalx("%s", err.msg);
	{
		static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

		if ((d->sig_fd = signals_fd(sigs, nitems(sigs))) == -1)
			fatal("signals");
	}
	openlog(PROCNAME, LOG_NDELAY | LOG_PID, LOG_AUTHPRIV);
	log_info("verifier listening on %s, registry %s, audit chain at %lld records",
	    beacon_addr_str(&d->addr, a, sizeof(a)), reg_backend_name(d->r),
	    (long long)count);
}

static void
log_counts(const struct authd *d)
{
	log_info("%llu challenges, %llu accepted, %llu refused, %llu malformed dropped,"
	    " %llu over a rate, %llu unavailable, %llu events stored, %llu repeated,"
	    " %llu send errors",
	    (unsigned long long)d->e.count[AUTHD_C_CHALLENGE],
	    (unsigned long long)d->e.count[AUTHD_C_OK],
	    (unsigned long long)d->e.count[AUTHD_C_REFUSED],
	    (unsigned long long)d->e.count[AUTHD_C_MALFORMED],
	    (unsigned long long)d->e.count[AUTHD_C_LIMITED],
	    (unsigned long long)d->e.count[AUTHD_C_UNAVAILABLE],
	    (unsigned long long)d->e.count[AUTHD_C_EVENTS],
	    (unsigned long long)d->e.count[AUTHD_C_EV_DUP],
	    (unsigned long long)d->send_errors);
}

static void
emit(struct authd *d, const struct reg_signon_rec *rec)
{
	char line[2048];
	size_t n;

	authd_rec_json(rec, line, sizeof(line) - 1);
	syslog(LOG_AUTHPRIV | LOG_INFO, "%s", line);
	if (d->jsonl_fd == -1)
		return;
	n = strlen(line);
	line[n++] = '\n';
	if (write(d->jsonl_fd, line, n) != (ssize_t)n)
		log_warn("%s", d->jsonl_path);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The registry failed with rc: a lost connection makes the verifier
 * unavailable until a reconnection succeeds (try_reconnect). */
static void
registry_failed(struct authd *d, int rc)
{
	if (rc != -ECONNRESET && rc != -ENOTCONN)
		return;
	if (!d->e.unavailable)
		log_warnx("registry: connection lost: requests are answered"
		    " \"unavailable\" until it is back");
	d->e.unavailable = 1;
	d->retry_ms = RETRY_MIN_MS;
	d->retry_at_ms = mono_ms() + d->retry_ms;
}

static void
try_reconnect(struct authd *d)
{
	struct sk_error err;

	if (!d->e.unavailable || mono_ms() < d->retry_at_ms)
		return;
	if (reg_reopen(d->r, &err) < 0) {
		if (d->retries++ == 0)
			log_warnx("%s: trying again, backing off to %d s", err.msg,
			    RETRY_MAX_MS / 1000);
		else
			log_debug("%s", err.msg);
		d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
		    d->retry_ms * 2;
		d->retry_at_ms = mono_ms() + d->retry_ms;
		return;
	}
	log_warnx("registry: connection back after %d tries: requests are checked"
	    " again", d->retries + 1);
	d->retries = 0;
	d->e.unavailable = 0;
}

static void
on_readable(struct authd *d)
{
	static struct pending p[BUDGET];
	static uint8_t in[SIGNON_MAX_LEN + 1];
	struct sk_error err;
	char src[BEACON_ADDRSTRLEN];
	int n = 0, i, failed = 0, rc;

	while (n < BUDGET) {
		struct beacon_addr from;
		ssize_t len;

		from.len = sizeof(from.ss);
		len = recvfrom(d->sock, in, sizeof(in), 0, (struct sockaddr *)&from.ss,
		    &from.len);
		if (len == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("recv: %s", strerror(errno));
			continue;
		}
		beacon_addr_str(&from, src, sizeof(src));
		d->e.clock_ms = mono_ms();
		rc = signon_peek(in, (size_t)len) == SIGNON_EVENTS_BOUND ?
		    authd_events(&d->e, in, (size_t)len, src, (int64_t)time(NULL),
		    p[n].buf, &p[n].len, p[n].rec, &p[n].nrec, &err) :
		    authd_handle(&d->e, in, (size_t)len, src, (int64_t)time(NULL),
		    p[n].buf, &p[n].len, &p[n].rec[0], &p[n].nrec, &err);
		if (d->e.has_note)
			log_warnx("%s", d->e.note);
		if (rc < 0) {
			log_warnx("registry: %s: the batch is rolled back", err.msg);
			registry_failed(d, rc);
			failed = 1;
			/* this request too is told "unavailable" */
			p[n].nrec = 0;
			p[n].checked = 0;
			p[n].inlen = 0;
			if (authd_answer_unchecked(&d->e, in, (size_t)len,
			    SIGNON_R_UNAVAILABLE, (int64_t)time(NULL), p[n].buf,
			    &p[n].len, &err) == 0 && p[n].len != 0) {
				memcpy(&p[n].to, &from.ss, from.len);
				p[n].tolen = from.len;
				n++;
			}
			break;
		}
		if (p[n].len == 0)
			continue;
		p[n].inlen = 0;
		/* an EVENTS_ACK too: its seq may be this batch's */
		p[n].checked = p[n].nrec > 0 ||
		    signon_peek(p[n].buf, p[n].len) == SIGNON_EVENTS_ACK;
		if (p[n].nrec && (size_t)len == SIGNON_BOUND_LEN) {
			memcpy(p[n].in, in, SIGNON_BOUND_LEN);
			p[n].inlen = SIGNON_BOUND_LEN;
		}
		memcpy(&p[n].to, &from.ss, from.len);
		p[n].tolen = from.len;
		n++;
	}
	if (failed)
		authd_batch_abort(&d->e);
	else if ((rc = authd_batch_commit(&d->e, &err)) < 0) {
		log_warnx("registry: %s: the batch is rolled back", err.msg);
		authd_batch_abort(&d->e);
		registry_failed(d, rc);
		failed = 1;
	}
	for (i = 0; i < n; i++) {
		/* after a failed commit only challenges and unchecked answers
		 * (no record) go out: no result may claim what the registry
		 * did not keep; a checked request is answered "unavailable" */
		if (failed && p[i].checked) {
			p[i].nrec = 0;
			p[i].len = 0;
			if (p[i].inlen != 0 && authd_answer_unchecked(&d->e, p[i].in,
			    p[i].inlen, SIGNON_R_UNAVAILABLE, (int64_t)time(NULL),
			    p[i].buf, &p[i].len, &err) < 0)
				p[i].len = 0;
			if (p[i].len == 0)
				continue;
		}
		if (sendto(d->sock, p[i].buf, p[i].len, 0, (struct sockaddr *)&p[i].to,
		    p[i].tolen) == -1 && d->send_errors++ == 0)
			log_warn("send (logged once; counted at exit)");
		for (int j = 0; !failed && j < p[i].nrec; j++)
			emit(d, &p[i].rec[j]);
	}
}

static void
on_signal(struct authd *d)
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
			log_info("SIGHUP ignored: restart to read new keys or rules");
			break;
		}
	}
}

/* Socket, keys, registry connection and log file open: from here on the
 * datagrams, the registry's open files or connection, syslog. */
static void
enter_sandbox(const struct authd *d)
{
	static const int calls[] = {
		SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
		SCMP_SYS(sendmsg), SCMP_SYS(pwrite64), SCMP_SYS(fsync),
		SCMP_SYS(fdatasync), SCMP_SYS(ftruncate), SCMP_SYS(flock),
		SCMP_SYS(unlink),
		SCMP_SYS(utimensat),	/* the registry wakes SQLite followers */
	};
	/* PostgreSQL: a new connection to the server it was started with
	 * (libpq: a socket, connected, its options set and read). Over a
	 * Unix socket SANDBOX_SYSLOG's socket(AF_UNIX) and connect serve;
	 * over TCP, socket() of any family. A host name is resolved by libpq
	 * from files the sandbox no longer shows: give the server's address
	 * or socket directory. */
	static const int pg_calls[] = {
		SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
		SCMP_SYS(sendmsg), SCMP_SYS(pwrite64), SCMP_SYS(fsync),
		SCMP_SYS(fdatasync), SCMP_SYS(ftruncate), SCMP_SYS(flock),
		SCMP_SYS(unlink), SCMP_SYS(utimensat),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
		SCMP_SYS(getpeername), SCMP_SYS(shutdown), SCMP_SYS(uname),
		SCMP_SYS(socket),	/* last: over TCP only */
	};
	int pg = reg_backend(d->r) == REG_PG;
	size_t n_pg = nitems(pg_calls) - (reg_pg_over_tcp(d->r) ? 0 : 1);
	struct sandbox sb = {
		.name = PROCNAME, .user = d->user, .syscalls = pg ? pg_calls : calls,
		.n_syscalls = pg ? n_pg : nitems(calls),
		.flags = SANDBOX_SYSLOG,
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) < 0)
		fatalx("%s", err.msg);
}

static void
loop(struct authd *d)
{
	while (!d->quit) {
		struct pollfd pfd[2] = {
			{ .fd = d->sock, .events = POLLIN },
			{ .fd = d->sig_fd, .events = POLLIN },
		};
		int timeout = -1;

		if (d->e.unavailable) {
			int64_t left = d->retry_at_ms - mono_ms();

			timeout = left < 0 ? 0 : (int)left;
		}
		if (poll(pfd, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & POLLIN)
			on_signal(d);
		try_reconnect(d);
		if (pfd[0].revents & (POLLIN | POLLERR))
			on_readable(d);
	}
}

int
main(int argc, char **argv)
{
	static struct authd d = {
		.listen = "0.0.0.0", .user = SANDBOX_USER_AUTHD,
		.lifetime_s = 8 * 3600, .nonce_ttl = 30, .src_rate = AUTHD_SRC_RATE,
	};

	log_init(PROCNAME, 1, LOG_LEVEL_WARN);
	{
		struct sk_error err;	/* keys in memory: no core, no ptrace */

		if (sandbox_no_dump(&err) < 0)
			fatalx("%s", err.msg);
	}
	parse_args(&d, argc, argv);
	log_setverbose(d.verbose);
	if (d.keygen_dir != NULL)
		return keygen(d.keygen_dir);
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
	reg_close(d.r);
	nonce_free(&d.nonces);
	authd_engine_free(&d.e);
	authd_limits_free(&d.limits);
	signon_signer_free(&d.signer);
	signon_unsealer_free(&d.unsealer);
	return 0;
}
