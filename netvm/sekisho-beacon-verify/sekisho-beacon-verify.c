/*
 * sekisho-beacon-verify: sekishod's Ed25519 check of a beacon's answer
 * (docs/beacon.md, "Who verifies the signature"), so that sekishod itself
 * never links libcrypto. sekishod starts it once and keeps it; on its
 * standard input (a SOCK_SEQPACKET socket) it reads one fixed-size request
 * per answer and writes back one fixed-size reply (lib/proto/bverify_wire.h).
 * Its input comes only from sekishod, never from the network: the 144
 * bytes of the answer the probe passed on, the pinned keys of that beacon
 * and the nonce sekishod chose.
 *
 * Before its first request it has warmed libcrypto up (one verification)
 * and entered its sandbox (lib/sandbox.h): user _sekisho-bverify, no
 * capability, no file system at all, not dumpable, no fork; of the system
 * calls only reading and writing its socket beyond the base list. It exits
 * when sekishod closes the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/bverify_wire.h"
#include "lib/sandbox.h"
#include "lib/util.h"

static void __attribute__((noreturn))
die(const char *msg)
{
	fprintf(stderr, "sekisho-beacon-verify: %s\n", msg);
	exit(1);
}

/* libcrypto reads its configuration and sets up its providers at its first
 * use: done here, while files may still be opened. */
static void
warm_up(void)
{
	static const uint8_t seed[BEACON_SEED_LEN] = { 1 };
	uint8_t pkt[BEACON_ANSWER_LEN], nonce[BEACON_NONCE_LEN] = { 0 };
	struct beacon_signer s;
	struct beacon_answer a;
	struct beacon_keys k = { .n = 1 };
	struct sk_error err;

	if (beacon_signer_init(&s, seed, &err) < 0)
		die(err.msg);
	memcpy(k.key[0], s.pub, BEACON_PUB_LEN);
	if (beacon_sign_answer(&s, nonce, "warm-up", 1, &a) != BEACON_OK ||
	    beacon_answer_encode(pkt, sizeof(pkt), &a) != BEACON_ANSWER_LEN ||
	    beacon_sig_check(pkt, nonce, &k) != 0)
		die("libcrypto does not verify Ed25519");
	beacon_signer_free(&s);
}

static void
enter_sandbox(void)
{
	static const int calls[] = { SCMP_SYS(recvfrom), SCMP_SYS(sendto) };
	static const struct sandbox sb = {
		.name = "sekisho-beacon-verify", .user = SANDBOX_USER_BVERIFY,
		.syscalls = calls, .n_syscalls = nitems(calls),
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) != 0)
		die(err.msg);
}

static struct bverify_rep
answer(const uint8_t *buf, size_t len)
{
	struct bverify_req q;
	struct beacon_keys k;
	struct bverify_rep r = { .verdict = BVERIFY_BAD_REQ, .key = -1 };
	int rc;

	if (bverify_req_decode(buf, len, &q) != 0)
		return r;
	k.n = q.n_keys;
	memcpy(k.key, q.keys, sizeof(k.key));
	rc = beacon_sig_check(q.answer, q.nonce, &k);
	if (rc >= 0) {
		r.verdict = BVERIFY_OK;
		r.key = rc;
	} else if (rc == BEACON_E_CRYPTO) {
		r.verdict = BVERIFY_CRYPTO;
	} else {
		r.verdict = BVERIFY_BAD_SIG;
	}
	return r;
}

int
main(int argc, char *argv[])
{
	uint8_t buf[BVERIFY_REQ_LEN + 1], out[BVERIFY_REP_LEN];
	struct bverify_rep r;
	ssize_t n;

	(void)argv;
	if (argc != 1)
		die("usage: sekisho-beacon-verify (sekishod's helper: requests on standard input)");
	warm_up();
	enter_sandbox();
	for (;;) {
		/* One datagram is one request: a longer one is cut, and refused. */
		n = recv(STDIN_FILENO, buf, sizeof(buf), 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("cannot read its socket");
		}
		r = answer(buf, (size_t)n);
		explicit_bzero(buf, sizeof(buf));
		if (bverify_rep_encode(out, &r) != 0 ||
		    send(STDIN_FILENO, out, sizeof(out), MSG_NOSIGNAL) != (ssize_t)sizeof(out))
			return 0;	/* sekishod went away */
	}
}
