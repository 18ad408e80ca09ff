/*
 * pcsc-wait: blocks in SCardGetStatusChange until the reader reports a
 * card present (or empty), for tests/cards/cards.sh to settle an insertion
 * or a removal before the next step. Exits 0 when it did, 1 after the
 * timeout (seconds), 2 on a usage or PC/SC error.
 *
 *   pcsc-wait present|empty READER [TIMEOUT_S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

int
main(int argc, char *argv[])
{
	SCARDCONTEXT ctx;
	SCARD_READERSTATE st;
	DWORD want, limit;
	LONG rv;

	if (argc < 3 || (strcmp(argv[1], "present") != 0 && strcmp(argv[1], "empty") != 0)) {
		fprintf(stderr, "usage: pcsc-wait present|empty READER [TIMEOUT_S]\n");
		return 2;
	}
	want = strcmp(argv[1], "present") == 0 ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
	limit = (DWORD)(argc > 3 ? atoi(argv[3]) : 10) * 1000;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return 2;
	memset(&st, 0, sizeof(st));
	st.szReader = argv[2];
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	rv = SCardGetStatusChange(ctx, 0, &st, 1);
	while (rv == SCARD_S_SUCCESS && !(st.dwEventState & want)) {
		st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		rv = SCardGetStatusChange(ctx, limit, &st, 1);
	}
	SCardReleaseContext(ctx);
	if (rv == SCARD_E_TIMEOUT)
		return 1;
	return rv == SCARD_S_SUCCESS ? 0 : 2;
}
