/*
 * The card commands the agent sends and the answers it reads
 * (docs/agent.md, "Cards"). Pure codecs: no PC/SC, no
 * allocation; every parser takes the raw response (data + SW1 SW2) as the
 * card returned it and is fuzzed (tests/fuzz/fuzz_apdu.c).
 *
 *   GET DATA (PC/SC part 3)   FF CA 00 00 00
 *       -> identifier (FeliCa IDm 8 bytes, MIFARE UID 4/7/10) 90 00
 *   SELECT PIV               00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00
 *       -> 90 00 (a keyed card) | 6A 82 (no such applet) | anything else
 *   GET DATA certificate     00 CB 3F FF 05 5C 03 5F C1 05 00
 *       -> 53 L { 70 L <X.509 DER> [71 01 00] [FE 00] } 90 00, or 61 xx
 *          and the rest with GET RESPONSE 00 C0 00 00 xx
 *   VERIFY PIN               00 20 00 80 08 <PIN padded with FF to 8>
 *   VERIFY status            00 20 00 80
 *       -> 90 00 | 63 Cx (x tries left) | 69 83 (blocked)
 *   GENERAL AUTHENTICATE     00 87 11 9A 26 7C 24 82 00 81 20 <digest 32> 00
 *       -> 7C L 82 L <DER ECDSA-Sig-Value> 90 00 (ECDSA P-256, key 9A)
 *
 * Lengths are BER: one byte below 0x80, 81 xx, or 82 xx xx.
 */
#ifndef SK_AGENT_APDU_H
#define SK_AGENT_APDU_H

#include <stddef.h>
#include <stdint.h>

#define APDU_MAX		261	/* a short command APDU */
#define APDU_RESP_MAX		258	/* 256 bytes of data and SW1 SW2 */
#define APDU_ID_MIN		4
#define APDU_ID_MAX		10	/* MIFARE triple-size UID; an IDm is 8 */
#define APDU_PIN_MIN		4	/* what a PIV card's VERIFY takes */
#define APDU_PIN_MAX		8
#define APDU_DIGEST_LEN		32
#define APDU_SIG_MAX		72	/* DER of an ECDSA P-256 signature */
#define APDU_CERT_MAX		2048	/* the certificate object, assembled */

#define SW_OK			0x9000
#define SW_NOT_FOUND		0x6A82

enum apdu_pin_status {
	APDU_PIN_OK = 0,	/* verified */
	APDU_PIN_WRONG = 1,	/* *tries left, 1..15 */
	APDU_PIN_BLOCKED = 2,	/* no try left */
	APDU_PIN_ERROR = 3,	/* any other answer */
};

/* Builders: the number of bytes written to out (APDU_MAX bytes), or -1 for
 * an argument out of range. */
int apdu_get_uid(uint8_t *out);
int apdu_select_piv(uint8_t *out);
int apdu_get_cert(uint8_t *out);
int apdu_get_response(uint8_t *out, uint8_t le);
int apdu_verify_pin(uint8_t *out, const char *pin, size_t pin_len);
int apdu_verify_status(uint8_t *out);
int apdu_general_auth(uint8_t *out, const uint8_t digest[APDU_DIGEST_LEN]);

/* SW1 SW2 of a response (at least 2 bytes), else -1. */
int apdu_sw(const uint8_t *resp, size_t len);

/* GET DATA's identifier: 0 with id (APDU_ID_MAX bytes) and *id_len, or -1
 * (not 90 00, or not 4..10 bytes). */
int apdu_parse_uid(const uint8_t *resp, size_t len, uint8_t *id, size_t *id_len);

/* VERIFY's answer: enum apdu_pin_status, *tries set for APDU_PIN_WRONG. */
int apdu_parse_verify(const uint8_t *resp, size_t len, int *tries);

/* GENERAL AUTHENTICATE's answer: 0 with the DER signature in sig
 * (APDU_SIG_MAX bytes) and *sig_len, or -1. */
int apdu_parse_general_auth(const uint8_t *resp, size_t len, uint8_t *sig,
    size_t *sig_len);

/* The certificate object (all of it, GET RESPONSE parts joined, without
 * the SW): 0 with *cert pointing into obj and *cert_len, or -1. */
int apdu_parse_cert_object(const uint8_t *obj, size_t len,
    const uint8_t **cert, size_t *cert_len);

/* A DER ECDSA-Sig-Value (SEQUENCE of two positive INTEGERs of at most 32
 * significant bytes) to r|s, 32 bytes each: 0 or -1. */
int apdu_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64]);

#endif
