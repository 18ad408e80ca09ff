/* The smart card interface on PC/SC: pcsc-lite here, winscard on Windows. */
#include "guestagent/sekisho-agent/sc.h"

#include <stdlib.h>
#include <string.h>

#include <winscard.h>

#define MAX_READERS	16

struct sc {
	SCARDCONTEXT	ctx;
	SCARDHANDLE	card;
	int		connected;
	DWORD		proto;
	char		reader[SC_READER_MAX];
	LONG		last;
	DWORD		watch_state;	/* sc_wait_gone: the reader's last state */
};

static int
map(struct sc *s, LONG rv)
{
	s->last = rv;
	switch (rv) {
	case SCARD_S_SUCCESS:
		return SC_OK;
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return SC_E_NO_SERVICE;
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
		return SC_E_NO_READER;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_RESET_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
		return SC_E_REMOVED;
	case SCARD_E_TIMEOUT:
		return SC_E_TIMEOUT;
	default:
		return SC_E_COMM;
	}
}

int
sc_open(struct sc **out)
{
	struct sc *s;
	LONG rv;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SC_E_COMM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &s->ctx);
	if (rv != SCARD_S_SUCCESS) {
		int e = map(s, rv);
		free(s);
		return e == SC_E_COMM ? SC_E_NO_SERVICE : e;
	}
	*out = s;
	return SC_OK;
}

/* The reader names, NUL-separated as PC/SC gives them. */
static int
list_readers(struct sc *s, char *buf, DWORD *len)
{
	return map(s, SCardListReaders(s->ctx, NULL, buf, len));
}

int
sc_wait_card(struct sc *s, const char *reader_name, unsigned timeout_ms,
    void (*on_wait)(void))
{
	SCARD_READERSTATE st[MAX_READERS];
	char names[MAX_READERS * SC_READER_MAX];
	DWORD len = sizeof(names), proto, n = 0, i;
	int e, waited = 0;
	char *p;

	if ((e = list_readers(s, names, &len)) != SC_OK)
		return e;
	memset(st, 0, sizeof(st));
	for (p = names; *p != '\0' && n < MAX_READERS; p += strlen(p) + 1) {
		if (reader_name != NULL && strcmp(p, reader_name) != 0)
			continue;
		st[n].szReader = p;
		st[n].dwCurrentState = SCARD_STATE_UNAWARE;
		n++;
	}
	if (n == 0)
		return SC_E_NO_READER;
	/* The present state of every reader, without waiting. */
	if ((e = map(s, SCardGetStatusChange(s->ctx, 0, st, n))) != SC_OK)
		return e;
	for (;;) {
		for (i = 0; i < n; i++) {
			if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
			    !(st[i].dwEventState & SCARD_STATE_MUTE)) {
				e = map(s, SCardConnect(s->ctx, st[i].szReader,
				    SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
				    &s->card, &proto));
				if (e == SC_OK) {
					s->connected = 1;
					s->proto = proto;
					strncpy(s->reader, st[i].szReader, sizeof(s->reader) - 1);
					return SC_OK;
				}
				if (e != SC_E_REMOVED)
					return e;
			}
			st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		}
		if (!waited && on_wait != NULL)
			on_wait();
		waited = 1;
		/* Blocks in pcscd until a reader's state changes. */
		e = map(s, SCardGetStatusChange(s->ctx,
		    timeout_ms == 0 ? INFINITE : timeout_ms, st, n));
		if (e != SC_OK)
			return e;
	}
}

int
sc_atr(struct sc *s, uint8_t atr[SC_ATR_MAX], size_t *len)
{
	BYTE a[MAX_ATR_SIZE];
	DWORD alen = sizeof(a), state, proto, rlen = 0;
	int e;

	e = map(s, SCardStatus(s->card, NULL, &rlen, &state, &proto, a, &alen));
	if (e != SC_OK)
		return e;
	if (alen > SC_ATR_MAX)
		return SC_E_COMM;
	memcpy(atr, a, alen);
	*len = alen;
	return SC_OK;
}

const char *
sc_reader(const struct sc *s)
{
	return s->reader;
}

/*
 * After a failed exchange: was it because the card left? The reader's
 * state says so once the service has seen it go, so wait (in
 * SCardGetStatusChange, bounded) for the reader to report it empty.
 */
static int
removed_since(struct sc *s)
{
	SCARD_READERSTATE st;
	LONG rv;
	int i;

	memset(&st, 0, sizeof(st));
	st.szReader = s->reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	for (i = 0; i < 8; i++) {
		rv = SCardGetStatusChange(s->ctx, i == 0 ? 0 : 250, &st, 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return 0;
		if (st.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE))
			return 1;
		st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	}
	return 0;
}

int
sc_transmit(struct sc *s, const uint8_t *cmd, size_t n, uint8_t *resp,
    size_t max, size_t *rlen)
{
	DWORD l = (DWORD)max;
	int e;

	if (!s->connected)
		return SC_E_REMOVED;
	e = map(s, SCardTransmit(s->card, s->proto == SCARD_PROTOCOL_T0 ?
	    SCARD_PCI_T0 : SCARD_PCI_T1, cmd, (DWORD)n, NULL, resp, &l));
	/* No status word at all is no answer: vpcd gives that for a card
	 * that left mid-command, a real reader an error. */
	if (e == SC_OK && l < 2)
		e = SC_E_COMM;
	if (e == SC_E_COMM && removed_since(s))
		e = SC_E_REMOVED;
	if (e != SC_OK)
		return e;
	*rlen = l;
	return SC_OK;
}

int
sc_wait_gone(struct sc *s, unsigned timeout_ms)
{
	SCARD_READERSTATE st;
	int e;

	if (!s->connected)
		return SC_OK;
	memset(&st, 0, sizeof(st));
	st.szReader = s->reader;
	/* the first call learns the state (with pcsc-lite's event count in
	 * the high word) without waiting; later ones wait for a change */
	st.dwCurrentState = s->watch_state;
	for (;;) {
		e = map(s, SCardGetStatusChange(s->ctx, s->watch_state ==
		    SCARD_STATE_UNAWARE ? 0 : timeout_ms == 0 ? INFINITE : timeout_ms,
		    &st, 1));
		if (e == SC_E_NO_READER)
			return SC_OK;	/* the reader itself went */
		if (e != SC_OK)
			return e;
		if (!(st.dwEventState & SCARD_STATE_PRESENT) ||
		    (st.dwEventState & (SCARD_STATE_EMPTY | SCARD_STATE_UNAVAILABLE)))
			return SC_OK;
		if (s->watch_state != SCARD_STATE_UNAWARE &&
		    (st.dwEventState >> 16) != (s->watch_state >> 16))
			return SC_OK;	/* out and in again since the last look */
		s->watch_state = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		st.dwCurrentState = s->watch_state;
	}
}

void
sc_release(struct sc *s)
{
	if (s->connected)
		(void)SCardDisconnect(s->card, SCARD_LEAVE_CARD);
	s->connected = 0;
	s->watch_state = SCARD_STATE_UNAWARE;
}

void
sc_close(struct sc *s)
{
	if (s == NULL)
		return;
	if (s->connected)
		(void)SCardDisconnect(s->card, SCARD_RESET_CARD);
	(void)SCardReleaseContext(s->ctx);
	free(s);
}

const char *
sc_last_error(const struct sc *s)
{
	return pcsc_stringify_error(s->last);
}
