/*
 * sekishod <-> its long-lived bundle verifier, `sekisho-policy
 * verify-serve` (docs/bundle.md, "Without libcrypto in sekishod"): one
 * request per bundle, one reply line, over the helper's standard input and
 * output. Pure codec, no libcrypto.
 *
 * Request: a head of PVERIFY_HEAD_LEN bytes, then name_len bytes of the
 * name the helper's messages begin with (the bundle's path: no NUL, no
 * newline), then len bytes of the bundle itself:
 *
 *	"SKB1" | min serial (8, big-endian) | len (4) | name_len (2)
 *
 * The min serial is `verify --min-serial`: that serial itself passes.
 * Reply: one line, "ok serial N device D\n" (the line `verify` prints;
 * bundle_verify.h, verifier_parse_ok), or "refused: WHY\n", WHY the one
 * line of `verify`'s refusal. A request the helper cannot read ends it.
 */
#ifndef SK_PVERIFY_WIRE_H
#define SK_PVERIFY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PVERIFY_MAGIC		"SKB1"
#define PVERIFY_MAGIC_LEN	4
#define PVERIFY_HEAD_LEN	18
#define PVERIFY_NAME_MAX	4095
#define PVERIFY_REFUSED		"refused: "

struct pverify_head {
	uint64_t	min_serial;
	uint32_t	len;		/* 1 .. the decoder's max_len */
	uint16_t	name_len;	/* 1 .. PVERIFY_NAME_MAX */
};

void pverify_head_encode(uint8_t out[PVERIFY_HEAD_LEN], const struct pverify_head *h);
/* Exactly PVERIFY_HEAD_LEN bytes: the magic, len 1 .. max_len, name_len 1 ..
 * PVERIFY_NAME_MAX. 0 with *h, or -1. */
int pverify_head_decode(const uint8_t *in, size_t n, uint32_t max_len,
    struct pverify_head *h);
/* The name's n bytes hold neither NUL nor a newline: 0, or -1. */
int pverify_name_check(const uint8_t *name, size_t n);

#endif
