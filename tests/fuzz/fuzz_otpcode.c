/* One-time codes as typed (registry/otpcode.h): any bytes in; an accepted
 * code is exactly 16 symbols of the alphabet, normalising it again gives
 * the same, and its shown form normalises back to it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/otpcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[OTP_SYMBOLS + 1], again[OTP_SYMBOLS + 1], shown[OTP_SHOWN_LEN + 1];
	uint8_t idx[OTP_SYMBOLS];
	size_t i;

	if (otp_code_norm((const char *)data, size, out) != 0)
		return 0;
	if (strlen(out) != OTP_SYMBOLS || strspn(out, otp_alphabet) != OTP_SYMBOLS)
		abort();
	if (otp_code_norm(out, OTP_SYMBOLS, again) != 0 || strcmp(out, again))
		abort();
	for (i = 0; i < OTP_SYMBOLS; i++)
		idx[i] = (uint8_t)(strchr(otp_alphabet, out[i]) - otp_alphabet);
	otp_code_make(idx, shown);
	if (strlen(shown) != OTP_SHOWN_LEN || otp_code_norm(shown, OTP_SHOWN_LEN, again) != 0 ||
	    strcmp(out, again))
		abort();
	return 0;
}
