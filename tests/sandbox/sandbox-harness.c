/*
 * Test-only harness for lib/sandbox.h (tests/integration/08-sandbox.sh).
 *
 *	sandbox-harness hold			enter a sandbox, wait on stdin
 *	sandbox-harness call NAME		enter it, then make a call outside
 *						its list: socket, fork, execve,
 *						ptrace, mprotect-exec
 *	sandbox-harness filter-self NAME	only sekishod's parent's part:
 *						no_new_privs and an allow-list
 *						(sandbox_filter_self) with socket
 *						in it, still root; then NAME
 *	sandbox-harness open PATH		enter it, then open PATH: prints
 *						"open: ERRNO-NAME" or "open: ok"
 *	sandbox-harness run-verifier HELPER DEVICE MIN-SERIAL KEY <BUNDLE
 *						sekishod's verifier_run, as is
 *	sandbox-harness verify ...		as the helper verifier_run starts:
 *						reads its input, then does what
 *						SANDBOX_HARNESS says: "hold"
 *						(sleep 30 s) or "socket"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/sandbox.h"
#include "netvm/sekishod/bundle_verify.h"

static void
enter(void)
{
	static const struct sandbox sb = {
		.name = "sandbox-harness", .user = SANDBOX_USER_PROBE,
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	printf("entered\n");
	fflush(stdout);
}

static int
forbidden(const char *name)
{
	static char *const argv[] = { "true", NULL };

	if (strcmp(name, "socket") == 0)
		return socket(AF_INET, SOCK_DGRAM, 0);
	if (strcmp(name, "fork") == 0)
		return fork();
	if (strcmp(name, "execve") == 0)
		return execv("/bin/true", argv);
	if (strcmp(name, "ptrace") == 0)
		return (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	if (strcmp(name, "mprotect-exec") == 0) {
		static char page[8192] __attribute__((aligned(4096)));

		return mprotect(page, 4096, PROT_READ | PROT_EXEC);
	}
	fprintf(stderr, "unknown call %s\n", name);
	return -2;
}

static int
run_verifier(int argc, char **argv)
{
	static uint8_t buf[1 << 22];
	uint8_t keys[1][32], dev[32];
	struct bundle_trust t = { (const uint8_t (*)[32])keys, 1, dev, 0, 0 };
	struct sk_error err;
	uint64_t serial = 0;
	size_t len;

	if (argc != 6 || key_from_b64(dev, argv[3]) != 0 ||
	    parse_u64(argv[4], 0, UINT64_MAX, &t.accepted) != 0 ||
	    key_from_b64(keys[0], argv[5]) != 0)
		return 2;
	len = fread(buf, 1, sizeof(buf), stdin);
	if (verifier_run(argv[2], "bundle", &t, buf, len, &serial, &err) < 0) {
		printf("refused: %s\n", err.msg);
		return 1;
	}
	printf("ok serial %llu\n", (unsigned long long)serial);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "hold") == 0 && argc == 2) {
		char c;

		enter();
		while (read(STDIN_FILENO, &c, 1) > 0)
			;
		return 0;
	}
	if (strcmp(mode, "call") == 0 && argc == 3) {
		enter();
		printf("%s returned %d (%s)\n", argv[2], forbidden(argv[2]), strerror(errno));
		return 0;
	}
	if (strcmp(mode, "filter-self") == 0 && argc == 3) {
		static const int calls[] = { SCMP_SYS(socket) };
		static const struct sandbox sb = { .name = "sandbox-harness",
		    .syscalls = calls, .n_syscalls = 1 };
		struct sk_error err;
		int rc;

		if (sandbox_filter_self(&sb, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		printf("filtered, uid %d\n", (int)geteuid());
		fflush(stdout);
		/* Allowed, and still root's: a raw socket opens. */
		if (strcmp(argv[2], "raw-socket") == 0) {
			rc = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
			printf("raw socket: %s\n", rc >= 0 ? "ok" : strerrorname_np(errno));
			return 0;
		}
		printf("%s returned %d (%s)\n", argv[2], forbidden(argv[2]), strerror(errno));
		return 0;
	}
	if (strcmp(mode, "open") == 0 && argc == 3) {
		int fd;

		enter();
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		printf("open: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
		return 0;
	}
	if (strcmp(mode, "run-verifier") == 0)
		return run_verifier(argc, argv);
	if (strcmp(mode, "verify") == 0) {	/* started by verifier_run */
		const char *what = getenv("SANDBOX_HARNESS");
		char buf[4096];

		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		if (what != NULL && strcmp(what, "socket") == 0)
			forbidden("socket");
		else
			sleep(30);
		return 0;
	}
	fprintf(stderr, "usage: sandbox-harness hold | call NAME | open PATH | "
	    "run-verifier HELPER DEVICE MIN-SERIAL KEY\n");
	return 2;
}
