/*
 * One-time codes as people type them: 16 symbols of Crockford's base32
 * (no I, L, O, U), shown as XXXX-XXXX-XXXX-XXXX. A code reaches the
 * verifier from the sign-on path, so this is a parser of untrusted input:
 * pure, bounded, fuzzed (tests/fuzz/fuzz_otpcode.c).
 */
#ifndef SK_REGISTRY_OTPCODE_H
#define SK_REGISTRY_OTPCODE_H

#include <stddef.h>
#include <stdint.h>

#define OTP_SYMBOLS	16
#define OTP_SHOWN_LEN	19	/* with three dashes */
#define OTP_INPUT_MAX	64	/* longer input is refused unread */

extern const char otp_alphabet[33];

/*
 * The 16 symbols of a typed code, upper case, dashes and spaces dropped,
 * into out (17 bytes, NUL-terminated). 0, or -EINVAL for anything else:
 * another character, fewer or more symbols, more than OTP_INPUT_MAX bytes.
 */
int otp_code_norm(const char *in, size_t len, char out[OTP_SYMBOLS + 1]);

/* The shown form of 16 random bytes (5 bits of each used: no bias). */
void otp_code_make(const uint8_t rnd[OTP_SYMBOLS], char out[OTP_SHOWN_LEN + 1]);

#endif
