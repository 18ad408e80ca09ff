/*
 * sekisho-authd: the sign-on verifier (docs/sign-on.md). One UDP socket,
 * one poll loop; each wakeup is one batch: every datagram waiting (up to
 * BUDGET) goes through the engine inside one registry transaction, which
 * is committed before any result is sent, so that no laptop is told "ok"
 * for a session the registry does not hold.
 *
 *	sekisho-authd [-dnv] -r registry -k sign.key -s seal.key -f rules
 *	    [-l addr[:port]] [-L lifetime-s] [-T nonce-ttl-s] [-j jsonl]
 *	    [-u user]
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

struct authd {
	const char		*url, *sign_path, *seal_path, *rules_path, *listen;
	const char		*jsonl_path, *user, *keygen_dir;
	uint64_t		 lifetime_s, nonce_ttl;
	int			 foreground, check, verbose;
	struct beacon_addr	 addr;
	struct reg		*r;
	struct rules		 rules;
	struct signon_signer	 signer;
	struct signon_unsealer	 unsealer;
	struct nonce_state	 nonces;
	struct authd_engine	 e;
	int			 sock, sig_fd, jsonl_fd, quit;
	uint64_t		 send_errors;
};

struct pending {
	uint8_t			 buf[SIGNON_RESULT_LEN > SIGNON_CHALLENGE_LEN ?
				     SIGNON_RESULT_LEN : SIGNON_CHALLENGE_LEN];
	size_t			 len;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	int			 has_rec;
	struct reg_signon_rec	 rec;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " [-dnv] -r registry -k sign.key -s seal.key"
	    " -f rules\n\t[-l addr[:port]] [-L lifetime-s] [-T nonce-ttl-s]"
	    " [-j jsonl] [-u user]\n       " PROCNAME " -G DIR\n");
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

	while ((ch = getopt(argc, argv, "df:G:j:k:L:l:nr:s:T:u:v")) != -1) {
		switch (ch) {
		case 'd': d->foreground = 1; break;
		case 'f': d->rules_path = optarg; break;
		case 'G': d->keygen_dir = optarg; break;
		case 'j': d->jsonl_path = optarg; break;
		case 'k': d->sign_path = optarg; break;
		case 'L': opt_u64("-L", optarg, 60, 7 * 86400, &d->lifetime_s); break;
		case 'l': d->listen = optarg; break;
		case 'n': d->check = 1; break;
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
	    " %llu send errors",
	    (unsigned long long)d->e.count[AUTHD_C_CHALLENGE],
	    (unsigned long long)d->e.count[AUTHD_C_OK],
	    (unsigned long long)d->e.count[AUTHD_C_REFUSED],
	    (unsigned long long)d->e.count[AUTHD_C_MALFORMED],
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

static void
on_readable(struct authd *d)
{
	static struct pending p[BUDGET];
	static uint8_t in[SIGNON_MAX_LEN + 1];
	struct sk_error err;
	char src[BEACON_ADDRSTRLEN];
	int n = 0, i, failed = 0;

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
		if (authd_handle(&d->e, in, (size_t)len, src, (int64_t)time(NULL),
		    p[n].buf, &p[n].len, &p[n].rec, &p[n].has_rec, &err) < 0) {
			log_warnx("registry: %s: the batch is rolled back", err.msg);
			failed = 1;
			break;
		}
		if (p[n].len == 0)
			continue;
		memcpy(&p[n].to, &from.ss, from.len);
		p[n].tolen = from.len;
		n++;
	}
	if (failed)
		authd_batch_abort(&d->e);
	else if (authd_batch_commit(&d->e, &err) < 0) {
		log_warnx("registry: %s: the batch is rolled back", err.msg);
		authd_batch_abort(&d->e);
		failed = 1;
	}
	for (i = 0; i < n; i++) {
		/* after a failed commit only challenges go out: no result
		 * may claim what the registry did not keep */
		if (failed && p[i].len != SIGNON_CHALLENGE_LEN)
			continue;
		if (sendto(d->sock, p[i].buf, p[i].len, 0, (struct sockaddr *)&p[i].to,
		    p[i].tolen) == -1 && d->send_errors++ == 0)
			log_warn("send (logged once; counted at exit)");
		if (!failed && p[i].has_rec)
			emit(d, &p[i].rec);
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
	struct sandbox sb = {
		.name = PROCNAME, .user = d->user, .syscalls = calls,
		.n_syscalls = nitems(calls), .flags = SANDBOX_SYSLOG,
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
	static struct authd d = {
		.listen = "0.0.0.0", .user = SANDBOX_USER_AUTHD,
		.lifetime_s = 8 * 3600, .nonce_ttl = 30,
	};

	log_init(PROCNAME, 1, LOG_LEVEL_WARN);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);	/* keys in memory */
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
	signon_signer_free(&d.signer);
	signon_unsealer_free(&d.unsealer);
	return 0;
}
