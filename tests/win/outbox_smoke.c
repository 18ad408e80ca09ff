/*
 * The audit outbox on Windows, run under Wine by 91-win-agent
 * (docs/agent.md "Audit outbox"): the same outbox.c as on Linux with
 * lock_win.c under it (LockFileEx on outbox.lock, MoveFileExW). Appends
 * 400 events, acknowledges 250 past a lowered bound so that the file is
 * made shorter, and checks what is left, byte for byte: the id line, the
 * base line, the 150 undelivered events, nothing lost, the seqs going on.
 * One line on stdout: "outbox smoke: ok ..." or what failed; exit 0 or 1.
 *
 *	outbox-smoke.exe DIR
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestagent/sekisho-agent/outbox.h"

static int
bad(const char *what, const char *err)
{
	printf("outbox smoke: FAILED: %s%s%s\n", what, err[0] ? ": " : "", err);
	return 1;
}

int
main(int argc, char **argv)
{
	static struct outbox_ev ev[400];
	struct outbox_ev *p;
	char err[256] = "", path[512], line[256], want[64];
	uint64_t id, id2, through;
	size_t n;
	long size_before, size_after;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: outbox-smoke DIR\n");
		return 2;
	}
	outbox_compact_bytes = 4096;
	for (int i = 0; i < 400; i++) {
		ev[i].time = 1800000000u + (uint64_t)i;
		ev[i].kind = SIGNON_EV_MARK;
		ev[i].reason = SIGNON_EVR_USER;
		strcpy(ev[i].staff, "s1001");
	}
	if (outbox_append(argv[1], ev, 400, err, sizeof(err)) != 0)
		return bad("append", err);
	if (outbox_pending(argv[1], &id, &p, &n, &through, err, sizeof(err)) != 0)
		return bad("pending", err);
	free(p);
	if (n != 400 || through != 0 || id == 0)
		return bad("400 pending, none delivered", "");
	snprintf(path, sizeof(path), "%s/%s", argv[1], OUTBOX_FILE);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0)
		return bad("open", path);
	size_before = ftell(f);
	fclose(f);
	if (outbox_ack(argv[1], 250, err, sizeof(err)) != 0)
		return bad("ack", err);
	if ((f = fopen(path, "rb")) == NULL)
		return bad("open after the ack", path);
	snprintf(want, sizeof(want), "O,%016" PRIx64 "\n", id);
	if (fgets(line, sizeof(line), f) == NULL || strcmp(line, want) != 0) {
		fclose(f);
		return bad("the id line first", line);
	}
	if (fgets(line, sizeof(line), f) == NULL || strcmp(line, "B,250\n") != 0) {
		fclose(f);
		return bad("the base line second (not made shorter)", line);
	}
	fseek(f, 0, SEEK_END);
	size_after = ftell(f);
	fclose(f);
	if (size_after >= size_before)
		return bad("the file is shorter", "");
	if (outbox_pending(argv[1], &id2, &p, &n, &through, err, sizeof(err)) != 0)
		return bad("pending after", err);
	if (n != 150 || through != 250 || id2 != id || p[0].seq != 251 || p[149].seq != 400 ||
	    p[0].time != 1800000250u) {
		free(p);
		return bad("150 pending from 251, the same id", "");
	}
	free(p);
	if (outbox_append(argv[1], ev, 1, err, sizeof(err)) != 0 || ev[0].seq != 401)
		return bad("the seqs go on", err);
	printf("outbox smoke: ok: %ld bytes made %ld, 150 undelivered kept, id %016" PRIx64 "\n",
	    size_before, size_after, id);
	return 0;
}
