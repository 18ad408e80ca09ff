/*
 * sekisho-beacon-probe: asks a beacon to prove itself, as the netvm does,
 * and says why an answer was refused; with -c/-T, a load generator.
 *
 *	sekisho-beacon-probe [-v] -p pubkey [-p pubkey] [-t timeout-ms]
 *	    [-a attempts] [-w window] [-s src-addr] [-o answer-file] addr[:port]
 *	sekisho-beacon-probe -p pubkey [-c count] [-T seconds] [-P parallel]
 *	    [-s src-addr[+n]] [-V every] [-t timeout-ms] addr[:port]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agency/sekisho-beacon-probe/challenge.h"
#include "lib/proto/beacon_sign.h"
#include "lib/udp.h"
#include "lib/proto/beacon_wire.h"
#include "lib/util.h"

#define PROCNAME	"sekisho-beacon-probe"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: " PROCNAME " [-v] -p pubkey [-p pubkey] [-t timeout-ms] "
	    "[-a attempts]\n\t[-w window] [-s src-addr] [-o answer-file] addr[:port]\n"
	    "       " PROCNAME " -p pubkey [-c count] [-T seconds] [-P parallel]\n"
	    "\t[-s src-addr[+n]] [-V every] [-t timeout-ms] addr[:port]\n");
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROCNAME ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t
num(int opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v) < 0)
		die("-%c %s: must be a number from %llu to %llu", opt, arg,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

/* "addr" or "addr+n": n consecutive IPv4 source addresses from addr. */
static void
parse_src(struct probe *p, const char *arg)
{
	char buf[BEACON_ADDRSTRLEN];
	const char *plus = strrchr(arg, '+');
	struct sk_error err;

	if (strlen(arg) >= sizeof(buf))
		die("-s %s: too long", arg);
	sk_strlcpy(buf, arg, sizeof(buf));
	if (plus != NULL) {
		buf[plus - arg] = '\0';
		p->nsrc = (unsigned)num('s', plus + 1, 1, 65536);
	}
	if (beacon_addr_parse(buf, 0, &p->src, &err) < 0)
		die("-s %s", err.msg);
	if (p->nsrc > 1 && p->src.ss.ss_family != AF_INET)
		die("-s %s: a range of sources is for IPv4 only", arg);
	p->has_src = 1;
}

static void
parse_args(struct probe *p, int argc, char **argv)
{
	struct sk_error err;
	int ch;

	while ((ch = getopt(argc, argv, "a:c:o:P:p:s:T:t:V:vw:")) != -1) {
		switch (ch) {
		case 'a': p->attempts = (unsigned)num(ch, optarg, 1, 100); break;
		case 'c': p->count = num(ch, optarg, 1, UINT64_MAX); p->load = 1; break;
		case 'o': p->save_path = optarg; break;
		case 'P': p->parallel = (unsigned)num(ch, optarg, 1, PROBE_MAX_PARALLEL); break;
		case 'p':
			if (beacon_keys_add_b64(&p->keys, optarg) < 0)
				die("-p %s: must be a base64 Ed25519 public key, "
				    "at most %d of them", optarg, BEACON_MAX_KEYS);
			break;
		case 's': parse_src(p, optarg); break;
		case 'T': p->seconds = (unsigned)num(ch, optarg, 1, 86400); p->load = 1; break;
		case 't': p->timeout_ms = (unsigned)num(ch, optarg, 1, 60000); break;
		case 'V': p->verify_every = (unsigned)num(ch, optarg, 1, 1u << 30); break;
		case 'v': p->verbose++; break;
		case 'w': p->window = (unsigned)num(ch, optarg, 0, 86400); break;
		default: usage();
		}
	}
	if (argc - optind != 1 || p->keys.n == 0)
		usage();
	if (beacon_addr_parse(argv[optind], BEACON_PORT, &p->dst, &err) < 0)
		die("%s", err.msg);
	if (p->has_src && p->src.ss.ss_family != p->dst.ss.ss_family)
		die("-s: source and beacon address families differ");
}

int
main(int argc, char **argv)
{
	static struct probe p = {
		.attempts = 1, .timeout_ms = 500, .window = BEACON_WINDOW,
		.parallel = 16, .verify_every = 64, .nsrc = 1,
	};

	parse_args(&p, argc, argv);
	return p.load ? probe_load(&p) : probe_once(&p);
}
