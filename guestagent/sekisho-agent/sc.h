/*
 * The smart card interface of the agent: what login needs from PC/SC and
 * nothing more. sc_pcsc.c implements it with pcsc-lite on Linux; the
 * Windows build (issue 15) compiles the same file against winscard, which
 * has the same API. Nothing here polls: sc_wait_card blocks in
 * SCardGetStatusChange until a reader reports a card.
 */
#ifndef SK_AGENT_SC_H
#define SK_AGENT_SC_H

#include <stddef.h>
#include <stdint.h>

#define SC_ATR_MAX	33
#define SC_READER_MAX	128

enum sc_err {
	SC_OK = 0,
	SC_E_NO_SERVICE = -1,	/* no PC/SC service (pcscd) to talk to */
	SC_E_NO_READER = -2,	/* the service has no reader */
	SC_E_REMOVED = -3,	/* the card left the reader */
	SC_E_TIMEOUT = -4,	/* no card within the time asked */
	SC_E_COMM = -5,		/* any other failure of the service or card */
};

struct sc;

/* Connects to the PC/SC service and lists its readers. */
int sc_open(struct sc **out);
/*
 * Blocks until a card is present in a reader (the first reader that has
 * one, or reader_name if not NULL), then connects to it. timeout_ms 0:
 * forever. on_wait, if not NULL, is called once before blocking when no
 * card is present yet ("hold your card to the reader").
 */
int sc_wait_card(struct sc *s, const char *reader_name, unsigned timeout_ms,
    void (*on_wait)(void));
/* The connected card's ATR. */
int sc_atr(struct sc *s, uint8_t atr[SC_ATR_MAX], size_t *len);
/* The reader the card is in. */
const char *sc_reader(const struct sc *s);
/* One APDU: resp has room for max bytes, *rlen set. */
int sc_transmit(struct sc *s, const uint8_t *cmd, size_t n, uint8_t *resp,
    size_t max, size_t *rlen);
/*
 * Blocks in SCardGetStatusChange until the connected card leaves its
 * reader (or another card took its place between two calls: the reader's
 * event count moved): SC_OK. SC_E_TIMEOUT when it is still there after
 * timeout_ms (0: forever). No polling: pcscd wakes the call.
 */
int sc_wait_gone(struct sc *s, unsigned timeout_ms);
/* Disconnects from the card, keeping the service: sc_wait_card again. */
void sc_release(struct sc *s);
/* Disconnects (resetting the card, so its PIN verification is forgotten)
 * and closes. NULL is fine. */
void sc_close(struct sc *s);
/* The last PC/SC error's text, for -v. */
const char *sc_last_error(const struct sc *s);

#endif
