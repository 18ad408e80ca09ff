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
 * The Ed25519 verification is GNU Nettle's (RFC 8032, pure Ed25519, the
 * same signatures OpenSSL makes and checks): a few hundred KiB resident
 * where libcrypto's pages alone are 3.5 MiB, and no configuration file to
 * read, so the helper adds little to the netvm's memory (the bench
 * netvm.rss_kib sums sekishod's processes). Before its first request it
 * enters its sandbox (lib/sandbox.h): user _sekisho-bverify, no
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

#include <nettle/eddsa.h>

#include "lib/proto/beacon_wire.h"
#include "lib/proto/bverify_wire.h"
#include "lib/sandbox.h"
#include "lib/util.h"

static void __attribute__((noreturn))
die(const char *msg)
{
	fprintf(stderr, "sekisho-beacon-verify: %s\n", msg);
	exit(1);
}

/* The index of the first key under which the answer's signature over
 * (sekishod's nonce, its id, its time) verifies, or BVERIFY_BAD_SIG's -1. */
static int
sig_check(const struct bverify_req *q)
{
	uint8_t msg[BEACON_MSG_LEN];
	struct beacon_answer a;

	if (beacon_answer_decode(q->answer, sizeof(q->answer), &a) != BEACON_OK)
		return -1;
	beacon_msg(msg, q->nonce, a.id, a.time);
	for (size_t i = 0; i < q->n_keys; i++)
		if (ed25519_sha512_verify(q->keys[i], sizeof(msg), msg, a.sig) == 1)
			return (int)i;
	return -1;
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
	struct bverify_rep r = { .verdict = BVERIFY_BAD_REQ, .key = -1 };
	int rc;

	if (bverify_req_decode(buf, len, &q) != 0)
		return r;
	if ((rc = sig_check(&q)) >= 0) {
		r.verdict = BVERIFY_OK;
		r.key = rc;
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
	enter_sandbox();
	/* Ready: sekishod sends its first request only now, so the start-up
	 * above never counts against a check's time. */
	if (send(STDIN_FILENO, BVERIFY_READY, BVERIFY_READY_LEN, MSG_NOSIGNAL) !=
	    BVERIFY_READY_LEN)
		return 0;	/* sekishod went away */
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
